// hbf:node_fs_promises — Node's `fs/promises`: the promise API of hbf:node_fs
// (read-only documents; writes reject with EROFS).

import { promises } from "hbf:node_fs";

export const {
  readFile, stat, lstat, readdir, access, realpath, readlink, opendir, open, constants, writeFile, appendFile, mkdir,
  mkdtemp, rm, rmdir, unlink, rename, copyFile, cp, symlink, link, chmod, lchmod, chown, lchown, utimes, lutimes,
  truncate, watch,
} = promises;
export default promises;

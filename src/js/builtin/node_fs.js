// hbf:node_fs — Node's `fs` over the henv's documents, read-only.
//
// A path names a document: "/modules/x/a.json", "modules/x/a.json" and
// "./modules/x/a.json" are the document "modules/x/a.json" (relative paths
// resolve against process.cwd(), which is "/"). A directory is any prefix
// "dir/" that has documents under it; "/" is the root. Reads (readFileSync,
// statSync, readdirSync, existsSync, accessSync, realpathSync, open/read/close
// on read-only descriptors, createReadStream, opendir), their callback forms
// and fs.promises are supported; every write throws (or rejects with) an
// EROFS error: documents are written through the HBF API, not from scripts.
// Errors carry Node's errno/code/syscall/path.

import { Buffer } from "hbf:node_buffer";
import { resolve as resolvePath } from "hbf:node_path";
import { EventEmitter } from "hbf:node_events";
import { nodeError, invalidArgType, validateFunction } from "hbf:node_errors";
import process from "hbf:node_process";
import {
  Dirent, S_IFDIR, S_IFMT, S_IFREG, Stats, bigintStats, checkEncoding, closeFd, docInfo, encodeResult, fdEntry, getFd,
  getOptions, isDirectory, isReadFlag, listUnder, lookup, missing, openFd, pathString, pathToId, readBytes, readOnly,
  statsFor, uvError,
} from "hbf:node_fs_core";

export { Dirent, Stats, pathToId };

// ---------------------------------------------------------------------------
// Sync API

export function existsSync(path) {
  try {
    path = pathString(path);
  } catch {
    return false;
  }
  return lookup(pathToId(path)) !== null;
}

export function statSync(path, options = { bigint: false, throwIfNoEntry: true }) {
  path = pathString(path);
  const found = lookup(pathToId(path));
  if (found === null) {
    const err = missing(pathToId(path), "stat", path);
    if (options && options.throwIfNoEntry === false && err.code === "ENOENT") return undefined;
    throw err;
  }
  const st = statsFor(found);
  return options?.bigint ? bigintStats(st) : st;
}

export function lstatSync(path, options = { bigint: false, throwIfNoEntry: true }) {
  path = pathString(path);
  const found = lookup(pathToId(path));
  if (found === null) {
    const err = missing(pathToId(path), "lstat", path);
    if (options && options.throwIfNoEntry === false && err.code === "ENOENT") return undefined;
    throw err;
  }
  const st = statsFor(found);
  return options?.bigint ? bigintStats(st) : st;
}

export function fstatSync(fd, options) {
  const entry = getFd(fd, "fstat");
  const st = statsFor(entry.found);
  return options?.bigint ? bigintStats(st) : st;
}

export function readFileSync(path, options) {
  options = getOptions(options, { flag: "r" });
  checkEncoding(options.encoding);
  if (typeof path === "number") {
    const entry = getFd(path, "read");
    if (entry.found.kind === "dir") throw uvError("EISDIR", "read");
    const rest = entry.bytes.subarray(entry.position);
    entry.position = entry.bytes.length;
    return encodeResult(Buffer.from(rest), options.encoding);
  }
  path = pathString(path);
  if (!isReadFlag(options.flag)) throw readOnly("open", path);
  const id = pathToId(path);
  const bytes = id === "" ? null : readBytes(id);
  if (bytes === null) {
    if (isDirectory(id)) throw uvError("EISDIR", "read");
    throw missing(id, "open", path);
  }
  return encodeResult(bytes, options.encoding);
}

function directoryEntries(id) {
  const prefix = id === "" ? "" : id + "/";
  const kinds = new Map();
  for (const docId of listUnder(id)) {
    const rest = docId.slice(prefix.length);
    if (rest === "") continue;
    const slash = rest.indexOf("/");
    const name = slash === -1 ? rest : rest.slice(0, slash);
    if (name === "") continue;
    const kind = slash === -1 ? "file" : "dir";
    if (!kinds.has(name) || kind === "file") kinds.set(name, kind);
  }
  return [...kinds.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function recursiveEntries(id) {
  const prefix = id === "" ? "" : id + "/";
  const kinds = new Map();
  for (const docId of listUnder(id)) {
    const rest = docId.slice(prefix.length);
    const parts = rest.split("/");
    if (parts.some((p) => p === "")) continue;
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      if (!kinds.has(dir)) kinds.set(dir, "dir");
    }
    kinds.set(rest, "file");
  }
  return [...kinds.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

export function readdirSync(path, options) {
  options = getOptions(options, { encoding: "utf8", withFileTypes: false, recursive: false });
  path = pathString(path);
  const id = pathToId(path);
  if (!isDirectory(id)) {
    if (docInfo(id) !== null) throw uvError("ENOTDIR", "scandir", path);
    throw missing(id, "scandir", path);
  }
  const entries = options.recursive ? recursiveEntries(id) : directoryEntries(id);
  if (options.withFileTypes) {
    const base = "/" + id;
    return entries.map(([name, kind]) => {
      const slash = name.lastIndexOf("/");
      if (slash === -1) return new Dirent(name, kind, path);
      return new Dirent(name.slice(slash + 1), kind, resolvePath(base, name.slice(0, slash)));
    });
  }
  if (options.encoding === "buffer") return entries.map(([name]) => Buffer.from(name));
  return entries.map(([name]) => name);
}

export const F_OK = 0;
export const R_OK = 4;
export const W_OK = 2;
export const X_OK = 1;

export function accessSync(path, mode = F_OK) {
  path = pathString(path);
  const found = lookup(pathToId(path));
  if (found === null) throw missing(pathToId(path), "access", path);
  if (mode & W_OK) throw readOnly("access", path);
  if (mode & X_OK && found.kind === "file") throw uvError("EACCES", "access", path);
}

function realpathImpl(path, options, syscall) {
  options = getOptions(options, {});
  path = pathString(path);
  const id = pathToId(path);
  if (lookup(id) === null) throw missing(id, syscall, path);
  const real = "/" + id;
  return options.encoding === "buffer" ? Buffer.from(real) : real;
}

export function realpathSync(path, options) {
  return realpathImpl(path, options, "lstat");
}
realpathSync.native = function realpathSyncNative(path, options) {
  return realpathImpl(path, options, "realpath");
};

export function readlinkSync(path, options) {
  path = pathString(path);
  if (lookup(pathToId(path)) === null) throw uvError("ENOENT", "readlink", path);
  throw uvError("EINVAL", "readlink", path);
}

export function openSync(path, flags = "r", mode) {
  path = pathString(path);
  if (!isReadFlag(flags)) throw readOnly("open", path);
  const id = pathToId(path);
  const found = lookup(id);
  if (found === null) throw missing(id, "open", path);
  const bytes = found.kind === "file" ? readBytes(id) ?? Buffer.alloc(0) : null;
  return openFd({ id, path, found, bytes, position: 0 });
}

export function closeSync(fd) {
  getFd(fd, "close");
  closeFd(fd);
}

export function readSync(fd, buffer, offsetOrOptions, length, position) {
  const entry = getFd(fd, "read");
  if (!ArrayBuffer.isView(buffer)) throw invalidArgType("buffer", "an instance of Buffer, TypedArray, or DataView", buffer);
  let offset = offsetOrOptions;
  if (offset !== null && typeof offset === "object") {
    ({ offset = 0, length = buffer.byteLength - offset, position = null } = offset);
  }
  if (offset === undefined || offset === null) offset = 0;
  if (length === undefined) length = buffer.byteLength - offset;
  if (entry.found.kind === "dir") throw uvError("EISDIR", "read");
  if (length === 0) return 0;
  if (offset < 0 || offset > buffer.byteLength) {
    throw nodeError(RangeError, "ERR_OUT_OF_RANGE", `The value of "offset" is out of range. It must be >= 0 && <= ${buffer.byteLength}. Received ${offset}`);
  }
  if (length < 0 || offset + length > buffer.byteLength) {
    throw nodeError(RangeError, "ERR_OUT_OF_RANGE", `The value of "length" is out of range. It must be >= 0 && <= ${buffer.byteLength - offset}. Received ${length}`);
  }
  const usePosition = typeof position === "number" && position >= 0 || typeof position === "bigint";
  const start = usePosition ? Number(position) : entry.position;
  const src = entry.bytes.subarray(Math.min(start, entry.bytes.length), Math.min(start + length, entry.bytes.length));
  new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength).set(src, offset);
  if (!usePosition) entry.position += src.length;
  return src.length;
}

export function writeSync(fd, buffer, offsetOrOptions, length, position) {
  if (fd === 1 || fd === 2) {
    const stream = fd === 1 ? process.stdout : process.stderr;
    let data;
    if (typeof buffer === "string") {
      data = buffer;
    } else if (ArrayBuffer.isView(buffer)) {
      const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      const off = typeof offsetOrOptions === "number" ? offsetOrOptions : 0;
      const len = typeof length === "number" ? length : bytes.length - off;
      data = bytes.subarray(off, off + len);
    } else {
      throw invalidArgType("buffer", "of type string or an instance of Buffer, TypedArray, or DataView", buffer);
    }
    stream.write(data);
    return typeof data === "string" ? Buffer.byteLength(data) : data.length;
  }
  throw readOnly("write", fdEntry(fd)?.path);
}

export function fsyncSync(fd) {
  getFd(fd, "fsync");
}
export function fdatasyncSync(fd) {
  getFd(fd, "fdatasync");
}

// Write operations: all refused.
const writeOps = {
  writeFileSync: ["open", 1],
  appendFileSync: ["open", 1],
  mkdirSync: ["mkdir", 1],
  mkdtempSync: ["mkdtemp", 1],
  rmSync: ["rm", 1],
  rmdirSync: ["rmdir", 1],
  unlinkSync: ["unlink", 1],
  renameSync: ["rename", 2],
  copyFileSync: ["copyfile", 2],
  cpSync: ["cp", 2],
  symlinkSync: ["symlink", 2],
  linkSync: ["link", 2],
  chmodSync: ["chmod", 1],
  lchmodSync: ["lchmod", 1],
  chownSync: ["chown", 1],
  lchownSync: ["lchown", 1],
  utimesSync: ["utime", 1],
  lutimesSync: ["lutime", 1],
  truncateSync: ["open", 1],
  fchmodSync: ["fchmod", 0],
  fchownSync: ["fchown", 0],
  futimesSync: ["futime", 0],
  ftruncateSync: ["ftruncate", 0],
  writevSync: ["write", 0],
};

const writers = {};
for (const [name, [syscall, paths]] of Object.entries(writeOps)) {
  writers[name] = function (a, b) {
    let path;
    let dest;
    if (paths >= 1) {
      try {
        path = typeof a === "number" ? undefined : pathString(a, paths === 2 ? "src" : "path");
      } catch (err) {
        if (name === "mkdtempSync") path = String(a);
        else throw err;
      }
    }
    if (paths === 2) {
      try {
        dest = pathString(b, "dest");
      } catch {
        dest = undefined;
      }
    }
    if (name === "mkdtempSync" && path !== undefined) path = path + "XXXXXX";
    throw readOnly(syscall, path, dest);
  };
  Object.defineProperty(writers[name], "name", { value: name });
}

export const {
  writeFileSync, appendFileSync, mkdirSync, mkdtempSync, rmSync, rmdirSync, unlinkSync, renameSync, copyFileSync, cpSync,
  symlinkSync, linkSync, chmodSync, lchmodSync, chownSync, lchownSync, utimesSync, lutimesSync, truncateSync, fchmodSync,
  fchownSync, futimesSync, ftruncateSync, writevSync,
} = writers;

export function createWriteStream(path) {
  throw readOnly("open", typeof path === "string" ? path : undefined);
}

function unsupported(what) {
  return nodeError(Error, "ERR_HBF_UNSUPPORTED", `${what} is not supported in hbf (documents do not emit change events)`);
}

export function watch() {
  throw unsupported("fs.watch()");
}
export function watchFile() {
  throw unsupported("fs.watchFile()");
}
export function unwatchFile() {}

// ---------------------------------------------------------------------------
// Dir (opendir)

export class Dir {
  constructor(path, entries) {
    this.path = path;
    this._entries = entries;
    this._closed = false;
  }

  readSync() {
    if (this._closed) throw nodeError(Error, "ERR_DIR_CLOSED", "Directory handle was closed");
    const next = this._entries.shift();
    return next === undefined ? null : next;
  }

  read(cb) {
    if (typeof cb === "function") {
      let r;
      try {
        r = this.readSync();
      } catch (err) {
        process.nextTick(cb, err);
        return undefined;
      }
      process.nextTick(cb, null, r);
      return undefined;
    }
    return new Promise((resolve) => resolve(this.readSync()));
  }

  closeSync() {
    if (this._closed) throw nodeError(Error, "ERR_DIR_CLOSED", "Directory handle was closed");
    this._closed = true;
  }

  close(cb) {
    if (typeof cb === "function") {
      let err = null;
      try {
        this.closeSync();
      } catch (e) {
        err = e;
      }
      process.nextTick(cb, err);
      return undefined;
    }
    return new Promise((resolve) => resolve(this.closeSync()));
  }

  async *[Symbol.asyncIterator]() {
    try {
      for (;;) {
        const entry = this.readSync();
        if (entry === null) break;
        yield entry;
      }
    } finally {
      if (!this._closed) this._closed = true;
    }
  }

  *entries() {
    for (;;) {
      const entry = this.readSync();
      if (entry === null) break;
      yield entry;
    }
  }
}

export function opendirSync(path, options) {
  path = pathString(path);
  return new Dir(path, readdirSync(path, { ...getOptions(options, {}), withFileTypes: true }));
}

// ---------------------------------------------------------------------------
// Read streams (a small Readable: 'open', 'ready', 'data', 'end', 'close',
// pipe(), async iteration)

export class ReadStream extends EventEmitter {
  constructor(path, options) {
    super();
    options = getOptions(options, {});
    this.path = path;
    this.bytesRead = 0;
    this.pending = true;
    this.readable = true;
    this.destroyed = false;
    this._encoding = options.encoding ?? null;
    this._start = options.start ?? 0;
    this._end = options.end ?? Infinity;
    this._highWaterMark = options.highWaterMark ?? 64 * 1024;
    this._paused = false;
    this._flowing = null;
    this._chunks = null;
    this._error = null;
    try {
      this._bytes = readFileSync(path);
    } catch (err) {
      this._error = err;
    }
    process.nextTick(() => this._begin());
  }

  _begin() {
    if (this.destroyed) return;
    if (this._error) {
      this.destroyed = true;
      this.emit("error", this._error);
      this.emit("close");
      return;
    }
    const end = Math.min(this._end + 1, this._bytes.length);
    const data = this._bytes.subarray(Math.min(this._start, end), end);
    this._chunks = [];
    for (let i = 0; i < data.length; i += this._highWaterMark) this._chunks.push(data.subarray(i, i + this._highWaterMark));
    this.pending = false;
    this.emit("open", 3);
    this.emit("ready");
    if (this.listenerCount("data") > 0 && !this._paused) this._flow();
  }

  _flow() {
    if (this._flowing || this._chunks === null) return;
    this._flowing = true;
    const step = () => {
      if (this.destroyed) return;
      if (this._paused) {
        this._flowing = false;
        return;
      }
      const chunk = this._chunks.shift();
      if (chunk === undefined) {
        this.readable = false;
        this.emit("end");
        this.destroyed = true;
        this.emit("close");
        return;
      }
      this.bytesRead += chunk.length;
      this.emit("data", this._encoding ? Buffer.from(chunk).toString(this._encoding) : Buffer.from(chunk));
      process.nextTick(step);
    };
    process.nextTick(step);
  }

  on(event, listener) {
    super.on(event, listener);
    if (event === "data" && !this._paused) this._flow();
    return this;
  }

  pause() {
    this._paused = true;
    return this;
  }

  resume() {
    this._paused = false;
    this._flowing = false;
    this._flow();
    return this;
  }

  setEncoding(encoding) {
    this._encoding = encoding;
    return this;
  }

  destroy(err) {
    if (this.destroyed) return this;
    this.destroyed = true;
    process.nextTick(() => {
      if (err) this.emit("error", err);
      this.emit("close");
    });
    return this;
  }

  close(cb) {
    this.destroy();
    if (typeof cb === "function") this.once("close", cb);
  }

  pipe(dest, options) {
    this.on("data", (chunk) => dest.write(chunk));
    if (!options || options.end !== false) this.on("end", () => dest.end?.());
    return dest;
  }

  async *[Symbol.asyncIterator]() {
    const queue = [];
    let done = false;
    let failure = null;
    let wake = null;
    this.on("data", (c) => {
      queue.push(c);
      if (wake) wake();
    });
    this.on("end", () => {
      done = true;
      if (wake) wake();
    });
    this.on("error", (e) => {
      failure = e;
      if (wake) wake();
    });
    for (;;) {
      if (failure) throw failure;
      if (queue.length) {
        yield queue.shift();
        continue;
      }
      if (done) return;
      await new Promise((r) => (wake = r));
      wake = null;
    }
  }
}

export function createReadStream(path, options) {
  return new ReadStream(typeof path === "string" ? path : pathString(path), options);
}

// ---------------------------------------------------------------------------
// Callback API

function lastCallback(args) {
  const cb = args[args.length - 1];
  validateFunction(cb, "cb");
  return cb;
}

function callbackForm(syncFn) {
  return function (...args) {
    const cb = lastCallback(args);
    args.pop();
    let result;
    try {
      result = syncFn(...args);
    } catch (err) {
      process.nextTick(cb, err);
      return;
    }
    process.nextTick(cb, null, result);
  };
}

export const readFile = callbackForm(readFileSync);
export const stat = callbackForm(statSync);
export const lstat = callbackForm(lstatSync);
export const fstat = callbackForm(fstatSync);
export const readdir = callbackForm(readdirSync);
export const access = callbackForm(accessSync);
export const realpath = callbackForm(realpathSync);
realpath.native = callbackForm(realpathSync.native);
export const readlink = callbackForm(readlinkSync);
export const open = callbackForm(openSync);
export const close = callbackForm(closeSync);
export const opendir = callbackForm(opendirSync);
export const fsync = callbackForm(fsyncSync);
export const fdatasync = callbackForm(fdatasyncSync);

export function read(fd, ...rest) {
  const cb = rest.pop();
  validateFunction(cb, "cb");
  let buffer;
  let n;
  try {
    if (rest.length === 0 || (rest.length === 1 && !ArrayBuffer.isView(rest[0]))) {
      const opts = rest[0] ?? {};
      buffer = opts.buffer ?? Buffer.alloc(16384);
      const offset = opts.offset ?? 0;
      n = readSync(fd, buffer, offset, opts.length ?? buffer.byteLength - offset, opts.position ?? null);
    } else {
      buffer = rest[0];
      n = readSync(fd, ...rest);
    }
  } catch (err) {
    process.nextTick(cb, err);
    return;
  }
  process.nextTick(cb, null, n, buffer);
}

export function write(fd, buffer, ...rest) {
  const cb = rest.find((a) => typeof a === "function");
  validateFunction(cb, "cb");
  let n;
  try {
    n = writeSync(fd, buffer, ...rest.slice(0, rest.indexOf(cb)));
  } catch (err) {
    process.nextTick(cb, err);
    return;
  }
  process.nextTick(cb, null, n, buffer);
}

export function exists(path, callback) {
  validateFunction(callback, "cb");
  const result = existsSync(path);
  process.nextTick(callback, result);
}

function callbackWriter(syncFn) {
  return function (...args) {
    const cb = args[args.length - 1];
    validateFunction(cb, "cb");
    try {
      syncFn(...args.slice(0, -1));
    } catch (err) {
      process.nextTick(cb, err);
    }
  };
}

export const writeFile = callbackWriter(writeFileSync);
export const appendFile = callbackWriter(appendFileSync);
export const mkdir = callbackWriter(mkdirSync);
export const mkdtemp = callbackWriter(mkdtempSync);
export const rm = callbackWriter(rmSync);
export const rmdir = callbackWriter(rmdirSync);
export const unlink = callbackWriter(unlinkSync);
export const rename = callbackWriter(renameSync);
export const copyFile = callbackWriter(copyFileSync);
export const cp = callbackWriter(cpSync);
export const symlink = callbackWriter(symlinkSync);
export const link = callbackWriter(linkSync);
export const chmod = callbackWriter(chmodSync);
export const lchmod = callbackWriter(lchmodSync);
export const chown = callbackWriter(chownSync);
export const lchown = callbackWriter(lchownSync);
export const utimes = callbackWriter(utimesSync);
export const lutimes = callbackWriter(lutimesSync);
export const truncate = callbackWriter(truncateSync);
export const fchmod = callbackWriter(fchmodSync);
export const fchown = callbackWriter(fchownSync);
export const futimes = callbackWriter(futimesSync);
export const ftruncate = callbackWriter(ftruncateSync);
export const writev = callbackWriter(writevSync);

// ---------------------------------------------------------------------------
// fs.promises

class FileHandle extends EventEmitter {
  constructor(fd) {
    super();
    this.fd = fd;
  }

  async read(buffer, offset, length, position) {
    if (buffer === undefined || (buffer !== null && typeof buffer === "object" && !ArrayBuffer.isView(buffer))) {
      const opts = buffer ?? {};
      buffer = opts.buffer ?? Buffer.alloc(16384);
      offset = opts.offset ?? 0;
      length = opts.length ?? buffer.byteLength - offset;
      position = opts.position ?? null;
    }
    const bytesRead = readSync(this.fd, buffer, offset, length, position);
    return { bytesRead, buffer };
  }

  async readFile(options) {
    return readFileSync(this.fd, options);
  }

  async stat(options) {
    return fstatSync(this.fd, options);
  }

  async close() {
    if (this.fd !== -1) {
      closeSync(this.fd);
      this.fd = -1;
      this.emit("close");
    }
  }

  async write() {
    throw readOnly("write");
  }

  async writeFile() {
    throw readOnly("write");
  }

  async appendFile() {
    throw readOnly("write");
  }

  async truncate() {
    throw readOnly("ftruncate");
  }

  async sync() {}

  async datasync() {}

  createReadStream(options) {
    const entry = getFd(this.fd, "read");
    return createReadStream(entry.path, options);
  }

  async [Symbol.asyncDispose]() {
    await this.close();
  }
}

function promiseForm(syncFn) {
  return async (...args) => syncFn(...args);
}

export const promises = {
  readFile: async (path, options) => {
    if (path instanceof FileHandle) return path.readFile(options);
    return readFileSync(path, options);
  },
  stat: promiseForm(statSync),
  lstat: promiseForm(lstatSync),
  readdir: promiseForm(readdirSync),
  access: promiseForm(accessSync),
  realpath: promiseForm(realpathSync),
  readlink: promiseForm(readlinkSync),
  opendir: promiseForm(opendirSync),
  open: async (path, flags, mode) => new FileHandle(openSync(path, flags, mode)),
  constants: null,
};
for (const name of Object.keys(writeOps)) {
  if (name.startsWith("f") || name === "writevSync") continue;
  const short = name.slice(0, -4);
  promises[short] = promiseForm(writers[name]);
}
promises.watch = () => {
  throw unsupported("fs.promises.watch()");
};

export const constants = Object.freeze({
  UV_FS_SYMLINK_DIR: 1, UV_FS_SYMLINK_JUNCTION: 2, O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2, UV_DIRENT_UNKNOWN: 0,
  UV_DIRENT_FILE: 1, UV_DIRENT_DIR: 2, UV_DIRENT_LINK: 3, UV_DIRENT_FIFO: 4, UV_DIRENT_SOCKET: 5, UV_DIRENT_CHAR: 6,
  UV_DIRENT_BLOCK: 7, S_IFMT, S_IFREG, S_IFDIR, S_IFCHR: 0o020000, S_IFBLK: 0o060000, S_IFIFO: 0o010000,
  S_IFLNK: 0o120000, S_IFSOCK: 0o140000, O_CREAT: 64, O_EXCL: 128, UV_FS_O_FILEMAP: 0, O_NOCTTY: 256, O_TRUNC: 512,
  O_APPEND: 1024, O_DIRECTORY: 65536, O_NOATIME: 262144, O_NOFOLLOW: 131072, O_SYNC: 1052672, O_DSYNC: 4096,
  O_DIRECT: 16384, O_NONBLOCK: 2048, S_IRWXU: 448, S_IRUSR: 256, S_IWUSR: 128, S_IXUSR: 64, S_IRWXG: 56, S_IRGRP: 32,
  S_IWGRP: 16, S_IXGRP: 8, S_IRWXO: 7, S_IROTH: 4, S_IWOTH: 2, S_IXOTH: 1, F_OK, R_OK, W_OK, X_OK,
  UV_FS_COPYFILE_EXCL: 1, COPYFILE_EXCL: 1, UV_FS_COPYFILE_FICLONE: 2, COPYFILE_FICLONE: 2,
  UV_FS_COPYFILE_FICLONE_FORCE: 4, COPYFILE_FICLONE_FORCE: 4,
});
promises.constants = constants;

const fs = {
  existsSync, statSync, lstatSync, fstatSync, readFileSync, readdirSync, accessSync, realpathSync, readlinkSync, openSync,
  closeSync, readSync, writeSync, fsyncSync, fdatasyncSync, opendirSync, createReadStream, createWriteStream,
  watch, watchFile, unwatchFile, readFile, stat, lstat, fstat, readdir, access, realpath, readlink, open, close, read,
  write, exists, opendir, fsync, fdatasync, promises, constants, Stats, Dirent, Dir, ReadStream, F_OK, R_OK, W_OK, X_OK,
  ...writers,
  writeFile, appendFile, mkdir, mkdtemp, rm, rmdir, unlink, rename, copyFile, cp, symlink, link, chmod, lchmod, chown,
  lchown, utimes, lutimes, truncate, fchmod, fchown, futimes, ftruncate, writev,
};

export default fs;

// hbf:node_fs_core — what hbf:node_fs's API is built on: Node's errors
// (errno, code, syscall, path), paths as document ids, the documents as
// files and directories, Stats and Dirent, option parsing, and the table of
// read-only descriptors. Internal to hbf:node_fs (its header says what a
// path and a directory are).

import native from "hbf:native";
import { Buffer, normalizeEncoding } from "hbf:node_buffer";
import { resolve as resolvePath } from "hbf:node_path";
import { nodeError, invalidArgType, inspectPrimitive } from "hbf:node_errors";

// ---------------------------------------------------------------------------
// Errors

const ERRNO = { ENOENT: -2, EBADF: -9, EACCES: -13, EEXIST: -17, ENOTDIR: -20, EISDIR: -21, EINVAL: -22, EROFS: -30 };
const DESCRIPTION = {
  ENOENT: "no such file or directory",
  EBADF: "bad file descriptor",
  EACCES: "permission denied",
  ENOTDIR: "not a directory",
  EISDIR: "illegal operation on a directory",
  EINVAL: "invalid argument",
  EROFS: "read-only file system",
};

export function uvError(code, syscall, path, dest) {
  let message = `${code}: ${DESCRIPTION[code]}, ${syscall}`;
  if (path !== undefined) message += ` '${path}'`;
  if (dest !== undefined) message += ` -> '${dest}'`;
  const err = new Error(message);
  err.errno = ERRNO[code];
  err.code = code;
  err.syscall = syscall;
  if (path !== undefined) err.path = path;
  if (dest !== undefined) err.dest = dest;
  return err;
}

/** ENOENT, or ENOTDIR when a parent of `id` is a document (a file). */
export function missing(id, syscall, path) {
  for (let slash = id.lastIndexOf("/"); slash > 0; slash = id.lastIndexOf("/", slash - 1)) {
    if (native.documentInfo(id.slice(0, slash)) != null) return uvError("ENOTDIR", syscall, path);
  }
  return uvError("ENOENT", syscall, path);
}

export function readOnly(syscall, path, dest) {
  const err = uvError("EROFS", syscall, path, dest);
  err.message += " (hbf documents are read-only for scripts: write documents through the API)";
  return err;
}

// ---------------------------------------------------------------------------
// Paths and documents

export function pathString(path, name = "path") {
  if (typeof path === "string") {
    // fallthrough
  } else if (path instanceof Uint8Array) {
    path = Buffer.from(path.buffer, path.byteOffset, path.byteLength).toString("utf8");
  } else if (path !== null && typeof path === "object" && typeof path.href === "string" && typeof path.protocol === "string") {
    if (path.protocol !== "file:") {
      throw nodeError(TypeError, "ERR_INVALID_URL_SCHEME", "The URL must be of scheme file");
    }
    if (path.hostname !== "" && path.hostname !== undefined) {
      throw nodeError(TypeError, "ERR_INVALID_FILE_URL_HOST", `File URL host must be "localhost" or empty on linux`);
    }
    const pathname = path.pathname;
    if (/%2f/i.test(pathname)) {
      throw nodeError(TypeError, "ERR_INVALID_FILE_URL_PATH", "File URL path must not include encoded / characters");
    }
    path = decodeURIComponent(pathname);
  } else {
    throw invalidArgType(name, "of type string or an instance of Buffer or URL", path);
  }
  if (path.includes("\u0000")) {
    throw nodeError(TypeError, "ERR_INVALID_ARG_VALUE",
      `The argument '${name}' must be a string, Uint8Array, or URL without null bytes. Received ${inspectPrimitive(path)}`);
  }
  return path;
}

/** The document id a path names ("" is the root directory). */
export function pathToId(path) {
  return resolvePath("/", path).slice(1);
}

export function docInfo(id) {
  return id === "" ? null : native.documentInfo(id);
}

export function listUnder(id) {
  return native.listDocuments(id === "" ? "" : id + "/");
}

export function isDirectory(id) {
  return id === "" || listUnder(id).length > 0;
}

/** { kind: "file", info } | { kind: "dir" } | null */
export function lookup(id) {
  const info = docInfo(id);
  if (info !== null && info !== undefined) return { kind: "file", info };
  if (isDirectory(id)) return { kind: "dir" };
  return null;
}

export function readBytes(id) {
  const bytes = native.readDocument(id);
  if (bytes === null || bytes === undefined) return null;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// ---------------------------------------------------------------------------
// Stats and Dirent

export const S_IFMT = 0o170000;
export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;

export class Stats {
  constructor(kind, size, mtimeMs) {
    this.dev = 0;
    this.mode = kind === "file" ? S_IFREG | 0o444 : S_IFDIR | 0o555;
    this.nlink = 1;
    this.uid = 0;
    this.gid = 0;
    this.rdev = 0;
    this.blksize = 4096;
    this.ino = 0;
    this.size = size;
    this.blocks = Math.ceil(size / 512);
    this.atimeMs = mtimeMs;
    this.mtimeMs = mtimeMs;
    this.ctimeMs = mtimeMs;
    this.birthtimeMs = mtimeMs;
    this.atime = new Date(mtimeMs);
    this.mtime = new Date(mtimeMs);
    this.ctime = new Date(mtimeMs);
    this.birthtime = new Date(mtimeMs);
  }

  isFile() {
    return (this.mode & S_IFMT) === S_IFREG;
  }

  isDirectory() {
    return (this.mode & S_IFMT) === S_IFDIR;
  }

  isSymbolicLink() {
    return false;
  }

  isBlockDevice() {
    return false;
  }

  isCharacterDevice() {
    return false;
  }

  isFIFO() {
    return false;
  }

  isSocket() {
    return false;
  }
}

export function bigintStats(st) {
  const out = Object.create(Stats.prototype);
  for (const [k, v] of Object.entries(st)) out[k] = typeof v === "number" ? BigInt(Math.floor(v)) : v;
  out.atimeNs = BigInt(st.atimeMs) * 1000000n;
  out.mtimeNs = out.atimeNs;
  out.ctimeNs = out.atimeNs;
  out.birthtimeNs = out.atimeNs;
  return out;
}

export function statsFor(found) {
  if (found.kind === "file") {
    const mtimeMs = Number(found.info.modified_at ?? 0) * 1000;
    return new Stats("file", Number(found.info.size ?? 0), mtimeMs);
  }
  return new Stats("dir", 4096, 0);
}

export class Dirent {
  constructor(name, kind, parentPath) {
    this.name = name;
    this.parentPath = parentPath;
    this.path = parentPath;
    this._kind = kind;
    Object.defineProperty(this, "_kind", { enumerable: false });
  }

  isFile() {
    return this._kind === "file";
  }

  isDirectory() {
    return this._kind === "dir";
  }

  isSymbolicLink() {
    return false;
  }

  isBlockDevice() {
    return false;
  }

  isCharacterDevice() {
    return false;
  }

  isFIFO() {
    return false;
  }

  isSocket() {
    return false;
  }
}

// ---------------------------------------------------------------------------
// Options

export function getOptions(options, defaults) {
  if (options === null || options === undefined || typeof options === "function") return defaults;
  if (typeof options === "string") return { ...defaults, encoding: options };
  if (typeof options !== "object") throw invalidArgType("options", "one of type string or object", options);
  return { ...defaults, ...options };
}

export function checkEncoding(encoding) {
  if (encoding === undefined || encoding === null || encoding === "buffer") return;
  if (normalizeEncoding(encoding) === undefined) {
    throw nodeError(TypeError, "ERR_INVALID_ARG_VALUE", `The argument 'encoding' is invalid encoding. Received ${inspectPrimitive(encoding)}`);
  }
}

export function encodeResult(buf, encoding) {
  if (encoding === undefined || encoding === null || encoding === "buffer") return buf;
  return buf.toString(encoding);
}

const WRITE_FLAG = /[wa+]/;

export function isReadFlag(flags) {
  if (flags === undefined || flags === null) return true;
  if (typeof flags === "number") return (flags & 3) === 0 && (flags & (64 | 512 | 1024)) === 0;
  if (typeof flags !== "string") throw invalidArgType("flags", "of type string or number", flags);
  if (!/^(r|rs|sr|as|sa|a|ax|xa|a\+|ax\+|xa\+|as\+|sa\+|r\+|rs\+|sr\+|w|wx|xw|w\+|wx\+|xw\+)$/.test(flags)) {
    throw nodeError(TypeError, "ERR_INVALID_ARG_VALUE", `The argument 'flags' is invalid. Received ${inspectPrimitive(flags)}`);
  }
  return !WRITE_FLAG.test(flags);
}

// ---------------------------------------------------------------------------
// File descriptors (read-only)

const fds = new Map();
let nextFd = 3;

// A new descriptor for `entry` ({ id, path, found, bytes, position }).
export function openFd(entry) {
  const fd = nextFd++;
  fds.set(fd, entry);
  return fd;
}

export function closeFd(fd) {
  fds.delete(fd);
}

// The descriptor's entry, or undefined.
export function fdEntry(fd) {
  return fds.get(fd);
}

export function getFd(fd, syscall) {
  if (typeof fd !== "number") throw invalidArgType("fd", "of type number", fd);
  const entry = fds.get(fd);
  if (entry === undefined) throw uvError("EBADF", syscall);
  return entry;
}

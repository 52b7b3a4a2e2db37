// hbf:node_tty — Node's `tty`. A henv's code has no terminal: isatty(fd) is
// false for every fd, so packages that pick colours or progress bars by it
// (debug, supports-color, chalk) choose plain text. ReadStream and
// WriteStream exist (Duplex streams with Node's prototype methods, so code
// that inspects or patches them loads) but constructing one fails as Node's
// does for a descriptor that is not a terminal.

import { Duplex } from "hbf:node_stream";
import { nodeError } from "hbf:node_errors";

export function isatty(fd) {
  return false;
}

function notATerminal() {
  const err = nodeError(Error, "ERR_TTY_INIT_FAILED",
    "TTY initialization failed: uv_tty_init returned EINVAL (invalid argument)");
  err.name = "SystemError";
  err.errno = -22;
  err.syscall = "uv_tty_init";
  return err;
}

export function ReadStream(fd, options) {
  throw notATerminal();
}
Object.setPrototypeOf(ReadStream.prototype, Duplex.prototype);
Object.setPrototypeOf(ReadStream, Duplex);
ReadStream.prototype.isRaw = false;
ReadStream.prototype.isTTY = true;
ReadStream.prototype.setRawMode = function setRawMode(flag) {
  this.isRaw = !!flag;
  return this;
};

export function WriteStream(fd) {
  throw notATerminal();
}
Object.setPrototypeOf(WriteStream.prototype, Duplex.prototype);
Object.setPrototypeOf(WriteStream, Duplex);
Object.assign(WriteStream.prototype, {
  isTTY: true,
  columns: 80,
  rows: 24,
  getColorDepth() {
    return 1;
  },
  hasColors() {
    return false;
  },
  _refreshSize() {},
  cursorTo(x, y, callback) {
    if (typeof y === "function") y();
    else if (typeof callback === "function") callback();
    return true;
  },
  moveCursor(dx, dy, callback) {
    if (typeof callback === "function") callback();
    return true;
  },
  clearLine(dir, callback) {
    if (typeof callback === "function") callback();
    return true;
  },
  clearScreenDown(callback) {
    if (typeof callback === "function") callback();
    return true;
  },
  getWindowSize() {
    return [this.columns, this.rows];
  },
});

export default { isatty, ReadStream, WriteStream };

// "hbf:native" in plain JavaScript for the QuickJS run (qjs has no crypto and
// no file access here): documents live in __docs (id -> Uint8Array), which
// the entry script fills from the corpus. UTF-8, SHA-256, randomness and
// loadBuiltin are tools/jsrt-test's pure fake's (run.mjs copies it beside this
// file as jsrt-pure.mjs, with its fake-state.mjs).
export {
  utf8Encode, utf8Decode, bytesEqual, sha256, randomBytes, loadBuiltin, etag, escapeHtml, headerValueOk, documentsEpoch,
} from "./jsrt-pure.mjs";
export const __docs = new Map();
export const __logs = [];
export const __stats = { reads: 0 };
export function __setRoot() {}

// The henv's server code uses this document (hbf noteServerCode): nothing to do here.
export function noteServerCode(id) {}

export function readDocument(id) {
  if (typeof id !== "string") throw new TypeError("readDocument: id must be a string");
  __stats.reads++;
  return __docs.has(id) ? __docs.get(id) : null;
}

export const now = () => Date.now();
// Good enough as the monotonic clock here (process.hrtime, performance.now are not tested).
export const monotonicNow = now;
export function log(level, message) {
  __logs.push([level, String(message)]);
}

// Streamed responses (src/js/natives.cpp streamWanted/streamWrite/streamEnd,
// tested on hbf itself): never here, so res.write() buffers until end().
export const streamWanted = () => false;
export const streamWrite = () => false;
export const streamEnd = () => {};
// Route reach (natives.cpp routesChanged): nothing here relies on it.
export const routesChanged = () => {};

// What the built-ins import: hbf:native's default export, every function above
// as one object (src/js/natives.cpp).
import * as self from "hbf:native"; // (itself, under the name the built-ins use)
export default self;

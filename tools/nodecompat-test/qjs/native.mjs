// A pure-JS "hbf:native" for the QuickJS run: tools/jsrt-test's portable
// fake (UTF-8, SHA-256, HMAC, base64, randomness, log, loadBuiltin) plus documents,
// config, host info, compileFunction (new Function) and fake timers with the
// same __fake API as ../fake-native.mjs.
import * as pure from "./jsrt-pure.mjs";

export const { utf8Encode, utf8Decode, sha256, hmacSha256, randomBytes, base64Encode, base64Decode, dbQuery, dbGet, dbExecute,
  dbExec, dbInTransaction, loadBuiltin } = pure;

const docs = new Map();
const logs = [];
let configRows = {};
let virtualNow = 1700000000000;
const timers = new Map();
let nextTimerId = 1;
let seq = 0;

const encode = (s) => pure.utf8Encode(s.isWellFormed() ? s : s.toWellFormed());

function compareUtf8(a, b) {
  const x = encode(a);
  const y = encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

export const __fake = {
  docs,
  logs,
  timers,
  put(id, content, modifiedAt = 1700000000) {
    const bytes = typeof content === "string" ? encode(content) : Uint8Array.from(content);
    docs.set(id, { bytes, modified_at: modifiedAt, content_type: "application/octet-stream" });
  },
  remove(id) {
    docs.delete(id);
  },
  setConfig(c) {
    configRows = { ...c };
  },
  now: () => virtualNow,
  fireNext() {
    let next = null;
    for (const [id, t] of timers) {
      if (next === null || t.due < next[1].due || (t.due === next[1].due && t.seq < next[1].seq)) next = [id, t];
    }
    if (next === null) return false;
    const [id, t] = next;
    if (t.due > virtualNow) virtualNow = t.due;
    if (t.interval >= 0) {
      t.due = virtualNow + t.interval;
      t.seq = seq++;
    } else {
      timers.delete(id);
    }
    try {
      t.fn();
    } catch (err) {
      logs.push(["error", "uncaught exception in a timer: " + (err && err.message)]);
    }
    return true;
  },
};

export function log(level, message) {
  logs.push([level, message]);
}

export const now = () => virtualNow;

export function readDocument(id) {
  const d = docs.get(id);
  return d ? d.bytes.slice() : null;
}

export function documentInfo(id) {
  const d = docs.get(id);
  return d ? { size: d.bytes.length, modified_at: d.modified_at, content_type: d.content_type } : null;
}

export function listDocuments(prefix) {
  prefix = typeof prefix === "string" ? prefix : "";
  const out = [];
  for (const id of docs.keys()) if (id.startsWith(prefix)) out.push(id);
  return out.sort(compareUtf8);
}

export function compileFunction(source, filename, params) {
  // eslint-disable-next-line no-new-func
  return new Function(...(params ?? []), source);
}

export function setTimer(delay, fn, repeat) {
  delay = Number(delay);
  if (!Number.isFinite(delay) || delay < 0) delay = 0;
  const ms = Math.trunc(Math.min(delay, 2147483647));
  const id = nextTimerId++;
  timers.set(id, { due: virtualNow + ms, interval: repeat ? Math.max(ms, 1) : -1, fn, seq: seq++ });
  return id;
}

export function clearTimer(id) {
  timers.delete(Number(id));
}

export const config = () => ({ ...configRows });
export const hostInfo = () => ({ version: "0.0.0-test", platform: "linux", arch: "x64" });

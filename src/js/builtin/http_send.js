// hbf:http_send — sends one of the henv's documents as a file, the way the
// `send` package (0.19, under Express 4's res.sendFile and serve-static)
// sends one from disk: Content-Type from the name, a weak ETag from size and
// modification time, Last-Modified, Cache-Control, conditional GET (304),
// preconditions (412), one byte range (206/416), dotfiles rules, an index
// document for "dir/". Documents are HBF's files: a path names the document
// id ("/public/a.css" and "public/a.css" are "public/a.css"); `_system/` is
// never sent, whatever the root. Loaded on first use (native.loadBuiltin).

import native from "hbf:native";
import { STATUS_CODES, httpError, isFresh, lookupType, parseTokenList } from "hbf:http_common";
import { parseRange } from "hbf:http_negotiate";

const UP_PATH = /(?:^|[\\/])\.\.(?:[\\/]|$)/;

function statusError(status, code, message) {
  const err = httpError(status, message ?? STATUS_CODES[status]);
  if (code) err.code = code;
  err.expose = false;
  return err;
}

const notFound = (id) => Object.assign(statusError(404, "ENOENT", `ENOENT: no such file or directory, stat '${id}'`),
  { syscall: "stat", path: id, errno: -2 });

/** "a//b/./c" -> "a/b/c" (no "..": callers refuse those first). */
function normalizeId(path) {
  return path.split("/").filter((s) => s !== "" && s !== ".").join("/");
}

function hasDotSegment(id) {
  return id.split("/").some((s) => s.length > 1 && s[0] === ".");
}

function isDirectory(id) {
  return native.listDocuments(id === "" ? "" : id + "/").length !== 0;
}

/** Content-Type as send sets it: the MIME type, and "; charset=UTF-8" for text. */
export function fileContentType(id, storedType) {
  let type = lookupType(id) ?? (storedType && storedType !== "" ? storedType.split(";")[0].trim() : "application/octet-stream");
  if (/^text\/|^application\/(javascript|json)$/.test(type)) type += "; charset=UTF-8";
  return type;
}

/** The weak ETag serve-static gives a file: W/"<size hex>-<mtime ms hex>". */
export const fileEtag = (info) => `W/"${info.size.toString(16)}-${(info.modified_at * 1000).toString(16)}"`;

function preconditionFailed(headers, etag, lastModified) {
  const match = headers["if-match"];
  if (match) {
    if (match === "*") return false;
    return !parseTokenList(match).some((m) => m === etag || m === "W/" + etag || "W/" + m === etag);
  }
  const unmodified = Date.parse(headers["if-unmodified-since"] ?? "");
  if (!Number.isNaN(unmodified)) return Date.parse(lastModified) > unmodified;
  return false;
}

function rangeFresh(headers, etag, lastModified) {
  const ifRange = headers["if-range"];
  if (!ifRange) return true;
  if (ifRange.indexOf('"') !== -1) return ifRange.indexOf(etag) !== -1;
  return Date.parse(lastModified) <= Date.parse(ifRange);
}

/**
 * Sends document `path` (relative to `opts.root` when given) on `res`, then
 * calls done(err) — err is undefined on success, else an Error with `status`
 * (404 ENOENT, 403, 400 for a malformed path; 412 and 416, with `found` set
 * and, for 416, `headers` to answer with, as send's errors after the file
 * was found) and, for a directory without a trailing slash, `code` "EISDIR"
 * with `redirectTo` set (the caller decides whether to redirect). Options: root, index ("index.html",
 * an array, or false), dotfiles ("ignore" | "allow" | "deny"), maxAge (ms or
 * "1d"-style string), immutable, cacheControl, lastModified, etag,
 * acceptRanges, headers, extensions, setHeaders(res, path, info).
 */
export function sendDocument(req, res, path, opts, done) {
  let raw = String(path);
  if (raw.indexOf("\0") !== -1) return done(statusError(400, undefined, "Bad Request"));
  let decodedPath = raw;
  if (opts.root !== undefined && opts.root !== null) {
    if (UP_PATH.test(raw)) return done(statusError(403, undefined, "Forbidden"));
    decodedPath = String(opts.root) + "/" + raw;
  } else if (UP_PATH.test(raw)) {
    return done(statusError(403, undefined, "Forbidden"));
  }
  const trailingSlash = decodedPath.endsWith("/");
  let id = normalizeId(decodedPath);
  if (id === "_system" || id.startsWith("_system/")) return done(notFound(id));

  const dotfiles = opts.dotfiles ?? "ignore";
  // (as send: only the part below the root counts)
  if (hasDotSegment(opts.root !== undefined && opts.root !== null ? normalizeId(raw) : id)) {
    if (dotfiles === "deny") return done(statusError(403, undefined, "Forbidden"));
    if (dotfiles !== "allow") return done(notFound(id));
  }

  let info = null;
  if (trailingSlash || id === "") {
    const index = opts.index === undefined ? ["index.html"] : opts.index === false ? [] : [].concat(opts.index);
    for (const name of index) {
      const candidate = id === "" ? name : id + "/" + name;
      info = native.documentInfo(candidate);
      if (info != null) {
        id = candidate;
        break;
      }
    }
    if (info == null) return done(notFound(id));
  } else {
    info = native.documentInfo(id);
    if (info == null) {
      for (const ext of [].concat(opts.extensions || [])) {
        const candidate = id + "." + String(ext).replace(/^\./, "");
        info = native.documentInfo(candidate);
        if (info != null) {
          id = candidate;
          break;
        }
      }
    }
    if (info == null) {
      if (isDirectory(id)) {
        const err = statusError(404, "EISDIR", `EISDIR, read '${id}'`);
        err.redirectTo = true;
        return done(err);
      }
      return done(notFound(id));
    }
  }
  if (id.startsWith("_system/")) return done(notFound(id));
  const err = sendInfo(req, res, id, info, opts);
  if (err) err.found = true;
  return done(err);
}

function maxAgeSeconds(value) {
  if (typeof value === "string") {
    const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w|y)?$/i.exec(value.trim());
    if (!m) return 0;
    const unit = { ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000, w: 604800000, y: 31557600000 }[(m[2] || "ms").toLowerCase()];
    return Math.floor((parseFloat(m[1]) * unit) / 1000);
  }
  const n = Number(value) || 0;
  return Math.floor(Math.min(Math.max(0, n), 31536000000) / 1000);
}

function sendInfo(req, res, id, info, opts) {
  const len = info.size;
  const etag = fileEtag(info);
  const lastModified = new Date(info.modified_at * 1000).toUTCString();
  if (typeof opts.setHeaders === "function") opts.setHeaders(res, "/" + id, info);
  if (opts.headers && typeof opts.headers === "object") {
    for (const k of Object.keys(opts.headers)) res.setHeader(k, opts.headers[k]);
  }
  if (opts.acceptRanges !== false && !res.getHeader("Accept-Ranges")) res.setHeader("Accept-Ranges", "bytes");
  if (opts.cacheControl !== false && !res.getHeader("Cache-Control")) {
    let cc = "public, max-age=" + maxAgeSeconds(opts.maxAge ?? 0);
    if (opts.immutable) cc += ", immutable";
    res.setHeader("Cache-Control", cc);
  }
  if (opts.lastModified !== false && !res.getHeader("Last-Modified")) res.setHeader("Last-Modified", lastModified);
  if (opts.etag !== false && !res.getHeader("ETag")) res.setHeader("ETag", etag);
  if (!res.getHeader("Content-Type")) res.setHeader("Content-Type", fileContentType(id, info.content_type));

  const headers = req.headers;
  const conditional = headers["if-match"] || headers["if-unmodified-since"] || headers["if-none-match"] ||
    headers["if-modified-since"];
  if (conditional) {
    if (preconditionFailed(headers, res.getHeader("ETag"), res.getHeader("Last-Modified"))) {
      return statusError(412, undefined, "Precondition Failed");
    }
    const status = res.statusCode;
    if (((status >= 200 && status < 300) || status === 304) &&
        isFresh(headers, res.getHeader("ETag"), res.getHeader("Last-Modified"))) {
      for (const h of ["Content-Encoding", "Content-Language", "Content-Length", "Content-Range", "Content-Type"]) {
        res.removeHeader(h);
      }
      res.statusCode = 304;
      res.end();
      return undefined;
    }
  }

  let start = 0;
  let end = len - 1;
  const rangeHeader = headers.range;
  if (opts.acceptRanges !== false && rangeHeader && /^ *bytes=/.test(rangeHeader) &&
      rangeFresh(headers, res.getHeader("ETag") ?? etag, res.getHeader("Last-Modified") ?? lastModified)) {
    const ranges = parseRange(len, rangeHeader, { combine: true });
    if (ranges === -1) {
      const contentRange = "bytes */" + len;
      res.setHeader("Content-Range", contentRange);
      return Object.assign(statusError(416, undefined, "Range Not Satisfiable"), { headers: { "Content-Range": contentRange } });
    }
    if (ranges !== -2 && ranges.length === 1) {
      res.statusCode = 206;
      res.setHeader("Content-Range", `bytes ${ranges[0].start}-${ranges[0].end}/${len}`);
      start = ranges[0].start;
      end = ranges[0].end;
    }
  }
  // (also for HEAD: C++ sends the length and drops the body)
  let bytes = native.readDocument(id) ?? new Uint8Array(0);
  if (start !== 0 || end !== bytes.length - 1) bytes = bytes.slice(start, end + 1);
  res.end(bytes);
  return undefined;
}

export default { sendDocument, fileEtag, fileContentType };

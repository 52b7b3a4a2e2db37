// hbf:express_static — express.static(root, options) (serve-static 1.16)
// over the henv's documents: `root` is a document folder ("public",
// "/public" and "./public" are the same), `_system/` is never served.
// Options as serve-static: index, dotfiles, maxAge, immutable, etag,
// lastModified, cacheControl, acceptRanges, extensions, fallthrough,
// redirect, setHeaders(res, path, info). With `fallthrough` (the default) a
// missing document, a refused dotfile or a bad range calls next(), so the
// app's later routes, then HBF's documents, then Express's 404 page answer.

import native from "hbf:native";
import { escapeHtml } from "hbf:http_common";
import { encodeUrl } from "hbf:http_negotiate";

let sender = null; // hbf:http_send, on first use

function redirectPage(res, loc) {
  const doc = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Redirecting</title>\n" +
    "</head>\n<body>\n<pre>Redirecting to " + escapeHtml(loc) + "</pre>\n</body>\n</html>\n";
  res.statusCode = 301;
  res.setHeader("Content-Type", "text/html; charset=UTF-8");
  res.setHeader("Content-Security-Policy", "default-src 'none'");
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("Location", loc);
  res.end(doc);
}

function badRequest() {
  const err = new Error("Bad Request");
  err.status = err.statusCode = 400;
  return err;
}

function notFound() {
  const err = new Error("Not Found");
  err.status = err.statusCode = 404;
  err.code = "ENOENT";
  return err;
}

/** express.static(root, [options]): a middleware serving documents under `root`. */
export function serveStatic(root, options) {
  if (!root && root !== "") throw new TypeError("root path required");
  if (typeof root !== "string") throw new TypeError("root path must be a string");
  const opts = Object.assign({}, options);
  const fallthrough = opts.fallthrough !== false;
  const redirect = opts.redirect !== false;
  if (opts.setHeaders && typeof opts.setHeaders !== "function") throw new TypeError("option setHeaders must be function");
  opts.maxAge = opts.maxage || opts.maxAge || 0;
  opts.root = root.replace(/^(\.?\/)+/, "");

  return function serveStatic(req, res, next) {
    if (req.method !== "GET" && req.method !== "HEAD") {
      if (fallthrough) return next();
      res.statusCode = 405;
      res.setHeader("Allow", "GET, HEAD");
      res.end();
      return;
    }
    const originalPath = (req.originalUrl || req.url).split("?")[0];
    let path = req.path;
    // (a request for the mount point itself redirects to it with a slash)
    if (path === "/" && !originalPath.endsWith("/")) path = "";
    // An encoded slash names no document (unlike serve-static, which decodes
    // "/a%2Fb" to "a/b"): otherwise "/private%2Fx" would reach "private/x"
    // past an app's router.use("/private", guard), as hbf's own document
    // serving never allows.
    if (/%2f/i.test(path)) return fallthrough ? next() : next(notFound());
    let decoded;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      return fallthrough ? next() : next(badRequest());
    }
    const toDirectory = () => {
      if (!redirect) return next();
      const q = (req.originalUrl || req.url).indexOf("?");
      const search = q === -1 ? "" : (req.originalUrl || req.url).slice(q);
      redirectPage(res, encodeUrl((originalPath + "/").replace(/^\/+/, "/") + search));
    };
    if (decoded === "") {
      if (native.listDocuments(opts.root === "" ? "" : opts.root + "/").length !== 0) return toDirectory();
      return next();
    }
    sender ??= native.loadBuiltin("hbf:http_send");
    sender.sendDocument(req, res, decoded, opts, (err) => {
      if (!err) return;
      if (err.code === "EISDIR" && err.redirectTo) return toDirectory();
      // (serve-static: once the file was found, its errors - 412, 416 - are the app's)
      if (!fallthrough || err.found || !(err.statusCode < 500)) return next(err);
      next();
    });
  };
}

export default serveStatic;

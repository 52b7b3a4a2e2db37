// hbf:node_url — Node's `url`: the WHATWG URL/URLSearchParams of
// hbf:bootstrap, fileURLToPath/pathToFileURL (paths are document paths under
// "/"), urlToHttpOptions, format, and the legacy parse/resolve (a compact
// reimplementation of Node's Url parser for the common cases).

import { URL as BootstrapURL, URLSearchParams as BootstrapURLSearchParams } from "hbf:web_url";
import { resolve as resolvePath } from "hbf:node_path";
import { parse as qsParse, stringify as qsStringify } from "hbf:node_querystring";
import { nodeError, invalidArgType } from "hbf:node_errors";

const URLClass = () => globalThis.URL ?? BootstrapURL;

export function fileURLToPath(path) {
  if (typeof path === "string") path = new (URLClass())(path);
  else if (path === null || typeof path !== "object" || typeof path.href !== "string") {
    throw invalidArgType("path", "of type string or an instance of URL", path);
  }
  if (path.protocol !== "file:") throw nodeError(TypeError, "ERR_INVALID_URL_SCHEME", "The URL must be of scheme file");
  if (path.hostname !== "") {
    throw nodeError(TypeError, "ERR_INVALID_FILE_URL_HOST", 'File URL host must be "localhost" or empty on linux');
  }
  const pathname = path.pathname;
  for (let n = 0; n < pathname.length; n++) {
    if (pathname[n] === "%") {
      const third = pathname.codePointAt(n + 2) | 0x20;
      if (pathname[n + 1] === "2" && third === 102) {
        throw nodeError(TypeError, "ERR_INVALID_FILE_URL_PATH", "File URL path must not include encoded / characters");
      }
    }
  }
  return decodeURIComponent(pathname);
}

export function pathToFileURL(filepath) {
  let resolved = resolvePath(filepath);
  if (filepath.endsWith("/") && !resolved.endsWith("/")) resolved += "/";
  const encoded = resolved.replace(/%/g, "%25").replace(/\\/g, "%5C").replace(/\n/g, "%0A").replace(/\r/g, "%0D")
    .replace(/\t/g, "%09").replace(/#/g, "%23").replace(/\?/g, "%3F");
  return new (URLClass())(`file://${encoded}`);
}

export function urlToHttpOptions(url) {
  const options = {
    __proto__: null,
    protocol: url.protocol,
    hostname: typeof url.hostname === "string" && url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname,
    hash: url.hash,
    search: url.search,
    pathname: url.pathname,
    path: `${url.pathname || ""}${url.search || ""}`,
    href: url.href,
  };
  if (url.port !== "") options.port = Number(url.port);
  if (url.username || url.password) options.auth = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return options;
}

export const domainToASCII = (domain) => {
  try {
    return new (URLClass())(`ws://${domain}`).hostname;
  } catch {
    return "";
  }
};
export const domainToUnicode = (domain) => String(domain);

// ---------------------------------------------------------------------------
// Legacy API

const slashedProtocol = new Set(["http", "http:", "https", "https:", "ftp", "ftp:", "gopher", "gopher:", "file", "file:", "ws", "ws:", "wss", "wss:"]);
const hostlessProtocol = new Set(["javascript", "javascript:"]);

export function Url() {
  this.protocol = null;
  this.slashes = null;
  this.auth = null;
  this.host = null;
  this.port = null;
  this.hostname = null;
  this.hash = null;
  this.search = null;
  this.query = null;
  this.pathname = null;
  this.path = null;
  this.href = null;
}

function autoEscape(s) {
  return s.replace(/[\t\n\r "'<>\\^`{|}]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0"));
}

Url.prototype.parse = function parse(url, parseQueryString, slashesDenoteHost) {
  if (typeof url !== "string") throw invalidArgType("url", "of type string", url);
  let rest = url.trim().replace(/\\/g, "/");
  const hashIdx = rest.indexOf("#");
  if (hashIdx !== -1) {
    this.hash = autoEscape(rest.slice(hashIdx));
    rest = rest.slice(0, hashIdx);
  }
  const qIdx = rest.indexOf("?");
  if (qIdx !== -1) {
    this.search = autoEscape(rest.slice(qIdx));
    this.query = rest.slice(qIdx + 1);
    rest = rest.slice(0, qIdx);
  } else if (parseQueryString) {
    this.search = null;
    this.query = {};
  }
  if (parseQueryString && typeof this.query === "string") this.query = qsParse(this.query);
  const proto = /^([a-z0-9.+-]+:)/i.exec(rest);
  let lowerProto;
  if (proto) {
    lowerProto = proto[0].toLowerCase();
    this.protocol = lowerProto;
    rest = rest.slice(proto[0].length);
  }
  let slashes = false;
  if (slashesDenoteHost || proto || /^\/\/[^@/]+@[^@/]+/.test(rest)) {
    slashes = rest.startsWith("//");
    if (slashes && !(proto && hostlessProtocol.has(lowerProto))) {
      rest = rest.slice(2);
      this.slashes = true;
    }
  }
  if (!hostlessProtocol.has(lowerProto) && (slashes || (proto && !slashedProtocol.has(lowerProto)))) {
    let hostEnd = rest.search(/[/?#]/);
    if (hostEnd === -1) hostEnd = rest.length;
    let host = rest.slice(0, hostEnd);
    const at = host.lastIndexOf("@");
    if (at !== -1) {
      this.auth = decodeURIComponent(host.slice(0, at));
      host = host.slice(at + 1);
    }
    rest = rest.slice(hostEnd);
    const portMatch = /:([0-9]*)$/.exec(host);
    if (portMatch) {
      if (portMatch[1] !== "") this.port = portMatch[1];
      host = host.slice(0, host.length - portMatch[0].length);
    }
    this.hostname = host.toLowerCase();
    this.host = this.hostname + (this.port ? ":" + this.port : "");
    if (this.hostname.startsWith("[") && this.hostname.endsWith("]")) this.hostname = this.hostname.slice(1, -1);
  }
  if (rest !== "") this.pathname = autoEscape(rest);
  if (slashedProtocol.has(lowerProto) && this.hostname && !this.pathname) this.pathname = "/";
  if (this.pathname || this.search) this.path = (this.pathname || "") + (this.search || "");
  this.href = this.format();
  return this;
};

Url.prototype.format = function format() {
  let auth = this.auth || "";
  if (auth) auth = encodeURIComponent(auth).replace(/%3A/i, ":") + "@";
  let protocol = this.protocol || "";
  let pathname = this.pathname || "";
  let hash = this.hash || "";
  let host = "";
  let query = "";
  if (this.host) {
    host = auth + this.host;
  } else if (this.hostname) {
    host = auth + (this.hostname.includes(":") ? `[${this.hostname}]` : this.hostname);
    if (this.port) host += ":" + this.port;
  }
  if (this.query !== null && typeof this.query === "object") query = qsStringify(this.query);
  let search = this.search || (query && "?" + query) || "";
  if (protocol && !protocol.endsWith(":")) protocol += ":";
  if (this.slashes || ((!protocol || slashedProtocol.has(protocol)) && host !== "")) {
    host = "//" + host;
    if (pathname && pathname[0] !== "/") pathname = "/" + pathname;
  } else if (protocol === "file:" && this.slashes !== false) {
    host = "//";
  }
  if (hash && hash[0] !== "#") hash = "#" + hash;
  if (search && search[0] !== "?") search = "?" + search;
  pathname = pathname.replace(/[?#]/g, (c) => encodeURIComponent(c));
  search = search.replace("#", "%23");
  return protocol + host + pathname + search + hash;
};

Url.prototype.resolve = function resolve(relative) {
  return urlResolve(this.href, relative);
};

export function parse(url, parseQueryString, slashesDenoteHost) {
  if (url instanceof Url) return url;
  const u = new Url();
  u.parse(url, parseQueryString, slashesDenoteHost);
  return u;
}

export function format(urlObject, options) {
  if (typeof urlObject === "string") urlObject = parse(urlObject);
  else if (urlObject === null || typeof urlObject !== "object") throw invalidArgType("urlObject", "one of type object or string", urlObject);
  else if (typeof urlObject.href === "string" && typeof urlObject.searchParams === "object" && !(urlObject instanceof Url)) {
    const u = new (URLClass())(urlObject.href);
    if (options?.fragment === false) u.hash = "";
    if (options?.search === false) u.search = "";
    if (options?.auth === false) {
      u.username = "";
      u.password = "";
    }
    return u.href;
  }
  return Url.prototype.format.call(urlObject);
}

export function urlResolve(source, relative) {
  const base = new (URLClass())(source, "resolve://");
  const resolved = new (URLClass())(relative, base);
  if (resolved.protocol === "resolve:") {
    const { pathname, search, hash } = resolved;
    return pathname + search + hash;
  }
  return resolved.toString();
}
export { urlResolve as resolve };

export function resolveObject(source, relative) {
  return parse(urlResolve(source, relative));
}

export { BootstrapURL as URL, BootstrapURLSearchParams as URLSearchParams };

const url = {
  parse, format, resolve: urlResolve, resolveObject, Url, fileURLToPath, pathToFileURL, urlToHttpOptions, domainToASCII,
  domainToUnicode,
};
Object.defineProperty(url, "URL", { get: () => BootstrapURL, enumerable: true });
Object.defineProperty(url, "URLSearchParams", { get: () => BootstrapURLSearchParams, enumerable: true });
export default url;

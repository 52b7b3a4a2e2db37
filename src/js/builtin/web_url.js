// hbf:web_url — URL and URLSearchParams (the WHATWG URL Standard, as
// implemented by Node 20's URL). Installed as globals by hbf:bootstrap. The
// parser and serializer they stand on are hbf:web_url_parse.

import { USERINFO_SET, formEncode, parseFormPairs, percentEncode, wellFormed } from "hbf:web_text";
import { FAILURE } from "hbf:web_url_host";
import { S, basicParse, cannotHaveCredentialsOrPort, hasOpaquePath, serializePath, serializeURL,
  stripTrailingSpacesFromOpaquePath } from "hbf:web_url_parse";

let setParamsList; // (URLSearchParams, list) => void
let bindParams; // (URLSearchParams, URL record holder) => void

export class URLSearchParams {
  #list = [];
  #owner = null; // the URL this object belongs to, if any

  static {
    setParamsList = (params, list) => { params.#list = list; };
    bindParams = (params, owner) => { params.#owner = owner; };
  }

  constructor(init = undefined) {
    if (init === undefined || init === null) return;
    if (typeof init === "object" || typeof init === "function") {
      if (typeof init[Symbol.iterator] === "function") {
        for (const pair of init) {
          if (pair === null || (typeof pair !== "object" && typeof pair !== "function") || typeof pair[Symbol.iterator] !== "function") {
            throw new TypeError("Each query pair must be an iterable [name, value] tuple");
          }
          const p = Array.from(pair);
          if (p.length !== 2) throw new TypeError("Each query pair must be an iterable [name, value] tuple");
          this.#list.push([wellFormed(String(p[0])), wellFormed(String(p[1]))]);
        }
      } else {
        for (const key of Reflect.ownKeys(init)) {
          const desc = Reflect.getOwnPropertyDescriptor(init, key);
          if (desc === undefined || !desc.enumerable) continue;
          if (typeof key === "symbol") throw new TypeError("Cannot convert a Symbol value to a string");
          this.#list.push([wellFormed(key), wellFormed(String(init[key]))]);
        }
      }
      return;
    }
    let s = wellFormed(String(init));
    if (s[0] === "?") s = s.slice(1);
    this.#list = parseFormPairs(s);
  }

  #update() {
    if (this.#owner === null) return;
    const s = this.toString();
    const url = this.#owner;
    url.query = s === "" ? null : s;
    if (s === "") stripTrailingSpacesFromOpaquePath(url);
  }

  get size() { return this.#list.length; }

  // (Each counts its arguments with a rest parameter, not `arguments`, which
  // QuickJS makes as an object at each call; the spec's arities are set
  // back below the class.)
  append(...args) {
    if (args.length < 2) throw new TypeError("append requires 2 arguments");
    const name = args[0], value = args[1];
    this.#list.push([wellFormed(String(name)), wellFormed(String(value))]);
    this.#update();
  }

  delete(...args) {
    if (args.length < 1) throw new TypeError("delete requires 1 argument");
    const name = args[0], value = args[1];
    const n = wellFormed(String(name));
    const v = value === undefined ? undefined : wellFormed(String(value));
    this.#list = this.#list.filter(([k, val]) => !(k === n && (v === undefined || val === v)));
    this.#update();
  }

  get(...args) {
    if (args.length < 1) throw new TypeError("get requires 1 argument");
    const n = wellFormed(String(args[0]));
    const list = this.#list;
    for (let i = 0; i < list.length; i++) if (list[i][0] === n) return list[i][1];
    return null;
  }

  getAll(...args) {
    if (args.length < 1) throw new TypeError("getAll requires 1 argument");
    const n = wellFormed(String(args[0]));
    const out = [];
    for (const [k, v] of this.#list) if (k === n) out.push(v);
    return out;
  }

  has(...args) {
    if (args.length < 1) throw new TypeError("has requires 1 argument");
    const name = args[0], value = args[1];
    const n = wellFormed(String(name));
    const v = value === undefined ? undefined : wellFormed(String(value));
    for (const [k, val] of this.#list) if (k === n && (v === undefined || val === v)) return true;
    return false;
  }

  set(...args) {
    if (args.length < 2) throw new TypeError("set requires 2 arguments");
    const name = args[0], value = args[1];
    const n = wellFormed(String(name));
    const v = wellFormed(String(value));
    const out = [];
    let found = false;
    for (const pair of this.#list) {
      if (pair[0] !== n) out.push(pair);
      else if (!found) {
        found = true;
        out.push([n, v]);
      }
    }
    if (!found) out.push([n, v]);
    this.#list = out;
    this.#update();
  }

  sort() {
    // Stable sort by UTF-16 code units of the name.
    this.#list = this.#list
      .map((pair, i) => [pair, i])
      .sort((a, b) => (a[0][0] < b[0][0] ? -1 : a[0][0] > b[0][0] ? 1 : a[1] - b[1]))
      .map((x) => x[0]);
    this.#update();
  }

  forEach(callback, thisArg = undefined) {
    if (typeof callback !== "function") throw new TypeError("callback must be a function");
    for (let i = 0; i < this.#list.length; i++) {
      const [k, v] = this.#list[i];
      callback.call(thisArg, v, k, this);
    }
  }

  *entries() {
    for (let i = 0; i < this.#list.length; i++) yield [this.#list[i][0], this.#list[i][1]];
  }

  *keys() {
    for (let i = 0; i < this.#list.length; i++) yield this.#list[i][0];
  }

  *values() {
    for (let i = 0; i < this.#list.length; i++) yield this.#list[i][1];
  }

  [Symbol.iterator]() { return this.entries(); }

  toString() {
    let out = "";
    for (const [k, v] of this.#list) {
      if (out !== "") out += "&";
      out += formEncode(k) + "=" + formEncode(v);
    }
    return out;
  }

  get [Symbol.toStringTag]() { return "URLSearchParams"; }
}
for (const [name, length] of [["append", 2], ["delete", 1], ["get", 1], ["getAll", 1], ["has", 1], ["set", 2]]) {
  Object.defineProperty(URLSearchParams.prototype[name], "length", { value: length });
}

export class URL {
  #url;
  #params = null;

  // (a rest parameter, as URLSearchParams' methods; URL.length is set back)
  constructor(...args) {
    if (args.length === 0) throw new TypeError("The \"url\" argument must be specified");
    const url = args[0], base = args[1];
    let baseRecord = null;
    if (base !== undefined) {
      baseRecord = basicParse(String(base), null);
      if (baseRecord === FAILURE) throw invalidURL(base);
    }
    const record = basicParse(String(url), baseRecord);
    if (record === FAILURE) throw invalidURL(url);
    this.#url = record;
  }

  static canParse(url, base = undefined) {
    let baseRecord = null;
    if (base !== undefined) {
      baseRecord = basicParse(String(base), null);
      if (baseRecord === FAILURE) return false;
    }
    return basicParse(String(url), baseRecord) !== FAILURE;
  }

  static parse(url, base = undefined) {
    try {
      return new URL(url, base);
    } catch {
      return null;
    }
  }

  #syncParams() {
    if (this.#params !== null) setParamsList(this.#params, this.#url.query ? parseFormPairs(this.#url.query) : []);
  }

  get href() { return serializeURL(this.#url); }
  set href(value) {
    const record = basicParse(String(value), null);
    if (record === FAILURE) throw invalidURL(value);
    this.#url = record;
    if (this.#params !== null) bindParams(this.#params, record);
    this.#syncParams();
  }

  get origin() {
    const url = this.#url;
    switch (url.scheme) {
      case "blob": {
        const inner = basicParse(serializePath(url), null);
        if (inner !== FAILURE && (inner.scheme === "http" || inner.scheme === "https")) {
          return inner.scheme + "://" + inner.host + (inner.port !== null ? ":" + inner.port : "");
        }
        return "null";
      }
      case "ftp":
      case "http":
      case "https":
      case "ws":
      case "wss":
        return url.scheme + "://" + url.host + (url.port !== null ? ":" + url.port : "");
      default:
        return "null";
    }
  }

  get protocol() { return this.#url.scheme + ":"; }
  set protocol(value) { basicParse(String(value) + ":", null, this.#url, S.SCHEME_START); }

  get username() { return this.#url.username; }
  set username(value) {
    if (cannotHaveCredentialsOrPort(this.#url)) return;
    this.#url.username = percentEncode(wellFormed(String(value)), USERINFO_SET);
  }

  get password() { return this.#url.password; }
  set password(value) {
    if (cannotHaveCredentialsOrPort(this.#url)) return;
    this.#url.password = percentEncode(wellFormed(String(value)), USERINFO_SET);
  }

  get host() {
    const url = this.#url;
    if (url.host === null) return "";
    return url.port === null ? url.host : url.host + ":" + url.port;
  }
  set host(value) {
    if (hasOpaquePath(this.#url)) return;
    basicParse(String(value), null, this.#url, S.HOST);
  }

  get hostname() { return this.#url.host ?? ""; }
  set hostname(value) {
    if (hasOpaquePath(this.#url)) return;
    basicParse(String(value), null, this.#url, S.HOSTNAME);
  }

  get port() { return this.#url.port === null ? "" : String(this.#url.port); }
  set port(value) {
    if (cannotHaveCredentialsOrPort(this.#url)) return;
    const v = String(value);
    if (v === "") this.#url.port = null;
    else basicParse(v, null, this.#url, S.PORT);
  }

  get pathname() { return serializePath(this.#url); }
  set pathname(value) {
    if (hasOpaquePath(this.#url)) return;
    this.#url.path = [];
    basicParse(String(value), null, this.#url, S.PATH_START);
  }

  get search() {
    const q = this.#url.query;
    return q === null || q === "" ? "" : "?" + q;
  }
  set search(value) {
    const url = this.#url;
    const v = String(value);
    if (v === "") {
      url.query = null;
      if (this.#params !== null) setParamsList(this.#params, []);
      stripTrailingSpacesFromOpaquePath(url);
      return;
    }
    const input = v[0] === "?" ? v.slice(1) : v;
    url.query = "";
    basicParse(input, null, url, S.QUERY);
    if (this.#params !== null) setParamsList(this.#params, parseFormPairs(wellFormed(input)));
  }

  get searchParams() {
    if (this.#params === null) {
      this.#params = new URLSearchParams(this.#url.query ?? "");
      bindParams(this.#params, this.#url);
    }
    return this.#params;
  }

  get hash() {
    const f = this.#url.fragment;
    return f === null || f === "" ? "" : "#" + f;
  }
  set hash(value) {
    const url = this.#url;
    const v = String(value);
    if (v === "") {
      url.fragment = null;
      stripTrailingSpacesFromOpaquePath(url);
      return;
    }
    url.fragment = "";
    basicParse(v[0] === "#" ? v.slice(1) : v, null, url, S.FRAGMENT);
  }

  toString() { return serializeURL(this.#url); }
  toJSON() { return serializeURL(this.#url); }
  get [Symbol.toStringTag]() { return "URL"; }
}
Object.defineProperty(URL, "length", { value: 1 });

function invalidURL(input) {
  const err = new TypeError("Invalid URL");
  err.code = "ERR_INVALID_URL";
  err.input = String(input);
  return err;
}


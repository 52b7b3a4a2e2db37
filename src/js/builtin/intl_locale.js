// hbf:intl_locale — what every Intl service of hbf:intl shares: internal
// slots, ECMA-402 option reading, locale lists and their resolution against
// ICU's locales, the prototype helpers, and time zones.

import native from "hbf:native";

const DEFAULT_LOCALE = "en-US";
const MAX_STRING = 256;   // longest locale tag or option string accepted
const MAX_LOCALES = 64;   // longest locale list accepted
const slots = new WeakMap();

function slot(obj, kind, method) {
  const s = typeof obj === "object" && obj !== null ? slots.get(obj) : undefined;
  if (s === undefined || s.kind !== kind) {
    throw new TypeError(`Method Intl.${kind}.prototype.${method} called on incompatible receiver ${describe(obj)}`);
  }
  return s;
}

// An Intl.Locale (its internal slot, as ECMA-402's [[InitializedLocale]]).
function isLocale(v) {
  return typeof v === "object" && v !== null && slots.get(v)?.kind === "Locale";
}

function describe(v) {
  if (typeof v === "string") return v;
  if (v === null || v === undefined || typeof v !== "object") return String(v);
  return "#<Object>";
}

// ---------------------------------------------------------------------------
// Options

function toOptions(options) {
  if (options === undefined) return Object.create(null);
  if (options === null) throw new TypeError("Cannot convert undefined or null to object");
  return Object(options);
}

function getOption(options, prop, type, values, fallback, service) {
  let v = options[prop];
  if (v === undefined) return fallback;
  if (type === "boolean") return Boolean(v);
  v = String(v);
  if (v.length > MAX_STRING) throw new RangeError(`Value ${v.slice(0, 32)}... out of range for ${service} options property ${prop}`);
  if (values !== undefined && !values.includes(v)) throw new RangeError(`Value ${v} out of range for ${service} options property ${prop}`);
  return v;
}

function getNumberOption(options, prop, min, max, fallback) {
  return defaultNumberOption(options[prop], min, max, fallback, prop);
}

function defaultNumberOption(v, min, max, fallback, prop) {
  if (v === undefined) return fallback;
  v = Number(v);
  if (Number.isNaN(v) || v < min || v > max) throw new RangeError(`${prop} value is out of range.`);
  return Math.floor(v);
}

const TYPE_RE = /^[a-z0-9]{3,8}(-[a-z0-9]{3,8})*$/i;

// ---------------------------------------------------------------------------
// Locales

const TAG_RE = /^(?:[a-z]{2,3}|[a-z]{5,8})(?:-[a-z]{4})?(?:-(?:[a-z]{2}|\d{3}))?(?:-(?:[a-z0-9]{5,8}|\d[a-z0-9]{3}))*(?:-[0-9a-wyz](?:-[a-z0-9]{2,8})+)*(?:-x(?:-[a-z0-9]{1,8})+)?$/i;
const canonicalCache = new Map();

function canonicalizeTag(tag) {
  let c = canonicalCache.get(tag);
  if (c !== undefined) return c;
  if (tag.length > MAX_STRING || !TAG_RE.test(tag)) throw new RangeError("Incorrect locale information provided");
  c = native.intlCanonicalizeLocale(tag);
  if (canonicalCache.size > 256) canonicalCache.clear();
  canonicalCache.set(tag, c);
  return c;
}

function canonicalizeLocaleList(locales) {
  if (locales === undefined) return [];
  const out = [];
  const list = typeof locales === "string" || isLocale(locales) ? [locales] : toOptions(locales);
  const len = Math.min(Number(list.length) || 0, 2 ** 32);
  if (len > MAX_LOCALES) throw new RangeError("Intl: too many locales");
  for (let k = 0; k < len; k++) {
    if (!(k in list)) continue;
    const v = list[k];
    if (typeof v !== "string" && (typeof v !== "object" || v === null)) throw new TypeError("Language ID should be string or object.");
    const tag = isLocale(v) ? v.toString() : String(v);
    const c = canonicalizeTag(tag);
    if (!out.includes(c)) out.push(c);
  }
  return out;
}

// The -u- keywords of a canonical tag: { ca: "buddhist", kn: "" ... }.
function unicodeKeywords(tag) {
  const out = Object.create(null);
  const parts = tag.split("-");
  let i = parts.indexOf("u");
  if (i < 0) return out;
  let key = null;
  for (i++; i < parts.length && parts[i].length !== 1; i++) {
    const p = parts[i];
    if (p.length === 2) { key = p; out[key] = ""; }
    else if (key !== null) out[key] = out[key] ? out[key] + "-" + p : p;
  }
  return out;
}

const resolveCache = new Map();
function lookupLocale(tag) {
  let r = resolveCache.get(tag);
  if (r === undefined) {
    r = native.intlResolveLocale(tag);
    if (resolveCache.size > 256) resolveCache.clear();
    resolveCache.set(tag, r);
  }
  return r;
}

// The locale a service uses for `requested`: its base (ICU has data for it)
// and the -u- keywords of the request among `keys`.
function resolveLocale(requested, keys) {
  for (const tag of requested) {
    const base = lookupLocale(tag);
    if (base) {
      const kw = unicodeKeywords(tag);
      const ext = Object.create(null);
      for (const k of keys) if (k in kw) ext[k] = kw[k];
      return { base, ext };
    }
  }
  return { base: DEFAULT_LOCALE, ext: Object.create(null) };
}

function withKeywords(base, kw) {
  const keys = Object.keys(kw).sort();
  if (keys.length === 0) return base;
  return base + "-u-" + keys.map((k) => (kw[k] && kw[k] !== "true" ? `${k}-${kw[k]}` : k)).join("-");
}

function supportedLocalesOf(locales, options) {
  const requested = canonicalizeLocaleList(locales);
  const opts = toOptions(options);
  getOption(opts, "localeMatcher", "string", ["lookup", "best fit"], "best fit", "Intl");
  return requested.filter((tag) => lookupLocale(tag) !== "");
}

function getCanonicalLocales(locales) {
  return canonicalizeLocaleList(locales);
}

function defineMethods(proto, methods) {
  for (const [name, fn] of Object.entries(methods)) {
    Object.defineProperty(proto, name, { value: fn, writable: true, enumerable: false, configurable: true });
  }
}

function defineGetter(proto, name, get) {
  Object.defineProperty(proto, name, { get, enumerable: false, configurable: true });
}

function defineTag(proto, tag) {
  Object.defineProperty(proto, Symbol.toStringTag, { value: tag, configurable: true });
}

// The constructor scripts see for a class that must be called with `new`
// (V8's message, where QuickJS would name class constructors).
function requireNew(Impl, name, length) {
  const ctor = function (a, b) {
    if (new.target === undefined) throw new TypeError(`Constructor Intl.${name} requires 'new'`);
    return Reflect.construct(Impl, [a, b], new.target === ctor ? Impl : new.target);
  };
  Object.defineProperty(ctor, "name", { value: name });
  Object.defineProperty(ctor, "length", { value: length });
  Object.defineProperty(ctor, "prototype", { value: Impl.prototype, writable: false });
  Object.defineProperty(Impl.prototype, "constructor", { value: ctor, writable: true, configurable: true });
  Object.defineProperty(ctor, "supportedLocalesOf", { value: supportedLocalesOf, writable: true, configurable: true });
  return ctor;
}

// ---------------------------------------------------------------------------
// Time zones

let defaultZone = null;
function canonicalZone(name) {
  const c = native.intlCanonicalTimeZone(name);
  if (c === null) return null;
  return c === "Etc/UTC" || c === "Etc/GMT" ? "UTC" : c;
}
function defaultTimeZone() {
  if (defaultZone === null) defaultZone = canonicalZone(native.intlDefaultTimeZone()) || "UTC";
  return defaultZone;
}

// Numbering systems a locale's "nu" keyword or a numberingSystem option may
// name (DateTimeFormat, NumberFormat, RelativeTimeFormat).
const NUMBERING = ["arab", "arabext", "beng", "deva", "fullwide", "gujr", "guru", "hanidec", "khmr", "knda", "laoo", "latn",
  "limb", "mlym", "mong", "mymr", "orya", "tamldec", "telu", "thai", "tibt"];

export {
  NUMBERING, MAX_STRING, slots, slot, describe, toOptions, getOption, getNumberOption, defaultNumberOption, TYPE_RE,
  canonicalizeTag, canonicalizeLocaleList, unicodeKeywords, resolveLocale, withKeywords, supportedLocalesOf,
  getCanonicalLocales, defineMethods, defineGetter, defineTag, requireNew, canonicalZone, defaultTimeZone,
};

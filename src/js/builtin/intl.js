// hbf:intl — the `Intl` global over ICU (hbf:native's intl* functions,
// src/js/natives_intl.cpp), and the locale-sensitive methods of Date,
// Number, BigInt and String that hbf:bootstrap wires to it. Loaded on first
// use. Option processing follows ECMA-402 as V8 (Node 20) implements it, so
// that errors and resolvedOptions() read the same; ICU does the formatting,
// from the same kind of inputs V8 gives it (a date skeleton through the
// pattern generator, a number skeleton).
//
// Offered: DateTimeFormat (hbf:intl_datetime), NumberFormat
// (hbf:intl_number), PluralRules, RelativeTimeFormat, Collator, ListFormat,
// Locale, getCanonicalLocales. Not offered: DisplayNames, Segmenter,
// supportedValuesOf, formatRangeToParts.

import native from "hbf:native";
import {
  MAX_STRING, slots, slot, describe, toOptions, getOption, TYPE_RE, canonicalizeTag, canonicalizeLocaleList,
  unicodeKeywords, resolveLocale, withKeywords, supportedLocalesOf, getCanonicalLocales, defineMethods, defineGetter,
  defineTag, requireNew, NUMBERING,
} from "hbf:intl_locale";
import { DateTimeFormat, createDateTimeFormat } from "hbf:intl_datetime";
import { NumberFormat, digitOptions } from "hbf:intl_number";

// ---------------------------------------------------------------------------
// PluralRules

class PluralRulesImpl {
  constructor(locales, options) {
    const requested = canonicalizeLocaleList(locales);
    const opts = toOptions(options);
    const service = "Intl.PluralRules";
    getOption(opts, "localeMatcher", "string", ["lookup", "best fit"], "best fit", service);
    const type = getOption(opts, "type", "string", ["cardinal", "ordinal"], "cardinal", service);
    const s = { kind: "PluralRules", type };
    const precision = digitOptions(opts, s, 0, 3, "standard");
    const { base } = resolveLocale(requested, []);
    s.locale = base;
    s.formatter = native.intlPluralCreate(base, type === "ordinal", (precision + " rounding-mode-half-up").trim());
    slots.set(this, s);
  }

  select(n) {
    const s = slot(this, "PluralRules", "select");
    return native.intlPluralSelect(s.formatter, Number(n));
  }

  resolvedOptions() {
    const s = slot(this, "PluralRules", "resolvedOptions");
    const out = { locale: s.locale, type: s.type, minimumIntegerDigits: s.minimumIntegerDigits };
    if (s.minimumFractionDigits !== undefined) {
      out.minimumFractionDigits = s.minimumFractionDigits;
      out.maximumFractionDigits = s.maximumFractionDigits;
    }
    if (s.minimumSignificantDigits !== undefined) {
      out.minimumSignificantDigits = s.minimumSignificantDigits;
      out.maximumSignificantDigits = s.maximumSignificantDigits;
    }
    out.pluralCategories = native.intlPluralCategories(s.formatter);  // ICU's order, as V8 gives it
    return out;
  }
}
const PluralRules = requireNew(PluralRulesImpl, "PluralRules", 0);
defineTag(PluralRules.prototype, "Intl.PluralRules");

// ---------------------------------------------------------------------------
// RelativeTimeFormat

const REL_UNITS = ["second", "minute", "hour", "day", "week", "month", "quarter", "year"];

class RelativeTimeFormatImpl {
  constructor(locales, options) {
    const requested = canonicalizeLocaleList(locales);
    const opts = toOptions(options);
    const service = "Intl.RelativeTimeFormat";
    getOption(opts, "localeMatcher", "string", ["lookup", "best fit"], "best fit", service);
    let numberingSystem = getOption(opts, "numberingSystem", "string", undefined, undefined, service);
    if (numberingSystem !== undefined && !TYPE_RE.test(numberingSystem)) throw new RangeError(`Invalid numberingSystem : ${numberingSystem}`);
    const style = getOption(opts, "style", "string", ["long", "short", "narrow"], "long", service);
    const numeric = getOption(opts, "numeric", "string", ["always", "auto"], "always", service);
    const { base, ext } = resolveLocale(requested, ["nu"]);
    const kept = Object.create(null);
    if (numberingSystem === undefined && ext.nu !== undefined && NUMBERING.includes(ext.nu)) { numberingSystem = ext.nu; kept.nu = ext.nu; }
    else if (numberingSystem !== undefined && !NUMBERING.includes(numberingSystem.toLowerCase())) numberingSystem = undefined;
    const icuLocale = numberingSystem ? withKeywords(base, { nu: numberingSystem.toLowerCase() }) : base;
    slots.set(this, {
      kind: "RelativeTimeFormat",
      locale: withKeywords(base, kept),
      style,
      numeric,
      numberingSystem: numberingSystem ? numberingSystem.toLowerCase() : "latn",
      formatter: native.intlRelativeCreate(icuLocale, ["long", "short", "narrow"].indexOf(style)),
    });
  }

  format(value, unit) {
    const s = slot(this, "RelativeTimeFormat", "format");
    return relativeFormat(s, value, unit, false);
  }

  formatToParts(value, unit) {
    const s = slot(this, "RelativeTimeFormat", "formatToParts");
    return relativeFormat(s, value, unit, true);
  }

  resolvedOptions() {
    const s = slot(this, "RelativeTimeFormat", "resolvedOptions");
    return { locale: s.locale, style: s.style, numeric: s.numeric, numberingSystem: s.numberingSystem };
  }
}
const RelativeTimeFormat = requireNew(RelativeTimeFormatImpl, "RelativeTimeFormat", 0);
defineTag(RelativeTimeFormat.prototype, "Intl.RelativeTimeFormat");

function relativeFormat(s, value, unit, parts) {
  const v = Number(value);
  const u = String(unit);
  const single = u.endsWith("s") ? u.slice(0, -1) : u;
  const method = `Intl.RelativeTimeFormat.prototype.${parts ? "formatToParts" : "format"}()`;
  if (!REL_UNITS.includes(single)) throw new RangeError(`Invalid unit argument for ${method} '${u.slice(0, MAX_STRING)}'`);
  if (!Number.isFinite(v)) throw new RangeError(`Value need to be finite number for ${method}`);
  const out = native.intlRelativeFormat(s.formatter, v, single, s.numeric === "always", parts);
  if (!parts) return out;
  return out.map(([type, value]) => (type === "literal" ? { type, value } : { type, value, unit: single }));
}

// ---------------------------------------------------------------------------
// Collator

function createCollator(self, locales, options) {
  const requested = canonicalizeLocaleList(locales);
  const opts = toOptions(options);
  const service = "Intl.Collator";
  const usage = getOption(opts, "usage", "string", ["sort", "search"], "sort", service);
  getOption(opts, "localeMatcher", "string", ["lookup", "best fit"], "best fit", service);
  const collation = getOption(opts, "collation", "string", undefined, undefined, service);
  if (collation !== undefined && !TYPE_RE.test(collation)) throw new RangeError(`Invalid collation : ${collation}`);
  let numeric = getOption(opts, "numeric", "boolean", undefined, undefined, service);
  let caseFirst = getOption(opts, "caseFirst", "string", ["upper", "lower", "false"], undefined, service);
  const { base, ext } = resolveLocale(requested, ["kn", "kf"]);
  const kept = Object.create(null);
  if (numeric === undefined && "kn" in ext) { numeric = ext.kn === "" || ext.kn === "true"; kept.kn = ext.kn; }
  if (caseFirst === undefined && ["upper", "lower", "false"].includes(ext.kf)) { caseFirst = ext.kf; kept.kf = ext.kf; }
  const sensitivity = getOption(opts, "sensitivity", "string", ["base", "accent", "case", "variant"], "variant", service);
  const ignorePunctuation = getOption(opts, "ignorePunctuation", "boolean", undefined, false, service);
  const strength = sensitivity === "base" || sensitivity === "case" ? 0 : sensitivity === "accent" ? 1 : 2;
  const s = {
    kind: "Collator",
    locale: withKeywords(base, kept),
    usage,
    sensitivity,
    ignorePunctuation,
    collation: "default",
    numeric: Boolean(numeric),
    caseFirst: caseFirst ?? "false",
    formatter: native.intlCollatorCreate(usage === "search" ? base + "-u-co-search" : base, strength, sensitivity === "case",
      Boolean(numeric), caseFirst === "upper" ? 1 : caseFirst === "lower" ? 2 : 0, ignorePunctuation),
    bound: undefined,
  };
  slots.set(self, s);
  return self;
}

function Collator(locales, options) {
  const self = new.target === undefined ? Object.create(Collator.prototype) : this;
  return createCollator(self, locales, options);
}

defineMethods(Collator.prototype, {
  resolvedOptions() {
    const s = slot(this, "Collator", "resolvedOptions");
    return { locale: s.locale, usage: s.usage, sensitivity: s.sensitivity, ignorePunctuation: s.ignorePunctuation,
      collation: s.collation, numeric: s.numeric, caseFirst: s.caseFirst };
  },
});
defineGetter(Collator.prototype, "compare", function () {
  const s = slot(this, "Collator", "compare");
  if (s.bound === undefined) {
    const formatter = s.formatter;
    s.bound = (x, y) => native.intlCollatorCompare(formatter, String(x), String(y));
  }
  return s.bound;
});
defineTag(Collator.prototype, "Intl.Collator");
Collator.supportedLocalesOf = supportedLocalesOf;

// ---------------------------------------------------------------------------
// ListFormat

class ListFormatImpl {
  constructor(locales, options) {
    const requested = canonicalizeLocaleList(locales);
    const opts = toOptions(options);
    const service = "Intl.ListFormat";
    getOption(opts, "localeMatcher", "string", ["lookup", "best fit"], "best fit", service);
    const type = getOption(opts, "type", "string", ["conjunction", "disjunction", "unit"], "conjunction", service);
    const style = getOption(opts, "style", "string", ["long", "short", "narrow"], "long", service);
    const { base } = resolveLocale(requested, []);
    slots.set(this, {
      kind: "ListFormat", locale: base, type, style,
      formatter: native.intlListCreate(base, ["conjunction", "disjunction", "unit"].indexOf(type), ["long", "short", "narrow"].indexOf(style)),
    });
  }

  format(list) {
    const s = slot(this, "ListFormat", "format");
    return native.intlListFormat(s.formatter, listStrings(list), false);
  }

  formatToParts(list) {
    const s = slot(this, "ListFormat", "formatToParts");
    return native.intlListFormat(s.formatter, listStrings(list), true).map(([type, value]) => ({ type, value }));
  }

  resolvedOptions() {
    const s = slot(this, "ListFormat", "resolvedOptions");
    return { locale: s.locale, type: s.type, style: s.style };
  }
}
const ListFormat = requireNew(ListFormatImpl, "ListFormat", 0);
defineTag(ListFormat.prototype, "Intl.ListFormat");

function listStrings(list) {
  if (list === undefined) return [];
  const out = [];
  for (const item of list) {
    if (typeof item !== "string") throw new TypeError(`Iterable yielded ${describe(item)} which is not a string`);
    out.push(item);
    if (out.length > 100000) throw new RangeError("Intl.ListFormat: too many items");
  }
  return out;
}

// ---------------------------------------------------------------------------
// Locale

const LOCALE_KEYS = [["calendar", "ca"], ["collation", "co"], ["hourCycle", "hc"], ["caseFirst", "kf"], ["numeric", "kn"], ["numberingSystem", "nu"]];

function subtagsOf(tag) {
  const parts = tag.split("-");
  const out = { language: parts[0], script: undefined, region: undefined, baseEnd: parts.length };
  let i = 1;
  if (i < parts.length && /^[a-z]{4}$/i.test(parts[i])) out.script = parts[i++];
  if (i < parts.length && /^([a-z]{2}|\d{3})$/i.test(parts[i])) out.region = parts[i++];
  while (i < parts.length && parts[i].length > 1) i++;
  out.baseEnd = i;
  out.baseName = parts.slice(0, i).join("-");
  return out;
}

class LocaleImpl {
  constructor(tag, options) {
    if (typeof tag !== "string" && (typeof tag !== "object" || tag === null)) {
      throw new TypeError("First argument to Intl.Locale constructor can't be empty or missing");
    }
    if (tag === "") throw new RangeError("First argument to Intl.Locale constructor can't be empty or missing");
    let t = canonicalizeTag(tag instanceof Locale ? tag.toString() : String(tag));
    const opts = toOptions(options);
    const service = "Intl.Locale";
    const language = getOption(opts, "language", "string", undefined, undefined, service);
    const script = getOption(opts, "script", "string", undefined, undefined, service);
    const region = getOption(opts, "region", "string", undefined, undefined, service);
    if (language !== undefined && !/^([a-z]{2,3}|[a-z]{5,8})$/i.test(language)) throw new RangeError("Incorrect locale information provided");
    if (script !== undefined && !/^[a-z]{4}$/i.test(script)) throw new RangeError("Incorrect locale information provided");
    if (region !== undefined && !/^([a-z]{2}|\d{3})$/i.test(region)) throw new RangeError("Incorrect locale information provided");
    if (language !== undefined || script !== undefined || region !== undefined) {
      const sub = subtagsOf(t);
      const rest = t.split("-").slice(sub.baseEnd);
      const variants = sub.baseName.split("-").filter((p, i) => i > 0 && p !== sub.script && p !== sub.region);
      const baseParts = [language ?? sub.language];
      if (script ?? sub.script) baseParts.push(script ?? sub.script);
      if (region ?? sub.region) baseParts.push(region ?? sub.region);
      t = canonicalizeTag([...baseParts, ...variants, ...rest].join("-"));
    }
    const kw = unicodeKeywords(t);
    let changed = false;
    for (const [prop, key] of LOCALE_KEYS) {
      let v = prop === "numeric" ? getOption(opts, prop, "boolean", undefined, undefined, service) : getOption(opts, prop, "string",
        prop === "hourCycle" ? ["h11", "h12", "h23", "h24"] : prop === "caseFirst" ? ["upper", "lower", "false"] : undefined, undefined, service);
      if (v === undefined) continue;
      v = String(v);
      if (!TYPE_RE.test(v)) throw new RangeError(`Incorrect locale information provided`);
      kw[key] = v;
      changed = true;
    }
    if (changed) {
      const sub = subtagsOf(t);
      const parts = t.split("-");
      const others = [];
      for (let i = sub.baseEnd; i < parts.length;) {
        const single = parts[i];
        let j = i + 1;
        while (j < parts.length && (parts[j].length > 1 || single === "x")) j++;
        if (single !== "u") others.push(parts.slice(i, j).join("-"));
        i = j;
      }
      t = canonicalizeTag(withKeywords(sub.baseName, kw) + (others.length ? "-" + others.join("-") : ""));
    }
    slots.set(this, { kind: "Locale", tag: t });
  }

  toString() {
    return slot(this, "Locale", "toString").tag;
  }

  maximize() {
    return new Locale(native.intlLocaleInfo(slot(this, "Locale", "maximize").tag, "max"));
  }

  minimize() {
    return new Locale(native.intlLocaleInfo(slot(this, "Locale", "minimize").tag, "min"));
  }
}
const Locale = requireNew(LocaleImpl, "Locale", 1);
const localeGetters = {
  baseName: (t) => subtagsOf(t).baseName,
  language: (t) => subtagsOf(t).language,
  script: (t) => subtagsOf(t).script,
  region: (t) => subtagsOf(t).region,
  calendar: (t) => unicodeKeywords(t).ca,
  collation: (t) => unicodeKeywords(t).co,
  hourCycle: (t) => unicodeKeywords(t).hc,
  caseFirst: (t) => unicodeKeywords(t).kf,
  numeric: (t) => { const v = unicodeKeywords(t).kn; return v === "" || v === "true"; },
  numberingSystem: (t) => unicodeKeywords(t).nu,
  weekInfo: (t) => {
    const [firstDay, minimalDays, ...weekend] = native.intlWeekInfo(t);
    return { firstDay, weekend, minimalDays };
  },
};
for (const [name, get] of Object.entries(localeGetters)) {
  defineGetter(Locale.prototype, name, function () { return get(slot(this, "Locale", name).tag); });
}
defineTag(Locale.prototype, "Intl.Locale");

// ---------------------------------------------------------------------------
// The Intl object and the locale-sensitive methods of the built-ins

for (const f of [DateTimeFormat, NumberFormat, Collator]) Object.defineProperty(f, "length", { value: 0 });

export const Intl = {};
Object.defineProperty(Intl, Symbol.toStringTag, { value: "Intl", configurable: true });
const members = { getCanonicalLocales, DateTimeFormat, NumberFormat, Collator, PluralRules, RelativeTimeFormat, ListFormat, Locale };
for (const [name, value] of Object.entries(members)) {
  Object.defineProperty(Intl, name, { value, writable: true, enumerable: false, configurable: true });
}

// Formatters for the default arguments, reused (V8 caches them too).
const defaultFormatters = new Map();
function cachedFormatter(key, make) {
  let f = defaultFormatters.get(key);
  if (f === undefined) {
    f = make();
    if (defaultFormatters.size > 32) defaultFormatters.clear();
    defaultFormatters.set(key, f);
  }
  return f;
}
function simpleKey(locales, options) {
  if (options !== undefined) return null;
  if (locales === undefined) return "";
  return typeof locales === "string" && locales.length <= MAX_STRING ? locales : null;
}

export function dateToLocale(date, locales, options, required, defaults) {
  const t = Date.prototype.getTime.call(date);
  if (Number.isNaN(t)) return "Invalid Date";
  const key = simpleKey(locales, options);
  const make = () => createDateTimeFormat(Object.create(DateTimeFormat.prototype), locales, options, required, defaults);
  const dtf = key === null ? make() : cachedFormatter(`d:${required}:${defaults}:${key}`, make);
  return dtf.format(t);
}

export function numberToLocale(x, locales, options) {
  const key = simpleKey(locales, options);
  const make = () => new NumberFormat(locales, options);
  const nf = key === null ? make() : cachedFormatter(`n:${key}`, make);
  return nf.format(x);
}

export function localeCompare(a, b, locales, options) {
  const key = simpleKey(locales, options);
  const make = () => new Collator(locales, options);
  const c = key === null ? make() : cachedFormatter(`c:${key}`, make);
  return c.compare(a, b);
}

// hbf:intl — the `Intl` global over ICU (hbf:native's intl* functions,
// src/js/natives_intl.cpp), and the locale-sensitive methods of Date,
// Number, BigInt and String that hbf:bootstrap wires to it. Loaded on first
// use. Option processing follows ECMA-402 as V8 (Node 20) implements it, so
// that errors and resolvedOptions() read the same; ICU does the formatting,
// from the same kind of inputs V8 gives it (a date skeleton through the
// pattern generator, a number skeleton).
//
// Offered: DateTimeFormat, NumberFormat, PluralRules, RelativeTimeFormat,
// Collator, ListFormat, Locale, getCanonicalLocales. Not offered:
// DisplayNames, Segmenter, supportedValuesOf, formatRangeToParts.

import * as native from "hbf:native";
import {
  MAX_STRING, slots, slot, describe, toOptions, getOption, getNumberOption, defaultNumberOption, TYPE_RE,
  canonicalizeTag, canonicalizeLocaleList, unicodeKeywords, resolveLocale, withKeywords, supportedLocalesOf,
  getCanonicalLocales, defineMethods, defineGetter, defineTag, requireNew, canonicalZone, defaultTimeZone,
} from "hbf:intl_locale";

// ---------------------------------------------------------------------------
// DateTimeFormat

const CALENDARS = ["buddhist", "chinese", "coptic", "dangi", "ethioaa", "ethiopic", "gregory", "hebrew", "indian", "islamic",
  "islamic-civil", "islamic-rgsa", "islamic-tbla", "islamic-umalqura", "iso8601", "japanese", "persian", "roc"];
const NUMBERING = ["arab", "arabext", "beng", "deva", "fullwide", "gujr", "guru", "hanidec", "khmr", "knda", "laoo", "latn",
  "limb", "mlym", "mong", "mymr", "orya", "tamldec", "telu", "thai", "tibt"];

const DATE_COMPONENTS = [
  ["weekday", ["narrow", "short", "long"], { narrow: "EEEEE", short: "EEE", long: "EEEE" }],
  ["era", ["narrow", "short", "long"], { narrow: "GGGGG", short: "G", long: "GGGG" }],
  ["year", ["2-digit", "numeric"], { "2-digit": "yy", numeric: "y" }],
  ["month", ["2-digit", "numeric", "narrow", "short", "long"], { "2-digit": "MM", numeric: "M", narrow: "MMMMM", short: "MMM", long: "MMMM" }],
  ["day", ["2-digit", "numeric"], { "2-digit": "dd", numeric: "d" }],
  ["dayPeriod", ["narrow", "short", "long"], { narrow: "BBBBB", short: "B", long: "BBBB" }],
  ["hour", ["2-digit", "numeric"], null],
  ["minute", ["2-digit", "numeric"], { "2-digit": "mm", numeric: "m" }],
  ["second", ["2-digit", "numeric"], { "2-digit": "ss", numeric: "s" }],
  ["fractionalSecondDigits", null, null],
  ["timeZoneName", ["short", "long", "shortOffset", "longOffset", "shortGeneric", "longGeneric"],
    { short: "z", long: "zzzz", shortOffset: "O", longOffset: "OOOO", shortGeneric: "v", longGeneric: "vvvv" }],
];
const HOUR_CHAR = { h11: "K", h12: "h", h23: "H", h24: "k" };
const CHAR_HOUR = { K: "h11", h: "h12", H: "h23", k: "h24" };
const STYLES = ["full", "long", "medium", "short"];

const hourCycleCache = new Map();
// The locale's own hour cycle (its "j" pattern's hour symbol).
function localeHourCycle(locale) {
  let hc = hourCycleCache.get(locale);
  if (hc === undefined) {
    const f = native.intlDateTimeCreate(locale, "j", -1, -1, "UTC", "");
    const m = /[hHkK]/.exec(stripQuoted(native.intlDateTimePattern(f)));
    hc = m ? CHAR_HOUR[m[0]] : "h23";
    if (hourCycleCache.size > 64) hourCycleCache.clear();
    hourCycleCache.set(locale, hc);
  }
  return hc;
}

function stripQuoted(pattern) {
  return pattern.replace(/'[^']*'/g, "");
}

// resolvedOptions' fields as V8 reads them back from the ICU pattern.
function fieldsOfPattern(pattern) {
  const out = Object.create(null);
  const re = /'[^']*'|([a-zA-Z])\1*/g;
  let m;
  while ((m = re.exec(pattern)) !== null) {
    if (m[1] === undefined) continue;
    const c = m[1];
    const n = m[0].length;
    const text = n === 4 ? "long" : n === 5 ? "narrow" : "short";
    switch (c) {
      case "G": out.era = text; break;
      case "y": case "u": case "U": out.year = n === 2 ? "2-digit" : "numeric"; break;
      case "M": case "L": out.month = n === 1 ? "numeric" : n === 2 ? "2-digit" : text; break;
      case "d": out.day = n === 2 ? "2-digit" : "numeric"; break;
      case "E": case "c": case "e": out.weekday = text; break;
      case "h": case "H": case "k": case "K":
        out.hour = n === 2 ? "2-digit" : "numeric";
        out.hourCycle = CHAR_HOUR[c];
        break;
      case "m": out.minute = n === 2 ? "2-digit" : "numeric"; break;
      case "s": out.second = n === 2 ? "2-digit" : "numeric"; break;
      case "S": out.fractionalSecondDigits = n; break;
      case "B": case "b": out.dayPeriod = text; break;
      case "z": out.timeZoneName = n === 4 ? "long" : "short"; break;
      case "O": out.timeZoneName = n === 4 ? "longOffset" : "shortOffset"; break;
      case "v": out.timeZoneName = n === 4 ? "longGeneric" : "shortGeneric"; break;
      case "V": case "Z": case "X": case "x": out.timeZoneName = "short"; break;
      default: break;
    }
  }
  return out;
}

function createDateTimeFormat(self, locales, options, required, defaults) {
  const requested = canonicalizeLocaleList(locales);
  const opts = toOptions(options);
  const service = "Intl.DateTimeFormat";
  getOption(opts, "localeMatcher", "string", ["lookup", "best fit"], "best fit", service);
  let calendar = getOption(opts, "calendar", "string", undefined, undefined, service);
  if (calendar !== undefined && !TYPE_RE.test(calendar)) throw new RangeError(`Invalid calendar : ${calendar}`);
  let numberingSystem = getOption(opts, "numberingSystem", "string", undefined, undefined, service);
  if (numberingSystem !== undefined && !TYPE_RE.test(numberingSystem)) throw new RangeError(`Invalid numberingSystem : ${numberingSystem}`);
  const hour12 = getOption(opts, "hour12", "boolean", undefined, undefined, service);
  let hourCycle = getOption(opts, "hourCycle", "string", ["h11", "h12", "h23", "h24"], undefined, service);
  if (hour12 !== undefined) hourCycle = null;
  let timeZone = opts.timeZone;
  if (timeZone === undefined) {
    timeZone = defaultTimeZone();
  } else {
    const name = String(timeZone);
    const c = name.length <= MAX_STRING ? canonicalZone(name) : null;
    if (c === null) throw new RangeError(`Invalid time zone specified: ${name.length <= MAX_STRING ? name : name.slice(0, 32) + "..."}`);
    timeZone = c;
  }
  const fields = Object.create(null);
  for (const [prop, values] of DATE_COMPONENTS) {
    if (prop === "fractionalSecondDigits") {
      const v = getNumberOption(opts, prop, 1, 3, undefined);
      if (v !== undefined) fields[prop] = v;
    } else {
      const v = getOption(opts, prop, "string", values, undefined, service);
      if (v !== undefined) fields[prop] = v;
    }
  }
  getOption(opts, "formatMatcher", "string", ["basic", "best fit"], "best fit", service);
  const dateStyle = getOption(opts, "dateStyle", "string", STYLES, undefined, service);
  const timeStyle = getOption(opts, "timeStyle", "string", STYLES, undefined, service);
  if (dateStyle !== undefined || timeStyle !== undefined) {
    for (const prop in fields) {
      throw new TypeError(`Can't set option ${prop} when ${dateStyle !== undefined ? "dateStyle" : "timeStyle"} is used`);
    }
    if (required === "date" && timeStyle !== undefined && dateStyle === undefined) throw new TypeError("Invalid option : timeStyle");
    if (required === "time" && dateStyle !== undefined && timeStyle === undefined) throw new TypeError("Invalid option : dateStyle");
  } else {
    let needDefaults = true;
    if (required === "date" || required === "any") {
      for (const p of ["weekday", "year", "month", "day"]) if (p in fields) needDefaults = false;
    }
    if (required === "time" || required === "any") {
      for (const p of ["dayPeriod", "hour", "minute", "second", "fractionalSecondDigits"]) if (p in fields) needDefaults = false;
    }
    if (needDefaults && (defaults === "date" || defaults === "all")) {
      fields.year = "numeric"; fields.month = "numeric"; fields.day = "numeric";
    }
    if (needDefaults && (defaults === "time" || defaults === "all")) {
      fields.hour = "numeric"; fields.minute = "numeric"; fields.second = "numeric";
    }
  }

  const { base, ext } = resolveLocale(requested, ["ca", "hc", "nu"]);
  const kept = Object.create(null);
  if (calendar === undefined && ext.ca !== undefined && CALENDARS.includes(ext.ca)) { calendar = ext.ca; kept.ca = ext.ca; }
  else if (calendar !== undefined && !CALENDARS.includes(calendar.toLowerCase())) calendar = undefined;
  if (calendar === "gregorian") calendar = "gregory";
  if (numberingSystem === undefined && ext.nu !== undefined && NUMBERING.includes(ext.nu)) { numberingSystem = ext.nu; kept.nu = ext.nu; }
  else if (numberingSystem !== undefined && !NUMBERING.includes(numberingSystem.toLowerCase())) numberingSystem = undefined;
  if (hour12 === undefined && hourCycle === undefined && ext.hc !== undefined && HOUR_CHAR[ext.hc] !== undefined) {
    hourCycle = ext.hc;
    kept.hc = ext.hc;
  }
  const icuKeywords = Object.create(null);
  if (calendar !== undefined) icuKeywords.ca = calendar.toLowerCase();
  if (numberingSystem !== undefined) icuKeywords.nu = numberingSystem.toLowerCase();
  const icuLocale = withKeywords(base, icuKeywords);

  const usesHour = "hour" in fields || timeStyle !== undefined;
  let hc = "";
  if (usesHour) {
    if (hour12 !== undefined) {
      const def = localeHourCycle(icuLocale);
      const zeroBased = def === "h11" || def === "h23";
      hc = hour12 ? (zeroBased ? "h11" : "h12") : (zeroBased ? "h23" : "h24");
    } else if (hourCycle) {
      hc = hourCycle;
    }
  }
  let skeleton = "";
  if (dateStyle === undefined && timeStyle === undefined) {
    for (const [prop, , chars] of DATE_COMPONENTS) {
      const v = fields[prop];
      if (v === undefined) continue;
      if (prop === "hour") {
        const ch = hc ? HOUR_CHAR[hc] : "j";
        skeleton += v === "2-digit" ? ch + ch : ch;
      } else if (prop === "fractionalSecondDigits") {
        skeleton += "S".repeat(v);
      } else {
        skeleton += chars[v];
      }
    }
  }
  const styleIndex = (s) => (s === undefined ? -1 : STYLES.indexOf(s));
  const formatter = native.intlDateTimeCreate(icuLocale, skeleton, styleIndex(dateStyle), styleIndex(timeStyle), timeZone,
    hc ? HOUR_CHAR[hc] : "");
  const pattern = native.intlDateTimePattern(formatter);
  slots.set(self, {
    kind: "DateTimeFormat",
    formatter,
    locale: withKeywords(base, kept),
    icuLocale,
    calendar: calendar ? calendar.toLowerCase() : "gregory",
    numberingSystem: numberingSystem ? numberingSystem.toLowerCase() : "latn",
    timeZone,
    pattern,
    dateStyle,
    timeStyle,
    bound: undefined,
  });
  return self;
}

function timeValue(date) {
  const x = date === undefined ? Date.now() : Number(date);
  if (!Number.isFinite(x) || Math.abs(x) > 8.64e15) throw new RangeError("Invalid time value");
  return x;
}

function DateTimeFormat(locales, options) {
  const self = new.target === undefined ? Object.create(DateTimeFormat.prototype) : this;
  return createDateTimeFormat(self, locales, options, "any", "date");
}

defineMethods(DateTimeFormat.prototype, {
  formatToParts(date) {
    const s = slot(this, "DateTimeFormat", "formatToParts");
    return native.intlDateTimeFormat(s.formatter, timeValue(date), true).map(([type, value]) => ({ type, value }));
  },
  formatRange(startDate, endDate) {
    const s = slot(this, "DateTimeFormat", "formatRange");
    if (startDate === undefined || endDate === undefined) throw new TypeError("Invalid time value");
    return native.intlDateTimeRange(s.formatter, s.icuLocale, timeValue(startDate), timeValue(endDate));
  },
  resolvedOptions() {
    const s = slot(this, "DateTimeFormat", "resolvedOptions");
    const f = fieldsOfPattern(s.pattern);
    const out = { locale: s.locale, calendar: s.calendar, numberingSystem: s.numberingSystem, timeZone: s.timeZone };
    if (f.hourCycle !== undefined && (s.dateStyle === undefined || s.timeStyle !== undefined)) {
      out.hourCycle = f.hourCycle;
      out.hour12 = f.hourCycle === "h11" || f.hourCycle === "h12";
    }
    if (s.dateStyle === undefined && s.timeStyle === undefined) {
      for (const [prop] of DATE_COMPONENTS) if (f[prop] !== undefined) out[prop] = f[prop];
    }
    if (s.dateStyle !== undefined) out.dateStyle = s.dateStyle;
    if (s.timeStyle !== undefined) out.timeStyle = s.timeStyle;
    return out;
  },
});
defineGetter(DateTimeFormat.prototype, "format", function () {
  const s = slot(this, "DateTimeFormat", "format");
  if (s.bound === undefined) {
    const formatter = s.formatter;
    s.bound = (date) => native.intlDateTimeFormat(formatter, timeValue(date), false);
  }
  return s.bound;
});
defineTag(DateTimeFormat.prototype, "Intl.DateTimeFormat");
DateTimeFormat.supportedLocalesOf = supportedLocalesOf;

// ---------------------------------------------------------------------------
// NumberFormat

const CURRENCY_DIGITS = {
  BHD: 3, BIF: 0, CLF: 4, CLP: 0, DJF: 0, GNF: 0, IQD: 3, ISK: 0, JOD: 3, JPY: 0, KMF: 0, KRW: 0, KWD: 3, LYD: 3,
  OMR: 3, PYG: 0, RWF: 0, TND: 3, UGX: 0, UYI: 0, UYW: 4, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
};
const SIMPLE_UNITS = ["acre", "bit", "byte", "celsius", "centimeter", "day", "degree", "fahrenheit", "fluid-ounce", "foot",
  "gallon", "gigabit", "gigabyte", "gram", "hectare", "hour", "inch", "kilobit", "kilobyte", "kilogram", "kilometer", "liter",
  "megabit", "megabyte", "meter", "microsecond", "mile", "mile-scandinavian", "milliliter", "millimeter", "millisecond",
  "minute", "month", "nanosecond", "ounce", "percent", "petabyte", "pound", "second", "stone", "terabit", "terabyte", "week",
  "yard", "year"];
const ROUNDING_MODES = { ceil: "ceiling", floor: "floor", expand: "up", trunc: "down", halfCeil: "half-ceiling",
  halfFloor: "half-floor", halfExpand: "half-up", halfTrunc: "half-down", halfEven: "half-even" };

function isWellFormedUnit(unit) {
  if (SIMPLE_UNITS.includes(unit)) return true;
  const i = unit.indexOf("-per-");
  return i > 0 && SIMPLE_UNITS.includes(unit.slice(0, i)) && SIMPLE_UNITS.includes(unit.slice(i + 5));
}

// SetNumberFormatDigitOptions (ECMA-402 2023) into `s`; the precision part
// of an ICU skeleton.
function digitOptions(opts, s, mnfdDefault, mxfdDefault, notation) {
  s.minimumIntegerDigits = getNumberOption(opts, "minimumIntegerDigits", 1, 21, 1);
  const mnfd = opts.minimumFractionDigits;
  const mxfd = opts.maximumFractionDigits;
  const mnsd = opts.minimumSignificantDigits;
  const mxsd = opts.maximumSignificantDigits;
  const hasSd = mnsd !== undefined || mxsd !== undefined;
  const hasFd = mnfd !== undefined || mxfd !== undefined;
  const needSd = hasSd;
  const needFd = !(needSd || (!hasFd && notation === "compact"));
  s.roundingPriority = "auto";
  if (needSd) {
    s.minimumSignificantDigits = defaultNumberOption(mnsd, 1, 21, 1, "minimumSignificantDigits");
    s.maximumSignificantDigits = defaultNumberOption(mxsd, s.minimumSignificantDigits, 21, 21, "maximumSignificantDigits");
  }
  if (needFd) {
    if (hasFd) {
      let mn = defaultNumberOption(mnfd, 0, 100, undefined, "minimumFractionDigits");
      let mx = defaultNumberOption(mxfd, 0, 100, undefined, "maximumFractionDigits");
      if (mn === undefined) mn = Math.min(mnfdDefault, mx);
      else if (mx === undefined) mx = Math.max(mxfdDefault, mn);
      else if (mn > mx) throw new RangeError("maximumFractionDigits value is out of range.");
      s.minimumFractionDigits = mn;
      s.maximumFractionDigits = mx;
    } else {
      s.minimumFractionDigits = mnfdDefault;
      s.maximumFractionDigits = mxfdDefault;
    }
  }
  let skeleton = "";
  if (!needSd && !needFd) {
    s.minimumFractionDigits = 0;
    s.maximumFractionDigits = 0;
    s.minimumSignificantDigits = 1;
    s.maximumSignificantDigits = 2;
    s.roundingPriority = "morePrecision";
  } else if (needSd) {
    skeleton = "@".repeat(s.minimumSignificantDigits) + "#".repeat(s.maximumSignificantDigits - s.minimumSignificantDigits);
  } else if (s.maximumFractionDigits === 0) {
    skeleton = "precision-integer";
  } else {
    skeleton = "." + "0".repeat(s.minimumFractionDigits) + "#".repeat(s.maximumFractionDigits - s.minimumFractionDigits);
  }
  if (s.minimumIntegerDigits > 1) skeleton += " integer-width/*" + "0".repeat(s.minimumIntegerDigits);
  return skeleton.trim();
}

function createNumberFormat(self, locales, options) {
  const requested = canonicalizeLocaleList(locales);
  const opts = toOptions(options);
  const service = "Intl.NumberFormat";
  getOption(opts, "localeMatcher", "string", ["lookup", "best fit"], "best fit", service);
  let numberingSystem = getOption(opts, "numberingSystem", "string", undefined, undefined, service);
  if (numberingSystem !== undefined && !TYPE_RE.test(numberingSystem)) throw new RangeError(`Invalid numberingSystem : ${numberingSystem}`);
  const { base, ext } = resolveLocale(requested, ["nu"]);
  const kept = Object.create(null);
  if (numberingSystem === undefined && ext.nu !== undefined && NUMBERING.includes(ext.nu)) { numberingSystem = ext.nu; kept.nu = ext.nu; }
  else if (numberingSystem !== undefined && !NUMBERING.includes(numberingSystem.toLowerCase())) numberingSystem = undefined;

  const s = { kind: "NumberFormat", locale: withKeywords(base, kept), numberingSystem: numberingSystem ? numberingSystem.toLowerCase() : "latn" };
  s.style = getOption(opts, "style", "string", ["decimal", "percent", "currency", "unit"], "decimal", service);
  let currency = getOption(opts, "currency", "string", undefined, undefined, service);
  if (currency !== undefined && !/^[a-zA-Z]{3}$/.test(currency)) throw new RangeError(`Invalid currency code : ${currency}`);
  const currencyDisplay = getOption(opts, "currencyDisplay", "string", ["code", "symbol", "narrowSymbol", "name"], "symbol", service);
  const currencySign = getOption(opts, "currencySign", "string", ["standard", "accounting"], "standard", service);
  const unit = getOption(opts, "unit", "string", undefined, undefined, service);
  if (unit !== undefined && !isWellFormedUnit(unit)) throw new RangeError(`Invalid unit argument for Intl.NumberFormat() '${unit}'`);
  const unitDisplay = getOption(opts, "unitDisplay", "string", ["short", "narrow", "long"], "short", service);
  if (s.style === "currency" && currency === undefined) throw new TypeError("Currency code is required with currency style.");
  if (s.style === "unit" && unit === undefined) throw new TypeError("Unit is required with unit style.");
  const parts = [];
  if (s.style === "currency") {
    currency = currency.toUpperCase();
    s.currency = currency;
    s.currencyDisplay = currencyDisplay;
    s.currencySign = currencySign;
    parts.push("currency/" + currency);
    if (currencyDisplay === "code") parts.push("unit-width-iso-code");
    else if (currencyDisplay === "name") parts.push("unit-width-full-name");
    else if (currencyDisplay === "narrowSymbol") parts.push("unit-width-narrow");
  } else if (s.style === "percent") {
    parts.push("percent scale/100");
  } else if (s.style === "unit") {
    s.unit = unit;
    s.unitDisplay = unitDisplay;
    parts.push(unit === "percent" ? "percent" : "unit/" + unit);
    parts.push(unitDisplay === "long" ? "unit-width-full-name" : unitDisplay === "narrow" ? "unit-width-narrow" : "unit-width-short");
  }
  const notation = getOption(opts, "notation", "string", ["standard", "scientific", "engineering", "compact"], "standard", service);
  let mnfdDefault = 0;
  let mxfdDefault = 3;
  if (s.style === "currency" && notation === "standard") {
    const d = CURRENCY_DIGITS[currency] ?? 2;
    mnfdDefault = d;
    mxfdDefault = d;
  } else if (s.style === "percent") {
    mxfdDefault = 0;
  }
  const precision = digitOptions(opts, s, mnfdDefault, mxfdDefault, notation);
  const roundingIncrement = getNumberOption(opts, "roundingIncrement", 1, 5000, 1);
  if (![1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000].includes(roundingIncrement)) {
    throw new RangeError("roundingIncrement value is out of range.");
  }
  const roundingMode = getOption(opts, "roundingMode", "string", Object.keys(ROUNDING_MODES), "halfExpand", service);
  const roundingPriority = getOption(opts, "roundingPriority", "string", ["auto", "morePrecision", "lessPrecision"], "auto", service);
  const trailingZeroDisplay = getOption(opts, "trailingZeroDisplay", "string", ["auto", "stripIfInteger"], "auto", service);
  const compactDisplay = getOption(opts, "compactDisplay", "string", ["short", "long"], "short", service);
  const defaultGrouping = notation === "compact" ? "min2" : "auto";
  let useGrouping = opts.useGrouping;
  if (useGrouping === undefined) useGrouping = defaultGrouping;
  else if (useGrouping === true) useGrouping = "always";
  else if (useGrouping === false || useGrouping === null || useGrouping === 0 || useGrouping === "") useGrouping = false;
  else {
    useGrouping = String(useGrouping);
    if (useGrouping === "true" || useGrouping === "false") useGrouping = defaultGrouping;
    else if (!["min2", "auto", "always"].includes(useGrouping)) {
      throw new RangeError(`Value ${useGrouping.slice(0, MAX_STRING)} out of range for Intl.NumberFormat options property useGrouping`);
    }
  }
  const signDisplay = getOption(opts, "signDisplay", "string", ["auto", "never", "always", "exceptZero", "negative"], "auto", service);

  if (precision) {
    // "/w": trailing zeros go when the number is an integer.
    const strip = trailingZeroDisplay === "stripIfInteger" && /^[.@]/.test(precision);
    parts.push(strip ? precision.replace(/^(\S+)/, "$1/w") : precision);
  }
  if (notation === "scientific") parts.push("scientific");
  else if (notation === "engineering") parts.push("engineering");
  else if (notation === "compact") parts.push(compactDisplay === "long" ? "compact-long" : "compact-short");
  if (useGrouping === false) parts.push("group-off");
  else if (useGrouping === "always") parts.push("group-on-aligned");
  else if (useGrouping === "min2") parts.push("group-min2");
  const accounting = s.style === "currency" && currencySign === "accounting";
  const signs = accounting
    ? { auto: "sign-accounting", never: "sign-never", always: "sign-accounting-always", exceptZero: "sign-accounting-except-zero", negative: "sign-accounting-negative" }
    : { auto: "", never: "sign-never", always: "sign-always", exceptZero: "sign-except-zero", negative: "sign-negative" };
  if (signs[signDisplay]) parts.push(signs[signDisplay]);
  parts.push("rounding-mode-" + ROUNDING_MODES[roundingMode]);
  if (numberingSystem !== undefined) parts.push("numbering-system/" + s.numberingSystem);
  s.useGrouping = useGrouping;
  s.notation = notation;
  if (notation === "compact") s.compactDisplay = compactDisplay;
  s.signDisplay = signDisplay;
  s.roundingMode = roundingMode;
  s.roundingIncrement = roundingIncrement;
  s.trailingZeroDisplay = trailingZeroDisplay;
  if (s.roundingPriority === "auto") s.roundingPriority = roundingPriority;
  s.skeleton = parts.join(" ").replace(/\s+/g, " ").trim();
  s.formatter = native.intlNumberCreate(base, s.skeleton);
  s.bound = undefined;
  slots.set(self, s);
  return self;
}

const DECIMAL_RE = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
// ToIntlMathematicalValue: BigInts and numeric strings stay exact.
function mathValue(x) {
  if (typeof x === "bigint") return x.toString();
  if (typeof x === "string") {
    const t = x.trim();
    if (t.length <= 1000 && DECIMAL_RE.test(t)) return t;
    return Number(t);
  }
  return Number(x);
}

function NumberFormat(locales, options) {
  const self = new.target === undefined ? Object.create(NumberFormat.prototype) : this;
  return createNumberFormat(self, locales, options);
}

const NF_RESOLVED = ["locale", "numberingSystem", "style", "currency", "currencyDisplay", "currencySign", "unit", "unitDisplay",
  "minimumIntegerDigits", "minimumSignificantDigits", "maximumSignificantDigits", "minimumFractionDigits", "maximumFractionDigits",
  "useGrouping", "notation", "compactDisplay", "signDisplay", "roundingMode", "roundingIncrement", "trailingZeroDisplay", "roundingPriority"];

defineMethods(NumberFormat.prototype, {
  formatToParts(x) {
    const s = slot(this, "NumberFormat", "formatToParts");
    return native.intlNumberFormat(s.formatter, mathValue(x), true).map(([type, value]) => ({ type, value }));
  },
  resolvedOptions() {
    const s = slot(this, "NumberFormat", "resolvedOptions");
    const out = {};
    for (const k of NF_RESOLVED) if (s[k] !== undefined) out[k] = s[k];
    return out;
  },
});
defineGetter(NumberFormat.prototype, "format", function () {
  const s = slot(this, "NumberFormat", "format");
  if (s.bound === undefined) {
    const formatter = s.formatter;
    s.bound = (x) => native.intlNumberFormat(formatter, mathValue(x), false);
  }
  return s.bound;
});
defineTag(NumberFormat.prototype, "Intl.NumberFormat");
NumberFormat.supportedLocalesOf = supportedLocalesOf;

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

// hbf:intl_datetime — Intl.DateTimeFormat for hbf:intl: ECMA-402's option
// processing as V8 does it, a skeleton from the options, ICU's pattern
// generator for the locale's pattern (hbf:native's intlDateTime*), and the
// formatter Date.prototype.toLocale*String use.

import native from "hbf:native";
import {
  MAX_STRING, slots, slot, toOptions, getOption, getNumberOption, TYPE_RE, canonicalizeLocaleList, resolveLocale,
  withKeywords, supportedLocalesOf, defineMethods, defineGetter, defineTag, canonicalZone, defaultTimeZone,
  NUMBERING,
} from "hbf:intl_locale";

// ---------------------------------------------------------------------------
// DateTimeFormat

const CALENDARS = ["buddhist", "chinese", "coptic", "dangi", "ethioaa", "ethiopic", "gregory", "hebrew", "indian", "islamic",
  "islamic-civil", "islamic-rgsa", "islamic-tbla", "islamic-umalqura", "iso8601", "japanese", "persian", "roc"];

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

export { DateTimeFormat, createDateTimeFormat };

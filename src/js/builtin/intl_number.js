// hbf:intl_number — Intl.NumberFormat for hbf:intl: ECMA-402's option
// processing as V8 does it, an ICU number skeleton from the options
// (hbf:native's intlNumber*), exact BigInt and decimal-string input; its
// digit options are shared with PluralRules.

import native from "hbf:native";
import {
  MAX_STRING, slots, slot, toOptions, getOption, getNumberOption, defaultNumberOption, TYPE_RE,
  canonicalizeLocaleList, resolveLocale, withKeywords, supportedLocalesOf, defineMethods, defineGetter, defineTag,
  NUMBERING,
} from "hbf:intl_locale";

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

export { NumberFormat, digitOptions };

// hbf:native's ICU functions (see natives_intl.h); their shared helpers are
// in intl_support.{h,cpp}, the only other file that includes ICU's headers.
// hbf:intl (src/js/builtin/intl.js) is the JS half.
#include "js/natives_intl.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <new>
#include <set>
#include <string>
#include <vector>

#include <unicode/ucal.h>
#include <unicode/ucol.h>
#include <unicode/udat.h>
#include <unicode/udateintervalformat.h>
#include <unicode/udatpg.h>
#include <unicode/uenum.h>
#include <unicode/ufieldpositer.h>
#include <unicode/uformattedvalue.h>
#include <unicode/ulistformatter.h>
#include <unicode/uloc.h>
#include <unicode/unumberformatter.h>
#include <unicode/upluralrules.h>
#include <unicode/ureldatefmt.h>
#include <unicode/ustring.h>
#include <unicode/uversion.h>

#include "js/icu_version.h"
#include "js/intl_support.h"
#include "js/js_values.h"

namespace hbf::js {

std::string IcuVersion() {
  UVersionInfo v;
  u_getVersion(v);
  char text[U_MAX_VERSION_STRING_LENGTH];
  u_versionToString(v, text);
  return text;
}

std::string IcuTzdataVersion() {
  if (!internal::intl::EnsureIcuData()) return "unavailable";
  UErrorCode st = U_ZERO_ERROR;
  const char* v = ucal_getTZDataVersion(&st);
  return U_SUCCESS(st) && v != nullptr ? v : "unknown";
}

}  // namespace hbf::js

namespace hbf::js::internal {

using namespace intl;  // NOLINT(google-build-using-namespace): this file's helpers

JSValue NativeIcuVersion(JSContext* ctx, JSValueConst, int, JSValueConst*) {
  std::string v = IcuVersion();
  return JS_NewStringLen(ctx, v.data(), v.size());
}

// intlCanonicalizeLocale(tag): the canonical BCP 47 form; RangeError for a
// tag ICU does not read whole.
JSValue NativeIntlCanonicalizeLocale(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  if (!EnsureIcuData()) return JS_ThrowInternalError(ctx, "ICU data unavailable");
  std::string id;
  if (!ArgLocale(ctx, argc, argv, 0, id)) return JS_EXCEPTION;
  std::string tag = LanguageTag(id.c_str());
  if (tag.empty()) {
    return JS_ThrowRangeError(ctx, "Incorrect locale information provided");
  }
  return JS_NewStringLen(ctx, tag.data(), tag.size());
}

// intlResolveLocale(tag): the longest prefix of `tag` (without extensions)
// that ICU has data for, or "" when none.
JSValue NativeIntlResolveLocale(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  if (!EnsureIcuData()) return JS_ThrowInternalError(ctx, "ICU data unavailable");
  std::string tag;
  if (!ArgString(ctx, argc, argv, 0, tag)) return JS_EXCEPTION;
  for (const char* ext : {"-u-", "-x-", "-t-"}) {
    if (auto at = tag.find(ext); at != std::string::npos) tag.resize(at);
  }
  const auto& available = AvailableLocales();
  while (!tag.empty()) {
    if (available.count(tag) != 0) return JS_NewStringLen(ctx, tag.data(), tag.size());
    auto dash = tag.rfind('-');
    if (dash == std::string::npos) break;
    tag.resize(dash);
    // A lone singleton left at the end is no locale.
    if (auto d2 = tag.rfind('-'); d2 != std::string::npos && tag.size() - d2 == 2) tag.resize(d2);
  }
  return JS_NewString(ctx, "");
}

JSValue NativeIntlDefaultTimeZone(JSContext* ctx, JSValueConst, int, JSValueConst*) {
  if (!EnsureIcuData()) return JS_ThrowInternalError(ctx, "ICU data unavailable");
  UString zone;
  if (!FillUString(zone, [](UChar* b, int32_t c, UErrorCode* st) { return ucal_getDefaultTimeZone(b, c, st); })) {
    return JS_NewString(ctx, "UTC");
  }
  return NewJsString(ctx, U(zone), ULen(zone));
}

// intlCanonicalTimeZone(name): the canonical ID of an IANA zone named in any
// case, or null when ICU knows no such zone (custom "GMT+5" IDs included).
JSValue NativeIntlCanonicalTimeZone(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  if (!EnsureIcuData()) return JS_ThrowInternalError(ctx, "ICU data unavailable");
  std::string name;
  if (!ArgString(ctx, argc, argv, 0, name)) return JS_EXCEPTION;
  std::string lower = name;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto& zones = ZonesByLowerName();
  auto it = zones.find(lower);
  if (it == zones.end()) return Null();
  UString in = ToUString(it->second);
  UString out;
  UBool system = 0;
  if (!FillUString(out, [&](UChar* b, int32_t c, UErrorCode* st) {
        return ucal_getCanonicalTimeZoneID(U(in), ULen(in), b, c, &system, st);
      }) || !system) {
    return Null();
  }
  return NewJsString(ctx, U(out), ULen(out));
}

// intlLocaleInfo(tag, "max" | "min"): the tag with likely subtags added or
// removed.
JSValue NativeIntlLocaleInfo(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  if (!EnsureIcuData()) return JS_ThrowInternalError(ctx, "ICU data unavailable");
  std::string id;
  std::string op;
  if (!ArgLocale(ctx, argc, argv, 0, id) || !ArgString(ctx, argc, argv, 1, op)) return JS_EXCEPTION;
  char out[ULOC_FULLNAME_CAPACITY * 2];
  UErrorCode st = U_ZERO_ERROR;
  if (op == "max") uloc_addLikelySubtags(id.c_str(), out, sizeof(out) - 1, &st);
  else uloc_minimizeSubtags(id.c_str(), out, sizeof(out) - 1, &st);
  if (U_FAILURE(st) || st == U_STRING_NOT_TERMINATED_WARNING) return ThrowIcu(ctx, "Intl.Locale", st);
  std::string tag = LanguageTag(out);
  return JS_NewStringLen(ctx, tag.data(), tag.size());
}

// intlWeekInfo(tag): [firstDay, minimalDays, weekend days...], days 1
// (Monday) .. 7 (Sunday) as Intl.Locale's weekInfo gives them.
JSValue NativeIntlWeekInfo(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  if (!EnsureIcuData()) return JS_ThrowInternalError(ctx, "ICU data unavailable");
  std::string id;
  if (!ArgLocale(ctx, argc, argv, 0, id)) return JS_EXCEPTION;
  UErrorCode st = U_ZERO_ERROR;
  UCalendar* cal = ucal_open(nullptr, 0, id.c_str(), UCAL_GREGORIAN, &st);
  if (U_FAILURE(st)) return ThrowIcu(ctx, "Intl.Locale", st);
  auto iso = [](int32_t icu_day) { return icu_day == UCAL_SUNDAY ? 7 : icu_day - 1; };
  std::vector<int32_t> info{iso(ucal_getAttribute(cal, UCAL_FIRST_DAY_OF_WEEK)),
                            ucal_getAttribute(cal, UCAL_MINIMAL_DAYS_IN_FIRST_WEEK)};
  for (int32_t d = UCAL_MONDAY;; d = d == UCAL_SATURDAY ? UCAL_SUNDAY : d + 1) {
    UErrorCode dst = U_ZERO_ERROR;
    UCalendarWeekdayType t = ucal_getDayOfWeekType(cal, static_cast<UCalendarDaysOfWeek>(d), &dst);
    if (U_SUCCESS(dst) && t != UCAL_WEEKDAY) info.push_back(iso(d));
    if (d == UCAL_SUNDAY) break;
  }
  ucal_close(cal);
  JSValue arr = JS_NewArray(ctx);
  for (size_t i = 0; i < info.size(); ++i) JS_SetPropertyUint32(ctx, arr, static_cast<uint32_t>(i), JS_NewInt32(ctx, info[i]));
  return arr;
}

// intlDateTimeCreate(locale, skeleton, dateStyle, timeStyle, zone, hc):
// a date formatter. With a style (0 full .. 3 short, -1 none) the locale's
// pattern for it, else the best pattern for `skeleton`; then, as V8 does,
// the hour symbols are replaced by `hc` ("" keeps them), U+202F becomes a
// space (Node's output), and the calendar is proleptic Gregorian.
JSValue NativeIntlDateTimeCreate(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  if (!EnsureIcuData()) return JS_ThrowInternalError(ctx, "ICU data unavailable");
  std::string id;
  std::string skeleton;
  std::string zone;
  std::string hc;
  if (!ArgLocale(ctx, argc, argv, 0, id) || !ArgString(ctx, argc, argv, 1, skeleton) ||
      !ArgString(ctx, argc, argv, 4, zone) || !ArgString(ctx, argc, argv, 5, hc)) {
    return JS_EXCEPTION;
  }
  const int32_t date_style = ArgInt(ctx, argc, argv, 2);
  const int32_t time_style = ArgInt(ctx, argc, argv, 3);
  if (date_style < -1 || date_style > 3 || time_style < -1 || time_style > 3) return JS_ThrowRangeError(ctx, "bad style");
  const UString uzone = ToUString(zone);
  UString pattern;
  UErrorCode st = U_ZERO_ERROR;
  if (date_style >= 0 || time_style >= 0) {
    UDateFormat* styled = udat_open(static_cast<UDateFormatStyle>(time_style < 0 ? UDAT_NONE : time_style),
                                    static_cast<UDateFormatStyle>(date_style < 0 ? UDAT_NONE : date_style), id.c_str(),
                                    U(uzone), ULen(uzone), nullptr, 0, &st);
    if (U_FAILURE(st)) return ThrowIcu(ctx, "Intl.DateTimeFormat", st);
    const bool ok = FillUString(pattern, [&](UChar* b, int32_t c, UErrorCode* s) { return udat_toPattern(styled, 0, b, c, s); });
    udat_close(styled);
    if (!ok) return JS_ThrowRangeError(ctx, "Intl.DateTimeFormat: no pattern");
    // Another hour cycle than the style's: as V8 does, the pattern's
    // skeleton with that hour symbol (and no day period) is matched again.
    if (time_style >= 0 && hc.size() == 1 && HourSymbol(pattern) != static_cast<char16_t>(hc[0])) {
      UString styled_skeleton;
      if (!FillUString(styled_skeleton, [&](UChar* b, int32_t c, UErrorCode* s) {
            return udatpg_getSkeleton(nullptr, U(pattern), ULen(pattern), b, c, s);
          })) {
        return JS_ThrowRangeError(ctx, "Intl.DateTimeFormat: no pattern");
      }
      UString replaced;
      for (char16_t c : styled_skeleton) {
        if (c == u'a' || c == u'b' || c == u'B') continue;
        replaced += (c == u'h' || c == u'H' || c == u'k' || c == u'K') ? static_cast<char16_t>(hc[0]) : c;
      }
      if (!BestPattern(id, replaced, pattern)) return JS_ThrowRangeError(ctx, "Intl.DateTimeFormat: no pattern");
    }
  } else {
    if (!BestPattern(id, ToUString(skeleton), pattern)) return JS_ThrowRangeError(ctx, "Intl.DateTimeFormat: no pattern");
  }
  if (hc.size() == 1) ReplaceHourCycle(pattern, static_cast<char16_t>(hc[0]));
  // A dayPeriod option with a 12-hour clock shows the flexible day period
  // ("in the morning") where the pattern has AM/PM, as V8 does.
  if (const auto b = std::count(skeleton.begin(), skeleton.end(), 'B'); b > 0) {
    UString with_b;
    bool quoted = false;
    for (char16_t c : pattern) {
      if (c == u'\'') quoted = !quoted;
      if (!quoted && c == u'a') {
        if (with_b.empty() || with_b.back() != u'B') with_b.append(static_cast<size_t>(b), u'B');
        continue;
      }
      with_b += c;
    }
    pattern = with_b;
  }
  for (char16_t& c : pattern) {
    if (c == u'\u202F') c = u' ';
  }
  UDateFormat* fmt = udat_open(UDAT_PATTERN, UDAT_PATTERN, id.c_str(), U(uzone), ULen(uzone), U(pattern), ULen(pattern), &st);
  if (U_FAILURE(st)) return ThrowIcu(ctx, "Intl.DateTimeFormat", st);
  const UCalendar* cal = udat_getCalendar(fmt);
  const char* type = ucal_getType(cal, &st);
  if (U_SUCCESS(st) && type != nullptr && std::strcmp(type, "gregorian") == 0) {
    UCalendar* proleptic = ucal_clone(cal, &st);
    if (U_SUCCESS(st)) {
      ucal_setGregorianChange(proleptic, -8.64e15, &st);
      udat_setCalendar(fmt, proleptic);
      ucal_close(proleptic);
    }
  }
  return NewFormatterObject(ctx, Kind::kDate, fmt);
}

// intlDateTimeFormat(f, ms, parts): the formatted date, or its parts as
// [[type, value], ...] when `parts`.
JSValue NativeIntlDateTimeFormat(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  if (!EnsureIcuData()) return JS_ThrowInternalError(ctx, "ICU data unavailable");
  Formatter* f = FormatterArg(ctx, argc, argv, Kind::kDate);
  double ms = 0;
  if (f == nullptr || !ArgNumber(ctx, argc, argv, 1, ms)) return JS_EXCEPTION;
  if (!std::isfinite(ms)) return JS_ThrowRangeError(ctx, "Invalid time value");
  auto* fmt = static_cast<UDateFormat*>(f->primary);
  const bool parts = argc > 2 && JS_ToBool(ctx, argv[2]);
  if (!parts) {
    UString out;
    if (!FillUString(out, [&](UChar* b, int32_t c, UErrorCode* st) { return udat_format(fmt, ms, b, c, nullptr, st); })) {
      return JS_ThrowRangeError(ctx, "Invalid time value");
    }
    return NewJsString(ctx, U(out), ULen(out));
  }
  UErrorCode st = U_ZERO_ERROR;
  UFieldPositionIterator* it = ufieldpositer_open(&st);
  if (U_FAILURE(st)) return ThrowIcu(ctx, "Intl.DateTimeFormat", st);
  UString out;
  const bool ok = FillUString(out, [&](UChar* b, int32_t c, UErrorCode* s) {
    return udat_formatForFields(fmt, ms, b, c, it, s);
  });
  std::vector<Span> spans;
  int32_t begin = 0;
  int32_t end = 0;
  int32_t field = 0;
  while (ok && (field = ufieldpositer_next(it, &begin, &end)) >= 0) spans.push_back({begin, end, DateFieldType(field)});
  ufieldpositer_close(it);
  if (!ok) return JS_ThrowRangeError(ctx, "Invalid time value");
  return PartsArray(ctx, out, std::move(spans));
}

JSValue NativeIntlDateTimePattern(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  if (!EnsureIcuData()) return JS_ThrowInternalError(ctx, "ICU data unavailable");
  Formatter* f = FormatterArg(ctx, argc, argv, Kind::kDate);
  if (f == nullptr) return JS_EXCEPTION;
  UString pattern;
  auto* fmt = static_cast<UDateFormat*>(f->primary);
  if (!FillUString(pattern, [&](UChar* b, int32_t c, UErrorCode* s) { return udat_toPattern(fmt, 0, b, c, s); })) {
    return JS_ThrowRangeError(ctx, "Intl.DateTimeFormat: no pattern");
  }
  return NewJsString(ctx, U(pattern), ULen(pattern));
}

// intlDateTimeRange(f, locale, x, y): the range x..y as the date formatter
// `f` would show it (ICU's interval format for f's pattern's skeleton and
// zone). CLDR's U+202F stays: V8 replaces it in format()'s pattern only.
JSValue NativeIntlDateTimeRange(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  if (!EnsureIcuData()) return JS_ThrowInternalError(ctx, "ICU data unavailable");
  Formatter* f = FormatterArg(ctx, argc, argv, Kind::kDate);
  std::string id;
  double x = 0;
  double y = 0;
  if (f == nullptr || !ArgLocale(ctx, argc, argv, 1, id) || !ArgNumber(ctx, argc, argv, 2, x) || !ArgNumber(ctx, argc, argv, 3, y)) {
    return JS_EXCEPTION;
  }
  if (!std::isfinite(x) || !std::isfinite(y)) return JS_ThrowRangeError(ctx, "Invalid time value");
  auto* fmt = static_cast<UDateFormat*>(f->primary);
  UString pattern;
  UString skeleton;
  UString zone;
  const UCalendar* cal = udat_getCalendar(fmt);
  if (!FillUString(pattern, [&](UChar* b, int32_t c, UErrorCode* s) { return udat_toPattern(fmt, 0, b, c, s); }) ||
      !FillUString(skeleton, [&](UChar* b, int32_t c, UErrorCode* s) {
        return udatpg_getSkeleton(nullptr, U(pattern), ULen(pattern), b, c, s);
      }) ||
      !FillUString(zone, [&](UChar* b, int32_t c, UErrorCode* s) { return ucal_getTimeZoneID(cal, b, c, s); })) {
    return JS_ThrowRangeError(ctx, "Intl.DateTimeFormat: no pattern");
  }
  UErrorCode st = U_ZERO_ERROR;
  UDateIntervalFormat* itv = udtitvfmt_open(id.c_str(), U(skeleton), ULen(skeleton), U(zone), ULen(zone), &st);
  if (U_FAILURE(st)) return ThrowIcu(ctx, "Intl.DateTimeFormat", st);
  UString out;
  const bool ok = FillUString(out, [&](UChar* b, int32_t c, UErrorCode* s) { return udtitvfmt_format(itv, x, y, b, c, nullptr, s); });
  udtitvfmt_close(itv);
  if (!ok) return JS_ThrowRangeError(ctx, "Invalid time value");
  return NewJsString(ctx, U(out), ULen(out));
}

// intlNumberCreate(locale, skeleton): a number formatter for an ICU number
// skeleton (hbf:intl writes it from the options as V8 does).
JSValue NativeIntlNumberCreate(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  if (!EnsureIcuData()) return JS_ThrowInternalError(ctx, "ICU data unavailable");
  std::string id;
  std::string skeleton;
  if (!ArgLocale(ctx, argc, argv, 0, id) || !ArgString(ctx, argc, argv, 1, skeleton, 4 * kMaxIntlString)) return JS_EXCEPTION;
  const UString uskeleton = ToUString(skeleton);
  UErrorCode st = U_ZERO_ERROR;
  UNumberFormatter* fmt = unumf_openForSkeletonAndLocale(U(uskeleton), ULen(uskeleton), id.c_str(), &st);
  if (U_FAILURE(st)) return ThrowIcu(ctx, "Intl.NumberFormat", st);
  return NewFormatterObject(ctx, Kind::kNumber, fmt);
}

namespace {

// Formats argument 1 (a number, or a decimal string for BigInt) into
// `result`; false with an exception thrown otherwise.
bool FormatNumberArg(JSContext* ctx, const UNumberFormatter* fmt, int argc, JSValueConst* argv, UFormattedNumber* result,
                     bool& nan, bool& infinite) {
  UErrorCode st = U_ZERO_ERROR;
  nan = false;
  infinite = false;
  if (argc > 1 && JS_IsString(argv[1])) {
    std::string digits;
    if (!ArgString(ctx, argc, argv, 1, digits, 4096)) return false;
    unumf_formatDecimal(fmt, digits.data(), static_cast<int32_t>(digits.size()), result, &st);
  } else {
    double x = 0;
    if (!ArgNumber(ctx, argc, argv, 1, x)) return false;
    nan = std::isnan(x);
    infinite = std::isinf(x);
    unumf_formatDouble(fmt, x, result, &st);
  }
  if (U_FAILURE(st)) {
    ThrowIcu(ctx, "Intl.NumberFormat", st);
    return false;
  }
  return true;
}

}  // namespace

// intlNumberFormat(f, x, parts): x a number or a decimal string.
JSValue NativeIntlNumberFormat(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  if (!EnsureIcuData()) return JS_ThrowInternalError(ctx, "ICU data unavailable");
  Formatter* f = FormatterArg(ctx, argc, argv, Kind::kNumber);
  if (f == nullptr) return JS_EXCEPTION;
  UErrorCode st = U_ZERO_ERROR;
  UFormattedNumber* result = unumf_openResult(&st);
  if (U_FAILURE(st)) return ThrowIcu(ctx, "Intl.NumberFormat", st);
  bool nan = false;
  bool infinite = false;
  JSValue ret = JS_EXCEPTION;
  if (FormatNumberArg(ctx, static_cast<UNumberFormatter*>(f->primary), argc, argv, result, nan, infinite)) {
    UString out;
    if (!FillUString(out, [&](UChar* b, int32_t c, UErrorCode* s) { return unumf_resultToString(result, b, c, s); })) {
      ret = JS_ThrowRangeError(ctx, "Intl.NumberFormat: format failed");
    } else if (argc > 2 && JS_ToBool(ctx, argv[2])) {
      std::vector<Span> spans;
      const UFormattedValue* value = unumf_resultAsValue(result, &st);
      if (U_SUCCESS(st) && ValueSpans(value, UFIELD_CATEGORY_NUMBER, out, nan, infinite, spans)) {
        ret = PartsArray(ctx, out, std::move(spans));
      } else {
        ret = JS_ThrowRangeError(ctx, "Intl.NumberFormat: format failed");
      }
    } else {
      ret = NewJsString(ctx, U(out), ULen(out));
    }
  }
  unumf_closeResult(result);
  return ret;
}

// intlPluralCreate(locale, ordinal, skeleton): plural rules, with the number
// formatter that rounds the operand first (V8 selects on the formatted
// number).
JSValue NativeIntlPluralCreate(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  if (!EnsureIcuData()) return JS_ThrowInternalError(ctx, "ICU data unavailable");
  std::string id;
  std::string skeleton;
  if (!ArgLocale(ctx, argc, argv, 0, id) || !ArgString(ctx, argc, argv, 2, skeleton, 4 * kMaxIntlString)) return JS_EXCEPTION;
  const bool ordinal = argc > 1 && JS_ToBool(ctx, argv[1]);
  UErrorCode st = U_ZERO_ERROR;
  UPluralRules* rules = uplrules_openForType(id.c_str(), ordinal ? UPLURAL_TYPE_ORDINAL : UPLURAL_TYPE_CARDINAL, &st);
  if (U_FAILURE(st)) return ThrowIcu(ctx, "Intl.PluralRules", st);
  const UString uskeleton = ToUString(skeleton);
  UNumberFormatter* fmt = unumf_openForSkeletonAndLocale(U(uskeleton), ULen(uskeleton), id.c_str(), &st);
  if (U_FAILURE(st)) {
    uplrules_close(rules);
    return ThrowIcu(ctx, "Intl.PluralRules", st);
  }
  return NewFormatterObject(ctx, Kind::kPlural, rules, fmt);
}

JSValue NativeIntlPluralSelect(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  if (!EnsureIcuData()) return JS_ThrowInternalError(ctx, "ICU data unavailable");
  Formatter* f = FormatterArg(ctx, argc, argv, Kind::kPlural);
  if (f == nullptr) return JS_EXCEPTION;
  UErrorCode st = U_ZERO_ERROR;
  UFormattedNumber* result = unumf_openResult(&st);
  if (U_FAILURE(st)) return ThrowIcu(ctx, "Intl.PluralRules", st);
  bool nan = false;
  bool infinite = false;
  JSValue ret = JS_EXCEPTION;
  if (FormatNumberArg(ctx, static_cast<UNumberFormatter*>(f->secondary), argc, argv, result, nan, infinite)) {
    UString out;
    if (FillUString(out, [&](UChar* b, int32_t c, UErrorCode* s) {
          return uplrules_selectFormatted(static_cast<UPluralRules*>(f->primary), result, b, c, s);
        })) {
      ret = NewJsString(ctx, U(out), ULen(out));
    } else {
      ret = JS_ThrowRangeError(ctx, "Intl.PluralRules: select failed");
    }
  }
  unumf_closeResult(result);
  return ret;
}

JSValue NativeIntlPluralCategories(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  if (!EnsureIcuData()) return JS_ThrowInternalError(ctx, "ICU data unavailable");
  Formatter* f = FormatterArg(ctx, argc, argv, Kind::kPlural);
  if (f == nullptr) return JS_EXCEPTION;
  UErrorCode st = U_ZERO_ERROR;
  UEnumeration* e = uplrules_getKeywords(static_cast<UPluralRules*>(f->primary), &st);
  if (U_FAILURE(st)) return ThrowIcu(ctx, "Intl.PluralRules", st);
  std::vector<std::string> out;
  const char* name = nullptr;
  int32_t len = 0;
  while ((name = uenum_next(e, &len, &st)) != nullptr && U_SUCCESS(st)) out.emplace_back(name, static_cast<size_t>(len));
  uenum_close(e);
  return StringArray(ctx, out);
}

// intlRelativeCreate(locale, style): style 0 long, 1 short, 2 narrow.
JSValue NativeIntlRelativeCreate(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  if (!EnsureIcuData()) return JS_ThrowInternalError(ctx, "ICU data unavailable");
  std::string id;
  if (!ArgLocale(ctx, argc, argv, 0, id)) return JS_EXCEPTION;
  const int32_t style = ArgInt(ctx, argc, argv, 1);
  const UDateRelativeDateTimeFormatterStyle width =
      style == 1 ? UDAT_STYLE_SHORT : style == 2 ? UDAT_STYLE_NARROW : UDAT_STYLE_LONG;
  UErrorCode st = U_ZERO_ERROR;
  URelativeDateTimeFormatter* fmt = ureldatefmt_open(id.c_str(), nullptr, width, UDISPCTX_CAPITALIZATION_NONE, &st);
  if (U_FAILURE(st)) return ThrowIcu(ctx, "Intl.RelativeTimeFormat", st);
  return NewFormatterObject(ctx, Kind::kRelative, fmt);
}

// intlRelativeFormat(f, value, unit, numeric, parts): unit one of year,
// quarter, month, week, day, hour, minute, second (singular; hbf:intl
// checks); numeric false is "auto" ("tomorrow").
JSValue NativeIntlRelativeFormat(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  if (!EnsureIcuData()) return JS_ThrowInternalError(ctx, "ICU data unavailable");
  Formatter* f = FormatterArg(ctx, argc, argv, Kind::kRelative);
  double value = 0;
  std::string unit;
  if (f == nullptr || !ArgNumber(ctx, argc, argv, 1, value) || !ArgString(ctx, argc, argv, 2, unit)) return JS_EXCEPTION;
  static const std::map<std::string, URelativeDateTimeUnit> kUnits = {
      {"year", UDAT_REL_UNIT_YEAR}, {"quarter", UDAT_REL_UNIT_QUARTER}, {"month", UDAT_REL_UNIT_MONTH},
      {"week", UDAT_REL_UNIT_WEEK}, {"day", UDAT_REL_UNIT_DAY},         {"hour", UDAT_REL_UNIT_HOUR},
      {"minute", UDAT_REL_UNIT_MINUTE}, {"second", UDAT_REL_UNIT_SECOND}};
  auto u = kUnits.find(unit);
  if (u == kUnits.end()) return JS_ThrowRangeError(ctx, "Invalid unit argument for format() '%s'", unit.c_str());
  if (!std::isfinite(value)) return JS_ThrowRangeError(ctx, "Invalid time value");
  const bool numeric = argc > 3 && JS_ToBool(ctx, argv[3]);
  const bool parts = argc > 4 && JS_ToBool(ctx, argv[4]);
  auto* fmt = static_cast<URelativeDateTimeFormatter*>(f->primary);
  UErrorCode st = U_ZERO_ERROR;
  UFormattedRelativeDateTime* result = ureldatefmt_openResult(&st);
  if (U_FAILURE(st)) return ThrowIcu(ctx, "Intl.RelativeTimeFormat", st);
  if (numeric) ureldatefmt_formatNumericToResult(fmt, value, u->second, result, &st);
  else ureldatefmt_formatToResult(fmt, value, u->second, result, &st);
  JSValue ret = JS_EXCEPTION;
  const UFormattedValue* fv = U_SUCCESS(st) ? ureldatefmt_resultAsValue(result, &st) : nullptr;
  int32_t len = 0;
  const UChar* text = U_SUCCESS(st) ? ufmtval_getString(fv, &len, &st) : nullptr;
  if (U_FAILURE(st) || text == nullptr) {
    ret = ThrowIcu(ctx, "Intl.RelativeTimeFormat", st);
  } else if (!parts) {
    ret = NewJsString(ctx, text, len);
  } else {
    UString out(reinterpret_cast<const char16_t*>(text), static_cast<size_t>(len));
    std::vector<Span> spans;
    if (ValueSpans(fv, UFIELD_CATEGORY_NUMBER, out, false, false, spans)) ret = PartsArray(ctx, out, std::move(spans));
    else ret = JS_ThrowRangeError(ctx, "Intl.RelativeTimeFormat: format failed");
  }
  ureldatefmt_closeResult(result);
  return ret;
}

// intlCollatorCreate(locale, strength, caseLevel, numeric, caseFirst,
// ignorePunctuation): strength 0 primary .. 2 tertiary; caseFirst 0 off,
// 1 upper, 2 lower.
JSValue NativeIntlCollatorCreate(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  if (!EnsureIcuData()) return JS_ThrowInternalError(ctx, "ICU data unavailable");
  std::string id;
  if (!ArgLocale(ctx, argc, argv, 0, id)) return JS_EXCEPTION;
  const int32_t strength = ArgInt(ctx, argc, argv, 1);
  const bool case_level = argc > 2 && JS_ToBool(ctx, argv[2]);
  const bool numeric = argc > 3 && JS_ToBool(ctx, argv[3]);
  const int32_t case_first = ArgInt(ctx, argc, argv, 4);
  const bool ignore_punctuation = argc > 5 && JS_ToBool(ctx, argv[5]);
  UErrorCode st = U_ZERO_ERROR;
  UCollator* col = ucol_open(id.c_str(), &st);
  if (U_FAILURE(st)) return ThrowIcu(ctx, "Intl.Collator", st);
  ucol_setAttribute(col, UCOL_STRENGTH, strength == 0 ? UCOL_PRIMARY : strength == 1 ? UCOL_SECONDARY : UCOL_TERTIARY, &st);
  if (case_level) ucol_setAttribute(col, UCOL_CASE_LEVEL, UCOL_ON, &st);
  ucol_setAttribute(col, UCOL_NUMERIC_COLLATION, numeric ? UCOL_ON : UCOL_OFF, &st);
  if (case_first != 0) ucol_setAttribute(col, UCOL_CASE_FIRST, case_first == 1 ? UCOL_UPPER_FIRST : UCOL_LOWER_FIRST, &st);
  if (ignore_punctuation) ucol_setAttribute(col, UCOL_ALTERNATE_HANDLING, UCOL_SHIFTED, &st);
  if (U_FAILURE(st)) {
    ucol_close(col);
    return ThrowIcu(ctx, "Intl.Collator", st);
  }
  return NewFormatterObject(ctx, Kind::kCollator, col);
}

JSValue NativeIntlCollatorCompare(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  if (!EnsureIcuData()) return JS_ThrowInternalError(ctx, "ICU data unavailable");
  Formatter* f = FormatterArg(ctx, argc, argv, Kind::kCollator);
  if (f == nullptr) return JS_EXCEPTION;
  std::string a;
  std::string b;
  // Strings compared are the script's own data: no small cap, only the
  // runtime's (they already exist in its heap).
  constexpr size_t kMax = size_t{1} << 30;
  if (!ArgString(ctx, argc, argv, 1, a, kMax) || !ArgString(ctx, argc, argv, 2, b, kMax)) return JS_EXCEPTION;
  UErrorCode st = U_ZERO_ERROR;
  const UCollationResult r = ucol_strcollUTF8(static_cast<UCollator*>(f->primary), a.data(), static_cast<int32_t>(a.size()),
                                              b.data(), static_cast<int32_t>(b.size()), &st);
  if (U_FAILURE(st)) return ThrowIcu(ctx, "Intl.Collator", st);
  return JS_NewInt32(ctx, r == UCOL_LESS ? -1 : r == UCOL_GREATER ? 1 : 0);
}

// intlListCreate(locale, type, width): type 0 conjunction, 1 disjunction,
// 2 unit; width 0 long, 1 short, 2 narrow.
JSValue NativeIntlListCreate(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  if (!EnsureIcuData()) return JS_ThrowInternalError(ctx, "ICU data unavailable");
  std::string id;
  if (!ArgLocale(ctx, argc, argv, 0, id)) return JS_EXCEPTION;
  const int32_t type = ArgInt(ctx, argc, argv, 1);
  const int32_t width = ArgInt(ctx, argc, argv, 2);
  UErrorCode st = U_ZERO_ERROR;
  UListFormatter* fmt = ulistfmt_openForType(
      id.c_str(), type == 1 ? ULISTFMT_TYPE_OR : type == 2 ? ULISTFMT_TYPE_UNITS : ULISTFMT_TYPE_AND,
      width == 1 ? ULISTFMT_WIDTH_SHORT : width == 2 ? ULISTFMT_WIDTH_NARROW : ULISTFMT_WIDTH_WIDE, &st);
  if (U_FAILURE(st)) return ThrowIcu(ctx, "Intl.ListFormat", st);
  return NewFormatterObject(ctx, Kind::kList, fmt);
}

// intlListFormat(f, items, parts): items an array of strings (hbf:intl
// checks).
JSValue NativeIntlListFormat(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv) {
  if (!EnsureIcuData()) return JS_ThrowInternalError(ctx, "ICU data unavailable");
  Formatter* f = FormatterArg(ctx, argc, argv, Kind::kList);
  if (f == nullptr) return JS_EXCEPTION;
  if (argc < 2 || !JS_IsArray(ctx, argv[1])) return JS_ThrowTypeError(ctx, "Intl.ListFormat: expected an array");
  uint32_t count = 0;
  {
    Scoped length(ctx, JS_GetPropertyStr(ctx, argv[1], "length"));
    if (JS_ToUint32(ctx, &count, length.get()) < 0) return JS_EXCEPTION;
  }
  if (count > 100000) return JS_ThrowRangeError(ctx, "Intl.ListFormat: too many items");
  std::vector<UString> items;
  for (uint32_t i = 0; i < count; ++i) {
    Scoped item(ctx, JS_GetPropertyUint32(ctx, argv[1], i));
    if (JS_IsException(item.get())) return JS_EXCEPTION;
    if (!JS_IsString(item.get())) return JS_ThrowTypeError(ctx, "Iterable yielded %s which is not a string", "a non-string");
    items.push_back(ToUString(ToStdString(ctx, item.get())));
  }
  std::vector<const UChar*> ptrs;
  std::vector<int32_t> lens;
  for (const auto& s : items) {
    ptrs.push_back(U(s));
    lens.push_back(ULen(s));
  }
  UErrorCode st = U_ZERO_ERROR;
  UFormattedList* result = ulistfmt_openResult(&st);
  if (U_FAILURE(st)) return ThrowIcu(ctx, "Intl.ListFormat", st);
  ulistfmt_formatStringsToResult(static_cast<UListFormatter*>(f->primary), ptrs.data(), lens.data(),
                                 static_cast<int32_t>(ptrs.size()), result, &st);
  JSValue ret = JS_EXCEPTION;
  const UFormattedValue* fv = U_SUCCESS(st) ? ulistfmt_resultAsValue(result, &st) : nullptr;
  int32_t len = 0;
  const UChar* text = U_SUCCESS(st) ? ufmtval_getString(fv, &len, &st) : nullptr;
  if (U_FAILURE(st) || text == nullptr) {
    ret = ThrowIcu(ctx, "Intl.ListFormat", st);
  } else if (!(argc > 2 && JS_ToBool(ctx, argv[2]))) {
    ret = NewJsString(ctx, text, len);
  } else {
    UString out(reinterpret_cast<const char16_t*>(text), static_cast<size_t>(len));
    std::vector<Span> spans;
    if (ValueSpans(fv, UFIELD_CATEGORY_LIST, out, false, false, spans)) ret = PartsArray(ctx, out, std::move(spans));
    else ret = JS_ThrowRangeError(ctx, "Intl.ListFormat: format failed");
  }
  ulistfmt_closeResult(result);
  return ret;
}

}  // namespace hbf::js::internal

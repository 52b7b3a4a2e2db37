// Internal to src/js: hbf:native's ICU functions, the host half of the
// `Intl` global (hbf:intl does the option processing the way V8 does, and
// calls these with ready ICU inputs: a locale ID, a skeleton, a zone).
//
//   intlCanonicalizeLocale(tag)        -> canonical BCP 47 tag; RangeError
//   intlResolveLocale(tag)             -> the best available locale (no -u-)
//   intlDefaultTimeZone()              -> the process's zone (TZ or UTC)
//   intlCanonicalTimeZone(name)        -> canonical IANA ID, or null
//   intlLocaleInfo(tag, op)            -> maximize ("max") / minimize ("min")
//   intlWeekInfo(tag)                  -> [firstDay, minimalDays, weekend...]
//   intlDateTimeCreate(locale, skeleton, dateStyle, timeStyle, zone, hc)
//   intlDateTimeFormat(f, ms, parts)   -> string, or [[type, value]...]
//   intlDateTimePattern(f)             -> the ICU pattern in use
//   intlDateTimeRange(f, locale, x, y) -> formatRange's string
//   intlNumberCreate(locale, skeleton) / intlNumberFormat(f, x, parts)
//   intlPluralCreate(locale, ordinal, skeleton) / intlPluralSelect(f, x)
//       / intlPluralCategories(f)
//   intlRelativeCreate(locale, style) / intlRelativeFormat(f, v, unit,
//       numeric, parts)
//   intlCollatorCreate(locale, strength, caseLevel, numeric, caseFirst,
//       ignorePunctuation) / intlCollatorCompare(f, a, b)
//   intlListCreate(locale, type, width) / intlListFormat(f, items, parts)
//   icuVersion()                       -> e.g. "72.1"
//
// Each formatter is an opaque object of one class (IntlFormatter) owning one
// ICU service object, closed by the class finalizer. ICU allocates from the
// C heap, not the runtime's allocator: each object's holder is allocated from
// the runtime with a fixed estimate of the ICU memory it keeps, so a script
// that hoards formatters hits its heap limit like one hoarding objects.
// Input strings are capped (kMaxIntlString); every bad input is a JS
// TypeError/RangeError. ICU's data is the binary's compressed copy
// (js/icu_data.h), decompressed by the first native called.
//
// Thread safety: natives run on the worker's thread; ICU service objects are
// per JS object, never shared, so no locks. The process-wide tables (the
// available locales, zone names by lower-case name) are built once, on
// first use, by a thread-safe static initialiser and only read afterwards.
// Each thread keeps its last 4 date pattern generators (thread_local,
// ICU's memory, freed when the thread ends).
#pragma once

#include <string>

extern "C" {
#include <quickjs.h>
}

namespace hbf::js::internal {

// The longest locale, option or zone string an Intl native accepts.
inline constexpr size_t kMaxIntlString = 256;

JSValue NativeIntlCanonicalizeLocale(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeIntlResolveLocale(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeIntlDefaultTimeZone(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeIntlCanonicalTimeZone(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeIntlLocaleInfo(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeIntlWeekInfo(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeIntlDateTimeCreate(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeIntlDateTimeFormat(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeIntlDateTimeRange(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeIntlDateTimePattern(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeIntlNumberCreate(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeIntlNumberFormat(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeIntlPluralCreate(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeIntlPluralSelect(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeIntlPluralCategories(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeIntlRelativeCreate(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeIntlRelativeFormat(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeIntlCollatorCreate(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeIntlCollatorCompare(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeIntlListCreate(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeIntlListFormat(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeIcuVersion(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);

}  // namespace hbf::js::internal

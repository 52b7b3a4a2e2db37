// Helpers shared by hbf:native's ICU functions (natives_intl.cpp): ICU's
// data, the IntlFormatter objects that own ICU services, string and
// argument conversion, locales and zones, and "parts" (formatToParts)
// built from ICU's field positions. Internal to src/js: only natives_intl.cpp
// and intl_support.cpp include ICU's headers.
//
// Thread safety: the tables (AvailableLocales, ZonesByLowerName) and the ICU
// data are built once per process (static init) and read-only afterwards;
// BestPattern's generator cache is per thread; the rest works on the
// caller's JSContext, owned by the calling worker's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <quickjs.h>
#include <unicode/uformattedvalue.h>
#include <unicode/utypes.h>

#include "js/natives_intl.h"

namespace hbf::js::internal::intl {

// Decompresses the binary's ICU data once per process and gives it to ICU
// (udata_setCommonData) before any other ICU call that needs data. The
// ~18 MB buffer lives as long as the process.
bool EnsureIcuData();

using UString = std::u16string;

// ---------------------------------------------------------------------------
// The formatter objects

enum class Kind { kDate, kNumber, kPlural, kRelative, kCollator, kList };

// What one IntlFormatter object owns. Allocated from the runtime's allocator
// together with bytes standing for the ICU heap the service object keeps
// (ICU allocates from the C heap, which the runtime cannot see).
struct Formatter {
  Kind kind;
  void* primary = nullptr;    // UDateFormat*, UNumberFormatter*, ...
  void* secondary = nullptr;  // kPlural: its UNumberFormatter*
};

// A new IntlFormatter object owning `primary` (and `secondary`); closes them
// itself when the object cannot be made.
JSValue NewFormatterObject(JSContext* ctx, Kind kind, void* primary, void* secondary = nullptr);

// Argument 0 as a live formatter of `kind`; null with a TypeError thrown
// otherwise.
Formatter* FormatterArg(JSContext* ctx, int argc, JSValueConst* argv, Kind kind);

// ---------------------------------------------------------------------------
// Strings and arguments

// Argument `i` as a string of at most `max` bytes; a TypeError/RangeError
// thrown otherwise.
bool ArgString(JSContext* ctx, int argc, JSValueConst* argv, int i, std::string& out, size_t max = kMaxIntlString);
// Argument `i` as a number; a TypeError thrown otherwise.
bool ArgNumber(JSContext* ctx, int argc, JSValueConst* argv, int i, double& out);
// Argument `i` as an int32 (0 when missing).
int32_t ArgInt(JSContext* ctx, int argc, JSValueConst* argv, int i);

// UTF-8 <-> UTF-16, ill-formed input replaced with U+FFFD.
UString ToUString(const std::string& utf8);
std::string ToUtf8(const UChar* s, int32_t len);
JSValue NewJsString(JSContext* ctx, const UChar* s, int32_t len);

inline const UChar* U(const UString& s) { return reinterpret_cast<const UChar*>(s.data()); }
inline int32_t ULen(const UString& s) { return static_cast<int32_t>(s.size()); }

// Runs an ICU "fill this buffer" call twice when the first buffer is short.
template <typename Fn>
bool FillUString(UString& out, Fn fn) {
  out.assign(128, u'\0');
  UErrorCode st = U_ZERO_ERROR;
  int32_t n = fn(reinterpret_cast<UChar*>(out.data()), static_cast<int32_t>(out.size()), &st);
  if (st == U_BUFFER_OVERFLOW_ERROR) {
    out.assign(static_cast<size_t>(n) + 1, u'\0');
    st = U_ZERO_ERROR;
    n = fn(reinterpret_cast<UChar*>(out.data()), static_cast<int32_t>(out.size()), &st);
  }
  if (U_FAILURE(st)) return false;
  out.resize(static_cast<size_t>(n));
  return true;
}

// A RangeError naming `what` and ICU's error (out of memory for an
// allocation failure).
JSValue ThrowIcu(JSContext* ctx, const char* what, UErrorCode st);

// A JS array of strings.
JSValue StringArray(JSContext* ctx, const std::vector<std::string>& items);

// ---------------------------------------------------------------------------
// Locales and zones

// The ICU locale ID of a BCP 47 tag (hbf:intl passes canonical tags) in
// `id` ("" for "und", the root locale); false when ICU cannot read it whole.
bool IcuLocaleId(const std::string& tag, std::string& id);
// The BCP 47 tag of an ICU locale ID ("" when it has none).
std::string LanguageTag(const char* id);
// Locale argument `i` as an ICU locale ID; a RangeError thrown when bad.
bool ArgLocale(JSContext* ctx, int argc, JSValueConst* argv, int i, std::string& id);
// Available locales as BCP 47 tags.
const std::set<std::string>& AvailableLocales();
// Time zone IDs by their lower-case spelling (IANA names match ignoring case).
const std::map<std::string, std::string>& ZonesByLowerName();

// ---------------------------------------------------------------------------
// Parts: spans over the output (possibly nested, as a number's integer part
// holds its group separators) flattened the way V8 does: each character goes
// to the innermost span covering it; uncovered characters are "literal".

struct Span {
  int32_t begin;
  int32_t end;
  std::string type;
};

// [[type, text], ...] for `text` split by `spans`.
JSValue PartsArray(JSContext* ctx, const UString& text, std::vector<Span> spans);
// The formatToParts type of a UDateFormatField.
const char* DateFieldType(int32_t field);
// The formatToParts type of a UNumberFormatFields value (`where` and the
// flags tell a sign's and an integer's kind).
const char* NumberFieldType(int32_t field, const UString& text, const Span& where, bool nan, bool infinite);
// The spans of `value`'s fields in `category` (numbers: typed by
// NumberFieldType; lists: "element").
bool ValueSpans(const UFormattedValue* value, UFieldCategory category, const UString& text, bool nan, bool infinite,
                std::vector<Span>& spans);

// ---------------------------------------------------------------------------
// Date patterns

// Replaces the hour symbols of an ICU pattern (outside quotes) with `hc`.
void ReplaceHourCycle(UString& pattern, char16_t hc);
// The first hour symbol of a pattern (outside quotes), or 0.
char16_t HourSymbol(const UString& pattern);
// The locale's best pattern for a skeleton, hour field lengths kept (V8's
// UDATPG_MATCH_HOUR_FIELD_LENGTH).
bool BestPattern(const std::string& locale_id, const UString& skeleton, UString& pattern);

}  // namespace hbf::js::internal::intl

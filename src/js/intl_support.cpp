// Helpers shared by hbf:native's ICU functions (see intl_support.h).
#include "js/intl_support.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <memory>
#include <new>
#include <set>
#include <string>
#include <vector>

#include <unicode/ucal.h>
#include <unicode/udata.h>
#include <unicode/ucol.h>
#include <unicode/udat.h>
#include <unicode/udatpg.h>
#include <unicode/uenum.h>
#include <unicode/ufieldpositer.h>
#include <unicode/ulistformatter.h>
#include <unicode/uloc.h>
#include <unicode/unumberformatter.h>
#include <unicode/upluralrules.h>
#include <unicode/ureldatefmt.h>
#include <unicode/ustring.h>

#include "codec/compression_stream.h"
#include "js/icu_data.h"

// ICU's own entry point to its data library, which hbf does not link: the
// data comes from the binary's compressed copy (EnsureIcuData) instead. ICU
// only reads this when no common data was set; all zeros, it is refused as
// malformed then, never followed.
extern "C" {
alignas(16) extern const unsigned char U_ICUDATA_ENTRY_POINT[64];
alignas(16) const unsigned char U_ICUDATA_ENTRY_POINT[64] = {};
}

namespace hbf::js::internal::intl {

bool EnsureIcuData() {
  static const bool ok = [] {
    class Sink : public codec::OutputSink {
     public:
      explicit Sink(std::string& out) : out_(out) {}
      bool Write(const uint8_t* data, size_t size) override {
        out_.append(reinterpret_cast<const char*>(data), size);
        return true;
      }

     private:
      std::string& out_;
    };
    auto stream = codec::CompressionStream::Brotli(codec::CodecMode::kBrotliDecode, codec::BrotliOptions{});
    if (!stream.ok()) return false;
    // Never destroyed (ICU points into it until the process ends, worker
    // threads included): constructed in static storage, not leaked.
    alignas(std::string) static unsigned char storage[sizeof(std::string)];
    auto* data = new (storage) std::string();
    data->reserve(kIcuDataSize);
    Sink sink(*data);
    constexpr int kFinish = 2;  // BROTLI_OPERATION_FINISH
    if ((*stream)->Feed(kIcuDataCompressed, kIcuDataCompressedSize, kFinish, sink) || data->size() != kIcuDataSize) {
      return false;
    }
    UErrorCode st = U_ZERO_ERROR;
    udata_setCommonData(data->data(), &st);
    return U_SUCCESS(st) != 0;
  }();
  return ok;
}


// ---------------------------------------------------------------------------
// The formatter objects

namespace {

// Rough ICU heap per service object (measured loosely with malloc stats on
// ICU 72; the locale data itself is shared and mapped, not counted).
size_t ChargeFor(Kind kind) {
  switch (kind) {
    case Kind::kDate: return 24 * 1024;
    case Kind::kNumber: return 8 * 1024;
    case Kind::kPlural: return 12 * 1024;
    case Kind::kRelative: return 16 * 1024;
    case Kind::kCollator: return 8 * 1024;
    case Kind::kList: return 4 * 1024;
  }
  return 4 * 1024;
}

void CloseFormatter(Formatter* f) {
  switch (f->kind) {
    case Kind::kDate: udat_close(static_cast<UDateFormat*>(f->primary)); break;
    case Kind::kNumber: unumf_close(static_cast<UNumberFormatter*>(f->primary)); break;
    case Kind::kPlural:
      uplrules_close(static_cast<UPluralRules*>(f->primary));
      if (f->secondary != nullptr) unumf_close(static_cast<UNumberFormatter*>(f->secondary));
      break;
    case Kind::kRelative: ureldatefmt_close(static_cast<URelativeDateTimeFormatter*>(f->primary)); break;
    case Kind::kCollator: ucol_close(static_cast<UCollator*>(f->primary)); break;
    case Kind::kList: ulistfmt_close(static_cast<UListFormatter*>(f->primary)); break;
  }
  f->primary = nullptr;
  f->secondary = nullptr;
}

JSClassID FormatterClassId() {
  static const JSClassID id = [] {
    JSClassID fresh = 0;
    return JS_NewClassID(&fresh);
  }();
  return id;
}

void FinalizeFormatter(JSRuntime* rt, JSValue val) {
  if (auto* f = static_cast<Formatter*>(JS_GetOpaque(val, FormatterClassId())); f != nullptr) {
    CloseFormatter(f);
    f->~Formatter();
    js_free_rt(rt, f);
  }
}

}  // namespace

JSValue NewFormatterObject(JSContext* ctx, Kind kind, void* primary, void* secondary) {
  Formatter owned{kind, primary, secondary};
  JSRuntime* rt = JS_GetRuntime(ctx);
  const JSClassID id = FormatterClassId();
  if (!JS_IsRegisteredClass(rt, id)) {
    JSClassDef def{};
    def.class_name = "IntlFormatter";
    def.finalizer = FinalizeFormatter;
    if (JS_NewClass(rt, id, &def) < 0) {
      CloseFormatter(&owned);
      return JS_EXCEPTION;
    }
  }
  JSValue obj = JS_NewObjectClass(ctx, static_cast<int>(id));
  if (JS_IsException(obj)) {
    CloseFormatter(&owned);
    return obj;
  }
  void* memory = js_malloc(ctx, sizeof(Formatter) + ChargeFor(kind));
  if (memory == nullptr) {
    CloseFormatter(&owned);
    JS_FreeValue(ctx, obj);
    return JS_EXCEPTION;
  }
  JS_SetOpaque(obj, new (memory) Formatter(owned));
  return obj;
}

Formatter* FormatterArg(JSContext* ctx, int argc, JSValueConst* argv, Kind kind) {
  if (argc < 1) {
    JS_ThrowTypeError(ctx, "missing Intl formatter");
    return nullptr;
  }
  auto* f = static_cast<Formatter*>(JS_GetOpaque2(ctx, argv[0], FormatterClassId()));
  if (f == nullptr) return nullptr;
  if (f->kind != kind || f->primary == nullptr) {
    JS_ThrowTypeError(ctx, "wrong Intl formatter");
    return nullptr;
  }
  return f;
}

// ---------------------------------------------------------------------------
// Strings

bool ArgString(JSContext* ctx, int argc, JSValueConst* argv, int i, std::string& out, size_t max) {
  if (i >= argc || !JS_IsString(argv[i])) {
    JS_ThrowTypeError(ctx, "Intl: expected a string argument");
    return false;
  }
  size_t len = 0;
  const char* s = JS_ToCStringLen(ctx, &len, argv[i]);
  if (s == nullptr) return false;
  if (len > max) {
    JS_FreeCString(ctx, s);
    JS_ThrowRangeError(ctx, "Intl: string argument too long");
    return false;
  }
  out.assign(s, len);
  JS_FreeCString(ctx, s);
  return true;
}

UString ToUString(const std::string& utf8) {
  UString out(utf8.size() + 1, u'\0');
  int32_t len = 0;
  UErrorCode st = U_ZERO_ERROR;
  u_strFromUTF8WithSub(reinterpret_cast<UChar*>(out.data()), static_cast<int32_t>(out.size()), &len, utf8.data(),
                       static_cast<int32_t>(utf8.size()), 0xFFFD, nullptr, &st);
  if (U_FAILURE(st)) return UString();
  out.resize(static_cast<size_t>(len));
  return out;
}

std::string ToUtf8(const UChar* s, int32_t len) {
  std::string out(static_cast<size_t>(len) * 3 + 1, '\0');
  int32_t n = 0;
  UErrorCode st = U_ZERO_ERROR;
  u_strToUTF8WithSub(out.data(), static_cast<int32_t>(out.size()), &n, s, len, 0xFFFD, nullptr, &st);
  if (U_FAILURE(st)) return std::string();
  out.resize(static_cast<size_t>(n));
  return out;
}

JSValue NewJsString(JSContext* ctx, const UChar* s, int32_t len) {
  std::string utf8 = ToUtf8(s, len);
  return JS_NewStringLen(ctx, utf8.data(), utf8.size());
}

// ---------------------------------------------------------------------------
// Locales

bool IcuLocaleId(const std::string& tag, std::string& id) {
  char buffer[ULOC_FULLNAME_CAPACITY * 2];
  int32_t parsed = 0;
  UErrorCode st = U_ZERO_ERROR;
  int32_t n = uloc_forLanguageTag(tag.c_str(), buffer, sizeof(buffer) - 1, &parsed, &st);
  if (U_FAILURE(st) || st == U_STRING_NOT_TERMINATED_WARNING || tag.empty() || parsed != static_cast<int32_t>(tag.size())) {
    return false;
  }
  id.assign(buffer, static_cast<size_t>(n));
  return true;
}

std::string LanguageTag(const char* id) {
  char tag[ULOC_FULLNAME_CAPACITY * 2];
  UErrorCode st = U_ZERO_ERROR;
  int32_t n = uloc_toLanguageTag(id, tag, sizeof(tag) - 1, /*strict=*/1, &st);
  if (U_FAILURE(st) || st == U_STRING_NOT_TERMINATED_WARNING) return "";
  return std::string(tag, static_cast<size_t>(n));
}

bool ArgLocale(JSContext* ctx, int argc, JSValueConst* argv, int i, std::string& id) {
  std::string tag;
  if (!ArgString(ctx, argc, argv, i, tag)) return false;
  if (!IcuLocaleId(tag, id)) {
    JS_ThrowRangeError(ctx, "Incorrect locale information provided");
    return false;
  }
  return true;
}

const std::set<std::string>& AvailableLocales() {
  static const std::set<std::string> tags = [] {
    std::set<std::string> out;
    const int32_t count = uloc_countAvailable();
    for (int32_t i = 0; i < count; ++i) {
      std::string tag = LanguageTag(uloc_getAvailable(i));
      if (!tag.empty()) out.insert(tag);
    }
    return out;
  }();
  return tags;
}

const std::map<std::string, std::string>& ZonesByLowerName() {
  static const std::map<std::string, std::string> zones = [] {
    std::map<std::string, std::string> out;
    UErrorCode st = U_ZERO_ERROR;
    UEnumeration* e = ucal_openTimeZoneIDEnumeration(UCAL_ZONE_TYPE_ANY, nullptr, nullptr, &st);
    if (U_FAILURE(st)) return out;
    const char* name = nullptr;
    int32_t len = 0;
    while ((name = uenum_next(e, &len, &st)) != nullptr && U_SUCCESS(st)) {
      std::string id(name, static_cast<size_t>(len));
      std::string lower = id;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.emplace(lower, id);
    }
    uenum_close(e);
    return out;
  }();
  return zones;
}

JSValue StringArray(JSContext* ctx, const std::vector<std::string>& items) {
  JSValue arr = JS_NewArray(ctx);
  if (JS_IsException(arr)) return arr;
  for (size_t i = 0; i < items.size(); ++i) {
    if (JS_SetPropertyUint32(ctx, arr, static_cast<uint32_t>(i),
                             JS_NewStringLen(ctx, items[i].data(), items[i].size())) < 0) {
      JS_FreeValue(ctx, arr);
      return JS_EXCEPTION;
    }
  }
  return arr;
}

// ---------------------------------------------------------------------------
// Parts

JSValue PartsArray(JSContext* ctx, const UString& text, std::vector<Span> spans) {
  const int32_t n = ULen(text);
  std::vector<int> owner(static_cast<size_t>(n), -1);
  for (size_t s = 0; s < spans.size(); ++s) {
    for (int32_t i = std::max(0, spans[s].begin); i < std::min(n, spans[s].end); ++i) {
      const int cur = owner[static_cast<size_t>(i)];
      if (cur < 0 || spans[s].end - spans[s].begin <= spans[static_cast<size_t>(cur)].end - spans[static_cast<size_t>(cur)].begin) {
        owner[static_cast<size_t>(i)] = static_cast<int>(s);
      }
    }
  }
  JSValue arr = JS_NewArray(ctx);
  if (JS_IsException(arr)) return arr;
  uint32_t count = 0;
  int32_t i = 0;
  while (i < n) {
    int32_t j = i + 1;
    while (j < n && owner[static_cast<size_t>(j)] == owner[static_cast<size_t>(i)]) ++j;
    const int o = owner[static_cast<size_t>(i)];
    const std::string type = o < 0 ? "literal" : spans[static_cast<size_t>(o)].type;
    JSValue pair = JS_NewArray(ctx);
    if (JS_IsException(pair) || JS_SetPropertyUint32(ctx, pair, 0, JS_NewStringLen(ctx, type.data(), type.size())) < 0 ||
        JS_SetPropertyUint32(ctx, pair, 1, NewJsString(ctx, U(text) + i, j - i)) < 0 ||
        JS_SetPropertyUint32(ctx, arr, count++, pair) < 0) {
      JS_FreeValue(ctx, arr);
      return JS_EXCEPTION;
    }
    i = j;
  }
  return arr;
}

const char* DateFieldType(int32_t field) {
  switch (field) {
    case UDAT_ERA_FIELD: return "era";
    case UDAT_YEAR_FIELD:
    case UDAT_EXTENDED_YEAR_FIELD:
    case UDAT_YEAR_WOY_FIELD: return "year";
    case UDAT_YEAR_NAME_FIELD: return "yearName";
    case UDAT_RELATED_YEAR_FIELD: return "relatedYear";
    case UDAT_MONTH_FIELD:
    case UDAT_STANDALONE_MONTH_FIELD: return "month";
    case UDAT_DATE_FIELD: return "day";
    case UDAT_HOUR_OF_DAY1_FIELD:
    case UDAT_HOUR_OF_DAY0_FIELD:
    case UDAT_HOUR1_FIELD:
    case UDAT_HOUR0_FIELD: return "hour";
    case UDAT_MINUTE_FIELD: return "minute";
    case UDAT_SECOND_FIELD: return "second";
    case UDAT_FRACTIONAL_SECOND_FIELD: return "fractionalSecond";
    case UDAT_DAY_OF_WEEK_FIELD:
    case UDAT_DOW_LOCAL_FIELD:
    case UDAT_STANDALONE_DAY_FIELD: return "weekday";
    case UDAT_AM_PM_FIELD:
    case UDAT_AM_PM_MIDNIGHT_NOON_FIELD:
    case UDAT_FLEXIBLE_DAY_PERIOD_FIELD: return "dayPeriod";
    case UDAT_TIMEZONE_FIELD:
    case UDAT_TIMEZONE_RFC_FIELD:
    case UDAT_TIMEZONE_GENERIC_FIELD:
    case UDAT_TIMEZONE_SPECIAL_FIELD:
    case UDAT_TIMEZONE_LOCALIZED_GMT_OFFSET_FIELD:
    case UDAT_TIMEZONE_ISO_FIELD:
    case UDAT_TIMEZONE_ISO_LOCAL_FIELD: return "timeZoneName";
    default: return "unknown";
  }
}

const char* NumberFieldType(int32_t field, const UString& text, const Span& where, bool nan, bool infinite) {
  switch (field) {
    case UNUM_INTEGER_FIELD: return nan ? "nan" : infinite ? "infinity" : "integer";
    case UNUM_FRACTION_FIELD: return "fraction";
    case UNUM_DECIMAL_SEPARATOR_FIELD: return "decimal";
    case UNUM_EXPONENT_SYMBOL_FIELD: return "exponentSeparator";
    case UNUM_EXPONENT_SIGN_FIELD: return "exponentMinusSign";
    case UNUM_EXPONENT_FIELD: return "exponentInteger";
    case UNUM_GROUPING_SEPARATOR_FIELD: return "group";
    case UNUM_CURRENCY_FIELD: return "currency";
    case UNUM_PERCENT_FIELD:
    case UNUM_PERMILL_FIELD: return "percentSign";
    case UNUM_SIGN_FIELD: {
      for (int32_t i = where.begin; i < where.end && i < ULen(text); ++i) {
        if (text[static_cast<size_t>(i)] == u'+') return "plusSign";
      }
      return "minusSign";
    }
    case UNUM_MEASURE_UNIT_FIELD: return "unit";
    case UNUM_COMPACT_FIELD: return "compact";
    default: return "literal";
  }
}

bool ValueSpans(const UFormattedValue* value, UFieldCategory category, const UString& text, bool nan, bool infinite,
                std::vector<Span>& spans) {
  UErrorCode st = U_ZERO_ERROR;
  UConstrainedFieldPosition* pos = ucfpos_open(&st);
  if (U_FAILURE(st)) return false;
  ucfpos_constrainCategory(pos, category, &st);
  while (U_SUCCESS(st) && ufmtval_nextPosition(value, pos, &st)) {
    Span span{0, 0, ""};
    ucfpos_getIndexes(pos, &span.begin, &span.end, &st);
    const int32_t field = ucfpos_getField(pos, &st);
    if (category == UFIELD_CATEGORY_LIST) {
      if (field != ULISTFMT_ELEMENT_FIELD) continue;
      span.type = "element";
    } else {
      span.type = NumberFieldType(field, text, span, nan, infinite);
    }
    spans.push_back(span);
  }
  ucfpos_close(pos);
  return U_SUCCESS(st);
}

void ReplaceHourCycle(UString& pattern, char16_t hc) {
  bool quoted = false;
  for (char16_t& c : pattern) {
    if (c == u'\'') quoted = !quoted;
    else if (!quoted && (c == u'h' || c == u'H' || c == u'k' || c == u'K')) c = hc;
  }
}

char16_t HourSymbol(const UString& pattern) {
  bool quoted = false;
  for (char16_t c : pattern) {
    if (c == u'\'') quoted = !quoted;
    else if (!quoted && (c == u'h' || c == u'H' || c == u'k' || c == u'K')) return c;
  }
  return 0;
}

// Making a pattern generator costs more than the rest of a DateTimeFormat,
// so each thread keeps the last few it made (a worker's thread serves one
// worker at a time; the generators are ICU's own, outside any runtime's
// heap, at most kGenerators per thread, closed when the thread ends).
bool BestPattern(const std::string& locale_id, const UString& skeleton, UString& pattern) {
  struct Generator {
    std::string locale;
    std::unique_ptr<UDateTimePatternGenerator, void (*)(UDateTimePatternGenerator*)> gen{nullptr, udatpg_close};
  };
  constexpr size_t kGenerators = 4;
  thread_local std::vector<Generator> cache;  // most recently used last
  UDateTimePatternGenerator* gen = nullptr;
  for (size_t i = 0; i < cache.size(); ++i) {
    if (cache[i].locale == locale_id) {
      std::rotate(cache.begin() + static_cast<std::ptrdiff_t>(i), cache.begin() + static_cast<std::ptrdiff_t>(i) + 1, cache.end());
      gen = cache.back().gen.get();
      break;
    }
  }
  if (gen == nullptr) {
    UErrorCode st = U_ZERO_ERROR;
    gen = udatpg_open(locale_id.c_str(), &st);
    if (U_FAILURE(st)) return false;
    if (cache.size() == kGenerators) cache.erase(cache.begin());
    cache.push_back(Generator{locale_id, {gen, udatpg_close}});
  }
  return FillUString(pattern, [&](UChar* b, int32_t c, UErrorCode* s) {
    return udatpg_getBestPatternWithOptions(gen, U(skeleton), ULen(skeleton), UDATPG_MATCH_HOUR_FIELD_LENGTH, b, c, s);
  });
}

JSValue ThrowIcu(JSContext* ctx, const char* what, UErrorCode st) {
  if (st == U_MEMORY_ALLOCATION_ERROR) return JS_ThrowOutOfMemory(ctx);
  return JS_ThrowRangeError(ctx, "%s: %s", what, u_errorName(st));
}

bool ArgNumber(JSContext* ctx, int argc, JSValueConst* argv, int i, double& out) {
  if (i >= argc || !JS_IsNumber(argv[i])) {
    JS_ThrowTypeError(ctx, "Intl: expected a number argument");
    return false;
  }
  return JS_ToFloat64(ctx, &out, argv[i]) == 0;
}

int32_t ArgInt(JSContext* ctx, int argc, JSValueConst* argv, int i) {
  int32_t v = 0;
  if (i < argc) JS_ToInt32(ctx, &v, argv[i]);
  return v;
}


}  // namespace hbf::js::internal::intl

// JSON parse/serialise on HBF's own bodies: src/core/json.{h,cpp} against
// the Debian bookworm candidates (issue #19, item 2). Not a test; see
// bench/README.md ("JSON") for how to build and run it and what it found.
//
// Every candidate is measured twice where it matters:
//  - "raw": the library's own DOM (what its README benchmarks);
//  - "-> hbf::Json": the library's parser filling an hbf::Json tree, which
//    is what replacing the hand-written parser behind the same Json API costs
//    (every caller walks hbf::Json), and for serialising, the library's
//    writer driven from an hbf::Json tree.
// Figures are ns per input byte (parse) or output byte (serialise), the
// median of 7 rounds, each round repeating the body until ~50 ms have passed.
#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>
#include <algorithm>

#include "core/json.h"

#include <nlohmann/json.hpp>
#include <rapidjson/document.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#ifdef HBF_BENCH_SIMDJSON
#include <simdjson.h>
#endif

namespace {

using hbf::Json;
using Clock = std::chrono::steady_clock;

// ------------------------------------------------------------------ bodies

std::string Lorem(int i, size_t n) {
  static const char* words[] = {"lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "élit",
                                "sed", "do", "eiusmod", "tempor", "incididunt", "ut", "labore", "et", "dolore",
                                "magna", "aliqua", "naïve", "\"quoted\"", "line\nbreak", "日本語"};
  std::string out;
  unsigned x = static_cast<unsigned>(i) * 2654435761u + 12345u;
  while (out.size() < n) {
    x = x * 1103515245u + 12345u;
    if (!out.empty()) out += ' ';
    out += words[(x >> 16) % (sizeof words / sizeof *words)];
  }
  return out;
}

// GET /_api/data/posts?limit=50: {items, next_cursor}.
Json RecordsPage(int n) {
  Json::Array items;
  for (int i = 0; i < n; ++i) {
    items.push_back(Json::MakeObject({{"id", i + 1},
                                      {"title", "Post number " + std::to_string(i + 1)},
                                      {"body", Lorem(i, 240)},
                                      {"author_id", int64_t{1000 + i % 7}},
                                      {"published", i % 3 != 0},
                                      {"score", 0.25 * i + 1.0 / 3.0},
                                      {"created_at", int64_t{1764500000 + i * 61}},
                                      {"tags", Json(Json::Array{"news", "tech"})}}));
  }
  return Json::MakeObject({{"items", Json(std::move(items))}, {"next_cursor", "eyJpZCI6NTAsInNvcnQiOm51bGx9"}});
}

// POST /_api/data/posts: one record.
Json RecordBody() {
  return Json::MakeObject({{"title", "Hello from the records API"},
                           {"body", Lorem(7, 300)},
                           {"published", false},
                           {"score", 4.5},
                           {"tags", Json(Json::Array{"a", "b", "c"})}});
}

// GET /_api/documents: {documents: [meta...], next_cursor}.
Json DocumentsList(int n) {
  Json::Array items;
  for (int i = 0; i < n; ++i) {
    const bool css = i % 4 == 0;
    items.push_back(Json::MakeObject({{"id", std::string(css ? "public/css/site-" : "pages/blog/post-") +
                                                 std::to_string(i) + (css ? ".css" : ".ejs")},
                                      {"content_type", css ? "text/css" : "text/html; charset=utf-8"},
                                      {"size", int64_t{1000 + (i * 37) % 90000}},
                                      {"etag", "\"" + std::to_string(0x9f8e7d6c5b4aULL + static_cast<uint64_t>(i) * 977) + "\""},
                                      {"is_text", true},
                                      {"visibility", i % 5 == 0 ? "public" : "default"},
                                      {"created_at", int64_t{1764400000 + i}},
                                      {"modified_at", int64_t{1764500000 + i * 13}}}));
  }
  return Json::MakeObject({{"documents", Json(std::move(items))}, {"next_cursor", Json()}});
}

// GET /_api/config.
Json Config() {
  return Json::MakeObject({{"qjs_mem_mb", 64},           {"qjs_timeout_ms", 5000},
                           {"session_lifetime_hours", 168}, {"max_upload_size_mb", 10},
                           {"max_storage_mb", 1024},     {"max_documents", 100000},
                           {"enable_audit_log", true},   {"self_signup", false},
                           {"public_paths", "/assets/*,/blog/*"}, {"private_paths", Json()},
                           {"rate_limit_rps", 50},       {"rate_limit_burst", 100},
                           {"security_headers", true},   {"cors_origins", "https://example.com"},
                           {"cors_methods", "GET,POST"}, {"cors_headers", Json()},
                           {"cors_credentials", false},  {"cors_max_age", 600},
                           {"env", Json::MakeObject({{"API_BASE", "https://api.example.com/v2"}, {"MODE", "prod"}})}});
}

// ------------------------------------------------------- library -> hbf::Json

// RapidJSON SAX into hbf::Json (duplicate names: last wins, as Json::Parse).
struct RapidToHbf : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, RapidToHbf> {
  std::vector<Json> stack;
  std::vector<std::string> keys;
  Json root;
  bool Put(Json v) {
    if (stack.empty()) {
      root = std::move(v);
    } else if (stack.back().is_array()) {
      stack.back().as_array().push_back(std::move(v));
    } else {
      stack.back().set(std::move(keys.back()), std::move(v));
      keys.pop_back();
    }
    return true;
  }
  bool Null() { return Put(Json()); }
  bool Bool(bool b) { return Put(Json(b)); }
  bool Int(int i) { return Put(Json(int64_t{i})); }
  bool Uint(unsigned u) { return Put(Json(int64_t{u})); }
  bool Int64(int64_t i) { return Put(Json(i)); }
  bool Uint64(uint64_t u) { return Put(Json(u)); }
  bool Double(double d) { return Put(Json(d)); }
  bool String(const char* s, rapidjson::SizeType n, bool) { return Put(Json(std::string(s, n))); }
  bool StartObject() { stack.emplace_back(Json::Object{}); return true; }
  bool Key(const char* s, rapidjson::SizeType n, bool) { keys.emplace_back(s, n); return true; }
  bool EndObject(rapidjson::SizeType) { Json v = std::move(stack.back()); stack.pop_back(); return Put(std::move(v)); }
  bool StartArray() { stack.emplace_back(Json::Array{}); return true; }
  bool EndArray(rapidjson::SizeType) { Json v = std::move(stack.back()); stack.pop_back(); return Put(std::move(v)); }
};

bool RapidParseToHbf(const std::string& text, Json& out) {
  RapidToHbf handler;
  rapidjson::Reader reader;
  rapidjson::StringStream ss(text.c_str());
  constexpr unsigned kFlags = rapidjson::kParseValidateEncodingFlag | rapidjson::kParseFullPrecisionFlag |
                              rapidjson::kParseIterativeFlag;
  if (reader.Parse<kFlags>(ss, handler).IsError()) return false;
  out = std::move(handler.root);
  return true;
}

template <typename W>
void RapidWrite(W& w, const Json& v) {
  if (v.is_null()) w.Null();
  else if (v.is_bool()) w.Bool(v.as_bool());
  else if (v.is_int()) w.Int64(v.as_int());
  else if (v.is_number()) w.Double(v.as_double());
  else if (v.is_string()) w.String(v.as_string().data(), static_cast<rapidjson::SizeType>(v.as_string().size()));
  else if (v.is_array()) {
    w.StartArray();
    for (const auto& x : v.as_array()) RapidWrite(w, x);
    w.EndArray();
  } else {
    w.StartObject();
    for (const auto& [k, x] : v.as_object()) {
      w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
      RapidWrite(w, x);
    }
    w.EndObject();
  }
}

Json FromNlohmann(const nlohmann::ordered_json& j) {
  switch (j.type()) {
    case nlohmann::ordered_json::value_t::null: return Json();
    case nlohmann::ordered_json::value_t::boolean: return Json(j.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer: return Json(j.get<int64_t>());
    case nlohmann::ordered_json::value_t::number_unsigned: return Json(j.get<uint64_t>());
    case nlohmann::ordered_json::value_t::number_float: return Json(j.get<double>());
    case nlohmann::ordered_json::value_t::string: return Json(j.get_ref<const std::string&>());
    case nlohmann::ordered_json::value_t::array: {
      Json::Array a;
      a.reserve(j.size());
      for (const auto& x : j) a.push_back(FromNlohmann(x));
      return Json(std::move(a));
    }
    case nlohmann::ordered_json::value_t::object: {
      Json o = Json::MakeObject({});
      for (const auto& [k, x] : j.items()) o.set(k, FromNlohmann(x));
      return o;
    }
    default: return Json();
  }
}

#ifdef HBF_BENCH_SIMDJSON
Json FromSimd(simdjson::dom::element e) {
  switch (e.type()) {
    case simdjson::dom::element_type::NULL_VALUE: return Json();
    case simdjson::dom::element_type::BOOL: return Json(bool(e.get_bool()));
    case simdjson::dom::element_type::INT64: return Json(int64_t(e.get_int64()));
    case simdjson::dom::element_type::UINT64: return Json(uint64_t(e.get_uint64()));
    case simdjson::dom::element_type::DOUBLE: return Json(double(e.get_double()));
    case simdjson::dom::element_type::STRING: return Json(std::string_view(e.get_string()));
    case simdjson::dom::element_type::ARRAY: {
      Json::Array a;
      for (auto x : e.get_array()) a.push_back(FromSimd(x));
      return Json(std::move(a));
    }
    case simdjson::dom::element_type::OBJECT: {
      Json o = Json::MakeObject({});
      for (auto field : e.get_object()) o.set(std::string(field.key), FromSimd(field.value));
      return o;
    }
  }
  return Json();
}
#endif

// ------------------------------------------------------------------ timing

double NsPerByte(size_t bytes, const std::function<void()>& once) {
  std::vector<double> rounds;
  for (int r = 0; r < 7; ++r) {
    int reps = 0;
    auto start = Clock::now();
    auto elapsed = Clock::duration::zero();
    do {
      once();
      ++reps;
      elapsed = Clock::now() - start;
    } while (elapsed < std::chrono::milliseconds(50));
    rounds.push_back(std::chrono::duration<double, std::nano>(elapsed).count() / reps / static_cast<double>(bytes));
  }
  std::sort(rounds.begin(), rounds.end());
  return rounds[rounds.size() / 2];
}

size_t g_sink = 0;  // printed at the end so no work is optimised away

}  // namespace

int main() {
  // The allocator as hbf sets it (main.cpp's TuneAllocator). With glibc's
  // defaults a 1 MB output string is mmapped afresh on every dump (a page
  // fault per 4 KiB: 8 ns a byte on this VM, against 1.3 with this), which
  // measures the benchmark's allocator, not the serialiser; RapidJSON's
  // buffer grows with realloc (mremap) and escaped it.
  mallopt(M_MMAP_THRESHOLD, 16 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  mallopt(M_TOP_PAD, 4 << 20);
  struct Body {
    const char* name;
    Json value;
  };
  std::vector<Body> bodies = {{"record POST body", RecordBody()},
                              {"/_api/config", Config()},
                              {"records page (50 rows)", RecordsPage(50)},
                              {"documents list (100)", DocumentsList(100)},
                              {"documents list (~1 MB)", DocumentsList(4500)}};

  std::printf("| body | bytes | parse: Json::Parse | rapidjson -> hbf::Json | rapidjson raw | nlohmann -> hbf::Json | "
              "nlohmann raw"
#ifdef HBF_BENCH_SIMDJSON
              " | simdjson -> hbf::Json | simdjson raw"
#endif
              " | dump: hbf | rapidjson Writer from hbf::Json | nlohmann raw dump |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|"
#ifdef HBF_BENCH_SIMDJSON
              "---:|---:|"
#endif
              "---:|---:|---:|\n");
  for (const auto& body : bodies) {
    const std::string text = body.value.dump();
    // Every parser must read the body back to the same value.
    Json check;
    if (!RapidParseToHbf(text, check) || check.dump() != text) std::fprintf(stderr, "rapidjson mismatch: %s\n", body.name);
    if (FromNlohmann(nlohmann::ordered_json::parse(text)).dump() != text) std::fprintf(stderr, "nlohmann mismatch: %s\n", body.name);
    if (auto own = Json::Parse(text); !own.ok() || own->dump() != text) std::fprintf(stderr, "hbf mismatch: %s\n", body.name);

    const double p_hbf = NsPerByte(text.size(), [&] { g_sink += Json::Parse(text)->is_object(); });
    const double p_rapid = NsPerByte(text.size(), [&] {
      Json v;
      g_sink += RapidParseToHbf(text, v);
    });
    const double p_rapid_raw = NsPerByte(text.size(), [&] {
      rapidjson::Document d;
      d.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseFullPrecisionFlag>(text.c_str(), text.size());
      g_sink += d.IsObject();
    });
    const double p_nl = NsPerByte(text.size(), [&] { g_sink += FromNlohmann(nlohmann::ordered_json::parse(text)).is_object(); });
    const double p_nl_raw = NsPerByte(text.size(), [&] { g_sink += nlohmann::ordered_json::parse(text).is_object(); });
#ifdef HBF_BENCH_SIMDJSON
    simdjson::dom::parser simd;
    const simdjson::padded_string padded(text);
    const double p_simd = NsPerByte(text.size(), [&] { g_sink += FromSimd(simd.parse(padded).value()).is_object(); });
    const double p_simd_raw = NsPerByte(text.size(), [&] { g_sink += simd.parse(padded).value().is_object(); });
#endif
    auto reparsed = Json::Parse(text);
    const Json value = *reparsed;
    const double d_hbf = NsPerByte(text.size(), [&] { g_sink += value.dump().size(); });
    const double d_rapid = NsPerByte(text.size(), [&] {
      rapidjson::StringBuffer sb;
      rapidjson::Writer<rapidjson::StringBuffer> w(sb);
      RapidWrite(w, value);
      g_sink += sb.GetSize();
    });
    const auto nl = nlohmann::ordered_json::parse(text);
    const double d_nl = NsPerByte(text.size(), [&] { g_sink += nl.dump().size(); });
    std::printf("| %s | %zu | %.2f | %.2f | %.2f | %.2f | %.2f |", body.name, text.size(), p_hbf, p_rapid, p_rapid_raw,
                p_nl, p_nl_raw);
#ifdef HBF_BENCH_SIMDJSON
    std::printf(" %.2f | %.2f |", p_simd, p_simd_raw);
#endif
    std::printf(" %.2f | %.2f | %.2f |\n", d_hbf, d_rapid, d_nl);
    std::fflush(stdout);
  }
  std::fprintf(stderr, "(checksum %zu)\n", g_sink);
  return 0;
}

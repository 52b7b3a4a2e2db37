// The default handler: GET/HEAD of a henv path serves the document at that
// path, with the caching, range and compression behaviour of a good static
// file server. `_system/` documents are never served raw.
#include <cctype>
#include <charconv>
#include <ctime>

#include "app/app.h"
#include "app/document_cache.h"
#include "documents/visibility.h"
#include "app/request_util.h"
#include "documents/content_types.h"
#include "documents/document_store.h"

namespace hbf {
namespace {

std::string HttpDate(int64_t unix_seconds) {
  time_t t = static_cast<time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::optional<int64_t> ParseHttpDate(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return static_cast<int64_t>(timegm(&tm));
}

// True when `header` (an If-None-Match value) names one of the etags.
bool EtagListMatches(std::string_view header, std::string_view a, std::string_view b) {
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item == "*") return true;
    if (item.substr(0, 2) == "W/") item.remove_prefix(2);  // If-None-Match uses weak comparison
    if (item == a || item == b) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

enum class RangeKind { kNone, kSatisfiable, kUnsatisfiable };
struct ByteRange {
  RangeKind kind = RangeKind::kNone;
  int64_t first = 0;
  int64_t last = 0;  // inclusive
};

// One "bytes=" range of RFC 9110. Malformed or multi-range requests are
// ignored (the whole document is served), as the RFC allows.
ByteRange ParseRange(const std::string* header, int64_t size) {
  ByteRange r;
  if (header == nullptr) return r;
  std::string_view v = *header;
  if (v.substr(0, 6) != "bytes=") return r;
  v.remove_prefix(6);
  if (v.find(',') != std::string_view::npos) return r;
  size_t dash = v.find('-');
  if (dash == std::string_view::npos) return r;
  auto number = [](std::string_view s, int64_t& out) {
    if (s.empty()) return false;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size() && out >= 0;
  };
  std::string_view a = v.substr(0, dash);
  std::string_view b = v.substr(dash + 1);
  int64_t first = 0;
  int64_t last = 0;
  if (a.empty()) {  // suffix: the last N bytes
    if (!number(b, last)) return r;
    if (last == 0 || size == 0) return ByteRange{RangeKind::kUnsatisfiable, 0, 0};
    return ByteRange{RangeKind::kSatisfiable, std::max<int64_t>(0, size - last), size - 1};
  }
  if (!number(a, first)) return r;
  if (b.empty()) {
    last = size - 1;
  } else if (!number(b, last) || last < first) {
    return r;
  }
  if (first >= size) return ByteRange{RangeKind::kUnsatisfiable, 0, 0};
  return ByteRange{RangeKind::kSatisfiable, first, std::min(last, size - 1)};
}

}  // namespace

HttpResponse App::ServeDocument(const HttpRequest& request, const RequestContext& ctx, Henv& henv) {
  return *ServeDocument(request, ctx, henv, DbAccess::kWait);
}

std::optional<HttpResponse> App::ServeDocument(const HttpRequest& request, const RequestContext& ctx, Henv& henv,
                                               DbAccess access) {
  auto not_found = [&] { return HttpResponse::ErrorBody(404, "not_found", "nothing is served at " + ctx.subpath); };
  // "a%2Fb" names no document: ids are split at real slashes only.
  if ((request.method != "GET" && request.method != "HEAD") || ctx.encoded_slash) return not_found();

  std::string_view rel = std::string_view(ctx.subpath).substr(1);
  const bool folder_like = rel.empty() || rel.back() == '/';
  std::string id = folder_like ? std::string(rel) + "index.html" : std::string(rel);
  if (id == "_system" || id.rfind("_system/", 0) == 0) return not_found();
  if (!docs::ValidateDocumentId(id).ok()) return not_found();

  const bool gzip_ok = AcceptsGzip(request.header("accept-encoding"));
  docs::VisibilityRules rules;  // read with the document, under the same lock
  std::optional<Result<std::optional<docs::Document>>> read;
  // On a loop, a document read a moment ago is answered from the loop's
  // cache while nothing has changed it (document_cache.h).
  DocumentCache* cache = access == DbAccess::kNoWait ? &DocumentCache::ForThisThread() : nullptr;
  const std::string cache_key = cache != nullptr ? DocumentCache::Key(henv.hash(), id, gzip_ok) : std::string();
  const int64_t now_ns =
      cache != nullptr
          ? std::chrono::duration_cast<std::chrono::nanoseconds>(clocks_.steady().time_since_epoch()).count()
          : 0;
  if (cache != nullptr) {
    if (auto hit = cache->Find(cache_key, henv.documents_epoch(), henv.settings_epoch(), now_ns)) {
      rules = hit->rules;
      read.emplace(std::optional<docs::Document>(hit->document));
    }
  }
  if (!read) {
    uint64_t documents_epoch = 0;
    uint64_t settings_epoch = 0;
    read = henv.WithDbWithin(Patience(access), [&](db::Database& db) {
      documents_epoch = henv.documents_epoch();  // before the read: a later write moves it on
      rules = docs::ParseVisibilityRules(henv.Setting(db, "private_paths").value_or(""),
                                         henv.Setting(db, "public_paths").value_or(""));
      settings_epoch = henv.settings_epoch();  // the rules' (settings change only under this lock)
      return docs::GetDocument(db, id, gzip_ok);
    });
    if (!read) return std::nullopt;  // busy, and this caller does not wait
    if (cache != nullptr && read->ok() && read->value().has_value() && !docs::IsTemplate((*read)->value().meta)) {
      auto entry = std::make_shared<DocumentCache::Entry>();
      entry->document = *read->value();
      entry->rules = rules;
      entry->documents_epoch = documents_epoch;
      entry->settings_epoch = settings_epoch;
      entry->read_at_ns = now_ns;
      cache->Put(cache_key, std::move(entry));
    }
  }
  auto& found = *read;
  if (!found.ok()) return HttpResponse::FromError(found.error());
  // Server code, views and whatever the henv marked private are answered
  // exactly like a missing document: their existence is not revealed.
  if (found->has_value() && !docs::IsPublic(id, (*found)->meta.visibility, rules, scripts_.IsServerCode(henv.hash(), id))) {
    return not_found();
  }
  if (!found->has_value()) {
    if (!folder_like) {
      // "/docs" with a "docs/index.html": redirect so relative links resolve.
      auto read_index =
          henv.WithDbWithin(Patience(access), [&](db::Database& db) { return docs::GetMeta(db, id + "/index.html"); });
      if (!read_index) return std::nullopt;
      auto& index = *read_index;
      if (index.ok() && index->has_value() &&
          docs::IsPublic(id + "/index.html", (*index)->visibility, rules,
                         scripts_.IsServerCode(henv.hash(), id + "/index.html"))) {
        HttpResponse r;
        r.status = 301;
        r.set_header("Location", ctx.subpath + "/" + (request.query.empty() ? "" : "?" + request.query));
        return r;
      }
    }
    return not_found();
  }
  docs::Document& doc = **found;
  if (docs::IsTemplate(doc.meta)) {
    if (access == DbAccess::kNoWait) return std::nullopt;  // a script runs: not on an I/O loop
    // EJS documents are rendered, never sent raw; locals come from the request.
    Json locals = Json::MakeObject({{"path", ctx.subpath}, {"henv", henv.hash()}});
    auto query = ParseUrlEncoded(request.query);
    locals.set("query", query ? *query : Json(Json::Object{}));
    auto rendered = scripts_.Render(henv, ScriptLimitsFor(henv), id, false, locals.dump());
    if (rendered.kind != js::ScriptResult::Kind::kResponse) return ScriptFailure(rendered.error, henv, request);
    rendered.response.set_header("Cache-Control", "no-store");
    return std::move(rendered.response);
  }
  const std::string& etag = doc.meta.etag;
  const std::string gzip_etag = etag.substr(0, etag.size() - 1) + "-gz\"";
  const bool has_gzip = doc.gzip.has_value();

  HttpResponse r;
  r.set_header("Content-Type", doc.meta.content_type);
  r.set_header("Last-Modified", HttpDate(doc.meta.modified_at));
  r.set_header("Cache-Control", "no-cache");  // always revalidate: apps change live
  r.set_header("Accept-Ranges", "bytes");
  r.set_header("X-Content-Type-Options", "nosniff");
  if (has_gzip || docs::IsTextType(doc.meta.content_type)) r.set_header("Vary", "Accept-Encoding");

  // Conditional requests: If-None-Match wins over If-Modified-Since.
  const std::string* inm = request.header("if-none-match");
  bool not_modified = false;
  if (inm != nullptr) {
    not_modified = EtagListMatches(*inm, etag, gzip_etag);
  } else if (const std::string* ims = request.header("if-modified-since"); ims != nullptr) {
    auto since = ParseHttpDate(*ims);
    not_modified = since && doc.meta.modified_at <= *since;
  }
  const bool serve_gzip = gzip_ok && has_gzip;
  if (not_modified) {
    r.status = 304;
    r.set_header("ETag", serve_gzip ? gzip_etag : etag);
    return r;
  }

  // Ranges go by the bytes there are (a row written with SQL may carry a
  // size that is not its content's).
  const auto size = static_cast<int64_t>(doc.content.size());
  ByteRange range = ParseRange(request.header("range"), size);
  if (range.kind != RangeKind::kNone) {
    // If-Range: honour the range only for the version the client holds.
    if (const std::string* if_range = request.header("if-range"); if_range != nullptr) {
      bool same = *if_range == etag;
      if (!same) {
        auto date = ParseHttpDate(*if_range);
        same = date && doc.meta.modified_at <= *date;
      }
      if (!same) range.kind = RangeKind::kNone;
    }
  }
  if (range.kind == RangeKind::kUnsatisfiable) {
    HttpResponse e = HttpResponse::ErrorBody(416, "range_not_satisfiable", "the requested range is outside the document");
    e.set_header("Content-Range", "bytes */" + std::to_string(size));
    return e;
  }
  r.set_header("ETag", (serve_gzip && range.kind == RangeKind::kNone) ? gzip_etag : etag);
  if (range.kind == RangeKind::kSatisfiable) {
    r.status = 206;
    r.set_header("Content-Range", "bytes " + std::to_string(range.first) + "-" + std::to_string(range.last) + "/" +
                                      std::to_string(size));
    r.body = doc.content.substr(static_cast<size_t>(range.first), static_cast<size_t>(range.last - range.first + 1));
    return r;
  }
  r.status = 200;
  if (serve_gzip) {
    r.set_header("Content-Encoding", "gzip");
    r.body = std::move(*doc.gzip);
  } else {
    r.body = std::move(doc.content);
  }
  return r;
}

int64_t App::UploadLimitBytes(const RequestContext& ctx, Henv& henv) const {
  if (ctx.subpath.rfind("/_api/documents", 0) != 0 && ctx.subpath != "/_api/modules") return -1;
  int64_t mb = henv.WithDb([&henv](db::Database& db) { return henv.SettingInt(db, "max_upload_size_mb", 10); });
  if (mb <= 0) return -1;
  return mb * 1024 * 1024;
}

}  // namespace hbf

// A henv's documents: hierarchical ids ("pages/home", "css/site.css",
// "_system/router.js") mapped to bytes with a content type, plus their place
// in the document graph (edges, tag tree) and their full-text index.
//
// Storage (schema v3): table `documents` holds the bytes as a BLOB (binary
// stays binary), a gzip copy for text types (computed once per version), a
// strong ETag (SHA-256 of the bytes) and timestamps. Each document owns a
// node in `nodes` (type 'document') so the spec's edges and tags apply.
// `documents_fts` indexes path and text and is kept exact by triggers.
//
// Every function takes the henv's Database and must run with exclusive use
// of it (Henv::WithDb). Writes that touch several rows open their own
// transaction unless one is already open.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/result.h"
#include "db/database.h"

namespace hbf::docs {

inline constexpr size_t kMaxDocumentIdLength = 512;

// 400 "invalid_document_id" unless `id` is 1..512 bytes of valid UTF-8,
// without control characters or backslashes, made of non-empty '/'-separated
// segments none of which is "." or "..".
Status ValidateDocumentId(std::string_view id);

struct DocumentMeta {
  std::string id;
  std::string content_type;
  int64_t size = 0;
  std::string etag;  // quoted strong ETag, e.g. "\"3f2a...\""
  int64_t created_at = 0;
  int64_t modified_at = 0;
  int64_t node_id = 0;
  std::string visibility;  // "public", "private", or "" (the henv's rules decide)
};
Json MetaToJson(const DocumentMeta& meta);

// Sets a document's own visibility: "public", "private" or "default" (the
// henv's rules decide). False when there is no such document; 400 for
// another value.
Result<bool> SetVisibility(db::Database& db, const std::string& id, std::string_view visibility);

struct Document {
  DocumentMeta meta;
  std::string content;
  std::optional<std::string> gzip;  // only when requested and stored
};

struct PutResult {
  DocumentMeta meta;
  bool created = false;  // false: an existing document was replaced
};
// Creates or replaces document `id`. An empty content_type is derived from
// the id's extension.
Result<PutResult> PutDocument(db::Database& db, const std::string& id, std::string content_type,
                              const std::string& content);

Result<std::optional<DocumentMeta>> GetMeta(db::Database& db, const std::string& id);
// With `with_gzip`, also loads the stored gzip copy (if any).
Result<std::optional<Document>> GetDocument(db::Database& db, const std::string& id, bool with_gzip);
// True when a document was deleted. Its edges and tags go with it.
Result<bool> DeleteDocument(db::Database& db, const std::string& id);

struct ListPage {
  std::vector<DocumentMeta> items;
  std::optional<std::string> next_cursor;  // pass back to get the next page
};
// Documents whose id starts with `prefix`, in id order. `cursor` is the
// opaque value of a previous page's next_cursor. 1 <= limit <= 1000.
Result<ListPage> ListDocuments(db::Database& db, const std::string& prefix, int limit,
                               const std::optional<std::string>& cursor);

// True for EJS templates: ids ending in ".ejs", or types text/ejs or
// text/html+ejs.
bool IsTemplate(const DocumentMeta& meta);
// Every template document, in id order.
Result<std::vector<DocumentMeta>> ListTemplates(db::Database& db);

struct SearchHit {
  DocumentMeta meta;
  double score = 0;     // BM25: lower is more relevant (SQLite's convention)
  std::string snippet;  // HTML-escaped text with <mark>...</mark> around hits
};
// FTS5 query syntax (words, "phrases", prefix*, AND/OR/NOT). A malformed
// query is 400 "invalid_query".
Result<std::vector<SearchHit>> Search(db::Database& db, const std::string& query, int limit);

// ---- graph
struct Edge {
  int64_t id = 0;
  std::string from;
  std::string to;
  std::string rel;
  Json props;  // null when none
};
Json EdgeToJson(const Edge& edge);
// 404 when either document is missing; props must be a JSON object or null.
Result<Edge> Link(db::Database& db, const std::string& from, const std::string& to, const std::string& rel,
                  const Json& props);
// Removes the edges from->to with `rel`; returns how many.
Result<int64_t> Unlink(db::Database& db, const std::string& from, const std::string& to, const std::string& rel);
enum class Direction { kOut, kIn, kBoth };
// Edges touching `id`, optionally only of `rel`, in edge order.
Result<std::vector<Edge>> Neighbours(db::Database& db, const std::string& id, const std::optional<std::string>& rel,
                                     Direction direction);

struct Tag {
  int64_t id = 0;
  std::string tag;
  std::string document;
  std::optional<int64_t> parent_id;
  int64_t order = 0;
  Json metadata;
  int depth = 0;  // in a subtree listing: 0 for its root
};
Json TagToJson(const Tag& tag);
Result<Tag> AddTag(db::Database& db, const std::string& document, const std::string& tag,
                   std::optional<int64_t> parent_id, int64_t order, const Json& metadata);
Result<bool> DeleteTag(db::Database& db, int64_t tag_id);
// The tag and its descendants, depth-first, siblings by order then id.
Result<std::vector<Tag>> TagSubtree(db::Database& db, int64_t root_tag_id);

}  // namespace hbf::docs

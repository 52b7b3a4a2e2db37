#include "documents/document_store.h"

#include "codec/gzip.h"
#include "crypto/crypto.h"
#include "documents/content_types.h"

namespace hbf::docs {
namespace {

constexpr const char* kMetaColumns =
    "d.path, d.content_type, d.size, d.etag, d.created_at, d.modified_at, COALESCE(d.node_id, 0), "
    "COALESCE(d.visibility, '')";
constexpr int kMetaColumnCount = 8;

DocumentMeta ReadMeta(const db::Statement& s, int first) {
  DocumentMeta m;
  m.id = s.Text(first);
  m.content_type = s.Text(first + 1);
  m.size = s.Int(first + 2);
  m.etag = s.Text(first + 3);
  m.created_at = s.Int(first + 4);
  m.modified_at = s.Int(first + 5);
  m.node_id = s.Int(first + 6);
  m.visibility = s.Text(first + 7);
  return m;
}

// Opens a transaction unless the caller already has one.
class WriteScope {
 public:
  static Result<WriteScope> Begin(db::Database& db) {
    if (db.InTransaction()) return WriteScope(std::nullopt);
    auto tx = db::Transaction::Begin(db);
    if (!tx.ok()) return tx.error();
    return WriteScope(std::move(tx).value());
  }
  Status Commit() { return tx_ ? tx_->Commit() : Status(Ok{}); }

 private:
  explicit WriteScope(std::optional<db::Transaction> tx) : tx_(std::move(tx)) {}
  std::optional<db::Transaction> tx_;
};

Error NotFound(const std::string& what) { return Error{"not_found", what, 404}; }

Result<std::optional<int64_t>> NodeOf(db::Database& db, const std::string& id) {
  auto v = db.QueryValue("SELECT node_id FROM documents WHERE path = ?", {id});
  if (!v.ok()) return v.error();
  if (!v->has_value() || !std::holds_alternative<int64_t>(**v)) return std::optional<int64_t>();
  return std::optional<int64_t>(std::get<int64_t>(**v));
}

std::string HtmlEscapeSnippet(const std::string& raw) {
  std::string out;
  out.reserve(raw.size() + 16);
  for (char c : raw) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\x01': out += "<mark>"; break;
      case '\x02': out += "</mark>"; break;
      default: out += c;
    }
  }
  return out;
}

Result<Json> ParseStoredJson(const db::Statement& s, int column) {
  if (s.IsNull(column)) return Json();
  auto parsed = Json::Parse(s.Text(column));
  if (!parsed.ok()) return Json();
  return parsed;
}

}  // namespace

Status ValidateDocumentId(std::string_view id) {
  auto bad = [](std::string why) { return Error{"invalid_document_id", "document id " + why, 400}; };
  if (id.empty()) return bad("must not be empty");
  if (id.size() > kMaxDocumentIdLength) return bad("is longer than 512 bytes");
  if (!IsValidUtf8(id)) return bad("is not valid UTF-8");
  for (char ch : id) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) return bad("contains a control character");
    if (c == '\\') return bad("contains a backslash");
  }
  size_t start = 0;
  while (start <= id.size()) {
    size_t slash = id.find('/', start);
    std::string_view segment = id.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (segment.empty()) return bad("has an empty segment (leading, trailing or doubled '/')");
    if (segment == "." || segment == "..") return bad("has a '.' or '..' segment");
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return Ok{};
}

Json MetaToJson(const DocumentMeta& m) {
  return Json::MakeObject({
      {"id", m.id},
      {"content_type", m.content_type},
      {"size", m.size},
      {"etag", m.etag},
      {"created_at", m.created_at},
      {"modified_at", m.modified_at},
      {"visibility", m.visibility.empty() ? Json("default") : Json(m.visibility)},
  });
}

Result<bool> SetVisibility(db::Database& db, const std::string& id, std::string_view visibility) {
  if (visibility != "public" && visibility != "private" && visibility != "default") {
    return Error{"invalid_field", "visibility must be public, private or default", 400};
  }
  auto stmt = db.Prepare("UPDATE documents SET visibility = ?2 WHERE path = ?1");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, id);
  if (visibility == "default") {
    stmt->Bind(2, db::Null{});
  } else {
    stmt->Bind(2, std::string(visibility));
  }
  if (auto s = stmt->Run(); !s.ok()) return s.error();
  return db.Changes() > 0;
}

Result<PutResult> PutDocument(db::Database& db, const std::string& id, std::string content_type,
                              const std::string& content) {
  if (auto s = ValidateDocumentId(id); !s.ok()) return s.error();
  if (content_type.empty()) content_type = ContentTypeForPath(id);
  const bool text = IsTextType(content_type);
  std::string etag = "\"";  // appended piecewise: g++ 12 misreports `"x" + s + "x"` (-Wrestrict)
  etag.append(crypto::Sha256Hex(content), 0, 32);
  etag += '"';
  db::Value gzip = db::Null{};
  if (text && content.size() >= 256) {
    std::string packed = codec::Gzip(content);
    if (!packed.empty() && packed.size() < content.size()) gzip = db::Blob(packed.begin(), packed.end());
  }
  const db::Blob bytes(content.begin(), content.end());

  auto scope = WriteScope::Begin(db);
  if (!scope.ok()) return scope.error();
  auto existing = db.QueryValue("SELECT doc_id FROM documents WHERE path = ?", {id});
  if (!existing.ok()) return existing.error();
  bool created = !existing->has_value();
  if (created) {
    auto node = db.Prepare("INSERT INTO nodes (type, body) VALUES ('document', json_object('name', ?))");
    if (!node.ok()) return node.error();
    node->Bind(1, id);
    if (auto s = node->Run(); !s.ok()) return s.error();
    int64_t node_id = db.LastInsertRowId();
    auto insert = db.Prepare(
        "INSERT INTO documents (path, node_id, content_type, content, gzip, is_text, size, etag) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    if (!insert.ok()) return insert.error();
    insert->Bind(1, id).Bind(2, node_id).Bind(3, content_type).Bind(4, bytes).Bind(5, gzip);
    insert->Bind(6, int64_t{text ? 1 : 0}).Bind(7, static_cast<int64_t>(content.size())).Bind(8, etag);
    if (auto s = insert->Run(); !s.ok()) return s.error();
  } else {
    auto update = db.Prepare(
        "UPDATE documents SET content_type = ?, content = ?, gzip = ?, is_text = ?, size = ?, etag = ?, "
        "modified_at = unixepoch() WHERE path = ?");
    if (!update.ok()) return update.error();
    update->Bind(1, content_type).Bind(2, bytes).Bind(3, gzip).Bind(4, int64_t{text ? 1 : 0});
    update->Bind(5, static_cast<int64_t>(content.size())).Bind(6, etag).Bind(7, id);
    if (auto s = update->Run(); !s.ok()) return s.error();
  }
  auto meta = GetMeta(db, id);
  if (!meta.ok()) return meta.error();
  if (auto s = scope->Commit(); !s.ok()) return s.error();
  if (!meta->has_value()) return Error::Internal("document vanished after write");
  return PutResult{**meta, created};
}

Result<std::optional<DocumentMeta>> GetMeta(db::Database& db, const std::string& id) {
  auto stmt = db.Prepare(std::string("SELECT ") + kMetaColumns + " FROM documents d WHERE d.path = ?");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, id);
  auto row = stmt->Step();
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<DocumentMeta>();
  return std::optional<DocumentMeta>(ReadMeta(*stmt, 0));
}

Result<std::optional<Document>> GetDocument(db::Database& db, const std::string& id, bool with_gzip) {
  auto stmt = db.Prepare(with_gzip ? std::string("SELECT ") + kMetaColumns + ", d.content, d.gzip FROM documents d WHERE d.path = ?"
                                   : std::string("SELECT ") + kMetaColumns + ", d.content FROM documents d WHERE d.path = ?");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, id);
  auto row = stmt->Step();
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<Document>();
  Document doc;
  doc.meta = ReadMeta(*stmt, 0);
  doc.content = stmt->Bytes(kMetaColumnCount);
  if (with_gzip && !stmt->IsNull(kMetaColumnCount + 1)) doc.gzip = stmt->Bytes(kMetaColumnCount + 1);
  return std::optional<Document>(std::move(doc));
}

Result<bool> DeleteDocument(db::Database& db, const std::string& id) {
  auto node = NodeOf(db, id);
  if (!node.ok()) return node.error();
  auto scope = WriteScope::Begin(db);
  if (!scope.ok()) return scope.error();
  auto del = db.Prepare("DELETE FROM documents WHERE path = ?");
  if (!del.ok()) return del.error();
  del->Bind(1, id);
  if (auto s = del->Run(); !s.ok()) return s.error();
  bool deleted = db.Changes() > 0;
  if (node->has_value()) {
    // The node carries the document's edges and tags (ON DELETE CASCADE).
    auto del_node = db.Prepare("DELETE FROM nodes WHERE id = ?");
    if (!del_node.ok()) return del_node.error();
    del_node->Bind(1, **node);
    if (auto s = del_node->Run(); !s.ok()) return s.error();
  }
  if (auto s = scope->Commit(); !s.ok()) return s.error();
  return deleted;
}

Result<ListPage> ListDocuments(db::Database& db, const std::string& prefix, int limit,
                               const std::optional<std::string>& cursor) {
  if (limit < 1 || limit > 1000) return Error{"invalid_field", "limit: must be between 1 and 1000", 400};
  std::string after;
  if (cursor && !cursor->empty()) {
    auto decoded = crypto::Base64UrlDecode(*cursor);
    if (!decoded) return Error{"invalid_field", "cursor: not a cursor from a previous page", 400};
    after = *decoded;
  }
  // Ids compare as UTF-8 bytes; U+10FFFF sorts after any other character,
  // so [prefix, prefix + U+10FFFF) is every id that starts with prefix.
  auto stmt = db.Prepare(std::string("SELECT ") + kMetaColumns +
                         " FROM documents d WHERE d.path >= ?1 AND d.path < ?2 AND d.path > ?3 "
                         "ORDER BY d.path LIMIT ?4");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, prefix).Bind(2, prefix + "\xF4\x8F\xBF\xBF").Bind(3, after).Bind(4, int64_t{limit} + 1);
  ListPage page;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    page.items.push_back(ReadMeta(*stmt, 0));
  }
  if (static_cast<int>(page.items.size()) > limit) {
    page.items.pop_back();
    page.next_cursor = crypto::Base64UrlEncode(page.items.back().id);
  }
  return page;
}

bool IsTemplate(const DocumentMeta& meta) {
  const std::string& id = meta.id;
  if (id.size() > 4 && id.compare(id.size() - 4, 4, ".ejs") == 0) return true;
  std::string media = MediaTypeOf(meta.content_type);
  return media == "text/ejs" || media == "text/html+ejs";
}

Result<std::vector<DocumentMeta>> ListTemplates(db::Database& db) {
  auto stmt = db.Prepare(std::string("SELECT ") + kMetaColumns +
                         " FROM documents d WHERE d.path GLOB '*.ejs' OR d.content_type LIKE 'text/ejs%' "
                         "OR d.content_type LIKE 'text/html+ejs%' ORDER BY d.path LIMIT 10000");
  if (!stmt.ok()) return stmt.error();
  std::vector<DocumentMeta> out;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    out.push_back(ReadMeta(*stmt, 0));
  }
  return out;
}

Result<std::vector<SearchHit>> Search(db::Database& db, const std::string& query, int limit) {
  if (query.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Error{"invalid_query", "the search query is empty", 400};
  }
  if (limit < 1 || limit > 200) return Error{"invalid_field", "limit: must be between 1 and 200", 400};
  auto stmt = db.Prepare(std::string("SELECT ") + kMetaColumns +
                         ", bm25(documents_fts), snippet(documents_fts, -1, char(1), char(2), '…', 16) "
                         "FROM documents_fts JOIN documents d ON d.doc_id = documents_fts.rowid "
                         "WHERE documents_fts MATCH ? ORDER BY bm25(documents_fts), d.path LIMIT ?");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, query).Bind(2, int64_t{limit});
  std::vector<SearchHit> hits;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) {
      if (row.error().http_status == 400) {
        return Error{"invalid_query", "bad search syntax: " + row.error().message, 400};
      }
      return row.error();
    }
    if (!*row) break;
    hits.push_back(SearchHit{ReadMeta(*stmt, 0), stmt->Double(kMetaColumnCount),
                             HtmlEscapeSnippet(stmt->Text(kMetaColumnCount + 1))});
  }
  return hits;
}

// --------------------------------------------------------------------- graph

Json EdgeToJson(const Edge& e) {
  return Json::MakeObject({{"id", e.id}, {"from", e.from}, {"to", e.to}, {"rel", e.rel}, {"props", e.props}});
}

Result<Edge> Link(db::Database& db, const std::string& from, const std::string& to, const std::string& rel,
                  const Json& props) {
  if (rel.empty() || rel.size() > 200) return Error{"invalid_field", "rel: must be 1-200 characters", 400};
  if (!props.is_null() && !props.is_object()) return Error{"invalid_field", "props: must be an object", 400};
  auto src = NodeOf(db, from);
  if (!src.ok()) return src.error();
  if (!src->has_value()) return NotFound("no document " + from);
  auto dst = NodeOf(db, to);
  if (!dst.ok()) return dst.error();
  if (!dst->has_value()) return NotFound("no document " + to);
  auto stmt = db.Prepare("INSERT INTO edges (src, dst, rel, props) VALUES (?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, **src).Bind(2, **dst).Bind(3, rel);
  stmt->Bind(4, props.is_null() ? db::Value(db::Null{}) : db::Value(props.dump()));
  if (auto s = stmt->Run(); !s.ok()) return s.error();
  return Edge{db.LastInsertRowId(), from, to, rel, props};
}

Result<int64_t> Unlink(db::Database& db, const std::string& from, const std::string& to, const std::string& rel) {
  auto stmt = db.Prepare(
      "DELETE FROM edges WHERE rel = ?3 AND src = (SELECT node_id FROM documents WHERE path = ?1) "
      "AND dst = (SELECT node_id FROM documents WHERE path = ?2)");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, from).Bind(2, to).Bind(3, rel);
  if (auto s = stmt->Run(); !s.ok()) return s.error();
  return db.Changes();
}

Result<std::vector<Edge>> Neighbours(db::Database& db, const std::string& id, const std::optional<std::string>& rel,
                                     Direction direction) {
  auto node = NodeOf(db, id);
  if (!node.ok()) return node.error();
  if (!node->has_value()) return NotFound("no document " + id);
  auto stmt = db.Prepare(
      "SELECT e.id, s.path, t.path, e.rel, e.props FROM edges e "
      "JOIN documents s ON s.node_id = e.src JOIN documents t ON t.node_id = e.dst "
      "WHERE ((?2 AND e.src = ?1) OR (?3 AND e.dst = ?1)) AND (?4 IS NULL OR e.rel = ?4) ORDER BY e.id");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, **node);
  stmt->Bind(2, int64_t{direction != Direction::kIn ? 1 : 0});
  stmt->Bind(3, int64_t{direction != Direction::kOut ? 1 : 0});
  stmt->Bind(4, rel ? db::Value(*rel) : db::Value(db::Null{}));
  std::vector<Edge> edges;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    auto props = ParseStoredJson(*stmt, 4);
    edges.push_back(Edge{stmt->Int(0), stmt->Text(1), stmt->Text(2), stmt->Text(3), props.ok() ? *props : Json()});
  }
  return edges;
}

Json TagToJson(const Tag& t) {
  return Json::MakeObject({
      {"id", t.id},
      {"tag", t.tag},
      {"document", t.document},
      {"parent_id", t.parent_id ? Json(*t.parent_id) : Json()},
      {"order", t.order},
      {"metadata", t.metadata},
      {"depth", t.depth},
  });
}

Result<Tag> AddTag(db::Database& db, const std::string& document, const std::string& tag,
                   std::optional<int64_t> parent_id, int64_t order, const Json& metadata) {
  if (tag.empty() || tag.size() > 200) return Error{"invalid_field", "tag: must be 1-200 characters", 400};
  if (order < 0 || order > 1000000000) return Error{"invalid_field", "order: must be 0..1000000000", 400};
  if (!metadata.is_null() && !metadata.is_object()) return Error{"invalid_field", "metadata: must be an object", 400};
  auto node = NodeOf(db, document);
  if (!node.ok()) return node.error();
  if (!node->has_value()) return NotFound("no document " + document);
  if (parent_id) {
    auto parent = db.QueryValue("SELECT 1 FROM tags WHERE id = ?", {*parent_id});
    if (!parent.ok()) return parent.error();
    if (!parent->has_value()) return NotFound("no tag " + std::to_string(*parent_id));
  }
  auto stmt = db.Prepare("INSERT INTO tags (tag, node_id, parent_tag_id, order_num, metadata) VALUES (?, ?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, tag).Bind(2, **node).Bind(3, parent_id ? db::Value(*parent_id) : db::Value(db::Null{}));
  stmt->Bind(4, order).Bind(5, metadata.is_null() ? db::Value(db::Null{}) : db::Value(metadata.dump()));
  if (auto s = stmt->Run(); !s.ok()) return s.error();
  return Tag{db.LastInsertRowId(), tag, document, parent_id, order, metadata, 0};
}

Result<bool> DeleteTag(db::Database& db, int64_t tag_id) {
  auto stmt = db.Prepare("DELETE FROM tags WHERE id = ?");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, tag_id);
  if (auto s = stmt->Run(); !s.ok()) return s.error();
  return db.Changes() > 0;
}

Result<std::vector<Tag>> TagSubtree(db::Database& db, int64_t root_tag_id) {
  // The sort key is the path of (order, id) pairs from the root, zero-padded
  // so that text order is tree order.
  auto stmt = db.Prepare(
      "WITH RECURSIVE sub(id, depth, sort_key) AS ("
      "  SELECT id, 0, printf('%010d.%019d', order_num, id) FROM tags WHERE id = ?1"
      "  UNION ALL"
      "  SELECT t.id, sub.depth + 1, sub.sort_key || '/' || printf('%010d.%019d', t.order_num, t.id)"
      "  FROM tags t JOIN sub ON t.parent_tag_id = sub.id WHERE sub.depth < 64"
      ") SELECT t.id, t.tag, d.path, t.parent_tag_id, t.order_num, t.metadata, sub.depth "
      "FROM sub JOIN tags t ON t.id = sub.id JOIN documents d ON d.node_id = t.node_id ORDER BY sub.sort_key");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, root_tag_id);
  std::vector<Tag> tags;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    Tag t;
    t.id = stmt->Int(0);
    t.tag = stmt->Text(1);
    t.document = stmt->Text(2);
    if (!stmt->IsNull(3)) t.parent_id = stmt->Int(3);
    t.order = stmt->Int(4);
    auto md = ParseStoredJson(*stmt, 5);
    t.metadata = md.ok() ? *md : Json();
    t.depth = static_cast<int>(stmt->Int(6));
    tags.push_back(std::move(t));
  }
  if (tags.empty()) return NotFound("no tag " + std::to_string(root_tag_id));
  return tags;
}

}  // namespace hbf::docs

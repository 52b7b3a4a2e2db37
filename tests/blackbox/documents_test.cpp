// Black-box tests of documents: the API (CRUD, listing, search, graph) and
// serving documents by path (types, caching, ranges, compression).
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "codec/gzip.h"
#include "db/database.h"
#include "support/hbf_process.h"
#include "support/http_client.h"

namespace hbf::test {
namespace {

constexpr const char* kPassword = "correct horse battery";

Json Member(const HttpReply& reply, const std::string& key) {
  Json body = reply.json();
  const Json* m = body.find(key);
  return m != nullptr ? *m : Json();
}

std::string ErrorCode(const HttpReply& reply) { return reply.error_code(); }

class DocumentsTest : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }

  void Start(std::vector<std::string> args) {
    server_ = std::make_unique<HbfProcess>(HbfProcess::Options{std::move(args), {}, {}, {}});
    ASSERT_TRUE(server_->Start()) << server_->logs();
    TestHenv henv = CreateHenvAndLogin(port(), "docs");
    ASSERT_FALSE(henv.token.empty()) << server_->logs();
    hash_ = henv.hash;
    host_ = henv.host;
    token_ = henv.token;
  }

  uint16_t port() const { return server_->port(); }

  HttpReply Api(const std::string& method, const std::string& path, const std::string& body = {},
                std::vector<std::pair<std::string, std::string>> headers = {}) {
    headers.emplace_back("Authorization", "Bearer " + token_);
    return Fetch(port(), {method, path, host_, std::move(headers), body});
  }

  HttpReply Put(const std::string& id, const std::string& content, const std::string& type = {}) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!type.empty()) headers.emplace_back("Content-Type", type);
    headers.emplace_back("Content-Length", std::to_string(content.size()));
    auto reply = Api("PUT", "/_api/documents/" + id, content, headers);
    EXPECT_TRUE(reply.status == 201 || reply.status == 200) << id << ": " << reply.body;
    return reply;
  }

  HttpReply Serve(const std::string& path, std::vector<std::pair<std::string, std::string>> headers = {}) {
    return Fetch(port(), {"GET", path, host_, std::move(headers), {}});
  }

  std::unique_ptr<HbfProcess> server_;
  std::string hash_;
  std::string host_;
  std::string token_;
};

// ------------------------------------------------------------------- CRUD

TEST_F(DocumentsTest, TextAndBinaryRoundTripByteExact) {
  std::string binary;
  for (int i = 0; i < 4096; ++i) binary += static_cast<char>(i % 256);  // every byte value, NULs included
  auto created = Put("img/all-bytes.bin", binary, "application/octet-stream");
  EXPECT_EQ(created.status, 201);
  EXPECT_EQ(*created.json().find("size"), Json(int64_t{4096}));

  auto got = Api("GET", "/_api/documents/img/all-bytes.bin");
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.body, binary);
  EXPECT_EQ(got.header("content-type").value_or(""), "application/octet-stream");
  EXPECT_EQ(Serve("/img/all-bytes.bin").body, binary);

  std::string text = "héllo wörld ✓\n";
  Put("notes/hello.txt", text, "text/plain; charset=utf-8");
  EXPECT_EQ(Api("GET", "/_api/documents/notes/hello.txt").body, text);

  // Replacing answers 200 and changes the ETag.
  std::string etag1 = *created.json().find("etag") == Json() ? "" : created.json().find("etag")->as_string();
  auto replaced = Put("img/all-bytes.bin", "new", "application/octet-stream");
  EXPECT_EQ(replaced.status, 200);
  EXPECT_NE(replaced.json().find("etag")->as_string(), etag1);

  // Metadata view.
  auto meta = Api("GET", "/_api/documents/img/all-bytes.bin?meta=1");
  ASSERT_EQ(meta.status, 200);
  for (const char* field : {"id", "content_type", "size", "etag", "created_at", "modified_at"}) {
    EXPECT_NE(meta.json().find(field), nullptr) << field;
  }
  EXPECT_EQ(*meta.json().find("size"), Json(int64_t{3}));

  // Delete, then it is gone everywhere.
  EXPECT_EQ(Api("DELETE", "/_api/documents/img/all-bytes.bin").status, 200);
  EXPECT_EQ(Api("GET", "/_api/documents/img/all-bytes.bin").status, 404);
  EXPECT_EQ(Serve("/img/all-bytes.bin").status, 404);
  EXPECT_EQ(Api("DELETE", "/_api/documents/img/all-bytes.bin").status, 404);
}

TEST_F(DocumentsTest, JsonFormWithMetadataAndBase64) {
  auto reply = Api("POST", "/_api/documents",
                   R"({"id":"data/blob.bin","content":"AAEC/w==","encoding":"base64","content_type":"application/x-thing"})",
                   {{"Content-Type", "application/json"}});
  ASSERT_EQ(reply.status, 201) << reply.body;
  auto got = Api("GET", "/_api/documents/data/blob.bin");
  EXPECT_EQ(got.body, std::string("\x00\x01\x02\xff", 4));
  EXPECT_EQ(got.header("content-type").value_or(""), "application/x-thing");
  auto form = Api("POST", "/_api/documents/pages/about.html", R"({"content":"<h1>About</h1>"})",
                  {{"Content-Type", "application/json"}});
  EXPECT_EQ(form.status, 201) << form.body;
  EXPECT_EQ(Serve("/pages/about.html").body, "<h1>About</h1>");
}

TEST_F(DocumentsTest, BadIdsAre400) {
  for (const char* id : {"trailing/", "a/%01b", "back%5Cslash"}) {
    auto reply = Api("PUT", std::string("/_api/documents/") + id, "x", {{"Content-Type", "text/plain"}});
    EXPECT_EQ(reply.status, 400) << id << ": " << reply.body;
    EXPECT_EQ(ErrorCode(reply), "invalid_document_id") << id;
  }
  // In a body, an id is taken as it is.
  for (const char* id : {"a/../b", "a//b", "./x", "/lead", "a/./b"}) {
    auto reply = Api("POST", "/_api/documents", Json::MakeObject({{"id", id}, {"content", "x"}}).dump(),
                     {{"Content-Type", "application/json"}});
    EXPECT_EQ(reply.status, 400) << id << ": " << reply.body;
    EXPECT_EQ(ErrorCode(reply), "invalid_document_id") << id;
  }
  // In a URL, the path is canonical before anything sees it (RFC 3986 dot
  // segments, even encoded; collapsed slashes): the API and the router agree.
  auto dotted = Api("PUT", "/_api/documents/a/%2e%2e/b//c", "x", {{"Content-Type", "text/plain"}});
  EXPECT_EQ(dotted.status, 201) << dotted.body;
  EXPECT_EQ(Member(dotted, "id").as_string(), "b/c");
  auto encoded_slash = Api("PUT", "/_api/documents/a%2Fb", "x", {{"Content-Type", "text/plain"}});
  EXPECT_EQ(encoded_slash.status, 400) << encoded_slash.body;
  auto too_long = Api("PUT", "/_api/documents/" + std::string(600, 'a'), "x", {{"Content-Type", "text/plain"}});
  EXPECT_EQ(too_long.status, 400);
}

TEST_F(DocumentsTest, OnlyOwnersAndAdminsUseTheApi) {
  EXPECT_EQ(Fetch(port(), {"GET", "/_api/documents", host_, {}, {}}).status, 401);
  ASSERT_EQ(Api("POST", "/_api/users", R"({"username":"plain","password":"plain user pass"})",
                {{"Content-Type", "application/json"}}).status, 201);
  auto login = Fetch(port(), {"POST", "/login", host_, {{"Content-Type", "application/json"}},
                              R"({"username":"plain","password":"plain user pass"})"});
  std::string plain = Member(login, "token").as_string();
  auto reply = Fetch(port(), {"GET", "/_api/documents", host_, {{"Authorization", "Bearer " + plain}}, {}});
  EXPECT_EQ(reply.status, 403);
}

// ----------------------------------------------------------------- listing

TEST_F(DocumentsTest, ListingByPrefixPaginatesStably) {
  std::set<std::string> expected;
  for (int i = 0; i < 25; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "pages/p%02d.html", i);
    Put(id, "<p>" + std::to_string(i) + "</p>", "text/html");
    expected.insert(id);
  }
  Put("other/x.txt", "x", "text/plain");

  std::vector<std::string> seen;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    std::string path = "/_api/documents?prefix=pages/&limit=10" + (cursor.empty() ? "" : "&cursor=" + cursor);
    auto reply = Api("GET", path);
    ASSERT_EQ(reply.status, 200) << reply.body;
    for (const auto& d : reply.json().find("documents")->as_array()) seen.push_back(d.find("id")->as_string());
    const Json* next = reply.json().find("next_cursor");
    if (next == nullptr || next->is_null()) break;
    cursor = next->as_string();
  }
  EXPECT_EQ(seen.size(), 25u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), expected);

  EXPECT_EQ(Api("GET", "/_api/documents?limit=0").status, 400);
  EXPECT_EQ(Api("GET", "/_api/documents?cursor=!!!").status, 400);
}

// ------------------------------------------------------------------ search

TEST_F(DocumentsTest, SearchRanksAndStaysExact) {
  Put("a.txt", "quantum quantum quantum entanglement", "text/plain");
  Put("b.txt", "a long essay about many things, mentioning quantum once among a great many other words here",
      "text/plain");
  Put("c.txt", "nothing relevant at all", "text/plain");

  auto ids = [&](const std::string& q) {
    std::vector<std::string> out;
    auto reply = Api("GET", "/_api/documents/search?q=" + q);
    EXPECT_EQ(reply.status, 200) << q << ": " << reply.body;
    const Json* results = reply.json().find("results");
    if (results == nullptr) return out;
    for (const auto& r : results->as_array()) out.push_back(r.find("id")->as_string());
    return out;
  };
  EXPECT_EQ(ids("quantum"), (std::vector<std::string>{"a.txt", "b.txt"}));
  EXPECT_EQ(ids("%22quantum+entanglement%22"), (std::vector<std::string>{"a.txt"}));  // phrase
  EXPECT_EQ(ids("entangle*"), (std::vector<std::string>{"a.txt"}));                    // prefix
  EXPECT_EQ(ids("essays"), (std::vector<std::string>{"b.txt"}));                       // porter stemming

  auto reply = Api("GET", "/_api/documents/search?q=entanglement");
  std::string snippet = reply.json().find("results")->as_array()[0].find("snippet")->as_string();
  EXPECT_NE(snippet.find("<mark>entanglement</mark>"), std::string::npos) << snippet;

  // After an update the old words are gone and the new ones found.
  Put("a.txt", "classical mechanics only", "text/plain");
  EXPECT_EQ(ids("quantum"), (std::vector<std::string>{"b.txt"}));
  EXPECT_EQ(ids("mechanics"), (std::vector<std::string>{"a.txt"}));
  // After a delete nothing of it is found.
  Api("DELETE", "/_api/documents/b.txt");
  EXPECT_TRUE(ids("quantum").empty());
}

TEST_F(DocumentsTest, BadSearchSyntaxIs400) {
  for (const char* q : {"%22unclosed", "AND", "(((", ""}) {
    auto reply = Api("GET", std::string("/_api/documents/search?q=") + q);
    EXPECT_EQ(reply.status, 400) << q << ": " << reply.body;
    EXPECT_EQ(ErrorCode(reply), "invalid_query") << q;
  }
}

// ------------------------------------------------------------------- graph

TEST_F(DocumentsTest, GraphLinksNeighboursAndTagTrees) {
  for (const char* id : {"a.md", "b.md", "c.md"}) Put(id, std::string("# ") + id, "text/markdown");
  auto link = [&](const char* from, const char* to, const char* rel) {
    return Api("POST", "/_api/graph/edges",
               Json::MakeObject({{"from", from}, {"to", to}, {"rel", rel}}).dump(),
               {{"Content-Type", "application/json"}});
  };
  ASSERT_EQ(link("a.md", "b.md", "links-to").status, 201);
  ASSERT_EQ(link("a.md", "c.md", "links-to").status, 201);
  ASSERT_EQ(link("c.md", "a.md", "cites").status, 201);
  EXPECT_EQ(link("a.md", "missing.md", "links-to").status, 404);

  auto neighbours = [&](const std::string& query) {
    std::vector<std::string> out;
    auto reply = Api("GET", "/_api/graph/neighbours?" + query);
    EXPECT_EQ(reply.status, 200) << reply.body;
    for (const auto& e : reply.json().find("edges")->as_array()) {
      out.push_back(e.find("from")->as_string() + ">" + e.find("to")->as_string() + ":" + e.find("rel")->as_string());
    }
    return out;
  };
  EXPECT_EQ(neighbours("id=a.md"), (std::vector<std::string>{"a.md>b.md:links-to", "a.md>c.md:links-to"}));
  EXPECT_EQ(neighbours("id=a.md&direction=in"), (std::vector<std::string>{"c.md>a.md:cites"}));
  EXPECT_EQ(neighbours("id=a.md&direction=both&rel=cites"), (std::vector<std::string>{"c.md>a.md:cites"}));

  EXPECT_EQ(Api("DELETE", "/_api/graph/edges?from=a.md&to=b.md&rel=links-to").status, 200);
  EXPECT_EQ(neighbours("id=a.md"), (std::vector<std::string>{"a.md>c.md:links-to"}));
  // Deleting a document removes its edges.
  Api("DELETE", "/_api/documents/c.md");
  EXPECT_TRUE(neighbours("id=a.md&direction=both").empty());

  // Tag tree: root with children in order 2, 1 and a grandchild.
  auto tag = [&](const char* doc, const char* name, Json parent, int order) {
    auto reply = Api("POST", "/_api/graph/tags",
                     Json::MakeObject({{"document", doc}, {"tag", name}, {"parent_id", parent}, {"order", order}}).dump(),
                     {{"Content-Type", "application/json"}});
    EXPECT_EQ(reply.status, 201) << reply.body;
    return reply.json().find("id")->as_int();
  };
  int64_t root = tag("a.md", "book", Json(), 0);
  int64_t second = tag("b.md", "chapter-2", Json(root), 2);
  tag("a.md", "chapter-1", Json(root), 1);
  tag("b.md", "section-2.1", Json(second), 0);
  auto tree = Api("GET", "/_api/graph/tags/" + std::to_string(root));
  ASSERT_EQ(tree.status, 200) << tree.body;
  std::vector<std::string> order;
  for (const auto& t : tree.json().find("tags")->as_array()) {
    order.push_back(std::to_string(t.find("depth")->as_int()) + ":" + t.find("tag")->as_string());
  }
  EXPECT_EQ(order, (std::vector<std::string>{"0:book", "1:chapter-1", "1:chapter-2", "2:section-2.1"}));
}

// ----------------------------------------------------------------- serving

TEST_F(DocumentsTest, NewHenvServesAWelcomePage) {
  auto page = Serve("/");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.header("content-type").value_or(""), "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("_system/router.js"), std::string::npos);
  EXPECT_NE(page.body.find("/login"), std::string::npos);
}

TEST_F(DocumentsTest, ContentTypesComeFromTheExtension) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"a.html", "text/html; charset=utf-8"}, {"a.css", "text/css; charset=utf-8"},
      {"a.js", "text/javascript; charset=utf-8"}, {"a.mjs", "text/javascript; charset=utf-8"},
      {"a.json", "application/json"}, {"a.svg", "image/svg+xml"}, {"a.png", "image/png"},
      {"a.jpg", "image/jpeg"}, {"a.gif", "image/gif"}, {"a.webp", "image/webp"}, {"a.ico", "image/x-icon"},
      {"a.woff2", "font/woff2"}, {"a.wasm", "application/wasm"}, {"a.txt", "text/plain; charset=utf-8"},
      {"a.md", "text/markdown; charset=utf-8"}, {"a.pdf", "application/pdf"}, {"a.unknown", "application/octet-stream"}};
  for (const auto& [id, type] : cases) {
    Put("types/" + id, "x");  // no Content-Type: derived from the extension
    EXPECT_EQ(Serve("/types/" + id).header("content-type").value_or(""), type) << id;
  }
}

TEST_F(DocumentsTest, ConditionalRequestsAnswer304) {
  Put("site.css", "body { color: red }", "text/css");
  auto first = Serve("/site.css");
  ASSERT_EQ(first.status, 200);
  std::string etag = first.header("etag").value_or("");
  std::string modified = first.header("last-modified").value_or("");
  ASSERT_FALSE(etag.empty());
  ASSERT_FALSE(modified.empty());
  EXPECT_EQ(Serve("/site.css", {{"If-None-Match", etag}}).status, 304);
  EXPECT_EQ(Serve("/site.css", {{"If-None-Match", "\"other\", " + etag}}).status, 304);
  EXPECT_EQ(Serve("/site.css", {{"If-None-Match", "\"other\""}}).status, 200);
  EXPECT_EQ(Serve("/site.css", {{"If-Modified-Since", modified}}).status, 304);
  EXPECT_EQ(Serve("/site.css", {{"If-Modified-Since", "Thu, 01 Jan 1970 00:00:00 GMT"}}).status, 200);
  Put("site.css", "body { color: blue }", "text/css");
  EXPECT_EQ(Serve("/site.css", {{"If-None-Match", etag}}).status, 200);
}

TEST_F(DocumentsTest, RangeRequests) {
  std::string content;
  for (int i = 0; i < 1000; ++i) content += static_cast<char>('a' + i % 26);
  Put("big.bin", content, "application/octet-stream");
  auto part = Serve("/big.bin", {{"Range", "bytes=10-19"}});
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, content.substr(10, 10));
  EXPECT_EQ(part.header("content-range").value_or(""), "bytes 10-19/1000");
  EXPECT_EQ(Serve("/big.bin", {{"Range", "bytes=990-"}}).body, content.substr(990));
  EXPECT_EQ(Serve("/big.bin", {{"Range", "bytes=-5"}}).body, content.substr(995));
  EXPECT_EQ(Serve("/big.bin", {{"Range", "bytes=995-5000"}}).body, content.substr(995));
  auto unsatisfiable = Serve("/big.bin", {{"Range", "bytes=1000-"}});
  EXPECT_EQ(unsatisfiable.status, 416);
  EXPECT_EQ(unsatisfiable.header("content-range").value_or(""), "bytes */1000");
  EXPECT_EQ(Serve("/big.bin", {{"Range", "bytes=0-1,5-6"}}).status, 200);  // multi-range: whole document
  EXPECT_EQ(Serve("/big.bin", {{"Range", "bytes=5-1"}}).status, 200);      // malformed: ignored
  EXPECT_EQ(Serve("/big.bin", {{"Range", "bytes=0-1"}, {"If-Range", "\"stale\""}}).status, 200);
}

// Scripts may write the documents table with SQL. What HBF derives from a
// document's content (its size, gzip copy and ETag; schema v6's trigger)
// follows, so a rewritten document is served as its bytes are: never the
// old version's compressed copy or ETag, never a range past its bytes.
TEST_F(DocumentsTest, ADocumentRewrittenBySqlIsServedAsItsBytesAre) {
  std::string content;
  for (int i = 0; i < 1000; ++i) content += static_cast<char>('a' + i % 26);
  Put("big.txt", content, "text/plain");
  Put("_system/router.js", R"js(
import { Router } from "hbf:router";
import db from "hbf:db";
const router = new Router();
router.post("/upper", (req, res) => {
  db.execute("UPDATE documents SET content = CAST(upper(CAST(content AS TEXT)) AS BLOB) WHERE path = 'big.txt'");
  res.json({ ok: true });
});
router.post("/shrink", (req, res) => {
  db.execute("UPDATE documents SET content = 'short' WHERE path = 'big.txt'");
  res.json({ ok: true });
});
export default router;
)js", "text/javascript");
  auto before = Serve("/big.txt", {{"Accept-Encoding", "gzip"}});
  ASSERT_EQ(before.status, 200);
  ASSERT_EQ(before.header("content-encoding").value_or(""), "gzip");  // the stored copy
  const std::string first_etag = Serve("/big.txt").header("etag").value_or("");

  // The same length, other bytes.
  ASSERT_EQ(Api("POST", "/upper", "{}", {{"Content-Type", "application/json"}}).status, 200);
  std::string upper = content;
  for (char& c : upper) c = static_cast<char>(c - 'a' + 'A');
  auto same_length = Serve("/big.txt", {{"Accept-Encoding", "gzip"}});
  EXPECT_EQ(same_length.status, 200);
  EXPECT_EQ(same_length.header("content-encoding").value_or(""), "");
  EXPECT_EQ(same_length.body, upper);
  const std::string upper_etag = same_length.header("etag").value_or("");
  EXPECT_NE(upper_etag, first_etag);
  EXPECT_EQ(Serve("/big.txt", {{"If-None-Match", first_etag}}).status, 200);

  // Shorter, written as text: ranges go by its 5 bytes.
  ASSERT_EQ(Api("POST", "/shrink", "{}", {{"Content-Type", "application/json"}}).status, 200);
  auto whole = Serve("/big.txt", {{"Accept-Encoding", "gzip"}});
  EXPECT_EQ(whole.body, "short");
  EXPECT_NE(whole.header("etag").value_or(""), upper_etag);
  auto past = Serve("/big.txt", {{"Range", "bytes=500-600"}});
  EXPECT_EQ(past.status, 416) << past.body;
  EXPECT_EQ(past.header("content-range").value_or(""), "bytes */5");
  auto part = Serve("/big.txt", {{"Range", "bytes=1-2"}});
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, "ho");
  EXPECT_EQ(part.header("content-range").value_or(""), "bytes 1-2/5");

  // HBF's own write afterwards stores a fresh gzip copy again.
  Put("big.txt", content, "text/plain");
  auto again = Serve("/big.txt", {{"Accept-Encoding", "gzip"}});
  EXPECT_EQ(again.header("content-encoding").value_or(""), "gzip");
}

TEST_F(DocumentsTest, HeadHasHeadersButNoBody) {
  Put("h.txt", "twelve bytes", "text/plain");
  RawConnection conn(port());
  ASSERT_TRUE(conn.Send(FormatRequest({"HEAD", "/h.txt", host_, {}, {}}, true)));
  auto head = conn.ReadReply(/*head=*/true);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("content-length").value_or(""), "12");
  EXPECT_TRUE(head.body.empty());
  ASSERT_TRUE(conn.Send(FormatRequest({"GET", "/h.txt", host_, {}, {}}, false)));
  EXPECT_EQ(conn.ReadReply().body, "twelve bytes");
}

TEST_F(DocumentsTest, TextIsGzippedForClientsThatAcceptIt) {
  std::string css;
  for (int i = 0; i < 200; ++i) css += ".rule-" + std::to_string(i) + " { color: red; margin: 0 auto; }\n";
  Put("app.css", css, "text/css");
  auto plain = Serve("/app.css");
  EXPECT_EQ(plain.body, css);
  EXPECT_FALSE(plain.header("content-encoding").has_value());
  auto gz = Serve("/app.css", {{"Accept-Encoding", "br, gzip;q=0.8"}});
  ASSERT_EQ(gz.status, 200);
  EXPECT_EQ(gz.header("content-encoding").value_or(""), "gzip");
  EXPECT_EQ(gz.header("vary").value_or(""), "Accept-Encoding");
  EXPECT_LT(gz.body.size(), css.size() / 4);
  EXPECT_EQ(codec::Gunzip(gz.body, 1 << 20).value_or(""), css);
  EXPECT_NE(gz.header("etag"), plain.header("etag"));
  EXPECT_EQ(Serve("/app.css", {{"Accept-Encoding", "gzip;q=0"}}).header("content-encoding"), std::nullopt);
  // Binary types are never compressed.
  Put("x.png", std::string(4000, 'z'), "image/png");
  EXPECT_FALSE(Serve("/x.png", {{"Accept-Encoding", "gzip"}}).header("content-encoding").has_value());
}

TEST_F(DocumentsTest, FoldersServeTheirIndexAndSystemDocumentsStayPrivate) {
  Put("docs/index.html", "<h1>Docs</h1>", "text/html");
  auto redirect = Serve("/docs?x=1");
  EXPECT_EQ(redirect.status, 301);
  EXPECT_EQ(redirect.header("location").value_or(""), "/docs/?x=1");
  EXPECT_EQ(Serve("/docs/").body, "<h1>Docs</h1>");
  Put("_system/secret.js", "export const key = 'secret';", "text/javascript");
  EXPECT_EQ(Serve("/_system/secret.js").status, 404);
  EXPECT_EQ(Serve("/_system/").status, 404);
  EXPECT_EQ(Serve("/nope.html").status, 404);
  EXPECT_EQ(Fetch(port(), {"POST", "/docs/", host_, {}, "x"}).status, 404);
}

// The I/O loops answer documents from a cache of what they last read
// (app/document_cache.h): whatever writes a document, the next request gets
// the new bytes; another process's write shows within its bound (100 ms).
TEST_F(DocumentsTest, EveryKindOfWriteIsServedAtOnceDespiteTheLoopsCache) {
  Put("page.txt", "one", "text/plain");
  Put("_system/router.js", R"js(
import { Router } from "hbf:router";
import db from "hbf:db";
const router = new Router();
router.post("/edit", (req, res) => {
  db.execute("UPDATE documents SET content = CAST(? AS BLOB) WHERE path = 'page.txt'", [req.body.to]);
  res.json({ ok: true });
});
router.post("/edit-then-fail", (req, res) => {
  db.transaction(() => {
    db.execute("UPDATE documents SET content = CAST('never' AS BLOB) WHERE path = 'page.txt'");
    throw new Error("rolled back");
  });
});
export default router;
)js", "text/javascript");
  const auto served = [&] { return Serve("/page.txt").body; };
  for (int i = 0; i < 3; ++i) EXPECT_EQ(served(), "one");  // read once, then from the cache

  Put("page.txt", "two", "text/plain");
  EXPECT_EQ(served(), "two") << "the documents API";
  const std::string etag = Serve("/page.txt").header("etag").value_or("");
  EXPECT_EQ(Serve("/page.txt", {{"If-None-Match", etag}}).status, 304);
  EXPECT_EQ(Fetch(port(), {"HEAD", "/page.txt", host_, {}, {}}).header("content-length").value_or(""), "3");

  ASSERT_EQ(Api("POST", "/edit", R"({"to":"three"})", {{"Content-Type", "application/json"}}).status, 200);
  EXPECT_EQ(served(), "three") << "a script's write";
  EXPECT_EQ(Serve("/page.txt", {{"If-None-Match", etag}}).status, 200) << "the old ETag no longer matches";

  EXPECT_EQ(Api("POST", "/edit-then-fail", "{}", {{"Content-Type", "application/json"}}).status, 500);
  EXPECT_EQ(served(), "three") << "a rolled-back write changed nothing";

  ASSERT_EQ(Api("PATCH", "/_api/documents/page.txt", R"({"visibility":"private"})",
                {{"Content-Type", "application/json"}}).status, 200);
  EXPECT_EQ(Serve("/page.txt").status, 404) << "made private";
  ASSERT_EQ(Api("PATCH", "/_api/documents/page.txt", R"({"visibility":"public"})",
                {{"Content-Type", "application/json"}}).status, 200);
  EXPECT_EQ(served(), "three");

  // Another process (the CLI, a script of the operator's) writes the file.
  {
    auto db = db::Database::Open(server_->storage_dir() + "/" + hash_ + "/index.db");
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("UPDATE documents SET content = CAST('four' AS BLOB) WHERE path = 'page.txt'").ok());
  }
  std::string seen;
  for (int i = 0; i < 100 && seen != "four"; ++i) {
    seen = served();
    if (seen != "four") std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(seen, "four") << "another process's write, within the cache's bound";
}

TEST_F(DocumentsTest, UploadsOverTheHenvLimitAre413) {
  // Lower this henv's limit to 1 MB by editing its file, as an owner's
  // config change would.
  {
    auto db = db::Database::Open(server_->storage_dir() + "/" + hash_ + "/index.db");
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("UPDATE _hbf_config SET value = '1' WHERE key = 'max_upload_size_mb'").ok());
  }
  std::string big(1024 * 1024 + 1, 'x');
  auto declared = Api("PUT", "/_api/documents/big.txt", big, {{"Content-Type", "text/plain"}});
  EXPECT_EQ(declared.status, 413);
  EXPECT_EQ(ErrorCode(declared), "payload_too_large");
  // Just at the limit is fine.
  auto fits = Api("PUT", "/_api/documents/fits.txt", std::string(1024 * 1024, 'y'), {{"Content-Type", "text/plain"}});
  EXPECT_EQ(fits.status, 201) << fits.body;
}

}  // namespace
}  // namespace hbf::test

// Specification of HBF's own HTTP value types and helpers.
#include "http/http_types.h"

#include <gtest/gtest.h>

#include <string>

#include "core/json.h"

namespace hbf {
namespace {

using namespace std::string_literals;

std::string Decode(std::string_view in, bool plus_as_space = false) {
  std::string out;
  EXPECT_TRUE(PercentDecode(in, out, plus_as_space)) << in;
  return out;
}

void ExpectDecodeFails(std::string_view in, bool plus_as_space = false) {
  std::string out;
  EXPECT_FALSE(PercentDecode(in, out, plus_as_space)) << "should reject: " << in;
}

// ------------------------------------------------------------ PercentDecode

TEST(PercentDecode, PlainTextIsUnchanged) {
  EXPECT_EQ(Decode(""), "");
  EXPECT_EQ(Decode("/plain/path.html"), "/plain/path.html");
}

TEST(PercentDecode, DecodesEscapesInEitherCase) {
  EXPECT_EQ(Decode("%41%42%43"), "ABC");
  EXPECT_EQ(Decode("a%20b"), "a b");
  EXPECT_EQ(Decode("%2f%2F"), "//");
  EXPECT_EQ(Decode("%e2%82%ac"), "\xE2\x82\xAC");
  EXPECT_EQ(Decode("%E2%82%AC"), "\xE2\x82\xAC");
  EXPECT_EQ(Decode("%ff"), "\xFF");
}

TEST(PercentDecode, EscapeAtTheVeryEndIsDecoded) {
  EXPECT_EQ(Decode("x%41"), "xA");
  EXPECT_EQ(Decode("%41"), "A");
}

TEST(PercentDecode, DecodesNulToARealNulByte) {
  EXPECT_EQ(Decode("a%00b"), "a\0b"s);
}

TEST(PercentDecode, DecodedPercentIsNotDecodedAgain) {
  EXPECT_EQ(Decode("%2541"), "%41");
}

TEST(PercentDecode, PlusIsLiteralByDefault) {
  EXPECT_EQ(Decode("a+b"), "a+b");
}

TEST(PercentDecode, PlusBecomesSpaceWhenAsked) {
  EXPECT_EQ(Decode("a+b++c", true), "a b  c");
  EXPECT_EQ(Decode("%2B", true), "+") << "an encoded plus stays a plus";
  EXPECT_EQ(Decode("q=hello+world%21", true), "q=hello world!");
}

TEST(PercentDecode, TruncatedEscapesAreRejected) {
  ExpectDecodeFails("%");
  ExpectDecodeFails("%4");
  ExpectDecodeFails("abc%");
  ExpectDecodeFails("abc%4");
  ExpectDecodeFails("%4", true);
}

TEST(PercentDecode, NonHexEscapesAreRejected) {
  ExpectDecodeFails("%zz");
  ExpectDecodeFails("%g0");
  ExpectDecodeFails("%0g");
  ExpectDecodeFails("% 1");
  ExpectDecodeFails("%-1");
  ExpectDecodeFails("%%41");
  ExpectDecodeFails("ok%41then%x");
}

TEST(PercentDecode, OutputIsReplacedNotAppended) {
  std::string out = "stale";
  ASSERT_TRUE(PercentDecode("fresh", out, false));
  EXPECT_EQ(out, "fresh");
}

TEST(PercentDecode, EveryByteRoundTripsThroughUpperAndLowerHex) {
  static constexpr char kUpper[] = "0123456789ABCDEF";
  static constexpr char kLower[] = "0123456789abcdef";
  for (int b = 0; b < 256; ++b) {
    std::string up = {'%', kUpper[b >> 4], kUpper[b & 15]};
    std::string lo = {'%', kLower[b >> 4], kLower[b & 15]};
    std::string expected(1, static_cast<char>(b));
    EXPECT_EQ(Decode(up), expected) << up;
    EXPECT_EQ(Decode(lo), expected) << lo;
  }
}

// ------------------------------------------------------------ HttpResponse

TEST(HttpResponseErrorBody, HasTheUniformErrorShape) {
  HttpResponse r = HttpResponse::ErrorBody(404, "not_found", "no such henv");
  EXPECT_EQ(r.status, 404);
  auto j = Json::Parse(r.body);
  ASSERT_TRUE(j.ok()) << r.body;
  ASSERT_TRUE(j->is_object());
  ASSERT_EQ(j->as_object().size(), 1u) << r.body;
  const Json* err = j->find("error");
  ASSERT_NE(err, nullptr);
  ASSERT_TRUE(err->is_object());
  EXPECT_EQ(err->find("code")->as_string(), "not_found");
  EXPECT_EQ(err->find("message")->as_string(), "no such henv");
  EXPECT_EQ(r.body, R"({"error":{"code":"not_found","message":"no such henv"}})");
}

TEST(HttpResponseErrorBody, IsJsonAndNotCached) {
  HttpResponse r = HttpResponse::ErrorBody(400, "bad_request", "x");
  ASSERT_NE(r.header("content-type"), nullptr);
  EXPECT_NE(r.header("content-type")->find("application/json"), std::string::npos);
  ASSERT_NE(r.header("cache-control"), nullptr);
  EXPECT_EQ(*r.header("cache-control"), "no-store");
}

TEST(HttpResponseErrorBody, EscapesQuotesAndControlCharactersInTheMessage) {
  std::string message = "bad \"name\" \\ here\nnext\x01";
  HttpResponse r = HttpResponse::ErrorBody(400, "bad_request", message);
  auto j = Json::Parse(r.body);
  ASSERT_TRUE(j.ok()) << r.body;
  EXPECT_EQ(j->find("error")->find("message")->as_string(), message);
  EXPECT_EQ(r.body.find('\n'), std::string::npos);
}

TEST(HttpResponseErrorBody, InvalidUtf8InTheMessageStillGivesValidJson) {
  HttpResponse r = HttpResponse::ErrorBody(400, "bad_request", "bad \xC3 byte");
  EXPECT_TRUE(Json::Parse(r.body).ok()) << r.body;
}

TEST(HttpResponseFromError, UsesTheErrorsStatusCodeAndMessage) {
  HttpResponse r = HttpResponse::FromError(Error{"payload_too_large", "body over 10 MB", 413});
  EXPECT_EQ(r.status, 413);
  auto j = Json::Parse(r.body);
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->find("error")->find("code")->as_string(), "payload_too_large");
  EXPECT_EQ(j->find("error")->find("message")->as_string(), "body over 10 MB");

  HttpResponse nf = HttpResponse::FromError(Error::NotFound("gone"));
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(Json::Parse(nf.body)->find("error")->find("code")->as_string(), "not_found");
}

TEST(HttpResponseJsonBody, SerialisesTheValueWithAJsonContentType) {
  HttpResponse r = HttpResponse::JsonBody(201, Json::MakeObject({{"id", 7}, {"name", "x"}}));
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body, R"({"id":7,"name":"x"})");
  ASSERT_NE(r.header("Content-Type"), nullptr);
  EXPECT_EQ(*r.header("Content-Type"), "application/json; charset=utf-8");
}

TEST(HttpResponseHeaders, SetHeaderAddsANewHeader) {
  HttpResponse r;
  r.set_header("X-One", "1").set_header("X-Two", "2");
  ASSERT_EQ(r.headers.size(), 2u);
  EXPECT_EQ(*r.header("X-One"), "1");
  EXPECT_EQ(*r.header("X-Two"), "2");
}

TEST(HttpResponseHeaders, SetHeaderReplacesCaseInsensitively) {
  HttpResponse r;
  r.set_header("Content-Type", "text/plain");
  r.set_header("content-type", "text/html");
  r.set_header("CONTENT-TYPE", "application/json");
  ASSERT_EQ(r.headers.size(), 1u) << "one header, not three";
  EXPECT_EQ(*r.header("Content-Type"), "application/json");
}

TEST(HttpResponseHeaders, SetHeaderKeepsTheOtherHeadersAndTheirOrder) {
  HttpResponse r;
  r.set_header("A", "1").set_header("B", "2").set_header("C", "3").set_header("b", "two");
  ASSERT_EQ(r.headers.size(), 3u);
  EXPECT_EQ(r.headers[0].second, "1");
  EXPECT_EQ(r.headers[1].second, "two");
  EXPECT_EQ(r.headers[2].second, "3");
}

TEST(HttpResponseHeaders, ReplacingAnErrorBodyHeaderDoesNotDuplicateIt) {
  HttpResponse r = HttpResponse::ErrorBody(500, "internal_error", "x");
  size_t before = r.headers.size();
  r.set_header("cache-control", "private");
  EXPECT_EQ(r.headers.size(), before);
  EXPECT_EQ(*r.header("Cache-Control"), "private");
}

TEST(HttpResponseHeaders, HeaderLookupIsCaseInsensitiveAndNullWhenAbsent) {
  HttpResponse r;
  r.set_header("ETag", "\"abc\"");
  ASSERT_NE(r.header("etag"), nullptr);
  EXPECT_EQ(*r.header("ETAG"), "\"abc\"");
  EXPECT_EQ(r.header("E-Tag"), nullptr);
  EXPECT_EQ(r.header(""), nullptr);
}

TEST(HttpRequestHeaders, LookupMatchesLowerCaseNamesAndReturnsTheFirst) {
  HttpRequest req;
  req.headers = {{"accept", "a"}, {"cookie", "c1"}, {"cookie", "c2"}};
  ASSERT_NE(req.header("cookie"), nullptr);
  EXPECT_EQ(*req.header("cookie"), "c1");
  EXPECT_EQ(*req.header("accept"), "a");
  EXPECT_EQ(req.header("host"), nullptr);
}

TEST(HttpResponseDefaults, DefaultResponseIs200WithNothingSet) {
  HttpResponse r;
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.headers.empty());
  EXPECT_TRUE(r.body.empty());
  EXPECT_TRUE(r.log.henv.empty());
  EXPECT_TRUE(r.log.user_id.empty());
}

// -------------------------------------------------------------- StatusReason

TEST(StatusReason, CommonCodesHaveTheirStandardPhrases) {
  const std::pair<int, const char*> cases[] = {
      {200, "OK"},
      {201, "Created"},
      {204, "No Content"},
      {301, "Moved Permanently"},
      {302, "Found"},
      {304, "Not Modified"},
      {400, "Bad Request"},
      {401, "Unauthorized"},
      {403, "Forbidden"},
      {404, "Not Found"},
      {405, "Method Not Allowed"},
      {409, "Conflict"},
      {413, "Payload Too Large"},
      {429, "Too Many Requests"},
      {500, "Internal Server Error"},
      {503, "Service Unavailable"},
  };
  for (const auto& [code, phrase] : cases) {
    EXPECT_STREQ(StatusReason(code), phrase) << code;
  }
}

TEST(StatusReason, UnlistedCodesGetAGenericPhrase) {
  for (int code : {0, 299, 499, 599, 999, -1}) {
    ASSERT_NE(StatusReason(code), nullptr);
    EXPECT_STREQ(StatusReason(code), "Unknown") << code;
  }
}

// --------------------------------------------------------- EqualsIgnoreCase

TEST(EqualsIgnoreCase, IgnoresAsciiCase) {
  EXPECT_TRUE(EqualsIgnoreCase("Content-Type", "content-type"));
  EXPECT_TRUE(EqualsIgnoreCase("HOST", "host"));
  EXPECT_TRUE(EqualsIgnoreCase("", ""));
  EXPECT_TRUE(EqualsIgnoreCase("a1-B2_c3", "A1-b2_C3"));
}

TEST(EqualsIgnoreCase, DifferentTextOrLengthIsNotEqual) {
  EXPECT_FALSE(EqualsIgnoreCase("host", "hosts"));
  EXPECT_FALSE(EqualsIgnoreCase("host", "hast"));
  EXPECT_FALSE(EqualsIgnoreCase("", "a"));
  EXPECT_FALSE(EqualsIgnoreCase("a-b", "a_b"));
  EXPECT_FALSE(EqualsIgnoreCase("x\0"s, "x"));
}

TEST(EqualsIgnoreCase, DoesNotFoldPunctuationNeighbours) {
  // '@'/'`' and '['/'{' differ by 0x20 like letters do, but are not case pairs.
  EXPECT_FALSE(EqualsIgnoreCase("@", "`"));
  EXPECT_FALSE(EqualsIgnoreCase("[", "{"));
}

}  // namespace
}  // namespace hbf

namespace hbf {
namespace {

TEST(CanonicalPath, OneFormForEveryLayer) {
  auto c = [](std::string_view raw) { return CanonicalPath(raw).value_or("<refused>"); };
  EXPECT_EQ(c("/"), "/");
  EXPECT_EQ(c("/a/b"), "/a/b");
  EXPECT_EQ(c("/%70rivate/data.txt"), "/private/data.txt") << "unreserved escapes decoded";
  EXPECT_EQ(c("/a%20b/%e2%82%ac"), "/a%20b/%E2%82%AC") << "others kept, upper-cased";
  EXPECT_EQ(c("/public/../private/x"), "/private/x");
  EXPECT_EQ(c("/public/%2e%2e/private/x"), "/private/x") << "encoded dot segments too";
  EXPECT_EQ(c("/a/./b/."), "/a/b/");
  EXPECT_EQ(c("/../../etc/passwd"), "/etc/passwd") << "never above the root";
  EXPECT_EQ(c("//private///x"), "/private/x");
  EXPECT_EQ(c("/dir/"), "/dir/");
  EXPECT_EQ(c("/a/b/.."), "/a/");
  EXPECT_EQ(c("/private%2fdata.txt"), "/private%2Fdata.txt") << "an encoded slash stays in its segment";
  EXPECT_EQ(c("/files/..%2Findex.js"), "/files/..%2Findex.js") << "not a dot segment";
  EXPECT_EQ(c("/a/%2E%2E%2F/b"), "/a/..%2F/b");
  EXPECT_EQ(c("/a%2Fb/../c"), "/c") << "a real dot segment pops the whole segment";
  EXPECT_EQ(c("/nul%00"), "<refused>");
  EXPECT_EQ(c("/bad%zz"), "<refused>");
  EXPECT_EQ(c("/trunc%4"), "<refused>");
  EXPECT_EQ(c("/trunc%"), "<refused>");
}

}  // namespace
}  // namespace hbf

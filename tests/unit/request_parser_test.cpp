// RequestParser: bytes in, requests out, with HBF's limits and RFC 9112 rules.
#include "http/request_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace hbf {
namespace {

using Event = RequestParser::Event;

struct Fed {
  Event event;
  size_t consumed;
};

Fed Feed(RequestParser& p, const std::string& bytes) {
  size_t used = 0;
  Event e = p.Feed(bytes.data(), bytes.size(), used);
  return {e, used};
}

TEST(RequestParser, ASimpleRequestIsReadWhole) {
  RequestParser p(ParserLimits{});
  auto r = Feed(p, "GET /a%20b?x=1&y=2 HTTP/1.1\r\nHost: Example.com \r\nX-Two:  v \r\n\r\n");
  ASSERT_EQ(r.event, Event::kRequest);
  HttpRequest req = p.TakeRequest();
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.path, "/a%20b") << "the path stays percent-encoded";
  EXPECT_EQ(req.query, "x=1&y=2");
  EXPECT_EQ(req.http_version, "1.1");
  ASSERT_NE(req.header("host"), nullptr);
  EXPECT_EQ(*req.header("host"), "Example.com");
  EXPECT_EQ(*req.header("x-two"), "v") << "names lower-cased, values trimmed";
  EXPECT_TRUE(p.keep_alive());
}

TEST(RequestParser, BytesMayArriveOneAtATime) {
  RequestParser p(ParserLimits{});
  const std::string raw = "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello";
  bool head = false;
  bool done = false;
  for (size_t i = 0; i < raw.size(); ++i) {
    size_t used = 0;
    Event e = p.Feed(raw.data() + i, 1, used);
    if (e == Event::kHead) {
      head = true;
      if (used == 0) {  // paused before the byte: feed it again
        e = p.Feed(raw.data() + i, 1, used);
      }
    }
    if (e == Event::kRequest) done = true;
  }
  EXPECT_TRUE(head);
  ASSERT_TRUE(done);
  EXPECT_EQ(p.TakeRequest().body, "hello");
}

TEST(RequestParser, PipelinedRequestsComeOneAtATime) {
  RequestParser p(ParserLimits{});
  std::string raw = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n";
  auto first = Feed(p, raw);
  ASSERT_EQ(first.event, Event::kRequest);
  EXPECT_EQ(p.TakeRequest().path, "/1");
  raw.erase(0, first.consumed);
  auto second = Feed(p, raw);
  ASSERT_EQ(second.event, Event::kRequest);
  EXPECT_EQ(p.TakeRequest().path, "/2");
  EXPECT_EQ(second.consumed, raw.size());
}

// Found by fuzz/http_parser_fuzz: a Content-Length above INT64_MAX (llhttp
// takes up to 2^64-1) turned negative in the limit check, passed it, and the
// body's reserve() threw std::length_error through llhttp, which on the I/O
// thread ended the process.
TEST(RequestParser, ContentLengthsBeyondInt64AreTooLarge) {
  for (const char* length : {"9223372036854775808", "11679999999999999990", "18446744073709551614"}) {
    SCOPED_TRACE(length);
    RequestParser p(ParserLimits{});
    Fed r{Event::kNeedMore, 0};
    EXPECT_NO_THROW(r = Feed(p, std::string("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: ") + length + "\r\n\r\n"));
    ASSERT_EQ(r.event, Event::kError);
    EXPECT_EQ(p.failure().status, 413);
  }
}

TEST(RequestParser, ChunkedBodiesAreDecodedAndBounded) {
  ParserLimits limits;
  limits.max_body_bytes = 8;
  {
    RequestParser p(limits);
    auto head = Feed(p, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
    ASSERT_EQ(head.event, Event::kHead);
    auto body = Feed(p, "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
    ASSERT_EQ(body.event, Event::kRequest);
    EXPECT_EQ(p.TakeRequest().body, "abcde");
  }
  {
    RequestParser p(limits);
    Feed(p, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
    auto body = Feed(p, "9\r\n123456789\r\n0\r\n\r\n");
    ASSERT_EQ(body.event, Event::kError);
    EXPECT_EQ(p.failure().status, 413);
  }
  {
    RequestParser p(limits);
    auto r = Feed(p, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 9\r\n\r\n");
    ASSERT_EQ(r.event, Event::kError) << "a declared length over the limit is refused before the body";
    EXPECT_EQ(p.failure().status, 413);
    EXPECT_EQ(p.failure().code, "payload_too_large");
  }
}

TEST(RequestParser, SmugglingShapesAre400) {
  for (const std::string raw : {
           "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
           "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n\r\n",
       }) {
    SCOPED_TRACE(raw);
    RequestParser p(ParserLimits{});
    size_t used = 0;
    Event e = p.Feed(raw.data(), raw.size(), used);
    if (e == Event::kHead) e = p.Feed(raw.data() + used, raw.size() - used, used);
    ASSERT_EQ(e, Event::kError);
    EXPECT_EQ(p.failure().status, 400);
    // Once failed, it stays failed: nothing after it is parsed.
    EXPECT_EQ(p.Feed("GET / HTTP/1.1\r\n\r\n", 18, used), Event::kError);
  }
}

TEST(RequestParser, HostRulesAndTargetForms) {
  {
    RequestParser p(ParserLimits{});
    ASSERT_EQ(Feed(p, "GET / HTTP/1.1\r\n\r\n").event, Event::kError);
    EXPECT_EQ(p.failure().status, 400);
  }
  {
    RequestParser p(ParserLimits{});
    ASSERT_EQ(Feed(p, "GET / HTTP/1.0\r\n\r\n").event, Event::kRequest) << "HTTP/1.0 needs no Host";
    EXPECT_FALSE(p.keep_alive());
  }
  {
    RequestParser p(ParserLimits{});
    ASSERT_EQ(Feed(p, "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n").event, Event::kError);
  }
  {
    RequestParser p(ParserLimits{});
    ASSERT_EQ(Feed(p, "GET HTTP://Other.Example:81/x/y?q=1 HTTP/1.1\r\nHost: a\r\n\r\n").event, Event::kRequest);
    HttpRequest req = p.TakeRequest();
    EXPECT_EQ(*req.header("host"), "Other.Example:81");
    EXPECT_EQ(req.path, "/x/y");
    EXPECT_EQ(req.query, "q=1");
  }
  {
    RequestParser p(ParserLimits{});
    ASSERT_EQ(Feed(p, "GET http://h HTTP/1.1\r\n\r\n").event, Event::kRequest);
    EXPECT_EQ(p.TakeRequest().path, "/");
  }
  {
    RequestParser p(ParserLimits{});
    ASSERT_EQ(Feed(p, "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n").event, Event::kRequest);
    EXPECT_EQ(p.TakeRequest().path, "*");
  }
  {
    RequestParser p(ParserLimits{});
    ASSERT_EQ(Feed(p, "GET x HTTP/1.1\r\nHost: h\r\n\r\n").event, Event::kError);
  }
}

TEST(RequestParser, HeaderLimitsAre431) {
  ParserLimits limits;
  limits.max_headers = 3;
  limits.max_header_bytes = 200;
  {
    RequestParser p(limits);
    auto r = Feed(p, "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n");
    ASSERT_EQ(r.event, Event::kError);
    EXPECT_EQ(p.failure().status, 431);
  }
  {
    RequestParser p(limits);
    auto r = Feed(p, "GET / HTTP/1.1\r\nHost: h\r\nA: " + std::string(300, 'x') + "\r\n\r\n");
    ASSERT_EQ(r.event, Event::kError);
    EXPECT_EQ(p.failure().status, 431);
  }
  {
    RequestParser p(limits);
    EXPECT_EQ(Feed(p, "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n").event, Event::kRequest);
  }
}

TEST(RequestParser, ExpectContinueAndUpgradeAreReported) {
  {
    RequestParser p(ParserLimits{});
    auto r = Feed(p, "PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\n");
    ASSERT_EQ(r.event, Event::kHead);
    EXPECT_TRUE(p.expects_continue());
    EXPECT_TRUE(p.body_expected());
  }
  {
    RequestParser p(ParserLimits{});
    auto r = Feed(p, "GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
    ASSERT_EQ(r.event, Event::kRequest);
    EXPECT_TRUE(p.upgrade());
    EXPECT_FALSE(p.keep_alive()) << "not switched yet: the connection closes after the answer";
  }
}

TEST(RequestParser, VersionsOtherThanOneAre505) {
  RequestParser p(ParserLimits{});
  ASSERT_EQ(Feed(p, "GET / HTTP/2.0\r\nHost: h\r\n\r\n").event, Event::kError);
  EXPECT_EQ(p.failure().status, 505);
}

}  // namespace
}  // namespace hbf

// Specification of host-based routing: which site a request is for.
#include "http/host_routing.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace hbf {
namespace {

using namespace std::string_literals;

void ExpectHenv(std::string_view host, std::string_view base, std::string_view hash) {
  HostRoute r = RouteHost(host, base);
  EXPECT_EQ(r.kind, SiteKind::kHenv) << "host '" << host << "' on base '" << base << "'";
  EXPECT_EQ(r.henv_hash, hash) << host;
}

void ExpectApex(std::string_view host, std::string_view base) {
  HostRoute r = RouteHost(host, base);
  EXPECT_EQ(r.kind, SiteKind::kApex) << "host '" << host << "' on base '" << base << "'";
  EXPECT_EQ(r.henv_hash, "") << host;
}

void ExpectUnknown(std::string_view host, std::string_view base) {
  HostRoute r = RouteHost(host, base);
  EXPECT_EQ(r.kind, SiteKind::kUnknown) << "host '" << host << "' on base '" << base << "'";
  EXPECT_EQ(r.henv_hash, "") << host;
}

// ---------------------------------------------------------------- RouteHost

TEST(RouteHost, HenvSubdomainWithPortRoutesToTheHenv) {
  HostRoute r = RouteHost("5h9h66rt.localhost:5309", "localhost");
  EXPECT_EQ(r.kind, SiteKind::kHenv);
  EXPECT_EQ(r.henv_hash, "5h9h66rt");
  EXPECT_EQ(r.hostname, "5h9h66rt.localhost") << "hostname drops the port";
}

TEST(RouteHost, HenvSubdomainWithoutPortRoutesToTheHenv) {
  ExpectHenv("5h9h66rt.localhost", "localhost", "5h9h66rt");
  ExpectHenv("00000000.localhost", "localhost", "00000000");
  ExpectHenv("zzzzzzzz.localhost", "localhost", "zzzzzzzz");
}

TEST(RouteHost, UppercaseHostIsNormalisedToLowerCase) {
  HostRoute r = RouteHost("5H9H66RT.LocalHost:5309", "localhost");
  EXPECT_EQ(r.kind, SiteKind::kHenv);
  EXPECT_EQ(r.henv_hash, "5h9h66rt");
  EXPECT_EQ(r.hostname, "5h9h66rt.localhost");
}

TEST(RouteHost, TrailingDotIsIgnored) {
  ExpectHenv("5h9h66rt.localhost.", "localhost", "5h9h66rt");
  ExpectHenv("5h9h66rt.localhost.:5309", "localhost", "5h9h66rt");
  EXPECT_EQ(RouteHost("5h9h66rt.localhost.", "localhost").hostname, "5h9h66rt.localhost");
  ExpectApex("localhost.", "localhost");
}

TEST(RouteHost, SurroundingSpacesAreIgnored) {
  ExpectApex("  localhost\t", "localhost");
  ExpectHenv(" 5h9h66rt.localhost:5309 ", "localhost", "5h9h66rt");
}

TEST(RouteHost, BaseDomainItselfIsTheApex) {
  ExpectApex("localhost", "localhost");
  ExpectApex("LOCALHOST:80", "localhost");
  ExpectApex("localhost:5309", "localhost");
  EXPECT_EQ(RouteHost("LOCALHOST:80", "localhost").hostname, "localhost");
}

TEST(RouteHost, HashThatIsNotEightCharactersIsUnknown) {
  ExpectUnknown("foo.localhost", "localhost");
  ExpectUnknown("5h9h66r.localhost", "localhost");
  ExpectUnknown("5h9h66rtx.localhost", "localhost");
  ExpectUnknown(".localhost", "localhost");
}

TEST(RouteHost, HashWithCharactersOutsideTheAlphabetIsUnknown) {
  ExpectUnknown("5h9h66r_.localhost", "localhost");
  ExpectUnknown("5h9h66r-.localhost", "localhost");
  ExpectUnknown("5h9h%6rt.localhost", "localhost");
}

TEST(RouteHost, NestedSubdomainIsUnknown) {
  ExpectUnknown("abc.5h9h66rt.localhost", "localhost");
  ExpectUnknown("5h9h66rt.5h9h66rt.localhost", "localhost");
}

TEST(RouteHost, BaseDomainAsAPrefixOfAnotherDomainIsUnknown) {
  ExpectUnknown("5h9h66rt.localhost.evil.com", "localhost");
  ExpectUnknown("localhost.evil.com", "localhost");
  ExpectUnknown("5h9h66rt.notlocalhost", "localhost");
  ExpectUnknown("5h9h66rt.localhostx", "localhost");
}

TEST(RouteHost, HashGluedToTheBaseDomainWithoutADotIsUnknown) {
  ExpectUnknown("evil5h9h66rt.localhost", "localhost");
  ExpectUnknown("5h9h66rtlocalhost", "localhost");
  ExpectUnknown("5h9h66rt-localhost", "localhost");
  ExpectUnknown("xlocalhost", "localhost");
}

TEST(RouteHost, IpLiteralsAreUnknown) {
  ExpectUnknown("127.0.0.1", "localhost");
  ExpectUnknown("127.0.0.1:5309", "localhost");
  ExpectUnknown("[::1]:5309", "localhost");
  ExpectUnknown("[::1]", "localhost");
}

TEST(RouteHost, EmptyHostIsUnknown) {
  ExpectUnknown("", "localhost");
  ExpectUnknown("   ", "localhost");
  ExpectUnknown(":5309", "localhost");
  ExpectUnknown(".", "localhost");
}

TEST(RouteHost, NonNumericPortIsUnknown) {
  ExpectUnknown("localhost:abc", "localhost");
  ExpectUnknown("localhost:80a", "localhost");
  ExpectUnknown("5h9h66rt.localhost:-1", "localhost");
  ExpectUnknown("5h9h66rt.localhost:http", "localhost");
}

TEST(RouteHost, UserinfoOrPathInHostIsUnknown) {
  ExpectUnknown("user@localhost", "localhost");
  ExpectUnknown("localhost/x", "localhost");
  ExpectUnknown("5h9h66rt.localhost/", "localhost");
}

TEST(RouteHost, OverlongHostIsUnknown) {
  std::string host = std::string(300, 'a') + ".localhost";
  ExpectUnknown(host, "localhost");
}

TEST(RouteHost, WorksWithAMultiLabelBaseDomain) {
  ExpectHenv("5h9h66rt.example.com", "example.com", "5h9h66rt");
  ExpectHenv("MA3YS3GW.Example.Com:443", "example.com", "ma3ys3gw");
  ExpectApex("example.com", "example.com");
  ExpectApex("EXAMPLE.COM.:8443", "example.com");
  ExpectUnknown("5h9h66rt.localhost", "example.com");
  ExpectUnknown("localhost", "example.com");
  ExpectUnknown("www.example.com", "example.com");
  ExpectUnknown("5h9h66rt.notexample.com", "example.com");
  ExpectUnknown("5h9h66rt.example.com.evil.org", "example.com");
  ExpectUnknown("5h9h66rt.example.co", "example.com");
  ExpectUnknown("x5h9h66rt.example.com", "example.com");
  ExpectUnknown("5h9h66rtexample.com", "example.com");
  ExpectUnknown("com", "example.com");
}

TEST(RouteHost, HashLookingBaseDomainDoesNotConfuseApexAndHenv) {
  // An apex whose first label is itself hash-shaped is still the apex.
  ExpectApex("abcdefgh.example.com", "abcdefgh.example.com");
  ExpectHenv("5h9h66rt.abcdefgh.example.com", "abcdefgh.example.com", "5h9h66rt");
  ExpectUnknown("abcdefgh.example.com", "example.org");
}

// ------------------------------------------------------ BuildRequestContext

HttpRequest MakeRequest(std::string path, HeaderList headers, std::string remote = "198.51.100.9") {
  HttpRequest r;
  r.method = "GET";
  r.path = std::move(path);
  r.http_version = "1.1";
  r.headers = std::move(headers);
  r.remote_addr = std::move(remote);
  r.remote_port = 40000;
  r.local_port = 5309;
  return r;
}

// With `trust`: the test peer (198.51.100.9) and 10.0.0.0/8 are proxies.
ProxyPolicy Policy(bool trust) {
  ProxyPolicy p;
  p.trust_proxy = trust;
  p.proxies = TrustedProxies::Parse("198.51.100.0/24, 10.0.0.0/8").value();
  return p;
}

RequestContext BuildOk(const HttpRequest& req, std::string_view base = "localhost", bool trust_proxy = false) {
  auto r = BuildRequestContext(req, base, Policy(trust_proxy));
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  if (!r.ok()) return RequestContext{};
  return r.value();
}

void ExpectBadPath(const std::string& path) {
  auto r = BuildRequestContext(MakeRequest(path, {{"host", "localhost"}}), "localhost", Policy(false));
  ASSERT_FALSE(r.ok()) << "path " << testing::PrintToString(path) << " should be rejected";
  EXPECT_EQ(r.error().http_status, 400);
  EXPECT_EQ(r.error().code, "bad_request");
}

TEST(BuildRequestContext, RoutesByTheHostHeader) {
  RequestContext ctx = BuildOk(MakeRequest("/index.html", {{"host", "5h9h66rt.localhost:5309"}}));
  EXPECT_EQ(ctx.route.kind, SiteKind::kHenv);
  EXPECT_EQ(ctx.route.henv_hash, "5h9h66rt");
  EXPECT_EQ(ctx.host, "5h9h66rt.localhost:5309") << "host keeps the port for building URLs";
  EXPECT_FALSE(ctx.is_apex());
  EXPECT_EQ(ctx.subpath, "/index.html");
  EXPECT_EQ(ctx.client_ip, "198.51.100.9");
  EXPECT_EQ(ctx.scheme, "http");
}

TEST(BuildRequestContext, ApexHostIsApex) {
  RequestContext ctx = BuildOk(MakeRequest("/health", {{"host", "localhost:5309"}}));
  EXPECT_EQ(ctx.route.kind, SiteKind::kApex);
  EXPECT_TRUE(ctx.is_apex());
}

TEST(BuildRequestContext, UsesTheConfiguredBaseDomain) {
  RequestContext ctx = BuildOk(MakeRequest("/", {{"host", "ma3ys3gw.example.com"}}), "example.com");
  EXPECT_EQ(ctx.route.kind, SiteKind::kHenv);
  EXPECT_EQ(ctx.route.henv_hash, "ma3ys3gw");
  ctx = BuildOk(MakeRequest("/", {{"host", "ma3ys3gw.localhost"}}), "example.com");
  EXPECT_EQ(ctx.route.kind, SiteKind::kUnknown);
}

TEST(BuildRequestContext, MissingHostIsUnknown) {
  RequestContext ctx = BuildOk(MakeRequest("/", {}));
  EXPECT_EQ(ctx.route.kind, SiteKind::kUnknown);
  EXPECT_EQ(ctx.host, "");
  EXPECT_FALSE(ctx.is_apex());
}

TEST(BuildRequestContext, MissingHostIsUnknownEvenWhenTrustingProxyWithoutForwardedHost) {
  RequestContext ctx = BuildOk(MakeRequest("/", {{"x-forwarded-for", "203.0.113.1"}}), "localhost", true);
  EXPECT_EQ(ctx.route.kind, SiteKind::kUnknown);
}

TEST(BuildRequestContext, DecodesPercentEscapesInThePath) {
  EXPECT_EQ(BuildOk(MakeRequest("/a%20b/c%2Fd", {{"host", "localhost"}})).subpath, "/a b/c%2Fd");
  EXPECT_EQ(BuildOk(MakeRequest("/caf%C3%A9", {{"host", "localhost"}})).subpath, "/caf\xC3\xA9");
  EXPECT_EQ(BuildOk(MakeRequest("/%7e%7E", {{"host", "localhost"}})).subpath, "/~~");
}

TEST(BuildRequestContext, PlusInThePathIsNotASpace) {
  EXPECT_EQ(BuildOk(MakeRequest("/a+b", {{"host", "localhost"}})).subpath, "/a+b");
}

TEST(BuildRequestContext, SubpathAlwaysStartsWithASlash) {
  EXPECT_EQ(BuildOk(MakeRequest("", {{"host", "localhost"}})).subpath, "/");
  EXPECT_EQ(BuildOk(MakeRequest("/", {{"host", "localhost"}})).subpath, "/");
  EXPECT_EQ(BuildOk(MakeRequest("x/y", {{"host", "localhost"}})).subpath, "/x/y");
  EXPECT_EQ(BuildOk(MakeRequest("%2Fx", {{"host", "localhost"}})).subpath, "/%2Fx");
}

TEST(BuildRequestContext, AnEncodedSlashIsNeverASeparator) {
  RequestContext plain = BuildOk(MakeRequest("/a/b%20c", {{"host", "localhost"}}));
  EXPECT_FALSE(plain.encoded_slash);
  RequestContext ctx = BuildOk(MakeRequest("/files/..%2Findex.js", {{"host", "localhost"}}));
  EXPECT_TRUE(ctx.encoded_slash);
  EXPECT_EQ(ctx.subpath, "/files/..%2Findex.js");
  RequestContext lower = BuildOk(MakeRequest("/a%2fb%2F%41", {{"host", "localhost"}}));
  EXPECT_TRUE(lower.encoded_slash);
  EXPECT_EQ(lower.subpath, "/a%2Fb%2FA") << "escapes around it still decoded";
  // An escaped percent sign decodes to a literal "%2F": a different path,
  // and not flagged, so the two never name the same thing.
  RequestContext literal = BuildOk(MakeRequest("/a%252Fb", {{"host", "localhost"}}));
  EXPECT_FALSE(literal.encoded_slash);
  EXPECT_EQ(literal.subpath, "/a%2Fb");
}

TEST(BuildRequestContext, MalformedPercentEscapeIs400) {
  ExpectBadPath("/%zz");
  ExpectBadPath("/a%g0");
  ExpectBadPath("/a%0g");
  ExpectBadPath("/%4");
  ExpectBadPath("/%");
  ExpectBadPath("/a%");
}

TEST(BuildRequestContext, EncodedNulInThePathIs400) {
  ExpectBadPath("/%00");
  ExpectBadPath("/file%00.txt");
}

TEST(BuildRequestContext, PathErrorsWinEvenForHenvHosts) {
  auto r = BuildRequestContext(MakeRequest("/%zz", {{"host", "5h9h66rt.localhost"}}), "localhost", Policy(false));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().http_status, 400);
}

HeaderList ProxiedHeaders() {
  return {{"host", "localhost:5309"},
          {"x-forwarded-host", "5h9h66rt.example.com, proxy.internal"},
          {"x-forwarded-for", "203.0.113.7, 10.0.0.1"},
          {"x-forwarded-proto", "https, http"}};
}

TEST(BuildRequestContext, ForwardedHeadersAreIgnoredWithoutTrustProxy) {
  RequestContext ctx = BuildOk(MakeRequest("/", ProxiedHeaders()), "localhost", false);
  EXPECT_EQ(ctx.route.kind, SiteKind::kApex);
  EXPECT_EQ(ctx.host, "localhost:5309");
  EXPECT_EQ(ctx.client_ip, "198.51.100.9");
  EXPECT_EQ(ctx.scheme, "http");
}

TEST(BuildRequestContext, ForwardedHeadersAreHonouredFromATrustedProxy) {
  RequestContext ctx = BuildOk(MakeRequest("/", ProxiedHeaders()), "example.com", true);
  EXPECT_EQ(ctx.route.kind, SiteKind::kHenv);
  EXPECT_EQ(ctx.route.henv_hash, "5h9h66rt");
  EXPECT_EQ(ctx.host, "5h9h66rt.example.com");
  EXPECT_EQ(ctx.client_ip, "203.0.113.7");
  EXPECT_EQ(ctx.scheme, "https");
}

TEST(BuildRequestContext, ForwardedHostAloneSelectsTheSite) {
  RequestContext ctx = BuildOk(
      MakeRequest("/", {{"host", "10.0.0.5:5309"}, {"x-forwarded-host", "ma3ys3gw.localhost"}}), "localhost", true);
  EXPECT_EQ(ctx.route.kind, SiteKind::kHenv);
  EXPECT_EQ(ctx.route.henv_hash, "ma3ys3gw");
  EXPECT_EQ(ctx.client_ip, "198.51.100.9") << "no X-Forwarded-For: the peer address";
  EXPECT_EQ(ctx.scheme, "http") << "no X-Forwarded-Proto: http";
}

TEST(BuildRequestContext, EmptyForwardedHostFallsBackToTheHostHeader) {
  RequestContext ctx =
      BuildOk(MakeRequest("/", {{"host", "5h9h66rt.localhost"}, {"x-forwarded-host", ""}}), "localhost", true);
  EXPECT_EQ(ctx.route.kind, SiteKind::kHenv);
  EXPECT_EQ(ctx.host, "5h9h66rt.localhost");
}

TEST(BuildRequestContext, EmptyForwardedForKeepsThePeerAddress) {
  RequestContext ctx = BuildOk(MakeRequest("/", {{"host", "localhost"}, {"x-forwarded-for", " "}}), "localhost", true);
  EXPECT_EQ(ctx.client_ip, "198.51.100.9");
  // Garbage left of a real hop: the hop is the client.
  ctx = BuildOk(MakeRequest("/", {{"host", "localhost"}, {"x-forwarded-for", " , 1.2.3.4"}}), "localhost", true);
  EXPECT_EQ(ctx.client_ip, "1.2.3.4");
}

TEST(BuildRequestContext, TheClientIsTheRightmostUntrustedForwardedHop) {
  // A client cannot choose its address by sending its own X-Forwarded-For:
  // the proxy appends what it saw, and that is what counts.
  RequestContext ctx = BuildOk(
      MakeRequest("/", {{"host", "localhost"}, {"x-forwarded-for", "1.1.1.1, 2.2.2.2, 203.0.113.5, 10.0.0.7"}}),
      "localhost", true);
  EXPECT_EQ(ctx.client_ip, "203.0.113.5");
  // Only trusted hops: the leftmost of them.
  ctx = BuildOk(MakeRequest("/", {{"host", "localhost"}, {"x-forwarded-for", "10.0.0.1, 10.0.0.2"}}), "localhost",
                true);
  EXPECT_EQ(ctx.client_ip, "10.0.0.1");
  // A non-address stops the walk at the last trusted hop.
  ctx = BuildOk(MakeRequest("/", {{"host", "localhost"}, {"x-forwarded-for", "evil, 10.0.0.3"}}), "localhost", true);
  EXPECT_EQ(ctx.client_ip, "10.0.0.3");
}

TEST(BuildRequestContext, ForwardedHeadersFromAnUntrustedPeerAreIgnored) {
  RequestContext ctx = BuildOk(MakeRequest("/", ProxiedHeaders(), "192.0.2.66"), "example.com", true);
  EXPECT_EQ(ctx.route.kind, SiteKind::kUnknown);
  EXPECT_EQ(ctx.client_ip, "192.0.2.66");
  EXPECT_EQ(ctx.scheme, "http");
}

TEST(TrustedProxies, ParsesCidrListsAndMatchesBothFamilies) {
  auto p = TrustedProxies::Parse(" 127.0.0.0/8 ,::1/128, 10.1.2.3, 2001:db8::/32 ");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->Contains("127.9.9.9"));
  EXPECT_TRUE(p->Contains("::ffff:127.0.0.1")) << "IPv4-mapped counts as IPv4";
  EXPECT_TRUE(p->Contains("::1"));
  EXPECT_TRUE(p->Contains("10.1.2.3"));
  EXPECT_FALSE(p->Contains("10.1.2.4"));
  EXPECT_TRUE(p->Contains("2001:db8:ffff::1"));
  EXPECT_FALSE(p->Contains("2001:db9::1"));
  EXPECT_FALSE(p->Contains("not an address"));
  for (const char* bad : {"10.0.0.0/33", "::/129", "example.com", "10.0.0.0/", "10.0.0.0/x", "1.2.3"}) {
    EXPECT_FALSE(TrustedProxies::Parse(bad).ok()) << bad;
  }
  EXPECT_TRUE(TrustedProxies::Parse("").ok());
}

TEST(BuildRequestContext, ForwardedItemsAreTrimmed) {
  RequestContext ctx = BuildOk(MakeRequest("/", {{"host", "localhost"},
                                                 {"x-forwarded-for", "  203.0.113.8  ,10.0.0.1"},
                                                 {"x-forwarded-proto", " https "}}),
                               "localhost", true);
  EXPECT_EQ(ctx.client_ip, "203.0.113.8");
  EXPECT_EQ(ctx.scheme, "https");
}

TEST(BuildRequestContext, ForwardedProtoOnlyAcceptsHttpOrHttps) {
  for (const char* proto : {"ftp", "javascript", "", "https://", "ws"}) {
    RequestContext ctx =
        BuildOk(MakeRequest("/", {{"host", "localhost"}, {"x-forwarded-proto", proto}}), "localhost", true);
    EXPECT_EQ(ctx.scheme, "http") << proto;
  }
  RequestContext ctx =
      BuildOk(MakeRequest("/", {{"host", "localhost"}, {"x-forwarded-proto", "http"}}), "localhost", true);
  EXPECT_EQ(ctx.scheme, "http");
}

TEST(BuildRequestContext, FirstHeaderOfARepeatedNameIsUsed) {
  RequestContext ctx =
      BuildOk(MakeRequest("/", {{"host", "5h9h66rt.localhost"}, {"host", "localhost"}}), "localhost", false);
  EXPECT_EQ(ctx.route.kind, SiteKind::kHenv);
}

}  // namespace
}  // namespace hbf

// http_policy: a henv's settings -> its HTTP policy, PATCH's checks of the
// text settings, security headers, CORS preflights and actual answers.
#include "app/http_policy.h"

#include <gtest/gtest.h>

#include <map>

namespace hbf {
namespace {

HenvHttpPolicy FromMap(const std::map<std::string, std::string>& settings) {
  return HttpPolicyFromSettings([&](const std::string& key) -> std::optional<std::string> {
    auto it = settings.find(key);
    if (it == settings.end()) return std::nullopt;
    return it->second;
  });
}

std::string Header(const HttpResponse& r, const char* name) {
  const std::string* v = r.header(name);
  return v == nullptr ? "<absent>" : *v;
}

HttpRequest Preflight(const std::string& origin) {
  HttpRequest r;
  r.method = "OPTIONS";
  r.path = "/api/items";
  r.headers = {{"origin", origin}, {"access-control-request-method", "PUT"}};
  return r;
}

TEST(HttpPolicyTest, DefaultsWhenNothingIsSet) {
  HenvHttpPolicy p = FromMap({});
  EXPECT_EQ(p.rate_rps, 0);
  EXPECT_TRUE(p.security_headers);
  EXPECT_FALSE(p.cors.enabled());
}

TEST(HttpPolicyTest, RateLimitAndItsDefaultBurst) {
  EXPECT_EQ(FromMap({{"rate_limit_rps", "5"}}).rate_burst, 10);
  HenvHttpPolicy p = FromMap({{"rate_limit_rps", "5"}, {"rate_limit_burst", "7"}});
  EXPECT_EQ(p.rate_rps, 5);
  EXPECT_EQ(p.rate_burst, 7);
  EXPECT_EQ(FromMap({{"rate_limit_burst", "7"}}).rate_rps, 0) << "a burst alone sets no limit";
  EXPECT_EQ(FromMap({{"rate_limit_rps", "lots"}}).rate_rps, 0) << "unparsable: unset";
}

TEST(HttpPolicyTest, CorsSettings) {
  HenvHttpPolicy p = FromMap({{"cors_origins", "https://App.Example, http://localhost:3000"},
                              {"cors_methods", "GET,POST"},
                              {"cors_headers", " X-Api-Key , Content-Type"},
                              {"cors_credentials", "true"},
                              {"cors_max_age", "60"}});
  EXPECT_TRUE(p.cors.enabled());
  EXPECT_TRUE(p.cors.Allows("https://app.example"));
  EXPECT_TRUE(p.cors.Allows("http://localhost:3000"));
  EXPECT_FALSE(p.cors.Allows("http://localhost:3001"));
  EXPECT_FALSE(p.cors.Allows("https://app.example.evil"));
  EXPECT_EQ(p.cors.methods, "GET, POST");
  EXPECT_EQ(p.cors.headers, "X-Api-Key, Content-Type");
  EXPECT_TRUE(p.cors.credentials);
  EXPECT_EQ(p.cors.max_age, 60);
  // "*" never carries credentials, even if the pair was stored somehow.
  HenvHttpPolicy any = FromMap({{"cors_origins", "*"}, {"cors_credentials", "true"}});
  EXPECT_TRUE(any.cors.any_origin);
  EXPECT_FALSE(any.cors.credentials);
  EXPECT_FALSE(FromMap({{"cors_origins", "not an origin"}}).cors.enabled());
  EXPECT_FALSE(FromMap({{"security_headers", "off"}}).security_headers);
}

TEST(HttpPolicyTest, PatchChecksOfTheTextSettings) {
  for (const char* ok : {"*", "https://a.example", "https://a.example, http://localhost:3000", "http://[::1]:8080",
                         "capacitor://localhost", "https://A.Example"}) {
    EXPECT_EQ(HttpSettingProblem("cors_origins", ok), std::nullopt) << ok;
  }
  for (const char* bad : {"", "https://a.example/", "a.example", "*, https://a.example", "null",
                          "https://a.example:99999", "https://a.example,,https://b.example", "https://a.example/path",
                          "https://a b.example", "javascript:alert(1)"}) {
    EXPECT_NE(HttpSettingProblem("cors_origins", bad), std::nullopt) << bad;
  }
  EXPECT_EQ(HttpSettingProblem("cors_methods", "GET, POST, PROPFIND"), std::nullopt);
  EXPECT_NE(HttpSettingProblem("cors_methods", "GET POST"), std::nullopt);
  EXPECT_NE(HttpSettingProblem("cors_headers", "Content-Type, X:Bad"), std::nullopt);
  EXPECT_EQ(HttpSettingProblem("cors_credentials", "true"), std::nullopt);
  EXPECT_NE(HttpSettingProblem("cors_credentials", "yes"), std::nullopt);
  EXPECT_EQ(HttpSettingProblem("security_headers", "off"), std::nullopt);
  EXPECT_NE(HttpSettingProblem("security_headers", "false"), std::nullopt);
  EXPECT_TRUE(IsHttpTextSetting("cors_origins"));
  EXPECT_FALSE(IsHttpTextSetting("rate_limit_rps"));
}

TEST(HttpPolicyTest, SecurityHeadersAreAddedWhereAbsent) {
  HttpResponse r = HttpResponse::ErrorBody(404, "not_found", "nothing here");
  FinishResponse(r, {});
  EXPECT_EQ(Header(r, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(Header(r, "Referrer-Policy"), "strict-origin-when-cross-origin");
  EXPECT_EQ(Header(r, "X-Frame-Options"), "SAMEORIGIN");
  EXPECT_EQ(Header(r, "Strict-Transport-Security"), "<absent>") << "plain http";

  // The answer's own headers win (any case); HSTS only over https.
  HttpResponse own;
  own.headers = {{"x-frame-options", "DENY"}, {"Referrer-Policy", "no-referrer"}};
  ResponseFinish over_https;
  over_https.https = true;
  FinishResponse(own, over_https);
  EXPECT_EQ(Header(own, "X-Frame-Options"), "DENY");
  EXPECT_EQ(Header(own, "Referrer-Policy"), "no-referrer");
  EXPECT_EQ(Header(own, "Strict-Transport-Security"), "max-age=31536000");
  size_t frame_headers = 0;
  for (const auto& [name, value] : own.headers) frame_headers += EqualsIgnoreCase(name, "x-frame-options");
  EXPECT_EQ(frame_headers, 1u);

  // A CSP stating frame-ancestors is the framing rule.
  HttpResponse csp;
  csp.headers = {{"Content-Security-Policy", "frame-ancestors https://partner.example"}};
  FinishResponse(csp, {});
  EXPECT_EQ(Header(csp, "X-Frame-Options"), "<absent>");
}

TEST(HttpPolicyTest, SecurityHeadersOffAppliesToTheAppsOwnContentOnly) {
  auto policy = std::make_shared<HenvHttpPolicy>(FromMap({{"security_headers", "off"}}));
  HttpResponse app;
  FinishResponse(app, {.https = true, .origin = {}, .policy = policy, .app_content = true, .rate_headers = {}});
  EXPECT_EQ(Header(app, "X-Frame-Options"), "<absent>");
  EXPECT_EQ(Header(app, "X-Content-Type-Options"), "<absent>");
  EXPECT_EQ(Header(app, "Strict-Transport-Security"), "<absent>");
  HttpResponse builtin;
  FinishResponse(builtin, {.https = false, .origin = {}, .policy = policy, .app_content = false, .rate_headers = {}});
  EXPECT_EQ(Header(builtin, "X-Frame-Options"), "SAMEORIGIN");
}

TEST(HttpPolicyTest, PreflightFromAListedOrigin) {
  CorsPolicy cors = FromMap({{"cors_origins", "https://app.example"}, {"cors_credentials", "true"}}).cors;
  auto r = CorsPreflight(Preflight("https://app.example"), cors);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 204);
  EXPECT_EQ(Header(*r, "Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_EQ(Header(*r, "Vary"), "Origin");
  EXPECT_EQ(Header(*r, "Access-Control-Allow-Methods"), "GET, HEAD, POST, PUT, PATCH, DELETE");
  EXPECT_EQ(Header(*r, "Access-Control-Allow-Headers"), "Content-Type, Authorization");
  EXPECT_EQ(Header(*r, "Access-Control-Allow-Credentials"), "true");
  EXPECT_EQ(Header(*r, "Access-Control-Max-Age"), "600");
}

TEST(HttpPolicyTest, PreflightFromAnotherOriginGetsNoGrant) {
  CorsPolicy cors = FromMap({{"cors_origins", "https://app.example"}}).cors;
  auto r = CorsPreflight(Preflight("https://evil.example"), cors);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 204);
  EXPECT_EQ(Header(*r, "Access-Control-Allow-Origin"), "<absent>");
  EXPECT_EQ(Header(*r, "Access-Control-Allow-Methods"), "<absent>");
  EXPECT_EQ(Header(*r, "Vary"), "Origin");
}

TEST(HttpPolicyTest, WhatIsNotAHbfPreflight) {
  CorsPolicy off;
  EXPECT_FALSE(CorsPreflight(Preflight("https://app.example"), off).has_value()) << "CORS off: the router's";
  CorsPolicy cors = FromMap({{"cors_origins", "https://app.example"}}).cors;
  HttpRequest plain = Preflight("https://app.example");
  plain.headers.pop_back();  // no Access-Control-Request-Method
  EXPECT_FALSE(CorsPreflight(plain, cors).has_value());
  HttpRequest get = Preflight("https://app.example");
  get.method = "GET";
  EXPECT_FALSE(CorsPreflight(get, cors).has_value());
  auto any = CorsPreflight(Preflight("https://whoever.example"), FromMap({{"cors_origins", "*"}}).cors);
  ASSERT_TRUE(any.has_value());
  EXPECT_EQ(Header(*any, "Access-Control-Allow-Origin"), "*");
}

TEST(HttpPolicyTest, ActualAnswersToAListedOrigin) {
  auto policy = std::make_shared<HenvHttpPolicy>(
      FromMap({{"cors_origins", "https://app.example"}, {"cors_credentials", "true"}}));
  HttpResponse r;
  r.headers = {{"Vary", "Accept-Encoding"}};
  FinishResponse(r, {.https = false,
                     .origin = "https://app.example",
                     .policy = policy,
                     .app_content = true,
                     .rate_headers = HeaderList{{"RateLimit-Limit", "10"}}});
  EXPECT_EQ(Header(r, "Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_EQ(Header(r, "Access-Control-Allow-Credentials"), "true");
  EXPECT_EQ(Header(r, "Vary"), "Accept-Encoding, Origin");
  EXPECT_NE(Header(r, "Access-Control-Expose-Headers").find("RateLimit-Remaining"), std::string::npos);
  EXPECT_NE(Header(r, "Access-Control-Expose-Headers").find("Retry-After"), std::string::npos);
  EXPECT_EQ(Header(r, "RateLimit-Limit"), "10");

  HttpResponse other;
  FinishResponse(
      other,
      {.https = false, .origin = "https://evil.example", .policy = policy, .app_content = true, .rate_headers = {}});
  EXPECT_EQ(Header(other, "Access-Control-Allow-Origin"), "<absent>");
  EXPECT_EQ(Header(other, "Vary"), "Origin");

  // The router's own CORS answer stands.
  HttpResponse own;
  own.headers = {{"Access-Control-Allow-Origin", "https://app.example"}};
  FinishResponse(
      own,
      {.https = false, .origin = "https://app.example", .policy = policy, .app_content = true, .rate_headers = {}});
  EXPECT_EQ(Header(own, "Access-Control-Allow-Credentials"), "<absent>");
}

}  // namespace
}  // namespace hbf

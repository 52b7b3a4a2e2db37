// What HBF adds to, or answers before, a site's responses: the default
// security headers, a henv's CORS policy and its own rate limit, all read
// from the henv's settings (_hbf_config, changed by PATCH /_api/config).
//
//   security_headers  on (default) | off: HBF's defaults on the henv's own
//                     content (its router's answers and documents); HBF's
//                     built-ins (/_api, /_admin, login pages) always get them
//   rate_limit_rps    requests per second the whole henv is served (absent:
//                     only the server's per-address limit applies)
//   rate_limit_burst  requests at once (default 2 x rate_limit_rps)
//   cors_origins      "https://a.example, http://localhost:3000" or "*"
//                     (absent: no CORS; preflights go to the router)
//   cors_methods      default "GET, HEAD, POST, PUT, PATCH, DELETE"
//   cors_headers      request headers allowed, default "Content-Type, Authorization"
//   cors_credentials  true | false (default); never with "*"
//   cors_max_age      seconds a browser may cache a preflight (default 600)
//
// The functions here are pure; App (app.cpp) decides when they apply and
// caches each henv's HenvHttpPolicy in its Henv (Henv::DerivedValue).
//
// Thread safety: pure functions; a HenvHttpPolicy is immutable once built
// and shared between threads.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "henv/henv_manager.h"
#include "http/http_types.h"

namespace hbf {

struct CorsPolicy {
  bool any_origin = false;           // cors_origins = "*"
  std::vector<std::string> origins;  // exact origins, lower case
  std::string methods = "GET, HEAD, POST, PUT, PATCH, DELETE";
  std::string headers = "Content-Type, Authorization";
  bool credentials = false;
  int64_t max_age = 600;

  bool enabled() const { return any_origin || !origins.empty(); }
  // Whether a page of `origin` (the request's Origin header) may read answers.
  bool Allows(std::string_view origin) const;
};

struct HenvHttpPolicy : Henv::DerivedValue {
  int64_t rate_rps = 0;  // 0: no limit of the henv's own
  int64_t rate_burst = 0;
  bool security_headers = true;
  CorsPolicy cors;
};

// A henv's policy from its settings (`setting(key)`: the value, or nullopt
// when unset). Values that do not parse count as unset: PATCH refuses them,
// and one written by other means must not take the site down.
HenvHttpPolicy HttpPolicyFromSettings(const std::function<std::optional<std::string>(const std::string&)>& setting);

// PATCH /_api/config's check of one of the keys above that is not a plain
// integer (cors_origins, cors_methods, cors_headers, cors_credentials,
// security_headers): nullopt when `value` is acceptable, else what is wrong
// ("must be ..."); nullopt for keys it does not own.
std::optional<std::string> HttpSettingProblem(std::string_view key, const std::string& value);
// Whether `key` is one of the text settings HttpSettingProblem checks.
bool IsHttpTextSetting(std::string_view key);

// What the final answer's headers depend on, captured before the request
// is moved into a script (the answer may come later, on another thread).
struct ResponseFinish {
  bool https = false;                            // the client's scheme (behind a trusted proxy)
  std::string origin;                            // the request's Origin, if any
  std::shared_ptr<const HenvHttpPolicy> policy;  // the henv's, or null (apex, unknown host, henv not open)
  bool app_content = false;                      // the henv's router or documents answered: security_headers applies
  std::optional<HeaderList> rate_headers;        // RateLimit-* of the henv's own bucket, when it has one
};

// Completes an answer in one place, after whoever built it: HBF's security
// headers (X-Content-Type-Options: nosniff, Referrer-Policy:
// strict-origin-when-cross-origin, X-Frame-Options: SAMEORIGIN unless a
// Content-Security-Policy names frame-ancestors, Strict-Transport-Security
// when https), each only where the answer has no header of that name; the
// henv's CORS headers for an actual request; its RateLimit-* headers.
void FinishResponse(HttpResponse& response, const ResponseFinish& finish);

// The answer to a CORS preflight (OPTIONS with Origin and
// Access-Control-Request-Method) when the henv has CORS configured: 204,
// with the Access-Control-Allow-* headers for a listed origin and none for
// another (the browser then refuses; see README). Nullopt when the request
// is not a preflight or CORS is off for the henv: the router answers it.
std::optional<HttpResponse> CorsPreflight(const HttpRequest& request, const CorsPolicy& cors);

}  // namespace hbf

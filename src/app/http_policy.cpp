#include "app/http_policy.h"

#include <algorithm>
#include <cctype>

#include "http/security_headers.h"

namespace hbf {
namespace {

constexpr const char* kExposed = "RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The comma-separated items of `value`, trimmed; an empty item is kept (as
// empty) so that the checks can refuse it.
std::vector<std::string_view> Items(std::string_view value) {
  std::vector<std::string_view> out;
  for (;;) {
    size_t comma = value.find(',');
    out.push_back(Trim(value.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return out;
}

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsToken(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), IsTokenChar); }

// scheme "://" host [":" port], nothing else: what a browser sends as Origin.
bool IsOrigin(std::string_view s) {
  size_t sep = s.find("://");
  if (sep == std::string_view::npos || sep == 0) return false;
  std::string_view scheme = s.substr(0, sep);
  if (!std::isalpha(static_cast<unsigned char>(scheme.front()))) return false;
  for (char c : scheme) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.')) return false;
  }
  std::string_view rest = s.substr(sep + 3);
  std::string_view host;
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    for (char c : rest.substr(1, close - 1)) {
      if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.')) return false;
    }
    rest.remove_prefix(close + 1);
  } else {
    size_t colon = rest.find(':');
    host = rest.substr(0, colon);
    if (host.empty() || host.front() == '.' || host.front() == '-') return false;
    for (char c : host) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.')) return false;
    }
    rest.remove_prefix(host.size());
  }
  if (rest.empty()) return true;
  if (rest.front() != ':' || rest.size() < 2 || rest.size() > 6) return false;
  int port = 0;
  for (char c : rest.substr(1)) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    port = port * 10 + (c - '0');
  }
  return port <= 65535;
}

std::optional<std::string> OriginsProblem(const std::string& value) {
  if (Trim(value) == "*") return std::nullopt;
  for (std::string_view item : Items(value)) {
    if (item == "*") return "must be \"*\" alone or a comma-separated list of origins";
    if (!IsOrigin(item)) {
      return "must be \"*\" or a comma-separated list of origins such as https://app.example.com (scheme, host, "
             "optional port; no path): '" +
             std::string(item.substr(0, 100)) + "' is not one";
    }
  }
  return std::nullopt;
}

std::optional<std::string> TokensProblem(const std::string& value, const char* what) {
  for (std::string_view item : Items(value)) {
    if (!IsToken(item)) return std::string("must be a comma-separated list of ") + what;
  }
  return std::nullopt;
}

// The items joined as a header value ("GET, POST").
std::string Joined(const std::string& value) {
  std::string out;
  for (std::string_view item : Items(value)) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

void AddIfAbsent(HttpResponse& r, const char* name, std::string value) {
  if (r.header(name) == nullptr) r.headers.emplace_back(name, std::move(value));
}

// Vary: Origin, merged into a Vary the answer already has.
void AddVaryOrigin(HttpResponse& r) {
  for (auto& [name, value] : r.headers) {
    if (!EqualsIgnoreCase(name, "vary")) continue;
    for (std::string_view item : Items(value)) {
      if (item == "*" || EqualsIgnoreCase(item, "origin")) return;
    }
    value += value.empty() ? "Origin" : ", Origin";
    return;
  }
  r.headers.emplace_back("Vary", "Origin");
}

// The CORS headers of an actual (not preflight) answer.
void AddCorsHeaders(HttpResponse& r, const CorsPolicy& cors, const std::string& origin) {
  if (cors.any_origin) {
    if (origin.empty()) return;
    AddIfAbsent(r, "Access-Control-Allow-Origin", "*");
    AddIfAbsent(r, "Access-Control-Expose-Headers", kExposed);
    return;
  }
  // The answer differs by Origin: caches must keep them apart.
  AddVaryOrigin(r);
  if (origin.empty() || !cors.Allows(origin)) return;
  if (r.header("Access-Control-Allow-Origin") != nullptr) return;  // the router answered CORS itself
  r.headers.emplace_back("Access-Control-Allow-Origin", origin);
  if (cors.credentials) r.headers.emplace_back("Access-Control-Allow-Credentials", "true");
  AddIfAbsent(r, "Access-Control-Expose-Headers", kExposed);
}

}  // namespace

bool CorsPolicy::Allows(std::string_view origin) const {
  if (any_origin) return true;
  const std::string lower = Lower(Trim(origin));
  return std::find(origins.begin(), origins.end(), lower) != origins.end();
}

bool IsHttpTextSetting(std::string_view key) {
  return key == "cors_origins" || key == "cors_methods" || key == "cors_headers" || key == "cors_credentials" ||
         key == "security_headers";
}

std::optional<std::string> HttpSettingProblem(std::string_view key, const std::string& value) {
  if (key == "cors_origins") return OriginsProblem(value);
  if (key == "cors_methods") return TokensProblem(value, "methods such as GET, POST");
  if (key == "cors_headers") return TokensProblem(value, "header names such as Content-Type, Authorization");
  if (key == "cors_credentials") {
    if (value != "true" && value != "false") return "must be true or false";
  }
  if (key == "security_headers") {
    if (value != "on" && value != "off") return "must be on or off";
  }
  return std::nullopt;
}

HenvHttpPolicy HttpPolicyFromSettings(const std::function<std::optional<std::string>(const std::string&)>& setting) {
  HenvHttpPolicy p;
  auto integer = [&](const char* key) -> std::optional<int64_t> {
    auto text = setting(key);
    if (!text) return std::nullopt;
    return ParseSettingInt(*text);
  };
  if (auto rps = integer("rate_limit_rps"); rps && *rps > 0) {
    p.rate_rps = *rps;
    auto burst = integer("rate_limit_burst");
    p.rate_burst = burst && *burst > 0 ? *burst : 2 * *rps;
  }
  p.security_headers = setting("security_headers") != std::optional<std::string>("off");
  if (auto origins = setting("cors_origins"); origins && !OriginsProblem(*origins)) {
    if (Trim(*origins) == "*") {
      p.cors.any_origin = true;
    } else {
      for (std::string_view item : Items(*origins)) p.cors.origins.push_back(Lower(item));
    }
  }
  if (auto methods = setting("cors_methods"); methods && !HttpSettingProblem("cors_methods", *methods)) {
    p.cors.methods = Joined(*methods);
  }
  if (auto headers = setting("cors_headers"); headers && !HttpSettingProblem("cors_headers", *headers)) {
    p.cors.headers = Joined(*headers);
  }
  // "*" with credentials is refused by PATCH (and by browsers); should the
  // pair come about anyway, the origins stay open without credentials.
  p.cors.credentials = setting("cors_credentials") == std::optional<std::string>("true") && !p.cors.any_origin;
  if (auto max_age = integer("cors_max_age"); max_age && *max_age >= 0 && *max_age <= 86400) {
    p.cors.max_age = *max_age;
  }
  return p;
}

void FinishResponse(HttpResponse& r, const ResponseFinish& f) {
  const bool defaults = !(f.app_content && f.policy != nullptr && !f.policy->security_headers);
  if (defaults) AddDefaultSecurityHeaders(r, f.https);
  if (f.rate_headers) {
    for (const auto& [name, value] : *f.rate_headers) AddIfAbsent(r, name.c_str(), value);
  }
  if (f.policy != nullptr && f.policy->cors.enabled()) AddCorsHeaders(r, f.policy->cors, f.origin);
}

std::optional<HttpResponse> CorsPreflight(const HttpRequest& request, const CorsPolicy& cors) {
  if (request.method != "OPTIONS" || !cors.enabled()) return std::nullopt;
  const std::string* origin = request.header("origin");
  if (origin == nullptr || request.header("access-control-request-method") == nullptr) return std::nullopt;
  HttpResponse r;
  r.status = 204;
  if (cors.any_origin) {
    r.headers.emplace_back("Access-Control-Allow-Origin", "*");
  } else {
    r.headers.emplace_back("Vary", "Origin");
    // An origin not listed gets no grant: the browser refuses the request.
    if (!cors.Allows(*origin)) return r;
    r.headers.emplace_back("Access-Control-Allow-Origin", std::string(Trim(*origin)));
    if (cors.credentials) r.headers.emplace_back("Access-Control-Allow-Credentials", "true");
  }
  r.headers.emplace_back("Access-Control-Allow-Methods", cors.methods);
  r.headers.emplace_back("Access-Control-Allow-Headers", cors.headers);
  r.headers.emplace_back("Access-Control-Max-Age", std::to_string(cors.max_age));
  return r;
}

}  // namespace hbf

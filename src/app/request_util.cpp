#include "app/request_util.h"

#include <cctype>
#include <charconv>
#include <cstdlib>

#include "auth/authenticator.h"
#include "core/text.h"
#include "crypto/crypto.h"

namespace hbf {
namespace {

std::string_view MediaType(const std::string* content_type) {
  if (content_type == nullptr) return {};
  std::string_view v = *content_type;
  v = v.substr(0, v.find(';'));
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  return v;
}

}  // namespace

std::optional<int64_t> ParseInt(std::string_view text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

Result<std::optional<int64_t>> QueryInt(const Json& query, const char* name) {
  const Json* v = query.find(name);
  if (v == nullptr || !v->is_string() || v->as_string().empty()) return std::optional<int64_t>();
  auto parsed = ParseInt(v->as_string());
  if (!parsed) return InvalidField(name, "must be an integer");
  return parsed;
}

Error InvalidField(std::string_view field, std::string_view why) {
  return Error{"invalid_field", std::string(field) + ": " + std::string(why), 400};
}

std::optional<Json> ParseUrlEncoded(std::string_view text) {
  Json out = Json(Json::Object{});
  while (!text.empty()) {
    size_t amp = text.find('&');
    std::string_view pair = text.substr(0, amp);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      std::string key;
      std::string value;
      if (!PercentDecode(pair.substr(0, eq), key, true)) return std::nullopt;
      if (eq != std::string_view::npos && !PercentDecode(pair.substr(eq + 1), value, true)) return std::nullopt;
      out.set(std::move(key), Json(std::move(value)));
    }
    if (amp == std::string_view::npos) break;
    text.remove_prefix(amp + 1);
  }
  return out;
}

Result<Json> ParseObjectBody(const HttpRequest& request) {
  std::string_view type = MediaType(request.header("content-type"));
  if (request.body.empty()) return Json(Json::Object{});
  if (type.empty() || EqualsIgnoreCase(type, "application/json")) {
    auto parsed = Json::Parse(request.body);
    if (!parsed.ok()) return Error{"invalid_json", parsed.error().message, 400};
    if (!parsed->is_object()) return Error{"invalid_json", "the body must be a JSON object", 400};
    return parsed;
  }
  if (EqualsIgnoreCase(type, "application/x-www-form-urlencoded")) {
    // `curl -d '{...}'` labels JSON as a form; a real form key never starts
    // with '{', so treat such a body as the JSON it is.
    if (request.body.front() == '{') {
      if (auto parsed = Json::Parse(request.body); parsed.ok() && parsed->is_object()) return parsed;
    }
    auto form = ParseUrlEncoded(request.body);
    if (!form) return Error{"invalid_form", "malformed form body", 400};
    return *form;
  }
  return Error{"unsupported_media_type", "send application/json or application/x-www-form-urlencoded", 415};
}

Result<std::optional<std::string>> OptionalString(const Json& body, const char* field) {
  const Json* v = body.find(field);
  if (v == nullptr || v->is_null()) return std::optional<std::string>();
  if (!v->is_string()) return InvalidField(field, "must be a string");
  return std::optional<std::string>(v->as_string());
}

Result<std::string> RequiredString(const Json& body, const char* field) {
  auto v = OptionalString(body, field);
  if (!v.ok()) return v.error();
  if (!v->has_value() || (*v)->empty()) return InvalidField(field, "is required");
  return **v;
}

Result<Credentials> ParseCredentials(const HttpRequest& request) {
  auto body = ParseObjectBody(request);
  if (!body.ok()) return body.error();
  auto username = RequiredString(*body, "username");
  if (!username.ok()) return username.error();
  auto password = RequiredString(*body, "password");
  if (!password.ok()) return password.error();
  return Credentials{std::move(body).value(), std::move(username).value(), std::move(password).value()};
}

std::string SessionCookie(const std::string& token, int64_t max_age_seconds, bool secure) {
  // Over https the __Host- prefix: browsers accept it only from this very
  // host (Secure, Path=/, no Domain), so no sibling henv can plant one.
  std::string c = std::string(secure ? auth::kSecureSessionCookie : auth::kSessionCookie) + "=" + token +
                  "; Path=/; Max-Age=" + std::to_string(max_age_seconds) + "; HttpOnly; SameSite=Lax";
  if (secure) c += "; Secure";
  return c;
}

std::string ClearedSessionCookie(bool secure) { return SessionCookie("", 0, secure); }

std::optional<Error> CrossSiteRefusal(const HttpRequest& request, const RequestContext& ctx) {
  const std::string& m = request.method;
  if (m == "GET" || m == "HEAD" || m == "OPTIONS") return std::nullopt;
  auto credentials = auth::ExtractCredentials(request.header("authorization"), request.header("cookie"));
  if (credentials.bearer || credentials.cookies.empty()) return std::nullopt;  // not cookie-authenticated
  if (const std::string* origin = request.header("origin"); origin != nullptr) {
    if (IsOwnOrigin(*origin, ctx)) return std::nullopt;
    return Error{"csrf_rejected",
                 "a request with the session cookie must come from this site's own pages (Origin " +
                     std::string(TrimBlanks(*origin)).substr(0, 200) + " is another origin)",
                 403};
  }
  if (const std::string* site = request.header("sec-fetch-site"); site != nullptr) {
    if (EqualsIgnoreCase(TrimBlanks(*site), "same-origin")) return std::nullopt;
    return Error{"csrf_rejected", "a request with the session cookie must come from this site's own pages", 403};
  }
  return Error{"csrf_rejected",
               "a state-changing request with the session cookie needs an Origin header from this site "
               "(or use Authorization: Bearer)",
               403};
}

std::optional<std::string> SanitizeScriptCookie(std::string_view set_cookie) {
  size_t semi = set_cookie.find(';');
  std::string_view pair = set_cookie.substr(0, semi);
  size_t eq = pair.find('=');
  std::string_view name = TrimBlanks(pair.substr(0, eq));
  if (auth::IsSessionCookieName(name)) return std::nullopt;
  std::string out(TrimBlanks(pair));
  std::string_view rest = semi == std::string_view::npos ? std::string_view() : set_cookie.substr(semi + 1);
  while (!rest.empty()) {
    size_t next = rest.find(';');
    std::string_view attribute = TrimBlanks(rest.substr(0, next));
    rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 1);
    if (attribute.empty()) continue;
    std::string_view attribute_name = TrimBlanks(attribute.substr(0, attribute.find('=')));
    if (EqualsIgnoreCase(attribute_name, "domain")) continue;
    out += "; ";
    out += attribute;
  }
  return out;
}

std::string HenvUrl(const RequestContext& ctx, const std::string& hash, const std::string& base_domain) {
  std::string port;
  std::string_view host = ctx.host;
  if (auto colon = host.rfind(':'); colon != std::string_view::npos && host.find(']') == std::string_view::npos) {
    port = std::string(host.substr(colon));
  }
  return ctx.scheme + "://" + hash + "." + base_domain + port;
}

HttpResponse MethodNotAllowed(std::string_view allowed) {
  HttpResponse r = HttpResponse::ErrorBody(405, "method_not_allowed", "use " + std::string(allowed));
  r.set_header("Allow", std::string(allowed));
  return r;
}

Json DbValueToJson(const db::Value& v) {
  if (std::holds_alternative<int64_t>(v)) return Json(std::get<int64_t>(v));
  if (std::holds_alternative<double>(v)) return Json(std::get<double>(v));
  if (std::holds_alternative<std::string>(v)) return Json(std::get<std::string>(v));
  if (std::holds_alternative<db::Blob>(v)) {
    const auto& b = std::get<db::Blob>(v);
    return Json(crypto::Base64Encode(std::string_view(reinterpret_cast<const char*>(b.data()), b.size())));
  }
  return Json();
}

// A JSON member as the value to store: scalars as they are, booleans as
// 0/1, arrays and objects as their JSON text.
db::Value DbValueFromJson(const Json& j) {
  if (j.is_null()) return db::Null{};
  if (j.is_bool()) return int64_t{j.as_bool() ? 1 : 0};
  if (j.is_int()) return j.as_int();
  if (j.is_number()) return j.as_double();
  if (j.is_string()) return j.as_string();
  return j.dump();
}

bool AcceptsGzip(const std::string* accept_encoding) {
  if (accept_encoding == nullptr) return false;
  std::string_view v = *accept_encoding;
  while (!v.empty()) {
    size_t comma = v.find(',');
    std::string_view item = v.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    std::string_view coding = item.substr(0, item.find(';'));
    while (!coding.empty() && coding.back() == ' ') coding.remove_suffix(1);
    if (EqualsIgnoreCase(coding, "gzip") || coding == "*") {
      size_t q = item.find("q=");
      return q == std::string_view::npos || std::strtod(std::string(item.substr(q + 2)).c_str(), nullptr) > 0;
    }
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
  return false;
}

std::string PercentEncodeQueryValue(std::string_view text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

bool AcceptsHtml(const HttpRequest& request) {
  const std::string* accept = request.header("accept");
  return accept != nullptr && accept->find("text/html") != std::string::npos;
}

bool IsOwnOrigin(std::string_view origin, const RequestContext& ctx) {
  return EqualsIgnoreCase(TrimBlanks(origin), ctx.scheme + "://" + ctx.host);
}

auth::RequestCredentials CallerCredentials(const HttpRequest& request, const RequestContext& ctx,
                                           bool token_in_query) {
  const std::string* cookie = request.header("cookie");
  if (request.websocket_id != 0) {
    const std::string* origin = request.header("origin");
    if (origin != nullptr && !IsOwnOrigin(*origin, ctx)) cookie = nullptr;
  }
  auth::RequestCredentials credentials = auth::ExtractCredentials(request.header("authorization"), cookie);
  if (!credentials.bearer && token_in_query) {
    if (std::optional<Json> query = ParseUrlEncoded(request.query)) {
      if (const Json* token = query->find("token"); token != nullptr && token->is_string() && !token->as_string().empty()) {
        credentials.bearer = token->as_string();
      }
    }
  }
  return credentials;
}

HttpResponse SimplePage(int status, const std::string& title, const std::string& body_html) {
  HttpResponse r;
  r.status = status;
  r.set_header("Content-Type", "text/html; charset=utf-8");
  r.set_header("Cache-Control", "no-store");
  r.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
  r.body = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + HtmlEscape(title) +
           "</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;"
           "color:#333}</style></head>\n<body><h1>" +
           HtmlEscape(title) + "</h1><p>" + body_html + "</p></body></html>\n";
  return r;
}

}  // namespace hbf

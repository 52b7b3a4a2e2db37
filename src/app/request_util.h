// Helpers the app's handlers share: request bodies, field validation,
// cookies, and the shape of common errors.
//
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "auth/authenticator.h"
#include "auth/user_rules.h"
#include "core/json.h"
#include "core/result.h"
#include "db/database.h"
#include "http/host_routing.h"
#include "http/http_types.h"

namespace hbf {

// The body as a JSON object: application/json, or
// application/x-www-form-urlencoded (every value a string). 400 for a
// malformed body, 415 for another Content-Type. An empty body is {}.
Result<Json> ParseObjectBody(const HttpRequest& request);

// `application/x-www-form-urlencoded` (or a query string) to a JSON object
// of strings. Later duplicates win. Nullopt on a malformed escape.
std::optional<Json> ParseUrlEncoded(std::string_view text);

// A string member of `body`; nullopt if absent or null. Fails (400, naming
// the field) when present with another type.
Result<std::optional<std::string>> OptionalString(const Json& body, const char* field);
// As above, but absent or empty is a 400 naming the field.
Result<std::string> RequiredString(const Json& body, const char* field);

// A body with required "username" and "password" strings (login, signup,
// user creation); `body` keeps the rest of the fields.
struct Credentials {
  Json body;
  std::string username;
  std::string password;
};
Result<Credentials> ParseCredentials(const HttpRequest& request);

// A whole decimal int64, or nullopt (empty, trailing text, out of range).
std::optional<int64_t> ParseInt(std::string_view text);
// An integer query parameter: nullopt when absent or empty, 400
// "invalid_field" naming it when malformed.
Result<std::optional<int64_t>> QueryInt(const Json& query, const char* name);

// 400 with code "invalid_field" naming the field.
Error InvalidField(std::string_view field, std::string_view why);

// Validation rules: auth/user_rules.h (shared with hbf:auth).
using auth::IsPlausibleEmail;
using auth::IsValidHenvName;
using auth::IsValidUserName;
using auth::PasswordProblem;

// Set-Cookie values for the session cookie (host-only, HttpOnly; named
// __Host-hbf_session and Secure when `secure`).
std::string SessionCookie(const std::string& token, int64_t max_age_seconds, bool secure);
std::string ClearedSessionCookie(bool secure);

// Cross-site request forgery: a state-changing request (not GET, HEAD,
// OPTIONS) authenticated by the session cookie - no Bearer token - must come
// from the henv's own origin: `Origin` equal to {scheme}://{host}, or
// without Origin, `Sec-Fetch-Site: same-origin`. Sibling henvs share a site,
// so SameSite=Lax alone does not stop them. Nullopt when the request may
// proceed, else the 403 `csrf_rejected` error.
std::optional<Error> CrossSiteRefusal(const HttpRequest& request, const RequestContext& ctx);

// A script's Set-Cookie value made safe to send: nullopt when it names one
// of HBF's session cookies; otherwise without any Domain attribute (a henv
// sets cookies for its own host only, never for its siblings).
std::optional<std::string> SanitizeScriptCookie(std::string_view set_cookie);

// The URL of a henv as the client sees this server:
// {scheme}://{hash}.{base_domain}[:{port from the Host header}].
std::string HenvUrl(const RequestContext& ctx, const std::string& hash, const std::string& base_domain);

HttpResponse MethodNotAllowed(std::string_view allowed);

// A SQLite value as JSON (BLOBs as base64 text).
Json DbValueToJson(const db::Value& v);
// A JSON value to bind: scalars as they are, booleans as 0/1, arrays and
// objects as their JSON text.
db::Value DbValueFromJson(const Json& j);

// Whether an Accept-Encoding header allows gzip.
bool AcceptsGzip(const std::string* accept_encoding);
// `text` as a query value: unreserved characters and '/' as they are, the
// rest %XX.
std::string PercentEncodeQueryValue(std::string_view text);

// Whether the client asks for HTML (a browser's navigation or form post).
bool AcceptsHtml(const HttpRequest& request);
// Whether `origin` (an Origin header) is this site's own scheme://host.
bool IsOwnOrigin(std::string_view origin, const RequestContext& ctx);

// Who a request claims to be, for the henv's scripts and live subscriptions:
// `Authorization: Bearer`, the session cookies - dropped on a WebSocket
// upgrade from another origin (browsers send cookies with a socket opened by
// any page, and no CORS check follows) - and, when `token_in_query`, a
// `?token=` (EventSource and WebSocket cannot set headers) when no bearer
// header came.
auth::RequestCredentials CallerCredentials(const HttpRequest& request, const RequestContext& ctx,
                                           bool token_in_query);
// A small self-contained HTML page (no script, inline styles only, a strict
// CSP, not cached): `title` is escaped, `body_html` is trusted markup.
HttpResponse SimplePage(int status, const std::string& title, const std::string& body_html);

}  // namespace hbf

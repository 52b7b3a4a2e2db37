// The browser side of a henv's accounts: the login and signup pages and the
// form posts behind them, which work without JavaScript.
//
//   GET  /login?next=/path     the form; POST /login from it sets the session
//                              cookie and answers 303 to `next` (this henv only)
//   POST /logout               from a form: clears the session, 303 to /login
//   GET  /signup?next=         the form, while the henv's self_signup is on
//   POST /signup               creates a user (role "user"), logs in, 303
//
// A client that does not ask for HTML (no `text/html` in Accept) gets the JSON
// answers of the API instead (login's {token, user}, signup's 201). The app's
// own router may claim /login, /logout and /signup (Express apps do); these
// pages then stay reachable under /_hbf/login, /_hbf/logout, /_hbf/signup.
#include "app/app.h"
#include "app/request_util.h"
#include "auth/auth_store.h"
#include "core/text.h"

namespace hbf {
namespace {

// Where to go after logging in: a path on this same henv, never another site
// ("//evil", "/\evil" and schemes are refused; browsers read "\" as "/").
std::string SafeNext(std::string_view raw) {
  if (raw.empty() || raw.size() > 2048 || raw.front() != '/') return "/";
  if (raw.size() > 1 && (raw[1] == '/' || raw[1] == '\\')) return "/";
  for (char c : raw) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '\\') return "/";
  }
  return std::string(raw);
}

std::string NextFrom(const Json& fields) {
  const Json* next = fields.find("next");
  return SafeNext(next != nullptr && next->is_string() ? next->as_string() : std::string());
}

Json QueryFields(const HttpRequest& request) {
  auto q = ParseUrlEncoded(request.query);
  return q ? *q : Json(Json::Object{});
}

std::string FieldText(const Json& fields, const char* name) {
  const Json* v = fields.find(name);
  return v != nullptr && v->is_string() ? v->as_string() : std::string();
}

bool SelfSignupOpen(Henv& henv) {
  auto v = henv.WithDb([](db::Database& db) { return auth::GetConfig(db, "self_signup"); });
  return v.ok() && v->has_value() && **v == "true";
}

// The page around a form: no script, styles inline, posts only to itself.
HttpResponse Page(int status, const std::string& title, const std::string& main) {
  HttpResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "text/html; charset=utf-8");
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'self'; "
                         "base-uri 'none'");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "same-origin");
  r.body = R"html(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>)html" + HtmlEscape(title) +
           R"html(</title>
<style>
 body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}
 main{max-width:24rem;margin:4rem auto;padding:2rem;background:#fff;border-radius:10px;box-shadow:0 1px 4px #0002}
 h1{margin:0 0 1rem;font-size:1.4rem}
 label{display:block;margin-top:1rem;font-weight:600}
 input{width:100%;padding:.55rem;font:inherit;box-sizing:border-box;border:1px solid #b9bfca;border-radius:6px}
 input:focus{outline:2px solid #3b6fd8;outline-offset:1px}
 button{margin-top:1.5rem;width:100%;padding:.65rem;font:inherit;font-weight:600;color:#fff;background:#2f5fc4;
   border:0;border-radius:6px;cursor:pointer}
 button:hover{background:#244d9f} .err{margin:0 0 1rem;padding:.75rem;border-radius:6px;background:#fdecea;
   color:#8a1c12} p.alt{margin:1.25rem 0 0;font-size:.9rem;color:#555} small{color:#666}
</style></head>
<body><main>
)html" + main +
           "</main></body></html>\n";
  return r;
}

std::string ErrorBox(const std::string& message) {
  return message.empty() ? std::string()
                         : "<p class=\"err\" role=\"alert\" id=\"error\">" + HtmlEscape(message) + "</p>\n";
}

HttpResponse AccountLoginPage(int status, const std::string& action, const std::string& next, const std::string& username,
                       const std::string& error, bool signup_open, const std::string& signup_path) {
  std::string main = "<h1>Log in</h1>\n" + ErrorBox(error) + "<form method=\"post\" action=\"" + HtmlEscape(action) +
                     "\">\n"
                     "<input type=\"hidden\" name=\"next\" value=\"" +
                     HtmlEscape(next) +
                     "\">\n"
                     "<label for=\"username\">Username</label>\n"
                     "<input id=\"username\" name=\"username\" autocomplete=\"username\" required autofocus "
                     "autocapitalize=\"none\" spellcheck=\"false\" value=\"" +
                     HtmlEscape(username) +
                     "\"" + (error.empty() ? "" : " aria-describedby=\"error\"") +
                     ">\n"
                     "<label for=\"password\">Password</label>\n"
                     "<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" "
                     "required>\n"
                     "<button type=\"submit\">Log in</button>\n</form>\n";
  if (signup_open) {
    main += "<p class=\"alt\">No account yet? <a href=\"" + HtmlEscape(signup_path) + "?next=" +
            HtmlEscape(next) + "\">Sign up</a></p>\n";
  }
  return Page(status, "Log in", main);
}

HttpResponse AccountSignupPage(int status, const std::string& action, const std::string& next, const std::string& username,
                        const std::string& email, const std::string& error, const std::string& login_path) {
  std::string main = "<h1>Sign up</h1>\n" + ErrorBox(error) + "<form method=\"post\" action=\"" +
                     HtmlEscape(action) +
                     "\">\n"
                     "<input type=\"hidden\" name=\"next\" value=\"" +
                     HtmlEscape(next) +
                     "\">\n"
                     "<label for=\"username\">Username</label>\n"
                     "<input id=\"username\" name=\"username\" autocomplete=\"username\" required minlength=\"3\" "
                     "maxlength=\"63\" autocapitalize=\"none\" spellcheck=\"false\" value=\"" +
                     HtmlEscape(username) +
                     "\">\n<small>3&ndash;63 characters: a&ndash;z, 0&ndash;9, &ldquo;.&rdquo;, &ldquo;_&rdquo; "
                     "and &ldquo;-&rdquo;.</small>\n"
                     "<label for=\"email\">Email <small>(optional)</small></label>\n"
                     "<input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"email\" value=\"" +
                     HtmlEscape(email) +
                     "\">\n"
                     "<label for=\"password\">Password</label>\n"
                     "<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"new-password\" "
                     "required minlength=\"10\">\n<small>At least 10 characters.</small>\n"
                     "<button type=\"submit\">Create account</button>\n</form>\n"
                     "<p class=\"alt\">Have an account? <a href=\"" +
                     HtmlEscape(login_path) + "?next=" + HtmlEscape(next) + "\">Log in</a></p>\n";
  return Page(status, "Sign up", main);
}

HttpResponse SeeOther(const std::string& location) {
  HttpResponse r;
  r.status = 303;
  r.set_header("Location", location);
  r.set_header("Cache-Control", "no-store");
  return r;
}

// "login" for "/login" and "/_hbf/login"; "" for any other path.
std::string_view AuthPageName(std::string_view path) {
  if (path.rfind("/_hbf/", 0) == 0) path.remove_prefix(5);
  if (path == "/login" || path == "/logout" || path == "/signup") return path.substr(1);
  return {};
}

}  // namespace

bool App::IsAuthPagePath(std::string_view path) { return !AuthPageName(path).empty(); }

HttpResponse App::AuthPage(const HttpRequest& request, const RequestContext& ctx, Henv& henv) {
  const std::string_view name = AuthPageName(ctx.subpath);
  // Links and form actions stay under the prefix the page was asked by.
  const std::string prefix = ctx.subpath.rfind("/_hbf/", 0) == 0 ? "/_hbf" : "";
  const std::string& method = request.method;
  const bool browser = AcceptsHtml(request);
  const bool secure = ctx.scheme == "https";
  // A form posted from another site (login CSRF: a sibling henv logging the
  // visitor in as the attacker's account). Browsers send Origin with every
  // cross-site POST; a request without one is not a browser's form.
  const std::string* origin = request.header("origin");
  if (method == "POST" && origin != nullptr && !IsOwnOrigin(*origin, ctx)) {
    return HttpResponse::ErrorBody(403, "csrf_rejected", "this form must be posted from this site's own pages");
  }

  if (name == "login") {
    if (method == "GET" || method == "HEAD") {
      return AccountLoginPage(200, prefix + "/login", SafeNext(FieldText(QueryFields(request), "next")), "", "",
                       SelfSignupOpen(henv), prefix + "/signup");
    }
    if (method != "POST") return MethodNotAllowed("GET, HEAD, POST");
    if (!browser) return Login(request, ctx, henv);
    auto fields = ParseObjectBody(request);
    const Json form = fields.ok() ? *fields : Json(Json::Object{});
    const std::string next = NextFrom(form);
    const std::string username = FieldText(form, "username");
    const std::string password = FieldText(form, "password");
    auto page_error = [&](int status, const std::string& message) {
      return AccountLoginPage(status, prefix + "/login", next, username, message, SelfSignupOpen(henv), prefix + "/signup");
    };
    if (!fields.ok()) return page_error(400, fields.error().message);
    if (username.empty() || password.empty()) return page_error(400, "Enter your username and password.");
    int64_t retry_after = 0;
    auto session = StartSession(username, password, ctx, henv, retry_after);
    if (!session.ok()) {
      const Error& e = session.error();
      HttpResponse r = page_error(e.http_status, e.code == "invalid_credentials" ? "Wrong username or password."
                                                                                  : e.message);
      if (retry_after > 0) r.set_header("Retry-After", std::to_string(retry_after));
      return r;
    }
    HttpResponse r = SeeOther(next);
    r.set_header("Set-Cookie", SessionCookie(session->token, session->max_age, secure));
    r.log.user_id = std::to_string(session->user.id);
    return r;
  }

  if (name == "logout") {
    if (method != "POST") return MethodNotAllowed("POST");
    if (!browser) return Logout(request, ctx, henv);
    // From a form: whatever state the session is in, the browser ends up
    // logged out and on the login page.
    if (auto caller = RequireUser(request, henv); caller.ok()) {
      (void)henv.WithDb([&](db::Database& db) { return auth::DeleteSession(db, caller->token_hash); });
      NoteWrite(henv);
    }
    auto fields = ParseObjectBody(request);
    std::string next = fields.ok() ? FieldText(*fields, "next") : std::string();
    HttpResponse r = SeeOther(next.empty() ? prefix + "/login" : SafeNext(next));
    r.set_header("Set-Cookie", ClearedSessionCookie(secure));
    return r;
  }

  // signup
  if (method != "GET" && method != "HEAD" && method != "POST") return MethodNotAllowed("GET, HEAD, POST");
  if (!SelfSignupOpen(henv)) {
    const char* message = "this app does not allow signing up (its self_signup setting is off)";
    if (browser && method != "POST") return Page(404, "Sign up", "<h1>Sign up</h1>\n" + ErrorBox(message));
    return HttpResponse::ErrorBody(method == "POST" ? 403 : 404, "signup_disabled", message);
  }
  if (method != "POST") {
    return AccountSignupPage(200, prefix + "/signup", SafeNext(FieldText(QueryFields(request), "next")), "", "", "",
                      prefix + "/login");
  }
  auto fields = ParseObjectBody(request);
  const Json form = fields.ok() ? *fields : Json(Json::Object{});
  const std::string next = NextFrom(form);
  auto page_error = [&](int status, const std::string& message) {
    if (!browser) return HttpResponse::ErrorBody(status, status == 429 ? "too_many_attempts" : "invalid_field",
                                                 message);
    return AccountSignupPage(status, prefix + "/signup", next, FieldText(form, "username"), FieldText(form, "email"),
                      message, prefix + "/login");
  };
  if (!fields.ok()) return browser ? page_error(400, fields.error().message) : HttpResponse::FromError(fields.error());
  auto creds = ParseCredentials(request);
  if (!creds.ok()) return browser ? page_error(400, creds.error().message) : HttpResponse::FromError(creds.error());
  // Every signup counts against the client's address, as failed logins do:
  // an open signup is not a way to mint accounts in bulk.
  const std::string address_key = auth::LoginThrottle::Key("", "", ctx.client_ip);
  if (int64_t wait = address_throttle_.BeginAttempt(address_key); wait > 0) {
    HttpResponse r = page_error(429, "too many attempts; retry in " + std::to_string(wait) + " s");
    r.set_header("Retry-After", std::to_string(wait));
    return r;
  }
  auto user = CreateAccount(*creds, /*role_allowed=*/false, henv);
  if (!user.ok()) {
    return browser ? page_error(user.error().http_status, user.error().message) : HttpResponse::FromError(user.error());
  }
  auto session = IssueSession(*user, henv);
  if (!session.ok()) return HttpResponse::FromError(session.error());
  HttpResponse r = browser ? SeeOther(next)
                           : HttpResponse::JsonBody(201, Json::MakeObject({{"user", auth::UserToJson(*user)},
                                                                           {"token", session->token},
                                                                           {"expires_at", session->expires_at}}));
  r.set_header("Set-Cookie", SessionCookie(session->token, session->max_age, secure));
  r.set_header("Cache-Control", "no-store");
  r.log.user_id = std::to_string(user->id);
  return r;
}

}  // namespace hbf

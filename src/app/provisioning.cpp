// The apex site's signup: POST /new creates a henv with its owner, GET /new
// serves a small form that calls it.
#include "app/app.h"
#include "app/request_util.h"
#include "auth/auth_store.h"
#include "crypto/crypto.h"
#include "documents/document_store.h"
#include "documents/welcome_page.h"
#include "henv/henv_hash.h"

namespace hbf {

HttpResponse App::ProvisionHenv(const HttpRequest& request, const RequestContext& ctx) {
  // On the apex (one node) or, with --shard_mode, at the owner's
  // {hash}.{base_domain}/_hbf/new (the apex's 307 lands there).
  const bool at_owner = ctx.route.kind == SiteKind::kHenv;
  if (!config_.new_token.empty()) {
    auto token = auth::ExtractCredentials(request.header("authorization"), nullptr).bearer;
    // Browsers and `curl -L` do not carry Authorization across the 307 to
    // another host, so the owner also takes the token as a body field.
    if (!token && at_owner) {
      if (auto body = ParseObjectBody(request); body.ok()) {
        if (const Json* field = body->find("token"); field != nullptr && field->is_string()) token = field->as_string();
      }
    }
    if (!token || !crypto::ConstantTimeEquals(*token, config_.new_token)) {
      HttpResponse r = HttpResponse::ErrorBody(401, "unauthorized", "this server requires a signup token");
      r.set_header("WWW-Authenticate", "Bearer");
      return r;
    }
  }
  auto creds = ParseCredentials(request);
  if (!creds.ok()) return HttpResponse::FromError(creds.error());
  const Json* body = &creds->body;
  const std::string* username = &creds->username;
  const std::string* password = &creds->password;
  auto email = RequiredString(*body, "email");
  if (!email.ok()) return HttpResponse::FromError(email.error());

  if (!IsValidHenvName(*username)) {
    return HttpResponse::FromError(InvalidField("username", "must be 3-63 characters of a-z, 0-9 and '-'"));
  }
  if (auto problem = PasswordProblem(*password); !problem.empty()) {
    return HttpResponse::FromError(InvalidField("password", problem));
  }
  if (!IsPlausibleEmail(*email)) return HttpResponse::FromError(InvalidField("email", "is not an email address"));

  const std::string hash = HenvHash(*username);
  if (at_owner && hash != ctx.route.henv_hash) {
    return HttpResponse::ErrorBody(400, "wrong_host",
                                   "the app '" + *username + "' is created at " + hash + "." + config_.base_domain +
                                       ", not at this host");
  }
  // A cheap early answer for the common case; the atomic mkdir in Create()
  // is what decides races.
  if (henvs_.ExistsOnDisk(hash)) {
    auto existing = henvs_.Open(hash);
    if (existing.ok()) {
      auto name = (*existing)->WithDb([](db::Database& db) { return auth::GetConfig(db, "henv_name"); });
      if (name.ok() && name->has_value() && **name != *username) {
        return HttpResponse::ErrorBody(409, "hash_collision",
                                       "the name '" + *username + "' maps to a henv hash that is already taken; "
                                       "choose another name");
      }
    }
    return HttpResponse::ErrorBody(409, "username_taken", "the name '" + *username + "' is taken");
  }

  auto password_hash = crypto::HashPassword(*password);
  if (!password_hash) return HttpResponse::ErrorBody(503, "busy", "cannot hash the password right now; retry");

  auth::User owner;
  auto created = henvs_.Create(hash, [&](db::Database& db) -> Status {
    auto user = auth::CreateUser(db, *username, *password_hash, *email, auth::Role::kOwner);
    if (!user.ok()) return user.error();
    owner = *user;
    if (auto s = auth::SetConfig(db, "henv_name", *username); !s.ok()) return s;
    if (auto s = auth::SetConfig(db, "last_activity_ts", std::to_string(clocks_.unix_seconds())); !s.ok()) return s;
    auto key = auth::CurrentSigningKey(db);  // the henv's first signing key
    if (!key.ok()) return key.error();
    // A new henv is not empty: "/" explains what it is and how to use it.
    auto page = docs::PutDocument(db, "index.html", "text/html; charset=utf-8",
                                  docs::WelcomePage(*username, hash, HenvUrl(ctx, hash, config_.base_domain)));
    if (!page.ok()) return page.error();
    return Ok{};
  });
  if (!created.ok()) {
    if (created.error().code == "henv_exists") {
      return HttpResponse::ErrorBody(409, "username_taken", "the name '" + *username + "' is taken");
    }
    return HttpResponse::FromError(created.error());
  }

  if (at_owner && AcceptsHtml(request)) {
    // The sharded signup form (a plain form post, 307'd here from the
    // apex): on to the new app's login, then its admin.
    HttpResponse r;
    r.status = 303;
    r.set_header("Location", HenvUrl(ctx, hash, config_.base_domain) + "/_hbf/login?next=/_admin");
    r.set_header("Cache-Control", "no-store");
    r.log.henv = hash;
    return r;
  }
  Json admin = Json::MakeObject({{"username", owner.username}, {"email", owner.email}, {"role", "owner"}});
  HttpResponse r = HttpResponse::JsonBody(
      201, Json::MakeObject({{"url", HenvUrl(ctx, hash, config_.base_domain)}, {"user_hash", hash}, {"admin", admin}}));
  r.set_header("Location", HenvUrl(ctx, hash, config_.base_domain) + "/");
  r.log.henv = hash;
  return r;
}

HttpResponse App::SignupPage() const {
  // With --shard_mode the form is posted as a page (no script): the apex's
  // 307 then takes the browser, form and all, to the app's own node.
  if (config_.shard_mode) return ShardedSignupPage();
  HttpResponse r;
  r.headers.emplace_back("Content-Type", "text/html; charset=utf-8");
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'");
  r.body = R"html(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>HBF: create an app</title>
<style>
 body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#222}
 label{display:block;margin-top:1rem;font-weight:600} input{width:100%;padding:.5rem;font:inherit;box-sizing:border-box}
 button{margin-top:1.5rem;padding:.6rem 1.2rem;font:inherit;cursor:pointer}
 #result{margin-top:1.5rem;padding:1rem;border-radius:6px;display:none} .ok{background:#e8f6ec} .err{background:#fdecea}
 small{color:#666}
</style></head>
<body>
<h1>Create an app</h1>
<p>Each app (a <em>henv</em>) is one SQLite file with its own code, data and users.
You become its owner.</p>
<form id="f">
 <label for="username">App name</label>
 <input id="username" name="username" required minlength="3" maxlength="63" pattern="[a-z0-9-]+" autocomplete="username">
 <small>3&ndash;63 characters: a&ndash;z, 0&ndash;9 and "-". It is also your owner login.</small>
 <label for="email">Email</label>
 <input id="email" name="email" type="email" required autocomplete="email">
 <label for="password">Password</label>
 <input id="password" name="password" type="password" required minlength="10" autocomplete="new-password">
 <small>At least 10 characters.</small>
 <label for="token">Signup token <small>(only if this server requires one)</small></label>
 <input id="token" name="token" type="password" autocomplete="off">
 <button type="submit">Create</button>
</form>
<div id="result" role="status"></div>
<script>
document.getElementById('f').addEventListener('submit', async (e) => {
  e.preventDefault();
  const v = (id) => document.getElementById(id).value;
  const headers = {'Content-Type': 'application/json'};
  if (v('token')) headers['Authorization'] = 'Bearer ' + v('token');
  const out = document.getElementById('result');
  out.style.display = 'block';
  try {
    const res = await fetch('/new', {method: 'POST', headers,
      body: JSON.stringify({username: v('username'), email: v('email'), password: v('password')})});
    const body = await res.json();
    out.textContent = '';
    if (res.ok) {
      out.className = 'ok';
      const a = document.createElement('a');
      a.href = body.url + '/'; a.textContent = body.url;
      out.append('Created. Your app: ', a, ' (log in as ' + body.admin.username + ').');
    } else {
      out.className = 'err';
      out.textContent = (body.error && body.error.message) || ('Error ' + res.status);
    }
  } catch (err) { out.className = 'err'; out.textContent = String(err); }
});
</script>
</body></html>
)html";
  return r;
}

}  // namespace hbf

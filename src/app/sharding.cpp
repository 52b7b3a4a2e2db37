// Several nodes behind a proxy that hashes the Host (nginx `hash $host
// consistent`, see deploy/ and README "Run in production"): each henv lives
// on the node its host is routed to, so a new henv must be created there.
// With --shard_mode the apex does not create henvs: POST /new answers 307 to
// the henv's own host, /_hbf/new, which the proxy routes to the owner, whose
// ProvisionHenv creates it (307 keeps the method and the body: curl -L and
// browsers re-send the POST). Also the apex's TLS "ask" endpoint for Caddy's
// on-demand certificates (the apex, henv hosts, active custom domains).
#include <algorithm>
#include <cctype>

#include "app/app.h"
#include "app/request_util.h"
#include "domains/domain_router.h"
#include "henv/henv_hash.h"

namespace hbf {

HttpResponse App::ShardRedirect(const HttpRequest& request, const RequestContext& ctx) {
  // Only what picks the owner is checked here; the owner checks the rest
  // (and the signup token) and has the last word.
  auto body = ParseObjectBody(request);
  if (!body.ok()) return HttpResponse::FromError(body.error());
  auto username = RequiredString(*body, "username");
  if (!username.ok()) return HttpResponse::FromError(username.error());
  if (!IsValidHenvName(*username)) {
    return HttpResponse::FromError(InvalidField("username", "must be 3-63 characters of a-z, 0-9 and '-'"));
  }
  const std::string hash = HenvHash(*username);
  const std::string target = HenvUrl(ctx, hash, config_.base_domain) + "/_hbf/new";
  HttpResponse r = HttpResponse::JsonBody(
      307, Json::MakeObject({{"redirect", target}, {"user_hash", hash},
                             {"message", "repeat this request at its app's own host (curl -L does)"}}));
  r.set_header("Location", target);
  r.set_header("Cache-Control", "no-store");
  r.log.henv = hash;
  return r;
}

HttpResponse App::TlsAllowed(const HttpRequest& request) const {
  if (request.method != "GET" && request.method != "HEAD") return MethodNotAllowed("GET, HEAD");
  auto query = ParseUrlEncoded(request.query);
  if (!query) return HttpResponse::ErrorBody(400, "bad_request", "malformed query string");
  const Json* field = query->find("domain");
  if (field == nullptr || !field->is_string() || field->as_string().empty()) {
    return HttpResponse::FromError(InvalidField("domain", "is required (?domain=HOST)"));
  }
  std::string domain = field->as_string();
  std::transform(domain.begin(), domain.end(), domain.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!domain.empty() && domain.back() == '.') domain.pop_back();
  HttpResponse r;
  const std::string suffix = "." + config_.base_domain;
  if (domain == config_.base_domain) {
    r = HttpResponse::JsonBody(200, Json::MakeObject({{"domain", domain}, {"site", "apex"}}));
  } else if (domain.size() > suffix.size() && domain.compare(domain.size() - suffix.size(), suffix.size(), suffix) == 0 &&
             IsValidHenvHash(domain.substr(0, domain.size() - suffix.size())) &&
             henvs_.ExistsOnDisk(domain.substr(0, domain.size() - suffix.size()))) {
    r = HttpResponse::JsonBody(
        200, Json::MakeObject({{"domain", domain}, {"henv", domain.substr(0, domain.size() - suffix.size())}}));
  } else if (std::optional<domains::DomainRouter::Route> custom =
                 domains_ != nullptr ? domains_->Find(domain) : std::nullopt;
             custom && custom->active && henvs_.ExistsOnDisk(custom->henv)) {
    // An active custom domain (a pending one gets no certificate: it does
    // not route, and its token is fetched over plain http).
    r = HttpResponse::JsonBody(200, Json::MakeObject({{"domain", domain}, {"henv", custom->henv}, {"custom", true}}));
  } else {
    r = HttpResponse::ErrorBody(404, "not_found", "no app on this node is served at " + domain.substr(0, 253));
  }
  r.set_header("Cache-Control", "no-store");
  return r;
}

HttpResponse App::ShardedSignupPage() const {
  return SimplePage(200, "Create an app", R"html(Each app (a <em>henv</em>) is one SQLite file with its own code, data and users.
You become its owner.</p>
<form method="post" action="/new">
<p><label for="username">App name</label><br>
<input id="username" name="username" required minlength="3" maxlength="63" pattern="[a-z0-9-]+" autocomplete="username"><br>
<small>3&ndash;63 characters: a&ndash;z, 0&ndash;9 and "-". It is also your owner login.</small></p>
<p><label for="email">Email</label><br><input id="email" name="email" type="email" required autocomplete="email"></p>
<p><label for="password">Password</label><br>
<input id="password" name="password" type="password" required minlength="10" autocomplete="new-password"><br>
<small>At least 10 characters.</small></p>
<p><label for="token">Signup token <small>(only if this server requires one)</small></label><br>
<input id="token" name="token" type="password" autocomplete="off"></p>
<p><button type="submit">Create</button></p>
</form>
<p><small>You will be taken to your app's own address to log in.</small></p>)html");
}

}  // namespace hbf

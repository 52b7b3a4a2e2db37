// /_api/domains: a henv's owner claims custom domains for it (README
// "Custom domains"). POST {domain} claims one as pending, GET lists them
// (with each one's token and verification state), GET/DELETE
// /_api/domains/{domain} reads or gives one up (it stops routing before the
// DELETE answers). Owner only: a domain decides where visitors' cookies and
// credentials go. The index itself is domains/domain_store.h.
#include <cctype>

#include "app/app.h"
#include "app/request_util.h"
#include "core/log.h"
#include "crypto/crypto.h"
#include "domains/domain_router.h"

namespace hbf {
namespace {

Json RecordJson(const domains::DomainRecord& r) {
  Json j = Json::MakeObject({
      {"domain", r.domain},
      {"henv", r.henv},
      {"state", r.state},
      {"token", r.token},
      {"verify_url", "http://" + r.domain + std::string(domains::kWellKnownPrefix) + r.token},
      {"created_at", r.created_at},
      {"attempts", r.attempts},
  });
  if (r.active()) {
    j.set("verified_at", r.verified_at);
    j.set("verified_by", r.verified_by);
  } else {
    // 0: no further automatic check (given up); POST again to retry.
    j.set("next_attempt", r.next_attempt);
    j.set("last_error", r.last_error.empty() ? Json() : Json(r.last_error));
  }
  return j;
}

}  // namespace

HttpResponse App::DomainsApi(const HttpRequest& request, Henv& henv, std::string_view rest) {
  const std::string& method = request.method;
  const bool one = !rest.empty() && rest != "/";
  if (one ? (method != "GET" && method != "HEAD" && method != "DELETE")
          : (method != "GET" && method != "HEAD" && method != "POST")) {
    return MethodNotAllowed(one ? "GET, HEAD, DELETE" : "GET, HEAD, POST");
  }
  auto caller = RequireOwner(request, henv);
  if (!caller.ok()) return HttpResponse::FromError(caller.error());
  if (domains_ == nullptr) return HttpResponse::ErrorBody(501, "not_implemented", "custom domains are off on this server");
  const std::string& hash = henv.hash();

  if (!one && method == "POST") {
    auto body = ParseObjectBody(request);
    if (!body.ok()) return HttpResponse::FromError(body.error());
    auto given = RequiredString(*body, "domain");
    if (!given.ok()) return HttpResponse::FromError(given.error());
    auto domain = domains::NormalizeDomain(*given, config_.base_domain);
    if (!domain.ok()) return HttpResponse::FromError(domain.error());
    bool created = false;
    auto claimed = domains_->Claim(*domain, hash, crypto::RandomToken(18), created);
    if (!claimed.ok()) return HttpResponse::FromError(claimed.error());
    Audit(henv, *caller, created ? "domain.add" : "domain.retry", "domain:" + *domain,
          Json::MakeObject({{"state", claimed->state}}));
    Log(LogLevel::kInfo, "henv " + hash + ": custom domain " + *domain + (created ? " claimed" : " claimed again") +
                             " (" + claimed->state + ")");
    HttpResponse r = HttpResponse::JsonBody(created ? 201 : 200, RecordJson(*claimed));
    r.set_header("Cache-Control", "no-store");
    return r;
  }

  auto listed = domains_->List(hash);
  if (!listed.ok()) return HttpResponse::FromError(listed.error());
  if (!one) {
    Json::Array items;
    for (const domains::DomainRecord& d : *listed) items.push_back(RecordJson(d));
    HttpResponse r = HttpResponse::JsonBody(200, Json::MakeObject({{"domains", Json(std::move(items))},
                                                                   {"max", int64_t{domains::kMaxDomainsPerHenv}}}));
    r.set_header("Cache-Control", "no-store");
    return r;
  }

  // One domain: as given, case and a trailing dot aside.
  std::string name(rest.substr(1));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!name.empty() && name.back() == '.') name.pop_back();
  const domains::DomainRecord* found = nullptr;
  for (const domains::DomainRecord& d : *listed) {
    if (d.domain == name) found = &d;
  }
  if (found == nullptr) {
    return HttpResponse::ErrorBody(404, "domain_not_found", "this app has no custom domain " + name.substr(0, 253));
  }
  if (method != "DELETE") {
    HttpResponse r = HttpResponse::JsonBody(200, RecordJson(*found));
    r.set_header("Cache-Control", "no-store");
    return r;
  }
  auto removed = domains_->Remove(name, hash);
  if (!removed.ok()) return HttpResponse::FromError(removed.error());
  if (!*removed) return HttpResponse::ErrorBody(404, "domain_not_found", "this app has no custom domain " + name);
  Audit(henv, *caller, "domain.remove", "domain:" + name, Json::MakeObject({{"state", found->state}}));
  Log(LogLevel::kInfo, "henv " + hash + ": custom domain " + name + " removed");
  return HttpResponse::JsonBody(200, Json::MakeObject({{"removed", name}}));
}

}  // namespace hbf

// The custom-domain index: which henv each custom domain (a host outside
// {base_domain}) belongs to, and whether it routes yet. One small SQLite
// file per storage folder, {storage_dir}/.domains.db (WAL), shared by every
// hbf server and CLI on that folder. Its name starts with '.', so nothing
// that lists henvs ({hash}/index.db folders: sweep, backup --all, cluster
// plan) ever takes it for one. It is created by the first claim: a server
// whose henvs never claim a domain leaves no file behind.
//
// States (column `state`, text on disk, never renamed):
//   pending  claimed by a henv's owner; does not route. Its token is served
//            at http://{domain}/.well-known/hbf-domain/{token} so that the
//            verifier (domain_router.h) can see DNS points at HBF.
//   active   verified, or approved by the operator (`hbf domains approve`):
//            requests for it are served as {hash}.{base_domain} would be.
// A removed (DELETE, `hbf domains revoke`) domain has no row at all.
//
// One domain belongs to at most one henv server-wide: the PRIMARY KEY,
// checked inside BEGIN IMMEDIATE, so two servers or a server and the CLI
// racing for a domain get one winner and one 409 domain_taken.
//
// Thread safety: a DomainStore is one SQLite connection; one thread at a
// time (DomainRouter keeps one per thread that needs it). Several stores,
// in one process or many, may use the same file at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "db/database.h"

namespace hbf::domains {

inline constexpr const char* kStatePending = "pending";
inline constexpr const char* kStateActive = "active";
// A henv's owner may claim this many domains (pending or active) at most.
inline constexpr int kMaxDomainsPerHenv = 20;
// The verification path's prefix; the token follows.
inline constexpr std::string_view kWellKnownPrefix = "/.well-known/hbf-domain/";

struct DomainRecord {
  std::string domain;      // normalised (NormalizeDomain)
  std::string henv;        // the owning henv's hash
  std::string state;       // kStatePending or kStateActive
  std::string token;       // what http://{domain}/.well-known/hbf-domain/{token} must answer
  int64_t created_at = 0;  // unix seconds
  int64_t verified_at = 0;    // unix seconds it became active; 0 while pending
  int64_t attempts = 0;       // verification fetches that failed since the last claim
  int64_t next_attempt = 0;   // unix seconds of the next fetch; 0: none (active, or given up)
  std::string last_error;     // why the last fetch failed; "" when none has
  std::string verified_by;    // "dns" (fetched its token) or "operator" (approved)
  bool active() const { return state == kStateActive; }
};

// `input` lower-cased, a trailing dot dropped, checked: a DNS host name
// (labels of 1-63 [a-z0-9-], not starting or ending with '-', at least two
// labels, at most 253 characters), not an IP address, neither
// `base_domain` nor a name under it. Fails with 400 invalid_domain.
Result<std::string> NormalizeDomain(std::string_view input, std::string_view base_domain);

// {storage_dir}/.domains.db
std::string IndexPath(const std::string& storage_dir);

class DomainStore {
 public:
  // Opens the index of `storage_dir`, creating it when missing and
  // `create`; without `create` a missing index is 404 "no_index".
  static Result<DomainStore> Open(const std::string& storage_dir, bool create = true);
  // Whether the index file exists (a stat).
  static bool Exists(const std::string& storage_dir);

  // Claims `domain` for `henv` as pending with `token`, its first
  // verification due at `now`. Claimed already by this henv: a pending one
  // is scheduled afresh (attempts reset; the token kept), an active one is
  // returned unchanged; `created` says whether a row was added.
  // Errors: 409 domain_taken (another henv's), 409 too_many_domains.
  Result<DomainRecord> Claim(const std::string& domain, const std::string& henv, const std::string& token, int64_t now,
                             bool& created);
  // The domain's row, if any.
  Result<std::optional<DomainRecord>> Get(const std::string& domain);
  // Every row (henv empty) or one henv's, by domain.
  Result<std::vector<DomainRecord>> List(const std::string& henv = {});
  // Deletes the row; with `henv` only when it is that henv's. False when
  // there was none.
  Result<bool> Remove(const std::string& domain, const std::string& henv = {});
  // Makes the domain active (verified_by "operator" or "dns"). False when
  // there is no such row.
  Result<bool> Activate(const std::string& domain, int64_t now, const std::string& verified_by);
  // A failed verification of a still-pending domain with `token`: attempts
  // + 1, the error kept, the next fetch at `next_attempt` (0: give up).
  Status RecordFailure(const std::string& domain, const std::string& token, const std::string& error,
                       int64_t next_attempt);
  // Pending domains whose next fetch is due at `now`, oldest due first.
  Result<std::vector<DomainRecord>> Due(int64_t now, int limit);
  // SQLite's data_version: changes when another connection commits.
  Result<int64_t> DataVersion();

 private:
  explicit DomainStore(db::Database db) : db_(std::move(db)) {}
  db::Database db_;
};

}  // namespace hbf::domains

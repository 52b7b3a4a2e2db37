// Custom domains in a running server: what the request path consults, and
// the two background threads that keep it current.
//
//   Find()      the routing snapshot: an immutable map of every domain in
//               the index (domain_store.h) to its henv, state and token,
//               swapped whole. Read without a lock of ours (an atomic
//               shared_ptr load), and only for hosts that are neither the
//               apex nor {hash}.{base_domain}: the usual path never calls it.
//   refresher   a thread that reads PRAGMA data_version every
//               refresh_interval and reloads the snapshot when another
//               connection (the CLI, another server, this server's
//               verifier) committed: CLI changes route within a second.
//   verifier    a thread that fetches each due pending domain's token URL
//               (token_fetch.h) and activates it when the body is its token;
//               on failure the next try is backoff_base * 2^(attempts-1)
//               later (at most backoff_cap), and none once give_up_after has
//               passed since the claim (the owner POSTs again to retry).
//   Claim/List/Remove/Approve  the API's and tests' changes, made through a
//               connection of their own (under api_mu_), then the snapshot
//               is reloaded before they return: a DELETE stops routing at
//               once.
//
// Thread safety: all public members may be called from any thread. The
// snapshot is replaced, never changed. The destructor stops and joins both
// threads (at most one fetch's timeout).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "domains/domain_store.h"
#include "domains/token_fetch.h"

namespace hbf::domains {

class DomainRouter {
 public:
  struct Options {
    std::string storage_dir;
    std::chrono::milliseconds refresh_interval{250};  // how stale the snapshot may be after a CLI change
    bool start_threads = true;                        // false: no refresher nor verifier (unit tests)
    FetchOptions fetch;                               // --domain_verify_connect and the timeouts
    int64_t backoff_base_s = 10;
    int64_t backoff_cap_s = 3600;
    int64_t give_up_after_s = 3 * 24 * 3600;  // since the claim
    std::function<int64_t()> now_unix;        // wall clock, unix seconds (injected for tests)
    // Told (on the verifier thread) when a domain became active by its
    // token: the server writes the henv's audit entry.
    std::function<void(const DomainRecord&)> on_verified;
  };

  struct Route {
    std::string henv;
    std::string token;
    bool active = false;
  };

  // Loads the first snapshot when the index exists (else the first claim
  // creates it) and starts the threads; fails when an existing index
  // cannot be opened.
  static Result<std::unique_ptr<DomainRouter>> Start(Options options);
  ~DomainRouter();
  DomainRouter(const DomainRouter&) = delete;
  DomainRouter& operator=(const DomainRouter&) = delete;

  // The domain's route as of the last reload (`hostname` normalised, as
  // RouteHost leaves it). Lock-free for the caller.
  std::optional<Route> Find(const std::string& hostname) const;

  Result<DomainRecord> Claim(const std::string& domain, const std::string& henv, const std::string& token,
                             bool& created);
  Result<std::vector<DomainRecord>> List(const std::string& henv);
  Result<bool> Remove(const std::string& domain, const std::string& henv);
  // One verification pass now, on the calling thread (tests; the verifier
  // runs the same).
  void VerifyDueNow();

 private:
  using Map = std::map<std::string, Route, std::less<>>;
  explicit DomainRouter(Options options);
  // api_store_, opened on first use (created only when `create`); null
  // when there is no index yet and !create. REQUIRES: api_mu_ held.
  Result<DomainStore*> ApiStore(bool create);
  // Rebuilds the snapshot from `store` (the caller holds the lock that
  // guards `store`), under reload_mu_: snapshots are published in the order
  // they were read, so an older read never replaces a newer one.
  void Reload(DomainStore& store);
  void RefreshLoop();
  void VerifyLoop();
  void VerifyOne(DomainStore& store, const DomainRecord& record);
  int64_t Now() const { return options_.now_unix(); }

  const Options options_;  // constant after construction
  std::atomic<std::shared_ptr<const Map>> snapshot_;
  std::mutex reload_mu_;  // taken after api_mu_, never before it
  std::mutex api_mu_;
  std::optional<DomainStore> api_store_;  // guarded by api_mu_ (Claim/List/Remove, and the verifier's writes)

  std::mutex wake_mu_;
  std::condition_variable wake_;
  bool stopping_ = false;      // guarded by wake_mu_
  bool verify_pending_ = false;  // guarded by wake_mu_: a claim asked for a pass now
  std::optional<DomainStore> refresh_store_;  // the refresher thread's own connection, once the index exists
  std::thread refresher_;
  std::thread verifier_;
};

}  // namespace hbf::domains

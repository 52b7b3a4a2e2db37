#include "domains/domain_router.h"

#include <algorithm>

#include "core/log.h"
#include "core/thread_name.h"

namespace hbf::domains {
namespace {

// Whitespace around the body is allowed (a file served with a newline).
std::string_view Trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<std::unique_ptr<DomainRouter>> DomainRouter::Start(Options options) {
  if (!options.now_unix) {
    options.now_unix = [] {
      return static_cast<int64_t>(
          std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    };
  }
  // The constructor is private (Start is the only way to a running router),
  // hence no make_unique.
  std::unique_ptr<DomainRouter> router(new DomainRouter(std::move(options)));
  {
    std::lock_guard lock(router->api_mu_);
    auto store = router->ApiStore(false);
    if (!store.ok()) return store.error();
    if (*store != nullptr) router->Reload(**store);
  }
  if (router->options_.start_threads) {
    router->refresher_ = std::thread([r = router.get()] { r->RefreshLoop(); });
    NameThread(router->refresher_, "hbf-domains");
    router->verifier_ = std::thread([r = router.get()] { r->VerifyLoop(); });
    NameThread(router->verifier_, "hbf-dns-verify");
  }
  return Result<std::unique_ptr<DomainRouter>>(std::move(router));
}

DomainRouter::DomainRouter(Options options)
    : options_(std::move(options)), snapshot_(std::make_shared<const Map>()) {}

Result<DomainStore*> DomainRouter::ApiStore(bool create) {
  if (api_store_) return &*api_store_;
  if (!create && !DomainStore::Exists(options_.storage_dir)) return static_cast<DomainStore*>(nullptr);
  auto opened = DomainStore::Open(options_.storage_dir, create);
  if (!opened.ok()) return opened.error();
  api_store_.emplace(std::move(*opened));
  return &*api_store_;
}

DomainRouter::~DomainRouter() {
  {
    std::lock_guard lock(wake_mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (refresher_.joinable()) refresher_.join();
  if (verifier_.joinable()) verifier_.join();
}

std::optional<DomainRouter::Route> DomainRouter::Find(const std::string& hostname) const {
  std::shared_ptr<const Map> map = snapshot_.load(std::memory_order_acquire);
  auto it = map->find(hostname);
  if (it == map->end()) return std::nullopt;
  return it->second;
}

void DomainRouter::Reload(DomainStore& store) {
  std::lock_guard lock(reload_mu_);
  auto rows = store.List();
  if (!rows.ok()) {
    // The last snapshot keeps routing; the next change or tick tries again.
    Log(LogLevel::kWarn, "custom domains: cannot read the index: " + rows.error().message);
    return;
  }
  auto map = std::make_shared<Map>();
  for (DomainRecord& r : *rows) map->emplace(std::move(r.domain), Route{std::move(r.henv), std::move(r.token), r.state == kStateActive});
  snapshot_.store(std::shared_ptr<const Map>(std::move(map)), std::memory_order_release);
}

Result<DomainRecord> DomainRouter::Claim(const std::string& domain, const std::string& henv, const std::string& token,
                                         bool& created) {
  std::unique_lock api(api_mu_);
  auto store = ApiStore(true);
  if (!store.ok()) return store.error();
  Result<DomainRecord> claimed = (*store)->Claim(domain, henv, token, Now(), created);
  if (!claimed.ok()) return claimed;
  Reload(**store);
  api.unlock();
  if (!claimed->active()) {
    std::lock_guard lock(wake_mu_);
    verify_pending_ = true;
  }
  wake_.notify_all();
  return claimed;
}

Result<std::vector<DomainRecord>> DomainRouter::List(const std::string& henv) {
  std::lock_guard lock(api_mu_);
  auto store = ApiStore(false);
  if (!store.ok()) return store.error();
  if (*store == nullptr) return std::vector<DomainRecord>{};
  return (*store)->List(henv);
}

Result<bool> DomainRouter::Remove(const std::string& domain, const std::string& henv) {
  std::lock_guard lock(api_mu_);
  auto store = ApiStore(false);
  if (!store.ok()) return store.error();
  if (*store == nullptr) return false;
  auto removed = (*store)->Remove(domain, henv);
  if (removed.ok() && *removed) Reload(**store);
  return removed;
}

void DomainRouter::RefreshLoop() {
  int64_t seen = -1;
  std::unique_lock lock(wake_mu_);
  while (!stopping_) {
    lock.unlock();
    // No index yet: a stat a tick until some server or the CLI creates it.
    if (!refresh_store_ && DomainStore::Exists(options_.storage_dir)) {
      if (auto opened = DomainStore::Open(options_.storage_dir, false); opened.ok()) refresh_store_.emplace(std::move(*opened));
    }
    // data_version moves whenever another connection commits to the file.
    if (refresh_store_) {
      if (auto version = refresh_store_->DataVersion(); version.ok() && *version != seen) {
        seen = *version;
        Reload(*refresh_store_);
      }
    }
    lock.lock();
    wake_.wait_for(lock, options_.refresh_interval, [this] { return stopping_; });
  }
}

void DomainRouter::VerifyLoop() {
  std::unique_lock lock(wake_mu_);
  while (!stopping_) {
    verify_pending_ = false;
    lock.unlock();
    VerifyDueNow();
    lock.lock();
    // Due times are in whole seconds; claims (this server's) wake it early.
    wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_ || verify_pending_; });
  }
}

void DomainRouter::VerifyDueNow() {
  Result<std::vector<DomainRecord>> due = std::vector<DomainRecord>{};
  DomainStore* store = nullptr;
  {
    std::lock_guard lock(api_mu_);
    auto opened = ApiStore(false);
    if (!opened.ok()) {
      due = opened.error();
    } else if (*opened != nullptr) {
      store = *opened;
      due = store->Due(Now(), 16);
    }
  }
  if (!due.ok()) {
    Log(LogLevel::kWarn, "custom domains: cannot read the index: " + due.error().message);
    return;
  }
  for (const DomainRecord& record : *due) {
    {
      std::lock_guard lock(wake_mu_);
      if (stopping_) return;
    }
    VerifyOne(*store, record);  // api_store_: opened once, never closed before the destructor
  }
}

void DomainRouter::VerifyOne(DomainStore& store, const DomainRecord& record) {
  // The fetch holds no lock: it may take the whole timeout.
  const std::string path = std::string(kWellKnownPrefix) + record.token;
  Result<std::string> body = FetchBody(record.domain, path, options_.fetch);
  std::string error;
  if (!body.ok()) {
    error = body.error().message;
  } else if (Trimmed(*body) != record.token) {
    error = "http://" + record.domain + path + " did not answer this claim's token (does DNS point at this server?)";
  }
  std::unique_lock lock(api_mu_);
  if (error.empty()) {
    // Still the same claim? A row deleted and claimed again has a new token.
    auto now_row = store.Get(record.domain);
    if (!now_row.ok() || !*now_row || (*now_row)->token != record.token || (*now_row)->active()) return;
    if (auto done = store.Activate(record.domain, Now(), "dns"); !done.ok()) {
      Log(LogLevel::kWarn, "custom domains: cannot activate " + record.domain + ": " + done.error().message);
      return;
    }
    Reload(store);
    lock.unlock();
    Log(LogLevel::kInfo, "custom domain " + record.domain + " verified for henv " + record.henv + "; now routing");
    if (options_.on_verified) {
      DomainRecord verified = **now_row;
      verified.state = kStateActive;
      verified.verified_by = "dns";
      options_.on_verified(verified);
    }
    return;
  }
  const int64_t now = Now();
  const int64_t shift = std::min<int64_t>(record.attempts, 20);
  int64_t next = now + std::min(options_.backoff_cap_s, options_.backoff_base_s << shift);
  if (now - record.created_at >= options_.give_up_after_s) next = 0;  // the owner re-POSTs to try again
  if (Status s = store.RecordFailure(record.domain, record.token, error, next); !s.ok()) {
    Log(LogLevel::kWarn, "custom domains: cannot record a failed check of " + record.domain + ": " + s.error().message);
  }
  Log(LogLevel::kInfo, "custom domain " + record.domain + " not verified yet (" + error + ")" +
                           (next == 0 ? "; giving up" : "; next try in " + std::to_string(next - now) + " s"));
}

}  // namespace hbf::domains

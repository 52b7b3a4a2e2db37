#include "auth/login_throttle.h"

#include <algorithm>
#include <cctype>

namespace hbf::auth {

LoginThrottle::LoginThrottle(Options options, std::function<Clock::time_point()> now)
    : options_(options), now_(std::move(now)) {}

std::string LoginThrottle::Key(const std::string& henv, const std::string& username, const std::string& ip) {
  std::string lower = username;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return henv + '\n' + lower + '\n' + ip;
}

int64_t LoginThrottle::RetryAfterSeconds(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = states_.find(key);
  if (it == states_.end()) return 0;
  auto now = now_();
  if (it->second.locked_until <= now) return 0;
  auto wait = std::chrono::duration_cast<std::chrono::seconds>(it->second.locked_until - now).count();
  return std::max<int64_t>(1, wait + 1);
}

int64_t LoginThrottle::BeginAttempt(const std::string& key) {
  std::lock_guard lock(mu_);
  if (auto it = states_.find(key); it != states_.end()) {
    auto now = now_();
    if (it->second.locked_until > now) {
      auto wait = std::chrono::duration_cast<std::chrono::seconds>(it->second.locked_until - now).count();
      return std::max<int64_t>(1, wait + 1);
    }
  }
  RecordFailureLocked(key);
  return 0;
}

void LoginThrottle::Forgive(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = states_.find(key);
  if (it == states_.end()) return;
  if (--it->second.failures <= 0) {
    states_.erase(it);
  } else if (it->second.failures < options_.free_failures) {
    it->second.locked_until = {};
  }
}

void LoginThrottle::RecordFailure(const std::string& key) {
  std::lock_guard lock(mu_);
  RecordFailureLocked(key);
}

void LoginThrottle::RecordFailureLocked(const std::string& key) {
  auto now = now_();
  if (states_.size() >= options_.max_keys && states_.find(key) == states_.end()) PruneLocked(now);
  State& s = states_[key];
  if (s.failures == 0 || now - s.first_failure > options_.window) {
    s = State{0, now, {}};
  }
  ++s.failures;
  int over = s.failures - options_.free_failures;
  if (over >= 0) {
    auto lockout = options_.base_lockout * (int64_t{1} << std::min(over, 10));
    s.locked_until = now + std::min<std::chrono::seconds>(lockout, options_.max_lockout);
  }
}

void LoginThrottle::RecordSuccess(const std::string& key) {
  std::lock_guard lock(mu_);
  states_.erase(key);
}

void LoginThrottle::PruneLocked(Clock::time_point now) {
  // Forget entries whose window and lockout have both passed; if that frees
  // nothing, forget the oldest half (an attacker spraying keys gains little:
  // each forgotten key only regains its free attempts).
  for (auto it = states_.begin(); it != states_.end();) {
    bool stale = now - it->second.first_failure > options_.window && it->second.locked_until <= now;
    it = stale ? states_.erase(it) : std::next(it);
  }
  if (states_.size() < options_.max_keys) return;
  std::vector<std::pair<Clock::time_point, std::string>> by_age;
  by_age.reserve(states_.size());
  for (const auto& [k, s] : states_) by_age.emplace_back(s.first_failure, k);
  std::sort(by_age.begin(), by_age.end());
  for (size_t i = 0; i < by_age.size() / 2; ++i) states_.erase(by_age[i].second);
}

}  // namespace hbf::auth

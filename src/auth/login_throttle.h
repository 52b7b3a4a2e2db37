// Throttling of failed logins, per key (the app keeps one key per account
// and one per client address).
//
// An attempt counts as a failure from the moment it starts (BeginAttempt),
// so attempts in flight - 30 parallel guesses - are refused before any
// password is hashed; a success then clears (account) or forgives
// (address) it.
//
// After `free_failures` failures within `window`, further attempts for that
// key are refused until a lockout expires; each failure past the allowance
// doubles the lockout (from `base_lockout`, capped at `max_lockout`). A
// success clears the key. State is in memory, bounded to `max_keys` entries
// (the oldest are forgotten first), and lost on restart.
//
// Thread safety: all methods are safe to call concurrently.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

namespace hbf::auth {

class LoginThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    int free_failures = 5;
    std::chrono::seconds window{15 * 60};
    std::chrono::seconds base_lockout{30};
    std::chrono::seconds max_lockout{15 * 60};
    size_t max_keys = 100000;
  };

  explicit LoginThrottle(Options options, std::function<Clock::time_point()> now = [] { return Clock::now(); });
  LoginThrottle() : LoginThrottle(Options{}) {}

  // Seconds the caller must wait before trying again, or 0 if allowed.
  int64_t RetryAfterSeconds(const std::string& key);
  // Atomically: the wait when locked, else 0 and the attempt counted as a
  // failure until RecordSuccess or Forgive says otherwise.
  int64_t BeginAttempt(const std::string& key);
  void RecordFailure(const std::string& key);
  // Clears the key.
  void RecordSuccess(const std::string& key);
  // Takes back one failure (an attempt BeginAttempt counted that succeeded).
  void Forgive(const std::string& key);

  static std::string Key(const std::string& henv, const std::string& username, const std::string& ip);

 private:
  struct State {
    int failures = 0;
    Clock::time_point first_failure;
    Clock::time_point locked_until;
  };
  void PruneLocked(Clock::time_point now);
  void RecordFailureLocked(const std::string& key);

  const Options options_;
  const std::function<Clock::time_point()> now_;
  std::mutex mu_;
  std::unordered_map<std::string, State> states_;  // guarded by mu_
};

}  // namespace hbf::auth

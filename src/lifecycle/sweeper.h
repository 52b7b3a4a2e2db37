// The server's own sweep: a thread that runs Sweep() a minute after start
// and then every `sweep_interval` (a day), and hands the outbox to the
// relay every `delivery_interval` (a minute) when --smtp_url is set.
//
// Thread safety: constructed and destroyed on the main thread; the work
// runs on its own thread, which touches the storage folder and the outbox
// file only. The destructor stops and joins it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "lifecycle/smtp_client.h"
#include "lifecycle/sweep.h"

namespace hbf::lifecycle {

class Sweeper {
 public:
  struct Options {
    SweepOptions sweep;              // now_unix and dry_run are ignored
    std::optional<SmtpTarget> smtp;  // none: mail stays in the outbox
    std::function<int64_t()> now_unix;
    std::chrono::seconds first_sweep{60};
    std::chrono::seconds sweep_interval{86400};
    std::chrono::seconds delivery_interval{60};
  };

  explicit Sweeper(Options options);
  ~Sweeper();
  Sweeper(const Sweeper&) = delete;
  Sweeper& operator=(const Sweeper&) = delete;

 private:
  void Loop();
  void RunSweep();
  void RunDelivery();

  const Options options_;  // constant after construction
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace hbf::lifecycle

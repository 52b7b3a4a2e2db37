#include "lifecycle/sweeper.h"

#include <filesystem>

#include "core/log.h"
#include "core/thread_name.h"

namespace hbf::lifecycle {

Sweeper::Sweeper(Options options) : options_(std::move(options)) {
  thread_ = std::thread([this] { Loop(); });
  NameThread(thread_, "hbf-sweeper");
}

Sweeper::~Sweeper() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Sweeper::Loop() {
  using Clock = std::chrono::steady_clock;
  auto next_sweep = Clock::now() + options_.first_sweep;
  auto next_delivery = Clock::now() + options_.delivery_interval;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const auto until = options_.smtp ? std::min(next_sweep, next_delivery) : next_sweep;
    if (wake_.wait_until(lock, until, [this] { return stopping_; })) break;
    lock.unlock();
    const auto now = Clock::now();
    if (now >= next_sweep) {
      RunSweep();
      next_sweep = now + options_.sweep_interval;
    }
    if (options_.smtp && now >= next_delivery) {
      RunDelivery();
      next_delivery = now + options_.delivery_interval;
    }
    lock.lock();
  }
}

void Sweeper::RunSweep() {
  SweepOptions look = options_.sweep;
  look.dry_run = true;
  look.now_unix = options_.now_unix();
  look.on_trashed = nullptr;
  // A storage folder with nothing to do gets no outbox file.
  if (auto planned = Sweep(look, nullptr); planned.ok() && planned->empty()) return;
  auto outbox = Outbox::Open(options_.sweep.storage_dir);
  if (!outbox.ok()) {
    Log(LogLevel::kError, "sweep: cannot open the outbox: " + outbox.error().message);
    return;
  }
  SweepOptions sweep = options_.sweep;
  sweep.dry_run = false;
  sweep.now_unix = options_.now_unix();
  auto actions = Sweep(sweep, &*outbox);
  if (!actions.ok()) {
    Log(LogLevel::kError, "sweep failed: " + actions.error().message);
    return;
  }
  Log(LogLevel::kInfo, "sweep done: " + std::to_string(actions->size()) + " action(s)");
  if (options_.smtp) RunDelivery();
}

void Sweeper::RunDelivery() {
  if (!std::filesystem::exists(OutboxPath(options_.sweep.storage_dir))) return;  // nothing was ever queued
  auto outbox = Outbox::Open(options_.sweep.storage_dir);
  if (!outbox.ok()) return;
  const SmtpTarget target = *options_.smtp;
  auto report = outbox->Deliver(options_.now_unix(), [&](const MailMessage& m) { return SendMail(target, m); });
  if (!report.ok()) Log(LogLevel::kError, "outbox: " + report.error().message);
}

}  // namespace hbf::lifecycle

#include "main_lifecycle.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>

#include "core/log.h"
#include "crypto/crypto.h"
#include "henv/henv_hash.h"
#include "lifecycle/backup_all.h"
#include "lifecycle/files.h"
#include "lifecycle/snapshot.h"
#include "lifecycle/sweep.h"

namespace hbf {
namespace {

int Fail(const Error& e) {
  std::fprintf(stderr, "hbf: %s (%s)\n", e.message.c_str(), e.code.c_str());
  return 1;
}

int64_t UnixMillis() {
  return static_cast<int64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

std::string DatabasePath(const Config& config, const std::string& hash) {
  return config.storage_dir + "/" + hash + "/index.db";
}

int Backup(const Invocation& inv) {
  if (!IsValidHenvHash(inv.henv)) return Fail(Error::BadRequest("not a henv hash: " + inv.henv));
  if (auto s = lifecycle::WriteSnapshot(DatabasePath(inv.config, inv.henv), inv.henv, inv.to); !s.ok()) {
    return Fail(s.error());
  }
  std::printf("backed up %s to %s\n", inv.henv.c_str(), inv.to.c_str());
  return 0;
}

int BackupAll(const Invocation& inv) {
  lifecycle::BackupAllOptions options;
  options.storage_dir = inv.config.storage_dir;
  options.to = inv.to;
  options.keep = inv.keep;
  options.now_ms = UnixMillis;
  auto report = lifecycle::BackupAll(options);
  if (!report.ok()) return Fail(report.error());
  for (const auto& path : report->written) std::printf("wrote %s\n", path.c_str());
  for (const auto& path : report->pruned) std::printf("pruned %s\n", path.c_str());
  for (const auto& [hash, why] : report->failed) std::fprintf(stderr, "hbf: %s: %s\n", hash.c_str(), why.c_str());
  return report->failed.empty() ? 0 : 1;
}

lifecycle::PlaceOptions PlaceFor(const Invocation& inv) {
  lifecycle::PlaceOptions options;
  options.storage_dir = inv.config.storage_dir;
  options.hash = inv.henv;
  options.check.max_bytes = int64_t{inv.config.henv_max_storage_mb} << 20;
  return options;
}

int Restore(const Invocation& inv) {
  lifecycle::PlaceOptions options = PlaceFor(inv);
  options.replace = true;
  options.create = true;  // disaster recovery: the henv's folder may be gone
  options.stamp_activity_at = UnixMillis() / 1000;
  auto info = lifecycle::PlaceSnapshot(inv.file, options);
  if (!info.ok()) return Fail(info.error());
  std::printf("restored %s from %s (schema v%d)\n", info->henv_hash.c_str(), inv.file.c_str(), info->schema_version);
  return 0;
}

int Export(const Invocation& inv) {
  if (!IsValidHenvHash(inv.henv)) return Fail(Error::BadRequest("not a henv hash: " + inv.henv));
  if (::isatty(STDOUT_FILENO)) {
    return Fail(Error::BadRequest("the snapshot is binary: redirect stdout to a file (hbf henv export HASH > FILE)"));
  }
  auto scratch_path = lifecycle::MakeScratchFile(inv.config.storage_dir);
  if (!scratch_path.ok()) return Fail(scratch_path.error());
  lifecycle::ScratchFile scratch(*scratch_path);
  if (auto s = lifecycle::WriteSnapshot(DatabasePath(inv.config, inv.henv), inv.henv, *scratch_path); !s.ok()) {
    return Fail(s.error());
  }
  // Streamed: a henv may be larger than this process should hold.
  std::FILE* in = std::fopen(scratch_path->c_str(), "rb");
  if (in == nullptr) return Fail(Error::Internal("cannot read the snapshot back"));
  char buffer[1 << 16];
  size_t total = 0;
  bool ok = true;
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, in)) > 0;) {
    if (std::fwrite(buffer, 1, n, stdout) != n) {
      ok = false;
      break;
    }
    total += n;
  }
  ok = ok && !std::ferror(in) && std::fflush(stdout) == 0;
  std::fclose(in);
  if (!ok) return Fail(Error::Internal("cannot write the snapshot to stdout"));
  const size_t bytes_size = total;
  std::fprintf(stderr, "exported %s (%zu bytes)\n", inv.henv.c_str(), bytes_size);
  return 0;
}

int Import(const Invocation& inv) {
  lifecycle::PlaceOptions options = PlaceFor(inv);
  options.create = true;
  options.replace = inv.replace;
  auto info = lifecycle::PlaceSnapshot(inv.file, options);
  if (!info.ok()) return Fail(info.error());
  std::printf("imported %s (owner %s) from %s\n", info->henv_hash.c_str(), info->owner.c_str(), inv.file.c_str());
  return 0;
}

int64_t UnixSeconds() { return UnixMillis() / 1000; }

int SweepNow(const Invocation& inv) {
  const Config& c = inv.config;
  lifecycle::SweepOptions options = SweepOptionsFor(c);
  options.dry_run = inv.dry_run;
  options.now_unix = UnixSeconds();
  std::optional<lifecycle::Outbox> outbox;
  // A dry run changes nothing, but reads which warnings went out already.
  if (!inv.dry_run || std::filesystem::exists(lifecycle::OutboxPath(c.storage_dir))) {
    auto opened = lifecycle::Outbox::Open(c.storage_dir);
    if (!opened.ok()) return Fail(opened.error());
    outbox.emplace(std::move(*opened));
  }
  auto actions = lifecycle::Sweep(options, outbox ? &*outbox : nullptr);
  if (!actions.ok()) return Fail(actions.error());
  for (const auto& a : *actions) std::printf("%s %s\n", a.hash.c_str(), a.action.c_str());
  if (outbox && !inv.dry_run && !c.smtp_url.empty()) {
    auto target = lifecycle::ParseSmtpUrl(c.smtp_url);
    if (!target.ok()) return Fail(target.error());
    auto report = outbox->Deliver(options.now_unix, [&](const lifecycle::MailMessage& m) {
      return lifecycle::SendMail(*target, m);
    });
    if (!report.ok()) return Fail(report.error());
    if (report->pending > 0) {
      std::fprintf(stderr, "hbf: %d message(s) wait in the outbox for the relay\n", report->pending);
    }
  }
  return 0;
}

int UntrashNow(const Invocation& inv) {
  if (auto s = lifecycle::Untrash(inv.config.storage_dir, inv.henv); !s.ok()) return Fail(s.error());
  std::printf("untrashed %s\n", inv.henv.c_str());
  return 0;
}

}  // namespace

lifecycle::SweepOptions SweepOptionsFor(const Config& c) {
  lifecycle::SweepOptions options;
  options.storage_dir = c.storage_dir;
  options.warn_days = c.inactive_warn_days;
  options.delete_days = c.inactive_delete_days;
  options.trash_days = c.trash_days;
  options.base_domain = c.base_domain;
  options.mail_from = c.mail_from.empty() ? "hbf@" + c.base_domain : c.mail_from;
  return options;
}

int RunLifecycleCommand(const Invocation& inv) {
  ConfigureLogging(LogLevel::kWarn, LogFormat::kText);
  if (!crypto::InitializeCrypto()) return 1;
  switch (inv.command) {
    case Command::kBackup:
      return Backup(inv);
    case Command::kBackupAll:
      return BackupAll(inv);
    case Command::kRestore:
      return Restore(inv);
    case Command::kHenvExport:
      return Export(inv);
    case Command::kHenvImport:
      return Import(inv);
    case Command::kSweep:
      return SweepNow(inv);
    case Command::kHenvUntrash:
      return UntrashNow(inv);
    default:
      std::fprintf(stderr, "hbf: this command is not built yet\n");
      return 2;
  }
}

}  // namespace hbf

#include "cli/domains_command.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "auth/audit_log.h"
#include "core/json.h"
#include "core/log.h"
#include "crypto/crypto.h"
#include "domains/domain_store.h"
#include "henv/henv_manager.h"

namespace hbf::cli {
namespace {

constexpr const char* kUsage = "usage: hbf domains list|approve DOMAIN|revoke DOMAIN [--storage_dir DIR]";

int UsageFail(const std::string& message) {
  std::fprintf(stderr, "hbf domains: %s\n%s\n", message.c_str(), kUsage);
  return 2;
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "hbf domains: %s\n", message.c_str());
  return 1;
}

int64_t NowUnix() {
  return static_cast<int64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

// The operator's action in the henv's own audit log, when the henv is on
// disk (a domain may outlive its trashed henv). Failures are reported, never
// undo the action.
void AuditOperator(const std::string& storage_dir, const std::string& hash, const std::string& action,
                   const std::string& domain) {
  if (!crypto::InitializeCrypto()) return;
  HenvManagerOptions options;
  options.storage_dir = storage_dir;
  options.start_janitor = false;
  HenvManager henvs(options);
  if (!henvs.ExistsOnDisk(hash)) return;
  auto henv = henvs.Open(hash);
  if (!henv.ok()) {
    std::fprintf(stderr, "hbf domains: audit log of %s not written: %s\n", hash.c_str(), henv.error().message.c_str());
    return;
  }
  Status s = (*henv)->WithDb([&](db::Database& db) {
    return auth::RecordAudit(db, 0, "operator", action, "domain:" + domain, Json::MakeObject({{"via", "cli"}}));
  });
  if (!s.ok()) std::fprintf(stderr, "hbf domains: audit log of %s not written: %s\n", hash.c_str(), s.error().message.c_str());
  henvs.CloseAll();
}

}  // namespace

int RunDomainsCommand(const std::vector<std::string>& args) {
  ConfigureLogging(LogLevel::kWarn, LogFormat::kText);
  std::vector<std::string> positional;
  std::optional<std::string> storage_dir;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg.rfind("--", 0) != 0) {
      positional.push_back(arg);
      continue;
    }
    std::optional<std::string> value;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
    }
    std::string name = arg.substr(2);
    std::replace(name.begin(), name.end(), '-', '_');
    if (name != "storage_dir") return UsageFail("--" + name + ": unknown flag");
    if (!value) {
      if (i + 1 >= args.size()) return UsageFail("--storage_dir: missing value");
      value = args[++i];
    }
    if (storage_dir) return UsageFail("--storage_dir: given twice");
    storage_dir = *value;
  }
  if (!storage_dir) {
    const char* env = std::getenv("HBF_STORAGE_DIR");
    storage_dir = env != nullptr && *env != '\0' ? std::string(env) : std::string("./henvs");
  }
  if (positional.empty()) return UsageFail("missing subcommand");
  const std::string& sub = positional[0];
  const bool takes_domain = sub == "approve" || sub == "revoke";
  if (sub != "list" && !takes_domain) return UsageFail(sub + ": unknown subcommand");
  if (positional.size() != (takes_domain ? 2u : 1u)) {
    return UsageFail(takes_domain ? sub + " takes one DOMAIN" : "list takes no argument");
  }

  // Read-only commands never create the index; no index: no domains.
  if (!domains::DomainStore::Exists(*storage_dir)) {
    if (sub == "list") return 0;
    return Fail(positional[1] + ": no such custom domain (see hbf domains list)");
  }
  auto store = domains::DomainStore::Open(*storage_dir, false);
  if (!store.ok()) return Fail(*storage_dir + ": cannot open the domain index: " + store.error().message);
  if (sub == "list") {
    auto rows = store->List();
    if (!rows.ok()) return Fail(rows.error().message);
    for (const auto& r : *rows) std::printf("%s %s %s\n", r.domain.c_str(), r.henv.c_str(), r.state.c_str());
    return 0;
  }

  // As the API stores it: lower case, no trailing dot.
  std::string domain = positional[1];
  std::transform(domain.begin(), domain.end(), domain.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!domain.empty() && domain.back() == '.') domain.pop_back();
  auto row = store->Get(domain);
  if (!row.ok()) return Fail(row.error().message);
  if (!*row) return Fail(domain + ": no such custom domain (see hbf domains list)");
  const domains::DomainRecord record = **row;
  if (sub == "approve") {
    if (record.active()) {
      std::printf("%s is already active for %s\n", domain.c_str(), record.henv.c_str());
      return 0;
    }
    auto done = store->Activate(domain, NowUnix(), "operator");
    if (!done.ok()) return Fail(done.error().message);
    if (!*done) return Fail(domain + ": no such custom domain (see hbf domains list)");
    std::printf("approved %s for %s\n", domain.c_str(), record.henv.c_str());
    std::fprintf(stderr, "hbf domains: %s approved for henv %s by the operator\n", domain.c_str(), record.henv.c_str());
    AuditOperator(*storage_dir, record.henv, "domain.approve", domain);
    return 0;
  }
  auto removed = store->Remove(domain);
  if (!removed.ok()) return Fail(removed.error().message);
  if (!*removed) return Fail(domain + ": no such custom domain (see hbf domains list)");
  std::printf("revoked %s from %s\n", domain.c_str(), record.henv.c_str());
  std::fprintf(stderr, "hbf domains: %s revoked from henv %s by the operator\n", domain.c_str(), record.henv.c_str());
  AuditOperator(*storage_dir, record.henv, "domain.revoke", domain);
  return 0;
}

}  // namespace hbf::cli

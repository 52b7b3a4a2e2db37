#include "domains/domain_store.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>

namespace hbf::domains {
namespace {

Error Invalid(std::string why) { return Error{"invalid_domain", std::move(why), 400}; }

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS domains ("
    " domain TEXT PRIMARY KEY,"
    " henv TEXT NOT NULL,"
    " state TEXT NOT NULL CHECK (state IN ('pending', 'active')),"
    " token TEXT NOT NULL,"
    " created_at INTEGER NOT NULL,"
    " verified_at INTEGER NOT NULL DEFAULT 0,"
    " verified_by TEXT NOT NULL DEFAULT '',"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " next_attempt INTEGER NOT NULL DEFAULT 0,"
    " last_error TEXT NOT NULL DEFAULT ''"
    ") WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS domains_by_henv ON domains (henv);";

constexpr const char* kColumns =
    "SELECT domain, henv, state, token, created_at, verified_at, verified_by, attempts, next_attempt, last_error "
    "FROM domains ";

DomainRecord FromRow(const db::Statement& s) {
  DomainRecord r;
  r.domain = s.Text(0);
  r.henv = s.Text(1);
  r.state = s.Text(2);
  r.token = s.Text(3);
  r.created_at = s.Int(4);
  r.verified_at = s.Int(5);
  r.verified_by = s.Text(6);
  r.attempts = s.Int(7);
  r.next_attempt = s.Int(8);
  r.last_error = s.Text(9);
  return r;
}

Result<std::vector<DomainRecord>> Rows(db::Statement& s) {
  std::vector<DomainRecord> out;
  for (;;) {
    auto row = s.Step();
    if (!row.ok()) return row.error();
    if (!*row) return out;
    out.push_back(FromRow(s));
  }
}

}  // namespace

Result<std::string> NormalizeDomain(std::string_view input, std::string_view base_domain) {
  std::string d(input);
  std::transform(d.begin(), d.end(), d.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!d.empty() && d.back() == '.') d.pop_back();
  if (d.empty()) return Invalid("the domain is empty");
  if (d.size() > 253) return Invalid("a domain has at most 253 characters");
  size_t labels = 0;
  std::string_view last;
  for (size_t start = 0; start <= d.size();) {
    size_t dot = d.find('.', start);
    if (dot == std::string::npos) dot = d.size();
    std::string_view label = std::string_view(d).substr(start, dot - start);
    if (label.empty() || label.size() > 63) return Invalid("each label of a domain has 1-63 characters");
    for (char c : label) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
        return Invalid("a domain has only the letters a-z, digits, '-' and '.'");
      }
    }
    if (label.front() == '-' || label.back() == '-') return Invalid("a label of a domain cannot start or end with '-'");
    ++labels;
    last = label;
    start = dot + 1;
  }
  if (labels < 2) return Invalid("a custom domain has at least two labels (app.example.com)");
  // An all-digit last label is an IPv4 address (or nothing DNS would serve).
  if (std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Invalid("an IP address is not a domain");
  }
  if (d == base_domain ||
      (d.size() > base_domain.size() && d.compare(d.size() - base_domain.size(), base_domain.size(), base_domain) == 0 &&
       d[d.size() - base_domain.size() - 1] == '.')) {
    return Invalid("names under " + std::string(base_domain) + " are this server's own");
  }
  return d;
}

std::string IndexPath(const std::string& storage_dir) { return storage_dir + "/.domains.db"; }

bool DomainStore::Exists(const std::string& storage_dir) {
  struct stat st{};
  return ::stat(IndexPath(storage_dir).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

Result<DomainStore> DomainStore::Open(const std::string& storage_dir, bool create) {
  if (!create && !Exists(storage_dir)) return Error{"no_index", "no custom domain has been claimed here", 404};
  auto db = db::Database::Open(IndexPath(storage_dir));
  if (!db.ok()) return db.error();
  if (Status s = db->Exec(kSchema); !s.ok()) return s.error();
  return DomainStore(std::move(*db));
}

Result<DomainRecord> DomainStore::Claim(const std::string& domain, const std::string& henv, const std::string& token,
                                        int64_t now, bool& created) {
  created = false;
  // BEGIN IMMEDIATE: the check and the insert are one step for every
  // connection on the file (other servers, the CLI).
  auto tx = db::Transaction::Begin(db_);
  if (!tx.ok()) return tx.error();
  auto existing = Get(domain);
  if (!existing.ok()) return existing.error();
  if (*existing) {
    if ((*existing)->henv != henv) {
      return Error{"domain_taken", domain + " is already claimed by another app on this server", 409};
    }
    if ((*existing)->active()) return **existing;
    auto again = db_.Prepare(
        "UPDATE domains SET attempts = 0, next_attempt = ?2, last_error = '' WHERE domain = ?1 AND state = 'pending'");
    if (!again.ok()) return again.error();
    again->Bind(1, domain).Bind(2, now);
    if (Status s = again->Run(); !s.ok()) return s.error();
  } else {
    auto count = db_.QueryValue("SELECT COUNT(*) FROM domains WHERE henv = ?1", {henv});
    if (!count.ok()) return count.error();
    if (*count && std::get<int64_t>(**count) >= kMaxDomainsPerHenv) {
      return Error{"too_many_domains",
                   "an app may have at most " + std::to_string(kMaxDomainsPerHenv) + " custom domains; delete one first",
                   409};
    }
    auto insert = db_.Prepare(
        "INSERT INTO domains (domain, henv, state, token, created_at, next_attempt) VALUES (?1, ?2, 'pending', ?3, ?4, ?4)");
    if (!insert.ok()) return insert.error();
    insert->Bind(1, domain).Bind(2, henv).Bind(3, token).Bind(4, now);
    if (Status s = insert->Run(); !s.ok()) {
      // The primary key is the last word (NEVER reached while BEGIN
      // IMMEDIATE holds the write lock).
      if (s.error().code == "constraint") {
        return Error{"domain_taken", domain + " is already claimed by another app on this server", 409};
      }
      return s.error();
    }
    created = true;
  }
  auto row = Get(domain);
  if (!row.ok()) return row.error();
  if (Status s = tx->Commit(); !s.ok()) return s.error();
  if (!*row) return Error::Internal("the claimed domain vanished");  // NEVER: inside the transaction
  return **row;
}

Result<std::optional<DomainRecord>> DomainStore::Get(const std::string& domain) {
  auto s = db_.Prepare(std::string(kColumns) + "WHERE domain = ?1");
  if (!s.ok()) return s.error();
  s->Bind(1, domain);
  auto rows = Rows(*s);
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::optional<DomainRecord>();
  return std::optional<DomainRecord>(std::move(rows->front()));
}

Result<std::vector<DomainRecord>> DomainStore::List(const std::string& henv) {
  auto s = db_.Prepare(std::string(kColumns) + "WHERE ?1 = '' OR henv = ?1 ORDER BY domain");
  if (!s.ok()) return s.error();
  s->Bind(1, henv);
  return Rows(*s);
}

Result<bool> DomainStore::Remove(const std::string& domain, const std::string& henv) {
  auto s = db_.Prepare("DELETE FROM domains WHERE domain = ?1 AND (?2 = '' OR henv = ?2)");
  if (!s.ok()) return s.error();
  s->Bind(1, domain).Bind(2, henv);
  if (Status r = s->Run(); !r.ok()) return r.error();
  return db_.Changes() > 0;
}

Result<bool> DomainStore::Activate(const std::string& domain, int64_t now, const std::string& verified_by) {
  auto s = db_.Prepare(
      "UPDATE domains SET state = 'active', verified_at = CASE state WHEN 'active' THEN verified_at ELSE ?2 END, "
      "verified_by = CASE state WHEN 'active' THEN verified_by ELSE ?3 END, next_attempt = 0, last_error = '' "
      "WHERE domain = ?1");
  if (!s.ok()) return s.error();
  s->Bind(1, domain).Bind(2, now).Bind(3, verified_by);
  if (Status r = s->Run(); !r.ok()) return r.error();
  return db_.Changes() > 0;
}

Status DomainStore::RecordFailure(const std::string& domain, const std::string& token, const std::string& error,
                                  int64_t next_attempt) {
  // Only the claim that was fetched: a row deleted and claimed again
  // meanwhile has another token and keeps its own schedule.
  auto s = db_.Prepare(
      "UPDATE domains SET attempts = attempts + 1, last_error = ?3, next_attempt = ?4 "
      "WHERE domain = ?1 AND token = ?2 AND state = 'pending'");
  if (!s.ok()) return s.error();
  s->Bind(1, domain).Bind(2, token).Bind(3, error.substr(0, 300)).Bind(4, next_attempt);
  return s->Run();
}

Result<std::vector<DomainRecord>> DomainStore::Due(int64_t now, int limit) {
  auto s = db_.Prepare(std::string(kColumns) +
                       "WHERE state = 'pending' AND next_attempt > 0 AND next_attempt <= ?1 ORDER BY next_attempt LIMIT ?2");
  if (!s.ok()) return s.error();
  s->Bind(1, now).Bind(2, int64_t{limit});
  return Rows(*s);
}

Result<int64_t> DomainStore::DataVersion() {
  auto v = db_.QueryValue("PRAGMA data_version");
  if (!v.ok()) return v.error();
  if (!*v || !std::holds_alternative<int64_t>(**v)) return Error::Internal("PRAGMA data_version gave no number");
  return std::get<int64_t>(**v);
}

}  // namespace hbf::domains

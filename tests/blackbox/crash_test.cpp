// Crash safety (issue #19, item 3): writes that hbf acknowledged survive a
// `kill -9` at any moment, and no henv is left corrupt or unopenable.
//
// Several client threads drive writes of three kinds (a router.js that
// inserts rows, document PUTs, users created through /_api/users) while the
// test SIGKILLs hbf at random moments, 20 times, restarting it on the same
// storage dir each time. After each kill, with hbf down, every henv file is
// opened directly: `PRAGMA integrity_check` must say ok and every write that
// got a 2xx must be there. After each restart every henv must still answer.
//
// Durability level: henvs run WAL with synchronous=NORMAL (src/db/database.cpp).
// A commit is in the WAL file (the OS page cache) before its 2xx goes out, so
// it survives the death of the process, which is what this test checks; a
// power cut may roll back the last commits (never corrupt the file). See
// ARCHITECTURE.md, "Durability".
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "db/database.h"
#include "support/hbf_process.h"
#include "support/http_client.h"

namespace hbf::test {
namespace {

constexpr int kKills = 20;
constexpr int kWriters = 4;

constexpr const char* kRouter = R"js(
import { Router } from "hbf:router";
import db from "hbf:db";
const router = new Router();
db.execute("CREATE TABLE IF NOT EXISTS crash_rows (k TEXT PRIMARY KEY, v TEXT)");
router.post("/ins/:k", (req, res) => {
  db.execute("INSERT INTO crash_rows (k, v) VALUES (?, ?)", [req.params.k, "x".repeat(200)]);
  res.status(201).json({ ok: true });
});
router.get("/ping", (req, res) => res.json({ ok: true }));
export default router;
)js";

// What the server acknowledged, per henv. Guarded by mu.
struct Ledger {
  std::mutex mu;
  std::set<std::string> rows;       // crash_rows.k
  std::set<std::string> documents;  // documents.path
  std::set<std::string> users;      // _hbf_users.username
};

struct Henv {
  TestHenv login;
  Ledger ledger;
};

std::string HenvFile(const std::string& storage, const std::string& hash) {
  return storage + "/" + hash + "/index.db";
}

// The set of values in column `col` of `table` (read with hbf down).
std::set<std::string> Column(db::Database& conn, const std::string& sql) {
  std::set<std::string> out;
  auto stmt = conn.Prepare(sql);
  if (!stmt.ok()) return out;
  for (;;) {
    auto row = stmt.value().Step();
    if (!row.ok() || !row.value()) break;
    out.insert(stmt.value().Text(0));
  }
  return out;
}

TEST(CrashSafetyTest, AcknowledgedWritesSurviveKillNine) {
  TempDir storage;
  std::vector<std::unique_ptr<Henv>> henvs;
  {
    HbfProcess first(HbfProcess::Options{{"--dev"}, {}, {}, storage.path()});
    ASSERT_TRUE(first.Start()) << first.logs();
    for (const char* name : {"crasha", "crashb", "crashc"}) {
      auto h = std::make_unique<Henv>();
      h->login = CreateHenvAndLogin(first.port(), name);
      ASSERT_FALSE(h->login.token.empty()) << first.logs();
      auto put = Fetch(first.port(), {"PUT", "/_api/documents/_system/router.js", h->login.host,
                                      {{"Authorization", "Bearer " + h->login.token},
                                       {"Content-Type", "text/javascript"}},
                                      kRouter});
      ASSERT_TRUE(put.status == 200 || put.status == 201) << put.body;
      henvs.push_back(std::move(h));
    }
    first.Signal(SIGKILL);
    first.WaitExit(std::chrono::seconds(10));
  }

  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  std::atomic<int> serial{0};
  int acked_total = 0;

  for (int cycle = 0; cycle < kKills; ++cycle) {
    HbfProcess server(HbfProcess::Options{{"--dev"}, {}, {}, storage.path()});
    ASSERT_TRUE(server.Start()) << "cycle " << cycle << ": " << server.logs();
    const uint16_t port = server.port();
    // Every henv opens and runs its router after the previous kill.
    for (auto& h : henvs) {
      auto ping = Fetch(port, {"GET", "/ping", h->login.host, {}, {}});
      ASSERT_EQ(ping.status, 200) << "cycle " << cycle << " " << h->login.hash << ": " << ping.body << server.logs();
      auto list = Fetch(port, {"GET", "/_api/documents?limit=1", h->login.host,
                               {{"Authorization", "Bearer " + h->login.token}}, {}});
      ASSERT_EQ(list.status, 200) << list.body;
    }

    std::atomic<bool> stop{false};
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([&, w] {
        std::mt19937 local(seed + static_cast<unsigned>(cycle * 100 + w));
        // Bounded: the server dies within a few seconds and every request
        // then fails at once.
        for (int i = 0; i < 100000 && !stop.load(); ++i) {
          Henv& h = *henvs[local() % henvs.size()];
          const std::string key = "k" + std::to_string(serial.fetch_add(1));
          const std::string auth = "Bearer " + h.login.token;
          const auto kind = local() % 20;
          HttpReply r;
          if (kind < 10) {
            r = Fetch(port, {"POST", "/ins/" + key, h.login.host, {}, {}});
            if (r.status / 100 == 2) {
              std::lock_guard lock(h.ledger.mu);
              h.ledger.rows.insert(key);
            }
          } else if (kind < 19) {
            r = Fetch(port, {"PUT", "/_api/documents/crash/" + key, h.login.host,
                             {{"Authorization", auth}, {"Content-Type", "text/plain"}},
                             "document " + key + std::string(500, 'd')});
            if (r.status / 100 == 2) {
              std::lock_guard lock(h.ledger.mu);
              h.ledger.documents.insert("crash/" + key);
            }
          } else {
            r = Fetch(port, {"POST", "/_api/users", h.login.host,
                             {{"Authorization", auth}, {"Content-Type", "application/json"}},
                             R"({"username":"u)" + key + R"(","password":"crash test password"})"});
            if (r.status / 100 == 2) {
              std::lock_guard lock(h.ledger.mu);
              h.ledger.users.insert("u" + key);
            }
          }
          if (!r.complete) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 900));
    server.Signal(SIGKILL);
    ASSERT_TRUE(server.WaitExit(std::chrono::seconds(10)).has_value());
    stop = true;
    for (auto& t : writers) t.join();

    // hbf is down: check every henv file directly.
    for (auto& h : henvs) {
      SCOPED_TRACE("cycle " + std::to_string(cycle) + " henv " + h->login.hash);
      auto opened = db::Database::Open(HenvFile(storage.path(), h->login.hash));
      ASSERT_TRUE(opened.ok()) << opened.error().message;
      db::Database& conn = opened.value();
      auto check = Column(conn, "PRAGMA integrity_check");
      EXPECT_EQ(check, std::set<std::string>{"ok"});
      const auto rows = Column(conn, "SELECT k FROM crash_rows");
      const auto docs = Column(conn, "SELECT path FROM documents WHERE path LIKE 'crash/%'");
      const auto users = Column(conn, "SELECT username FROM _hbf_users");
      std::lock_guard lock(h->ledger.mu);
      for (const auto& k : h->ledger.rows) EXPECT_TRUE(rows.count(k)) << "acknowledged row lost: " << k;
      for (const auto& d : h->ledger.documents) EXPECT_TRUE(docs.count(d)) << "acknowledged document lost: " << d;
      for (const auto& u : h->ledger.users) EXPECT_TRUE(users.count(u)) << "acknowledged user lost: " << u;
    }
    if (::testing::Test::HasFailure()) return;
  }
  for (auto& h : henvs) {
    acked_total += static_cast<int>(h->ledger.rows.size() + h->ledger.documents.size() + h->ledger.users.size());
  }
  // The test means something only if writes were acknowledged between kills.
  EXPECT_GT(acked_total, kKills * 5);
  std::cout << "[ crash ] " << kKills << " kills, " << acked_total << " acknowledged writes checked\n";
}

}  // namespace
}  // namespace hbf::test

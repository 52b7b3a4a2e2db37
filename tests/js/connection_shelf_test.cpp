// ConnectionShelf (src/js/connection_shelf.h): which connections are kept
// for a henv's next worker, and which are never handed on.
#include "js/connection_shelf.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace hbf::js {
namespace {

using namespace std::chrono_literals;

class ConnectionShelfTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hbf-shelf-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A connection to `name` in the test's directory, holding one row `value`.
  db::Database Open(const std::string& name, int value = 1) {
    auto db = db::Database::Open(dir_ + "/" + name, db::Database::Options{});
    EXPECT_TRUE(db.ok());
    EXPECT_TRUE(db->Exec("CREATE TABLE IF NOT EXISTS t (v); DELETE FROM t; INSERT INTO t VALUES (" +
                         std::to_string(value) + ")")
                    .ok());
    return std::move(*db);
  }

  static int64_t ValueOf(db::Database& db) {
    auto v = db.QueryValue("SELECT v FROM t");
    EXPECT_TRUE(v.ok() && v->has_value());
    return v.ok() && v->has_value() ? std::get<int64_t>(**v) : -1;
  }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  std::string dir_;
};

TEST_F(ConnectionShelfTest, HandsAConnectionBackOnlyForItsOwnPath) {
  ConnectionShelf shelf(8, 30s);
  shelf.Put({Open("a.db", 7), nullptr});
  shelf.Put({Open("b.db", 8), nullptr});
  EXPECT_EQ(shelf.size(), 2u);
  EXPECT_FALSE(shelf.Take(Path("c.db"), nullptr).has_value());
  auto a = shelf.Take(Path("a.db"), nullptr);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->path(), Path("a.db"));
  EXPECT_EQ(ValueOf(*a), 7);
  EXPECT_FALSE(shelf.Take(Path("a.db"), nullptr).has_value()) << "handed on once";
  EXPECT_EQ(shelf.size(), 1u);
  EXPECT_EQ(shelf.taken(), 1u);
}

TEST_F(ConnectionShelfTest, NeverHandsOnAConnectionToAFileThatWasReplacedOrDeleted) {
  ConnectionShelf shelf(8, 30s);
  shelf.Put({Open("a.db", 1), nullptr});
  {
    // A restore: another file renamed over the path.
    db::Database other = Open("other.db", 2);
    ASSERT_TRUE(other.Exec("PRAGMA wal_checkpoint(TRUNCATE)").ok());
  }
  std::filesystem::rename(Path("other.db"), Path("a.db"));
  EXPECT_FALSE(shelf.Take(Path("a.db"), nullptr).has_value());
  EXPECT_EQ(shelf.size(), 0u) << "closed, not kept";

  shelf.Put({Open("b.db", 3), nullptr});
  std::filesystem::remove(Path("b.db"));
  EXPECT_FALSE(shelf.Take(Path("b.db"), nullptr).has_value());
  EXPECT_EQ(shelf.taken(), 0u);
}

TEST_F(ConnectionShelfTest, KeepsOnlyQuiescentConnections) {
  ConnectionShelf shelf(8, 30s);
  db::Database in_transaction = Open("a.db");
  ASSERT_TRUE(in_transaction.Exec("BEGIN; INSERT INTO t VALUES (2)").ok());
  shelf.Put({std::move(in_transaction), nullptr});
  EXPECT_EQ(shelf.size(), 0u) << "a transaction open: closed (rolled back), not kept";

  db::Database reading = Open("b.db");
  ASSERT_TRUE(reading.Exec("INSERT INTO t VALUES (2)").ok());
  {
    auto stmt = reading.Prepare("SELECT v FROM t");
    ASSERT_TRUE(stmt.ok());
    auto row = stmt->Step();
    ASSERT_TRUE(row.ok() && *row) << "part-way through its rows";
    EXPECT_FALSE(reading.Quiescent());
  }
  EXPECT_TRUE(reading.Quiescent()) << "the statement went back to the cache, reset";
  shelf.Put({std::move(reading), nullptr});
  EXPECT_EQ(shelf.size(), 1u);

  auto memory = db::Database::Open(":memory:", db::Database::Options{});
  ASSERT_TRUE(memory.ok());
  shelf.Put({std::move(*memory), nullptr});
  EXPECT_EQ(shelf.size(), 1u) << "an in-memory database is nobody's file: not kept";
}

TEST_F(ConnectionShelfTest, ListenersMustMatch) {
  ConnectionShelf shelf(8, 30s);
  auto listener = std::shared_ptr<db::ChangeListener>(reinterpret_cast<db::ChangeListener*>(0x10), [](auto*) {});
  shelf.Put({Open("a.db"), listener});
  EXPECT_FALSE(shelf.Take(Path("a.db"), nullptr).has_value()) << "reports to another listener";
  EXPECT_TRUE(shelf.Take(Path("a.db"), listener).has_value());
}

TEST_F(ConnectionShelfTest, BoundedInNumberAndIdleTime) {
  ConnectionShelf shelf(2, 30s);
  shelf.Put({Open("a.db"), nullptr});
  shelf.Put({Open("b.db"), nullptr});
  shelf.Put({Open("c.db"), nullptr});
  EXPECT_EQ(shelf.size(), 2u);
  EXPECT_FALSE(shelf.Take(Path("a.db"), nullptr).has_value()) << "the least recently kept made room";
  EXPECT_TRUE(shelf.Take(Path("c.db"), nullptr).has_value());

  ConnectionShelf brief(8, 0s);
  brief.Put({Open("d.db"), nullptr});
  EXPECT_EQ(brief.size(), 1u);
  brief.CloseIdle();
  EXPECT_EQ(brief.size(), 0u);

  ConnectionShelf none(0, 30s);
  none.Put({Open("e.db"), nullptr});
  EXPECT_EQ(none.size(), 0u);
}

}  // namespace
}  // namespace hbf::js

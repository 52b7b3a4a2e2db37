// Change capture (db/change_capture.h): what a connection reports after its
// transactions commit - and what it does not (rolled back, HBF's tables,
// nobody watching) - and the collapse into "many" past the per-transaction cap.
#include "db/change_capture.h"

#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include "db/database.h"

namespace hbf::db {
namespace {

class Recorder : public ChangeListener {
 public:
  bool watching = true;
  int asked = 0;
  std::vector<std::vector<RowChange>> batches;
  bool Watching(std::string_view source) const override {
    ++const_cast<Recorder*>(this)->asked;
    EXPECT_EQ(source, "henv1");
    return watching;
  }
  void OnCommitted(const std::string& source, std::vector<RowChange> changes) override {
    EXPECT_EQ(source, "henv1");
    batches.push_back(std::move(changes));
  }
};

class ChangeCaptureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Database::Open(":memory:");
    ASSERT_TRUE(opened.ok());
    db_.emplace(std::move(*opened));
    ASSERT_TRUE(db_->Exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);"
                          "CREATE TABLE _hbf_private (x);").ok());
    recorder_ = std::make_shared<Recorder>();
    db_->CaptureChanges(recorder_, "henv1");
  }
  std::optional<Database> db_;
  std::shared_ptr<Recorder> recorder_;
};

TEST_F(ChangeCaptureTest, ReportsEachCommittedRowOnceTheStatementReturns) {
  ASSERT_TRUE(db_->Exec("INSERT INTO notes (id, body) VALUES (1, 'a')").ok());
  ASSERT_EQ(recorder_->batches.size(), 1u);
  ASSERT_EQ(recorder_->batches[0].size(), 1u);
  EXPECT_EQ(recorder_->batches[0][0].op, RowChange::Op::kInsert);
  EXPECT_EQ(recorder_->batches[0][0].table, "notes");
  EXPECT_EQ(recorder_->batches[0][0].rowid, 1);

  auto stmt = db_->Prepare("UPDATE notes SET body = ? WHERE id = 1");
  ASSERT_TRUE(stmt.ok());
  stmt->Bind(1, std::string("b"));
  ASSERT_TRUE(stmt->Run().ok());
  ASSERT_EQ(recorder_->batches.size(), 2u);
  EXPECT_EQ(recorder_->batches[1][0].op, RowChange::Op::kUpdate);

  ASSERT_TRUE(db_->Exec("DELETE FROM notes WHERE id = 1").ok());
  ASSERT_EQ(recorder_->batches.size(), 3u);
  const RowChange& gone = recorder_->batches[2][0];
  EXPECT_EQ(gone.op, RowChange::Op::kDelete);
  ASSERT_EQ(gone.old_row.size(), 2u);  // the row as it was, in column order
  EXPECT_EQ(std::get<int64_t>(gone.old_row[0]), 1);
  EXPECT_EQ(std::get<std::string>(gone.old_row[1]), "b");
}

TEST_F(ChangeCaptureTest, ATransactionIsReportedAtItsCommitAndARollbackNever) {
  ASSERT_TRUE(db_->Exec("BEGIN").ok());
  ASSERT_TRUE(db_->Exec("INSERT INTO notes (body) VALUES ('x'); INSERT INTO notes (body) VALUES ('y')").ok());
  EXPECT_TRUE(recorder_->batches.empty()) << "nothing before the commit";
  ASSERT_TRUE(db_->Exec("COMMIT").ok());
  ASSERT_EQ(recorder_->batches.size(), 1u);
  EXPECT_EQ(recorder_->batches[0].size(), 2u);

  ASSERT_TRUE(db_->Exec("BEGIN; INSERT INTO notes (body) VALUES ('z'); ROLLBACK").ok());
  ASSERT_TRUE(db_->Exec("INSERT INTO _hbf_private VALUES (1)").ok());
  EXPECT_EQ(recorder_->batches.size(), 1u) << "rolled back, or HBF's own table: no news";
}

TEST_F(ChangeCaptureTest, NobodyWatchingCostsOneQuestionPerTransaction) {
  recorder_->watching = false;
  recorder_->asked = 0;
  ASSERT_TRUE(db_->Exec("BEGIN").ok());
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(db_->Exec("INSERT INTO notes (body) VALUES ('n')").ok());
  ASSERT_TRUE(db_->Exec("COMMIT").ok());
  EXPECT_EQ(recorder_->asked, 1);
  EXPECT_TRUE(recorder_->batches.empty());
}

TEST_F(ChangeCaptureTest, TooManyRowsInOneTransactionBecomeOneManyPerTable) {
  ASSERT_TRUE(db_->Exec("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1500) "
                        "INSERT INTO notes (body) SELECT 'row' FROM c").ok());
  ASSERT_EQ(recorder_->batches.size(), 1u);
  ASSERT_EQ(recorder_->batches[0].size(), 1u);
  EXPECT_EQ(recorder_->batches[0][0].op, RowChange::Op::kMany);
  EXPECT_EQ(recorder_->batches[0][0].table, "notes");
  // The next transaction is reported row by row again.
  ASSERT_TRUE(db_->Exec("INSERT INTO notes (body) VALUES ('one')").ok());
  ASSERT_EQ(recorder_->batches.size(), 2u);
  EXPECT_EQ(recorder_->batches[1][0].op, RowChange::Op::kInsert);
}

}  // namespace
}  // namespace hbf::db

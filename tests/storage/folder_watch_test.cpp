// Specification of FolderWatcher (src/henv/folder_watch): what a watch on a
// henv's folder counts, and what it leaves out.
#include "henv/folder_watch.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "storage_test_util.h"

namespace hbf {
namespace {

using namespace std::chrono_literals;
using testing_storage::TempDir;

void Append(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::app | std::ios::binary);
  out << text;
}

// The watcher's thread counts an event once it has run: wait for it (or,
// to show that nothing was counted, for every event it read).
bool CountReaches(const FolderWatcher::Watch& watch, uint64_t at_least) {
  const auto give_up = std::chrono::steady_clock::now() + 5s;
  while (watch.changes() < at_least) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}
void AllRead(const FolderWatcher& watcher, uint64_t events) {
  const auto give_up = std::chrono::steady_clock::now() + 5s;
  while (watcher.events_read() < events && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(1ms);
  }
}

TEST(FolderWatchTest, CountsChangesToTheFileItsWalAndTheFolderButNotTheShmOrOtherFiles) {
  TempDir dir;
  const std::string folder = dir.path() + "/abcdefgh";
  ASSERT_TRUE(std::filesystem::create_directory(folder));
  Append(folder + "/index.db", "x");
  auto watcher = FolderWatcher::Start();
  ASSERT_NE(watcher, nullptr) << "no inotify here";
  auto watch = watcher->Add(folder, "index.db");
  ASSERT_NE(watch, nullptr);
  EXPECT_EQ(watch->changes(), 0u);
  EXPECT_TRUE(watch->UnchangedSince(0));

  // Not counted: the -shm file (SQLite writes it through a mapping anyway),
  // another file.
  Append(folder + "/index.db-shm", "x");
  Append(folder + "/notes.txt", "x");
  AllRead(*watcher, 4);  // (created, written; created, written)
  EXPECT_GE(watcher->events_read(), 4u);
  EXPECT_EQ(watch->changes(), 0u);

  // Counted: a write to the file, the WAL made, written, truncated, its
  // times set, the file replaced by a rename.
  Append(folder + "/index.db", "y");
  ASSERT_TRUE(CountReaches(*watch, 1));
  uint64_t seen = watch->changes();
  EXPECT_FALSE(watch->UnchangedSince(0));
  EXPECT_TRUE(watch->UnchangedSince(seen));
  Append(folder + "/index.db-wal", "frame");
  ASSERT_TRUE(CountReaches(*watch, seen + 1));
  seen = watch->changes();
  ASSERT_EQ(::truncate((folder + "/index.db-wal").c_str(), 0), 0);
  ASSERT_TRUE(CountReaches(*watch, seen + 1));
  seen = watch->changes();
  timespec times[2] = {{0, UTIME_OMIT}, {1, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (folder + "/index.db").c_str(), times, 0), 0);
  ASSERT_TRUE(CountReaches(*watch, seen + 1));
  seen = watch->changes();
  Append(folder + "/index.db.new", "z");
  ASSERT_EQ(std::rename((folder + "/index.db.new").c_str(), (folder + "/index.db").c_str()), 0);
  ASSERT_TRUE(CountReaches(*watch, seen + 1));

  // A second watch on the folder shares the count; the folder moved away
  // counts for both.
  auto again = watcher->Add(folder, "index.db");
  ASSERT_NE(again, nullptr);
  seen = watch->changes();
  EXPECT_EQ(again->changes(), seen);
  ASSERT_EQ(std::rename(folder.c_str(), (dir.path() + "/moved").c_str()), 0);
  ASSERT_TRUE(CountReaches(*watch, seen + 1));
  EXPECT_EQ(again->changes(), watch->changes());
}

TEST(FolderWatchTest, AFolderDeletedCountsAndAWatchOnANewOneStartsAfresh) {
  TempDir dir;
  const std::string folder = dir.path() + "/ijklmnop";
  ASSERT_TRUE(std::filesystem::create_directory(folder));
  auto watcher = FolderWatcher::Start();
  ASSERT_NE(watcher, nullptr);
  auto watch = watcher->Add(folder, "index.db");
  ASSERT_NE(watch, nullptr);
  std::filesystem::remove_all(folder);
  ASSERT_TRUE(CountReaches(*watch, 1));
  ASSERT_TRUE(std::filesystem::create_directory(folder));
  auto fresh = watcher->Add(folder, "index.db");
  ASSERT_NE(fresh, nullptr);
  EXPECT_EQ(fresh->changes(), 0u) << "its own count";
  watch.reset();  // (the old one's going leaves the new one be)
  Append(folder + "/index.db", "x");
  ASSERT_TRUE(CountReaches(*fresh, 1));
  EXPECT_EQ(watcher->Add(dir.path() + "/no-such-folder", "index.db"), nullptr) << "refused: no folder";
}

}  // namespace
}  // namespace hbf

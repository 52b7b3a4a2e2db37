// The I/O loops' cache of documents (app/document_cache.h): what it answers
// and when it stops answering.
#include "app/document_cache.h"

#include <gtest/gtest.h>

namespace hbf {
namespace {

std::shared_ptr<DocumentCache::Entry> Made(const std::string& content, uint64_t documents_epoch, uint64_t settings_epoch,
                                           int64_t read_at_ns) {
  auto e = std::make_shared<DocumentCache::Entry>();
  e->document.content = content;
  e->document.meta.etag = "\"e\"";
  e->documents_epoch = documents_epoch;
  e->settings_epoch = settings_epoch;
  e->read_at_ns = read_at_ns;
  return e;
}

TEST(DocumentCacheTest, AnswersOnlyWhileBothEpochsHoldAndTheEntryIsYoung) {
  DocumentCache cache;
  const std::string key = DocumentCache::Key("henvhash", "a.txt", false);
  cache.Put(key, Made("A", 7, 3, 1000));
  auto hit = cache.Find(key, 7, 3, 1000 + DocumentCache::kMaxAgeNs);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->document.content, "A");
  EXPECT_EQ(cache.Find(key, 8, 3, 2000), nullptr) << "a document written since";
  EXPECT_EQ(cache.size(), 0u) << "a stale entry is dropped";

  cache.Put(key, Made("A", 7, 3, 1000));
  EXPECT_EQ(cache.Find(key, 7, 4, 2000), nullptr) << "settings changed since";
  cache.Put(key, Made("A", 7, 3, 1000));
  EXPECT_EQ(cache.Find(key, 7, 3, 1001 + DocumentCache::kMaxAgeNs), nullptr) << "older than the bound";
  cache.Put(key, Made("A", 7, 3, 1000));
  EXPECT_EQ(cache.Find(key, 7, 3, 999), nullptr) << "a clock that went back proves nothing";
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST(DocumentCacheTest, KeysSeparateHenvsIdsAndTheGzipVariant) {
  EXPECT_NE(DocumentCache::Key("h", "a", false), DocumentCache::Key("h", "a", true));
  EXPECT_NE(DocumentCache::Key("h1", "a", false), DocumentCache::Key("h", "1a", false));
  DocumentCache cache;
  cache.Put(DocumentCache::Key("h", "a", false), Made("plain", 1, 1, 0));
  cache.Put(DocumentCache::Key("h", "a", true), Made("gzip", 1, 1, 0));
  EXPECT_EQ(cache.Find(DocumentCache::Key("h", "a", false), 1, 1, 0)->document.content, "plain");
  EXPECT_EQ(cache.Find(DocumentCache::Key("h", "a", true), 1, 1, 0)->document.content, "gzip");
}

TEST(DocumentCacheTest, StaysWithinItsBudgetDroppingTheLeastRecentlyUsed) {
  DocumentCache cache;
  const std::string big(100 << 10, 'x');
  EXPECT_GT(big.size() * 50, DocumentCache::kBudgetBytes);
  for (int i = 0; i < 50; ++i) cache.Put(DocumentCache::Key("h", std::to_string(i), false), Made(big, 1, 1, 0));
  EXPECT_LE(cache.bytes(), DocumentCache::kBudgetBytes);
  EXPECT_EQ(cache.Find(DocumentCache::Key("h", "0", false), 1, 1, 0), nullptr) << "the oldest went first";
  EXPECT_NE(cache.Find(DocumentCache::Key("h", "49", false), 1, 1, 0), nullptr);

  // A use makes an entry recent: it outlives those put before it.
  const size_t kept = cache.size();
  const int first_kept = 50 - static_cast<int>(kept);
  ASSERT_NE(cache.Find(DocumentCache::Key("h", std::to_string(first_kept), false), 1, 1, 0), nullptr);
  cache.Put(DocumentCache::Key("h", "new", false), Made(big, 1, 1, 0));
  EXPECT_NE(cache.Find(DocumentCache::Key("h", std::to_string(first_kept), false), 1, 1, 0), nullptr);
  EXPECT_EQ(cache.Find(DocumentCache::Key("h", std::to_string(first_kept + 1), false), 1, 1, 0), nullptr);

  // Too large to keep at all.
  cache.Put(DocumentCache::Key("h", "huge", false), Made(std::string(DocumentCache::kMaxEntryBytes + 1, 'y'), 1, 1, 0));
  EXPECT_EQ(cache.Find(DocumentCache::Key("h", "huge", false), 1, 1, 0), nullptr);
  EXPECT_LE(cache.bytes(), DocumentCache::kBudgetBytes);
}

}  // namespace
}  // namespace hbf

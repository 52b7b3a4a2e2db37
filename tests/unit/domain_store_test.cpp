// The custom-domain index (src/domains/domain_store.h) and the routing
// snapshot over it (domain_router.h): claims, the one-owner rule across two
// connections on one file, approval, removal, and what counts as a domain.
#include "domains/domain_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <thread>

#include "domains/domain_router.h"
#include "lifecycle/backup_all.h"

namespace hbf::domains {
namespace {

// The value of a Result that must have one (a failure fails the test).
template <typename T>
T Must(Result<T> r) {
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  if (!r.ok()) return T{};
  return std::move(r).value();
}

class TempStorage {
 public:
  TempStorage() {
    std::string pattern = (std::filesystem::temp_directory_path() / "hbf-domains-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) != nullptr ? pattern : std::string();
  }
  ~TempStorage() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempStorage(const TempStorage&) = delete;
  TempStorage& operator=(const TempStorage&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(NormalizeDomainTest, AcceptsHostNamesLowerCasedWithoutTrailingDot) {
  EXPECT_EQ(Must(NormalizeDomain("App.Example.COM.", "localhost")), "app.example.com");
  EXPECT_EQ(Must(NormalizeDomain("example.com", "ipsaw.com")), "example.com");
  EXPECT_EQ(Must(NormalizeDomain("a-b.c0.io", "ipsaw.com")), "a-b.c0.io");
  EXPECT_EQ(Must(NormalizeDomain("xn--bcher-kva.example", "localhost")), "xn--bcher-kva.example");
  // 63-character labels are the most DNS allows.
  EXPECT_TRUE(NormalizeDomain(std::string(63, 'a') + ".com", "localhost").ok());
}

TEST(NormalizeDomainTest, RefusesWhatIsNotACustomDomain) {
  const char* bad[] = {
      "",                      // empty
      ".",                     // only the root
      "localhost",             // one label
      "com",                   // one label
      "a..b.com",              // empty label
      ".a.com",                // empty first label
      "-a.com",                // leading hyphen
      "a-.com",                // trailing hyphen
      "a_b.com",               // underscore
      "a b.com",               // space
      "app.example.com:80",    // port
      "http://app.example.com",
      "app.example.com/x",
      "1.2.3.4",               // IPv4
      "10.0.0.1.",             // IPv4 with a dot
      "[::1]",                 // IPv6
      "::1",
      "ipsaw.com",             // the base domain
      "abcd1234.ipsaw.com",    // a henv host
      "x.y.ipsaw.com",         // anything under the base domain
      "bücher.example",        // not punycode
  };
  for (const char* d : bad) {
    auto r = NormalizeDomain(d, "ipsaw.com");
    ASSERT_FALSE(r.ok()) << "'" << d << "' was accepted";
    EXPECT_EQ(r.error().code, "invalid_domain") << d;
    EXPECT_EQ(r.error().http_status, 400) << d;
  }
  EXPECT_FALSE(NormalizeDomain(std::string(64, 'a') + ".com", "ipsaw.com").ok());
  std::string long_name;
  while (long_name.size() < 251) long_name += "abcdefghi.";  // 260 + "com": over 253
  EXPECT_FALSE(NormalizeDomain(long_name + "com", "ipsaw.com").ok());
  // Only whole labels are "under" the base domain.
  EXPECT_TRUE(NormalizeDomain("notipsaw.com", "ipsaw.com").ok());
}

TEST(DomainStoreTest, ClaimIsPendingUntilActivated) {
  TempStorage dir;
  auto store = DomainStore::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/.domains.db"));
  // The index is not a henv to what lists them (backup --all, the sweep).
  EXPECT_TRUE(lifecycle::ListHenvs(dir.path()).empty());
  bool created = false;
  auto claimed = store->Claim("app.example.com", "abcd1234", "tok", 1000, created);
  ASSERT_TRUE(claimed.ok()) << claimed.error().message;
  EXPECT_TRUE(created);
  EXPECT_EQ(claimed->state, kStatePending);
  EXPECT_EQ(claimed->token, "tok");
  EXPECT_EQ(claimed->next_attempt, 1000);

  auto due = store->Due(1000, 10);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u);
  ASSERT_TRUE(store->RecordFailure("app.example.com", "tok", "no answer", 1010).ok());
  EXPECT_TRUE(store->Due(1005, 10)->empty());
  auto row = store->Get("app.example.com");
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ((*row)->attempts, 1);
  EXPECT_EQ((*row)->last_error, "no answer");

  // Claimed again by its henv: scheduled afresh, same token.
  auto again = store->Claim("app.example.com", "abcd1234", "other", 2000, created);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(created);
  EXPECT_EQ(again->token, "tok");
  EXPECT_EQ(again->attempts, 0);
  EXPECT_EQ(again->next_attempt, 2000);

  EXPECT_TRUE(Must(store->Activate("app.example.com", 3000, "operator")));
  row = store->Get("app.example.com");
  EXPECT_TRUE((*row)->active());
  EXPECT_EQ((*row)->verified_at, 3000);
  EXPECT_EQ((*row)->verified_by, "operator");
  EXPECT_TRUE(store->Due(999999, 10)->empty());
  EXPECT_FALSE(Must(store->Activate("missing.example.com", 3000, "operator")));
}

TEST(DomainStoreTest, ADomainBelongsToOneHenvAcrossConnections) {
  TempStorage dir;
  auto first = DomainStore::Open(dir.path());
  auto second = DomainStore::Open(dir.path());  // another server or the CLI
  ASSERT_TRUE(first.ok() && second.ok());
  bool created = false;
  ASSERT_TRUE(first->Claim("shop.example.com", "aaaa1111", "t1", 1, created).ok());
  auto taken = second->Claim("shop.example.com", "bbbb2222", "t2", 2, created);
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error().code, "domain_taken");
  EXPECT_EQ(taken.error().http_status, 409);
  EXPECT_EQ(Must(second->Get("shop.example.com"))->henv, "aaaa1111");

  // Once given up, another henv may claim it.
  EXPECT_FALSE(Must(second->Remove("shop.example.com", "bbbb2222")));  // not its domain
  EXPECT_TRUE(Must(second->Remove("shop.example.com", "aaaa1111")));
  EXPECT_TRUE(second->Claim("shop.example.com", "bbbb2222", "t2", 3, created).ok());
  EXPECT_EQ(Must(first->Get("shop.example.com"))->henv, "bbbb2222");
}

TEST(DomainStoreTest, AHenvHasAtMostTheCap) {
  TempStorage dir;
  auto store = DomainStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  bool created = false;
  for (int i = 0; i < kMaxDomainsPerHenv; ++i) {
    ASSERT_TRUE(store->Claim("d" + std::to_string(i) + ".example.com", "aaaa1111", "t", 1, created).ok());
  }
  auto over = store->Claim("one-more.example.com", "aaaa1111", "t", 1, created);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, "too_many_domains");
  EXPECT_TRUE(store->Claim("one-more.example.com", "bbbb2222", "t", 1, created).ok());
  EXPECT_EQ(store->List("aaaa1111")->size(), static_cast<size_t>(kMaxDomainsPerHenv));
  EXPECT_EQ(store->List()->size(), static_cast<size_t>(kMaxDomainsPerHenv + 1));
}

TEST(DomainStoreTest, DataVersionMovesOnAnotherConnectionsCommit) {
  TempStorage dir;
  auto reader = DomainStore::Open(dir.path());
  auto writer = DomainStore::Open(dir.path());
  ASSERT_TRUE(reader.ok() && writer.ok());
  const int64_t before = Must(reader->DataVersion());
  EXPECT_EQ(Must(reader->DataVersion()), before);
  bool created = false;
  ASSERT_TRUE(writer->Claim("a.example.com", "aaaa1111", "t", 1, created).ok());
  EXPECT_NE(Must(reader->DataVersion()), before);
}

TEST(DomainRouterTest, TheFirstClaimCreatesTheIndex) {
  TempStorage dir;
  DomainRouter::Options options;
  options.storage_dir = dir.path();
  options.start_threads = false;
  auto router = DomainRouter::Start(options);
  ASSERT_TRUE(router.ok()) << router.error().message;
  EXPECT_TRUE(Must((*router)->List("abcd1234")).empty());
  EXPECT_FALSE(Must((*router)->Remove("app.example.com", "abcd1234")));
  (*router)->VerifyDueNow();
  EXPECT_FALSE(DomainStore::Exists(dir.path()));  // nothing claimed: no file
  EXPECT_FALSE(DomainStore::Open(dir.path(), false).ok());
  bool created = false;
  ASSERT_TRUE((*router)->Claim("app.example.com", "abcd1234", "tok", created).ok());
  EXPECT_TRUE(DomainStore::Exists(dir.path()));
}

TEST(DomainRouterTest, RoutesActiveDomainsAndSeesOtherConnectionsOnRefresh) {
  TempStorage dir;
  DomainRouter::Options options;
  options.storage_dir = dir.path();
  options.refresh_interval = std::chrono::milliseconds(20);
  options.fetch.connect_to = "127.0.0.1:1";  // nothing listens: every check fails fast
  auto router = DomainRouter::Start(options);
  ASSERT_TRUE(router.ok()) << router.error().message;
  bool created = false;
  ASSERT_TRUE((*router)->Claim("app.example.com", "abcd1234", "tok", created).ok());
  auto pending = (*router)->Find("app.example.com");
  ASSERT_TRUE(pending.has_value());  // at once: the claim reloads
  EXPECT_FALSE(pending->active);
  EXPECT_EQ(pending->token, "tok");
  EXPECT_FALSE((*router)->Find("other.example.com").has_value());

  // The CLI's approval, through a connection of its own.
  auto cli = DomainStore::Open(dir.path());
  ASSERT_TRUE(cli.ok());
  ASSERT_TRUE(Must(cli->Activate("app.example.com", 5, "operator")));
  bool active = false;
  for (int i = 0; i < 250 && !active; ++i) {  // at most 5 s
    auto found = (*router)->Find("app.example.com");
    active = found && found->active;
    if (!active) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(active);
  EXPECT_EQ((*router)->Find("app.example.com")->henv, "abcd1234");

  // Removed through the router: gone before Remove returns.
  EXPECT_FALSE(Must((*router)->Remove("app.example.com", "zzzz9999")));
  EXPECT_TRUE(Must((*router)->Remove("app.example.com", "abcd1234")));
  EXPECT_FALSE((*router)->Find("app.example.com").has_value());
}

TEST(DomainRouterTest, AFailedCheckBacksOffAndGivesUp) {
  TempStorage dir;
  int64_t now = 1000;
  DomainRouter::Options options;
  options.storage_dir = dir.path();
  options.start_threads = false;
  options.fetch.connect_to = "127.0.0.1:1";
  options.now_unix = [&now] { return now; };
  options.give_up_after_s = 100;
  auto router = DomainRouter::Start(options);
  ASSERT_TRUE(router.ok());
  bool created = false;
  ASSERT_TRUE((*router)->Claim("app.example.com", "abcd1234", "tok", created).ok());
  auto row = [&] { return Must((*router)->List("abcd1234")).at(0); };
  (*router)->VerifyDueNow();
  EXPECT_EQ(row().attempts, 1);
  EXPECT_EQ(row().next_attempt, 1010);  // 10 s
  EXPECT_FALSE(row().last_error.empty());
  now = 1010;
  (*router)->VerifyDueNow();
  EXPECT_EQ(row().next_attempt, 1030);  // 20 s
  now = 1015;
  (*router)->VerifyDueNow();  // not due
  EXPECT_EQ(row().attempts, 2);
  now = 1100;
  (*router)->VerifyDueNow();
  EXPECT_EQ(row().next_attempt, 0);  // given up after give_up_after_s
  EXPECT_EQ(row().state, kStatePending);
  // A new claim by its owner schedules it again.
  ASSERT_TRUE((*router)->Claim("app.example.com", "abcd1234", "x", created).ok());
  EXPECT_EQ(row().next_attempt, 1100);
  EXPECT_EQ(row().attempts, 0);
}

}  // namespace
}  // namespace hbf::domains

// documents/package_import.h: reading npm tarballs (ustar, pax, GNU).
#include "documents/package_import.h"

#include <gtest/gtest.h>

#include "support/tar_builder.h"

#include <string>

namespace hbf::docs {
namespace {

std::string Entry(const std::string& name, char type, const std::string& data) { return test::TarEntry(name, data, type); }
std::string End() { return test::TarEnd(); }

TEST(ReadTarball, PaxPathNamesTheNextFile) {
  const std::string tar = Entry("package/PaxHeader", 'x', "21 path=package/b.js\n") +
                          Entry("package/a.js", '0', "x") + Entry("package/c.js", '0', "y") + End();
  auto files = ReadTarball(tar);
  ASSERT_TRUE(files.ok()) << files.error().message;
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0].path, "b.js");
  EXPECT_EQ((*files)[1].path, "c.js");
}

// Found by reading ReadTarball while writing fuzz/tarball_fuzz (no invariant
// of the fuzzer sees it): a record whose length did not cover its own header
// ("1 path=...") was read to the end of the pax data, so the next file took
// the rest of the header, newline included, as its name.
TEST(ReadTarball, PaxRecordsThatDoNotCoverThemselvesAreRefused) {
  for (const char* records : {"1 path=evil.js\n", "8 path=evil.js\n", "17 path=evil.js\nxx", "x path=a\n",
                              " 9 path=a\n", "99999999999999999999999 path=a\n"}) {
    SCOPED_TRACE(records);
    const std::string tar = Entry("PaxHeader", 'x', records) + Entry("package/a.js", '0', "x") + End();
    auto files = ReadTarball(tar);
    EXPECT_FALSE(files.ok()) << "read as " << (files.ok() && !files->empty() ? (*files)[0].path : "");
  }
}

TEST(ReadTarball, EscapingPathsAreRefused) {
  EXPECT_FALSE(ReadTarball(Entry("package/../../x.js", '0', "x") + End()).ok());
  EXPECT_FALSE(ReadTarball(Entry("/etc/x.js", '0', "x") + End()).ok());
}

}  // namespace
}  // namespace hbf::docs

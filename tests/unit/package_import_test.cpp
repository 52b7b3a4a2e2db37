// documents/package_import.h: reading npm tarballs (ustar, pax, GNU).
#include "documents/package_import.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace hbf::docs {
namespace {

// One 512-byte tar header (ustar magic; HBF does not check the checksum)
// followed by `data` padded to whole blocks.
std::string Entry(const std::string& name, char type, const std::string& data) {
  std::string header(512, '\0');
  header.replace(0, name.size(), name);
  char size[12];
  std::snprintf(size, sizeof size, "%011o", static_cast<unsigned>(data.size()));
  header.replace(124, 11, size, 11);
  header[156] = type;
  header.replace(257, 6, "ustar", 6);
  std::string padded = data;
  padded.resize((data.size() + 511) / 512 * 512, '\0');
  return header + padded;
}

std::string End() { return std::string(1024, '\0'); }

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

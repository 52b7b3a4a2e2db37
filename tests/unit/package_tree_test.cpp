// documents/package_tree.h: where the packages of an install go (the
// database half, InstallTree and its dependency check, is exercised by
// tests/blackbox/package_tree_test.cpp against the real binary).
#include "documents/package_tree.h"

#include <gtest/gtest.h>

#include "support/tar_builder.h"

#include <string>

namespace hbf::docs {
namespace {

std::string Manifest(const std::string& name, const std::string& version, const std::string& deps = "{}") {
  return R"({"name":")" + name + R"(","version":")" + version + R"(","dependencies":)" + deps + "}";
}

PackageSource Package(const std::string& name, const std::string& version, const std::string& deps = "{}") {
  return PackageSource{name + "-" + version + ".tgz",
                       {{"package.json", Manifest(name, version, deps)}, {"index.js", "module.exports = 1;"}}};
}

using test::TarEntry;

std::vector<std::string> Dirs(const InstallPlan& plan) {
  std::vector<std::string> out;
  for (const auto& p : plan.packages) out.push_back(p.dir + "@" + p.version);
  return out;
}

TEST(PlanInstall, OnePackageGoesUnderItsName) {
  std::vector<PackageSource> sources;
  sources.push_back(Package("@acme/x", "1.0.0"));
  auto plan = PlanInstall(std::move(sources));
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(Dirs(*plan), (std::vector<std::string>{"@acme/x@1.0.0"}));
}

TEST(PlanInstall, ANodeModulesFolderKeepsItsNestedFolders) {
  PackageSource tree{"node_modules.tgz",
                     {{"a/package.json", Manifest("a", "1.0.0")},
                      {"a/index.js", "x"},
                      {"a/node_modules/b/package.json", Manifest("b", "2.0.0")},
                      {"@s/c/package.json", Manifest("@s/c", "3.0.0")},
                      {".bin/a", "#!/bin/sh"},
                      {".package-lock.json", "{}"}}};
  std::vector<PackageSource> sources;
  sources.push_back(std::move(tree));
  auto plan = PlanInstall(std::move(sources));
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(Dirs(*plan), (std::vector<std::string>{"@s/c@3.0.0", "a@1.0.0"}));
  ASSERT_EQ(plan->packages[1].files.size(), 3u);
  EXPECT_EQ(plan->packages[1].files[2].path, "node_modules/b/package.json");
}

// npm aliases ("string-width-cjs": "npm:string-width@^4") and old upper-case
// names (JSONStream) appear in real trees: the folder's name is the name.
TEST(PlanInstall, AliasFoldersAndOldNamesKeepTheirFolder) {
  PackageSource tree{"node_modules.tgz",
                     {{"string-width/package.json", Manifest("string-width", "5.1.2")},
                      {"string-width-cjs/package.json", Manifest("string-width", "4.2.3")},
                      {"JSONStream/package.json", Manifest("JSONStream", "1.3.5")}}};
  std::vector<PackageSource> sources;
  sources.push_back(std::move(tree));
  auto plan = PlanInstall(std::move(sources));
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(Dirs(*plan), (std::vector<std::string>{"JSONStream@1.3.5", "string-width@5.1.2", "string-width-cjs@4.2.3"}));
  std::vector<PackageSource> bad;
  bad.push_back(PackageSource{"x", {{"a b/package.json", Manifest("a", "1.0.0")}}});
  EXPECT_EQ(PlanInstall(std::move(bad)).error().http_status, 400);
}

TEST(PlanInstall, AFolderWithoutPackageJsonIsRefused) {
  std::vector<PackageSource> sources;
  sources.push_back(PackageSource{"x.tgz", {{"a/index.js", "x"}}});
  auto plan = PlanInstall(std::move(sources));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().http_status, 400);
  EXPECT_NE(plan.error().message.find("node_modules/a: no package.json"), std::string::npos) << plan.error().message;
}

// sanitize-html's shape: two packages need two majors of one name.
TEST(PlanInstall, TwoVersionsOfANameAreHoistedAndNested) {
  std::vector<PackageSource> sources;
  sources.push_back(Package("san", "1.0.0", R"({"ent":"^4.0.0","parser":"^1.0.0"})"));
  sources.push_back(Package("parser", "1.2.0", R"({"ent":"~2.2.0"})"));
  sources.push_back(Package("ent", "2.2.0"));
  sources.push_back(Package("ent", "4.5.0"));
  sources.push_back(Package("ent", "3.0.0"));  // nobody needs it
  auto plan = PlanInstall(std::move(sources));
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(Dirs(*plan),
            (std::vector<std::string>{"ent@4.5.0", "parser@1.2.0", "parser/node_modules/ent@2.2.0", "san@1.0.0"}));
  ASSERT_EQ(plan->warnings.size(), 1u);
  EXPECT_NE(plan->warnings[0].find("ent@3.0.0"), std::string::npos) << plan->warnings[0];
}

TEST(PlanInstall, ALockfilePlacesEachTarball) {
  const std::string lock = R"({"lockfileVersion":3,"packages":{
    "":{"name":"app","dependencies":{"san":"^1.0.0"}},
    "node_modules/san":{"version":"1.0.0"},
    "node_modules/ent":{"version":"4.5.0"},
    "node_modules/parser":{"version":"1.2.0"},
    "node_modules/parser/node_modules/ent":{"version":"2.2.0"},
    "node_modules/dev-only":{"version":"9.0.0","dev":true}}})";
  std::vector<PackageSource> sources;
  sources.push_back(Package("ent", "2.2.0"));
  sources.push_back(Package("ent", "4.5.0"));
  sources.push_back(Package("san", "1.0.0", R"({"ent":"^4.0.0","parser":"^1.0.0"})"));
  sources.push_back(Package("parser", "1.2.0", R"({"ent":"~2.2.0"})"));
  sources.push_back(Package("stray", "1.0.0"));
  sources.push_back(PackageSource{"lock", {{"package-lock.json", lock},
                                           {"package.json", R"({"dependencies":{"san":"^1.0.0"}})"}}});
  auto plan = PlanInstall(std::move(sources));
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(Dirs(*plan),
            (std::vector<std::string>{"ent@4.5.0", "parser@1.2.0", "parser/node_modules/ent@2.2.0", "san@1.0.0"}));
  ASSERT_EQ(plan->warnings.size(), 1u);
  EXPECT_NE(plan->warnings[0].find("stray@1.0.0 is not in package-lock.json"), std::string::npos);
  ASSERT_TRUE(plan->project_dependencies.is_object());
}

TEST(PlanInstall, ALockfileKeyOutsideNodeModulesIsRefused) {
  for (const char* key : {"node_modules/../../_system/x", "node_modules/a/node_modules/", "node_modules/a/b"}) {
    std::vector<PackageSource> sources;
    sources.push_back(Package("a", "1.0.0"));
    sources.push_back(PackageSource{"lock", {{"package-lock.json", std::string(R"({"lockfileVersion":3,"packages":{")") +
                                                                       key + R"(":{"version":"1.0.0"}}})"}}});
    auto plan = PlanInstall(std::move(sources));
    ASSERT_FALSE(plan.ok()) << key;
    EXPECT_EQ(plan.error().http_status, 400) << key;
  }
}

TEST(PlanInstall, AnOldLockfileIsRefused) {
  std::vector<PackageSource> sources;
  sources.push_back(Package("a", "1.0.0"));
  sources.push_back(PackageSource{"lock", {{"package-lock.json", R"({"lockfileVersion":1,"dependencies":{}})"}}});
  auto plan = PlanInstall(std::move(sources));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().http_status, 400);
}

TEST(PlanInstall, ABundleOfTarballsIsOneSourceEach) {
  const std::string a = TarEntry("package/package.json", Manifest("a", "1.0.0")) + std::string(1024, '\0');
  const std::string b = TarEntry("package/package.json", Manifest("b", "1.0.0")) + std::string(1024, '\0');
  const std::string bundle = TarEntry("a-1.0.0.tar", a) + TarEntry("b-1.0.0.tar", b) + std::string(1024, '\0');
  auto sources = SourcesFromArchive(bundle, "body");
  ASSERT_TRUE(sources.ok()) << sources.error().message;
  ASSERT_EQ(sources->size(), 2u);
  auto plan = PlanInstall(std::move(*sources));
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(Dirs(*plan), (std::vector<std::string>{"a@1.0.0", "b@1.0.0"}));
  // A package that merely ships a tarball among its files stays a package.
  const std::string package = TarEntry("package/package.json", Manifest("c", "1.0.0")) +
                              TarEntry("package/fixture.tgz", "x") + std::string(1024, '\0');
  auto one = SourcesFromArchive(package, "body");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->size(), 1u);
}

TEST(PlanInstall, TooManyFilesIs413) {
  PackageSource big{"big.tgz", {{"package.json", Manifest("big", "1.0.0")}}};
  for (size_t i = 0; i < kMaxPackageFiles; ++i) big.files.push_back({"f" + std::to_string(i) + ".js", ""});
  std::vector<PackageSource> sources;
  sources.push_back(std::move(big));
  auto plan = PlanInstall(std::move(sources));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().http_status, 413);
}

}  // namespace
}  // namespace hbf::docs

// Black-box tests of installing packages with their dependencies (issue
// #20 item 4): a node_modules folder, a bundle of tarballs and a lockfile
// (API and CLI), several versions of one name resolved as Node does, the
// install-time dependency check (400 listing what is missing, or warnings
// with force), a package as large as date-fns, and a module that throws at
// load leaving the henv's documents up. The tarballs are built here, plain
// ustar (hbf reads gzip or not).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "blackbox/henv_fixture.h"
#include "support/tar_builder.h"
#include "codec/gzip.h"

namespace hbf::test {
namespace {

using Files = std::vector<std::pair<std::string, std::string>>;


std::string Manifest(const std::string& name, const std::string& version, const std::string& deps = "{}") {
  return R"({"name":")" + name + R"(","version":")" + version + R"(","main":"index.js","dependencies":)" + deps + "}";
}

// sanitize-html's shape: `san` needs ent@^4 and `parser`, which needs ent@~2.2.
const char* kSanIndex =
    "const ent = require('ent');\nconst parser = require('parser');\n"
    "module.exports = () => ent.v + '/' + parser();\n";
const char* kParserIndex = "module.exports = () => require('./lib/deep.js')();\n";
const char* kParserDeep =
    "module.exports = () => require('ent').v;\n"
    "module.exports.paths = module.paths;\n";

Files SanPackage() {
  return {{"package/package.json", Manifest("san", "1.0.0", R"({"ent":"^4.0.0","parser":"^1.0.0"})")},
          {"package/index.js", kSanIndex}};
}
Files ParserPackage() {
  return {{"package/package.json", Manifest("parser", "1.2.0", R"({"ent":"~2.2.0"})")},
          {"package/index.js", kParserIndex},
          {"package/lib/deep.js", kParserDeep}};
}
Files EntPackage(const std::string& version) {
  return {{"package/package.json", Manifest("ent", version)},
          {"package/index.js", "exports.v = 'ent" + version + "';\n"}};
}

class PackageTreeTest : public OneHenvTest {
 protected:
  HttpReply Install(const std::string& body, const std::string& query = "") {
    return Fetch(port(), {"POST", "/_api/modules" + query, host_,
                          {{"Authorization", "Bearer " + token_}, {"Content-Type", "application/gzip"}}, body});
  }

  void RouteSan() {
    Put("_system/router.js", R"js(
import { Router } from "hbf:router";
import san from "san";
const router = new Router();
router.get("/san", (req, res) => res.json({ san: san(), top: require("ent").v }));
export default router;
)js");
  }
};

TEST_F(PackageTreeTest, ANodeModulesFolderKeepsTwoVersionsOfAName) {
  Files tree = {
      {"node_modules/.package-lock.json", "{}"},
      {"node_modules/san/package.json", Manifest("san", "1.0.0", R"({"ent":"^4.0.0","parser":"^1.0.0"})")},
      {"node_modules/san/index.js", kSanIndex},
      {"node_modules/ent/package.json", Manifest("ent", "4.5.0")},
      {"node_modules/ent/index.js", "exports.v = 'ent4.5.0';\n"},
      {"node_modules/parser/package.json", Manifest("parser", "1.2.0", R"({"ent":"~2.2.0"})")},
      {"node_modules/parser/index.js", kParserIndex},
      {"node_modules/parser/lib/deep.js", kParserDeep},
      {"node_modules/parser/node_modules/ent/package.json", Manifest("ent", "2.2.0")},
      {"node_modules/parser/node_modules/ent/index.js", "exports.v = 'ent2.2.0';\n"},
      // An ES module package importing its own nested version.
      {"node_modules/tops/package.json",
       R"({"name":"tops","version":"1.0.0","type":"module","exports":"./index.js","dependencies":{"ent":"2.2.0"}})"},
      {"node_modules/tops/index.js", "import ent from 'ent';\nexport default 'tops:' + ent.v;\n"},
      {"node_modules/tops/node_modules/ent/package.json", Manifest("ent", "2.2.0")},
      {"node_modules/tops/node_modules/ent/index.js", "exports.v = 'ent2.2.0 under tops';\n"},
  };
  auto installed = Install(Tar(tree));
  ASSERT_EQ(installed.status, 201) << installed.body;
  EXPECT_NE(installed.body.find(R"("dir":"modules/parser/node_modules/ent")"), std::string::npos) << installed.body;
  EXPECT_NE(installed.body.find(R"("missing":[])"), std::string::npos) << installed.body;
  RouteSan();
  auto san = Get("/san");
  ASSERT_EQ(san.status, 200) << san.body;
  EXPECT_EQ(san.body, R"({"san":"ent4.5.0/ent2.2.0","top":"ent4.5.0"})");
  auto listed = Api("GET", "/_api/modules");
  EXPECT_NE(listed.body.find(R"({"name":"ent","version":"4.5.0"})"), std::string::npos) << listed.body;
  Put("_system/router.js", R"js(
import { Router } from "hbf:router";
import tops from "tops";
import ent from "ent";
const router = new Router();
router.get("/tops", (req, res) => res.json({ tops, ent: ent.v }));
export default router;
)js");
  EXPECT_EQ(Get("/tops").body, R"({"tops":"tops:ent2.2.0 under tops","ent":"ent4.5.0"})");
  Put("_system/router.js", R"js(
import { Router } from "hbf:router";
const router = new Router();
router.get("/paths", (req, res) => res.json(require("parser/lib/deep.js").paths));
export default router;
)js");
  EXPECT_EQ(Get("/paths").body, R"(["modules/parser/lib/node_modules","modules/parser/node_modules","modules"])");
  RouteSan();
  // Replacing the top ent@4 by ent@2 would break san, installed earlier.
  auto downgrade = Install(Tar(EntPackage("2.2.0")));
  EXPECT_EQ(downgrade.status, 400) << downgrade.body;
  EXPECT_NE(downgrade.body.find("ent@^4.0.0 (needed by modules/san): found ent@2.2.0 at modules/ent"), std::string::npos)
      << downgrade.body;
  EXPECT_EQ(Get("/san").body, R"({"san":"ent4.5.0/ent2.2.0","top":"ent4.5.0"})");
}

TEST_F(PackageTreeTest, ABundleOfTarballsIsHoistedAsNpmWould) {
  const std::string bundle = Tar({{"san-1.0.0.tgz", Tar(SanPackage())},
                                  {"parser-1.2.0.tgz", Tar(ParserPackage())},
                                  {"ent-2.2.0.tgz", Tar(EntPackage("2.2.0"))},
                                  {"ent-4.5.0.tgz", Tar(EntPackage("4.5.0"))}});
  auto installed = Install(bundle);
  ASSERT_EQ(installed.status, 201) << installed.body;
  EXPECT_NE(installed.body.find(R"("name":"ent","version":"2.2.0","dir":"modules/parser/node_modules/ent")"),
            std::string::npos)
      << installed.body;
  RouteSan();
  auto san = Get("/san");
  ASSERT_EQ(san.status, 200) << san.body;
  EXPECT_EQ(san.body, R"({"san":"ent4.5.0/ent2.2.0","top":"ent4.5.0"})");
}

TEST_F(PackageTreeTest, TheCliPlacesTarballsWhereTheLockfileSays) {
  TempDir dir;
  std::vector<std::string> args = {"modules", "add", "--henv", hash_, "--storage_dir", server_->storage_dir()};
  const std::pair<std::string, Files> tarballs[] = {{"san-1.0.0.tgz", SanPackage()},
                                                    {"parser-1.2.0.tgz", ParserPackage()},
                                                    {"ent-2.2.0.tgz", EntPackage("2.2.0")},
                                                    {"ent-4.5.0.tgz", EntPackage("4.5.0")}};
  for (const auto& [name, files] : tarballs) {
    std::ofstream(dir.path() + "/" + name, std::ios::binary) << Tar(files);
    args.push_back(dir.path() + "/" + name);
  }
  // The lockfile nests ent@4.5.0 under san this time, and ent@2.2.0 on top.
  std::ofstream(dir.path() + "/package-lock.json") << R"({"lockfileVersion":3,"packages":{
    "":{"name":"app","dependencies":{"san":"^1.0.0"}},
    "node_modules/san":{"version":"1.0.0"},
    "node_modules/san/node_modules/ent":{"version":"4.5.0"},
    "node_modules/parser":{"version":"1.2.0"},
    "node_modules/ent":{"version":"2.2.0"}}})";
  std::ofstream(dir.path() + "/package.json") << R"({"name":"app","dependencies":{"san":"^1.0.0"}})";
  args.push_back(dir.path() + "/package-lock.json");
  args.push_back(dir.path() + "/package.json");
  auto run = RunHbf(args);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("installed ent@4.5.0 (2 files) into " + hash_ + " as modules/san/node_modules/ent/"),
            std::string::npos)
      << run.out;
  RouteSan();
  auto san = Get("/san");
  ASSERT_EQ(san.status, 200) << san.body;
  EXPECT_EQ(san.body, R"({"san":"ent4.5.0/ent2.2.0","top":"ent2.2.0"})");
}

TEST_F(PackageTreeTest, MissingDependenciesAreListedAtInstallOrForced) {
  ASSERT_EQ(Install(Tar(EntPackage("4.5.0"))).status, 201);
  const std::string needy =
      Tar({{"package/package.json",
            R"({"name":"needy","version":"1.0.0","dependencies":{"left-pad":"^1.3.0","ent":"^9.0.0"},)"
            R"("optionalDependencies":{"fsevents":"^2"},"peerDependencies":{"react":">=18","ent":"*"},)"
            R"("peerDependenciesMeta":{"react":{"optional":true}}})"},
           {"package/index.js", "module.exports = require('left-pad');\n"}});
  auto refused = Install(needy);
  ASSERT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(refused.error_code(), "missing_dependencies");
  const std::string message = refused.json().find("error")->find("message")->as_string();
  EXPECT_NE(message.find("left-pad@^1.3.0 (needed by modules/needy)"), std::string::npos) << message;
  EXPECT_NE(message.find("ent@^9.0.0 (needed by modules/needy): found ent@4.5.0 at modules/ent"), std::string::npos)
      << message;
  EXPECT_EQ(message.find("fsevents"), std::string::npos) << "optional dependencies are not required";
  EXPECT_EQ(message.find("react"), std::string::npos) << "optional peers are not required";
  const Json* missing = refused.json().find("error")->find("missing");
  ASSERT_TRUE(missing != nullptr && missing->is_array()) << refused.body;
  EXPECT_EQ(missing->as_array().size(), 2u) << refused.body;
  // Nothing was installed.
  EXPECT_EQ(Api("GET", "/_api/modules").body.find("needy"), std::string::npos);
  EXPECT_EQ(Api("GET", "/_api/documents/modules/needy/package.json").status, 404);

  auto forced = Install(needy, "?force=1");
  ASSERT_EQ(forced.status, 201) << forced.body;
  EXPECT_NE(forced.body.find("missing dependency: left-pad@^1.3.0 (needed by modules/needy)"), std::string::npos)
      << forced.body;
  EXPECT_NE(Api("GET", "/_api/modules").body.find("needy"), std::string::npos);

  // The CLI says the same, and --force installs.
  TempDir dir;
  std::ofstream(dir.path() + "/lonely.tgz", std::ios::binary)
      << Tar({{"package/package.json", Manifest("lonely", "1.0.0", R"({"nowhere":"1.x"})")}});
  std::vector<std::string> args = {"modules", "add", "--henv", hash_, "--storage_dir", server_->storage_dir(),
                                   dir.path() + "/lonely.tgz"};
  auto cli = RunHbf(args);
  EXPECT_EQ(cli.exit_code, 1);
  EXPECT_NE(cli.err.find("nowhere@1.x (needed by modules/lonely)"), std::string::npos) << cli.err;
  args.push_back("--force");
  cli = RunHbf(args);
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_NE(cli.err.find("warning: missing dependency: nowhere@1.x"), std::string::npos) << cli.err;
}

// date-fns 4 ships 5,136 files (the old bound was 5,000); a bound still holds.
TEST_F(PackageTreeTest, APackageAsLargeAsDateFnsInstallsAndTheBoundIs413) {
  Files big = {{"package/package.json", R"({"name":"big","version":"1.0.0","main":"f5999.js"})"}};
  for (int i = 0; i < 6000; ++i) {
    big.emplace_back("package/f" + std::to_string(i) + ".js", "module.exports = " + std::to_string(i) + ";\n");
  }
  auto installed = Install(Tar(big));
  ASSERT_EQ(installed.status, 201) << installed.body;
  EXPECT_NE(installed.body.find(R"("files":6001)"), std::string::npos) << installed.body;
  Put("_system/router.js", R"js(
import { Router } from "hbf:router";
import n from "big";
const router = new Router();
router.get("/big", (req, res) => res.json({ n, other: require("big/f42.js") }));
export default router;
)js");
  EXPECT_EQ(Get("/big").body, R"({"n":5999,"other":42})");

  Files huge = {{"package/package.json", R"({"name":"huge","version":"1.0.0"})"}};
  for (int i = 0; i < 20000; ++i) huge.emplace_back("package/f" + std::to_string(i), "");
  auto refused = Install(codec::Gzip(Tar(huge)));  // gzip: a plain tar this long is past the 10 MB body bound
  EXPECT_EQ(refused.status, 413) << refused.body;
  EXPECT_NE(refused.body.find("more than 20000 files"), std::string::npos) << refused.body;
  EXPECT_EQ(refused.error_code(), "payload_too_large");
}

TEST_F(PackageTreeTest, AModuleThatThrowsAtLoadLeavesDocumentsUp) {
  Put("index.html", "<h1>still here</h1>", "text/html");
  ASSERT_EQ(Install(Tar({{"package/package.json", Manifest("boom", "1.0.0")},
                         {"package/index.js", "throw new Error('boom at load');\n"}}))
                .status,
            201);
  // Required lazily: only the route that needs it fails.
  Put("_system/router.js", R"js(
import { Router } from "hbf:router";
const router = new Router();
router.get("/lazy", (req, res) => res.json(require("boom")));
router.get("/fine", (req, res) => res.send("fine"));
export default router;
)js");
  EXPECT_EQ(Get("/lazy").status, 500);
  EXPECT_EQ(Get("/fine").body, "fine");
  EXPECT_EQ(Get("/").body, "<h1>still here</h1>");
  // Imported by the router: the router is unavailable, documents are not.
  Put("_system/router.js", R"js(
import { Router } from "hbf:router";
import boom from "boom";
const router = new Router();
router.get("/fine", (req, res) => res.send("fine " + boom));
export default router;
)js");
  auto fine = Get("/fine");
  EXPECT_EQ(fine.status, 503) << fine.body;
  EXPECT_EQ(fine.error_code(), "router_unavailable");
  auto doc = Get("/");
  EXPECT_EQ(doc.status, 200);
  EXPECT_EQ(doc.body, "<h1>still here</h1>");
}

}  // namespace
}  // namespace hbf::test

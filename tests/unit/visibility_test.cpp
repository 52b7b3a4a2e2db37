// documents/visibility.h: which documents are served.
#include "documents/visibility.h"

#include <gtest/gtest.h>

namespace hbf::docs {
namespace {

TEST(GlobMatch, SegmentsStarsAndDoubleStars) {
  EXPECT_TRUE(GlobMatch("lib/*.js", "lib/a.js"));
  EXPECT_FALSE(GlobMatch("lib/*.js", "lib/sub/a.js"));
  EXPECT_TRUE(GlobMatch("lib/**", "lib/sub/a.js"));
  EXPECT_TRUE(GlobMatch("**/*.ejs", "views/deep/page.ejs"));
  EXPECT_TRUE(GlobMatch("**/*.ejs", "page.ejs")) << "**/ matches zero segments";
  EXPECT_TRUE(GlobMatch("a/**/z.txt", "a/z.txt"));
  EXPECT_TRUE(GlobMatch("a/**/z.txt", "a/b/c/z.txt"));
  EXPECT_TRUE(GlobMatch("file?.txt", "file1.txt"));
  EXPECT_FALSE(GlobMatch("a?b", "a/b"));
  EXPECT_FALSE(GlobMatch("lib/*", "library/x"));
  EXPECT_TRUE(GlobMatch("*", "top.txt"));
  EXPECT_FALSE(GlobMatch("*", "dir/top.txt"));
}

TEST(IsPublic, RulesInOrder) {
  VisibilityRules none;
  EXPECT_TRUE(IsPublic("index.html", "", none, false));
  EXPECT_FALSE(IsPublic("lib/secret.js", "", none, true)) << "loaded by the server";
  for (const char* id : {"_system/router.js", "modules/x/index.js", "views/page.ejs"}) {
    EXPECT_FALSE(IsPublic(id, "", none, false)) << id;
  }
  EXPECT_TRUE(IsPublic("lib/secret.js", "public", none, true)) << "the document's own say wins";
  EXPECT_FALSE(IsPublic("index.html", "private", none, false));
  EXPECT_FALSE(IsPublic("_system/router.js", "public", none, false)) << "never _system";
  VisibilityRules rules = ParseVisibilityRules(" drafts/** , /secret.txt", "views/, lib/public.js");
  EXPECT_FALSE(IsPublic("drafts/a/b.md", "", rules, false));
  EXPECT_FALSE(IsPublic("secret.txt", "", rules, false)) << "a leading / names the same id";
  EXPECT_TRUE(IsPublic("views/about.html", "", rules, false));
  EXPECT_TRUE(IsPublic("lib/public.js", "", rules, true)) << "an explicit rule over the loaded-code default";
  VisibilityRules both = ParseVisibilityRules("x/**", "x/**");
  EXPECT_FALSE(IsPublic("x/y", "", both, false)) << "private_paths before public_paths";
}

}  // namespace
}  // namespace hbf::docs

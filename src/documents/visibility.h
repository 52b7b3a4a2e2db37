// Which documents a henv serves to the world.
//
// A document is served by its path only when it is public. In order, the
// first rule that speaks decides:
//   0. `_system/**` is never served;
//   1. the document's own visibility ("public" / "private", set through the
//      documents API);
//   2. the henv's `private_paths` config (comma-separated globs), then its
//      `public_paths`;
//   3. the defaults: `_system/**`, `modules/**` and `views/**` are private,
//      and so is any document the henv's server code has loaded as a module
//      (router.js's imports, direct or transitive, CommonJS requires, JSON
//      modules) or rendered as a template;
//   4. everything else is public.
// Globs: `*` matches within one path segment, `**` across segments, `?` one
// character; a pattern ending in `/` means everything under it.
//
// Thread safety: pure functions; VisibilityRules is immutable once parsed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hbf::docs {

struct VisibilityRules {
  std::vector<std::string> private_globs;
  std::vector<std::string> public_globs;
};

// From the two config values (either may be empty).
VisibilityRules ParseVisibilityRules(std::string_view private_csv, std::string_view public_csv);

bool GlobMatch(std::string_view pattern, std::string_view path);

// `own`: the document's own visibility ("public", "private" or "").
// `loaded_by_server`: the henv's server code loaded or rendered it.
bool IsPublic(std::string_view id, std::string_view own, const VisibilityRules& rules, bool loaded_by_server);

}  // namespace hbf::docs

#include "documents/visibility.h"

#include <algorithm>
#include <vector>

#include "core/text.h"

namespace hbf::docs {
namespace {

std::vector<std::string> SplitGlobs(std::string_view csv) {
  std::vector<std::string> out;
  while (!csv.empty()) {
    size_t comma = csv.find(',');
    std::string_view item = TrimBlanks(csv.substr(0, comma));
    csv = comma == std::string_view::npos ? std::string_view() : csv.substr(comma + 1);
    if (item.empty()) continue;
    if (item.front() == '/') item.remove_prefix(1);  // "/lib/**" means the document id "lib/**"
    std::string glob(item);
    if (!glob.empty() && glob.back() == '/') glob += "**";
    if (!glob.empty()) out.push_back(std::move(glob));
  }
  return out;
}

// Glob matching by dynamic programming over (pattern position, path
// position): O(|p| x |s|) whatever the stars, no backtracking blow-up.
bool Match(std::string_view p, std::string_view s) {
  const size_t n = s.size();
  // reach[j]: the pattern prefix consumed so far matches s[0, j).
  std::vector<char> reach(n + 1, 0), next(n + 1, 0);
  reach[0] = 1;
  size_t pi = 0;
  while (pi < p.size()) {
    std::fill(next.begin(), next.end(), 0);
    if (p[pi] == '*') {
      const bool any = pi + 1 < p.size() && p[pi + 1] == '*';
      const size_t len = any ? 2 : 1;
      // "**/" may also match nothing at all (zero segments).
      const bool zero_segments = any && pi + 2 < p.size() && p[pi + 2] == '/';
      for (size_t j = 0; j <= n; ++j) {
        if (!reach[j]) continue;
        next[j] = 1;
        for (size_t k = j; k < n && (any || s[k] != '/'); ++k) next[k + 1] = 1;
      }
      if (zero_segments) {
        // "**/": either "**" then a literal '/', or nothing at all.
        std::vector<char> after(n + 1, 0);
        for (size_t j = 0; j < n; ++j) {
          if (next[j] && s[j] == '/') after[j + 1] = 1;
        }
        for (size_t j = 0; j <= n; ++j) reach[j] = static_cast<char>(after[j] || reach[j]);
        pi += 3;
        continue;
      }
      pi += len;
    } else {
      for (size_t j = 0; j < n; ++j) {
        if (reach[j] && (p[pi] == s[j] || (p[pi] == '?' && s[j] != '/'))) next[j + 1] = 1;
      }
      ++pi;
    }
    reach.swap(next);
  }
  return reach[n] != 0;
}

bool AnyMatch(const std::vector<std::string>& globs, std::string_view id) {
  for (const auto& g : globs) {
    if (Match(g, id)) return true;
  }
  return false;
}

bool UnderDefaultPrivateFolder(std::string_view id) {
  for (std::string_view folder : {"_system/", "modules/", "views/"}) {
    if (id.substr(0, folder.size()) == folder) return true;
  }
  return false;
}

}  // namespace

VisibilityRules ParseVisibilityRules(std::string_view private_csv, std::string_view public_csv) {
  return VisibilityRules{SplitGlobs(private_csv), SplitGlobs(public_csv)};
}

bool GlobMatch(std::string_view pattern, std::string_view path) { return Match(pattern, path); }

bool IsPublic(std::string_view id, std::string_view own, const VisibilityRules& rules, bool loaded_by_server) {
  if (id.substr(0, 8) == "_system/") return false;  // the henv's own code and settings: never
  if (own == "public") return true;
  if (own == "private") return false;
  if (AnyMatch(rules.private_globs, id)) return false;
  if (AnyMatch(rules.public_globs, id)) return true;
  return !UnderDefaultPrivateFolder(id) && !loaded_by_server;
}

}  // namespace hbf::docs

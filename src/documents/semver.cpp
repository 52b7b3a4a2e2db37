// Desugars each range into comparator sets the way node-semver does
// (its README's "Advanced Range Syntax"), then tests the version against
// every comparator of some set.
#include "documents/semver.h"

#include <algorithm>

namespace hbf::docs::semver {
namespace {

enum class Op { kLt, kLe, kGt, kGe, kEq };

struct Comparator {
  Op op;
  Version v;
};
using ComparatorSet = std::vector<Comparator>;

// A version with some parts left out or wildcarded ("1", "1.2.x", "*").
struct Partial {
  int known = 0;  // how many of major, minor, patch are numbers (0..3)
  int64_t part[3] = {0, 0, 0};
  std::vector<std::string> pre;  // only when known == 3
};

bool IsDigits(std::string_view s) {
  return !s.empty() && s.size() <= 15 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsWild(std::string_view s) { return s == "x" || s == "X" || s == "*"; }

std::vector<std::string> SplitDots(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t dot = s.find('.', start);
    out.emplace_back(s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) return out;
    start = dot + 1;
  }
}

std::optional<Partial> ParsePartial(std::string_view text) {
  if (!text.empty() && (text.front() == 'v' || text.front() == 'V')) text.remove_prefix(1);
  if (size_t plus = text.find('+'); plus != std::string_view::npos) text = text.substr(0, plus);
  std::string_view pre;
  if (size_t dash = text.find('-'); dash != std::string_view::npos) {
    pre = text.substr(dash + 1);
    text = text.substr(0, dash);
    if (pre.empty()) return std::nullopt;
  }
  Partial p;
  if (text.empty()) return pre.empty() ? std::optional<Partial>(p) : std::nullopt;
  auto parts = SplitDots(text);
  if (parts.size() > 3) return std::nullopt;
  bool wild = false;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (IsWild(parts[i])) {
      wild = true;
      continue;
    }
    if (wild || !IsDigits(parts[i])) return std::nullopt;
    p.part[i] = std::stoll(parts[i]);
    p.known = static_cast<int>(i) + 1;
  }
  if (!pre.empty()) {
    if (p.known != 3) return std::nullopt;
    for (auto& id : SplitDots(pre)) {
      if (id.empty()) return std::nullopt;
      for (char c : id) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-')) {
          return std::nullopt;
        }
      }
      p.pre.push_back(id);
    }
  }
  return p;
}

Version V(int64_t major, int64_t minor, int64_t patch, std::vector<std::string> pre = {}) {
  return Version{major, minor, patch, std::move(pre)};
}
Version Floor(const Partial& p) { return V(p.part[0], p.part[1], p.part[2], p.pre); }
// The smallest version above every version the partial covers, as "-0".
Version Ceiling(const Partial& p) {
  if (p.known == 1) return V(p.part[0] + 1, 0, 0, {"0"});
  return V(p.part[0], p.part[1] + 1, 0, {"0"});
}
const Comparator kAny{Op::kGe, Version{}};
const Comparator kNone{Op::kLt, Version{0, 0, 0, {"0"}}};

// One comparator token ("^1.2", ">=2", "1.x") as comparators.
std::optional<ComparatorSet> Desugar(std::string_view token) {
  std::string_view op;
  for (std::string_view candidate : {">=", "<=", "~>", ">", "<", "=", "~", "^"}) {
    if (token.substr(0, candidate.size()) == candidate) {
      op = candidate;
      break;
    }
  }
  auto p = ParsePartial(token.substr(op.size()));
  if (!p) return std::nullopt;
  const int n = p->known;
  if (op.empty() || op == "=") {
    if (n == 0) return ComparatorSet{kAny};
    if (n == 3) return ComparatorSet{{Op::kEq, Floor(*p)}};
    return ComparatorSet{{Op::kGe, Floor(*p)}, {Op::kLt, Ceiling(*p)}};
  }
  if (op == "~" || op == "~>") {
    if (n == 0) return ComparatorSet{kAny};
    Partial upper = *p;
    upper.known = n == 1 ? 1 : 2;
    return ComparatorSet{{Op::kGe, Floor(*p)}, {Op::kLt, Ceiling(upper)}};
  }
  if (op == "^") {
    if (n == 0) return ComparatorSet{kAny};
    const int64_t major = p->part[0], minor = p->part[1], patch = p->part[2];
    Version upper;
    if (n == 1 || major > 0) {
      upper = V(major + 1, 0, 0, {"0"});
    } else if (n == 2 || minor > 0) {
      upper = V(0, minor + 1, 0, {"0"});
    } else {
      upper = V(0, 0, patch + 1, {"0"});
    }
    return ComparatorSet{{Op::kGe, Floor(*p)}, {Op::kLt, upper}};
  }
  if (op == ">") {
    if (n == 0) return ComparatorSet{kNone};
    if (n == 3) return ComparatorSet{{Op::kGt, Floor(*p)}};
    Version above = Ceiling(*p);
    above.pre.clear();
    return ComparatorSet{{Op::kGe, above}};
  }
  if (op == ">=") return ComparatorSet{n == 0 ? kAny : Comparator{Op::kGe, Floor(*p)}};
  if (op == "<") {
    if (n == 0) return ComparatorSet{kNone};
    if (n == 3) return ComparatorSet{{Op::kLt, Floor(*p)}};
    Version below = Floor(*p);
    below.pre = {"0"};
    return ComparatorSet{{Op::kLt, below}};
  }
  // "<="
  if (n == 0) return ComparatorSet{kAny};
  if (n == 3) return ComparatorSet{{Op::kLe, Floor(*p)}};
  return ComparatorSet{{Op::kLt, Ceiling(*p)}};
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// One "||" alternative as a comparator set.
std::optional<ComparatorSet> ParseAlternative(std::string_view text) {
  text = Trim(text);
  if (size_t hyphen = text.find(" - "); hyphen != std::string_view::npos) {
    auto low = ParsePartial(Trim(text.substr(0, hyphen)));
    auto high = ParsePartial(Trim(text.substr(hyphen + 3)));
    if (!low || !high) return std::nullopt;
    ComparatorSet set;
    set.push_back(low->known == 0 ? kAny : Comparator{Op::kGe, Floor(*low)});
    if (high->known == 3) {
      set.push_back({Op::kLe, Floor(*high)});
    } else if (high->known > 0) {
      set.push_back({Op::kLt, Ceiling(*high)});
    }
    return set;
  }
  // Tokens split on spaces; an operator standing alone (">= 1.2") joins the next.
  ComparatorSet set;
  std::string pending;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find_first_of(" \t", pos);
    std::string_view word = text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    if (word.empty()) continue;
    pending += word;
    if (word.find_first_not_of("<>=~^") == std::string_view::npos) continue;  // an operator alone
    auto part = Desugar(pending);
    if (!part) return std::nullopt;
    set.insert(set.end(), part->begin(), part->end());
    pending.clear();
  }
  if (!pending.empty()) return std::nullopt;
  if (set.empty()) set.push_back(kAny);
  return set;
}

bool Matches(const Comparator& c, const Version& v) {
  const int cmp = Compare(v, c.v);
  switch (c.op) {
    case Op::kLt: return cmp < 0;
    case Op::kLe: return cmp <= 0;
    case Op::kGt: return cmp > 0;
    case Op::kGe: return cmp >= 0;
    case Op::kEq: return cmp == 0;
  }
  return false;
}

bool SetMatches(const ComparatorSet& set, const Version& v) {
  for (const auto& c : set) {
    if (!Matches(c, v)) return false;
  }
  if (v.pre.empty()) return true;
  // A prerelease only matches where a comparator of the same release opts in.
  for (const auto& c : set) {
    if (!c.v.pre.empty() && c.v.major == v.major && c.v.minor == v.minor && c.v.patch == v.patch &&
        !(c.v.pre.size() == 1 && c.v.pre[0] == "0" && c.op == Op::kLt)) {
      return true;
    }
  }
  return false;
}

int CompareIdentifier(const std::string& a, const std::string& b) {
  const bool an = IsDigits(a), bn = IsDigits(b);
  if (an && bn) {
    const int64_t x = std::stoll(a), y = std::stoll(b);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (an != bn) return an ? -1 : 1;  // numeric identifiers sort first
  return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
}

}  // namespace

std::optional<Version> ParseVersion(std::string_view text) {
  text = Trim(text);
  if (!text.empty() && text.front() == '=') text.remove_prefix(1);
  auto p = ParsePartial(text);
  if (!p || p->known != 3 || IsWild(text)) return std::nullopt;
  return Floor(*p);
}

int Compare(const Version& a, const Version& b) {
  if (a.major != b.major) return a.major < b.major ? -1 : 1;
  if (a.minor != b.minor) return a.minor < b.minor ? -1 : 1;
  if (a.patch != b.patch) return a.patch < b.patch ? -1 : 1;
  if (a.pre.empty() || b.pre.empty()) return a.pre.empty() == b.pre.empty() ? 0 : (a.pre.empty() ? 1 : -1);
  for (size_t i = 0; i < std::min(a.pre.size(), b.pre.size()); ++i) {
    if (int c = CompareIdentifier(a.pre[i], b.pre[i]); c != 0) return c;
  }
  return a.pre.size() == b.pre.size() ? 0 : (a.pre.size() < b.pre.size() ? -1 : 1);
}

std::optional<bool> Satisfies(std::string_view version, std::string_view range) {
  std::vector<ComparatorSet> sets;
  size_t start = 0;
  for (;;) {
    size_t bar = range.find("||", start);
    auto set = ParseAlternative(range.substr(start, bar == std::string_view::npos ? std::string_view::npos : bar - start));
    if (!set) return std::nullopt;
    sets.push_back(std::move(*set));
    if (bar == std::string_view::npos) break;
    start = bar + 2;
  }
  auto v = ParseVersion(version);
  if (!v) return false;
  for (const auto& set : sets) {
    if (SetMatches(set, *v)) return true;
  }
  return false;
}

}  // namespace hbf::docs::semver

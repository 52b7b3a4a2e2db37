// npm's semantic versions and ranges, the common subset a package.json's
// "dependencies" use: exact versions, x-ranges ("1", "1.2.x", "*", ""),
// comparators (<, <=, >, >=, =), tilde (~1.2.3), caret (^1.2.3), hyphen
// ranges ("1.2.3 - 2.3"), intersections (space) and unions ("||"), with
// npm's prerelease rule (a prerelease version matches only a comparator of
// the same major.minor.patch that names a prerelease). Build metadata is
// ignored. Used by the install-time dependency check (package_tree.h).
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hbf::docs::semver {

struct Version {
  int64_t major = 0;
  int64_t minor = 0;
  int64_t patch = 0;
  std::vector<std::string> pre;  // "1.0.0-beta.2" -> {"beta", "2"}
};

// A full version ("1.2.3", "v1.2.3-rc.1+build"); nullopt when it is not one.
std::optional<Version> ParseVersion(std::string_view text);

// <0, 0, >0 as a orders before, with or after b (semver precedence).
int Compare(const Version& a, const Version& b);

// Whether `version` satisfies `range`. nullopt when `range` is not a
// semver range (a tag such as "latest", a URL, "git+...", "file:",
// "npm:alias@...", "workspace:"): the caller cannot judge it and should
// accept any version. A version that does not parse satisfies nothing.
std::optional<bool> Satisfies(std::string_view version, std::string_view range);

}  // namespace hbf::docs::semver

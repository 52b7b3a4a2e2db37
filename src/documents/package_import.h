// Installing JavaScript packages into a henv: the files of an npm package
// (a directory, or an npm .tgz / plain tar) become documents under
// modules/{name}/..., where the module loader finds them.
//
// Thread safety: pure functions, except InstallPackage which needs exclusive
// use of the henv's database (Henv::WithDb).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/result.h"
#include "db/database.h"

namespace hbf::docs {

struct PackageFile {
  std::string path;  // relative to the package root, '/'-separated
  std::string content;
};

inline constexpr size_t kMaxPackageFiles = 5000;
inline constexpr size_t kMaxPackageBytes = 64 << 20;

// The regular files of a tar archive (gzip-compressed or not). npm's
// "package/" top folder (or any single top folder) is stripped. Understands
// ustar, pax (path=) and GNU long names; refuses absolute paths and "..".
Result<std::vector<PackageFile>> ReadTarball(std::string_view archive);

// The files under `dir` (skipping node_modules and dot-folders).
Result<std::vector<PackageFile>> ReadDirectory(const std::string& dir);

struct InstalledPackage {
  std::string name;
  std::string version;
  size_t files = 0;
};
Json InstalledToJson(const InstalledPackage& p);

// Replaces modules/{name}/ with `files` in one transaction; the name and
// version come from the package's package.json.
Result<InstalledPackage> InstallPackage(db::Database& db, const std::vector<PackageFile>& files);

// Packages present in the henv (each modules/.../package.json).
Result<std::vector<InstalledPackage>> ListPackages(db::Database& db);

}  // namespace hbf::docs

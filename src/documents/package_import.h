// Reading JavaScript packages for a henv: the files of an npm package or a
// node_modules folder (a directory, or an npm .tgz / plain tar). Where they
// go under modules/ and the dependency check are package_tree.h.
//
// Thread safety: pure functions, except ListPackages which needs exclusive
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

// Bounds on one install (one archive, directory or bundle), whatever its
// shape; over either: 413. date-fns 4, the largest package measured, is
// 5,136 files and 10.9 MB unpacked (README "Modules and packages"); these
// leave room for a whole tree a few times that size while a henv's own
// bounds (max_documents, max_storage_mb) still apply on top.
inline constexpr size_t kMaxPackageFiles = 20000;
inline constexpr size_t kMaxPackageBytes = 128 << 20;
// A tar adds a 512-byte header and padding per file.
inline constexpr size_t kMaxArchiveBytes = kMaxPackageBytes + kMaxPackageFiles * 1024;

// npm's rules for a package name ("x", "@scope/x"; no ".."; upper case as
// old packages have it).
bool ValidPackageName(const std::string& name);

// The regular files of a tar archive (gzip-compressed or not). npm's
// "package/" top folder (or any single top folder) is stripped. Understands
// ustar, pax (path=) and GNU long names; refuses absolute paths and "..".
Result<std::vector<PackageFile>> ReadTarball(std::string_view archive);

// The files under `dir`, skipping dot-folders (.bin, .git). Nested
// node_modules folders are kept; `dir`'s own node_modules is skipped when
// `dir` is a package (package.json) without a lockfile: a working copy's
// dev installs, not what it ships.
Result<std::vector<PackageFile>> ReadDirectory(const std::string& dir);

struct InstalledPackage {
  std::string name;
  std::string version;
  size_t files = 0;
  std::string dir;  // under modules/ ("a", "a/node_modules/b"); set by InstallTree
};

// Packages present in the henv (each modules/.../package.json).
Result<std::vector<InstalledPackage>> ListPackages(db::Database& db);

}  // namespace hbf::docs

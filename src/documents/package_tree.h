// Installing a package with its dependencies: what `hbf modules add` and
// POST /_api/modules accept, where each package lands under modules/, and
// the install-time dependency check.
//
// Accepted inputs (each a PackageSource: the files of one tarball or
// directory):
// - one npm package (package.json at its root; its own node_modules/, if
//   any, is kept as it is);
// - a node_modules folder (no package.json at the root; each X/ or @s/X/
//   below is a package, nested node_modules/ kept);
// - a project folder holding package.json, a lockfile and node_modules/:
//   its node_modules/ is installed;
// - several packages at once (several sources, or one "bundle": a tar whose
//   root holds only .tgz/.tar files, optionally with package.json and
//   package-lock.json). With a lockfile (v2/v3 "packages"), each given
//   package is placed where the lockfile says ("node_modules/a/node_modules/b"
//   -> modules/a/node_modules/b). Without one, a name given in several
//   versions is placed as npm would hoist it: the version most dependents
//   accept at modules/{name}, the others nested under the packages that need
//   them.
//
// Layout: modules/ plays the part of the top node_modules folder, so a
// package placed at "a/node_modules/b" is modules/a/node_modules/b/...; the
// resolver (hbf:modules_resolve) walks up node_modules folders from the
// requiring file as Node does, then modules/{name}.
//
// Thread safety: pure functions, except InstallTree, which needs exclusive
// use of the henv's database (Henv::WithDb).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/result.h"
#include "db/database.h"
#include "documents/package_import.h"

namespace hbf::docs {

struct PackageSource {
  std::string label;  // the tarball's or directory's name, for messages
  std::vector<PackageFile> files;
};

// A request body or tarball file as sources: a bundle (see above) becomes
// one source per tarball plus one for its package.json/lockfile; anything
// else is one source.
Result<std::vector<PackageSource>> SourcesFromArchive(std::string_view archive, std::string label);

struct PlacedPackage {
  std::string dir;  // under modules/: "a", "@s/a", "a/node_modules/b"
  std::string name;
  std::string version;
  std::vector<PackageFile> files;  // relative to dir
};

struct InstallPlan {
  std::vector<PlacedPackage> packages;
  std::vector<std::string> warnings;  // e.g. a version no given package needs, left out
  Json project_dependencies;          // a lockfile project's package.json "dependencies" (or null)
};

// Where each package of `sources` goes. 400 for an unusable input (no
// package.json, a bad name, an unsupported lockfile), 413 past kMaxPackageFiles or kMaxPackageBytes.
Result<InstallPlan> PlanInstall(std::vector<PackageSource> sources);

// One unmet dependency: `package` (a dir under modules/) needs `name` in
// `range` and finds nothing there, or `found` (a version outside it).
struct MissingDependency {
  std::string package;  // "sanitize-html" or "" for the project
  std::string name;
  std::string range;
  std::string found;  // empty when no package of that name resolves
  std::string Describe() const;
};

struct InstallReport {
  bool committed = false;
  std::vector<InstalledPackage> packages;  // in plan order
  std::vector<MissingDependency> missing;
  std::vector<std::string> warnings;
  size_t files = 0;
};

// Replaces each planned package's folder (modules/{dir}/) with its files in
// one transaction, then checks the dependencies ("dependencies" and
// non-optional "peerDependencies") of every package written, nested ones
// included, as resolved from its own folder, and of packages already there
// that need one of the names written. With unmet dependencies and
// !force the transaction is rolled back and the report says so
// (committed = false, missing listed); with force it commits and lists them
// as warnings. Errors: a database failure, a document refused.
Result<InstallReport> InstallTree(db::Database& db, const InstallPlan& plan, bool force);

// The report as the API answers it: {"name","version","files"} of the
// first package (what a single-package install answered before), plus
// "packages" [{name, version, dir}], "warnings" and "missing".
Json InstallReportToJson(const InstallReport& report);

}  // namespace hbf::docs

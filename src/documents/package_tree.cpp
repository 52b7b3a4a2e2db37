// Implements package_tree.h: sources -> placed packages -> documents, then
// the dependency check over what the henv holds after the write.
#include "documents/package_tree.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "documents/document_store.h"
#include "documents/semver.h"

namespace hbf::docs {
namespace {

Error Invalid(std::string message) { return Error{"invalid_package", std::move(message), 400}; }
Error TooLarge(std::string message) { return Error{"payload_too_large", std::move(message), 413}; }

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

bool IsTarballName(std::string_view path) {
  return path.find('/') == std::string_view::npos &&
         (EndsWith(path, ".tgz") || EndsWith(path, ".tar.gz") || EndsWith(path, ".tar"));
}
bool IsLockName(std::string_view path) { return path == "package-lock.json" || path == "npm-shrinkwrap.json"; }

const PackageFile* FindFile(const std::vector<PackageFile>& files, std::string_view path) {
  for (const auto& f : files) {
    if (f.path == path) return &f;
  }
  return nullptr;
}

std::string StringField(const Json& json, std::string_view key) {
  const Json* v = json.find(key);
  return v != nullptr && v->is_string() ? v->as_string() : "";
}

// A package folder's name and version from its package.json.
Result<PlacedPackage> ReadManifest(std::vector<PackageFile> files, const std::string& where) {
  const PackageFile* manifest = FindFile(files, "package.json");
  if (manifest == nullptr) return Invalid(where + ": no package.json at the package's root");
  auto json = Json::Parse(manifest->content);
  if (!json.ok() || !json->is_object()) return Invalid(where + ": package.json is not a JSON object");
  PlacedPackage p;
  p.name = StringField(*json, "name");
  if (!ValidPackageName(p.name)) return Invalid(where + ": package.json has no valid \"name\"");
  p.version = StringField(*json, "version");
  p.dir = p.name;
  p.files = std::move(files);
  return p;
}

// The packages of a node_modules folder's files ("a/...", "@s/b/...").
// Dot entries (.bin, .package-lock.json, pnpm's .pnpm) are skipped.
Result<std::vector<PlacedPackage>> SplitNodeModules(std::vector<PackageFile> files, const std::string& label) {
  std::map<std::string, std::vector<PackageFile>> by_dir;
  for (auto& f : files) {
    if (f.path.empty() || f.path.front() == '.') continue;
    size_t slash = f.path.find('/');
    if (slash == std::string::npos) continue;  // a loose file at the top: not a package
    if (f.path.front() == '@') slash = f.path.find('/', slash + 1);
    if (slash == std::string::npos) continue;
    std::string dir = f.path.substr(0, slash);
    f.path.erase(0, slash + 1);
    by_dir[dir].push_back(std::move(f));
  }
  if (by_dir.empty()) return Invalid(label + ": neither a package (no package.json) nor a node_modules folder");
  std::vector<PlacedPackage> out;
  for (auto& [dir, group] : by_dir) {
    if (!ValidPackageName(dir)) return Invalid(label + ": node_modules/" + dir + " is not a package name");
    auto p = ReadManifest(std::move(group), label + ": node_modules/" + dir);
    if (!p.ok()) return p.error();
    // The folder's name is what require() finds; an npm alias
    // ("string-width-cjs": "npm:string-width@^4") holds another name.
    p->name = dir;
    p->dir = dir;
    out.push_back(std::move(*p));
  }
  return out;
}

// The package.json + lockfile of a project, and the packages it gave.
struct Lockfile {
  Json lock;
  Json manifest;  // null when no package.json came with it
};

std::string LockEntryName(const std::string& key, const Json& entry) {
  std::string name = StringField(entry, "name");
  if (!name.empty()) return name;
  size_t at = key.rfind("node_modules/");
  return at == std::string::npos ? key : key.substr(at + 13);
}

std::map<std::string, std::string> Dependencies(const Json& manifest, bool with_peers) {
  std::map<std::string, std::string> deps;
  std::set<std::string> optional;
  if (const Json* o = manifest.find("optionalDependencies"); o != nullptr && o->is_object()) {
    for (const auto& [k, v] : o->as_object()) optional.insert(k);
  }
  auto add = [&](const char* field) {
    const Json* d = manifest.find(field);
    if (d == nullptr || !d->is_object()) return;
    for (const auto& [name, range] : d->as_object()) {
      if (optional.count(name) != 0 || !range.is_string()) continue;
      deps.emplace(name, range.as_string());
    }
  };
  add("dependencies");
  if (with_peers) {
    const Json* meta = manifest.find("peerDependenciesMeta");
    if (const Json* peers = manifest.find("peerDependencies"); peers != nullptr && peers->is_object()) {
      for (const auto& [name, range] : peers->as_object()) {
        const Json* m = meta != nullptr ? meta->find(name) : nullptr;
        const Json* opt = m != nullptr ? m->find("optional") : nullptr;
        if ((opt != nullptr && opt->is_bool() && opt->as_bool()) || !range.is_string()) continue;
        deps.emplace(name, range.as_string());
      }
    }
  }
  return deps;
}

Json ManifestOf(const PlacedPackage& p) {
  const PackageFile* f = FindFile(p.files, "package.json");
  if (f == nullptr) return Json();
  auto json = Json::Parse(f->content);
  return json.ok() && json->is_object() ? *json : Json();
}

bool Accepts(const std::string& range, const std::string& version) {
  auto ok = semver::Satisfies(version, range);
  return !ok.has_value() || *ok;
}

// Several versions of one name, no lockfile: the version most of the given
// packages accept goes to the top, the others under the packages needing them.
void Hoist(std::vector<PlacedPackage>& top, std::vector<std::string>& warnings) {
  std::map<std::string, std::vector<size_t>> by_name;
  for (size_t i = 0; i < top.size(); ++i) by_name[top[i].name].push_back(i);
  std::vector<Json> manifests;
  for (const auto& p : top) manifests.push_back(ManifestOf(p));
  std::vector<PlacedPackage> nested;
  std::set<size_t> drop;
  for (auto& entry : by_name) {
    // Named, not a structured binding: clang 14 cannot capture one in a lambda.
    const std::string& name = entry.first;
    std::vector<size_t>& idx = entry.second;
    if (idx.size() < 2) continue;
    auto needs = [&](size_t dependent) -> std::optional<std::string> {
      auto deps = Dependencies(manifests[dependent], true);
      auto it = deps.find(name);
      if (it == deps.end()) return std::nullopt;
      return it->second;
    };
    size_t best = idx.front();
    int best_votes = -1;
    for (size_t i : idx) {
      int votes = 0;
      for (size_t d = 0; d < top.size(); ++d) {
        if (auto r = needs(d); r && top[d].name != name && Accepts(*r, top[i].version)) ++votes;
      }
      auto vi = semver::ParseVersion(top[i].version), vb = semver::ParseVersion(top[best].version);
      const bool higher = vi && vb && semver::Compare(*vi, *vb) > 0;
      if (votes > best_votes || (votes == best_votes && higher)) {
        best = i;
        best_votes = votes;
      }
    }
    for (size_t i : idx) {
      if (i == best) continue;
      drop.insert(i);
      if (top[i].version == top[best].version) continue;  // the same package given twice
      bool used = false;
      for (size_t d = 0; d < top.size(); ++d) {
        if (top[d].name == name) continue;
        auto r = needs(d);
        if (!r || Accepts(*r, top[best].version) || !Accepts(*r, top[i].version)) continue;
        PlacedPackage copy = top[i];
        copy.dir = top[d].dir + "/node_modules/" + name;
        nested.push_back(std::move(copy));
        used = true;
      }
      if (!used) {
        warnings.push_back(name + "@" + top[i].version + " is not needed by any package given (" + name + "@" +
                           top[best].version + " is installed); left out");
      }
    }
  }
  std::vector<PlacedPackage> kept;
  for (size_t i = 0; i < top.size(); ++i) {
    if (drop.count(i) == 0) kept.push_back(std::move(top[i]));
  }
  for (auto& n : nested) kept.push_back(std::move(n));
  top = std::move(kept);
}

// "a", "@s/a", "a/node_modules/@s/b": package names joined by "/node_modules/".
bool ValidPlacement(const std::string& dir) {
  size_t start = 0;
  for (;;) {
    size_t sep = dir.find("/node_modules/", start);
    if (!ValidPackageName(dir.substr(start, sep == std::string::npos ? std::string::npos : sep - start))) return false;
    if (sep == std::string::npos) return true;
    start = sep + 14;
  }
}

// Places the given packages where the lockfile says.
Result<std::vector<PlacedPackage>> PlaceByLockfile(const Lockfile& lockfile, std::vector<PlacedPackage> given,
                                                   std::vector<std::string>& warnings) {
  const Json* version = lockfile.lock.find("lockfileVersion");
  const Json* packages = lockfile.lock.find("packages");
  if (version == nullptr || !version->is_int() || version->as_int() < 2 || packages == nullptr ||
      !packages->is_object()) {
    return Invalid("package-lock.json: only lockfileVersion 2 and 3 (npm 7 and later) are understood");
  }
  std::vector<PlacedPackage> out;
  std::set<size_t> used;
  for (const auto& [key, entry] : packages->as_object()) {
    if (key.empty() || !StartsWith(key, "node_modules/") || !entry.is_object()) continue;  // root, workspaces
    if (const Json* link = entry.find("link"); link != nullptr && link->is_bool() && link->as_bool()) continue;
    if (!ValidPlacement(key.substr(13))) return Invalid("package-lock.json: \"" + key + "\" is not a node_modules path");
    const std::string name = LockEntryName(key, entry);
    const std::string want = StringField(entry, "version");
    bool found = false;
    for (size_t i = 0; i < given.size(); ++i) {
      if (given[i].name != name || given[i].version != want) continue;
      PlacedPackage copy = given[i];
      copy.dir = key.substr(13);
      // "a/node_modules/b" as a folder under modules/: the lockfile's keys
      // nest with "/node_modules/", which is how modules/ is laid out too.
      out.push_back(std::move(copy));
      used.insert(i);
      found = true;
      break;
    }
    (void)found;  // a package the lockfile names but nobody gave shows up in the dependency check
  }
  for (size_t i = 0; i < given.size(); ++i) {
    if (used.count(i) != 0) continue;
    warnings.push_back(given[i].name + "@" + given[i].version + " is not in package-lock.json; left out");
  }
  return out;
}

bool IsPackageDirPath(std::string_view dir) {
  // "x", "@s/x", or anything ending in "node_modules/x" / "node_modules/@s/x".
  size_t nm = dir.rfind("node_modules/");
  std::string_view tail = nm == std::string_view::npos ? dir : dir.substr(nm + 13);
  if (nm != std::string_view::npos && nm != 0 && dir[nm - 1] != '/') return false;
  if (tail.empty()) return false;
  size_t slash = tail.find('/');
  if (tail.front() == '@') return slash != std::string_view::npos && tail.find('/', slash + 1) == std::string_view::npos;
  return slash == std::string_view::npos;
}

std::string ParentDir(const std::string& dir) {
  size_t slash = dir.rfind('/');
  return slash == std::string::npos ? "" : dir.substr(0, slash);
}

Result<std::optional<Json>> ReadJsonDocument(db::Database& db, const std::string& id) {
  auto doc = GetDocument(db, id, false);
  if (!doc.ok()) return doc.error();
  if (!doc->has_value()) return std::optional<Json>();
  auto json = Json::Parse((*doc)->content);
  if (!json.ok() || !json->is_object()) return std::optional<Json>(Json(Json::Object{}));
  return std::optional<Json>(std::move(*json));
}

// Where `name` resolves from package folder `dir` (under modules/), as
// hbf:modules_resolve walks: dir/node_modules/name, then each ancestor's
// node_modules (skipping node_modules folders themselves), then modules/name.
// Returns the package.json's JSON and the folder, or nullopt.
Result<std::optional<std::pair<Json, std::string>>> ResolvePackage(db::Database& db, std::string dir,
                                                                   const std::string& name) {
  for (;;) {
    const std::string leaf = dir.substr(dir.rfind('/') == std::string::npos ? 0 : dir.rfind('/') + 1);
    const bool skip = leaf == "node_modules";
    if (!skip) {
      const std::string candidate = (dir.empty() ? "" : dir + "/node_modules/") + name;
      auto json = ReadJsonDocument(db, "modules/" + candidate + "/package.json");
      if (!json.ok()) return json.error();
      if (json->has_value()) return std::optional<std::pair<Json, std::string>>({std::move(**json), candidate});
    }
    if (dir.empty()) return std::optional<std::pair<Json, std::string>>();
    dir = ParentDir(dir);
  }
}

}  // namespace

std::string MissingDependency::Describe() const {
  std::string who = package.empty() ? "the project" : "modules/" + package;
  return name + "@" + range + " (needed by " + who + ")" + (found.empty() ? "" : ": found " + found);
}

Result<std::vector<PackageSource>> SourcesFromArchive(std::string_view archive, std::string label) {
  auto files = ReadTarball(archive);
  if (!files.ok()) return Error{files.error().code, label + ": " + files.error().message, files.error().http_status};
  bool bundle = !files->empty();
  bool has_tarball = false;
  for (const auto& f : *files) {
    has_tarball = has_tarball || IsTarballName(f.path);
    if (!IsTarballName(f.path) && !IsLockName(f.path) && f.path != "package.json") bundle = false;
  }
  // package.json with tarballs but no lockfile is a package that ships a
  // tarball among its files, not a bundle.
  const bool has_manifest = std::any_of(files->begin(), files->end(), [](const PackageFile& f) { return f.path == "package.json"; });
  const bool has_lock = std::any_of(files->begin(), files->end(), [](const PackageFile& f) { return IsLockName(f.path); });
  if (has_manifest && !has_lock) bundle = false;
  std::vector<PackageSource> out;
  if (!bundle || !has_tarball) {
    out.push_back(PackageSource{std::move(label), std::move(*files)});
    return out;
  }
  PackageSource project{label + " (package.json and lockfile)", {}};
  size_t total = 0;
  for (auto& f : *files) {
    if (!IsTarballName(f.path)) {
      project.files.push_back(std::move(f));
      continue;
    }
    auto inner = ReadTarball(f.content);
    if (!inner.ok()) return Error{inner.error().code, f.path + ": " + inner.error().message, inner.error().http_status};
    for (const auto& g : *inner) total += g.content.size();
    if (total > kMaxPackageBytes) return TooLarge("more than " + std::to_string(kMaxPackageBytes >> 20) + " MB of files");
    out.push_back(PackageSource{f.path, std::move(*inner)});
  }
  if (!project.files.empty()) out.push_back(std::move(project));
  return out;
}

Result<InstallPlan> PlanInstall(std::vector<PackageSource> sources) {
  InstallPlan plan;
  std::vector<PlacedPackage> given;
  std::optional<Lockfile> lockfile;
  size_t files = 0, bytes = 0;
  for (auto& source : sources) {
    for (const auto& f : source.files) bytes += f.content.size();
    files += source.files.size();
    if (files > kMaxPackageFiles) {
      return TooLarge("more than " + std::to_string(kMaxPackageFiles) + " files in one install");
    }
    if (bytes > kMaxPackageBytes) return TooLarge("more than " + std::to_string(kMaxPackageBytes >> 20) + " MB of files");
    const PackageFile* lock = FindFile(source.files, "package-lock.json");
    if (lock == nullptr) lock = FindFile(source.files, "npm-shrinkwrap.json");
    bool has_node_modules = std::any_of(source.files.begin(), source.files.end(),
                                        [](const PackageFile& f) { return StartsWith(f.path, "node_modules/"); });
    if (lock != nullptr && has_node_modules) {
      // A project folder: install what its node_modules holds.
      std::vector<PackageFile> inner;
      for (auto& f : source.files) {
        if (StartsWith(f.path, "node_modules/")) inner.push_back(PackageFile{f.path.substr(13), std::move(f.content)});
      }
      auto split = SplitNodeModules(std::move(inner), source.label);
      if (!split.ok()) return split.error();
      for (auto& p : *split) plan.packages.push_back(std::move(p));
      continue;
    }
    if (lock != nullptr && std::all_of(source.files.begin(), source.files.end(), [](const PackageFile& f) {
          return IsLockName(f.path) || f.path == "package.json";
        })) {
      if (lockfile) return Invalid("more than one lockfile given");
      auto json = Json::Parse(lock->content);
      if (!json.ok() || !json->is_object()) return Invalid(source.label + ": the lockfile is not a JSON object");
      Lockfile l{std::move(*json), Json()};
      if (const PackageFile* m = FindFile(source.files, "package.json"); m != nullptr) {
        auto manifest = Json::Parse(m->content);
        if (manifest.ok() && manifest->is_object()) l.manifest = std::move(*manifest);
      }
      lockfile = std::move(l);
      continue;
    }
    if (FindFile(source.files, "package.json") != nullptr) {
      auto p = ReadManifest(std::move(source.files), source.label);
      if (!p.ok()) return p.error();
      given.push_back(std::move(*p));
      continue;
    }
    auto split = SplitNodeModules(std::move(source.files), source.label);
    if (!split.ok()) return split.error();
    for (auto& p : *split) given.push_back(std::move(p));
  }
  if (lockfile) {
    auto placed = PlaceByLockfile(*lockfile, std::move(given), plan.warnings);
    if (!placed.ok()) return placed.error();
    given = std::move(*placed);
    if (!lockfile->manifest.is_null()) {
      if (const Json* d = lockfile->manifest.find("dependencies"); d != nullptr) plan.project_dependencies = *d;
    }
  } else {
    Hoist(given, plan.warnings);
  }
  for (auto& p : given) plan.packages.push_back(std::move(p));
  if (plan.packages.empty()) return Invalid("no package to install");
  std::stable_sort(plan.packages.begin(), plan.packages.end(),
                   [](const PlacedPackage& a, const PlacedPackage& b) { return a.dir < b.dir; });
  return plan;
}

Result<InstallReport> InstallTree(db::Database& db, const InstallPlan& plan, bool force) {
  InstallReport report;
  report.warnings = plan.warnings;
  auto tx = db::Transaction::Begin(db);
  if (!tx.ok()) return tx.error();
  // Replace, never merge: files a new version dropped must go. Every
  // planned folder is emptied before any is written (a nested one may sit
  // inside another).
  for (const auto& p : plan.packages) {
    const std::string root = "modules/" + p.dir + "/";
    auto old = db.Prepare("SELECT path FROM documents WHERE path >= ?1 AND path < ?2");
    if (!old.ok()) return old.error();
    old->Bind(1, root).Bind(2, root + "\xF4\x8F\xBF\xBF");
    std::vector<std::string> stale;
    for (;;) {
      auto row = old->Step();
      if (!row.ok()) return row.error();
      if (!*row) break;
      stale.push_back(old->Text(0));
    }
    old = db::Statement();
    for (const auto& path : stale) {
      if (auto d = DeleteDocument(db, path); !d.ok()) return d.error();
    }
  }
  // Every package folder written, nested node_modules packages included.
  std::vector<std::pair<std::string, Json>> written;
  for (const auto& p : plan.packages) {
    const std::string root = "modules/" + p.dir + "/";
    for (const auto& f : p.files) {
      auto put = PutDocument(db, root + f.path, "", f.content);
      if (!put.ok()) return Error{put.error().code, p.dir + "/" + f.path + ": " + put.error().message, put.error().http_status};
      if (f.path == "package.json" || EndsWith(f.path, "/package.json")) {
        std::string sub = f.path == "package.json" ? "" : f.path.substr(0, f.path.size() - 13);
        // Inside a package only node_modules/X holds packages: a package.json
        // elsewhere (fast-uri's benchmark/) is not one, and its deps are not needed.
        if (!sub.empty() && (sub.find("node_modules/") == std::string::npos || !IsPackageDirPath(sub))) continue;
        auto json = Json::Parse(f.content);
        written.emplace_back(sub.empty() ? p.dir : p.dir + "/" + sub, json.ok() ? *json : Json());
      }
    }
    report.files += p.files.size();
    report.packages.push_back(InstalledPackage{p.name, p.version, p.files.size(), p.dir});
    // Packages nested in its own node_modules/ are listed too (files: all under their folder).
    for (size_t i = 0; i < written.size(); ++i) {
      const auto& [dir, manifest] = written[i];
      if (dir.size() <= p.dir.size() || dir.compare(0, p.dir.size() + 1, p.dir + "/") != 0) continue;
      const std::string prefix = dir.substr(p.dir.size() + 1) + "/";
      const size_t count = static_cast<size_t>(std::count_if(
          p.files.begin(), p.files.end(), [&](const PackageFile& f) { return StartsWith(f.path, prefix); }));
      report.packages.push_back(InstalledPackage{manifest.is_object() ? StringField(manifest, "name") : "",
                                                 manifest.is_object() ? StringField(manifest, "version") : "", count,
                                                 dir});
    }
  }
  // The check, against what the henv holds now (earlier installs count).
  auto check = [&](const std::string& dir, const std::map<std::string, std::string>& deps) -> Status {
    for (const auto& [name, range] : deps) {
      auto found = ResolvePackage(db, dir, name);
      if (!found.ok()) return found.error();
      if (!found->has_value()) {
        report.missing.push_back(MissingDependency{dir, name, range, ""});
        continue;
      }
      const std::string version = StringField((*found)->first, "version");
      if (!Accepts(range, version)) {
        report.missing.push_back(MissingDependency{dir, name, range, name + "@" + version + " at modules/" + (*found)->second});
      }
    }
    return Ok{};
  };
  for (const auto& [dir, manifest] : written) {
    if (!manifest.is_object()) continue;
    if (auto s = check(dir, Dependencies(manifest, true)); !s.ok()) return s.error();
  }
  // Packages installed earlier that need a name just written (replacing
  // ent@4 by ent@2 breaks what needed ^4) are checked for those names.
  std::set<std::string> names, written_dirs;
  for (const auto& p : plan.packages) names.insert(p.name);
  for (const auto& w : written) written_dirs.insert(w.first);
  std::vector<std::string> others;
  {
    auto stmt = db.Prepare("SELECT path FROM documents WHERE path GLOB 'modules/*/package.json' ORDER BY path");
    if (!stmt.ok()) return stmt.error();
    for (;;) {
      auto row = stmt->Step();
      if (!row.ok()) return row.error();
      if (!*row) break;
      const std::string path = stmt->Text(0);
      const std::string dir = path.substr(8, path.size() - 8 - 13);
      if (IsPackageDirPath(dir) && written_dirs.count(dir) == 0) others.push_back(dir);
    }
  }
  for (const auto& dir : others) {
    auto json = ReadJsonDocument(db, "modules/" + dir + "/package.json");
    if (!json.ok()) return json.error();
    if (!json->has_value()) continue;
    std::map<std::string, std::string> deps;
    for (auto& [name, range] : Dependencies(**json, true)) {
      if (names.count(name) != 0) deps.emplace(name, range);
    }
    if (deps.empty()) continue;
    if (auto s = check(dir, deps); !s.ok()) return s.error();
  }
  if (plan.project_dependencies.is_object()) {
    std::map<std::string, std::string> deps;
    for (const auto& [name, range] : plan.project_dependencies.as_object()) {
      if (range.is_string()) deps.emplace(name, range.as_string());
    }
    if (auto s = check("", deps); !s.ok()) return s.error();
  }
  if (!report.missing.empty() && !force) return report;  // the transaction rolls back
  for (const auto& m : report.missing) report.warnings.push_back("missing dependency: " + m.Describe());
  if (auto s = tx->Commit(); !s.ok()) return s.error();
  report.committed = true;
  return report;
}

Json InstallReportToJson(const InstallReport& report) {
  Json::Array packages, warnings, missing;
  for (const auto& p : report.packages) {
    packages.push_back(Json::MakeObject({{"name", p.name}, {"version", p.version}, {"dir", "modules/" + p.dir},
                                         {"files", static_cast<int64_t>(p.files)}}));
  }
  for (const auto& w : report.warnings) warnings.push_back(Json(w));
  for (const auto& m : report.missing) {
    missing.push_back(Json::MakeObject({{"name", m.name}, {"range", m.range},
                                        {"needed_by", m.package.empty() ? "" : "modules/" + m.package},
                                        {"found", m.found}}));
  }
  const InstalledPackage first = report.packages.empty() ? InstalledPackage{} : report.packages.front();
  return Json::MakeObject({{"name", first.name}, {"version", first.version},
                           {"files", static_cast<int64_t>(report.files)}, {"packages", Json(std::move(packages))},
                           {"warnings", Json(std::move(warnings))}, {"missing", Json(std::move(missing))}});
}

}  // namespace hbf::docs

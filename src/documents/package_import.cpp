#include "documents/package_import.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "codec/gzip.h"
#include "documents/document_store.h"

namespace hbf::docs {
namespace {

constexpr size_t kBlock = 512;

Error Invalid(std::string message) { return Error{"invalid_package", std::move(message), 400}; }
Error TooLarge(std::string message) { return Error{"payload_too_large", std::move(message), 413}; }
std::string TooManyFiles() { return "more than " + std::to_string(kMaxPackageFiles) + " files in one install"; }
std::string TooManyBytes() { return "more than " + std::to_string(kMaxPackageBytes >> 20) + " MB of files in one install"; }

uint64_t ParseOctal(std::string_view field) {
  uint64_t v = 0;
  for (char c : field) {
    if (c == '\0' || c == ' ') {
      if (v != 0) break;
      continue;
    }
    if (c < '0' || c > '7') break;
    v = v * 8 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

std::string CString(std::string_view field) { return std::string(field.substr(0, field.find('\0'))); }

// "a/./b//c" -> "a/b/c"; empty when it escapes ("..") or is absolute.
std::string CleanPath(std::string_view path) {
  if (path.empty() || path.front() == '/') return {};
  std::string out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string_view part = path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part == "..") return {};
    if (!part.empty() && part != ".") out += (out.empty() ? "" : "/") + std::string(part);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

// Strips one top folder shared by every file (npm's "package/").
void StripTopFolder(std::vector<PackageFile>& files) {
  if (files.empty()) return;
  std::string top = files.front().path.substr(0, files.front().path.find('/') + 1);
  if (top.empty() || top.back() != '/') return;
  for (const auto& f : files) {
    if (f.path.rfind(top, 0) != 0) return;
  }
  for (auto& f : files) f.path.erase(0, top.size());
}

}  // namespace

bool ValidPackageName(const std::string& name) {
  if (name.empty() || name.size() > 214) return false;
  std::string_view rest = name;
  if (rest.front() == '@') {
    size_t slash = rest.find('/');
    if (slash == std::string_view::npos || slash == 1 || slash + 1 == rest.size()) return false;
    rest = rest.substr(1);
  }
  int slashes = 0;
  for (char c : rest) {
    if (c == '/') {
      ++slashes;
      continue;
    }
    // Upper case: npm refuses it in new names but old ones (JSONStream) keep it.
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
          c == '_' || c == '~')) {
      return false;
    }
  }
  return slashes <= (name.front() == '@' ? 1 : 0) && name.find("..") == std::string::npos && rest.front() != '.';
}

Result<std::vector<PackageFile>> ReadTarball(std::string_view archive) {
  std::string inflated;
  if (archive.size() >= 2 && static_cast<unsigned char>(archive[0]) == 0x1f &&
      static_cast<unsigned char>(archive[1]) == 0x8b) {
    auto unpacked = codec::Gunzip(archive, kMaxArchiveBytes);
    if (!unpacked) return Invalid("not a valid gzip stream, or " + TooManyBytes());
    inflated = std::move(*unpacked);
    archive = inflated;
  }
  std::vector<PackageFile> files;
  std::string long_name;  // from a pax "path=" record or a GNU 'L' entry, for the next entry
  size_t total = 0;
  size_t pos = 0;
  while (pos + kBlock <= archive.size()) {
    std::string_view header = archive.substr(pos, kBlock);
    if (header.find_first_not_of('\0') == std::string_view::npos) break;  // end of archive
    const uint64_t size = ParseOctal(header.substr(124, 12));
    const char type = header[156];
    std::string name = CString(header.substr(0, 100));
    if (header.substr(257, 5) == "ustar") {
      std::string prefix = CString(header.substr(345, 155));
      if (!prefix.empty()) name = prefix + "/" + name;
    }
    const size_t data_start = pos + kBlock;
    if (size > archive.size() - data_start) return Invalid("truncated tar archive");
    std::string_view data = archive.substr(data_start, size);
    pos = data_start + (size + kBlock - 1) / kBlock * kBlock;

    if (type == 'x') {  // pax extended header: "<len> key=value\n" records
      std::string_view records = data;
      while (!records.empty()) {
        // Each record's length counts its own digits, the space and the
        // closing newline. One that does not cover them (say "1 path=x\n")
        // used to read on to the end of the header and name the next file
        // with whatever followed; a malformed header now refuses the archive.
        size_t space = records.find(' ');
        if (space == std::string_view::npos || space == 0 || space > 19) return Invalid("malformed pax header");
        size_t length = 0;
        for (char c : records.substr(0, space)) {
          if (c < '0' || c > '9') return Invalid("malformed pax header");
          length = length * 10 + static_cast<size_t>(c - '0');
        }
        if (length < space + 2 || length > records.size() || records[length - 1] != '\n') {
          return Invalid("malformed pax header");
        }
        std::string_view record = records.substr(space + 1, length - space - 2);
        if (record.rfind("path=", 0) == 0) long_name = std::string(record.substr(5));
        records.remove_prefix(length);
      }
      continue;
    }
    if (type == 'L') {  // GNU long name
      long_name = CString(data);
      continue;
    }
    if (!long_name.empty()) {
      name = long_name;
      long_name.clear();
    }
    if (type != '0' && type != '\0' && type != '7') continue;  // directories, links, devices: skipped
    std::string path = CleanPath(name);
    if (path.empty()) return Invalid("unsafe path in archive: " + name);
    total += size;
    if (files.size() >= kMaxPackageFiles) return TooLarge(TooManyFiles());
    if (total > kMaxPackageBytes) return TooLarge(TooManyBytes());
    files.push_back(PackageFile{path, std::string(data)});
  }
  StripTopFolder(files);
  return files;
}

Result<std::vector<PackageFile>> ReadDirectory(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Invalid(dir + " is not a directory");
  std::vector<PackageFile> files;
  size_t total = 0;
  const fs::path root_modules = fs::path(dir) / "node_modules";
  const bool skip_root_modules = fs::exists(fs::path(dir) / "package.json", ec) &&
                                 !fs::exists(fs::path(dir) / "package-lock.json", ec) &&
                                 !fs::exists(fs::path(dir) / "npm-shrinkwrap.json", ec);
  for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return Invalid("cannot read " + dir + ": " + ec.message());
    const std::string leaf = it->path().filename().string();
    if (it->is_directory() && ((!leaf.empty() && leaf.front() == '.') ||
                               (skip_root_modules && it->path() == root_modules))) {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file()) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    total += content.str().size();
    if (files.size() >= kMaxPackageFiles) return TooLarge(TooManyFiles());
    if (total > kMaxPackageBytes) return TooLarge(TooManyBytes());
    files.push_back(PackageFile{fs::relative(it->path(), dir).generic_string(), content.str()});
  }
  return files;
}

Result<std::vector<InstalledPackage>> ListPackages(db::Database& db) {
  auto stmt = db.Prepare(
      "SELECT path, CAST(content AS TEXT) FROM documents WHERE path GLOB 'modules/*/package.json' "
      "OR path GLOB 'modules/@*/*/package.json' ORDER BY path");
  if (!stmt.ok()) return stmt.error();
  std::vector<InstalledPackage> out;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    std::string path = stmt->Text(0);
    std::string dir = path.substr(8, path.size() - 8 - std::string("/package.json").size());
    // Only package roots: modules/x/package.json or modules/@s/x/package.json.
    size_t slashes = static_cast<size_t>(std::count(dir.begin(), dir.end(), '/'));
    if (slashes != (dir.front() == '@' ? 1u : 0u)) continue;
    auto json = Json::Parse(stmt->Text(1));
    InstalledPackage p{dir, "", 0, dir};
    if (json.ok()) {
      if (const Json* v = json->find("version"); v != nullptr && v->is_string()) p.version = v->as_string();
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace hbf::docs

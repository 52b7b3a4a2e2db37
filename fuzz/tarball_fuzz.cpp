// The npm package reader (src/documents/package_import.h: ReadTarball):
// gzip (src/codec) + ustar/pax/GNU tar, as `hbf` reads an uploaded .tgz;
// then where an install would put its packages (package_tree.h:
// SourcesFromArchive, PlanInstall).
//
// Invariants: every file's path is relative, non-empty, made of non-empty
// segments none of which is "." or ".."; at most kMaxPackageFiles files and
// kMaxPackageBytes bytes of content; a plain tar and its gzip copy read the
// same; Gunzip gives back what Gzip packed; a refusal is a 400 (or a 413 past
// the bounds); every planned package folder is clean the same way.
#include <string_view>

#include "codec/gzip.h"
#include "documents/package_import.h"
#include "documents/package_tree.h"
#include "fuzz_input.h"

using hbf::fuzz::Check;

namespace {

void CheckCleanPath(std::string_view p) {
  Check(!p.empty() && p.front() != '/', "empty or absolute path");
  size_t start = 0;
  while (true) {
    const size_t slash = p.find('/', start);
    const std::string_view seg = p.substr(start, slash == std::string_view::npos ? p.npos : slash - start);
    Check(!seg.empty() && seg != "." && seg != "..", "path with an empty or dot segment");
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
}

bool RefusedAsItShould(const hbf::Error& e) { return e.http_status == 400 || e.http_status == 413; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view archive(reinterpret_cast<const char*>(data), size);
  auto files = hbf::docs::ReadTarball(archive);

  const bool gzipped = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
  if (!gzipped) {
    const std::string packed = hbf::codec::Gzip(archive);
    const auto unpacked = hbf::codec::Gunzip(packed, size);
    Check(unpacked && *unpacked == archive, "Gunzip(Gzip(x)) != x");
    auto again = hbf::docs::ReadTarball(packed);
    Check(again.ok() == files.ok(), "gzip changes whether an archive is read");
    if (again.ok()) {
      Check(again.value().size() == files.value().size(), "gzip changes the number of files");
      for (size_t i = 0; i < files.value().size(); ++i) {
        Check(again.value()[i].path == files.value()[i].path && again.value()[i].content == files.value()[i].content,
              "gzip changes a file");
      }
    }
  }
  auto sources = hbf::docs::SourcesFromArchive(archive, "fuzz");
  Check(sources.ok() || RefusedAsItShould(sources.error()), "a refused bundle is not a 400 or 413");
  if (sources.ok()) {
    auto plan = hbf::docs::PlanInstall(std::move(sources.value()));
    Check(plan.ok() || RefusedAsItShould(plan.error()), "a refused plan is not a 400 or 413");
    if (plan.ok()) {
      for (const auto& p : plan.value().packages) {
        CheckCleanPath(p.dir);
        for (const auto& f : p.files) CheckCleanPath(f.path);
      }
    }
  }
  if (!files.ok()) {
    Check(RefusedAsItShould(files.error()), "a refused archive is not a 400 or 413");
    return 0;
  }
  Check(files.value().size() <= hbf::docs::kMaxPackageFiles, "too many files");
  size_t total = 0;
  for (const auto& f : files.value()) {
    total += f.content.size();
    CheckCleanPath(f.path);
  }
  Check(total <= hbf::docs::kMaxPackageBytes, "more content than the limit");
  return 0;
}

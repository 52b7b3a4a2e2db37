#include "db/documents_epoch.h"

#include "db/per_file.h"

namespace hbf::db {
namespace {

std::atomic<uint64_t> next_value{1};

uint64_t Fresh() { return next_value.fetch_add(1, std::memory_order_relaxed); }

}  // namespace

DocumentsEpoch::DocumentsEpoch() : value_(Fresh()) {}

void DocumentsEpoch::Bump() { value_.store(Fresh(), std::memory_order_release); }

std::shared_ptr<DocumentsEpoch> DocumentsEpoch::For(const std::string& path) {
  return PerFile<DocumentsEpoch>::For(path);
}

}  // namespace hbf::db

#include "app/document_cache.h"

#include <utility>

namespace hbf {
namespace {

size_t WeightOf(const DocumentCache::Entry& e) {
  const docs::Document& d = e.document;
  size_t n = d.content.size() + (d.gzip ? d.gzip->size() : 0) + d.meta.content_type.size() + d.meta.etag.size() + 256;
  for (const auto& g : e.rules.private_globs) n += g.size() + 32;
  for (const auto& g : e.rules.public_globs) n += g.size() + 32;
  return n;
}

}  // namespace

DocumentCache& DocumentCache::ForThisThread() {
  thread_local DocumentCache cache;
  return cache;
}

std::string DocumentCache::Key(const std::string& henv_hash, const std::string& id, bool gzip) {
  std::string key;
  key.reserve(henv_hash.size() + id.size() + 2);
  key += henv_hash;
  key += gzip ? '\x01' : '\x00';
  key += id;
  return key;
}

std::shared_ptr<const DocumentCache::Entry> DocumentCache::Find(const std::string& key, uint64_t documents_epoch,
                                                                uint64_t settings_epoch, int64_t now_ns) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  const Entry& e = *it->second.entry;
  if (e.documents_epoch != documents_epoch || e.settings_epoch != settings_epoch || now_ns - e.read_at_ns > kMaxAgeNs ||
      now_ns < e.read_at_ns) {
    Drop(it);
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return it->second.entry;
}

void DocumentCache::Put(const std::string& key, std::shared_ptr<const Entry> entry) {
  if (auto it = entries_.find(key); it != entries_.end()) Drop(it);
  const size_t weight = WeightOf(*entry);
  if (weight > kMaxEntryBytes) return;
  while (bytes_ + weight > kBudgetBytes && !lru_.empty()) Drop(entries_.find(lru_.back()));
  lru_.push_front(key);
  entries_.emplace(key, Slot{std::move(entry), weight, lru_.begin()});
  bytes_ += weight;
}

void DocumentCache::Drop(std::unordered_map<std::string, Slot>::iterator it) {
  bytes_ -= it->second.bytes;
  lru_.erase(it->second.lru);
  entries_.erase(it);
}

}  // namespace hbf

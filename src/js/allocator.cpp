#include "js/allocator.h"

#include <malloc.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>

#include "js/worker.h"

namespace hbf::js::internal {
namespace {

// QuickJS's allocator hooks, with the bytes of each runtime counted in its
// Worker::Memory so the engine can read them in O(1).
constexpr size_t kAllocOverhead = 8;

// Only the thread running the worker writes its counter (a worker is used by
// one thread at a time), so a relaxed load + store suffices: no contended
// read-modify-write on the allocation path. Others may read it at any time.
void Account(JSMallocState* s, int64_t delta) {
  auto& bytes = static_cast<Worker::Memory*>(s->opaque)->bytes;
  bytes.store(bytes.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
}

void Refused(JSMallocState* s) { static_cast<Worker::Memory*>(s->opaque)->refused = true; }

void* HbfMalloc(JSMallocState* s, size_t size) {
  if (s->malloc_size + size > s->malloc_limit) {
    Refused(s);
    return nullptr;
  }
  void* p = std::malloc(size);
  if (p == nullptr) return nullptr;
  size_t n = malloc_usable_size(p) + kAllocOverhead;
  s->malloc_count++;
  s->malloc_size += n;
  Account(s, static_cast<int64_t>(n));
  return p;
}

void HbfFree(JSMallocState* s, void* p) {
  if (p == nullptr) return;
  size_t n = malloc_usable_size(p) + kAllocOverhead;
  s->malloc_count--;
  s->malloc_size -= n;
  Account(s, -static_cast<int64_t>(n));
  std::free(p);
}

void* HbfRealloc(JSMallocState* s, void* p, size_t size) {
  if (p == nullptr) return size == 0 ? nullptr : HbfMalloc(s, size);
  if (size == 0) {
    HbfFree(s, p);
    return nullptr;
  }
  size_t old = malloc_usable_size(p);
  if (s->malloc_size + size - old > s->malloc_limit) {
    Refused(s);
    return nullptr;
  }
  void* q = std::realloc(p, size);
  if (q == nullptr) return nullptr;
  size_t now = malloc_usable_size(q);
  s->malloc_size += now;
  s->malloc_size -= old;
  Account(s, static_cast<int64_t>(now) - static_cast<int64_t>(old));
  return q;
}

size_t HbfUsableSize(const void* p) { return malloc_usable_size(const_cast<void*>(p)); }

}  // namespace

const JSMallocFunctions kMallocFunctions = {HbfMalloc, HbfFree, HbfRealloc, HbfUsableSize};

}  // namespace hbf::js::internal

// Arena (allocator.h): the reservations a runtime's blocks are carved
// from, and the pool of destroyed workers' reservations kept for the next.
#include <sys/mman.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <utility>

#include "js/allocator.h"
#include "js/allocator_poison.h"

namespace hbf::js::internal {

namespace {

// An arena's memory is a mapping of its own, not malloc's. (From malloc,
// whether a block this large is mapped or carved from a heap depends on
// glibc's dynamic threshold, which rises to the largest mapped block ever
// freed: one freed template arena (2 MiB, worker_image.h) put every later
// arena in the heaps, where destroyed workers' memory stayed resident:
// tenants 10k peaked at 2.5 GiB instead of 1.6.) A reservation is mapped
// without access (no memory is committed for it, whatever the system's
// overcommit policy) and made writable as it is carved.
constexpr size_t kPage = 4096;
constexpr uintptr_t PageUp(uintptr_t bytes) { return (bytes + kPage - 1) & ~(kPage - 1); }

char* MapZeroed(size_t bytes) {
  void* p = ::mmap(nullptr, PageUp(bytes), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : static_cast<char*>(p);
}

// How much address space an arena reserves: Arena::kReserveBytes, or, in a
// process whose address space is limited (ulimit -v: every reservation
// counts against it, memory or not), Arena::kLimitedReserveBytes, past
// which the runtime's blocks come from malloc. Read once.
size_t ReserveBytes() {
  static const size_t bytes = [] {
    rlimit limit{};
    const bool limited = ::getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY;
    return limited ? Arena::kLimitedReserveBytes : Arena::kReserveBytes;
  }();
  return bytes;
}

char* Reserve(size_t bytes) {
  void* p = ::mmap(nullptr, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? nullptr : static_cast<char*>(p);
}

// The reservations of recently destroyed workers' arenas, for the next
// workers', their first pages still written.
//
// Why: the first write to each page of a fresh mapping faults (~90 pages
// for a copied worker). On the 2-core VM, a paravirtualised guest with
// shadow page tables, that costs ~6 us a page even after
// MADV_POPULATE_WRITE (the hypervisor, we believe, maps each page at its
// first write from user space): copying the image took ~530 us into fresh
// pages and ~8 us into pages written before (bench/README.md, eighteenth
// session; bench/tools/first_write.cpp). On bare metal a fault costs less.
// A server with more henvs than its memory budget holds workers for
// destroys one and makes one for most requests; with 16 kept, the pool ran
// full and empty in turns (the housekeeper destroys retired workers in
// batches), and ~half the copies went to fresh mappings. 64 absorb that.
//
// At most kKept, each with at most kResident bytes still resident (~32
// MiB in all), for as long as workers are made: ReleaseUnused (the
// housekeeper, every 2 s) unmaps them all once none was taken since its
// previous call. Taken and given under a mutex of its own (a worker's
// making and destroying, not a request's path).
class ArenaPool {
 public:
  static constexpr size_t kKept = 64;
  static constexpr size_t kResident = 512 << 10;
  // A kept reservation, how much of it is writable and how much of that
  // from the base is still written (no fault to write it again), or false.
  // The one with the most still written, the latest given of those: a
  // hibernated worker's arena comes back with its pages given back, and a
  // copy into it writes ~80 pages afresh (~3.7 us each on a paravirtualised
  // VM), where one from a worker dropped awake costs none.
  bool Take(char*& base, size_t& writable, size_t& written) {
    std::lock_guard lock(mu_);
    if (count_ == 0) return false;
    size_t best = count_ - 1;
    for (size_t i = count_ - 1; i-- > 0;) {
      if (kept_[i].written > kept_[best].written) best = i;
    }
    std::swap(kept_[best], kept_[count_ - 1]);
    --count_;
    base = kept_[count_].base;
    writable = kept_[count_].writable;
    written = kept_[count_].written;
    taken_since_release_ = true;
    return true;
  }
  // `carved`: how far its last owner carved (no page past it was written
  // since it came from the pool, and the pool keeps none past kResident).
  bool Give(char* base, size_t writable, size_t written, size_t carved) {
    {
      std::lock_guard lock(mu_);
      if (count_ == kKept) return false;
    }
    // What a large worker wrote past the first kResident goes now (the
    // mapping stays writable: the next worker may carve as far). Most
    // carve less: no call then (a syscall is ~2 us on a paravirtualised VM,
    // and every worker dropped over 10,000 henvs came here).
    const size_t touched = std::min(writable, carved);
    if (touched > kResident) ::madvise(base + kResident, touched - kResident, MADV_DONTNEED);
    std::lock_guard lock(mu_);
    if (count_ == kKept) return false;
    kept_[count_++] = {base, writable, std::min(written, kResident)};
    return true;
  }
  size_t ReleaseUnused() {
    Kept doomed[kKept];
    size_t n = 0;
    {
      std::lock_guard lock(mu_);
      if (std::exchange(taken_since_release_, false)) return 0;
      n = std::exchange(count_, size_t{0});
      std::copy(kept_, kept_ + n, doomed);
    }
    for (size_t i = 0; i < n; ++i) ::munmap(doomed[i].base, ReserveBytes());
    return n;
  }
  size_t count() {
    std::lock_guard lock(mu_);
    return count_;
  }

 private:
  struct Kept {
    char* base;
    size_t writable;
    size_t written;
  };
  std::mutex mu_;
  Kept kept_[kKept] = {};             // guarded by mu_
  size_t count_ = 0;                  // guarded by mu_
  bool taken_since_release_ = false;  // guarded by mu_
};

ArenaPool& Pool() {
  static auto* pool = new ArenaPool();  // (never destroyed: workers may outlive static destruction)
  return *pool;
}

}  // namespace

// Arena. Carved blocks are unpoisoned under ASan; the size words and the
// writable part never carved stay poisoned, so an overflow into them is
// caught (past the writable part, the mapping has no access at all).
Arena::~Arena() {
  if (base_ == nullptr) return;
  HBF_UNPOISON(base_, writable_);
  // (the pool keeps full reservations only: a taken one is taken as one)
  // (carving writes each block's size word: every page up to the last
  // block carved was written, unless some went back)
  const size_t carved = PageUp(used_bytes());
  const size_t written = gave_back_ ? 0 : carved;
  if (template_ || span_ != ReserveBytes() || !Pool().Give(base_, writable_, written, carved)) ::munmap(base_, span_);
}

size_t Arena::ReleaseKeptIfUnused() { return Pool().ReleaseUnused(); }

size_t Arena::KeptCount() { return Pool().count(); }

int64_t Arena::FreshWriteNsPerKib(size_t bytes) {
  bytes = PageUp(std::max<size_t>(bytes, kPage));
  struct Unmap {
    size_t bytes;
    void operator()(char* p) const { ::munmap(p, bytes); }
  };
  using Mapping = std::unique_ptr<char, Unmap>;
  const Mapping source(MapZeroed(bytes), Unmap{bytes});
  if (source == nullptr) return 0;
  std::memset(source.get(), 0x5a, bytes);
  int64_t best = 0;
  for (int attempt = 0; attempt < 3; ++attempt) {
    const Mapping p(MapZeroed(bytes), Unmap{bytes});
    if (p == nullptr) return 0;
    const auto began = std::chrono::steady_clock::now();
#ifdef MADV_POPULATE_WRITE
    (void)::madvise(p.get(), bytes, MADV_POPULATE_WRITE);
#endif
    std::memcpy(p.get(), source.get(), bytes);
    // (so the copy is not elided: the mapping is read back once)
    volatile const char sink = p.get()[bytes - 1];
    (void)sink;
    const int64_t ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - began).count();
    const int64_t per_kib = std::max<int64_t>(1, ns * 1024 / static_cast<int64_t>(bytes));
    best = best == 0 ? per_kib : std::min(best, per_kib);
  }
  return best;
}

bool Arena::Open(size_t bytes) {
  if (base_ != nullptr) return false;
  capture_ = false;
  size_t writable = 0;
  span_ = std::max(ReserveBytes(), PageUp(bytes));
  written_ = 0;
  gave_back_ = false;
  if (span_ != ReserveBytes() || !Pool().Take(base_, writable, written_)) {
    base_ = Reserve(span_);
    if (base_ == nullptr) return false;
  }
  writable_ = writable;
  HBF_POISON(base_, writable_);
  // Mappings are page aligned: the first size word at +8 puts the first
  // block at +16, and every block's 16(k + 1) bytes keep the next one
  // aligned.
  next_ = base_ + kHeader;
  if (writable_ < bytes && !Grow(bytes - kHeader)) {
    HBF_UNPOISON(base_, writable_);
    ::munmap(base_, span_);
    base_ = nullptr;
    span_ = writable_ = 0;
    return false;
  }
  return true;
}

bool Arena::Grow(size_t take) {
  const size_t need = static_cast<size_t>(next_ - base_) + take;
  if (need > span_) return false;
  const size_t to = std::min(span_, PageUp(std::max(need, writable_ + kGrowBytes)));
  if (::mprotect(base_ + writable_, to - writable_, PROT_READ | PROT_WRITE) != 0) return false;
  HBF_POISON(base_ + writable_, to - writable_);
  writable_ = to;
  return true;
}

bool Arena::OpenTemplate(size_t bytes) {
  if (base_ != nullptr) return false;
  base_ = MapZeroed(bytes);
  if (base_ == nullptr) return false;
  span_ = writable_ = PageUp(bytes);
  next_ = base_ + kHeader;
  template_ = true;
  HBF_POISON(base_, span_);
  return true;
}

void Arena::PrefetchCarved(const char* base, size_t used, size_t from) {
  from &= ~size_t{63};
  if (base == nullptr || from >= used) return;
  const char* to = base + from + std::min(used - from, kMaxPrefetchBytes);
  for (const char* p = base + from; p < to; p += 64) __builtin_prefetch(p);
}

bool Arena::OpenForCopy(size_t used, size_t bytes) {
  if (used < kHeader || used > bytes || !Open(bytes)) return false;
  HBF_UNPOISON(base_, used);
#ifdef MADV_POPULATE_WRITE
  // Pages not written yet (a new reservation, or a kept one's that went
  // back) in one call rather than a fault each, as TakeBackUsed.
  if (written_ < used) (void)::madvise(base_ + written_, PageUp(used) - written_, MADV_POPULATE_WRITE);
#endif
  return true;
}

bool Arena::OpenForCapture(size_t used, size_t bytes) {
  if (!OpenForCopy(used, bytes)) return false;
  // (Open made `bytes` writable at least; carving stops there, and zeroes
  // each block it carves: zeroing the room at once wrote pages that a
  // hibernation, which gives back what was carved, kept)
  capture_ = true;
  capture_bytes_ = bytes;
  return true;
}

void Arena::CopyWritten(size_t used) {
  next_ = base_ + used;
#if defined(__SANITIZE_ADDRESS__)
  // The size words, as Carve leaves them.
  for (char* word = base_ + kHeader; word < next_;) {
    const size_t usable = *reinterpret_cast<size_t*>(word);
    HBF_POISON(word, kHeader);
    word += kHeader + usable;
  }
#endif
}

bool Arena::OpenCopy(const char* image, size_t used, size_t bytes) {
  if (!OpenForCopy(used, bytes)) return false;
  std::memcpy(base_, image, used);
  CopyWritten(used);
  return true;
}

const char* Arena::Expose() {
  HBF_UNPOISON(base_, writable_);
  return base_;
}

void Arena::NoteDead(const void* p, size_t usable) {
  dead_.emplace_back(static_cast<size_t>(static_cast<const char*>(p) - kHeader - base_), usable + kHeader);
}

std::vector<std::pair<size_t, size_t>> Arena::DeadRanges() const {
  auto ranges = dead_;
  std::sort(ranges.begin(), ranges.end());
  return ranges;
}

void* Arena::CarveAny(size_t size, size_t& usable) { return Carve(BlockCache::ClassForRequest(size), usable); }

bool Arena::NextRun(size_t take) {
  run_next_ = run_end_ = nullptr;
  while (!runs_.empty()) {
    const auto [from, to] = runs_.back();
    runs_.pop_back();
    // (pages: the first size word at +8 puts the first block at +16, aligned)
    if (static_cast<size_t>(to - from) >= kHeader + take) {
      run_next_ = from + kHeader;
      run_end_ = to;
      return true;
    }
  }
  return false;
}

void* Arena::Carve(size_t k, size_t& usable) {
  const size_t take = 16 * (k + 1);  // size word + 16k + 8 usable bytes
  if (base_ == nullptr) return nullptr;
  char* word = nullptr;
  if ((run_next_ != nullptr && static_cast<size_t>(run_end_ - run_next_) >= take) ||
      (!runs_.empty() && NextRun(take))) {
    word = run_next_;  // released pages first
    run_next_ += take;
  } else {
    if (capture_ && static_cast<size_t>(base_ + capture_bytes_ - next_) < take) return nullptr;
    if (static_cast<size_t>(base_ + writable_ - next_) < take && (template_ || !Grow(take))) return nullptr;
    word = next_;
    next_ += take;
  }
  usable = take - kHeader;
  HBF_UNPOISON(word, take);
  if (capture_) std::memset(word + kHeader, 0, usable);  // (OpenForCapture)
  *reinterpret_cast<size_t*>(word) = usable;
  HBF_POISON(word, kHeader);
  return word + kHeader;
}

size_t Arena::ReleaseFree(BlockCache& cache) {
  if (base_ == nullptr || template_) return 0;
  // What is left of the run being carved is released pages already.
  if (run_next_ != nullptr) {
    char* from = reinterpret_cast<char*>(PageUp(reinterpret_cast<uintptr_t>(run_next_)));
    if (run_end_ - from >= static_cast<std::ptrdiff_t>(kMinRelease)) runs_.emplace_back(from, run_end_);
    run_next_ = run_end_ = nullptr;
  }
  std::vector<std::pair<char*, size_t>> blocks;
  cache.TakeAll(blocks);
  std::sort(blocks.begin(), blocks.end());
  size_t taken = 0;
  for (size_t i = 0; i < blocks.size();) {
    // A stretch of blocks each right after the other (size words included).
    size_t j = i;
    char* from = blocks[i].first - kHeader;
    char* to = blocks[i].first + blocks[i].second;
    while (j + 1 < blocks.size() && blocks[j + 1].first - kHeader == to) {
      ++j;
      to = blocks[j].first + blocks[j].second;
    }
    auto* lo = reinterpret_cast<char*>(PageUp(reinterpret_cast<uintptr_t>(from)));
    auto* hi = reinterpret_cast<char*>(reinterpret_cast<uintptr_t>(to) & ~(kPage - 1));
    const bool release = hi > lo && static_cast<size_t>(hi - lo) >= kMinRelease &&
                         ::madvise(lo, static_cast<size_t>(hi - lo), MADV_DONTNEED) == 0;
    gave_back_ |= release;
    if (release) {
      HBF_POISON(lo, static_cast<size_t>(hi - lo));
      runs_.emplace_back(lo, hi);
    }
    for (; i <= j; ++i) {
      auto [p, usable] = blocks[i];
      if (release && p - kHeader < hi && p + usable > lo) {
        taken += usable + kHeader;  // (in the pages given back, or partly)
      } else {
        HBF_UNPOISON(p, sizeof(void*) * 2);  // (kept, poisoned: Put writes its link)
        cache.Put(p, usable);
      }
    }
  }
  return taken;
}

std::vector<std::pair<size_t, size_t>> Arena::Released() const {
  std::vector<std::pair<size_t, size_t>> out;
  const auto offset = [this](const char* p) { return static_cast<size_t>(p - base_); };
  for (const auto& [from, to] : runs_) out.emplace_back(offset(from), offset(to));
  if (run_next_ != nullptr) {
    // (the run being carved: its pages past the next block are untouched)
    const auto* from = reinterpret_cast<const char*>(PageUp(reinterpret_cast<uintptr_t>(run_next_)));
    if (from < run_end_) out.emplace_back(offset(from), offset(run_end_));
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool Arena::GiveBackUsed() {
  if (base_ == nullptr || template_) return false;
  const size_t bytes = PageUp(static_cast<size_t>(next_ - base_));
  gave_back_ = true;
  return ::madvise(base_, bytes, MADV_DONTNEED) == 0;
}

void Arena::TakeBackUsed() {
  if (base_ == nullptr) return;
  const size_t bytes = PageUp(static_cast<size_t>(next_ - base_));
  // One call makes every page (no fault per page: on a paravirtualised
  // VM ~2 us each); a kernel without it (before 5.14) faults them as the
  // restore writes.
#ifdef MADV_POPULATE_WRITE
  (void)::madvise(base_, bytes, MADV_POPULATE_WRITE);
#endif
}

void Arena::GiveBackAgain(const std::vector<std::pair<size_t, size_t>>& ranges) {
  gave_back_ |= !ranges.empty();
  for (const auto& [from, to] : ranges) (void)::madvise(base_ + from, to - from, MADV_DONTNEED);
}

size_t Arena::UsableOf(const void* p) {
  const char* word = static_cast<const char*>(p) - kHeader;
  HBF_UNPOISON(word, kHeader);
  const size_t usable = *reinterpret_cast<const size_t*>(word);
  HBF_POISON(word, kHeader);
  return usable;
}

}  // namespace hbf::js::internal

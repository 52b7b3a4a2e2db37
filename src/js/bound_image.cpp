#include "js/bound_image.h"

#include <algorithm>
#include <cstring>

#include "henv/henv.h"
#include "js/engine.h"
#include "js/worker.h"
#include "js/worker_image.h"

namespace hbf::js {

size_t BoundImage::bytes() const {
  return sizeof(*this) + runs_.capacity() * sizeof(runs_[0]) + words_.capacity() * sizeof(uint64_t) +
         pointer_bits_.capacity() * sizeof(uint64_t) + worker_words_.capacity() * sizeof(worker_words_[0]);
}

void BoundImage::WriteOver(char* base, uintptr_t worker) const {
  auto* to = reinterpret_cast<uint64_t*>(base);
  const auto at = reinterpret_cast<uintptr_t>(base);
  size_t k = 0;  // the next of words_
  for (const auto& [first, count] : runs_) {
    if ((count & kZeros) != 0) {
      std::memset(to + first, 0, sizeof(uint64_t) * (count & ~kZeros));
      continue;
    }
    for (uint32_t i = 0; i < count; ++i, ++k) {
      const uint64_t pointer = (pointer_bits_[k / 64] >> (k % 64)) & 1;
      to[first + i] = words_[k] + (at & (0 - pointer));
    }
  }
  for (const auto& [index, offset] : worker_words_) to[index] = worker + offset;
}

void BoundImage::SetFields(Worker& w) const {
  w.has_router_ = has_router_;
  w.router_ = router_offset_ < 0 ? router_
                                 : JS_MKPTR(JS_VALUE_GET_TAG(router_), w.memory_.arena.base() + router_offset_);
  w.route_reach_ = route_reach_;
  w.routes_changed_ = routes_changed_;
}

std::unique_ptr<Worker> BoundImage::BoundCopy(const WorkerImage& image, Henv& henv, HenvPool& pool, int64_t version,
                                              const ScriptLimits& limits, size_t room, ScriptResult::Failure& failure,
                                              bool& bind_failed, std::string& why) {
  std::unique_ptr<Worker> w(new Worker());
  if (!image.CopyInto(*w, nullptr, room)) {
    why = "no memory for the copies";
    return nullptr;
  }
  JS_SetRandomSeed(w->ctx_, internal::FreshRandomSeed());
  if (!w->Bind(henv, pool, version, limits, failure)) {
    bind_failed = true;
    why = "its bind failed: " + failure.message;
    return nullptr;
  }
  return w;
}

std::shared_ptr<const BoundImage> BoundImage::Capture(const WorkerImage& image, Henv& henv, HenvPool& pool,
                                                      int64_t version, const ScriptLimits& limits,
                                                      size_t bind_bytes, std::chrono::nanoseconds compare_within,
                                                      CaptureOutcome& outcome) {
  const size_t room = (bind_bytes != 0 ? std::max(bind_bytes, image.size_) : image.size_ + kFirstRoomBytes) +
                      kSlackBytes;
  // Seeded apart from the second, each afresh (this one may be the henv's
  // worker whatever comes next): a top level that draws from Math.random
  // leaves words that differ (what it drew), so it is not captured. Then
  // alike, for the comparison of the generators' own state.
  const auto bind_began = std::chrono::steady_clock::now();
  std::unique_ptr<Worker> a =
      BoundCopy(image, henv, pool, version, limits, room, outcome.failure, outcome.bind_failed, outcome.why);
  if (a == nullptr) return nullptr;
  const bool compare_after_compiling = std::chrono::steady_clock::now() - bind_began <= compare_within;
  // Whatever comes next, the first copy is a bound worker of the henv: its
  // arena goes on carving as any copy's, under a fresh seed. (Under ASan
  // its arena stays unpoisoned where the comparison exposed it: this one
  // worker is checked less closely.)
  const auto hand_out = [&] {
    a->memory_.arena.EndCapture();
    JS_SetRandomSeed(a->ctx_, internal::FreshRandomSeed());
    outcome.worker = std::move(a);
  };
  // A bind with effects is bound once (this one), never captured: the
  // second bind would repeat them.
  if (!a->bind_left_only_its_heap()) {
    outcome.why = "its bind reached outside the runtime";
    hand_out();
    return nullptr;
  }
  // (a block from malloc: the copy's arena had no room left; or its code
  // was compiled at a code change, when the henv's owner may well change
  // it again, or by a bind too long to run twice more now: captured at the
  // henv's next worker, with the room this one took)
  if (a->memory_.MallocBytes() != 0 || (a->compiled_ && !compare_after_compiling)) {
    outcome.why = a->compiled_ ? "its bind compiled its code" : "its bind took more room than a capture had";
    outcome.held_bytes = a->arena_used_bytes() + static_cast<size_t>(a->malloc_bytes());
    hand_out();
    return nullptr;
  }
  // A bind that compiled its code (the first of this code in the process)
  // leaves a heap no later bind does: they read the bytecode it cached.
  // At a henv's first capture two such binds are compared instead, now
  // rather than at its next worker, so that a henv met once makes every
  // later worker from its image (over many henvs, captures at the second
  // worker fall on a server's busiest time: when every henv's first worker
  // is evicted). Their room: what the compiling bind held, which also held
  // what the compiler made.
  std::unique_ptr<Worker> cached_bind;
  Worker* first = a.get();
  size_t second_room = room;
  ScriptResult::Failure failure;
  bool failed = false;
  std::string why;
  if (a->compiled_) {
    second_room = a->arena_used_bytes() + kSlackBytes;
    cached_bind = BoundCopy(image, henv, pool, version, limits, second_room, failure, failed, why);
    first = cached_bind.get();
  }
  // Both copies live until the comparison is done, so no memory of
  // either's (its Worker, anything it allocated) can be at the other's
  // address.
  std::unique_ptr<Worker> second =
      first == nullptr ? nullptr : BoundCopy(image, henv, pool, version, limits, second_room, failure, failed, why);
  // (each compared bind read its code from the cache, left only its heap
  // and took no more than its room)
  const auto comparable = [](const Worker& w) {
    return !w.compiled_ && w.bind_left_only_its_heap() && w.memory_.MallocBytes() == 0;
  };
  std::shared_ptr<const BoundImage> captured;
  if (second == nullptr) {
    outcome.why = failed ? "a second bind failed: " + failure.message : why;
  } else if (!comparable(*first) || !comparable(*second)) {
    outcome.why = "a second bind differed in what it reached or held";
  } else {
    JS_SetRandomSeed(first->ctx_, 3);
    JS_SetRandomSeed(second->ctx_, 3);
    captured = Compare(image, *first, *second, henv, pool, version, outcome.why);
  }
  hand_out();
  return captured;
}

std::shared_ptr<const BoundImage> BoundImage::Compare(const WorkerImage& image, Worker& first, Worker& second,
                                                      Henv& henv, HenvPool& pool, int64_t version, std::string& why) {
  Worker* a = &first;
  Worker* b = &second;
  internal::Arena& arena_a = a->memory_.arena;
  internal::Arena& arena_b = b->memory_.arena;
  const size_t used = arena_a.used_bytes();
  if (used != arena_b.used_bytes() || used % 8 != 0 || used < image.size_ || used / 8 >= kZeros) {
    why = "the binds carved different sizes (" + std::to_string(used) + ", " + std::to_string(arena_b.used_bytes()) +
          " bytes)";
    return nullptr;
  }
  // (the kept blocks' offsets before Expose: it unpoisons them)
  internal::BlockCache::Offsets cache_a{};
  internal::BlockCache::Offsets cache_b{};
  if (!a->memory_.cache.ToOffsets(arena_a.base(), used, cache_a) ||
      !b->memory_.cache.ToOffsets(arena_b.base(), used, cache_b) ||
      std::memcmp(cache_a.heads, cache_b.heads, sizeof cache_b.heads) != 0) {
    why = "the binds' kept blocks differ";
    return nullptr;
  }
  const char* base_a = arena_a.Expose();
  const char* base_b = arena_b.Expose();
  const auto ba = reinterpret_cast<uintptr_t>(base_a);
  const uintptr_t delta = reinterpret_cast<uintptr_t>(base_b) - ba;
  const auto wa = reinterpret_cast<uintptr_t>(a);
  const auto wb = reinterpret_cast<uintptr_t>(b);
  const auto in = [](uint64_t v, uintptr_t from, size_t bytes) { return v >= from && v - from <= bytes; };
  // Both copies were bound to one henv through one pool: a word pointing
  // at either is the same in both, yet must not be copied into workers
  // that may outlive them (a henv closed and opened again is a new Henv).
  const auto henv_at = reinterpret_cast<uintptr_t>(&henv);
  const auto pool_at = reinterpret_cast<uintptr_t>(&pool);

  std::shared_ptr<BoundImage> out(new BoundImage());
  const size_t n = used / 8;
  const size_t image_n = image.size_ / 8;
  const uintptr_t image_delta = ba - image.base_;
  // The words the first copy holds unlike a copy of the image (relocated
  // to it), and those past the image that are not zero: found a block of
  // eight at a time (WorkerImage::SnapshotArena, as a hibernation's). Each
  // is told apart by the second copy's. (What the second bind changed
  // besides, if anything, is not looked for: a copy reproduces the first
  // bind, whose words the image's pointer bitmap and these tell apart.)
  const ArenaSnapshot changed_a = image.SnapshotArena(base_a, used, {});
  size_t next_worker_word = 0;  // of image.worker_words_ (ascending)
  size_t last = SIZE_MAX;       // the last word kept
  bool run_zeros = false;
  const auto keep = [&](size_t i, uint64_t stored, bool pointer) {
    const bool zero = !pointer && stored == 0;
    if (last == SIZE_MAX || i != last + 1 || zero != run_zeros) {
      out->runs_.emplace_back(static_cast<uint32_t>(i), zero ? kZeros : 0);
      run_zeros = zero;
    }
    ++out->runs_.back().second;
    last = i;
    if (!zero) {
      const size_t k = out->words_.size();
      out->words_.push_back(stored);
      if (out->pointer_bits_.size() <= k / 64) out->pointer_bits_.push_back(0);
      if (pointer) out->pointer_bits_[k / 64] |= uint64_t{1} << (k % 64);
    }
  };
  // Past the image, what the snapshot left out is zeros: kept as counts
  // (a copy's arena past the image holds another worker's bytes).
  size_t zeros_from = image_n;
  const auto keep_zeros_to = [&](size_t to) {
    for (; zeros_from < to; ++zeros_from) keep(zeros_from, 0, false);
  };
  for (const auto& [from, count] : changed_a.runs) {
    for (size_t i = from; i < size_t{from} + count; ++i) {
      if (i >= image_n) keep_zeros_to(i);
      uint64_t va = 0;
      uint64_t vb = 0;
      std::memcpy(&va, base_a + 8 * i, 8);
      std::memcpy(&vb, base_b + 8 * i, 8);
      uint64_t stored = va;
      bool pointer = false;
      bool worker = false;
      if (va == vb) {
        if (in(va, ba, used) || in(va, ba + delta, used)) {
          why = "word " + std::to_string(i) + " points into one copy from both";
          return nullptr;
        }
        if (in(va, henv_at, sizeof(Henv)) || in(va, pool_at, sizeof(HenvPool))) {
          why = "word " + std::to_string(i) + " points at the henv or its pool";
          return nullptr;
        }
      } else if (vb - va == delta && in(va, ba, used)) {
        pointer = true;
        stored = va - ba;
      } else if (va - wa < sizeof(Worker) && vb - wb == va - wa) {
        worker = true;
        stored = va - wa;
      } else {
        why = "word " + std::to_string(i) + " differs between two binds";
        return nullptr;
      }
      if (i < image_n) {
        // (a word the snapshot joined to a run, or one pointing into the
        // Worker where the image's does: as a copy of the image has it)
        uint64_t expected = image.words_[i];
        if ((image.pointer_bits_[i / 8] >> (i % 8) & 1) != 0) expected += image_delta;
        while (next_worker_word < image.worker_words_.size() && image.worker_words_[next_worker_word].first < i) {
          ++next_worker_word;
        }
        if (next_worker_word < image.worker_words_.size() && image.worker_words_[next_worker_word].first == i) {
          expected = wa + image.worker_words_[next_worker_word].second;
        }
        if (va == expected) continue;
      } else {
        zeros_from = i + 1;
      }
      if (worker) {
        out->worker_words_.emplace_back(i, stored);
        stored = 0;  // (written after the runs)
      }
      keep(i, stored, pointer);
    }
  }
  keep_zeros_to(n);

  // What the Worker holds beside its arena, the same in both.
  const int64_t memory_bytes = a->memory_.bytes.load(std::memory_order_relaxed);
  const auto offset_in = [](const char* base, size_t size, JSValueConst v) -> int64_t {
    if (!JS_VALUE_HAS_REF_COUNT(v)) return -1;
    const auto* p = static_cast<const char*>(JS_VALUE_GET_PTR(v));
    return p >= base && p < base + size ? p - base : -2;
  };
  const int64_t router_a = offset_in(base_a, used, a->router_);
  if (router_a == -2 || router_a != offset_in(base_b, used, b->router_) || a->has_router_ != b->has_router_ ||
      memory_bytes != b->memory_.bytes.load(std::memory_order_relaxed) || a->gc_live_bytes_ != b->gc_live_bytes_ ||
      a->module_formats_ != b->module_formats_ || a->routes_changed_ != b->routes_changed_ ||
      a->builtin_modules_.size() != b->builtin_modules_.size() ||
      (a->route_reach_ == nullptr) != (b->route_reach_ == nullptr)) {
    why = "the bound workers' own state differs";
    return nullptr;
  }
  for (const auto& [id, module] : a->builtin_modules_) {
    const auto* p = reinterpret_cast<const char*>(module);
    const auto other = b->builtin_modules_.find(id);
    if (p < base_a || p >= base_a + used || other == b->builtin_modules_.end() ||
        reinterpret_cast<const char*>(other->second) - base_b != p - base_a) {
      why = "built-in module " + id + " differs between two binds";
      return nullptr;
    }
    out->builtin_modules_.emplace_back(id, static_cast<size_t>(p - base_a));
  }
  out->version_ = version;
  out->used_ = used;
  out->memory_bytes_ = memory_bytes;
  out->cache_ = cache_a;
  out->module_formats_ = a->module_formats_;
  out->gc_live_bytes_ = a->gc_live_bytes_;
  out->has_router_ = a->has_router_;
  out->router_ = router_a < 0 ? a->router_ : JS_MKPTR(JS_VALUE_GET_TAG(a->router_), nullptr);
  out->router_offset_ = router_a;
  out->route_reach_ = a->route_reach_;
  out->routes_changed_ = a->routes_changed_;
  out->runs_.shrink_to_fit();
  out->words_.shrink_to_fit();
  out->pointer_bits_.shrink_to_fit();
  out->worker_words_.shrink_to_fit();
  return out;
}

}  // namespace hbf::js

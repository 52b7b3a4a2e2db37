// Internal to src/js: a henv's worker as its Bind leaves it, kept as what
// differs from the WorkerImage, so that the henv's next workers are copied
// bound instead of binding.
//
// Why: over 10,000 henvs most requests meet a henv without a worker (the
// memory budget holds ~2,900), and a worker made for one is a copy of the
// image (~95k instructions) and then a bind (~190k: reading the router's
// bytecode, running its top level, `new Router()` and a Layer per route,
// taking its reach; callgrind, bench/README.md). A pure bind makes the same
// words every time, ~3,600 of them for the bench's tenants' router, ~2,700
// of which are zeros: kept once per henv and version, a copy writes them
// over the image's instead of running the bind.
//
// How: as WorkerImage's capture, by comparison. A henv's first worker at
// a version is a copy of the image, in a kept arena that carves as a
// template's (everything it allocates carved there, freed blocks zeroed),
// bound under a fresh Math.random seed. If that bind left only its heap
// (Worker::bind_left_only_its_heap: no connection opened, no timer, no log
// line; a copy skips the bind, so it must have had no effect to skip) and
// read its code's bytecode rather than compiling it, a second copy is
// bound beside it (another fresh seed: a top level that draws from
// Math.random leaves words that differ) and the words the first changed
// are told apart by the second's: the same in both (a constant), apart by
// the distance between the arenas (a pointer into the runtime) or pointing
// at the same place in each Worker. Anything else (a time, a random
// number, an address of memory of its own, a pointer at the henv) and
// there is no bound image at that version. Either way the first copy is
// the henv's worker. The words kept are those that differ from the image
// relocated to the first copy, and all past the image's end, as runs
// (zeros as a count only).
//
// Each copy is a runtime of its own, as any copy of the image: nothing is
// shared between copies or with the henv's other workers but this
// immutable record.
//
// Thread safety: immutable once captured; any thread may copy it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

extern "C" {
#include <quickjs.h>
}

#include "js/allocator.h"
#include "js/engine.h"

namespace hbf {
class Henv;
}

namespace hbf::js {

struct HenvPool;
struct RouteReach;
class Worker;
class WorkerImage;

class BoundImage {
 public:
  // What Capture did besides making (or not) an image.
  struct CaptureOutcome {
    // The first copy, bound: the henv's worker, whenever its bind
    // succeeded (captured or not). Null if the bind failed (`failure`
    // says why, `bind_failed` is set) or memory ran out.
    std::unique_ptr<Worker> worker;
    ScriptResult::Failure failure;
    bool bind_failed = false;
    // Set when the bind needed more room than it was given: what it held
    // (arena and malloc), the room for the next try.
    size_t held_bytes = 0;
    std::string why;  // no image: why not
  };
  // Makes the henv's next worker by binding a copy of `image` to `henv` at
  // `version`, and, if that bind left only its heap (no effect a copy
  // would skip: Worker::bind_left_only_its_heap) and took no more than its
  // room, binds a second copy and compares the two; null if they differ in
  // a way a copy cannot account for. A first bind that compiled the henv's
  // code (the first in the process: later binds read the bytecode it
  // cached, and leave another heap) is not compared: when it took no
  // longer than `compare_within`, two more copies bound from the cache
  // are, with the room it took; otherwise none (CaptureOutcome::held_bytes:
  // the henv's next worker captures). Each copy gets `bind_bytes`
  // of room (what an earlier bind held; 0: the image and kFirstRoomBytes),
  // each block zeroed as it is carved, in a kept arena's pages where they
  // reach. Costs one copy, one bind and a comparison more than making the
  // worker (two copies and binds after a compiling bind).
  static std::shared_ptr<const BoundImage> Capture(const WorkerImage& image, Henv& henv, HenvPool& pool,
                                                   int64_t version, const ScriptLimits& limits, size_t bind_bytes,
                                                   std::chrono::nanoseconds compare_within, CaptureOutcome& outcome);
  // A first capture's room past the image (a small router's bind takes
  // ~25 KB past it; a copy's arena is written ~64 KB past it).
  static constexpr size_t kFirstRoomBytes = 48 << 10;
  // The room Capture gives a bind beyond what an earlier one held.
  static constexpr size_t kSlackBytes = 16 << 10;

  // The henv's code version the image was bound at.
  int64_t version() const { return version_; }
  // Bytes held (what the engine counts against its memory budget).
  size_t bytes() const;

  BoundImage(const BoundImage&) = delete;
  BoundImage& operator=(const BoundImage&) = delete;

 private:
  friend class WorkerImage;  // writes a copy (WorkerImage::CopyInto)
  friend class Worker;       // sets a copy's fields (Worker::CreateBound)
  BoundImage() = default;

  // A copy of `image` with `room` bytes bound to the henv under a fresh
  // seed (Capture's); null when memory ran out (`why`) or the bind failed
  // (`bind_failed`, `failure`).
  static std::unique_ptr<Worker> BoundCopy(const WorkerImage& image, Henv& henv, HenvPool& pool, int64_t version,
                                           const ScriptLimits& limits, size_t room, ScriptResult::Failure& failure,
                                           bool& bind_failed, std::string& why);
  // The comparison of two bound copies (Capture's).
  static std::shared_ptr<const BoundImage> Compare(const WorkerImage& image, Worker& first, Worker& second, Henv& henv,
                                                   HenvPool& pool, int64_t version, std::string& why);
  // Writes the runs over a copy of the image at `base`, whose Worker is at
  // `worker`.
  void WriteOver(char* base, uintptr_t worker) const;
  // Sets what a bind sets in `w` beyond its arena and its henv: its router
  // and the router's reach.
  void SetFields(Worker& w) const;

  int64_t version_ = -1;
  size_t used_ = 0;  // the arena's bytes carved, from its base
  // (first word, count); kZeros in the count: that many zero words, none
  // in words_.
  static constexpr uint32_t kZeros = uint32_t{1} << 31;
  std::vector<std::pair<uint32_t, uint32_t>> runs_;
  // The runs' words, one after the other; a pointer word as its offset
  // from the arena's base (its bit set in pointer_bits_).
  std::vector<uint64_t> words_;
  std::vector<uint64_t> pointer_bits_;
  // Words pointing into the Worker: (word index, offset in the Worker).
  std::vector<std::pair<size_t, size_t>> worker_words_;
  int64_t memory_bytes_ = 0;
  internal::BlockCache::Offsets cache_{};
  std::vector<std::pair<std::string, size_t>> builtin_modules_;  // id, JSModuleDef offset
  std::unordered_map<std::string, std::string> module_formats_;
  int64_t gc_live_bytes_ = 0;
  bool has_router_ = false;
  JSValue router_ = JS_UNDEFINED;  // its pointer (if any) as an offset: router_offset_
  int64_t router_offset_ = -1;
  std::shared_ptr<const RouteReach> route_reach_;
  bool routes_changed_ = false;
};

}  // namespace hbf::js

// Internal to src/js: a blank worker made by copying memory, not by running
// its build.
//
// Why: building a blank worker (a runtime, a context, the built-ins read
// and evaluated) costs ~3.4M instructions, and a server with more henvs
// than its memory budget holds workers for builds one for most requests
// (bench/README.md, tenants 10k). Every build makes the same objects in the
// same order from the same bytes, so a blank runtime is one image that only
// its addresses tell apart.
//
// How: the first use builds two template workers whose runtimes are each
// in one zeroed arena (Arena::OpenTemplate), side by side, and compares
// them word by word. A word that is the same in both is a constant; one
// that differs by the distance between the two arenas is a pointer into
// the runtime; one that points at the same place in each template's Worker
// is the runtime's opaque (the Worker, its memory counter). Anything else
// (an address-dependent hash, a pointer to memory of its own outside the
// arena, a time) means the build is not reproducible, and the image is not
// made: every blank worker is then built as before (logged once). QuickJS
// patch 0020 is what makes the runtime reproducible: objects are hashed in
// shapes and Map keys by a creation number, not their address, and
// Math.random's time seed is set after the copy.
//
// A copy is one pass over the template's arena (~370 KB) into a new one,
// the pointer words moved by the distance between the two as they are
// copied (a bitmap says which: worker_image.cpp CopyRelocated), the opaque
// words pointed at the new Worker, and the Worker's own fields (its values
// into the runtime, its built-in modules) set the same way. Each copy is a
// runtime of its own: nothing is shared with the image or another copy
// (isolation is as for a built worker).
//
// Thread safety: Get() captures once (std::call_once); the image is
// immutable after, and any thread may copy it concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

extern "C" {
#include <quickjs.h>
}

#include "js/allocator.h"
#include "js/image_profile.h"

namespace hbf::js {

class BoundImage;
class Worker;

namespace internal {

// Math.random's seed for a new copy: 8 bytes of the system's CSPRNG (taken
// 32 seeds at a time per thread). Any thread.
uint64_t FreshRandomSeed();

// Writes the `n` words of `from` to `to`, `delta` added to each whose bit
// is set in `pointers` (bit i % 8 of byte i / 8): an image's copy and its
// relocation in one pass. Why not memcpy and then the pointer words: that
// second pass read back ~12,800 scattered words (~7 us a copy; most
// requests make a worker over 10,000 henvs), and the copy was no faster
// than this loop (bench/README.md, 2026-12-06 thirtieth session).
// `with` picks the code (for tests; all write the same): kFastest is AVX2
// where the CPU has it, else SSE2 (x86-64's baseline), else plain words.
enum class CopyWith { kFastest, kBaseline, kPlainWords };
void CopyRelocated(uint64_t* to, const uint64_t* from, size_t n, const uint8_t* pointers, uint64_t delta,
                   CopyWith with = CopyWith::kFastest);

}  // namespace internal

// An idle worker's arena kept as what differs from the image it was copied
// from (Worker::Hibernate), its pages given back. Word i of the arena is
// expected to be the image's word relocated to the arena (i below the
// image's end) or zero (past it); runs of words that are not are kept.
// A bound worker that has served requests differs from its image in ~1,000
// of its ~42,000 image words (bench/README.md, hibernation).
struct ArenaSnapshot {
  // The page ranges left out (offsets, ascending: pages given back before,
  // Arena::Released), to be given back again after a restore.
  std::vector<std::pair<size_t, size_t>> skipped;
  // Runs of words kept: (first word, count), ascending; their words in
  // `words`, one run after the other. Empty once packed.
  std::vector<std::pair<uint32_t, uint32_t>> runs;
  std::vector<uint64_t> words;
  // Once Pack()ed: runs and words, one after the other, as one compressed
  // block (codec/block.h; ~2.3x smaller), and how many of each it holds.
  std::vector<char> packed;
  size_t packed_runs = 0;
  size_t packed_words = 0;

  // Packs runs and words into `packed` (and frees them) if that makes
  // them smaller; false, and the snapshot as it was, if not or out of
  // memory. Never throws.
  bool Pack() noexcept;
  // The runs and words: a view of this snapshot's, or of `scratch`, where
  // a packed snapshot is unpacked (grown as needed; the caller reuses it).
  // False only when out of memory for `scratch` (or the block is bad).
  // Never throws.
  struct Contents {
    std::span<const std::pair<uint32_t, uint32_t>> runs;
    std::span<const uint64_t> words;
  };
  struct Scratch {
    std::vector<uint64_t> block;  // runs (a word each) then words, unpacked
    std::vector<std::pair<uint32_t, uint32_t>> runs;
  };
  bool Unpack(Scratch& scratch, Contents& out) const noexcept;

  // Bytes held (what the engine counts for a hibernated worker's arena).
  size_t bytes() const {
    return runs.capacity() * sizeof(runs[0]) + words.capacity() * sizeof(uint64_t) +
           skipped.capacity() * sizeof(skipped[0]) + packed.capacity();
  }
};

class WorkerImage {
 public:
  // The process's image, captured on first use; null if the build is not
  // reproducible (the reason is logged once) or a template failed to build.
  static const WorkerImage* Get();
  // The image if one was captured already, else null; never captures (for
  // /health, answered on an I/O loop).
  static const WorkerImage* Peek();

  // Captures an image from two fresh template builds; null and `why` if
  // they differ in a way a copy cannot account for.
  static std::unique_ptr<WorkerImage> Capture(std::string& why);

  // Makes `w`, a Worker with no runtime yet, a copy of the image: its
  // runtime and context, its built-ins. With `bound` (made from this
  // image), a copy of that: the image with the bound worker's words written
  // over it (the caller sets the rest: Worker::CreateBound). With
  // `capture_bytes`, into an arena of that many bytes that carves as a
  // template's (Arena::OpenForCapture), for BoundImage::Capture.
  // False only if memory ran out.
  bool CopyInto(Worker& w, const BoundImage* bound = nullptr, size_t capture_bytes = 0) const;

  // A template's arena: its runtime must fit (the bench app's blank worker
  // carves ~390 KB); what does not fit comes from malloc, and the capture
  // then finds pointers it cannot account for.
  static constexpr size_t kTemplateArenaBytes = 2 << 20;

  size_t bytes() const { return size_; }
  size_t pointer_words() const;

  // What tells this image's layout apart: its size, where its pointer words
  // are and what its Worker's fields point at (not the words' values: a C
  // function's address differs between binaries built from the same code).
  // The same in every process of one build.
  uint64_t fingerprint() const { return fingerprint_; }
  // The lines of the image a cold copy prefetches (image_profile.h): the
  // profile's if it was traced on this image, else none (every line is).
  std::span<const uint16_t> hot_lines() const { return hot_lines_; }
  // `profile`'s lines if it was made on an image of `fingerprint` and
  // `bytes`, else none.
  static std::span<const uint16_t> ProfileLines(const ImageProfile* profile, uint64_t fingerprint, size_t bytes);
  // Asks the CPU to fetch the image's hot lines of a copy's arena at
  // `base` (prefetches only: nothing faults or waits), and returns the
  // bytes of the arena they stand for: the image's size, or 0 without a
  // profile (then the caller prefetches the image's lines itself). Only the
  // thread running the copy calls it.
  size_t PrefetchHotLines(const char* base) const;

  // The snapshot of the arena at `base`, a copy of this image (CopyInto)
  // with `used` bytes carved since; the page ranges `skipped` are left out.
  ArenaSnapshot SnapshotArena(const char* base, size_t used, std::vector<std::pair<size_t, size_t>> skipped) const;
  // Writes a snapshot's contents (ArenaSnapshot::Unpack) back into the
  // arena at `base` (writable, its pages given back: zero): this image
  // relocated to `base`, then the runs. The skipped ranges get the image's
  // words: the caller gives them back again.
  void RestoreArena(const ArenaSnapshot::Contents& contents, char* base) const;

  WorkerImage() = default;
  WorkerImage(const WorkerImage&) = delete;
  WorkerImage& operator=(const WorkerImage&) = delete;

 private:
  friend class BoundImage;  // compares a bound copy with this image
  // A value the Worker holds into its runtime: `value` as is when it
  // holds no pointer, else its tag with the pointer at `offset` in the arena.
  struct HeldValue {
    JSValue value = JS_UNDEFINED;
    int64_t offset = -1;
  };
  static bool Hold(const char* base, size_t size, JSValue v, HeldValue& out);
  static JSValue Restore(const HeldValue& held, char* base);
  uint64_t LayoutFingerprint() const;

  std::unique_ptr<uint64_t[]> words_;  // the template's arena, size_ bytes
  size_t size_ = 0;                    // its first size word up to the end of its last block
  uintptr_t base_ = 0;                 // where that arena was
  // The words that point into the arena, as a bitmap (bit i % 8 of byte
  // i / 8: word i): a copy adds the distance between the arenas to each as
  // it copies (CopyInto, RestoreArena), SnapshotArena compares by it, and
  // it is part of the layout's fingerprint.
  std::vector<uint8_t> pointer_bits_;
  // Words that point into the Worker: (word index, offset in the Worker).
  std::vector<std::pair<size_t, size_t>> worker_words_;
  size_t rt_offset_ = 0;
  size_t ctx_offset_ = 0;
  int64_t memory_bytes_ = 0;  // RuntimeMemory::bytes
  internal::BlockCache::Offsets cache_{};
  HeldValue dispatch_fn_;
  HeldValue reach_fn_;
  // The request object (Worker::raw_, made by the templates) and the atoms
  // of its fields and of the result's (the same numbers in every copy).
  HeldValue raw_;
  std::vector<JSAtom> raw_atoms_;
  std::vector<std::pair<std::string, size_t>> builtin_modules_;  // id, JSModuleDef offset
  std::unordered_map<std::string, std::string> module_formats_;
  int64_t gc_live_bytes_ = 0;
  uint64_t fingerprint_ = 0;
  std::span<const uint16_t> hot_lines_;  // (the profile's static data)
};

}  // namespace hbf::js

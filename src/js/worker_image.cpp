#include "js/worker_image.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <climits>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <new>
#include <optional>
#include <span>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "codec/block.h"
#include "core/log.h"
#include "crypto/crypto.h"
#include "js/bound_image.h"
#include "js/worker.h"

namespace hbf::js {

namespace {

// What a copy's arena holds beyond the image: Bind's blocks (the router's
// functions and shapes) are carved after it, as a built worker's are.
constexpr size_t kCopyHeadroomBytes = 64 << 10;

// Hibernation reads and writes a worker's arena word by word, its kept
// blocks and size words included, which ASan poisons (allocator_poison.h): these
// loops are not instrumented, and the poisoning is left as it was (the
// shadow is not the arena's pages, which are all that is given back).
#if defined(__SANITIZE_ADDRESS__)
#define HBF_NO_ASAN __attribute__((no_sanitize_address))
#else
#define HBF_NO_ASAN
#endif

HBF_NO_ASAN void CopyWords(uint64_t* to, const uint64_t* from, size_t n) {
#if defined(__SANITIZE_ADDRESS__)
  volatile uint64_t* out = to;  // (volatile: not made a call to the intercepted memcpy)
  for (size_t i = 0; i < n; ++i) out[i] = from[i];
#else
  std::memcpy(to, from, n * sizeof(uint64_t));
#endif
}

// Keeps word i of `arena` in `out`, which ends before i: a gap of up to
// kJoinGap words since the last run joins it (a run costs as much as a
// word), else a new run starts.
constexpr uint32_t kJoinGap = 1;
[[gnu::always_inline]] HBF_NO_ASAN inline void KeepWord(const uint64_t* arena, size_t i, ArenaSnapshot& out) {
  auto& runs = out.runs;
  if (!runs.empty() && runs.back().first + runs.back().second + kJoinGap >= i) {
    for (size_t k = runs.back().first + runs.back().second; k < i; ++k) {
      const uint64_t between = arena[k];  // (read here, uninstrumented: push_back's copy is not)
      out.words.push_back(between);
    }
    runs.back().second = static_cast<uint32_t>(i + 1 - runs.back().first);
  } else {
    runs.emplace_back(static_cast<uint32_t>(i), 1);
  }
  const uint64_t word = arena[i];  // (as above: push_back would read the arena through its reference)
  out.words.push_back(word);
}

// Appends the words of `arena` in [from, to) that are not zero to `out`.
HBF_NO_ASAN void DiffZeroWords(const uint64_t* arena, size_t from, size_t to, ArenaSnapshot& out) {
  constexpr size_t kBlock = 8;  // words compared at once (most blocks are equal)
  for (size_t i = from; i < to;) {
    if (i + kBlock <= to) {
      uint64_t differ = 0;
      for (size_t k = 0; k < kBlock; ++k) differ |= arena[i + k];
      if (differ == 0) {
        i += kBlock;
        continue;
      }
    }
    for (const size_t end = std::min(i + kBlock, to); i < end; ++i) {
      if (arena[i] != 0) KeepWord(arena, i, out);
    }
  }
}

// For each byte of a pointer bitmap (bit k: word k of the eight it stands
// for points into the arena), the eight words' relocation masks: word k
// all ones where bit k is set. Made once; 16 KB.
using PointerMasks = std::array<std::array<uint64_t, 8>, 256>;
const PointerMasks& MasksOfPointerBytes() {
  static const PointerMasks* const kMasks = [] {
    auto* masks = new PointerMasks();
    for (unsigned bits = 0; bits < 256; ++bits) {
      for (unsigned k = 0; k < 8; ++k) (*masks)[bits][k] = ((bits >> k) & 1u) != 0 ? ~uint64_t{0} : 0;
    }
    return masks;
  }();
  return *kMasks;
}

#if defined(__x86_64__)
// CopyRelocated's whole bytes of `pointers` with AVX2: four words an
// instruction (the caller checked the CPU has it).
__attribute__((target("avx2"))) HBF_NO_ASAN void CopyRelocatedAvx2(uint64_t* to, const uint64_t* from, size_t whole,
                                                                    const uint8_t* pointers, uint64_t delta,
                                                                    const PointerMasks& masks) {
  const __m256i relocation = _mm256_set1_epi64x(static_cast<long long>(delta));
  for (size_t i = 0; i < whole; i += 8) {
    const uint64_t* mask = masks[pointers[i / 8]].data();
    const __m256i low = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(from + i));
    const __m256i high = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(from + i + 4));
    const __m256i low_mask = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(mask));
    const __m256i high_mask = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(mask + 4));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(to + i),
                        _mm256_add_epi64(low, _mm256_and_si256(relocation, low_mask)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(to + i + 4),
                        _mm256_add_epi64(high, _mm256_and_si256(relocation, high_mask)));
  }
}
#endif

// Appends the words of `arena` in [from, to) that differ from the image
// relocated by `delta` to `out`: word i is expected to be image[i], plus
// `delta` where bit i of `pointers` is set. Compared as it goes, eight
// words (one byte of `pointers`) at a time from an aligned index: no
// relocated copy of the image is written (one was 330 KB a snapshot).
HBF_NO_ASAN void DiffImageWords(const uint64_t* arena, const uint64_t* image, const uint8_t* pointers,
                                uint64_t delta, size_t from, size_t to, ArenaSnapshot& out) {
  const auto expected = [&](size_t i) {
    return image[i] + (delta & (uint64_t{0} - ((static_cast<unsigned>(pointers[i / 8]) >> (i % 8)) & 1u)));
  };
  const PointerMasks& masks = MasksOfPointerBytes();
  size_t i = from;
  for (; i < to && i % 8 != 0; ++i) {  // up to the first whole byte of `pointers`
    if (arena[i] != expected(i)) KeepWord(arena, i, out);
  }
  for (; i + 8 <= to; i += 8) {
    const uint64_t* mask = masks[pointers[i / 8]].data();
#if defined(__SSE2__)
    {
      // Most blocks are equal: two words an instruction (SSE2 is x86-64's
      // baseline) to find so.
      const __m128i relocation = _mm_set1_epi64x(static_cast<long long>(delta));
      __m128i any = _mm_setzero_si128();
      for (unsigned k = 0; k < 8; k += 2) {
        const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(arena + i + k));
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(image + i + k));
        const __m128i m = _mm_loadu_si128(reinterpret_cast<const __m128i*>(mask + k));
        any = _mm_or_si128(any, _mm_xor_si128(_mm_sub_epi64(a, b), _mm_and_si128(relocation, m)));
      }
      if (_mm_movemask_epi8(_mm_cmpeq_epi8(any, _mm_setzero_si128())) == 0xFFFF) continue;
    }
#endif
    unsigned differ = 0;  // bit k: word i + k differs
    for (unsigned k = 0; k < 8; ++k) {
      differ |= static_cast<unsigned>(((arena[i + k] - image[i + k]) ^ (delta & mask[k])) != 0) << k;
    }
    for (; differ != 0; differ &= differ - 1) KeepWord(arena, i + static_cast<size_t>(std::countr_zero(differ)), out);
  }
  for (; i < to; ++i) {
    if (arena[i] != expected(i)) KeepWord(arena, i, out);
  }
}

}  // namespace

namespace {
std::atomic<const WorkerImage*> captured{nullptr};  // Get()'s image once made
}  // namespace

const WorkerImage* WorkerImage::Get() {
  static std::once_flag once;
  static std::unique_ptr<WorkerImage> image;
  std::call_once(once, [] {
    std::string why;
    image = Capture(why);
    if (!image) {
      Log(LogLevel::kWarn, "blank JavaScript workers are built, not copied: " + why);
    } else if (const ImageProfile* profile = CurrentImageProfile()) {
      image->hot_lines_ = ProfileLines(profile, image->fingerprint_, image->size_);
      if (image->hot_lines_.empty()) {
        // (a build whose tool could not trace, or a profile of other code)
        Log(LogLevel::kInfo, "the worker image's profile does not fit it (" + std::to_string(profile->hot_line_count) +
                                 " lines): a cold worker is prefetched whole");
      }
    }
    captured.store(image.get(), std::memory_order_release);
  });
  return image.get();
}

const WorkerImage* WorkerImage::Peek() { return captured.load(std::memory_order_acquire); }

namespace {
std::atomic<const ImageProfile*> image_profile{nullptr};
}  // namespace

void SetImageProfile(const ImageProfile* profile) { image_profile.store(profile, std::memory_order_release); }
const ImageProfile* CurrentImageProfile() { return image_profile.load(std::memory_order_acquire); }

std::span<const uint16_t> WorkerImage::ProfileLines(const ImageProfile* profile, uint64_t fingerprint, size_t bytes) {
  if (profile == nullptr || profile->hot_lines == nullptr || profile->hot_line_count == 0 ||
      profile->fingerprint != fingerprint || profile->image_bytes != bytes) {
    return {};
  }
  const std::span<const uint16_t> lines(profile->hot_lines, profile->hot_line_count);
  // (ascending and inside the image, or not used at all)
  for (size_t i = 0; i < lines.size(); ++i) {
    if (size_t{lines[i]} * 64 >= bytes || (i > 0 && lines[i] <= lines[i - 1])) return {};
  }
  return lines;
}

size_t WorkerImage::PrefetchHotLines(const char* base) const {
  for (const uint16_t line : hot_lines_) __builtin_prefetch(base + size_t{line} * 64);
  return hot_lines_.empty() ? 0 : size_;
}

bool WorkerImage::Hold(const char* base, size_t size, JSValue v, HeldValue& out) {
  out.value = v;
  out.offset = -1;
  if (!JS_VALUE_HAS_REF_COUNT(v)) return true;
  const auto* p = static_cast<const char*>(JS_VALUE_GET_PTR(v));
  if (p < base || p >= base + size) return false;
  out.offset = p - base;
  return true;
}

size_t WorkerImage::pointer_words() const {
  size_t count = 0;
  for (const uint8_t bits : pointer_bits_) count += static_cast<size_t>(std::popcount(bits));
  return count;
}

uint64_t WorkerImage::LayoutFingerprint() const {
  // FNV-1a, 64-bit, over the layout's numbers.
  uint64_t h = 0xcbf29ce484222325ull;
  const auto mix = [&h](uint64_t v) {
    for (int b = 0; b < 8; ++b) {
      h ^= (v >> (8 * b)) & 0xff;
      h *= 0x100000001b3ull;
    }
  };
  mix(size_);
  mix(rt_offset_);
  mix(ctx_offset_);
  for (const uint8_t bits : pointer_bits_) mix(bits);
  for (const auto& [at, offset] : worker_words_) mix(uint64_t{at} << 32 | offset);
  for (const auto& [id, offset] : builtin_modules_) mix(offset);
  for (const HeldValue* held : {&dispatch_fn_, &reach_fn_, &raw_}) mix(static_cast<uint64_t>(held->offset));
  return h;
}

JSValue WorkerImage::Restore(const HeldValue& held, char* base) {
  if (held.offset < 0) return held.value;
  return JS_MKPTR(JS_VALUE_GET_TAG(held.value), base + held.offset);
}

std::unique_ptr<WorkerImage> WorkerImage::Capture(std::string& why) {
  ScriptResult::Failure failure;
  // The first build in a process reads the built-ins' code for itself and
  // publishes it (module_loader.h); every later one shares it, so the
  // templates are made after one ordinary build.
  if (!Worker::Build(ScriptLimits{}, failure, false)) {
    why = "a blank worker cannot be built: " + failure.message;
    return nullptr;
  }
  // Both templates live until the comparison is done, so no memory of
  // either's (its Worker, anything it allocated) can be at the other's address.
  std::unique_ptr<Worker> a = Worker::Build(ScriptLimits{}, failure, true);
  std::unique_ptr<Worker> b = a ? Worker::Build(ScriptLimits{}, failure, true) : nullptr;
  if (!a || !b) {
    why = "a template worker cannot be built: " + failure.message;
    return nullptr;
  }
  JS_SetRandomSeed(a->ctx_, 1);
  JS_SetRandomSeed(b->ctx_, 1);
  internal::Arena& arena_a = a->memory_.arena;
  internal::Arena& arena_b = b->memory_.arena;
  if (!arena_a.is_template() || !arena_b.is_template()) {
    why = "no memory for a template's arena";
    return nullptr;
  }
  const size_t size = arena_a.used_bytes();
  if (size != arena_b.used_bytes() || size % 8 != 0) {
    why = "two builds carved different sizes (" + std::to_string(size) + ", " +
          std::to_string(arena_b.used_bytes()) + " bytes)";
    return nullptr;
  }
  // (the kept blocks' offsets before Expose: it unpoisons them)
  internal::BlockCache::Offsets cache_a{};
  internal::BlockCache::Offsets cache_b{};
  if (!a->memory_.cache.ToOffsets(arena_a.base(), size, cache_a) ||
      !b->memory_.cache.ToOffsets(arena_b.base(), size, cache_b) ||
      std::memcmp(cache_a.heads, cache_b.heads, sizeof cache_b.heads) != 0) {
    why = "the templates' kept blocks differ";
    return nullptr;
  }
  const char* base_a = arena_a.Expose();
  const char* base_b = arena_b.Expose();
  const auto wa = reinterpret_cast<uintptr_t>(a.get());
  const auto wb = reinterpret_cast<uintptr_t>(b.get());
  const uintptr_t ba = reinterpret_cast<uintptr_t>(base_a);
  const uintptr_t delta = reinterpret_cast<uintptr_t>(base_b) - ba;

  // Word by word: constant, pointer into the runtime, or pointer into the Worker.
  const size_t n = size / 8;
  std::vector<uint64_t> pointer_bits((n + 63) / 64, 0);
  std::vector<std::pair<size_t, size_t>> worker_words;
  const auto in = [](uint64_t v, uintptr_t from, size_t bytes) { return v >= from && v - from <= bytes; };
  for (size_t i = 0; i < n; ++i) {
    uint64_t va = 0;
    uint64_t vb = 0;
    std::memcpy(&va, base_a + 8 * i, 8);
    std::memcpy(&vb, base_b + 8 * i, 8);
    if (va == vb) {
      // A pointer into either template that the other holds too would
      // mean memory shared between runtimes.
      if (in(va, ba, size) || in(va, ba + delta, size)) {
        why = "word " + std::to_string(i) + " points into one template from both";
        return nullptr;
      }
      continue;
    }
    if (vb - va == delta && in(va, ba, size)) {
      pointer_bits[i / 64] |= uint64_t{1} << (i % 64);
      continue;
    }
    if (va - wa < sizeof(Worker) && vb - wb == va - wa) {
      worker_words.emplace_back(i, va - wa);
      continue;
    }
    why = "word " + std::to_string(i) + " differs between two builds (" + std::to_string(va) + ", " +
          std::to_string(vb) + ")";
    return nullptr;
  }

  // The image leaves out the dead blocks (a grown array's old copies):
  // what follows each moves down by the bytes left out before it, and so
  // do the pointers to it.
  const std::vector<std::pair<size_t, size_t>> dead = arena_a.DeadRanges();
  if (dead != arena_b.DeadRanges()) {
    why = "the templates' freed large blocks differ";
    return nullptr;
  }
  std::vector<size_t> dead_before(dead.size() + 1, 0);  // bytes left out before dead[k]
  for (size_t k = 0; k < dead.size(); ++k) dead_before[k + 1] = dead_before[k] + dead[k].second;
  bool dangling = false;
  // Where offset x of the template is in the image (x not in a dead block).
  const auto moved = [&](size_t x) {
    const auto after = std::upper_bound(dead.begin(), dead.end(), std::make_pair(x, SIZE_MAX));
    const size_t k = static_cast<size_t>(after - dead.begin());
    if (k > 0 && x < dead[k - 1].first + dead[k - 1].second) dangling = true;
    return x - dead_before[k];
  };

  auto image = std::make_unique<WorkerImage>();
  image->size_ = size - dead_before.back();
  image->base_ = ba;
  const size_t kept_words = image->size_ / 8;
  image->words_ = std::make_unique<uint64_t[]>(kept_words);
  image->pointer_bits_.assign((kept_words + 7) / 8, 0);
  size_t next_dead = 0;
  size_t j = 0;
  for (size_t i = 0; i < n; ++i) {
    while (next_dead < dead.size() && 8 * i >= dead[next_dead].first + dead[next_dead].second) ++next_dead;
    if (next_dead < dead.size() && 8 * i >= dead[next_dead].first) continue;
    uint64_t v = 0;
    std::memcpy(&v, base_a + 8 * i, 8);
    if ((pointer_bits[i / 64] >> (i % 64) & 1) != 0) {
      v = ba + moved(static_cast<size_t>(v - ba));
      image->pointer_bits_[j / 8] |= static_cast<uint8_t>(1u << (j % 8));
    }
    image->words_[j++] = v;
  }
  for (const auto& [i, offset] : worker_words) image->worker_words_.emplace_back(moved(8 * i) / 8, offset);
  image->memory_bytes_ = a->memory_.bytes.load(std::memory_order_relaxed) - static_cast<int64_t>(dead_before.back());
  image->rt_offset_ = moved(static_cast<size_t>(reinterpret_cast<const char*>(a->rt_) - base_a));
  image->ctx_offset_ = moved(static_cast<size_t>(reinterpret_cast<const char*>(a->ctx_) - base_a));
  image->gc_live_bytes_ = a->gc_live_bytes_;
  image->module_formats_ = a->module_formats_;
  if (!Hold(base_a, size, a->dispatch_fn_, image->dispatch_fn_) || !Hold(base_a, size, a->reach_fn_, image->reach_fn_) ||
      !Hold(base_a, size, a->raw_, image->raw_)) {
    why = "hbf:http's functions or the request object are not in the template's arena";
    return nullptr;
  }
  image->raw_atoms_ = a->raw_atoms_;
  for (HeldValue* held : {&image->dispatch_fn_, &image->reach_fn_, &image->raw_}) {
    if (held->offset >= 0) held->offset = static_cast<int64_t>(moved(static_cast<size_t>(held->offset)));
  }
  image->cache_ = cache_a;
  for (int64_t& head : image->cache_.heads) {
    if (head >= 0) head = static_cast<int64_t>(moved(static_cast<size_t>(head)));
  }
  for (const auto& [id, module] : a->builtin_modules_) {
    const auto* p = reinterpret_cast<const char*>(module);
    if (p < base_a || p >= base_a + size) {
      why = "built-in module " + id + " is not in the template's arena";
      return nullptr;
    }
    image->builtin_modules_.emplace_back(id, moved(static_cast<size_t>(p - base_a)));
  }
  // What CopyInto sets is all a blank worker holds: a value or connection
  // a build made besides would be missing from every copy.
  const bool only_what_is_copied = !a->db_ && a->timers_.empty() && a->raw_atoms_ == b->raw_atoms_ &&
                                   JS_IsUndefined(a->router_) &&
                                   JS_IsUndefined(a->pending_) && JS_IsUndefined(a->stream_start_) &&
                                   JS_IsUndefined(a->body_utf8_of_);
  if (!only_what_is_copied || b->db_ || a->memory_.bytes.load() != b->memory_.bytes.load() ||
      a->builtin_modules_.size() != b->builtin_modules_.size() || a->module_formats_ != b->module_formats_) {
    why = "the template workers' own state differs or is not copied";
    return nullptr;
  }
  if (dangling || j != kept_words) {
    why = "a pointer into a freed block of the template";
    return nullptr;
  }
  image->fingerprint_ = image->LayoutFingerprint();
  return image;
}

ArenaSnapshot WorkerImage::SnapshotArena(const char* base, size_t used,
                                         std::vector<std::pair<size_t, size_t>> skipped) const {
  ArenaSnapshot out;
  out.skipped = std::move(skipped);
  const auto* arena = reinterpret_cast<const uint64_t*>(base);
  const size_t image_words = size_ / sizeof(uint64_t);
  const size_t used_words = (used + sizeof(uint64_t) - 1) / sizeof(uint64_t);
  const uint64_t delta = reinterpret_cast<uintptr_t>(base) - base_;
  size_t at = 0;  // the next word to compare
  const auto diff_to = [&](size_t end) {
    if (at < std::min(end, image_words)) {
      DiffImageWords(arena, words_.get(), pointer_bits_.data(), delta, at, std::min(end, image_words), out);
    }
    if (std::max(at, image_words) < end) DiffZeroWords(arena, std::max(at, image_words), end, out);
    at = std::max(at, end);
  };
  for (const auto& [from, to] : out.skipped) {
    diff_to(std::min(from / sizeof(uint64_t), used_words));
    at = std::max(at, std::min(to / sizeof(uint64_t), used_words));
  }
  diff_to(used_words);
  out.runs.shrink_to_fit();
  out.words.shrink_to_fit();
  return out;
}

void WorkerImage::RestoreArena(const ArenaSnapshot::Contents& contents, char* base) const {
  auto* arena = reinterpret_cast<uint64_t*>(base);
  internal::CopyRelocated(arena, words_.get(), size_ / sizeof(uint64_t), pointer_bits_.data(),
                          reinterpret_cast<uintptr_t>(base) - base_);
  const uint64_t* word = contents.words.data();
  for (const auto& [first, count] : contents.runs) {
    CopyWords(arena + first, word, count);
    word += count;
  }
}

// A run is packed as one word (its first word in the low half, its count
// in the high), then the words.

bool ArenaSnapshot::Pack() noexcept {
  if (!packed.empty()) return true;
  if (runs.empty()) return false;  // (nothing to pack: each run has a word at least)
  try {
    // (not zeroed first: every word is written)
    const size_t flat_words = runs.size() + words.size();
    auto flat = std::make_unique_for_overwrite<uint64_t[]>(flat_words);
    for (size_t i = 0; i < runs.size(); ++i) flat[i] = runs[i].first | uint64_t{runs[i].second} << 32;
    std::memcpy(flat.get() + runs.size(), words.data(), words.size() * sizeof(uint64_t));
    std::optional<std::vector<char>> block = codec::PackBlock(
        std::span<const char>(reinterpret_cast<const char*>(flat.get()), flat_words * sizeof(uint64_t)));
    if (!block || block->size() >= flat_words * sizeof(uint64_t)) return false;
    packed = std::move(*block);
  } catch (const std::bad_alloc&) {
    return false;
  }
  packed_runs = runs.size();
  packed_words = words.size();
  // (`runs = {}` would keep the capacity: an initializer list's assignment)
  std::vector<std::pair<uint32_t, uint32_t>>().swap(runs);
  std::vector<uint64_t>().swap(words);
  return true;
}

bool ArenaSnapshot::Unpack(Scratch& scratch, Contents& out) const noexcept {
  if (packed.empty()) {
    out = {runs, words};
    return true;
  }
  const size_t total = packed_runs + packed_words;
  try {
    if (scratch.block.size() < total) scratch.block.resize(total);
    if (scratch.runs.size() < packed_runs) scratch.runs.resize(packed_runs);
  } catch (const std::bad_alloc&) {
    return false;
  }
  // (a block this process packed, in its own memory: false only if memory
  // was corrupted under it; the worker is then dropped, not trusted)
  if (!codec::UnpackBlock(packed, std::span<char>(reinterpret_cast<char*>(scratch.block.data()),
                                                  total * sizeof(uint64_t)))) {
    return false;
  }
  for (size_t i = 0; i < packed_runs; ++i) {
    const uint64_t run = scratch.block[i];
    scratch.runs[i] = {static_cast<uint32_t>(run), static_cast<uint32_t>(run >> 32)};
  }
  out.runs = {scratch.runs.data(), packed_runs};
  out.words = {scratch.block.data() + packed_runs, packed_words};
  return true;
}

namespace internal {

// Math.random's seed for a new copy: 8 bytes of the system's CSPRNG, taken
// 32 seeds at a time per thread. (One getrandom(2) per worker made was 0.68
// system calls a request over 10,000 henvs, where most requests make one.)
// A seed reveals nothing of another: each is its own bytes of the CSPRNG.
uint64_t FreshRandomSeed() {
  constexpr size_t kSeeds = 32;
  thread_local std::string bytes;
  thread_local size_t next = kSeeds;
  if (next == kSeeds) {
    bytes = crypto::RandomBytes(kSeeds * sizeof(uint64_t));
    next = 0;
  }
  uint64_t seed = 0;
  std::memcpy(&seed, bytes.data() + next * sizeof seed, sizeof seed);
  std::memset(bytes.data() + next * sizeof seed, 0, sizeof seed);  // given out once
  ++next;
  return seed;
}

HBF_NO_ASAN void CopyRelocated(uint64_t* to, const uint64_t* from, size_t n, const uint8_t* pointers, uint64_t delta,
                               CopyWith with) {
  const PointerMasks& masks = MasksOfPointerBytes();
  size_t whole = 0;  // words written eight at a time; the rest one by one
#if defined(__x86_64__)
  if (with != CopyWith::kPlainWords) whole = n & ~size_t{7};
  static const bool kAvx2 = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") != 0;
  }();
  if (kAvx2 && with == CopyWith::kFastest) {
    CopyRelocatedAvx2(to, from, whole, pointers, delta, masks);
  } else {
    // (SSE2: x86-64's baseline)
    const __m128i relocation = _mm_set1_epi64x(static_cast<long long>(delta));
    for (size_t i = 0; i < whole; i += 8) {
      const uint64_t* mask = masks[pointers[i / 8]].data();
      for (unsigned k = 0; k < 8; k += 2) {
        const __m128i words = _mm_loadu_si128(reinterpret_cast<const __m128i*>(from + i + k));
        const __m128i relocate = _mm_and_si128(relocation, _mm_loadu_si128(reinterpret_cast<const __m128i*>(mask + k)));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(to + i + k), _mm_add_epi64(words, relocate));
      }
    }
  }
#else
  (void)with;
#endif
  for (size_t i = whole; i < n; ++i) to[i] = from[i] + (delta & masks[pointers[i / 8]][i % 8]);
}

}  // namespace internal

bool WorkerImage::CopyInto(Worker& w, const BoundImage* bound, size_t capture_bytes) const {
  internal::Arena& arena = w.memory_.arena;
  const size_t used = bound != nullptr ? bound->used_ : size_;
  // (a bound copy's room as a blank copy's, unless it is too near the end:
  // a kept arena's pages were written that far, and new ones fault)
  const bool opened =
      capture_bytes != 0
          ? arena.OpenForCapture(used, std::max(capture_bytes, used))
          : arena.OpenForCopy(used, std::max({internal::Arena::kDefaultBytes, size_ + kCopyHeadroomBytes,
                                              used + kCopyHeadroomBytes / 4}));
  if (!opened) return false;
  char* base = arena.base();
  auto* words = reinterpret_cast<uint64_t*>(base);
  internal::CopyRelocated(words, words_.get(), size_ / sizeof(uint64_t), pointer_bits_.data(),
                          reinterpret_cast<uintptr_t>(base) - base_);
  const auto worker = reinterpret_cast<uintptr_t>(&w);
  for (const auto& [index, offset] : worker_words_) words[index] = worker + offset;
  if (bound != nullptr) bound->WriteOver(base, worker);
  arena.CopyWritten(used);
  // (after the relocation: the kept blocks' links are relocated words, and
  // under ASan the blocks are poisoned from here on)
  w.memory_.cache.FromOffsets(bound != nullptr ? bound->cache_ : cache_, base);
  w.memory_.bytes.store(bound != nullptr ? bound->memory_bytes_ : memory_bytes_, std::memory_order_relaxed);
  w.rt_ = reinterpret_cast<JSRuntime*>(base + rt_offset_);
  w.ctx_ = reinterpret_cast<JSContext*>(base + ctx_offset_);
  JS_UpdateStackTop(w.rt_);
  // (after a bound image's words: they hold its capture's seed)
  JS_SetRandomSeed(w.ctx_, internal::FreshRandomSeed());
  w.dispatch_fn_ = Restore(dispatch_fn_, base);
  w.reach_fn_ = Restore(reach_fn_, base);
  w.raw_ = Restore(raw_, base);
  w.raw_atoms_ = raw_atoms_;
  for (const auto& [id, offset] : bound != nullptr ? bound->builtin_modules_ : builtin_modules_) {
    w.builtin_modules_.emplace(id, reinterpret_cast<JSModuleDef*>(base + offset));
  }
  w.module_formats_ = bound != nullptr ? bound->module_formats_ : module_formats_;
  w.gc_live_bytes_ = bound != nullptr ? bound->gc_live_bytes_ : gc_live_bytes_;
  w.copied_from_image_ = true;
  return true;
}

}  // namespace hbf::js

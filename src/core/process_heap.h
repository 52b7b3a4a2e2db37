// The process's heap: which allocator serves malloc, how it is tuned, and
// handing freed memory back to the system.
//
// The shipping build links jemalloc (HBF_JEMALLOC): its size classes keep
// blocks of one size together, so what thousands of idle henvs free (their
// connections' page caches, the temporaries of opening a file and binding a
// worker) leaves whole pages free, which a purge gives back. glibc's heap
// interleaves them: 1,000 idle henvs left ~45 KB each in 2 KB holes that
// malloc_trim cannot return (bench/README.md, seventeenth session).
// Without HBF_JEMALLOC (sanitizer builds, or -DHBF_JEMALLOC=OFF for an A/B)
// the glibc calls below are made; under AddressSanitizer its own allocator
// answers malloc and they do nothing.
//
// Thread safety: any thread. TuneProcessHeap() once, from main, before the
// other threads start; TrimHeapIfDue never on a request's path.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace hbf {

#if HBF_JEMALLOC
inline constexpr std::chrono::steady_clock::duration kTrimHeapInterval = std::chrono::seconds(1);
#else
inline constexpr std::chrono::steady_clock::duration kTrimHeapInterval = std::chrono::seconds(10);
#endif

// Sets the allocator's process-wide knobs (glibc: its mmap and trim
// thresholds; jemalloc reads its own from `malloc_conf`, defined beside this).
void TuneProcessHeap();

// Hands freed memory back to the system unless some thread did within
// `min_interval`; true if it did (the caller then starts counting what it
// frees afresh). jemalloc purges every arena's unused pages, a walk of
// what is dirty only: once a second at most. glibc's malloc_trim walks
// every chunk of every arena: once per 10 s.
bool TrimHeapIfDue(std::chrono::steady_clock::duration min_interval = kTrimHeapInterval);

// For an allocator user that must know its blocks' sizes (SQLite's memory
// methods, db/database.cpp): the usable size of a block malloc returned (at
// least what was asked for), and what malloc gives a request of `bytes`
// (jemalloc: its size class; glibc: `bytes` rounded up to 8, its usable
// size may be larger). Without them SQLite stores an 8-byte size before
// each block, which for most of its blocks is a size class up.
size_t HeapBlockSize(void* block) noexcept;
size_t HeapGoodSize(size_t bytes) noexcept;

// What serves malloc in this build, with its version ("jemalloc 5.3.0-...",
// "glibc 2.36", "AddressSanitizer (glibc 2.36)"), for `hbf --version`.
std::string HeapAllocatorVersion();

}  // namespace hbf

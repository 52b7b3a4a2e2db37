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

// What serves malloc in this build, with its version ("jemalloc 5.3.0-...",
// "glibc 2.36", "AddressSanitizer (glibc 2.36)"), for `hbf --version`.
std::string HeapAllocatorVersion();

}  // namespace hbf

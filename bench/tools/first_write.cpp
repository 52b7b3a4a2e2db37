// What writing a worker's image costs into fresh pages and into pages
// written before: the case for keeping destroyed workers' arenas
// (src/js/arena.cpp, ArenaPool).
//
// Build and run (no dependencies):
//   g++ -O2 -std=c++20 bench/tools/first_write.cpp -o /tmp/first_write && /tmp/first_write
//
// Each round maps an arena as hbf does (a 64 MiB reservation with no
// access, its first 384 KiB made writable), copies a 348 KiB image into it
// and copies it again; thread CPU time per copy, averaged over the rounds.
// 2,800 arenas stay mapped at a time (a full 1 GiB budget's workers), so
// the copies do not run in cache. Lines:
//   fresh: first copy into a new mapping (every page faults);
//   fresh, populated: MADV_POPULATE_WRITE first (its time on its own line),
//     then the copy;
//   written: the second copy into the same pages.
#include <sys/mman.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <vector>

namespace {

constexpr size_t kImage = 355864;  // js_worker_image_kb 347 (bench app)
constexpr size_t kReserve = size_t{64} << 20;
constexpr size_t kWritable = 384 << 10;
constexpr size_t kLive = 2800;
constexpr int kRounds = 3000;

double ThreadCpuMicros() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_nsec) / 1e3;
}

char* MapArena() {
  void* p = mmap(nullptr, kReserve, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED || mprotect(p, kWritable, PROT_READ | PROT_WRITE) != 0) {
    perror("mmap");
    std::exit(1);
  }
  return static_cast<char*>(p);
}

void Run(bool populate) {
  std::vector<char> image(kImage + 4096);
  char* src = image.data() + 0x240;  // not page aligned, as a malloc'd image
  std::memset(src, 7, kImage);
  std::deque<char*> live;
  double populating = 0, first = 0, second = 0;
  for (int round = 0; round < kRounds; ++round) {
    char* arena = MapArena();
    const double t0 = ThreadCpuMicros();
#ifdef MADV_POPULATE_WRITE
    if (populate) madvise(arena, (kImage + 4095) & ~size_t{4095}, MADV_POPULATE_WRITE);
#endif
    const double t1 = ThreadCpuMicros();
    std::memcpy(arena, src, kImage);
    const double t2 = ThreadCpuMicros();
    std::memcpy(arena, src, kImage);
    const double t3 = ThreadCpuMicros();
    populating += t1 - t0;
    first += t2 - t1;
    second += t3 - t2;
    live.push_back(arena);
    if (live.size() > kLive) {
      munmap(live.front(), kReserve);
      live.pop_front();
    }
  }
  for (char* arena : live) munmap(arena, kReserve);
  if (populate) {
    std::printf("fresh, populated: MADV_POPULATE_WRITE %.1f us, then the copy %.1f us\n", populating / kRounds,
                first / kRounds);
  } else {
    std::printf("fresh: the copy %.1f us\n", first / kRounds);
  }
  std::printf("written: the copy %.1f us\n", second / kRounds);
}

}  // namespace

int main() {
  Run(false);
  Run(true);
}

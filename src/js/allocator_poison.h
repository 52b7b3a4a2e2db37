// Internal to src/js's allocator (allocator.cpp, arena.cpp): ASan's
// poisoning of the memory a runtime's blocks are carved from and kept in,
// so that a use after free or an overflow into a size word is reported;
// nothing without ASan.
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define HBF_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define HBF_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define HBF_POISON(p, n) ((void)(p), (void)(n))
#define HBF_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

// Handing freed heap memory back to the system, shared by the threads that
// free a lot at once (the JS housekeeper, the henv janitor). main.cpp's
// mallopt keeps freed memory in the allocator for requests to reuse;
// malloc_trim returns it, at a cost (it walks every arena), so the process
// trims at most once per interval whoever asks.
//
// Thread safety: any thread; never called on a request's path.
#pragma once

#include <chrono>

namespace hbf {

// Trims the heap unless some thread did within `min_interval`; true if it
// trimmed (the caller then starts counting what it frees afresh).
bool TrimHeapIfDue(std::chrono::steady_clock::duration min_interval = std::chrono::seconds(10));

}  // namespace hbf

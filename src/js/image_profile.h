// Which lines of a copied worker's image its requests read, found when hbf
// is built, so that a worker met cold fetches those and not the whole image.
//
// Why: over 1,000 henvs most requests meet a worker whose memory has left
// the CPU's caches, and the engine prefetches it before the request
// (Worker::PrefetchMemory). The image is ~330 KB (5,300 lines of 64 bytes),
// but a `/hello` reads ~510 of its lines (and ~320 of the ~480 its router
// added past it): traced access by access, bench/README.md "2026-12-05
// (twenty-sixth session)". Fetching every line cost ~11 us a request
// there, a fifth of the server's CPU, and pushed other henvs' data out of
// the caches.
//
// How: hbf_image_profile (tools/image_profile.cpp) runs at build time. It
// copies a worker from the image as the server would, binds it to
// tools/image_profile_router.js (the calls most handlers make: routing,
// params and query, headers, JSON in and out, text, a template, database
// reads and a write, middleware, an async handler, no route matched), then
// another to tools/image_profile_express.js (the same in Express), and
// records every load and store their requests make into the image. The
// lines at least a quarter of those requests read (the union of all of
// them was twice what one request reads, and fetching it cost more than
// the misses it saved), with the image's fingerprint, become
// kBuildImageProfile. The server uses them only if its
// image has that fingerprint (the same built-ins, QuickJS and allocator);
// else, or where the tool could not trace (not x86-64 Linux), a cold
// worker is prefetched whole, as before. Prefetches are hints: a line
// missing from the profile is a cache miss, nothing worse.
//
// Thread safety: SetImageProfile is called once, before the first worker
// is made (main); the profile is immutable.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hbf::js {

struct ImageProfile {
  // WorkerImage::fingerprint() of the image the lines were traced on.
  uint64_t fingerprint = 0;
  // The image's size then, in bytes.
  uint64_t image_bytes = 0;
  // The lines read (byte offset / 64 in the image), ascending; none where
  // the build could not trace.
  const uint16_t* hot_lines = nullptr;
  size_t hot_line_count = 0;
};

// The profile hbf_image_profile made for this build (a generated file,
// linked into hbf and the tests that check it).
extern const ImageProfile kBuildImageProfile;

// The profile the process's image is checked against when captured
// (WorkerImage::Get); null (the default): none, every cold worker is
// prefetched whole.
void SetImageProfile(const ImageProfile* profile);
const ImageProfile* CurrentImageProfile();

}  // namespace hbf::js

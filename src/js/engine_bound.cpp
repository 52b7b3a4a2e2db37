// JsEngine's bound images (js/bound_image.h): capturing a henv's and
// keeping it in its pool, counted against the memory budget. Split from
// engine.cpp by concern; the checkout that decides to capture is there.
#include <chrono>
#include <new>
#include <string>
#include <utility>

#include "core/log.h"
#include "js/bound_image.h"
#include "js/engine.h"
#include "js/worker.h"
#include "js/worker_image.h"

namespace hbf::js {

std::shared_ptr<const BoundImage> JsEngine::CaptureBound(Henv& henv, HenvPool& pool, int64_t version,
                                                         const ScriptLimits& limits, size_t bind_bytes,
                                                         bool first_capture, std::unique_ptr<Worker>& worker,
                                                         ScriptResult::Failure& failure,
                                                         bool& bind_failed) {
  const WorkerImage* image = WorkerImage::Get();
  BoundImage::CaptureOutcome outcome;
  outcome.why = "no worker image";
  std::shared_ptr<const BoundImage> captured;
  try {
    if (image != nullptr) {
      const std::chrono::nanoseconds compare_within =
          first_capture ? options_.first_capture_max_bind : std::chrono::nanoseconds(0);
      captured = BoundImage::Capture(*image, henv, pool, version, limits, bind_bytes, compare_within, outcome);
    }
  } catch (const std::bad_alloc&) {
    // (the caller holds a slot of the pool: it must get back to free it)
    outcome.why = "out of memory";
  }
  worker = std::move(outcome.worker);
  bind_failed = outcome.bind_failed;
  if (bind_failed) failure = outcome.failure;
  Shard& shard = ShardOf(pool);
  std::lock_guard lock(shard.mu);
  pool.capturing = false;
  if (captured == nullptr) {
    if (outcome.held_bytes != 0) {
      // Pure, but it compiled or needed more room: the next worker
      // captures, with the room this bind took.
      pool.capture_room_version = version;
      pool.capture_room_bytes = outcome.held_bytes;
    } else {
      pool.bound_failed_version = version;
      bound_failures_.fetch_add(1, std::memory_order_relaxed);
    }
    Log(LogLevel::kDebug, "no bound image at code version " + std::to_string(version) + ": " + outcome.why,
        henv.hash());
    return nullptr;
  }
  // Replaces the last version's (counted against the memory budget as
  // workers are).
  const int64_t change = static_cast<int64_t>(captured->bytes()) -
                         (pool.bound != nullptr ? static_cast<int64_t>(pool.bound->bytes()) : 0);
  if (pool.bound == nullptr) bound_images_.fetch_add(1, std::memory_order_relaxed);
  pool.bound = captured;
  shard.bytes += change;
  shard.unpublished_bytes += change;
  bound_bytes_.fetch_add(change, std::memory_order_relaxed);
  PublishLocked(shard);
  return captured;
}

}  // namespace hbf::js

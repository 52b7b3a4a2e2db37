#include "http/response_stream.h"

#include <utility>

namespace hbf {

bool ResponseStream::Write(std::string data) {
  std::unique_lock lock(mu_);
  if (closed_ || ended_) return false;
  if (data.empty()) return true;
  if (!attached_) {
    pending_.push_back(std::move(data));
    return true;
  }
  std::shared_ptr<StreamSink> sink = sink_.lock();
  if (!sink) {
    CloseLocked(lock);
    return false;
  }
  // Posted under the lock: chunks reach the loop in the order written,
  // whichever threads write them.
  sink->PostStreamChunk(connection_id_, std::move(data), ChunkKind::kData);
  return true;
}

void ResponseStream::End() { Finish(/*aborted=*/false); }

void ResponseStream::Abort() { Finish(/*aborted=*/true); }

void ResponseStream::Finish(bool aborted) {
  std::unique_lock lock(mu_);
  if (closed_ || ended_) return;
  ended_ = true;
  aborted_ = aborted;
  if (attached_) {
    if (std::shared_ptr<StreamSink> sink = sink_.lock()) {
      sink->PostStreamChunk(connection_id_, {}, aborted ? ChunkKind::kAbort : ChunkKind::kLast);
    }
  }
  // Not attached yet: Attach() hands over what was written and reports
  // `ended`, and the loop finishes the body.
  CloseLocked(lock);
}

bool ResponseStream::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

void ResponseStream::OnClosed(std::function<void()> fn) {
  std::unique_lock lock(mu_);
  if (closed_) {
    lock.unlock();
    if (fn) fn();
    return;
  }
  on_closed_ = std::move(fn);
}

std::vector<std::string> ResponseStream::Attach(std::weak_ptr<StreamSink> sink, uint64_t connection_id,
                                                bool& ended, bool& aborted) {
  std::lock_guard lock(mu_);
  attached_ = true;
  sink_ = std::move(sink);
  connection_id_ = connection_id;
  ended = ended_;
  aborted = aborted_;
  return std::exchange(pending_, {});
}

void ResponseStream::Detach() {
  std::unique_lock lock(mu_);
  attached_ = false;
  sink_.reset();
  pending_.clear();
  if (!closed_) CloseLocked(lock);
}

void ResponseStream::CloseLocked(std::unique_lock<std::mutex>& lock) {
  closed_ = true;
  std::function<void()> fn = std::exchange(on_closed_, nullptr);
  lock.unlock();
  if (fn) fn();
  lock.lock();
}

}  // namespace hbf

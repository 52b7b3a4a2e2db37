// Live record changes (the realtime API, GET /_api/realtime): who follows
// which of a henv's tables and documents, and the thread that tells them.
//
// Changes come from every connection to a henv's file (the henv's own, its
// workers' and their users' connections: db/change_capture.h), after their
// transaction committed. Each subscriber gets, per changed row it may see,
// one event:
//   {"op":"create"|"update"|"delete","table":T,"id":KEY,"row":{...}}
//   {"op":"many","table":T}          (a transaction changed too many rows: read again)
// For a table, "may see" is what the records API would return to the same
// caller: a select grant, and the row meets the caller's select policies -
// for create and update the row as it is after the commit (re-read under the
// caller's rights), for delete the row as it was. For documents
// (table "documents", id = the path), owners and admins see every change,
// everyone else those of documents the henv serves publicly. The
// subscriber's session is checked again every `recheck`: a revoked or
// expired one ends the subscription.
//
// A subscriber is an event stream (Server-Sent Events) or a WebSocket in the
// WsHub; events go to it in commit order. Delivery runs on one thread of
// its own: it opens the henv and reads under its lock, so a henv whose
// subscribers are slow to compute delays only the news, never a request.
// News for one henv that piles up while the thread is busy is merged (past
// kMaxPendingPerHenv rows: "many" per table).
//
// Thread safety: every public method may be called from any thread.
// Watching() takes a shared lock only while some subscription exists
// anywhere (an atomic count first); OnCommitted() only queues.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "auth/authenticator.h"
#include "core/result.h"
#include "db/change_capture.h"
#include "henv/henv_manager.h"
#include "http/response_stream.h"

namespace hbf {

class WsHub;

// The route key of WebSockets subscribed through /_api/realtime (a script's
// keys are "<n>:<path>": none can collide with it).
inline constexpr char kRealtimeRoute[] = "hbf:realtime";

class RealtimeHub : public db::ChangeListener {
 public:
  static constexpr size_t kMaxPendingPerHenv = 4096;

  struct Subscription {
    std::string henv;
    auth::RequestCredentials credentials;  // checked again every `recheck`
    std::optional<auth::User> user;        // nullopt: anonymous
    std::vector<std::string> tables;       // the henv's own tables, as the schema names them
    bool documents = false;
    // Where events go: an event stream, or a WebSocket of the henv.
    std::shared_ptr<ResponseStream> stream;
    uint64_t socket_id = 0;
  };

  struct Options {
    int max_per_henv = 1000;  // 0: unlimited
    std::chrono::seconds recheck{30};
  };

  // Whether the henv's server code loaded document `path` (such documents
  // are never public).
  using ServerCodeCheck = std::function<bool(const std::string& henv, const std::string& path)>;

  // `henvs` and `ws` (may be null: no WebSocket subscribers) must outlive the hub.
  RealtimeHub(HenvManager& henvs, WsHub* ws, ServerCodeCheck is_server_code, Options options,
              std::function<int64_t()> unix_now);
  ~RealtimeHub() override;  // Stop()s
  RealtimeHub(const RealtimeHub&) = delete;
  RealtimeHub& operator=(const RealtimeHub&) = delete;

  // 503 "too_many_subscriptions" past the henv's cap.
  Result<uint64_t> Subscribe(Subscription subscription);
  void Unsubscribe(uint64_t id);
  // The WebSocket closed.
  void UnsubscribeSocket(uint64_t socket_id);
  size_t count() const { return static_cast<size_t>(total_.load(std::memory_order_relaxed)); }

  // db::ChangeListener
  bool Watching(std::string_view henv) const override;
  void OnCommitted(const std::string& henv, std::vector<db::RowChange> changes) override;

  // Stops the delivery thread; news not yet delivered is dropped.
  void Stop();

 private:
  struct Subscriber {
    uint64_t id = 0;
    Subscription s;
    int64_t checked_at = 0;  // unix seconds of the last session check (delivery thread)
  };
  using Message = std::pair<std::shared_ptr<Subscriber>, std::string>;

  void Run();
  void Deliver(const std::string& henv, std::vector<db::RowChange> changes);
  // Checks sessions due again; those that fail are ended and left out.
  std::vector<std::shared_ptr<Subscriber>> Recheck(Henv& henv, std::vector<std::shared_ptr<Subscriber>> subs);
  void Send(const Message& message);
  void End(const Subscriber& sub, const std::string& code, const std::string& message);

  HenvManager& henvs_;
  WsHub* const ws_;
  const ServerCodeCheck is_server_code_;
  const Options options_;
  const std::function<int64_t()> unix_now_;

  mutable std::shared_mutex mu_;
  std::unordered_map<uint64_t, std::shared_ptr<Subscriber>> subs_;           // guarded by mu_
  std::unordered_map<std::string, std::vector<uint64_t>> by_henv_;           // guarded by mu_
  std::unordered_map<uint64_t, uint64_t> by_socket_;                         // guarded by mu_
  uint64_t next_id_ = 1;                                                     // guarded by mu_
  std::atomic<int64_t> total_{0};

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::unordered_map<std::string, std::vector<db::RowChange>> pending_;  // guarded by queue_mu_
  std::deque<std::string> order_;                                        // guarded by queue_mu_
  bool stopping_ = false;                                                // guarded by queue_mu_
  std::thread thread_;
};

}  // namespace hbf

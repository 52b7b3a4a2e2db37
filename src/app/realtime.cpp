#include "app/realtime.h"

#include <algorithm>
#include <exception>
#include <map>
#include <utility>

#include "app/record_access.h"
#include "app/request_util.h"
#include "auth/access_control.h"
#include "core/log.h"
#include "documents/document_store.h"
#include "documents/visibility.h"
#include "http/ws_hub.h"

namespace hbf {

namespace {

using db::RowChange;

const char* OpName(RowChange::Op op) {
  switch (op) {
    case RowChange::Op::kInsert: return "create";
    case RowChange::Op::kUpdate: return "update";
    case RowChange::Op::kDelete: return "delete";
    case RowChange::Op::kMany: return "many";
  }
  return "many";
}

Json Event(RowChange::Op op, const std::string& table) {
  return Json::MakeObject({{"op", OpName(op)}, {"table", table}});
}

// What one subscriber may read of one table, worked out once per batch.
struct Rights {
  bool allowed = false;
  std::string condition;  // the select policies' condition ("1": every row)
};


}  // namespace

RealtimeHub::RealtimeHub(HenvManager& henvs, WsHub* ws, ServerCodeCheck is_server_code, Options options,
                         std::function<int64_t()> unix_now)
    : henvs_(henvs),
      ws_(ws),
      is_server_code_(std::move(is_server_code)),
      options_(options),
      unix_now_(std::move(unix_now)),
      thread_([this] { Run(); }) {}

RealtimeHub::~RealtimeHub() { Stop(); }

void RealtimeHub::Stop() {
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
    pending_.clear();
    order_.clear();
  }
  queue_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<uint64_t> RealtimeHub::Subscribe(Subscription subscription) {
  auto sub = std::make_shared<Subscriber>();
  sub->checked_at = unix_now_();
  {
    std::unique_lock lock(mu_);
    std::vector<uint64_t>& ids = by_henv_[subscription.henv];
    if (options_.max_per_henv > 0 && ids.size() >= static_cast<size_t>(options_.max_per_henv)) {
      if (ids.empty()) by_henv_.erase(subscription.henv);
      return Error{"too_many_subscriptions",
                   "this app has " + std::to_string(options_.max_per_henv) + " live subscriptions already", 503};
    }
    sub->id = next_id_++;
    ids.push_back(sub->id);
    if (subscription.socket_id != 0) by_socket_[subscription.socket_id] = sub->id;
    sub->s = std::move(subscription);
    subs_.emplace(sub->id, sub);
    total_.fetch_add(1, std::memory_order_relaxed);
  }
  return sub->id;
}

void RealtimeHub::Unsubscribe(uint64_t id) {
  std::unique_lock lock(mu_);
  auto it = subs_.find(id);
  if (it == subs_.end()) return;
  const Subscription& s = it->second->s;
  if (s.socket_id != 0) by_socket_.erase(s.socket_id);
  if (auto h = by_henv_.find(s.henv); h != by_henv_.end()) {
    std::erase(h->second, id);
    if (h->second.empty()) by_henv_.erase(h);
  }
  subs_.erase(it);
  total_.fetch_sub(1, std::memory_order_relaxed);
}

void RealtimeHub::UnsubscribeSocket(uint64_t socket_id) {
  uint64_t id = 0;
  {
    std::shared_lock lock(mu_);
    auto it = by_socket_.find(socket_id);
    if (it == by_socket_.end()) return;
    id = it->second;
  }
  Unsubscribe(id);
}

bool RealtimeHub::Watching(std::string_view henv) const {
  if (total_.load(std::memory_order_relaxed) == 0) return false;
  std::shared_lock lock(mu_);
  return by_henv_.find(std::string(henv)) != by_henv_.end();
}

void RealtimeHub::OnCommitted(const std::string& henv, std::vector<RowChange> changes) {
  if (changes.empty()) return;
  {
    std::lock_guard lock(queue_mu_);
    if (stopping_) return;
    auto [it, inserted] = pending_.try_emplace(henv);
    if (inserted) order_.push_back(henv);
    std::vector<RowChange>& queued = it->second;
    for (RowChange& c : changes) queued.push_back(std::move(c));
    if (queued.size() > kMaxPendingPerHenv) db::CollapseToMany(queued);  // past the cap: "many" per table
  }
  queue_cv_.notify_one();
}

void RealtimeHub::Run() {
  for (;;) {
    std::string henv;
    std::vector<RowChange> changes;
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait(lock, [&] { return stopping_ || !order_.empty(); });
      if (stopping_) return;
      henv = std::move(order_.front());
      order_.pop_front();
      auto it = pending_.find(henv);
      if (it == pending_.end()) continue;
      changes = std::move(it->second);
      pending_.erase(it);
    }
    try {
      Deliver(henv, std::move(changes));
    } catch (const std::exception& e) {
      Log(LogLevel::kError, std::string("realtime: delivery failed: ") + e.what(), henv);
    } catch (...) {
      Log(LogLevel::kError, "realtime: delivery failed", henv);
    }
  }
}

std::vector<std::shared_ptr<RealtimeHub::Subscriber>> RealtimeHub::Recheck(
    Henv& henv, std::vector<std::shared_ptr<Subscriber>> subs) {
  const int64_t now = unix_now_();
  std::vector<std::shared_ptr<Subscriber>> kept;
  kept.reserve(subs.size());
  for (auto& sub : subs) {
    if (!sub->s.credentials.empty() && now - sub->checked_at >= options_.recheck.count()) {
      auto caller = auth::Authenticate(henv, sub->s.credentials, now);
      if (!caller.ok()) {
        End(*sub, "session_ended", "the session of this subscription ended; sign in again");
        Unsubscribe(sub->id);
        continue;
      }
      sub->s.user = caller->user;
      sub->checked_at = now;
    }
    kept.push_back(std::move(sub));
  }
  return kept;
}

void RealtimeHub::Deliver(const std::string& henv_hash, std::vector<RowChange> changes) {
  std::vector<std::shared_ptr<Subscriber>> subs;
  {
    std::shared_lock lock(mu_);
    auto it = by_henv_.find(henv_hash);
    if (it == by_henv_.end()) return;
    for (uint64_t id : it->second) {
      if (auto s = subs_.find(id); s != subs_.end()) subs.push_back(s->second);
    }
  }
  if (subs.empty()) return;
  auto opened = henvs_.Open(henv_hash);
  if (!opened.ok()) return;
  Henv& henv = **opened;
  subs = Recheck(henv, std::move(subs));
  if (subs.empty()) return;

  // Events in commit order. A document's visibility is decided after the
  // henv's lock is let go (the server-code check asks the script engine).
  struct Outgoing {
    std::shared_ptr<Subscriber> sub;
    std::string text;
    bool document = false;
    std::string path;  // document: "" for "many"
    std::string own_visibility;
  };
  std::vector<Outgoing> out;
  docs::VisibilityRules rules;
  henv.WithDb([&](db::Database& db) {
    std::map<std::string, std::optional<records::TableShape>> shapes;  // null: not one of the app's tables
    std::map<std::pair<uint64_t, std::string>, Rights> rights;
    bool rules_read = false;
    auto shape_of = [&](const std::string& table) -> const std::optional<records::TableShape>& {
      auto it = shapes.find(table);
      if (it != shapes.end()) return it->second;
      std::optional<records::TableShape> shape;
      auto grantable = auth::IsGrantableTable(db, table);
      if (grantable.ok() && *grantable) {
        if (auto s = records::ShapeOf(db, table); s.ok()) shape = std::move(*s);
      }
      return shapes.emplace(table, std::move(shape)).first->second;
    };
    auto rights_of = [&](const Subscriber& sub, const auth::Principal& who, const std::string& table) -> const Rights& {
      auto key = std::make_pair(sub.id, table);
      auto it = rights.find(key);
      if (it != rights.end()) return it->second;
      Rights r;
      auto allowed = auth::IsAllowed(db, who, table, auth::Operation::kSelect);
      if (allowed.ok() && *allowed) {
        auto condition = auth::RowCondition(db, who, table, auth::Operation::kSelect);
        if (condition.ok()) {
          r.allowed = true;
          r.condition = std::move(*condition);
        }
      }
      return rights.emplace(key, std::move(r)).first->second;
    };

    for (const RowChange& change : changes) {
      if (change.table == "documents") {
        if (!rules_read) {
          rules = docs::ParseVisibilityRules(henv.Setting(db, "private_paths").value_or(""),
                                             henv.Setting(db, "public_paths").value_or(""));
          rules_read = true;
        }
        Json event = Event(change.op, "documents");
        std::string path;
        std::string own;
        if (change.op == RowChange::Op::kDelete) {
          if (change.old_row.size() < 2 || !std::holds_alternative<std::string>(change.old_row[1])) continue;
          path = std::get<std::string>(change.old_row[1]);
        } else if (change.op != RowChange::Op::kMany) {
          auto found = db.QueryValue("SELECT path FROM documents WHERE rowid = ?", {change.rowid});
          if (!found.ok() || !found->has_value() || !std::holds_alternative<std::string>(**found)) continue;
          path = std::get<std::string>(**found);
          auto meta = docs::GetMeta(db, path);
          if (!meta.ok() || !meta->has_value()) continue;
          own = (*meta)->visibility;
          event.set("row", docs::MetaToJson(**meta));
        }
        if (!path.empty()) event.set("id", path);
        const std::string text = event.dump();
        for (const auto& sub : subs) {
          if (sub->s.documents) out.push_back(Outgoing{sub, text, true, path, own});
        }
        continue;
      }
      const std::optional<records::TableShape>& shape = shape_of(change.table);
      if (!shape) continue;
      for (const auto& sub : subs) {
        const std::vector<std::string>& wanted = sub->s.tables;
        if (std::find(wanted.begin(), wanted.end(), change.table) == wanted.end()) continue;
        auth::Principal who;
        who.user = sub->s.user;
        const Rights& r = rights_of(*sub, who, change.table);
        if (!r.allowed) continue;
        Json event = Event(change.op, change.table);
        if (change.op == RowChange::Op::kMany) {
          out.push_back(Outgoing{sub, event.dump(), false, {}, {}});
          continue;
        }
        Json row;
        if (change.op == RowChange::Op::kDelete) {
          if (change.old_row.size() != shape->columns.size()) continue;
          if (r.condition != "1") {
            // The policy over the row as it was: the old values stand in for
            // the table under its own name, so the condition reads them as
            // it would read the row.
            records::Query q;
            q.sql = "SELECT 1 FROM (SELECT ";
            for (size_t i = 0; i < shape->columns.size(); ++i) {
              if (i > 0) q.sql += ", ";
              q.sql += "? AS " + db::QuoteIdentifier(shape->columns[i]);
            }
            q.sql += ") AS " + db::QuoteIdentifier(change.table) + " WHERE (\n" + r.condition + "\n)";
            q.params = change.old_row;
            auto meets = records::Rows(db, who, q);
            if (!meets.ok() || meets->empty()) continue;
          }
          row = Json(Json::Object{});
          for (size_t i = 0; i < shape->columns.size(); ++i) row.set(shape->columns[i], DbValueToJson(change.old_row[i]));
        } else {
          records::Query q{"SELECT * FROM " + db::QuoteIdentifier(change.table) + " WHERE rowid = ? AND (\n" +
                               r.condition + "\n)",
                           {change.rowid}};
          auto rows = records::Rows(db, who, q);
          if (!rows.ok() || rows->empty()) continue;
          row = std::move(rows->front());
        }
        if (shape->key_column.empty()) {
          event.set("id", Json(change.rowid));
        } else if (const Json* key = row.find(shape->key_column)) {
          event.set("id", *key);
        }
        event.set("row", std::move(row));
        out.push_back(Outgoing{sub, event.dump(), false, {}, {}});
      }
    }
  });
  for (Outgoing& o : out) {
    if (o.document) {
      // Documents: every change for owners and admins, else only those of
      // documents the henv serves publicly.
      const bool full = o.sub->s.user && o.sub->s.user->role != auth::Role::kUser;
      if (!full) {
        if (o.path.empty()) continue;  // "many": only the app's admins learn of those
        if (o.path == "_system" || o.path.rfind("_system/", 0) == 0) continue;
        if (!docs::IsPublic(o.path, o.own_visibility, rules, is_server_code_(henv_hash, o.path))) continue;
      }
    }
    Send(Message(std::move(o.sub), std::move(o.text)));
  }
}

void RealtimeHub::Send(const Message& message) {
  const Subscriber& sub = *message.first;
  bool delivered = false;
  if (sub.s.stream) {
    delivered = sub.s.stream->Write("event: change\ndata: " + message.second + "\n\n");
  } else if (sub.s.socket_id != 0 && ws_ != nullptr) {
    delivered = ws_->Send(sub.s.henv, sub.s.socket_id, false, message.second).ok();
  }
  if (!delivered) Unsubscribe(sub.id);
}

void RealtimeHub::End(const Subscriber& sub, const std::string& code, const std::string& message) {
  Json error = Json::MakeObject({{"code", code}, {"message", message}});
  if (sub.s.stream) {
    sub.s.stream->Write("event: error\ndata: " + Json::MakeObject({{"error", error}}).dump() + "\n\n");
    sub.s.stream->End();
  } else if (sub.s.socket_id != 0 && ws_ != nullptr) {
    (void)ws_->Close(sub.s.henv, sub.s.socket_id, 4401, message);
  }
}

}  // namespace hbf

// POST /_api/backup and POST /_api/restore: a henv's owner takes a snapshot
// of it and puts one back (src/lifecycle/snapshot.h). Owner only: a
// snapshot holds every account's password hash and the signing keys.
#include <chrono>

#include "app/app.h"
#include "app/request_util.h"
#include "core/log.h"
#include "lifecycle/backup_all.h"
#include "lifecycle/files.h"
#include "lifecycle/snapshot.h"

namespace hbf {

HttpResponse App::BackupApi(const HttpRequest& request, Henv& henv) {
  if (request.method != "POST") return MethodNotAllowed("POST");
  auto caller = RequireOwner(request, henv);
  if (!caller.ok()) return HttpResponse::FromError(caller.error());
  const std::string folder = config_.storage_dir + "/" + henv.hash();
  auto scratch = lifecycle::MakeScratchFile(folder);
  if (!scratch.ok()) return HttpResponse::FromError(scratch.error());
  auto bytes = lifecycle::SnapshotBytes(henv.database_path(), henv.hash(), *scratch);
  if (!bytes.ok()) return HttpResponse::FromError(bytes.error());
  Audit(henv, *caller, "henv.backup", "henv:" + henv.hash(), Json::MakeObject({{"bytes", Json(static_cast<int64_t>(bytes->size()))}}));
  HttpResponse r;
  r.status = 200;
  r.body = std::move(*bytes);
  const std::string name = lifecycle::SnapshotFileName(henv.hash(), clocks_.unix_seconds() * 1000);
  r.set_header("Content-Type", "application/vnd.sqlite3");
  r.set_header("Content-Disposition", "attachment; filename=\"" + name + "\"");
  r.set_header("Cache-Control", "no-store");
  r.log.user_id = std::to_string(caller->user.id);
  return r;
}

HttpResponse App::RestoreApi(const HttpRequest& request, Henv& henv) {
  if (request.method != "POST") return MethodNotAllowed("POST");
  auto caller = RequireOwner(request, henv);
  if (!caller.ok()) return HttpResponse::FromError(caller.error());
  if (request.body.empty()) {
    return HttpResponse::ErrorBody(400, "invalid_snapshot", "the body must be a snapshot file (POST /_api/backup makes one)");
  }
  const std::string hash = henv.hash();
  auto scratch = lifecycle::WriteScratchFile(request.body, config_.storage_dir + "/" + hash);
  if (!scratch.ok()) return HttpResponse::FromError(scratch.error());
  lifecycle::PlaceOptions options;
  options.storage_dir = config_.storage_dir;
  options.hash = hash;
  options.replace = true;
  options.consume_source = true;
  options.stamp_activity_at = clocks_.unix_seconds();
  options.check.max_bytes = int64_t{config_.henv_max_storage_mb} << 20;
  auto info = lifecycle::PlaceSnapshot(*scratch, options);
  if (!info.ok()) return HttpResponse::FromError(info.error());
  // The data is already the restored data for every connection; reopen the
  // henv so that nothing cached beside the file (code version, settings,
  // derived policies) outlives it. Requests holding the old Henv finish.
  henv.RefreshCodeVersion();
  henvs_.Forget(hash);
  Log(LogLevel::kInfo, "restored from an uploaded snapshot by " + caller->user.username, hash);
  auto reopened = henvs_.Open(hash);
  // The audit row goes into the restored file (the old one is gone).
  if (reopened.ok()) {
    Audit(**reopened, *caller, "henv.restore", "henv:" + hash,
          Json::MakeObject({{"bytes", Json(info->bytes)}, {"schema_version", Json(static_cast<int64_t>(info->schema_version))}}));
  }
  HttpResponse r = HttpResponse::JsonBody(
      200, Json::MakeObject({{"restored", Json(true)},
                             {"henv", Json(hash)},
                             {"owner", Json(info->owner)},
                             {"schema_version", Json(static_cast<int64_t>(info->schema_version))},
                             {"bytes", Json(info->bytes)}}));
  r.log.user_id = std::to_string(caller->user.id);
  return r;
}

}  // namespace hbf

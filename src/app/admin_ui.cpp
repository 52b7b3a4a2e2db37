// /_admin: the browser development environment of a henv.
//
//   GET /_admin[/<panel>]            the shell (owners and admins; anonymous
//                                    callers are sent to the login page)
//   GET /_admin/assets/<build>/<f>   the built-in assets, immutable
//
// The shell is the document _system/admin/index.html when the owner has one
// (the development environment is part of the application), else HBF's
// own; {{ASSETS}} and {{HENV}} in it are replaced. The assets are HBF's
// code and Monaco's, the same for every henv and free of secrets, so they
// need no login (Monaco's web workers fetch them too).
#include "app/admin_assets.h"
#include "app/app.h"
#include "app/request_util.h"
#include "codec/gzip.h"
#include "core/text.h"
#include "documents/document_store.h"

namespace hbf {
namespace {

constexpr std::string_view kAssetsPrefix = "/_admin/assets/";

HttpResponse ServeAsset(const HttpRequest& request, std::string_view rest) {
  // rest: "<build>/<name>"
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos || rest.substr(0, slash) != admin_assets::BuildId()) {
    // An old page asking for an older build: never cache the miss.
    HttpResponse r = HttpResponse::ErrorBody(404, "not_found", "no such admin asset (the server was upgraded?)");
    r.set_header("Cache-Control", "no-store");
    return r;
  }
  const admin_assets::Asset* asset = admin_assets::Find(rest.substr(slash + 1));
  if (asset == nullptr) return HttpResponse::ErrorBody(404, "not_found", "no such admin asset");
  HttpResponse r;
  r.set_header("Content-Type", asset->content_type);
  r.set_header("Cache-Control", "public, max-age=31536000, immutable");
  r.set_header("ETag", std::string("\"") + admin_assets::BuildId() + "\"");
  r.set_header("X-Content-Type-Options", "nosniff");
  r.set_header("Vary", "Accept-Encoding");
  if (const std::string* inm = request.header("if-none-match"); inm != nullptr && inm->find(admin_assets::BuildId()) !=
                                                                                      std::string::npos) {
    r.status = 304;
    return r;
  }
  if (AcceptsGzip(request.header("accept-encoding"))) {
    r.set_header("Content-Encoding", "gzip");
    r.body.assign(admin_assets::GzipBytes(*asset));
  } else {
    auto raw = codec::Gunzip(admin_assets::GzipBytes(*asset), asset->size);
    if (!raw) return HttpResponse::ErrorBody(500, "internal_error", "a built-in asset is damaged");
    r.body = std::move(*raw);
  }
  return r;
}

}  // namespace

bool App::IsAdminPath(std::string_view path) { return path == "/_admin" || path.rfind("/_admin/", 0) == 0; }

HttpResponse App::AdminUi(const HttpRequest& request, const RequestContext& ctx, Henv& henv) {
  const std::string& path = ctx.subpath;
  if (request.method != "GET" && request.method != "HEAD") return MethodNotAllowed("GET, HEAD");
  if (path.rfind(kAssetsPrefix, 0) == 0) return ServeAsset(request, std::string_view(path).substr(kAssetsPrefix.size()));

  auto caller = RequireAdmin(request, henv);
  if (!caller.ok()) {
    if (caller.error().http_status == 401) {
      // Not logged in (or the session ended): the login page brings the
      // browser back here. HBF's own login, whatever the app's router claims.
      HttpResponse r;
      r.status = 303;
      r.set_header("Location", "/_hbf/login?next=" + PercentEncodeQueryValue(path));
      r.set_header("Cache-Control", "no-store");
      return r;
    }
    return SimplePage(403, "Owners and admins only",
                     "Only this app's owner and its admins can open its admin. <a href=\"/\">Back to the app</a>");
  }

  // The owner's own shell, if they made one.
  std::string shell;
  auto custom = henv.WithDb([](db::Database& db) { return docs::GetDocument(db, "_system/admin/index.html", false); });
  if (custom.ok() && custom->has_value()) {
    shell = std::move((*custom)->content);
  } else {
    const admin_assets::Asset* builtin = admin_assets::Find("index.html");
    if (builtin == nullptr) return HttpResponse::ErrorBody(500, "internal_error", "the admin is not built in");
    auto raw = codec::Gunzip(admin_assets::GzipBytes(*builtin), builtin->size);
    if (!raw) return HttpResponse::ErrorBody(500, "internal_error", "a built-in asset is damaged");
    shell = std::move(*raw);
  }
  ReplaceAll(shell, "{{ASSETS}}", std::string(kAssetsPrefix) + admin_assets::BuildId() + "/");
  ReplaceAll(shell, "{{HENV}}", HtmlEscape(ctx.route.hostname));

  HttpResponse r;
  r.set_header("Content-Type", "text/html; charset=utf-8");
  r.set_header("Cache-Control", "no-store");
  // Scripts only from this origin (the assets); Monaco sets inline styles
  // and runs web workers; the preview frames the app itself. Nobody frames
  // the admin.
  r.set_header("Content-Security-Policy",
               "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
               "font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; frame-src 'self'; "
               "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  r.set_header("X-Frame-Options", "DENY");
  r.set_header("X-Content-Type-Options", "nosniff");
  r.set_header("Referrer-Policy", "same-origin");
  r.body = std::move(shell);
  r.log.user_id = std::to_string(caller->user.id);
  return r;
}

}  // namespace hbf

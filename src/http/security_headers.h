// HBF's default security headers, in the HTTP layer so that the answers the
// server gives by itself (parse errors, too_many_connections, script_busy at
// the queue) carry them as the application's answers do. The app's
// FinishResponse (app/http_policy.h) applies the same function, plus CORS.
//
// Thread safety: a pure function.
#pragma once

#include "http/http_types.h"

namespace hbf {

// Adds, each only where the answer has no header of that name:
// X-Content-Type-Options: nosniff, Referrer-Policy:
// strict-origin-when-cross-origin, X-Frame-Options: SAMEORIGIN (unless a
// Content-Security-Policy names frame-ancestors, which supersedes it), and
// Strict-Transport-Security when `https` (the client's scheme, behind a
// trusted proxy).
void AddDefaultSecurityHeaders(HttpResponse& response, bool https);

}  // namespace hbf

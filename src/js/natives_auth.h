// Internal to src/js: hbf:native's functions behind hbf:auth (the module a
// script uses for accounts, now that it cannot read _hbf_users itself).
//
// Who may do what follows /_api/users: listing, creating and changing users
// needs the request's user to be the owner or an admin; only the owner
// changes the owner, who cannot be demoted or disabled. signup() works only
// while the henv's `self_signup` setting is true, and every signup counts
// against the client's address. login() verifies a password (Argon2, fair
// across henvs) under POST /login's lockouts (per account, per address) and
// issues a session token. Errors are thrown with `code`
// and `status` (so the router answers 400/401/403/409/429 as they say).
//
// Thread safety: natives run on the worker's thread.
#pragma once

extern "C" {
#include <quickjs.h>
}

namespace hbf::js::internal {

JSValue NativeAuthListUsers(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeAuthCreateUser(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeAuthUpdateUser(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeAuthSignup(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);
JSValue NativeAuthLogin(JSContext* ctx, JSValueConst, int argc, JSValueConst* argv);

}  // namespace hbf::js::internal

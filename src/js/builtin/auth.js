// hbf:auth — the henv's accounts, for scripts (which cannot read HBF's own
// tables: see ARCHITECTURE.md, "Sealed system tables").
//
//   import auth from "hbf:auth";
//   auth.currentUser(req)                 // req.user: { id, username, email, role, enabled, ... } or null
//   auth.listUsers()                      // owner/admin callers only
//   auth.createUser({ username, password, email?, role?: "user" | "admin" })   // owner/admin
//   auth.updateUser(id, { role?, enabled?, email? })                          // owner/admin; the /_api/users rules
//   auth.signup({ username, password, email? })   // only while the henv's self_signup setting is true
//   auth.login(username, password)        // { token, expires_at, user }: send the token as a Bearer token
//
// The caller is the current request's user. Errors carry `code` and `status`
// (400 invalid_field, 401, 403 forbidden / signup_disabled, 404, 409
// user_exists, 429 too_many_attempts), so an uncaught one is answered with
// that status. login() shares POST /login's lockout per account.

import native from "hbf:native";

function object(value, fn) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new TypeError(`auth.${fn}(): expects an object`);
  }
  return JSON.stringify(value);
}

export function currentUser(req) {
  return (req && req.user) || null;
}

export function listUsers() {
  return native.authListUsers();
}

export function createUser(spec) {
  return native.authCreateUser(object(spec, "createUser"));
}

export function updateUser(id, changes) {
  if (!Number.isSafeInteger(id)) throw new TypeError("auth.updateUser(): id must be an integer");
  return native.authUpdateUser(id, object(changes, "updateUser"));
}

export function signup(spec) {
  return native.authSignup(object(spec, "signup"));
}

export function login(username, password) {
  if (typeof username !== "string" || typeof password !== "string") {
    throw new TypeError("auth.login(): username and password must be strings");
  }
  return native.authLogin(username, password);
}

export default { currentUser, listUsers, createUser, updateUser, signup, login };

// The henv's JSON APIs: api(), a fetch wrapper on this origin with the
// session cookie; ApiError, the error it rejects with; goLogin() when the
// session has ended.

import { LOGIN } from './env.js';
import { toast, notifyError } from './ui.js';

export class ApiError extends Error {
  constructor(status, code, message, detail) {
    super(message);
    this.status = status;
    this.code = code;
    this.detail = detail || {};
  }
  // invalid_field messages read "field: why".
  get field() {
    if (this.code !== 'invalid_field') return null;
    const i = this.message.indexOf(': ');
    return i > 0 ? this.message.slice(0, i) : null;
  }
  get reason() {
    const f = this.field;
    return f ? this.message.slice(f.length + 2) : this.message;
  }
}

async function errorFrom(res) {
  let text = '';
  try { text = await res.text(); } catch { /* body lost */ }
  let body = null;
  try { body = JSON.parse(text); } catch { /* not JSON */ }
  const e = body && body.error && typeof body.error === 'object' ? body.error : {};
  return new ApiError(res.status, e.code || `http_${res.status}`,
    e.message || (text && text.length < 300 ? text : `${res.status} ${res.statusText}`), e);
}

let redirectingToLogin = false;
export function goLogin() {
  if (redirectingToLogin) return;
  redirectingToLogin = true;
  toast('Your session has ended; taking you to the login page.', 'error');
  setTimeout(() => { location.href = LOGIN + '?next=' + encodeURIComponent(location.pathname + location.search); }, 800);
}

// api(method, path, {json, body, headers, signal, quiet, quietCodes, what, raw})
//   resolves to the parsed JSON (or text); rejects with ApiError after
//   showing it (unless quiet, or its code is in quietCodes).
export async function api(method, path, opts = {}) {
  const headers = Object.assign({}, opts.headers);
  let body = opts.body;
  if (opts.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.json);
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body, credentials: 'same-origin', cache: 'no-store', signal: opts.signal });
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    const err = new ApiError(0, 'network', `cannot reach the server (${e && e.message ? e.message : e})`);
    if (!opts.quiet) notifyError(err, opts.what);
    throw err;
  }
  if (!res.ok) {
    const err = await errorFrom(res);
    if (res.status === 401 && !opts.noLoginRedirect) goLogin();
    else if (!opts.quiet && !(opts.quietCodes || []).includes(err.code)) notifyError(err, opts.what);
    throw err;
  }
  if (opts.raw) return res;
  const text = await res.text();
  const type = res.headers.get('content-type') || '';
  if (type.includes('json') || /^\s*[{[]/.test(text)) {
    try { return JSON.parse(text); } catch { /* fall through */ }
  }
  return text;
}

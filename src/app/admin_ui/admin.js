// HBF's /_admin: the owner's browser front end for one henv (issue #13).
//
// Plain modern JavaScript, no framework, no bundler; the only dependency is
// Monaco's AMD build, served under the same immutable asset prefix. The shell
// page (index.html, or the owner's _system/admin/index.html) only has to give
// <meta name="hbf-assets"> and <meta name="hbf-henv">, load this file, and
// hold an element #hbf-admin (or none: then <body> is used).
//
// Everything talks to the henv's own JSON APIs on this origin, authenticated
// by the session cookie. Every API error is shown in the toast region
// (role="status", aria-live), and where it names a field, next to that field.
//
// Panels (the path /_admin/<panel> selects one; deep links work):
//   documents  tree + Monaco editor + live preview
//   preview    the app in a large frame
//   data       tables, rows (paged, editable) and the SQL console
//   logs       the app's log with live tail
//   users      accounts
//   permissions table grants and row policies
//   settings   /_api/config
//   packages   npm packages under modules/
//   search     full-text search over documents
//   audit      the audit log
//
// Elements a test drives carry stable data-testid attributes (a contract:
// tests/browser/admin_test.mjs relies on them; rename none silently):
//   shell      admin-root, nav-<panel>, panel-<panel> (hidden unless shown),
//              henv-host, current-user, logout-form, logout-button,
//              toasts > toast[data-kind=info|ok|error], dialog, dialog-input,
//              dialog-ok, dialog-cancel, dialog-error
//   documents  doc-tree, doc-item[data-doc-id], doc-folder[data-folder]
//              [aria-expanded], doc-filter, doc-new, doc-upload (label),
//              doc-upload-input, doc-refresh, doc-rename, doc-delete,
//              doc-download (an <a download>), editor-tabs, editor-tab
//              [data-doc-id], doc-title, editor (Monaco's host),
//              fallback-editor, dirty-indicator, save-status, save-button,
//              save-anyway, error-list > error-item[data-line],
//              preview-toggle
//   preview    preview, preview-frame, preview-path, preview-go,
//              preview-reload, preview-open
//   data       table-list > table-item[data-table], rows-grid > row
//              [data-key], row-edit, row-new, row-form, row-field
//              [data-column], row-save, rows-filter, rows-sort, rows-prev,
//              rows-next, rows-info, sql-input, sql-params, sql-allow-writes,
//              sql-run, sql-status, sql-error, sql-results (> sql-row),
//              sql-export
//   logs       logs-table > log-row[data-seq][data-level][data-source]
//              (> log-message), log-detail (> log-stack), logs-level,
//              logs-live, logs-status, logs-refresh, logs-clear
//   users      user-form, user-form-{username,email,password,role,submit},
//              user-form-error, users-table > user-row[data-username]
//              [data-user-id] (> user-role, user-enabled, user-password,
//              user-delete), users-refresh
//   permissions grant-form, grant-who, grant-table, grant-{select,insert,
//              update,delete}, grant-submit, grants-table > grant-row
//              (> grant-remove); policy-form, policy-{table,name,role,
//              operation,condition}, policy-enabled-new, policy-submit,
//              policies-table > policy-row[data-policy-id] (> policy-enabled,
//              policy-remove)
//   settings   settings-form, setting-input[data-key], setting-error
//              [data-key], env-list > env-row (> env-name, env-value,
//              env-remove), env-add, settings-save, settings-reset,
//              settings-status
//   packages   package-form, package-upload-input, package-install,
//              package-status, packages-table > package-row[data-package]
//              (> package-remove)
//   search     search-input, search-submit, search-status, search-results >
//              search-result[data-doc-id]
//   audit      audit-table > audit-row
// window.hbfAdmin = {monaco, editor, currentId, open(id), save(), showPanel(id)}
// exposes the Monaco instance and the open document for tests.
'use strict';

(() => {
  // ------------------------------------------------------------ environment

  function metaContent(name) {
    const el = document.querySelector(`meta[name="${name}"]`);
    return el ? el.getAttribute('content') || '' : '';
  }
  let ASSETS = metaContent('hbf-assets');
  if (!ASSETS || ASSETS.includes('{{')) ASSETS = '/_admin/assets/';
  if (!ASSETS.endsWith('/')) ASSETS += '/';
  let HENV = metaContent('hbf-henv');
  if (!HENV || HENV.includes('{{')) HENV = location.host;
  const MONACO_BASE = new URL(ASSETS + 'monaco/vs', location.href).href;
  // HBF's own login and logout: /login and /logout may be the app's routes.
  const LOGIN = '/_hbf/login';
  const LOGOUT = '/_hbf/logout';

  const PANELS = [
    { id: 'documents', label: 'Documents' },
    { id: 'preview', label: 'Preview' },
    { id: 'data', label: 'Data' },
    { id: 'logs', label: 'Logs' },
    { id: 'users', label: 'Users' },
    { id: 'permissions', label: 'Permissions' },
    { id: 'settings', label: 'Settings' },
    { id: 'packages', label: 'Packages' },
    { id: 'search', label: 'Search' },
    { id: 'audit', label: 'Audit log' },
  ];

  // --------------------------------------------------------------- helpers

  // h('button', {class: 'btn', onclick: f, 'data-testid': 'x'}, 'Text', child...)
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    let value;
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else if (k === 'value') value = v;
      else if (k === 'checked' || k === 'disabled' || k === 'hidden' || k === 'selected' || k === 'required' ||
               k === 'multiple' || k === 'readOnly') el[k] = true;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    append(el, kids);
    if (value !== undefined) el.value = value;
    return el;
  }
  function append(el, kids) {
    for (const kid of kids.flat(Infinity)) {
      if (kid == null || kid === false) continue;
      el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
    return el;
  }
  function clear(el) { while (el.firstChild) el.firstChild.remove(); return el; }
  function $(sel, root) { return (root || document).querySelector(sel); }
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  let uid = 0;
  const nextId = (prefix) => `${prefix}-${++uid}`;

  function extOf(id) {
    const base = id.slice(id.lastIndexOf('/') + 1);
    const dot = base.lastIndexOf('.');
    return dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
  }
  function baseName(id) { return id.slice(id.lastIndexOf('/') + 1); }
  function folderOf(id) { const i = id.lastIndexOf('/'); return i < 0 ? '' : id.slice(0, i); }
  // A document id as a URL path: each segment percent-encoded, '/' kept.
  function docPath(id) { return id.split('/').map(encodeURIComponent).join('/'); }
  function docUrl(id) { return '/_api/documents/' + docPath(id); }

  function fmtBytes(n) {
    if (typeof n !== 'number') return '';
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
    return `${(n / 1024 / 1024).toFixed(1)} MB`;
  }
  // Times arrive as unix seconds, milliseconds or SQLite text.
  function toDate(v) {
    if (v == null || v === '') return null;
    if (typeof v === 'number') return new Date(v > 1e12 ? v : v * 1000);
    if (/^\d+$/.test(String(v))) return toDate(Number(v));
    const d = new Date(/^\d{4}-\d\d-\d\d \d/.test(v) ? v.replace(' ', 'T') + 'Z' : v);
    return isNaN(d) ? null : d;
  }
  function fmtTime(v) {
    const d = toDate(v);
    return d ? d.toLocaleString() : (v == null ? '' : String(v));
  }
  function pad(n, w = 2) { return String(n).padStart(w, '0'); }
  function fmtClock(ms) {
    const d = new Date(ms);
    return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  }
  function plural(n, word, many) { return `${n} ${n === 1 ? word : many || word + 's'}`; }
  function cellText(v) {
    if (v === null || v === undefined) return null;
    if (typeof v === 'object') return JSON.stringify(v);
    return String(v);
  }

  // Extension → media type, as the server's own table (content_types.cpp):
  // used for new documents and uploads the browser has no type for.
  const TYPES = {
    html: 'text/html; charset=utf-8', htm: 'text/html; charset=utf-8', css: 'text/css; charset=utf-8',
    js: 'text/javascript; charset=utf-8', mjs: 'text/javascript; charset=utf-8',
    cjs: 'text/javascript; charset=utf-8', json: 'application/json', map: 'application/json',
    txt: 'text/plain; charset=utf-8', md: 'text/markdown; charset=utf-8', markdown: 'text/markdown; charset=utf-8',
    csv: 'text/csv; charset=utf-8', xml: 'application/xml', ejs: 'text/html; charset=utf-8', svg: 'image/svg+xml',
    png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp',
    avif: 'image/avif', ico: 'image/x-icon', woff: 'font/woff', woff2: 'font/woff2', ttf: 'font/ttf',
    otf: 'font/otf', wasm: 'application/wasm', pdf: 'application/pdf', zip: 'application/zip',
    mp3: 'audio/mpeg', mp4: 'video/mp4', webm: 'video/webm', webmanifest: 'application/manifest+json',
  };
  const TEXT_EXTS = new Set(['html', 'htm', 'css', 'js', 'mjs', 'cjs', 'json', 'map', 'txt', 'md', 'markdown',
    'csv', 'xml', 'ejs', 'svg', 'ts', 'yaml', 'yml', 'sql', 'webmanifest', 'toml', 'ini', 'env', 'sh', 'jsx', 'tsx']);
  function typeFor(id) { return TYPES[extOf(id)] || (TEXT_EXTS.has(extOf(id)) ? 'text/plain; charset=utf-8' : 'application/octet-stream'); }
  function isTextDoc(contentType, id) {
    const t = (contentType || '').toLowerCase();
    if (t.startsWith('text/')) return true;
    if (/json|javascript|ecmascript|xml|ejs|x-sh|yaml|toml|sql/.test(t)) return true;
    if (!t || t === 'application/octet-stream') return TEXT_EXTS.has(extOf(id)) || extOf(id) === '';
    return false;
  }
  function languageFor(id) {
    return {
      js: 'javascript', mjs: 'javascript', cjs: 'javascript', jsx: 'javascript', ejs: 'html', html: 'html',
      htm: 'html', css: 'css', json: 'json', map: 'json', webmanifest: 'json', md: 'markdown', markdown: 'markdown',
      ts: 'typescript', tsx: 'typescript', xml: 'xml', svg: 'xml', yaml: 'yaml', yml: 'yaml', sql: 'sql',
    }[extOf(id)] || 'plaintext';
  }
  // Documents the server compiles when saved (router, modules, templates).
  function isCheckable(id) { return /\.(m?js|cjs|ejs)$/i.test(id); }

  const ROUTER_STARTER = `import { Router } from "hbf:router";

const router = new Router();

router.get("/hello", (req, res) => {
  res.json({ msg: "hi" });
});

export default router;
`;

  // ------------------------------------------------------------------ toasts

  let toastRegion;
  function toast(message, kind = 'info', ms) {
    if (!toastRegion) { console.log(`[${kind}] ${message}`); return; }
    const close = h('button', { class: 'toast-close', type: 'button', 'aria-label': 'Dismiss' }, '×');
    const el = h('div', { class: `toast toast-${kind}`, 'data-testid': 'toast', 'data-kind': kind },
      h('span', { class: 'toast-text' }, message), close);
    const remove = () => { el.classList.add('leaving'); setTimeout(() => el.remove(), 200); };
    close.addEventListener('click', remove);
    toastRegion.append(el);
    while (toastRegion.children.length > 5) toastRegion.firstChild.remove();
    setTimeout(remove, ms || (kind === 'error' ? 12000 : 4000));
  }
  function notifyError(err, what) {
    const msg = err && err.message ? err.message : String(err);
    const code = err && err.code && !/^http_/.test(err.code) && err.code !== 'network' ? ` (${err.code})` : '';
    toast(`${what ? what + ': ' : ''}${msg}${code}`, 'error');
  }

  // -------------------------------------------------------------------- API

  class ApiError extends Error {
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
  function goLogin() {
    if (redirectingToLogin) return;
    redirectingToLogin = true;
    toast('Your session has ended; taking you to the login page.', 'error');
    setTimeout(() => { location.href = LOGIN + '?next=' + encodeURIComponent(location.pathname + location.search); }, 800);
  }

  // api(method, path, {json, body, headers, signal, quiet, quietCodes, what, raw})
  //   resolves to the parsed JSON (or text); rejects with ApiError after
  //   showing it (unless quiet, or its code is in quietCodes).
  async function api(method, path, opts = {}) {
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

  // ----------------------------------------------------------------- dialogs

  // A modal <dialog> asking for one line of text; resolves to it or null.
  function askText({ title, label, value = '', okText = 'OK', hint, validate }) {
    return new Promise((resolve) => {
      const inputId = nextId('dlg-in');
      const input = h('input', { id: inputId, type: 'text', value, 'data-testid': 'dialog-input', autocomplete: 'off', spellcheck: 'false' });
      const error = h('p', { class: 'field-error', 'data-testid': 'dialog-error', role: 'alert', hidden: true });
      const form = h('form', { method: 'dialog', class: 'dialog-form' },
        h('h2', { class: 'dialog-title' }, title),
        h('label', { for: inputId }, label), input,
        hint ? h('p', { class: 'hint' }, hint) : null, error,
        h('div', { class: 'dialog-actions' },
          h('button', { type: 'button', class: 'btn', 'data-testid': 'dialog-cancel', value: 'cancel' }, 'Cancel'),
          h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'dialog-ok', value: 'ok' }, okText)));
      const dlg = h('dialog', { class: 'modal', 'data-testid': 'dialog', 'aria-label': title }, form);
      let done = false;
      const finish = (v) => { if (done) return; done = true; dlg.close(); dlg.remove(); resolve(v); };
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        const v = input.value.trim();
        const problem = validate ? validate(v) : (v ? null : 'Enter a value.');
        if (problem) { error.textContent = problem; error.hidden = false; input.focus(); return; }
        finish(v);
      });
      form.querySelector('[data-testid="dialog-cancel"]').addEventListener('click', () => finish(null));
      dlg.addEventListener('cancel', (e) => { e.preventDefault(); finish(null); });
      document.body.append(dlg);
      dlg.showModal();
      input.focus();
      input.select();
    });
  }

  function confirmDialog({ title, message, okText = 'OK', danger = false }) {
    return new Promise((resolve) => {
      const form = h('form', { method: 'dialog', class: 'dialog-form' },
        h('h2', { class: 'dialog-title' }, title),
        h('p', {}, message),
        h('div', { class: 'dialog-actions' },
          h('button', { type: 'button', class: 'btn', 'data-testid': 'dialog-cancel' }, 'Cancel'),
          h('button', { type: 'submit', class: danger ? 'btn btn-danger' : 'btn btn-primary', 'data-testid': 'dialog-ok' }, okText)));
      const dlg = h('dialog', { class: 'modal', 'data-testid': 'dialog', 'aria-label': title, role: 'alertdialog' }, form);
      let done = false;
      const finish = (v) => { if (done) return; done = true; dlg.close(); dlg.remove(); resolve(v); };
      form.addEventListener('submit', (e) => { e.preventDefault(); finish(true); });
      form.querySelector('[data-testid="dialog-cancel"]').addEventListener('click', () => finish(false));
      dlg.addEventListener('cancel', (e) => { e.preventDefault(); finish(false); });
      document.body.append(dlg);
      dlg.showModal();
      form.querySelector(danger ? '[data-testid="dialog-cancel"]' : '[data-testid="dialog-ok"]').focus();
    });
  }

  // ----------------------------------------------------------------- shell

  const state = {
    me: null,
    panel: null,
    panels: new Map(), // id → {section, init, show, hide, inited}
  };

  function buildShell(root) {
    clear(root);
    const nav = h('nav', { class: 'sidenav', 'aria-label': 'Admin sections' },
      h('ul', {}, PANELS.map((p) => h('li', {},
        h('a', { href: `/_admin/${p.id}`, class: 'nav-link', 'data-testid': `nav-${p.id}`, 'data-panel': p.id,
          onclick: (e) => {
            if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
            e.preventDefault();
            showPanel(p.id);
          } }, p.label)))));
    // A plain form post: HBF ends the session and answers 303 to `next`.
    const logout = h('form', { method: 'post', action: LOGOUT, class: 'logout-form', 'data-testid': 'logout-form',
      onsubmit: (e) => {
        if ([...editor.open.values()].some(isDirty)) {
          e.preventDefault();
          confirmDialog({ title: 'Log out?', message: 'Some documents have unsaved changes. Log out anyway?', okText: 'Log out', danger: true })
            .then((yes) => { if (yes) { window.removeEventListener('beforeunload', warnUnsaved); logout.submit(); } });
        } else {
          window.removeEventListener('beforeunload', warnUnsaved);
        }
      } },
    h('input', { type: 'hidden', name: 'next', value: `${LOGIN}?next=/_admin` }),
    h('button', { type: 'submit', class: 'btn btn-small', 'data-testid': 'logout-button' }, 'Log out'));
    const header = h('header', { class: 'topbar' },
      h('a', { class: 'skip-link', href: '#main' }, 'Skip to content'),
      h('span', { class: 'brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, 'H'), 'HBF admin'),
      h('a', { class: 'henv-host', href: '/', target: '_blank', rel: 'noopener', 'data-testid': 'henv-host',
        title: 'Open the app in a new tab' }, HENV),
      h('span', { class: 'spacer' }),
      h('span', { class: 'current-user', 'data-testid': 'current-user' }, '…'),
      logout);
    const main = h('main', { id: 'main', class: 'main', tabindex: '-1' });
    toastRegion = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite', 'data-testid': 'toasts' });
    root.append(h('div', { class: 'shell' }, header, nav, main), toastRegion);
    for (const p of PANELS) {
      const section = h('section', { class: `panel panel-${p.id}`, 'data-testid': `panel-${p.id}`, 'data-panel': p.id,
        'aria-label': p.label, hidden: true });
      main.append(section);
      state.panels.set(p.id, Object.assign({ section, inited: false }, PANEL_IMPL[p.id] || {}));
    }
  }

  function panelFromLocation() {
    const m = location.pathname.match(/^\/_admin\/?([^/]*)/);
    const id = m ? m[1] : '';
    return state.panels.has(id) ? id : 'documents';
  }

  function panelUrl(id) {
    if (id === 'documents' && editor.current) return `/_admin/documents?doc=${encodeURIComponent(editor.current.id)}`;
    return `/_admin/${id}`;
  }

  function showPanel(id, { push = true } = {}) {
    if (!state.panels.has(id)) id = 'documents';
    const prev = state.panel;
    if (prev && prev !== id) {
      const p = state.panels.get(prev);
      p.section.hidden = true;
      if (p.hide) p.hide();
    }
    const p = state.panels.get(id);
    state.panel = id;
    for (const a of document.querySelectorAll('.nav-link')) {
      if (a.dataset.panel === id) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    p.section.hidden = false;
    if (!p.inited) { p.inited = true; if (p.init) p.init(p.section); }
    if (p.show) p.show();
    document.title = `${PANELS.find((x) => x.id === id).label} · ${HENV} · HBF admin`;
    if (push && prev !== id) history.pushState({ panel: id }, '', panelUrl(id));
  }

  window.addEventListener('popstate', () => {
    showPanel(panelFromLocation(), { push: false });
    const doc = new URLSearchParams(location.search).get('doc');
    if (state.panel === 'documents' && doc && (!editor.current || editor.current.id !== doc)) openDocument(doc, { history: false });
  });

  // ======================================================== documents + editor

  const docs = {
    list: [],
    byId: new Map(),
    collapsed: new Set(['modules']),
    selectedFolder: '',
    filter: '',
    treeEl: null,
    loading: null,
  };

  const editor = {
    monaco: null,
    instance: null,
    loading: null,
    failed: false,
    open: new Map(), // id → entry
    current: null,
    checkAvailable: true,
    els: {},
  };

  async function fetchAllDocuments() {
    const out = [];
    let cursor = null;
    for (let page = 0; page < 100; page++) {
      const q = new URLSearchParams({ limit: '1000' });
      if (cursor) q.set('cursor', cursor);
      const data = await api('GET', '/_api/documents?' + q, { what: 'Listing documents' });
      out.push(...(data.documents || []));
      cursor = data.next_cursor;
      if (!cursor) break;
    }
    return out;
  }

  async function reloadDocuments() {
    if (docs.loading) return docs.loading;
    docs.loading = (async () => {
      try {
        docs.list = await fetchAllDocuments();
        docs.byId = new Map(docs.list.map((d) => [d.id, d]));
        renderTree();
      } catch (e) {
        if (docs.treeEl) clear(docs.treeEl).append(h('p', { class: 'empty' }, `Cannot list documents: ${e.message}`));
      } finally {
        docs.loading = null;
      }
    })();
    return docs.loading;
  }

  function buildTreeModel(list) {
    const root = { name: '', path: '', folders: new Map(), files: [] };
    for (const d of list) {
      const parts = d.id.split('/');
      let node = root;
      for (let i = 0; i < parts.length - 1; i++) {
        const path = parts.slice(0, i + 1).join('/');
        if (!node.folders.has(parts[i])) node.folders.set(parts[i], { name: parts[i], path, folders: new Map(), files: [] });
        node = node.folders.get(parts[i]);
      }
      node.files.push(d);
    }
    return root;
  }

  function countFiles(node) {
    let n = node.files.length;
    for (const f of node.folders.values()) n += countFiles(f);
    return n;
  }

  function renderTree() {
    const tree = docs.treeEl;
    if (!tree) return;
    clear(tree);
    const current = editor.current ? editor.current.id : null;
    const fileButton = (d, depth, label) => h('button', {
      type: 'button', class: 'tree-row tree-file' + (d.id === current ? ' is-current' : ''),
      'data-testid': 'doc-item', 'data-doc-id': d.id, style: `--depth:${depth}`, title: `${d.id} · ${d.content_type} · ${fmtBytes(d.size)}`,
      'aria-current': d.id === current ? 'true' : null,
      onclick: () => { docs.selectedFolder = folderOf(d.id); openDocument(d.id); },
    }, h('span', { class: `file-icon ext-${extOf(d.id) || 'none'}`, 'aria-hidden': 'true' }), h('span', { class: 'tree-label' }, label));

    if (!docs.list.length) {
      tree.append(h('p', { class: 'empty' }, 'No documents yet. Create one or drop files here.'));
      return;
    }
    if (docs.filter) {
      const f = docs.filter.toLowerCase();
      const hits = docs.list.filter((d) => d.id.toLowerCase().includes(f));
      const ul = h('ul', { class: 'tree-list', role: 'list' });
      for (const d of hits.slice(0, 500)) ul.append(h('li', {}, fileButton(d, 0, d.id)));
      tree.append(hits.length ? ul : h('p', { class: 'empty' }, 'No document id matches.'));
      return;
    }
    const renderNode = (node, depth) => {
      const ul = h('ul', { class: 'tree-list', role: 'list' });
      const folders = [...node.folders.values()].sort((a, b) => a.name.localeCompare(b.name));
      for (const f of folders) {
        const open = !docs.collapsed.has(f.path);
        const li = h('li', { class: 'tree-folder' },
          h('button', {
            type: 'button', class: 'tree-row tree-dir' + (docs.selectedFolder === f.path ? ' is-selected' : ''),
            'data-testid': 'doc-folder', 'data-folder': f.path, 'aria-expanded': String(open), style: `--depth:${depth}`,
            title: `${f.path}/ · ${plural(countFiles(f), 'document')}`,
            onclick: () => {
              docs.selectedFolder = f.path;
              if (open) docs.collapsed.add(f.path); else docs.collapsed.delete(f.path);
              renderTree();
              const again = tree.querySelector(`[data-testid="doc-folder"][data-folder="${CSS.escape(f.path)}"]`);
              if (again) again.focus();
            },
          }, h('span', { class: 'chevron', 'aria-hidden': 'true' }), h('span', { class: 'tree-label' }, f.name)));
        if (open) li.append(renderNode(f, depth + 1));
        ul.append(li);
      }
      for (const d of [...node.files].sort((a, b) => a.id.localeCompare(b.id))) ul.append(h('li', {}, fileButton(d, depth, baseName(d.id))));
      return ul;
    };
    tree.append(renderNode(buildTreeModel(docs.list), 0));
  }

  function revealInTree(id) {
    let changed = false;
    const parts = id.split('/');
    for (let i = 1; i < parts.length; i++) {
      const p = parts.slice(0, i).join('/');
      if (docs.collapsed.delete(p)) changed = true;
    }
    if (changed) renderTree();
    else {
      for (const b of docs.treeEl ? docs.treeEl.querySelectorAll('.tree-file') : []) {
        const on = b.dataset.docId === id;
        b.classList.toggle('is-current', on);
        if (on) b.setAttribute('aria-current', 'true'); else b.removeAttribute('aria-current');
      }
    }
    const btn = docs.treeEl && docs.treeEl.querySelector(`[data-testid="doc-item"][data-doc-id="${CSS.escape(id)}"]`);
    if (btn) btn.scrollIntoView({ block: 'nearest' });
  }

  // Arrow keys move between the tree's rows; Right/Left open and close folders.
  function treeKeydown(e) {
    const rows = [...docs.treeEl.querySelectorAll('.tree-row')];
    const i = rows.indexOf(document.activeElement);
    if (i < 0) return;
    const row = rows[i];
    if (e.key === 'ArrowDown' && i < rows.length - 1) { rows[i + 1].focus(); e.preventDefault(); }
    else if (e.key === 'ArrowUp' && i > 0) { rows[i - 1].focus(); e.preventDefault(); }
    else if (e.key === 'Home') { rows[0].focus(); e.preventDefault(); }
    else if (e.key === 'End') { rows[rows.length - 1].focus(); e.preventDefault(); }
    else if (row.classList.contains('tree-dir') && e.key === 'ArrowRight' && row.getAttribute('aria-expanded') === 'false') { row.click(); e.preventDefault(); }
    else if (row.classList.contains('tree-dir') && e.key === 'ArrowLeft' && row.getAttribute('aria-expanded') === 'true') { row.click(); e.preventDefault(); }
  }

  // ---- document actions

  function targetFolder() {
    if (docs.selectedFolder) return docs.selectedFolder;
    return editor.current ? folderOf(editor.current.id) : '';
  }

  function validateId(v) {
    if (!v) return 'Enter a document id.';
    if (v.startsWith('/') || v.endsWith('/') || v.includes('//')) return 'No leading, trailing or doubled "/".';
    if (v.split('/').some((s) => s === '.' || s === '..')) return 'No "." or ".." segments.';
    if (/[\\\u0000-\u001f\u007f]/.test(v)) return 'No backslashes or control characters.';
    return null;
  }

  async function createDocument() {
    const folder = targetFolder();
    const id = await askText({
      title: 'New document', label: 'Document id (its path)', value: folder ? folder + '/' : '', okText: 'Create',
      hint: 'Folders come from "/" in the id, e.g. pages/about.html or _system/router.js.', validate: validateId,
    });
    if (!id) return;
    if (docs.byId.has(id)) { toast(`${id} already exists; opening it.`, 'info'); openDocument(id); return; }
    const content = id === '_system/router.js' ? ROUTER_STARTER : '';
    try {
      await api('PUT', docUrl(id) + '?force=1', { body: content, headers: { 'Content-Type': typeFor(id) }, what: `Creating ${id}` });
    } catch { return; }
    toast(`Created ${id}`, 'ok');
    await reloadDocuments();
    openDocument(id);
  }

  async function renameDocument() {
    const entry = editor.current;
    if (!entry) { toast('Open the document to rename first.', 'info'); return; }
    const from = entry.id;
    if (isDirty(entry)) { toast(`Save or discard the changes to ${from} before renaming it.`, 'error'); return; }
    const to = await askText({ title: `Rename ${from}`, label: 'New id', value: from, okText: 'Rename', validate: validateId });
    if (!to || to === from) return;
    if (docs.byId.has(to)) {
      if (!(await confirmDialog({ title: 'Replace?', message: `${to} exists. Replace it with ${from}?`, okText: 'Replace', danger: true }))) return;
      try { await api('DELETE', docUrl(to), { what: `Removing ${to}` }); } catch { return; }
      closeEntry(to, { force: true });
    }
    // One atomic move on the server (content, type and visibility).
    try { await api('PATCH', docUrl(from), { json: { rename_to: to }, what: `Renaming ${from}` }); } catch { return; }
    closeEntry(from, { force: true });
    toast(`Renamed ${from} to ${to}`, 'ok');
    await reloadDocuments();
    openDocument(to);
  }

  async function deleteDocument() {
    const entry = editor.current;
    if (!entry) { toast('Open the document to delete first.', 'info'); return; }
    const id = entry.id;
    if (!(await confirmDialog({ title: 'Delete document', message: `Delete ${id}? This cannot be undone.`, okText: 'Delete', danger: true }))) return;
    try { await api('DELETE', docUrl(id), { what: `Deleting ${id}` }); } catch { return; }
    closeEntry(id, { force: true });
    toast(`Deleted ${id}`, 'ok');
    await reloadDocuments();
  }

  async function uploadFiles(files, folder, { askName = true } = {}) {
    files = [...files].filter((f) => f && f.name);
    if (!files.length) return;
    let ids;
    if (files.length === 1 && askName) {
      const id = await askText({ title: 'Upload', label: 'Save as document id', value: (folder ? folder + '/' : '') + files[0].name,
        okText: 'Upload', validate: validateId, hint: 'An existing document of that id is replaced.' });
      if (!id) return;
      ids = [id];
    } else {
      ids = files.map((f) => (folder ? folder + '/' : '') + f.name);
    }
    let ok = 0;
    for (let i = 0; i < files.length; i++) {
      const file = files[i];
      const id = ids[i];
      if (validateId(id)) { toast(`Cannot upload ${file.name}: ${validateId(id)}`, 'error'); continue; }
      const put = (force) => api('PUT', docUrl(id) + (force ? '?force=1' : ''), {
        body: file, headers: { 'Content-Type': file.type || typeFor(id) }, what: `Uploading ${id}`, quietCodes: ['code_invalid'],
      });
      try {
        try {
          await put(false);
        } catch (e) {
          if (e.code !== 'code_invalid') throw e;
          const first = normalizeErrors(id, e.detail.errors, e.message)[0];
          const where = first.line ? ` (line ${first.line})` : '';
          if (!(await confirmDialog({ title: `${id} does not compile`, message: `${first.message}${where}. Upload it anyway? The app's code would fail until it is fixed.`, okText: 'Upload anyway', danger: true }))) continue;
          await put(true);
        }
        ok++;
        const open = editor.open.get(id);
        if (open && !isDirty(open)) closeEntry(id, { force: true });
      } catch { /* shown */ }
    }
    if (ok) toast(`Uploaded ${plural(ok, 'file')}${folder ? ` to ${folder}/` : ''}`, 'ok');
    await reloadDocuments();
    if (ok === 1 && files.length === 1 && isTextDoc(files[0].type || typeFor(ids[0]), ids[0])) openDocument(ids[0]);
  }

  function setupTreeDrop(zone) {
    let depth = 0;
    const folderAt = (target) => {
      const dir = target.closest && target.closest('[data-folder]');
      if (dir) return dir.dataset.folder;
      const file = target.closest && target.closest('[data-doc-id]');
      return file ? folderOf(file.dataset.docId) : '';
    };
    const mark = (target) => {
      for (const el of zone.querySelectorAll('.drop-target')) el.classList.remove('drop-target');
      const dir = target.closest && target.closest('[data-folder]');
      if (dir) dir.classList.add('drop-target');
    };
    zone.addEventListener('dragenter', (e) => {
      if (!e.dataTransfer || ![...e.dataTransfer.types].includes('Files')) return;
      depth++;
      zone.classList.add('is-dragging');
      e.preventDefault();
    });
    zone.addEventListener('dragover', (e) => {
      if (!e.dataTransfer || ![...e.dataTransfer.types].includes('Files')) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
      mark(e.target);
      docs.dropHint.textContent = `Drop to upload into ${folderAt(e.target) ? folderAt(e.target) + '/' : 'the top level'}`;
    });
    zone.addEventListener('dragleave', () => {
      if (--depth <= 0) { depth = 0; zone.classList.remove('is-dragging'); mark(zone); }
    });
    zone.addEventListener('drop', (e) => {
      e.preventDefault();
      depth = 0;
      zone.classList.remove('is-dragging');
      mark(zone);
      const folder = folderAt(e.target);
      uploadFiles(e.dataTransfer.files, folder, { askName: false });
    });
  }

  // ---- Monaco

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const s = h('script', { src });
      s.onload = resolve;
      s.onerror = () => reject(new Error(`cannot load ${src}`));
      document.head.append(s);
    });
  }

  function loadMonaco() {
    if (editor.loading) return editor.loading;
    editor.loading = (async () => {
      if (typeof window.require !== 'function' || !window.require.config) await loadScript(MONACO_BASE + '/loader.js');
      window.MonacoEnvironment = {
        // Same origin, so the worker loads straight from the asset prefix
        // (no blob: or data: bootstrap, which a strict CSP refuses).
        getWorkerUrl: () => MONACO_BASE + '/base/worker/workerMain.js',
      };
      window.require.config({ paths: { vs: MONACO_BASE } });
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the editor took too long to load')), 30000);
        window.require(['vs/editor/editor.main'], () => { clearTimeout(timer); resolve(window.monaco); },
          (err) => { clearTimeout(timer); reject(err instanceof Error ? err : new Error(String(err && err.message || err))); });
      });
    })();
    return editor.loading;
  }

  async function ensureEditor() {
    if (editor.instance || editor.failed) return editor.instance;
    let monaco;
    try {
      monaco = await loadMonaco();
    } catch (e) {
      editor.failed = true;
      toast(`The code editor could not load (${e.message}); using a plain text box.`, 'error');
      return null;
    }
    if (editor.instance) return editor.instance;
    editor.monaco = monaco;
    try {
      const ts = monaco.languages.typescript;
      ts.javascriptDefaults.setDiagnosticsOptions({ noSemanticValidation: true, noSyntaxValidation: false });
      ts.javascriptDefaults.setCompilerOptions({ target: ts.ScriptTarget.ESNext, module: ts.ModuleKind.ESNext, allowJs: true, allowNonTsExtensions: true });
    } catch { /* TypeScript language not bundled */ }
    editor.instance = monaco.editor.create(editor.els.host, {
      model: null, automaticLayout: true, minimap: { enabled: false }, fontSize: 13, tabSize: 2,
      scrollBeyondLastLine: false, fixedOverflowWidgets: true, renderWhitespace: 'selection',
      ariaLabel: 'Document editor', theme: 'vs',
    });
    editor.instance.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, () => saveCurrent());
    window.hbfAdmin.monaco = monaco;
    window.hbfAdmin.editor = editor.instance;
    return editor.instance;
  }

  // ---- open documents

  function isDirty(entry) {
    if (!entry || entry.binary) return false;
    if (entry.model) return entry.model.getAlternativeVersionId() !== entry.savedVersion;
    return entry.text !== entry.savedText;
  }
  function textOf(entry) {
    if (entry.model) return entry.model.getValue();
    if (editor.current === entry && editor.els.fallback) entry.text = editor.els.fallback.value;
    return entry.text;
  }
  function versionOf(entry) { return entry.model ? entry.model.getAlternativeVersionId() : entry.text; }

  async function openDocument(id, { history: updateHistory = true, line, find } = {}) {
    if (state.panel !== 'documents' && state.panel !== 'preview') showPanel('documents');
    docs.selectedFolder = folderOf(id);
    revealInTree(id);
    let entry = editor.open.get(id);
    if (!entry) {
      setStatus(`Opening ${id}…`);
      let res;
      try { res = await api('GET', docUrl(id), { raw: true, what: `Opening ${id}` }); } catch { setStatus(''); return; }
      const contentType = res.headers.get('content-type') || typeFor(id);
      entry = { id, contentType, etag: res.headers.get('etag'), errors: [], checkSeq: 0, checkTimer: null, refused: false };
      let text = null;
      if (!isTextDoc(contentType, id)) {
        entry.binary = true;
        try { await res.body.cancel(); } catch { /* fine */ }
      } else {
        text = await res.text();
        await ensureEditor();
      }
      if (editor.open.has(id)) {
        entry = editor.open.get(id); // opened meanwhile (a second click)
      } else if (!entry.binary) {
        if (editor.instance) {
          const monaco = editor.monaco;
          const uri = monaco.Uri.from({ scheme: 'hbf', path: '/' + id });
          const old = monaco.editor.getModel(uri);
          if (old) old.dispose();
          entry.model = monaco.editor.createModel(text, languageFor(id), uri);
          entry.savedVersion = entry.model.getAlternativeVersionId();
          entry.model.onDidChangeContent(() => onEdited(entry));
        } else {
          entry.text = text;
          entry.savedText = text;
        }
      }
      editor.open.set(id, entry);
    }
    switchTo(entry);
    if (updateHistory && state.panel === 'documents') history.replaceState({ panel: 'documents' }, '', panelUrl('documents'));
    if (entry.model && editor.instance) {
      let pos = null;
      if (line) pos = { lineNumber: line, column: 1 };
      else if (find) {
        const m = entry.model.findMatches(find, false, false, false, null, false)[0];
        if (m) pos = { lineNumber: m.range.startLineNumber, column: m.range.startColumn };
      }
      if (pos) { editor.instance.revealLineInCenter(pos.lineNumber); editor.instance.setPosition(pos); }
      editor.instance.focus();
    }
  }

  function switchTo(entry) {
    const prev = editor.current;
    if (prev && prev !== entry && prev.model && editor.instance) prev.viewState = editor.instance.saveViewState();
    if (prev && prev !== entry && !prev.model && editor.els.fallback) prev.text = editor.els.fallback.value;
    editor.current = entry;
    window.hbfAdmin.currentId = entry ? entry.id : null;
    const { host, binaryView, placeholder } = editor.els;
    clear(binaryView);
    binaryView.hidden = true;
    if (editor.els.fallback) editor.els.fallback.hidden = true;
    if (!entry) {
      host.hidden = true;
      placeholder.hidden = false;
      if (editor.instance) editor.instance.setModel(null);
    } else if (entry.binary) {
      host.hidden = true;
      placeholder.hidden = true;
      binaryView.hidden = false;
      const meta = docs.byId.get(entry.id);
      binaryView.append(
        h('p', {}, h('strong', {}, entry.id), ` is binary (${entry.contentType}${meta ? ', ' + fmtBytes(meta.size) : ''}).`),
        entry.contentType.startsWith('image/') ? h('img', { src: docUrl(entry.id), alt: entry.id, class: 'binary-image' }) : null,
        h('p', {}, h('a', { href: docUrl(entry.id), download: baseName(entry.id), class: 'btn' }, 'Download')));
    } else if (entry.model) {
      placeholder.hidden = true;
      host.hidden = false;
      editor.instance.setModel(entry.model);
      if (entry.viewState) editor.instance.restoreViewState(entry.viewState);
    } else {
      placeholder.hidden = true;
      host.hidden = true;
      if (!editor.els.fallback) {
        editor.els.fallback = h('textarea', { class: 'fallback-editor', 'data-testid': 'fallback-editor', spellcheck: 'false',
          'aria-label': 'Document text', oninput: () => { if (editor.current) { editor.current.text = editor.els.fallback.value; onEdited(editor.current); } },
          onkeydown: (e) => { if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's') { e.preventDefault(); saveCurrent(); } } });
        host.after(editor.els.fallback);
      }
      editor.els.fallback.hidden = false;
      editor.els.fallback.value = entry.text;
    }
    renderTabs();
    renderProblems();
    updateDirty();
    updateDocActions();
    if (entry && !entry.binary) setStatus(entry.refused ? `${plural(entry.errors.length, 'error')} — not saved` : (isDirty(entry) ? 'Unsaved changes' : ''), entry.errors.length ? 'error' : '');
    else setStatus('');
  }

  async function closeEntry(id, { force = false } = {}) {
    const entry = editor.open.get(id);
    if (!entry) return;
    if (!force && isDirty(entry) &&
        !(await confirmDialog({ title: 'Discard changes?', message: `${id} has unsaved changes. Close it anyway?`, okText: 'Discard', danger: true }))) return;
    editor.open.delete(id);
    if (entry.checkTimer) clearTimeout(entry.checkTimer);
    if (editor.current === entry) {
      const next = [...editor.open.values()].pop() || null;
      editor.current = null;
      switchTo(next);
    }
    if (entry.model) entry.model.dispose();
    renderTabs();
    if (state.panel === 'documents') history.replaceState({ panel: 'documents' }, '', panelUrl('documents'));
  }

  function renderTabs() {
    const bar = editor.els.tabs;
    clear(bar);
    for (const entry of editor.open.values()) {
      const active = entry === editor.current;
      bar.append(h('div', { class: 'tab' + (active ? ' is-active' : '') + (isDirty(entry) ? ' is-dirty' : ''), 'data-testid': 'editor-tab', 'data-doc-id': entry.id },
        h('button', { type: 'button', class: 'tab-open', role: 'tab', 'aria-selected': String(active), title: entry.id,
          onclick: () => { switchTo(entry); history.replaceState({ panel: 'documents' }, '', panelUrl('documents')); } },
        baseName(entry.id), isDirty(entry) ? h('span', { class: 'tab-dot', 'aria-label': 'unsaved' }, ' ●') : null),
        h('button', { type: 'button', class: 'tab-close', 'aria-label': `Close ${entry.id}`, onclick: () => closeEntry(entry.id) }, '×')));
    }
    bar.hidden = editor.open.size === 0;
  }

  function updateDirty() {
    const entry = editor.current;
    const dirty = isDirty(entry);
    editor.els.dirty.hidden = !dirty;
    editor.els.pane.dataset.dirty = String(dirty);
    editor.els.titleText(entry ? entry.id : 'No document open');
    const tab = editor.els.tabs.querySelector(`.tab[data-doc-id="${entry ? CSS.escape(entry.id) : ''}"]`);
    if (tab && tab.classList.contains('is-dirty') !== dirty) renderTabs();
  }

  function updateDocActions() {
    const entry = editor.current;
    const has = !!entry;
    for (const b of [editor.els.rename, editor.els.del]) b.disabled = !has;
    editor.els.save.disabled = !has || entry.binary;
    const dl = editor.els.download;
    if (has) { dl.href = docUrl(entry.id); dl.setAttribute('download', baseName(entry.id)); dl.removeAttribute('aria-disabled'); dl.tabIndex = 0; }
    else { dl.removeAttribute('href'); dl.setAttribute('aria-disabled', 'true'); dl.tabIndex = -1; }
  }

  function setStatus(text, kind = '') {
    const el = editor.els.status;
    if (!el) return;
    el.textContent = text;
    el.dataset.kind = kind;
  }

  function onEdited(entry) {
    if (entry.refused) { entry.refused = false; editor.els.saveAnyway.hidden = true; }
    if (entry === editor.current) {
      updateDirty();
      if (!entry.errors.length) setStatus(isDirty(entry) ? 'Unsaved changes' : '');
    }
    if (isCheckable(entry.id) && editor.checkAvailable) {
      clearTimeout(entry.checkTimer);
      entry.checkTimer = setTimeout(() => liveCheck(entry), 700);
    }
  }

  // ---- code check

  // → {ok: true} | {ok: false, errors, message} | {ok: null} (no check available)
  async function checkCode(entry, source) {
    if (!editor.checkAvailable) return { ok: null };
    try {
      await api('POST', '/_api/code/check', { json: { id: entry.id, source }, quiet: true });
      return { ok: true };
    } catch (e) {
      if (e.code === 'code_invalid') return { ok: false, errors: normalizeErrors(entry.id, e.detail.errors, e.message), message: e.message };
      if (e.status === 404 || e.status === 405) { editor.checkAvailable = false; return { ok: null }; }
      if (e.status === 401) goLogin();
      return { ok: null, error: e };
    }
  }

  function normalizeErrors(id, errors, message) {
    const list = Array.isArray(errors) && errors.length ? errors : [{ message: message || 'the code does not compile' }];
    return list.map((er) => {
      let { line, column, location } = er;
      let file = id;
      if (location) {
        const m = String(location).match(/^(.*?):(\d+)(?::(\d+))?$/);
        if (m) { file = m[1] || id; if (line == null) line = Number(m[2]); if (column == null && m[3]) column = Number(m[3]); }
      }
      return { file, line: line != null ? Number(line) : null, column: column != null ? Number(column) : null, message: er.message || message || 'error', location };
    });
  }

  function liveCheck(entry) {
    if (!editor.open.has(entry.id)) return;
    const seq = ++entry.checkSeq;
    const version = versionOf(entry);
    checkCode(entry, textOf(entry)).then((r) => {
      if (seq !== entry.checkSeq || version !== versionOf(entry) || r.ok === null) return;
      applyErrors(entry, r.ok ? [] : r.errors);
      if (entry === editor.current) {
        if (r.ok) setStatus(isDirty(entry) ? 'Unsaved changes' : 'No errors', 'ok');
        else setStatus(plural(r.errors.length, 'error'), 'error');
      }
    });
  }

  function applyErrors(entry, errors) {
    entry.errors = errors;
    if (entry.model && editor.monaco) {
      const monaco = editor.monaco;
      const model = entry.model;
      const markers = [];
      for (const er of errors) {
        if (er.file !== entry.id || !er.line) continue;
        const line = Math.min(Math.max(1, er.line), model.getLineCount());
        const maxCol = model.getLineMaxColumn(line);
        let col = Math.min(Math.max(1, er.column || 1), maxCol);
        const word = model.getWordAtPosition({ lineNumber: line, column: col });
        let end = word ? word.endColumn : col + 1;
        if (end > maxCol) end = maxCol;
        if (end <= col) { if (col > 1) col -= 1; else end = maxCol > 1 ? maxCol : 1; }
        markers.push({ severity: monaco.MarkerSeverity.Error, message: er.message, source: 'hbf', startLineNumber: line, startColumn: col, endLineNumber: line, endColumn: Math.max(end, col) });
      }
      monaco.editor.setModelMarkers(model, 'hbf', markers);
    }
    if (entry === editor.current) renderProblems();
  }

  function renderProblems() {
    const entry = editor.current;
    const list = editor.els.problems;
    clear(list);
    const errors = entry ? entry.errors : [];
    editor.els.problemsWrap.hidden = !errors.length;
    editor.els.problemsCount.textContent = errors.length ? plural(errors.length, 'problem') : '';
    for (const er of errors) {
      const where = er.line ? `${er.file}:${er.line}${er.column ? ':' + er.column : ''}` : er.file;
      list.append(h('li', { 'data-testid': 'error-item', 'data-line': er.line || '', class: 'problem' },
        h('button', { type: 'button', class: 'problem-btn', onclick: () => {
          if (er.file !== entry.id) { openDocument(er.file, { line: er.line }); return; }
          if (editor.instance && er.line) {
            editor.instance.revealLineInCenter(er.line);
            editor.instance.setPosition({ lineNumber: er.line, column: er.column || 1 });
            editor.instance.focus();
          }
        } }, h('span', { class: 'problem-where' }, where), h('span', { class: 'problem-msg' }, er.message))));
    }
  }

  // ---- save

  async function saveCurrent({ force = false } = {}) {
    const entry = editor.current;
    if (!entry || entry.binary) return;
    if (entry.saving) return;
    entry.saving = true;
    clearTimeout(entry.checkTimer);
    entry.checkSeq++; // any live check in flight is now stale
    const source = textOf(entry);
    const version = versionOf(entry);
    try {
      if (!force && isCheckable(entry.id)) {
        setStatus('Checking…');
        const r = await checkCode(entry, source);
        if (r.ok === false) { refuse(entry, r.errors); return; }
      }
      setStatus('Saving…');
      let meta;
      try {
        meta = await api('PUT', docUrl(entry.id) + (force ? '?force=1' : ''), {
          body: source, headers: { 'Content-Type': entry.contentType || typeFor(entry.id) }, quietCodes: ['code_invalid'], what: `Saving ${entry.id}`,
        });
      } catch (e) {
        if (e.code === 'code_invalid') refuse(entry, normalizeErrors(entry.id, e.detail.errors, e.message));
        else if (entry === editor.current) setStatus(`Not saved: ${e.message}`, 'error');
        return;
      }
      if (entry.model) entry.savedVersion = version; else entry.savedText = version;
      if (meta && typeof meta === 'object' && meta.etag) entry.etag = meta.etag;
      entry.refused = false;
      applyErrors(entry, []);
      if (entry === editor.current) {
        editor.els.saveAnyway.hidden = true;
        const t = new Date();
        setStatus(`Saved ${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}${force ? ' (despite errors)' : ''}`, 'ok');
      }
      if (meta && typeof meta === 'object' && meta.id) {
        const known = docs.byId.has(meta.id);
        docs.byId.set(meta.id, meta);
        if (!known) reloadDocuments();
      }
      reloadPreview();
    } finally {
      entry.saving = false;
      if (entry === editor.current) updateDirty();
      renderTabs();
    }
  }

  function refuse(entry, errors) {
    entry.refused = true;
    applyErrors(entry, errors);
    if (entry === editor.current) {
      setStatus(`${plural(errors.length, 'error')} — not saved`, 'error');
      editor.els.saveAnyway.hidden = false;
    }
  }

  // ---- preview

  const preview = { wrap: null, frame: null, path: null };

  function buildPreview() {
    const path = h('input', { type: 'text', value: '/', 'data-testid': 'preview-path', 'aria-label': 'Preview path', spellcheck: 'false', class: 'preview-path' });
    const frame = h('iframe', { class: 'preview-frame', 'data-testid': 'preview-frame', title: 'App preview', src: 'about:blank' });
    const open = h('a', { class: 'btn btn-small', href: '/', target: '_blank', rel: 'noopener', 'data-testid': 'preview-open' }, 'Open ↗');
    const go = () => {
      let p = path.value.trim() || '/';
      if (!p.startsWith('/')) p = '/' + p;
      path.value = p;
      open.href = p;
      frame.src = p;
    };
    const form = h('form', { class: 'preview-bar', onsubmit: (e) => { e.preventDefault(); go(); } },
      h('span', { class: 'preview-host', 'aria-hidden': 'true' }, HENV),
      path,
      h('button', { type: 'submit', class: 'btn btn-small', 'data-testid': 'preview-go' }, 'Go'),
      h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'preview-reload', onclick: () => reloadPreview(), 'aria-label': 'Reload preview' }, '↻'),
      open);
    frame.addEventListener('load', () => {
      try {
        const loc = frame.contentWindow.location;
        if (loc.origin === location.origin && loc.pathname !== 'blank') { path.value = loc.pathname + loc.search; open.href = path.value; }
      } catch { /* elsewhere */ }
    });
    preview.wrap = h('div', { class: 'preview', 'data-testid': 'preview' }, form, frame);
    preview.frame = frame;
    preview.path = path;
    preview.go = go;
    return preview.wrap;
  }

  function placePreview(slot) {
    if (!preview.wrap) buildPreview();
    if (preview.wrap.parentNode !== slot) slot.append(preview.wrap); // moving an iframe reloads it
    if (preview.frame.getAttribute('src') === 'about:blank') preview.go();
  }

  function reloadPreview() {
    if (!preview.frame || preview.frame.getAttribute('src') === 'about:blank') return;
    try { preview.frame.contentWindow.location.reload(); } catch { preview.go(); }
  }

  // ---- the documents panel

  function initDocuments(section) {
    const filter = h('input', { type: 'search', placeholder: 'Filter by id', 'aria-label': 'Filter documents by id', 'data-testid': 'doc-filter', class: 'tree-filter',
      oninput: () => { docs.filter = filter.value.trim(); renderTree(); } });
    const uploadInput = h('input', { type: 'file', multiple: true, class: 'visually-hidden', 'data-testid': 'doc-upload-input', id: 'doc-upload-input',
      onchange: () => { const files = [...uploadInput.files]; uploadInput.value = ''; uploadFiles(files, targetFolder()); } });
    docs.treeEl = h('div', { class: 'tree', 'data-testid': 'doc-tree', role: 'navigation', 'aria-label': 'Documents', onkeydown: treeKeydown });
    docs.dropHint = h('div', { class: 'drop-hint', 'aria-hidden': 'true' }, 'Drop files to upload');
    const treePane = h('div', { class: 'tree-pane' },
      h('div', { class: 'pane-toolbar' },
        h('button', { type: 'button', class: 'btn btn-small btn-primary', 'data-testid': 'doc-new', onclick: createDocument }, 'New'),
        h('label', { class: 'btn btn-small', for: 'doc-upload-input', tabindex: '0', role: 'button', 'data-testid': 'doc-upload',
          onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); uploadInput.click(); } } }, 'Upload'),
        uploadInput,
        h('button', { type: 'button', class: 'btn btn-small btn-icon', 'data-testid': 'doc-refresh', 'aria-label': 'Refresh the document list', title: 'Refresh', onclick: () => reloadDocuments() }, '↻')),
      filter,
      h('div', { class: 'tree-scroll' }, docs.treeEl),
      docs.dropHint);
    setupTreeDrop(treePane);

    const els = editor.els;
    els.tabs = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Open documents', 'data-testid': 'editor-tabs', hidden: true });
    els.title = h('span', { class: 'doc-title', 'data-testid': 'doc-title' }, 'No document open');
    els.titleText = (text) => { clear(els.title).append(h('span', { class: 'doc-title-text' }, text)); els.title.title = text; };
    els.dirty = h('span', { class: 'dirty', 'data-testid': 'dirty-indicator', title: 'Unsaved changes', 'aria-label': 'Unsaved changes', hidden: true }, '●');
    els.status = h('span', { class: 'save-status', 'data-testid': 'save-status', role: 'status', 'aria-live': 'polite' });
    els.save = h('button', { type: 'button', class: 'btn btn-small btn-primary', 'data-testid': 'save-button', disabled: true, title: 'Save (Ctrl+S)', onclick: () => saveCurrent() }, 'Save');
    els.saveAnyway = h('button', { type: 'button', class: 'btn btn-small btn-danger', 'data-testid': 'save-anyway', hidden: true, onclick: () => saveCurrent({ force: true }) }, 'Save anyway');
    els.rename = h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'doc-rename', disabled: true, onclick: renameDocument }, 'Rename');
    els.del = h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'doc-delete', disabled: true, onclick: deleteDocument }, 'Delete');
    els.download = h('a', { class: 'btn btn-small', 'data-testid': 'doc-download', 'aria-disabled': 'true', tabindex: '-1' }, 'Download');
    els.previewToggle = h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'preview-toggle', 'aria-pressed': 'true',
      onclick: () => {
        const on = els.previewToggle.getAttribute('aria-pressed') !== 'true';
        els.previewToggle.setAttribute('aria-pressed', String(on));
        section.classList.toggle('no-preview', !on);
        if (on) placePreview(els.previewSlot);
      } }, 'Preview');
    els.host = h('div', { class: 'editor-host', 'data-testid': 'editor', hidden: true });
    els.placeholder = h('div', { class: 'editor-placeholder' }, h('p', {}, 'Open a document from the tree, or create one.'), h('p', { class: 'hint' }, 'Ctrl/⌘+S saves. Scripts and templates are checked before they are saved.'));
    els.binaryView = h('div', { class: 'binary-view', hidden: true });
    els.problems = h('ul', { class: 'problems', 'data-testid': 'error-list', 'aria-label': 'Problems' });
    els.problemsCount = h('span', {});
    els.problemsWrap = h('div', { class: 'problems-wrap', hidden: true }, h('div', { class: 'problems-head' }, h('strong', {}, 'Problems'), ' ', els.problemsCount), els.problems);
    els.pane = h('div', { class: 'editor-pane', 'data-testid': 'editor-pane' },
      els.tabs,
      h('div', { class: 'pane-toolbar editor-toolbar' },
        els.title, els.dirty,
        h('span', { class: 'toolbar-group' }, els.status, els.saveAnyway, els.save),
        h('span', { class: 'toolbar-group' }, els.rename, els.del, els.download, els.previewToggle)),
      h('div', { class: 'editor-body' }, els.host, els.placeholder, els.binaryView),
      els.problemsWrap);
    els.previewSlot = h('div', { class: 'preview-slot' });
    section.append(treePane, els.pane, els.previewSlot);
    if (window.innerWidth < 1100) { section.classList.add('no-preview'); els.previewToggle.setAttribute('aria-pressed', 'false'); }
    reloadDocuments().then(() => {
      const doc = new URLSearchParams(location.search).get('doc');
      if (doc && state.panel === 'documents') openDocument(doc, { history: false });
    });
    ensureEditor();
  }

  // ================================================================= data

  const data = { tables: [], table: null, cursor: null, stack: [], els: {}, lastResult: null };

  async function loadTables() {
    const list = data.els.tables;
    try {
      const r = await api('GET', '/_api/data', { what: 'Listing tables' });
      data.tables = r.tables || [];
    } catch (e) {
      clear(list).append(h('li', { class: 'empty' }, `Cannot list tables: ${e.message}`));
      return;
    }
    if (data.table) data.table = data.tables.find((t) => t.name === data.table.name) || null;
    renderTables();
    if (!data.table && data.tables.length) selectTable(data.tables[0]);
    else if (!data.table) clear(data.els.grid).append(h('tbody', {}, h('tr', {}, h('td', { class: 'empty' }, 'No table to show.'))));
  }

  function renderTables() {
    const list = clear(data.els.tables);
    if (!data.tables.length) list.append(h('li', { class: 'empty' }, 'No tables yet. Create one with the SQL console.'));
    for (const t of data.tables) {
      list.append(h('li', {}, h('button', { type: 'button', class: 'list-btn' + (data.table && data.table.name === t.name ? ' is-current' : ''),
        'data-testid': 'table-item', 'data-table': t.name, 'aria-current': data.table && data.table.name === t.name ? 'true' : null,
        onclick: () => selectTable(t) }, t.name, t.is_view ? h('span', { class: 'badge' }, 'view') : null)));
    }
    const dl = clear(data.els.tableNames);
    for (const t of data.tables) dl.append(h('option', { value: t.name }));
  }

  function selectTable(t) {
    data.table = t;
    data.cursor = null;
    data.stack = [];
    data.els.filter.value = '';
    data.els.sort.value = '';
    renderTables();
    loadRows();
  }

  async function loadRows() {
    const t = data.table;
    const { grid, info, prev, next, heading, newRow } = data.els;
    heading.textContent = t ? t.name : 'Rows';
    newRow.hidden = !t || t.is_view;
    if (!t) return;
    const q = new URLSearchParams({ limit: '50' });
    if (data.cursor) q.set('cursor', data.cursor);
    const f = data.els.filter.value.trim();
    const s = data.els.sort.value.trim();
    if (f) q.set('filter', f);
    if (s) q.set('sort', s);
    info.textContent = 'Loading…';
    let r;
    try { r = await api('GET', `/_api/data/${encodeURIComponent(t.name)}?${q}`, { what: `Reading ${t.name}` }); } catch (e) { info.textContent = e.message; return; }
    const items = r.items || [];
    const columns = t.columns && t.columns.length ? t.columns : [...new Set(items.flatMap((i) => Object.keys(i)))];
    const editable = !t.is_view && t.key;
    clear(grid);
    grid.append(h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c, c === t.key ? h('span', { class: 'badge', title: 'the key: rows are edited by it' }, 'key') : null)),
      editable ? h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')) : null)));
    const body = h('tbody', {});
    for (const row of items) {
      body.append(h('tr', { 'data-testid': 'row', 'data-key': editable ? cellText(row[t.key]) : null },
        columns.map((c) => {
          const v = cellText(row[c]);
          return h('td', { class: v === null ? 'is-null' : (typeof row[c] === 'number' ? 'is-num' : ''), title: v && v.length > 80 ? v.slice(0, 2000) : null },
            v === null ? 'NULL' : (v.length > 200 ? v.slice(0, 200) + '…' : v));
        }),
        editable ? h('td', { class: 'row-actions' }, h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'row-edit', onclick: () => editRow(t, columns, row) }, 'Edit')) : null));
    }
    if (!items.length) body.append(h('tr', {}, h('td', { colspan: String(columns.length + 1), class: 'empty' }, 'No rows.')));
    grid.append(body);
    const page = data.stack.length + 1;
    info.textContent = `Page ${page} · ${plural(items.length, 'row')}${editable ? '' : (t.is_view ? ' · a view (read-only)' : ' · no single-column key: edit with SQL')}`;
    prev.disabled = !data.stack.length;
    next.disabled = !r.next_cursor;
    data.nextCursor = r.next_cursor || null;
  }

  // A value typed in a form, as the column's JSON value: numbers stay
  // numbers where the column held one.
  function parseTyped(text, original) {
    if (typeof original === 'number' && text.trim() !== '' && !isNaN(Number(text))) return Number(text);
    return text;
  }

  function editRow(t, columns, row) {
    const isNew = !row;
    const fields = [];
    const error = h('p', { class: 'field-error', role: 'alert', 'data-testid': 'row-form-error', hidden: true });
    const form = h('form', { class: 'dialog-form row-form', 'data-testid': 'row-form' },
      h('h2', { class: 'dialog-title' }, isNew ? `New row in ${t.name}` : `Edit ${t.name} · ${t.key} = ${cellText(row[t.key])}`));
    const grid = h('div', { class: 'form-grid' });
    for (const c of columns) {
      const orig = row ? row[c] : undefined;
      const isKey = c === t.key;
      const id = nextId('col');
      const text = cellText(orig);
      const long = text && (text.length > 60 || text.includes('\n'));
      const input = long ? h('textarea', { id, rows: '4', 'data-column': c, 'data-testid': 'row-field' })
        : h('input', { id, type: 'text', 'data-column': c, 'data-testid': 'row-field', readOnly: !isNew && isKey });
      input.value = text === null ? '' : (text || '');
      const nul = h('input', { type: 'checkbox', checked: !isNew && orig === null, 'aria-label': `${c} is NULL`, disabled: !isNew && isKey });
      input.addEventListener('input', () => { nul.checked = false; });
      const ferr = h('span', { class: 'field-error', hidden: true });
      grid.append(h('label', { for: id, class: 'form-label' }, c, isKey ? ' (key)' : ''), h('div', { class: 'form-field' }, input, h('label', { class: 'null-toggle' }, nul, ' NULL'), ferr));
      fields.push({ c, input, nul, orig, ferr, isKey });
    }
    form.append(grid, error, h('div', { class: 'dialog-actions' },
      h('button', { type: 'button', class: 'btn', 'data-testid': 'dialog-cancel', onclick: () => dlg.close() }, 'Cancel'),
      h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'row-save' }, isNew ? 'Insert' : 'Save')));
    const dlg = h('dialog', { class: 'modal modal-wide', 'aria-label': isNew ? 'New row' : 'Edit row' }, form);
    dlg.addEventListener('close', () => dlg.remove());
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const changes = {};
      for (const f of fields) {
        const v = f.nul.checked ? null : parseTyped(f.input.value, f.orig);
        if (isNew) { if (f.nul.checked || f.input.value !== '') changes[f.c] = v; continue; }
        if (f.isKey) continue;
        const before = f.orig === undefined ? null : f.orig;
        if (cellText(v) !== cellText(before) || (v === null) !== (before === null)) changes[f.c] = v;
      }
      if (!Object.keys(changes).length) { dlg.close(); return; }
      for (const f of fields) f.ferr.hidden = true;
      error.hidden = true;
      try {
        if (isNew) await api('POST', `/_api/data/${encodeURIComponent(t.name)}`, { json: changes, quiet: true });
        else await api('PATCH', `/_api/data/${encodeURIComponent(t.name)}/${encodeURIComponent(cellText(row[t.key]))}`, { json: changes, quiet: true });
      } catch (err) {
        const f = fields.find((x) => x.c.toLowerCase() === (err.field || '').toLowerCase());
        if (f) { f.ferr.textContent = err.reason; f.ferr.hidden = false; } else { error.textContent = err.message; error.hidden = false; }
        notifyError(err, isNew ? 'Insert' : 'Update');
        return;
      }
      toast(isNew ? `Inserted a row into ${t.name}` : `Updated ${t.name} ${cellText(row[t.key])}`, 'ok');
      dlg.close();
      loadRows();
    });
    document.body.append(dlg);
    dlg.showModal();
    const first = fields.find((f) => !f.input.readOnly);
    if (first) first.input.focus();
  }

  async function runSql() {
    const { sql, allow, params, results, status, error, run } = data.els;
    const text = sql.value.trim();
    if (!text) { sql.focus(); return; }
    let p = [];
    if (params.value.trim()) {
      try { p = JSON.parse(params.value); if (!Array.isArray(p)) throw new Error('not an array'); }
      catch { error.textContent = 'Parameters must be a JSON array, e.g. [1, "x"].'; error.hidden = false; return; }
    }
    error.hidden = true;
    status.textContent = 'Running…';
    run.disabled = true;
    const started = performance.now();
    let r;
    try {
      r = await api('POST', '/_api/sql', { json: { sql: text, params: p, allow_writes: allow.checked }, quiet: true });
    } catch (e) {
      error.textContent = e.code === 'read_only' && !/allow.writes/i.test(e.message) ? `${e.message} — tick “Allow writes” to run it.`
        : `${e.message}${e.code && !/^http_/.test(e.code) ? ` (${e.code})` : ''}`;
      error.hidden = false;
      status.textContent = 'Failed';
      notifyError(e, 'SQL');
      return;
    } finally {
      run.disabled = false;
    }
    const ms = Math.round(performance.now() - started);
    data.lastResult = r;
    const columns = r.columns || [];
    const rows = r.rows || [];
    clear(results);
    if (columns.length) {
      results.append(h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))));
      results.append(h('tbody', {}, rows.map((row) => h('tr', { 'data-testid': 'sql-row' }, row.map((v) => {
        const t = cellText(v);
        return h('td', { class: t === null ? 'is-null' : (typeof v === 'number' ? 'is-num' : '') }, t === null ? 'NULL' : (t.length > 300 ? t.slice(0, 300) + '…' : t));
      })))));
    }
    results.hidden = !columns.length;
    const parts = [];
    if (columns.length) parts.push(plural(rows.length, 'row') + (r.truncated ? ' (truncated)' : ''));
    if (r.changes) parts.push(plural(r.changes, 'change'));
    if (!parts.length) parts.push('Done');
    status.textContent = `${parts.join(' · ')} · ${ms} ms`;
    data.els.exportBtn.disabled = !columns.length;
    if (r.changes || /^\s*(create|drop|alter)\b/i.test(text)) loadTables();
  }

  function csvOf(columns, rows) {
    const q = (v) => {
      const t = cellText(v);
      if (t === null) return '';
      return /[",\r\n]|^\s|\s$/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
    };
    return [columns.map(q).join(','), ...rows.map((r) => r.map(q).join(','))].join('\r\n') + '\r\n';
  }

  function downloadBlob(blob, name) {
    const url = URL.createObjectURL(blob);
    const a = h('a', { href: url, download: name, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  function exportCsv() {
    const r = data.lastResult;
    if (!r || !r.columns) return;
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
    downloadBlob(new Blob(['\ufeff' + csvOf(r.columns, r.rows || [])], { type: 'text/csv;charset=utf-8' }), `query-${stamp}.csv`);
  }

  function initData(section) {
    const els = data.els;
    els.tables = h('ul', { class: 'plain-list', 'data-testid': 'table-list', 'aria-label': 'Tables' });
    els.tableNames = h('datalist', { id: 'hbf-table-names' });
    els.heading = h('h2', { class: 'section-title' }, 'Rows');
    els.filter = h('input', { type: 'text', placeholder: 'filter, e.g. done = false && title ~ "x"', 'aria-label': 'Row filter', 'data-testid': 'rows-filter', spellcheck: 'false' });
    els.sort = h('input', { type: 'text', placeholder: 'sort, e.g. -created', 'aria-label': 'Row sort', 'data-testid': 'rows-sort', spellcheck: 'false', class: 'narrow' });
    els.info = h('span', { class: 'muted', 'data-testid': 'rows-info' });
    els.prev = h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'rows-prev', disabled: true, onclick: () => { data.cursor = data.stack.pop() || null; loadRows(); } }, '← Previous');
    els.next = h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'rows-next', disabled: true, onclick: () => { data.stack.push(data.cursor); data.cursor = data.nextCursor; loadRows(); } }, 'Next →');
    els.newRow = h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'row-new', hidden: true, onclick: () => editRow(data.table, data.table.columns || [], null) }, 'New row');
    els.grid = h('table', { class: 'grid', 'data-testid': 'rows-grid' });
    const rowsForm = h('form', { class: 'toolbar-form', onsubmit: (e) => { e.preventDefault(); data.cursor = null; data.stack = []; loadRows(); } },
      els.filter, els.sort, h('button', { type: 'submit', class: 'btn btn-small' }, 'Apply'));

    els.sql = h('textarea', { class: 'sql-input', 'data-testid': 'sql-input', id: 'sql-input', rows: '6', spellcheck: 'false', placeholder: 'SELECT * FROM sqlite_master',
      onkeydown: (e) => { if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') { e.preventDefault(); runSql(); } } });
    els.params = h('input', { type: 'text', class: 'narrow', placeholder: '[ ]', 'data-testid': 'sql-params', id: 'sql-params', spellcheck: 'false' });
    els.allow = h('input', { type: 'checkbox', id: 'sql-allow', 'data-testid': 'sql-allow-writes' });
    els.run = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'sql-run', onclick: runSql, title: 'Run (Ctrl+Enter)' }, 'Run');
    els.exportBtn = h('button', { type: 'button', class: 'btn', 'data-testid': 'sql-export', disabled: true, onclick: exportCsv }, 'Export CSV');
    els.status = h('span', { class: 'muted', 'data-testid': 'sql-status', role: 'status', 'aria-live': 'polite' });
    els.error = h('p', { class: 'error-box', 'data-testid': 'sql-error', role: 'alert', hidden: true });
    els.results = h('table', { class: 'grid', 'data-testid': 'sql-results', hidden: true });

    section.append(
      h('div', { class: 'data-layout' },
        h('aside', { class: 'side-list' },
          h('div', { class: 'side-head' }, h('h2', { class: 'section-title' }, 'Tables'),
            h('button', { type: 'button', class: 'btn btn-small btn-icon', 'aria-label': 'Refresh tables', title: 'Refresh', onclick: loadTables }, '↻')),
          els.tables, els.tableNames),
        h('div', { class: 'data-main' },
          h('section', { class: 'card', 'aria-label': 'Rows' },
            h('div', { class: 'card-head' }, els.heading, h('span', { class: 'spacer' }), els.newRow),
            rowsForm,
            h('div', { class: 'grid-scroll' }, els.grid),
            h('div', { class: 'pager' }, els.prev, els.info, els.next)),
          h('section', { class: 'card', 'aria-labelledby': 'sql-title' },
            h('div', { class: 'card-head' }, h('h2', { class: 'section-title', id: 'sql-title' }, 'SQL console')),
            h('label', { for: 'sql-input', class: 'visually-hidden' }, 'SQL'),
            els.sql,
            h('div', { class: 'sql-bar' },
              els.run,
              h('label', { class: 'check' }, els.allow, ' Allow writes'),
              h('label', { for: 'sql-params', class: 'inline-label' }, 'Parameters'), els.params,
              h('span', { class: 'spacer' }), els.status, els.exportBtn),
            els.error,
            h('div', { class: 'grid-scroll' }, els.results)))));
    loadTables();
  }

  // ================================================================= logs

  const LEVELS = ['debug', 'info', 'warn', 'error'];
  const logs = { entries: [], seen: new Set(), expanded: new Set(), next: null, gen: 0, controller: null, els: {}, failures: 0 };

  function logsQuery(extra) {
    const q = new URLSearchParams(extra);
    const level = logs.els.level.value;
    if (level) q.set('level', level);
    return q;
  }

  function addLogEntries(list) {
    let added = 0;
    for (const e of list || []) {
      if (e == null || logs.seen.has(e.seq)) continue;
      logs.seen.add(e.seq);
      logs.entries.push(e);
      added++;
    }
    if (!added) return;
    logs.entries.sort((a, b) => b.seq - a.seq);
    if (logs.entries.length > 1000) {
      for (const e of logs.entries.splice(1000)) logs.seen.delete(e.seq);
    }
    renderLogs();
  }

  function renderLogs() {
    const body = clear(logs.els.body);
    if (!logs.entries.length) {
      body.append(h('tr', {}, h('td', { colspan: '4', class: 'empty' }, 'No log entries yet. Anything your code prints with console.log appears here.')));
      return;
    }
    for (const e of logs.entries) {
      const open = logs.expanded.has(e.seq);
      const firstLine = String(e.message == null ? '' : e.message).split('\n')[0];
      const req = e.method || e.path ? `${e.method || ''} ${e.path || ''}${e.status ? ' → ' + e.status : ''}${e.duration_ms != null ? ` (${e.duration_ms} ms)` : ''}`.trim() : '';
      const hasMore = !!(e.stack || e.location || req || String(e.message || '').includes('\n') || firstLine.length > 160);
      const toggle = () => { if (logs.expanded.has(e.seq)) logs.expanded.delete(e.seq); else logs.expanded.add(e.seq); renderLogs(); };
      body.append(h('tr', { class: `log-row lvl-${e.level}` + (hasMore ? ' has-more' : ''), 'data-testid': 'log-row', 'data-seq': e.seq, 'data-level': e.level, 'data-source': e.source,
        onclick: (ev) => { if (hasMore && !ev.target.closest('button')) toggle(); } },
      h('td', { class: 'log-time', title: e.ts ? new Date(e.ts).toISOString() : null }, e.ts ? fmtClock(e.ts) : ''),
      h('td', {}, h('span', { class: `level level-${e.level}` }, e.level)),
      h('td', { class: 'log-source' }, e.source),
      h('td', { class: 'log-message' },
        hasMore ? h('button', { type: 'button', class: 'log-toggle', 'aria-expanded': String(open), 'aria-label': open ? 'Hide details' : 'Show details', onclick: toggle }, open ? '▾' : '▸') : null,
        h('span', { class: 'log-text', 'data-testid': 'log-message' }, firstLine),
        e.location ? h('span', { class: 'log-loc' }, e.location) : null)));
      if (open) {
        body.append(h('tr', { class: 'log-detail', 'data-testid': 'log-detail' }, h('td', { colspan: '4' },
          req ? h('p', { class: 'log-req' }, req) : null,
          e.location ? h('p', {}, 'at ', h('button', { type: 'button', class: 'linklike', onclick: () => openLocation(e.location) }, e.location)) : null,
          h('pre', { class: 'log-pre' }, String(e.message == null ? '' : e.message)),
          e.stack ? h('pre', { class: 'log-pre log-stack', 'data-testid': 'log-stack' }, e.stack) : null)));
      }
    }
  }

  function openLocation(location) {
    const m = String(location).match(/^(.*?):(\d+)(?::\d+)?$/);
    if (m && m[1]) openDocument(m[1], { line: Number(m[2]) });
  }

  function setLogsStatus(text, kind = '') {
    logs.els.status.textContent = text;
    logs.els.status.dataset.kind = kind;
  }

  async function startLogs() {
    stopLogs();
    const gen = ++logs.gen;
    logs.entries = [];
    logs.seen.clear();
    logs.next = null;
    setLogsStatus('Loading…');
    try {
      const r = await api('GET', '/_api/logs?' + logsQuery({ limit: '200' }), { quiet: true });
      if (gen !== logs.gen) return;
      addLogEntries(r.entries);
      renderLogs();
      logs.next = r.next != null ? r.next : (logs.entries[0] ? logs.entries[0].seq + 1 : 0);
    } catch (e) {
      if (gen !== logs.gen) return;
      if (e.name === 'AbortError') return;
      setLogsStatus(`Cannot read the log: ${e.message}`, 'error');
      notifyError(e, 'Logs');
      return;
    }
    if (logs.els.live.checked) tailLogs(gen);
    else setLogsStatus('Live tail off');
  }

  async function tailLogs(gen) {
    logs.failures = 0;
    setLogsStatus('Live', 'live');
    while (gen === logs.gen && logs.els.live.checked && state.panel === 'logs') {
      logs.controller = new AbortController();
      try {
        const r = await api('GET', '/_api/logs?' + logsQuery({ since: String(logs.next), wait: '25', limit: '200' }), { quiet: true, signal: logs.controller.signal });
        if (gen !== logs.gen) return;
        addLogEntries(r.entries);
        if (r.next != null) logs.next = r.next;
        if (logs.failures) setLogsStatus('Live', 'live');
        logs.failures = 0;
      } catch (e) {
        if (gen !== logs.gen || (e && e.name === 'AbortError')) return;
        if (e.status === 401) return;
        if (e.status === 404 || e.status === 400) { setLogsStatus(`Live tail stopped: ${e.message}`, 'error'); notifyError(e, 'Logs'); return; }
        logs.failures++;
        const wait = Math.min(30000, 1000 * 2 ** logs.failures);
        setLogsStatus(`Live tail interrupted (${e.message}); retrying in ${Math.round(wait / 1000)} s`, 'error');
        await sleep(wait);
      }
    }
  }

  function stopLogs() {
    logs.gen++;
    if (logs.controller) logs.controller.abort();
    logs.controller = null;
  }

  async function clearLogs() {
    if (!(await confirmDialog({ title: 'Clear the log', message: 'Remove every entry of this app\'s log?', okText: 'Clear', danger: true }))) return;
    try { await api('DELETE', '/_api/logs', { what: 'Clearing the log' }); } catch { return; }
    logs.entries = [];
    logs.seen.clear();
    logs.expanded.clear();
    renderLogs();
    toast('Log cleared', 'ok');
  }

  function initLogs(section) {
    const els = logs.els;
    els.level = h('select', { id: 'logs-level', 'data-testid': 'logs-level', onchange: () => startLogs() },
      h('option', { value: '' }, 'All levels'), LEVELS.map((l) => h('option', { value: l }, `${l} and above`)));
    els.live = h('input', { type: 'checkbox', id: 'logs-live', 'data-testid': 'logs-live', checked: true,
      onchange: () => {
        if (!els.live.checked) { stopLogs(); setLogsStatus('Live tail off'); return; }
        if (logs.next == null) { startLogs(); return; }
        stopLogs();
        tailLogs(++logs.gen);
      } });
    els.status = h('span', { class: 'live-status', 'data-testid': 'logs-status', role: 'status', 'aria-live': 'polite' });
    els.body = h('tbody', {});
    section.append(
      h('div', { class: 'panel-head' },
        h('h1', { class: 'panel-title' }, 'Logs'),
        h('span', { class: 'spacer' }),
        h('label', { for: 'logs-level', class: 'inline-label' }, 'Level'), els.level,
        h('label', { class: 'check' }, els.live, ' Live tail'), els.status,
        h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'logs-refresh', onclick: () => startLogs() }, 'Refresh'),
        h('button', { type: 'button', class: 'btn btn-small btn-danger', 'data-testid': 'logs-clear', onclick: clearLogs }, 'Clear')),
      h('div', { class: 'grid-scroll logs-scroll' },
        h('table', { class: 'grid logs-table', 'data-testid': 'logs-table' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'col-time' }, 'Time'), h('th', { scope: 'col', class: 'col-level' }, 'Level'),
            h('th', { scope: 'col', class: 'col-source' }, 'Source'), h('th', { scope: 'col' }, 'Message'))),
          els.body)));
    renderLogs();
  }

  // ================================================================ users

  const users = { list: [], els: {} };

  async function loadUsers() {
    try {
      const r = await api('GET', '/_api/users', { what: 'Listing users' });
      users.list = r.users || [];
    } catch { return; }
    renderUsers();
  }

  function renderUsers() {
    const body = clear(users.els.body);
    const meId = state.me && state.me.id;
    for (const u of users.list) {
      const isOwner = u.role === 'owner';
      const role = h('select', { 'aria-label': `Role of ${u.username}`, 'data-testid': 'user-role', disabled: isOwner,
        onchange: async () => {
          try { await api('PATCH', `/_api/users/${u.id}`, { json: { role: role.value }, what: `Changing ${u.username}'s role` }); }
          catch { role.value = u.role; return; }
          u.role = role.value;
          toast(`${u.username} is now ${u.role}`, 'ok');
        } }, (isOwner ? ['owner'] : ['user', 'admin']).map((r) => h('option', { value: r, selected: u.role === r }, r)));
      role.value = u.role;
      const enabled = h('input', { type: 'checkbox', checked: u.enabled, disabled: isOwner, 'aria-label': `${u.username} may log in`, 'data-testid': 'user-enabled',
        onchange: async () => {
          try { await api('PATCH', `/_api/users/${u.id}`, { json: { enabled: enabled.checked }, what: `Updating ${u.username}` }); }
          catch { enabled.checked = u.enabled; return; }
          u.enabled = enabled.checked;
          toast(`${u.username} ${u.enabled ? 'enabled' : 'disabled'}`, 'ok');
        } });
      body.append(h('tr', { 'data-testid': 'user-row', 'data-username': u.username, 'data-user-id': u.id },
        h('td', { class: 'is-num' }, u.id),
        h('td', {}, h('strong', {}, u.username), u.id === meId ? h('span', { class: 'badge' }, 'you') : null),
        h('td', {}, u.email || h('span', { class: 'muted' }, '—')),
        h('td', {}, role),
        h('td', {}, enabled),
        h('td', { class: 'muted' }, fmtTime(u.created_at)),
        h('td', { class: 'row-actions' },
          h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'user-password', onclick: () => setPassword(u) }, 'Set password'),
          isOwner ? null : h('button', { type: 'button', class: 'btn btn-small btn-danger', 'data-testid': 'user-delete', onclick: () => deleteUser(u) }, 'Delete'))));
    }
    if (!users.list.length) body.append(h('tr', {}, h('td', { colspan: '7', class: 'empty' }, 'No users.')));
    fillWhoOptions();
  }

  async function setPassword(u) {
    const pw = await askText({ title: `New password for ${u.username}`, label: 'Password (at least 10 characters)', okText: 'Set password',
      validate: (v) => (v.length < 10 ? 'At least 10 characters.' : null) });
    if (!pw) return;
    try { await api('PATCH', `/_api/users/${u.id}`, { json: { password: pw }, what: `Setting ${u.username}'s password` }); } catch { return; }
    toast(`Password of ${u.username} changed; their sessions ended.`, 'ok');
  }

  async function deleteUser(u) {
    if (!(await confirmDialog({ title: 'Delete user', message: `Delete ${u.username}? Their sessions end and their grants go.`, okText: 'Delete', danger: true }))) return;
    try { await api('DELETE', `/_api/users/${u.id}`, { what: `Deleting ${u.username}` }); } catch { return; }
    toast(`Deleted ${u.username}`, 'ok');
    loadUsers();
  }

  // Shows an invalid_field error next to its field in `form`; else in `fallback`.
  function showFieldError(form, err, fallback) {
    for (const el of form.querySelectorAll('.field-error[data-for]')) { el.hidden = true; el.textContent = ''; }
    const field = err.field;
    const slot = field && form.querySelector(`.field-error[data-for="${CSS.escape(field)}"]`);
    if (slot) { slot.textContent = err.reason; slot.hidden = false; return; }
    if (fallback) { fallback.textContent = err.message; fallback.hidden = false; }
  }

  function field(id, label, input, hint) {
    return h('div', { class: 'field' },
      h('label', { for: id }, label),
      input,
      hint ? h('span', { class: 'hint' }, hint) : null,
      h('span', { class: 'field-error', 'data-for': input.name, role: 'alert', hidden: true }));
  }

  function initUsers(section) {
    const els = users.els;
    els.body = h('tbody', {});
    const error = h('p', { class: 'field-error', role: 'alert', hidden: true, 'data-testid': 'user-form-error' });
    const form = h('form', { class: 'inline-form', 'data-testid': 'user-form', 'aria-label': 'Create a user', autocomplete: 'off' },
      field('nu-username', 'Username', h('input', { id: 'nu-username', name: 'username', required: true, 'data-testid': 'user-form-username', autocomplete: 'off', spellcheck: 'false', pattern: '[a-z0-9._\\-]{3,63}', title: '3-63 characters of a-z, 0-9, ".", "_", "-"' })),
      field('nu-email', 'Email (optional)', h('input', { id: 'nu-email', name: 'email', type: 'email', 'data-testid': 'user-form-email', autocomplete: 'off' })),
      field('nu-password', 'Password', h('input', { id: 'nu-password', name: 'password', type: 'password', required: true, minlength: '10', 'data-testid': 'user-form-password', autocomplete: 'new-password' })),
      field('nu-role', 'Role', h('select', { id: 'nu-role', name: 'role', 'data-testid': 'user-form-role' }, h('option', { value: 'user' }, 'user'), h('option', { value: 'admin' }, 'admin'))),
      h('div', { class: 'field field-submit' }, h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'user-form-submit' }, 'Create user')),
      error);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      error.hidden = true;
      const fd = new FormData(form);
      const body = { username: String(fd.get('username')).trim(), password: String(fd.get('password')), role: String(fd.get('role')) };
      const email = String(fd.get('email') || '').trim();
      if (email) body.email = email;
      let r;
      try { r = await api('POST', '/_api/users', { json: body, quiet: true }); }
      catch (err) { showFieldError(form, err, error); notifyError(err, 'Creating the user'); return; }
      showFieldError(form, { field: null }, null);
      form.reset();
      toast(`Created ${r.user ? r.user.username : body.username}`, 'ok');
      loadUsers();
    });
    section.append(
      h('div', { class: 'panel-head' }, h('h1', { class: 'panel-title' }, 'Users'), h('span', { class: 'spacer' }),
        h('button', { type: 'button', class: 'btn btn-small', onclick: loadUsers, 'data-testid': 'users-refresh' }, 'Refresh')),
      h('section', { class: 'card', 'aria-label': 'New user' }, h('h2', { class: 'section-title' }, 'New user'), form),
      h('section', { class: 'card', 'aria-label': 'All users' },
        h('div', { class: 'grid-scroll' }, h('table', { class: 'grid', 'data-testid': 'users-table' },
          h('thead', {}, h('tr', {}, ['Id', 'Username', 'Email', 'Role', 'Enabled', 'Created'].map((c) => h('th', { scope: 'col' }, c)), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
          els.body))));
  }

  // ========================================================== permissions

  const perms = { grants: [], policies: [], els: {} };

  function whoLabel(g) {
    if (g.user_id != null) {
      const u = users.list.find((x) => x.id === g.user_id);
      return u ? `user ${u.username}` : `user #${g.user_id}`;
    }
    return `role ${g.role}`;
  }

  function fillWhoOptions() {
    const sel = perms.els.who;
    if (!sel) return;
    const keep = sel.value;
    clear(sel);
    sel.append(h('optgroup', { label: 'Roles' },
      h('option', { value: 'role:user' }, 'every signed-in user (role user)'),
      h('option', { value: 'role:anonymous' }, 'visitors without a session (anonymous)')));
    const plain = users.list.filter((u) => u.role === 'user');
    if (plain.length) sel.append(h('optgroup', { label: 'Users' }, plain.map((u) => h('option', { value: `user:${u.id}` }, u.username))));
    if ([...sel.options].some((o) => o.value === keep)) sel.value = keep;
  }

  async function loadPermissions() {
    try {
      const [g, p] = await Promise.all([
        api('GET', '/_api/permissions', { what: 'Listing permissions' }),
        api('GET', '/_api/policies', { what: 'Listing policies' }),
      ]);
      perms.grants = g.permissions || [];
      perms.policies = p.policies || [];
    } catch { return; }
    renderPermissions();
  }

  function renderPermissions() {
    const gb = clear(perms.els.grants);
    const yes = (v) => h('span', { class: v ? 'yes' : 'no', 'aria-label': v ? 'yes' : 'no' }, v ? '✓' : '—');
    for (const g of perms.grants) {
      gb.append(h('tr', { 'data-testid': 'grant-row', 'data-table': g.table },
        h('td', {}, whoLabel(g)), h('td', {}, h('code', {}, g.table)),
        h('td', {}, yes(g.select)), h('td', {}, yes(g.insert)), h('td', {}, yes(g.update)), h('td', {}, yes(g.delete)),
        h('td', { class: 'row-actions' }, h('button', { type: 'button', class: 'btn btn-small btn-danger', 'data-testid': 'grant-remove', onclick: () => removeGrant(g) }, 'Remove'))));
    }
    if (!perms.grants.length) gb.append(h('tr', {}, h('td', { colspan: '7', class: 'empty' }, 'No grants: only the owner and admins can use the records API.')));
    const pb = clear(perms.els.policies);
    for (const p of perms.policies) {
      const enabled = h('input', { type: 'checkbox', checked: p.enabled, 'aria-label': `Policy ${p.name} enabled`, 'data-testid': 'policy-enabled',
        onchange: async () => {
          const body = { table: p.table, name: p.name, role: p.role, operation: p.operation, condition: p.condition, enabled: enabled.checked };
          try { await api('PUT', `/_api/policies/${p.id}`, { json: body, what: `Updating policy ${p.name}` }); } catch { enabled.checked = p.enabled; return; }
          p.enabled = enabled.checked;
        } });
      pb.append(h('tr', { 'data-testid': 'policy-row', 'data-policy-id': p.id },
        h('td', {}, h('code', {}, p.table)), h('td', {}, p.name), h('td', {}, p.role), h('td', {}, p.operation),
        h('td', {}, h('code', { class: 'cond' }, p.condition)), h('td', {}, enabled),
        h('td', { class: 'row-actions' }, h('button', { type: 'button', class: 'btn btn-small btn-danger', 'data-testid': 'policy-remove', onclick: () => removePolicy(p) }, 'Remove'))));
    }
    if (!perms.policies.length) pb.append(h('tr', {}, h('td', { colspan: '7', class: 'empty' }, 'No row policies: a grant reaches every row.')));
  }

  async function removeGrant(g) {
    if (!(await confirmDialog({ title: 'Remove grant', message: `Remove ${whoLabel(g)}'s access to ${g.table}?`, okText: 'Remove', danger: true }))) return;
    const body = { table: g.table };
    if (g.user_id != null) body.user_id = g.user_id; else body.role = g.role;
    try { await api('DELETE', '/_api/permissions', { json: body, what: 'Removing the grant' }); } catch { return; }
    loadPermissions();
  }

  async function removePolicy(p) {
    if (!(await confirmDialog({ title: 'Remove policy', message: `Remove policy ${p.name} on ${p.table}?`, okText: 'Remove', danger: true }))) return;
    try { await api('DELETE', `/_api/policies/${p.id}`, { what: 'Removing the policy' }); } catch { return; }
    loadPermissions();
  }

  function initPermissions(section) {
    const els = perms.els;
    els.grants = h('tbody', {});
    els.policies = h('tbody', {});
    els.who = h('select', { id: 'gr-who', name: 'who', 'data-testid': 'grant-who' });
    const gError = h('p', { class: 'field-error', role: 'alert', hidden: true });
    const grantForm = h('form', { class: 'inline-form', 'data-testid': 'grant-form', 'aria-label': 'Add a grant' },
      field('gr-who', 'Who', els.who),
      field('gr-table', 'Table', h('input', { id: 'gr-table', name: 'table', required: true, list: 'hbf-perm-tables', 'data-testid': 'grant-table', autocomplete: 'off', spellcheck: 'false' })),
      h('fieldset', { class: 'field checks' }, h('legend', {}, 'May'),
        ['select', 'insert', 'update', 'delete'].map((op) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: op, checked: op === 'select', 'data-testid': `grant-${op}` }), ` ${op}`))),
      h('div', { class: 'field field-submit' }, h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'grant-submit' }, 'Grant')),
      gError, h('datalist', { id: 'hbf-perm-tables' }));
    grantForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      gError.hidden = true;
      const fd = new FormData(grantForm);
      const [kind, val] = String(fd.get('who')).split(':');
      const body = { table: String(fd.get('table')).trim() };
      if (kind === 'user') body.user_id = Number(val); else body.role = val;
      for (const op of ['select', 'insert', 'update', 'delete']) body[op] = fd.get(op) === 'on';
      try { await api('POST', '/_api/permissions', { json: body, quiet: true }); }
      catch (err) { showFieldError(grantForm, err, gError); notifyError(err, 'Granting'); return; }
      showFieldError(grantForm, { field: null }, null);
      toast(`Granted ${body.table}`, 'ok');
      loadPermissions();
    });

    const pError = h('p', { class: 'field-error', role: 'alert', hidden: true });
    const policyForm = h('form', { class: 'inline-form', 'data-testid': 'policy-form', 'aria-label': 'Add a row policy' },
      field('po-table', 'Table', h('input', { id: 'po-table', name: 'table', required: true, list: 'hbf-perm-tables', 'data-testid': 'policy-table', autocomplete: 'off', spellcheck: 'false' })),
      field('po-name', 'Name', h('input', { id: 'po-name', name: 'name', required: true, 'data-testid': 'policy-name', autocomplete: 'off' })),
      field('po-role', 'Role', h('select', { id: 'po-role', name: 'role', 'data-testid': 'policy-role' }, ['user', 'anonymous', '*'].map((r) => h('option', { value: r }, r)))),
      field('po-operation', 'Operation', h('select', { id: 'po-operation', name: 'operation', 'data-testid': 'policy-operation' }, ['all', 'select', 'insert', 'update', 'delete'].map((r) => h('option', { value: r }, r)))),
      field('po-condition', 'Condition (SQL)', h('input', { id: 'po-condition', name: 'condition', required: true, class: 'mono wide', placeholder: 'owner_id = $user_id', 'data-testid': 'policy-condition', spellcheck: 'false' }),
        'Over the row; $user_id, $username and $role are the caller.'),
      h('label', { class: 'check field-check' }, h('input', { type: 'checkbox', name: 'enabled', checked: true, 'data-testid': 'policy-enabled-new' }), ' Enabled'),
      h('div', { class: 'field field-submit' }, h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'policy-submit' }, 'Add policy')),
      pError);
    policyForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      pError.hidden = true;
      const fd = new FormData(policyForm);
      const body = { table: String(fd.get('table')).trim(), name: String(fd.get('name')).trim(), role: String(fd.get('role')),
        operation: String(fd.get('operation')), condition: String(fd.get('condition')).trim(), enabled: fd.get('enabled') === 'on' };
      try { await api('POST', '/_api/policies', { json: body, quiet: true }); }
      catch (err) {
        if (err.code === 'invalid_condition') { const s = policyForm.querySelector('.field-error[data-for="condition"]'); s.textContent = err.message; s.hidden = false; }
        else showFieldError(policyForm, err, pError);
        notifyError(err, 'Adding the policy');
        return;
      }
      showFieldError(policyForm, { field: null }, null);
      policyForm.reset();
      toast(`Added policy ${body.name}`, 'ok');
      loadPermissions();
    });

    section.append(
      h('div', { class: 'panel-head' }, h('h1', { class: 'panel-title' }, 'Permissions'), h('span', { class: 'spacer' }),
        h('button', { type: 'button', class: 'btn btn-small', onclick: loadPermissions }, 'Refresh')),
      h('p', { class: 'lead' }, 'Owner and admins reach every table. Grants open a table\'s records API (and req.db) to users and visitors; row policies narrow which rows.'),
      h('section', { class: 'card', 'aria-labelledby': 'grants-title' },
        h('h2', { class: 'section-title', id: 'grants-title' }, 'Table grants'), grantForm,
        h('div', { class: 'grid-scroll' }, h('table', { class: 'grid', 'data-testid': 'grants-table' },
          h('thead', {}, h('tr', {}, ['Who', 'Table', 'Select', 'Insert', 'Update', 'Delete'].map((c) => h('th', { scope: 'col' }, c)), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
          els.grants))),
      h('section', { class: 'card', 'aria-labelledby': 'policies-title' },
        h('h2', { class: 'section-title', id: 'policies-title' }, 'Row policies'), policyForm,
        h('div', { class: 'grid-scroll' }, h('table', { class: 'grid', 'data-testid': 'policies-table' },
          h('thead', {}, h('tr', {}, ['Table', 'Name', 'Role', 'Operation', 'Condition', 'Enabled'].map((c) => h('th', { scope: 'col' }, c)), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
          els.policies))));
    fillWhoOptions();
    (async () => {
      if (!users.list.length) { try { users.list = (await api('GET', '/_api/users', { quiet: true })).users || []; } catch { /* labels fall back to ids */ } }
      fillWhoOptions();
      try {
        const r = await api('GET', '/_api/data', { quiet: true });
        const dl = section.querySelector('#hbf-perm-tables');
        for (const t of r.tables || []) dl.append(h('option', { value: t.name }));
      } catch { /* free text */ }
      loadPermissions();
    })();
  }

  // ============================================================= settings

  const SETTINGS = [
    { key: 'qjs_mem_mb', label: 'Script memory limit (MB)', type: 'int', min: 1, max: 65536, hint: 'Heap per script runtime; may only lower the server\'s limit.' },
    { key: 'qjs_timeout_ms', label: 'Script time limit (ms)', type: 'int', min: 1, max: 3600000, hint: 'Per request; may only lower the server\'s limit.' },
    { key: 'session_lifetime_hours', label: 'Session lifetime (hours)', type: 'int', min: 1, max: 8760 },
    { key: 'max_upload_size_mb', label: 'Largest upload (MB)', type: 'int', min: -1, max: 4096, hint: '-1: no limit of this app\'s own.' },
    { key: 'max_storage_mb', label: 'Storage limit (MB)', type: 'int', min: 1, max: 16777216 },
    { key: 'max_documents', label: 'Most documents', type: 'int', min: 1, max: 100000000 },
    { key: 'enable_audit_log', label: 'Audit log', type: 'bool' },
    { key: 'self_signup', label: 'Visitors may sign up', type: 'bool' },
    { key: 'public_paths', label: 'Public paths', type: 'text', hint: 'Comma-separated globs served to everyone (* in a segment, ** across, dir/ = all under it).' },
    { key: 'private_paths', label: 'Private paths', type: 'text', hint: 'Comma-separated globs never served.' },
  ];
  const settings = { config: {}, els: {}, envRows: [] };

  async function loadSettings() {
    try {
      const r = await api('GET', '/_api/config', { what: 'Reading settings' });
      settings.config = r.config || {};
    } catch { return; }
    renderSettings();
  }

  function settingError(key) {
    return h('span', { class: 'field-error', 'data-testid': 'setting-error', 'data-key': key, role: 'alert', hidden: true });
  }

  function renderSettings() {
    const cfg = settings.config;
    const known = clear(settings.els.known);
    for (const s of SETTINGS) {
      const id = `set-${s.key}`;
      const cur = cfg[s.key];
      let input;
      if (s.type === 'bool') {
        input = h('select', { id, 'data-testid': 'setting-input', 'data-key': s.key },
          h('option', { value: '' }, 'default'), h('option', { value: 'true' }, 'on (true)'), h('option', { value: 'false' }, 'off (false)'));
        input.value = cur === 'true' || cur === 'false' ? cur : '';
      } else {
        input = h('input', { id, type: s.type === 'int' ? 'number' : 'text', min: s.min, max: s.max, step: s.type === 'int' ? '1' : null,
          'data-testid': 'setting-input', 'data-key': s.key, placeholder: 'default', spellcheck: 'false', class: s.type === 'text' ? 'wide mono' : '' });
        input.value = cur == null ? '' : cur;
      }
      input.dataset.original = input.value; // what is shown: unchanged shows send nothing
      known.append(h('div', { class: 'setting' },
        h('label', { for: id }, s.label, h('code', { class: 'setting-key' }, s.key)),
        h('div', { class: 'setting-control' }, input, s.hint ? h('span', { class: 'hint' }, s.hint) : null, settingError(s.key))));
    }
    const env = clear(settings.els.env);
    settings.envRows = [];
    for (const k of Object.keys(cfg).filter((k) => k.startsWith('env.')).sort()) addEnvRow(k.slice(4), cfg[k], true);
    if (!settings.envRows.length) env.append(h('p', { class: 'empty env-empty' }, 'No variables yet.'));
    const other = clear(settings.els.other);
    const rest = Object.keys(cfg).filter((k) => !k.startsWith('env.') && !SETTINGS.some((s) => s.key === k)).sort();
    for (const k of rest) other.append(h('tr', {}, h('th', { scope: 'row' }, h('code', {}, k)), h('td', { class: 'mono' }, cfg[k])));
    settings.els.otherWrap.hidden = !rest.length;
  }

  function addEnvRow(name = '', value = '', existing = false) {
    const env = settings.els.env;
    const empty = env.querySelector('.env-empty');
    if (empty) empty.remove();
    const n = nextId('env');
    const nameIn = h('input', { id: `${n}-name`, value: name, placeholder: 'NAME', 'data-testid': 'env-name', class: 'mono', spellcheck: 'false', autocomplete: 'off', 'aria-label': 'Variable name' });
    const valueIn = h('input', { id: `${n}-value`, value, placeholder: 'value', 'data-testid': 'env-value', class: 'mono wide', spellcheck: 'false', autocomplete: 'off', 'aria-label': 'Variable value' });
    const err = settingError(existing ? `env.${name}` : '');
    const row = { original: existing ? name : null, originalValue: existing ? value : null, nameIn, valueIn, removed: false, err };
    const el = h('div', { class: 'env-row', 'data-testid': 'env-row' },
      h('span', { class: 'env-prefix', 'aria-hidden': 'true' }, 'env.'), nameIn, h('span', { 'aria-hidden': 'true' }, '='), valueIn,
      h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'env-remove', 'aria-label': `Remove variable ${name || ''}`.trim(),
        onclick: () => { row.removed = true; el.remove(); } }, 'Remove'), err);
    nameIn.addEventListener('input', () => { err.dataset.key = `env.${nameIn.value.trim()}`; });
    row.el = el;
    settings.envRows.push(row);
    env.append(el);
    return row;
  }

  async function saveSettings() {
    const patch = {};
    const { known, status } = settings.els;
    for (const el of settings.els.form.querySelectorAll('[data-testid="setting-error"]')) { el.hidden = true; el.textContent = ''; }
    for (const input of known.querySelectorAll('[data-testid="setting-input"]')) {
      const key = input.dataset.key;
      if (input.value === input.dataset.original) continue;
      const v = input.value.trim();
      patch[key] = v === '' ? null : v;
    }
    for (const row of settings.envRows) {
      const name = row.nameIn.value.trim();
      const value = row.valueIn.value;
      if (row.removed) { if (row.original) patch[`env.${row.original}`] = null; continue; }
      if (!name) { if (row.original) patch[`env.${row.original}`] = null; continue; }
      if (row.original && row.original !== name) patch[`env.${row.original}`] = null;
      if (row.original !== name || row.originalValue !== value) patch[`env.${name}`] = value;
    }
    if (!Object.keys(patch).length) { status.textContent = 'Nothing changed.'; return; }
    status.textContent = 'Saving…';
    let r;
    try { r = await api('PATCH', '/_api/config', { json: patch, quiet: true }); }
    catch (err) {
      status.textContent = 'Not saved.';
      const key = err.field || (err.code === 'invalid_field' ? null : null);
      const slot = key && settings.els.form.querySelector(`[data-testid="setting-error"][data-key="${CSS.escape(key)}"]`);
      if (slot) { slot.textContent = err.reason; slot.hidden = false; const input = slot.parentNode.querySelector('input,select'); if (input) input.focus(); }
      notifyError(err, 'Settings');
      return;
    }
    settings.config = r.config || {};
    renderSettings();
    status.textContent = `Saved ${plural(Object.keys(patch).length, 'change')}.`;
    toast('Settings saved', 'ok');
  }

  function initSettings(section) {
    const els = settings.els;
    els.known = h('div', { class: 'settings-grid' });
    els.env = h('div', { class: 'env-list', 'data-testid': 'env-list' });
    els.other = h('tbody', {});
    els.status = h('span', { class: 'muted', role: 'status', 'aria-live': 'polite', 'data-testid': 'settings-status' });
    els.otherWrap = h('section', { class: 'card', 'aria-labelledby': 'other-title', hidden: true },
      h('h2', { class: 'section-title', id: 'other-title' }, 'Other values (read-only)'),
      h('table', { class: 'grid kv' }, els.other));
    els.form = h('form', { 'data-testid': 'settings-form', 'aria-label': 'Settings', onsubmit: (e) => { e.preventDefault(); saveSettings(); } },
      h('section', { class: 'card', 'aria-labelledby': 'limits-title' }, h('h2', { class: 'section-title', id: 'limits-title' }, 'App settings'),
        h('p', { class: 'hint' }, 'Empty means the server\'s default.'), els.known),
      h('section', { class: 'card', 'aria-labelledby': 'env-title' }, h('h2', { class: 'section-title', id: 'env-title' }, 'Environment variables'),
        h('p', { class: 'hint' }, 'Scripts read these as process.env.NAME. Names are letters, digits and "_".'),
        els.env,
        h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'env-add', onclick: () => addEnvRow().nameIn.focus() }, 'Add variable')),
      h('div', { class: 'sticky-actions' },
        h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'settings-save' }, 'Save settings'),
        h('button', { type: 'button', class: 'btn', onclick: loadSettings, 'data-testid': 'settings-reset' }, 'Revert'),
        els.status));
    section.append(h('div', { class: 'panel-head' }, h('h1', { class: 'panel-title' }, 'Settings')), els.form, els.otherWrap);
    loadSettings();
  }

  // ============================================================= packages

  const packages = { els: {} };

  async function loadPackages() {
    let r;
    try { r = await api('GET', '/_api/modules', { what: 'Listing packages' }); } catch { return; }
    const body = clear(packages.els.body);
    const list = r.modules || [];
    for (const m of list) {
      body.append(h('tr', { 'data-testid': 'package-row', 'data-package': m.name },
        h('td', {}, h('strong', {}, m.name)), h('td', { class: 'mono' }, m.version || '—'),
        h('td', {}, h('button', { type: 'button', class: 'linklike', onclick: () => { showPanel('documents'); docs.filter = `modules/${m.name}/`; const f = $('[data-testid="doc-filter"]'); if (f) f.value = docs.filter; renderTree(); } }, `modules/${m.name}/`)),
        h('td', { class: 'row-actions' }, h('button', { type: 'button', class: 'btn btn-small btn-danger', 'data-testid': 'package-remove', onclick: () => removePackage(m) }, 'Remove'))));
    }
    if (!list.length) body.append(h('tr', {}, h('td', { colspan: '4', class: 'empty' }, 'No packages installed.')));
  }

  async function installPackage(file) {
    const { status } = packages.els;
    status.textContent = `Installing ${file.name}…`;
    let r;
    try { r = await api('POST', '/_api/modules', { body: file, headers: { 'Content-Type': 'application/gzip' }, what: `Installing ${file.name}` }); }
    catch (e) { status.textContent = `Not installed: ${e.message}`; return; }
    status.textContent = `Installed ${r.name}@${r.version} (${plural(r.files, 'file')}).`;
    toast(`Installed ${r.name}@${r.version}`, 'ok');
    loadPackages();
    reloadDocuments();
  }

  async function removePackage(m) {
    // The server has no uninstall endpoint: remove the package's documents.
    const prefix = `modules/${m.name}/`;
    const ids = [];
    try {
      let cursor = null;
      for (let i = 0; i < 100; i++) {
        const q = new URLSearchParams({ prefix, limit: '1000' });
        if (cursor) q.set('cursor', cursor);
        const r = await api('GET', '/_api/documents?' + q, { what: 'Listing the package' });
        ids.push(...(r.documents || []).map((d) => d.id));
        cursor = r.next_cursor;
        if (!cursor) break;
      }
    } catch { return; }
    if (!(await confirmDialog({ title: `Remove ${m.name}`, message: `Delete the ${plural(ids.length, 'document')} under ${prefix}? Code importing ${m.name} will fail.`, okText: 'Remove', danger: true }))) return;
    const { status } = packages.els;
    let done = 0;
    for (const id of ids) {
      try { await api('DELETE', docUrl(id), { quiet: true }); done++; }
      catch (e) { if (e.status !== 404) { notifyError(e, `Removing ${id}`); break; } }
      if (done % 20 === 0) status.textContent = `Removing ${m.name}: ${done}/${ids.length}…`;
    }
    status.textContent = `Removed ${m.name} (${plural(done, 'document')}).`;
    toast(`Removed ${m.name}`, 'ok');
    loadPackages();
    reloadDocuments();
  }

  function initPackages(section) {
    const els = packages.els;
    els.body = h('tbody', {});
    els.status = h('span', { class: 'muted', role: 'status', 'aria-live': 'polite', 'data-testid': 'package-status' });
    const input = h('input', { type: 'file', id: 'pkg-file', accept: '.tgz,.tar.gz,.tar,application/gzip,application/x-tar', 'data-testid': 'package-upload-input' });
    const form = h('form', { class: 'inline-form', 'data-testid': 'package-form', onsubmit: (e) => {
      e.preventDefault();
      const f = input.files[0];
      if (!f) { toast('Choose a package file (.tgz) first.', 'info'); return; }
      installPackage(f).then(() => { input.value = ''; });
    } },
    h('div', { class: 'field' }, h('label', { for: 'pkg-file' }, 'npm package (.tgz)'), input, h('span', { class: 'hint' }, 'Make one with npm pack <name>. It is installed under modules/<name>/, replacing an older version.')),
    h('div', { class: 'field field-submit' }, h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'package-install' }, 'Install')),
    els.status);
    section.append(
      h('div', { class: 'panel-head' }, h('h1', { class: 'panel-title' }, 'Packages'), h('span', { class: 'spacer' }),
        h('button', { type: 'button', class: 'btn btn-small', onclick: loadPackages }, 'Refresh')),
      h('section', { class: 'card', 'aria-label': 'Install a package' }, h('h2', { class: 'section-title' }, 'Install'), form),
      h('section', { class: 'card', 'aria-label': 'Installed packages' },
        h('table', { class: 'grid', 'data-testid': 'packages-table' },
          h('thead', {}, h('tr', {}, ['Name', 'Version', 'Documents'].map((c) => h('th', { scope: 'col' }, c)), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
          els.body)));
    loadPackages();
  }

  // =============================================================== search

  // Server snippets are HTML-escaped text with <mark>…</mark>: rebuilt as
  // DOM nodes, so nothing else in them can become markup.
  function snippetNodes(snippet) {
    const decode = (s) => {
      const t = document.createElement('textarea');
      t.innerHTML = s;
      return t.value;
    };
    const out = [];
    const parts = String(snippet || '').split(/(<mark>|<\/mark>)/);
    let inMark = false;
    for (const p of parts) {
      if (p === '<mark>') { inMark = true; continue; }
      if (p === '</mark>') { inMark = false; continue; }
      if (!p) continue;
      const text = decode(p);
      out.push(inMark ? h('mark', {}, text) : document.createTextNode(text));
    }
    return out;
  }

  async function runSearch(q) {
    const { results, status } = search.els;
    clear(results);
    if (!q) { status.textContent = ''; return; }
    const idHits = docs.list.filter((d) => d.id.toLowerCase().includes(q.toLowerCase())).slice(0, 20);
    status.textContent = 'Searching…';
    let r = { results: [] };
    let failed = false;
    try { r = await api('GET', '/_api/documents/search?' + new URLSearchParams({ q, limit: '50' }), { quiet: true }); }
    catch (e) { failed = true; status.textContent = e.message; if (e.code !== 'invalid_query') notifyError(e, 'Search'); }
    const hits = r.results || [];
    const term = q.replace(/["*]/g, '').split(/\s+/).filter(Boolean)[0] || q;
    const item = (d, snippet) => h('li', {}, h('button', { type: 'button', class: 'result', 'data-testid': 'search-result', 'data-doc-id': d.id,
      onclick: () => openDocument(d.id, { find: term }) },
    h('span', { class: 'result-id' }, d.id), h('span', { class: 'result-meta' }, `${d.content_type || ''} · ${fmtBytes(d.size)}`),
    snippet != null ? h('span', { class: 'result-snippet' }, snippetNodes(snippet)) : null));
    if (hits.length) {
      results.append(h('li', { class: 'result-group' }, h('h2', { class: 'section-title' }, 'Content matches')));
      for (const d of hits) results.append(item(d, d.snippet));
    }
    if (idHits.length) {
      results.append(h('li', { class: 'result-group' }, h('h2', { class: 'section-title' }, 'Ids containing “' + q + '”')));
      for (const d of idHits) results.append(item(d, null));
    }
    if (!failed) {
      status.textContent = hits.length || idHits.length
        ? `${plural(hits.length, 'content match', 'content matches')}${idHits.length ? `, ${plural(idHits.length, 'id match', 'id matches')}` : ''}`
        : 'Nothing found.';
    }
  }
  const search = { els: {} };

  function initSearch(section) {
    const input = h('input', { type: 'search', id: 'search-q', 'data-testid': 'search-input', placeholder: 'Words, "a phrase", prefix*', autocomplete: 'off', class: 'wide' });
    search.els.results = h('ul', { class: 'results', 'data-testid': 'search-results', 'aria-label': 'Search results' });
    search.els.status = h('p', { class: 'muted', role: 'status', 'aria-live': 'polite', 'data-testid': 'search-status' });
    section.append(
      h('div', { class: 'panel-head' }, h('h1', { class: 'panel-title' }, 'Search')),
      h('form', { class: 'search-form', role: 'search', onsubmit: (e) => { e.preventDefault(); runSearch(input.value.trim()); } },
        h('label', { for: 'search-q', class: 'visually-hidden' }, 'Search documents'), input,
        h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'search-submit' }, 'Search')),
      search.els.status, search.els.results);
    if (!docs.list.length) reloadDocuments();
  }

  // ================================================================ audit

  const audit = { before: null, els: {} };

  async function loadAudit(more = false) {
    const q = new URLSearchParams({ limit: '100' });
    if (more && audit.before != null) q.set('before', String(audit.before));
    let r;
    try { r = await api('GET', '/_api/audit?' + q, { what: 'Reading the audit log' }); } catch { return; }
    const body = audit.els.body;
    if (!more) clear(body);
    for (const e of r.entries || []) {
      const details = e.details && typeof e.details === 'object' && Object.keys(e.details).length ? JSON.stringify(e.details) : '';
      body.append(h('tr', { 'data-testid': 'audit-row' },
        h('td', { class: 'muted' }, fmtTime(e.created_at)), h('td', {}, e.actor || (e.actor_id != null ? `#${e.actor_id}` : '—')),
        h('td', {}, h('code', {}, e.action)), h('td', {}, e.target), h('td', { class: 'mono small' }, details)));
    }
    if (!body.children.length) body.append(h('tr', {}, h('td', { colspan: '5', class: 'empty' }, 'No audit entries (is the audit log on?).')));
    audit.before = r.next_before;
    audit.els.more.hidden = r.next_before == null;
  }

  function initAudit(section) {
    audit.els.body = h('tbody', {});
    audit.els.more = h('button', { type: 'button', class: 'btn btn-small', hidden: true, onclick: () => loadAudit(true) }, 'Older entries');
    section.append(
      h('div', { class: 'panel-head' }, h('h1', { class: 'panel-title' }, 'Audit log'), h('span', { class: 'spacer' }),
        h('button', { type: 'button', class: 'btn btn-small', onclick: () => loadAudit() }, 'Refresh')),
      h('section', { class: 'card' }, h('div', { class: 'grid-scroll' }, h('table', { class: 'grid', 'data-testid': 'audit-table' },
        h('thead', {}, h('tr', {}, ['When', 'Who', 'Action', 'Target', 'Details'].map((c) => h('th', { scope: 'col' }, c)))), audit.els.body)),
      h('div', { class: 'pager' }, audit.els.more)));
    loadAudit();
  }

  // ============================================================ preview panel

  function initPreviewPanel(section) {
    section.append(h('div', { class: 'panel-head' }, h('h1', { class: 'panel-title' }, 'Preview'), h('span', { class: 'spacer' }),
      h('span', { class: 'muted' }, 'Reloads after every save.')));
    section.append(h('div', { class: 'preview-big' }));
  }

  const PANEL_IMPL = {
    documents: {
      init: initDocuments,
      show: () => {
        if (editor.els.previewToggle && editor.els.previewToggle.getAttribute('aria-pressed') === 'true') placePreview(editor.els.previewSlot);
        if (editor.instance) editor.instance.layout();
      },
    },
    preview: { init: initPreviewPanel, show: () => placePreview($('.preview-big', state.panels.get('preview').section)) },
    data: { init: initData, show: () => { if (data.els.tables && data.tables.length) loadTables(); } },
    logs: { init: initLogs, show: () => startLogs(), hide: () => stopLogs() },
    users: { init: initUsers, show: () => loadUsers() },
    permissions: { init: initPermissions, show() { if (this.shown) loadPermissions(); this.shown = true; } },
    settings: { init: initSettings },
    packages: { init: initPackages },
    search: { init: initSearch, show: () => { const i = $('[data-testid="search-input"]'); if (i) i.focus(); } },
    audit: { init: initAudit },
  };

  // ================================================================== boot

  document.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === 's' && !e.defaultPrevented) {
      if (state.panel === 'documents' || state.panel === 'preview') { e.preventDefault(); saveCurrent(); }
    }
  });
  function warnUnsaved(e) {
    if ([...editor.open.values()].some(isDirty)) { e.preventDefault(); e.returnValue = ''; }
  }
  window.addEventListener('beforeunload', warnUnsaved);

  window.hbfAdmin = { monaco: null, editor: null, currentId: null, open: openDocument, save: saveCurrent, showPanel };

  async function boot() {
    const root = document.getElementById('hbf-admin') || document.body;
    let me;
    try {
      me = await api('GET', '/_api/me', { quiet: true, noLoginRedirect: true });
    } catch (e) {
      if (e.status === 401) { location.href = LOGIN + '?next=' + encodeURIComponent(location.pathname + location.search); return; }
      clear(root).append(h('div', { class: 'boot' }, h('h1', {}, 'The admin cannot start'), h('p', {}, e.message)));
      return;
    }
    state.me = me.user || null;
    if (state.me && state.me.role === 'user') {
      clear(root).append(h('div', { class: 'boot' }, h('h1', {}, 'Owner or admin only'),
        h('p', {}, `You are signed in as ${state.me.username}, who may not change this app.`),
        h('form', { method: 'post', action: LOGOUT }, h('input', { type: 'hidden', name: 'next', value: `${LOGIN}?next=/_admin` }),
          h('button', { type: 'submit', class: 'btn' }, 'Log out'))));
      return;
    }
    buildShell(root);
    const who = $('[data-testid="current-user"]');
    if (state.me) {
      clear(who).append(h('span', { class: 'user-name' }, state.me.username), h('span', { class: `role role-${state.me.role}` }, state.me.role));
      who.title = state.me.email || state.me.username;
    }
    const first = panelFromLocation();
    history.replaceState({ panel: first }, '', location.pathname.startsWith('/_admin/') && location.pathname.length > 8 ? location.pathname + location.search : panelUrl(first) + location.search);
    showPanel(first, { push: false });
    document.documentElement.dataset.ready = 'true';
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
})();

// HBF's /_admin: the owner's browser front end for one henv (issue #13).
// This is its entry module: the shell (top bar, navigation, toasts),
// routing between the panels, the unsaved-changes guard, window.hbfAdmin
// and boot.
//
// Plain modern JavaScript in ES modules (js/*.js), no framework, no
// bundler; the only dependency is Monaco's AMD build, served under the same
// immutable asset prefix. The shell page (index.html, or the owner's
// _system/admin/index.html) only has to give <meta name="hbf-assets"> and
// <meta name="hbf-henv">, load this file as a module
// (<script type="module" src="{{ASSETS}}js/main.js">), and hold an element
// #hbf-admin (or none: then <body> is used).
//
// Everything talks to the henv's own JSON APIs on this origin, authenticated
// by the session cookie. Every API error is shown in the toast region
// (role="status", aria-live), and where it names a field, next to that field.
//
// The modules, each owning one concern:
//   main.js        this: shell, navigation, routing, boot
//   env.js         the shell page's meta tags; HBF's login and logout paths
//   api.js         api(), the fetch wrapper, and ApiError
//   ui.js          DOM helpers, toasts, dialogs, form field errors
//   format.js      sizes, times, plurals, table cells
//   doctypes.js    document ids: URLs, media types, editor languages
//   monaco.js      loading Monaco on demand
//   documents.js   the documents panel: tree and document actions
//   editor.js      open documents: editor, tabs, code checks, saving
//   preview.js     the live preview and the preview panel
//   data.js, logs.js, users.js, permissions.js, settings.js, packages.js,
//   search.js, audit.js   one panel each
// Each panel module exports its panel for main.js's router: {init(section)}
// (once, on first show), and where it needs them show() and hide().
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

import { HENV, LOGIN, LOGOUT } from './env.js';
import { h, clear, $, setToastRegion, confirmDialog } from './ui.js';
import { api } from './api.js';
import { documentsPanel } from './documents.js';
import { editor, isDirty, openDocument, saveCurrent } from './editor.js';
import { previewPanel } from './preview.js';
import { dataPanel } from './data.js';
import { logsPanel } from './logs.js';
import { usersPanel } from './users.js';
import { permissionsPanel } from './permissions.js';
import { settingsPanel } from './settings.js';
import { packagesPanel } from './packages.js';
import { searchPanel } from './search.js';
import { auditPanel } from './audit.js';

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

const PANEL_IMPL = {
  documents: documentsPanel,
  preview: previewPanel,
  data: dataPanel,
  logs: logsPanel,
  users: usersPanel,
  permissions: permissionsPanel,
  settings: settingsPanel,
  packages: packagesPanel,
  search: searchPanel,
  audit: auditPanel,
};

// ----------------------------------------------------------------- shell

export const state = {
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
  const toastRegion = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite', 'data-testid': 'toasts' });
  setToastRegion(toastRegion);
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

export function panelUrl(id) {
  if (id === 'documents' && editor.current) return `/_admin/documents?doc=${encodeURIComponent(editor.current.id)}`;
  return `/_admin/${id}`;
}

export function showPanel(id, { push = true } = {}) {
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

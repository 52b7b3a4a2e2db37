// The settings panel: /_api/config's known settings, the app's
// environment variables (env.*) and any other values, read-only.

import { h, clear, nextId, toast, notifyError } from './ui.js';
import { api } from './api.js';
import { plural } from './format.js';

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

export const settingsPanel = { init: initSettings };

// The data panel: the tables, their rows (paged, filtered, sorted; edited
// and inserted in a dialog) and the SQL console (with CSV export).

import { h, clear, nextId, toast, notifyError } from './ui.js';
import { api } from './api.js';
import { plural, cellText } from './format.js';

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

export const dataPanel = { init: initData, show: () => { if (data.els.tables && data.tables.length) loadTables(); } };

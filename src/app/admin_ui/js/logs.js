// The logs panel: the app's log (level filter, details, clearing) and its
// live tail, a long poll of /_api/logs while the panel is shown.

import { h, clear, sleep, toast, notifyError, confirmDialog } from './ui.js';
import { api } from './api.js';
import { fmtClock } from './format.js';
import { openDocument } from './editor.js';
import { state } from './main.js';

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

export const logsPanel = { init: initLogs, show: () => startLogs(), hide: () => stopLogs() };

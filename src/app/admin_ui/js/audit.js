// The audit panel: the audit log, newest first, paged back.

import { h, clear } from './ui.js';
import { api } from './api.js';
import { fmtTime } from './format.js';

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

export const auditPanel = { init: initAudit };

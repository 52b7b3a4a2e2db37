// The search panel: full-text search over the documents' content, and
// ids containing the words.

import { h, clear, $, notifyError } from './ui.js';
import { api } from './api.js';
import { fmtBytes, plural } from './format.js';
import { docs, reloadDocuments } from './documents.js';
import { openDocument } from './editor.js';

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

export const searchPanel = { init: initSearch, show: () => { const i = $('[data-testid="search-input"]'); if (i) i.focus(); } };

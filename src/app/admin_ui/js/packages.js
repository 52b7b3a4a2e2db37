// The packages panel: npm packages installed under modules/ (install a
// .tgz, list, remove).

import { h, clear, $, toast, notifyError, confirmDialog } from './ui.js';
import { api } from './api.js';
import { plural } from './format.js';
import { docUrl } from './doctypes.js';
import { docs, reloadDocuments, renderTree } from './documents.js';
import { showPanel } from './main.js';

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
  const query = packages.els.force.checked ? '?force=1' : '';
  try { r = await api('POST', '/_api/modules' + query, { body: file, headers: { 'Content-Type': 'application/gzip' }, what: `Installing ${file.name}` }); }
  catch (e) { status.textContent = `Not installed: ${e.message}`; return; }
  const installed = r.packages || [];
  const what = installed.length > 1 ? plural(installed.length, 'package') : `${r.name}@${r.version}`;
  const warnings = (r.warnings || []).length ? ` Warnings: ${r.warnings.join('; ')}` : '';
  status.textContent = `Installed ${what} (${plural(r.files, 'file')}).${warnings}`;
  toast(`Installed ${what}`, warnings ? 'info' : 'ok');
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
  els.force = h('input', { type: 'checkbox', id: 'pkg-force', 'data-testid': 'package-force' });
  const form = h('form', { class: 'inline-form', 'data-testid': 'package-form', onsubmit: (e) => {
    e.preventDefault();
    const f = input.files[0];
    if (!f) { toast('Choose a package file (.tgz) first.', 'info'); return; }
    installPackage(f).then(() => { input.value = ''; });
  } },
  h('div', { class: 'field' }, h('label', { for: 'pkg-file' }, 'npm package (.tgz) or a tree'), input, h('span', { class: 'hint' }, 'Make one with npm pack <name>, or tar czf - node_modules for a package with its dependencies. Each package is installed under modules/<name>/, replacing an older version; missing dependencies refuse the install.')),
  h('div', { class: 'field' }, h('label', { for: 'pkg-force' }, els.force, ' Install even if dependencies are missing')),
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

export const packagesPanel = { init: initPackages };

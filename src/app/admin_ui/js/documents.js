// The documents panel: the document list and its tree (filter, folders,
// keyboard), creating, renaming, deleting and uploading documents (button
// or drag and drop), and the panel's layout around the editor (editor.js)
// and the preview (preview.js).

import { h, clear, toast, askText, confirmDialog } from './ui.js';
import { api } from './api.js';
import { fmtBytes, plural } from './format.js';
import { extOf, baseName, folderOf, docUrl, typeFor, isTextDoc } from './doctypes.js';
import { editor, ensureEditor, isDirty, openDocument, closeEntry, normalizeErrors, saveCurrent } from './editor.js';
import { placePreview } from './preview.js';
import { state } from './main.js';

const ROUTER_STARTER = `import { Router } from "hbf:router";

const router = new Router();

router.get("/hello", (req, res) => {
  res.json({ msg: "hi" });
});

export default router;
`;

export const docs = {
  list: [],
  byId: new Map(),
  collapsed: new Set(['modules']),
  selectedFolder: '',
  filter: '',
  treeEl: null,
  loading: null,
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

export async function reloadDocuments() {
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

export function renderTree() {
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

export function revealInTree(id) {
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

export const documentsPanel = {
  init: initDocuments,
  show: () => {
    if (editor.els.previewToggle && editor.els.previewToggle.getAttribute('aria-pressed') === 'true') placePreview(editor.els.previewSlot);
    if (editor.instance) editor.instance.layout();
  },
};

// The open documents: Monaco (or a plain textarea when it cannot load),
// tabs, dirty state, live code checks and their markers and problem list,
// and saving (checked first; "Save anyway" forces a refused save).

import { h, clear, toast, confirmDialog } from './ui.js';
import { api, goLogin } from './api.js';
import { fmtBytes, pad, plural } from './format.js';
import { baseName, folderOf, docUrl, typeFor, isTextDoc, languageFor, isCheckable } from './doctypes.js';
import { loadMonaco } from './monaco.js';
import { docs, reloadDocuments, revealInTree } from './documents.js';
import { reloadPreview } from './preview.js';
import { state, showPanel, panelUrl } from './main.js';

export const editor = {
  monaco: null,
  instance: null,
  failed: false,
  open: new Map(), // id → entry
  current: null,
  checkAvailable: true,
  els: {},
};

export async function ensureEditor() {
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

export function isDirty(entry) {
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

export async function openDocument(id, { history: updateHistory = true, line, find } = {}) {
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

export async function closeEntry(id, { force = false } = {}) {
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

export function normalizeErrors(id, errors, message) {
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

export async function saveCurrent({ force = false } = {}) {
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

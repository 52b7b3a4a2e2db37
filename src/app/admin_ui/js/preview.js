// The live preview of the app: a frame with a path bar, shown beside the
// editor (documents panel) or large (preview panel); reloaded after saves.

import { h, $ } from './ui.js';
import { HENV } from './env.js';
import { state } from './main.js';

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

export function placePreview(slot) {
  if (!preview.wrap) buildPreview();
  if (preview.wrap.parentNode !== slot) slot.append(preview.wrap); // moving an iframe reloads it
  if (preview.frame.getAttribute('src') === 'about:blank') preview.go();
}

export function reloadPreview() {
  if (!preview.frame || preview.frame.getAttribute('src') === 'about:blank') return;
  try { preview.frame.contentWindow.location.reload(); } catch { preview.go(); }
}

// ---- the preview panel

function initPreviewPanel(section) {
  section.append(h('div', { class: 'panel-head' }, h('h1', { class: 'panel-title' }, 'Preview'), h('span', { class: 'spacer' }),
    h('span', { class: 'muted' }, 'Reloads after every save.')));
  section.append(h('div', { class: 'preview-big' }));
}

export const previewPanel = { init: initPreviewPanel, show: () => placePreview($('.preview-big', state.panels.get('preview').section)) };

// Small DOM helpers (h, append, clear, $, nextId, sleep), the toasts, the
// modal dialogs (askText, confirmDialog) and form field errors shared by
// the panels' forms.

// h('button', {class: 'btn', onclick: f, 'data-testid': 'x'}, 'Text', child...)
export function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  let value;
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'value') value = v;
    else if (k === 'checked' || k === 'disabled' || k === 'hidden' || k === 'selected' || k === 'required' ||
             k === 'multiple' || k === 'readOnly') el[k] = true;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, kids);
  if (value !== undefined) el.value = value;
  return el;
}
export function append(el, kids) {
  for (const kid of kids.flat(Infinity)) {
    if (kid == null || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}
export function clear(el) { while (el.firstChild) el.firstChild.remove(); return el; }
export function $(sel, root) { return (root || document).querySelector(sel); }
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let uid = 0;
export const nextId = (prefix) => `${prefix}-${++uid}`;

// ------------------------------------------------------------------ toasts

let toastRegion;
// The shell (main.js) makes the region; until then toasts go to the console.
export function setToastRegion(el) { toastRegion = el; }
export function toast(message, kind = 'info', ms) {
  if (!toastRegion) { console.log(`[${kind}] ${message}`); return; }
  const close = h('button', { class: 'toast-close', type: 'button', 'aria-label': 'Dismiss' }, '×');
  const el = h('div', { class: `toast toast-${kind}`, 'data-testid': 'toast', 'data-kind': kind },
    h('span', { class: 'toast-text' }, message), close);
  const remove = () => { el.classList.add('leaving'); setTimeout(() => el.remove(), 200); };
  close.addEventListener('click', remove);
  toastRegion.append(el);
  while (toastRegion.children.length > 5) toastRegion.firstChild.remove();
  setTimeout(remove, ms || (kind === 'error' ? 12000 : 4000));
}
export function notifyError(err, what) {
  const msg = err && err.message ? err.message : String(err);
  const code = err && err.code && !/^http_/.test(err.code) && err.code !== 'network' ? ` (${err.code})` : '';
  toast(`${what ? what + ': ' : ''}${msg}${code}`, 'error');
}

// ----------------------------------------------------------------- dialogs

// A modal <dialog> asking for one line of text; resolves to it or null.
export function askText({ title, label, value = '', okText = 'OK', hint, validate }) {
  return new Promise((resolve) => {
    const inputId = nextId('dlg-in');
    const input = h('input', { id: inputId, type: 'text', value, 'data-testid': 'dialog-input', autocomplete: 'off', spellcheck: 'false' });
    const error = h('p', { class: 'field-error', 'data-testid': 'dialog-error', role: 'alert', hidden: true });
    const form = h('form', { method: 'dialog', class: 'dialog-form' },
      h('h2', { class: 'dialog-title' }, title),
      h('label', { for: inputId }, label), input,
      hint ? h('p', { class: 'hint' }, hint) : null, error,
      h('div', { class: 'dialog-actions' },
        h('button', { type: 'button', class: 'btn', 'data-testid': 'dialog-cancel', value: 'cancel' }, 'Cancel'),
        h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'dialog-ok', value: 'ok' }, okText)));
    const dlg = h('dialog', { class: 'modal', 'data-testid': 'dialog', 'aria-label': title }, form);
    let done = false;
    const finish = (v) => { if (done) return; done = true; dlg.close(); dlg.remove(); resolve(v); };
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const v = input.value.trim();
      const problem = validate ? validate(v) : (v ? null : 'Enter a value.');
      if (problem) { error.textContent = problem; error.hidden = false; input.focus(); return; }
      finish(v);
    });
    form.querySelector('[data-testid="dialog-cancel"]').addEventListener('click', () => finish(null));
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); finish(null); });
    document.body.append(dlg);
    dlg.showModal();
    input.focus();
    input.select();
  });
}

export function confirmDialog({ title, message, okText = 'OK', danger = false }) {
  return new Promise((resolve) => {
    const form = h('form', { method: 'dialog', class: 'dialog-form' },
      h('h2', { class: 'dialog-title' }, title),
      h('p', {}, message),
      h('div', { class: 'dialog-actions' },
        h('button', { type: 'button', class: 'btn', 'data-testid': 'dialog-cancel' }, 'Cancel'),
        h('button', { type: 'submit', class: danger ? 'btn btn-danger' : 'btn btn-primary', 'data-testid': 'dialog-ok' }, okText)));
    const dlg = h('dialog', { class: 'modal', 'data-testid': 'dialog', 'aria-label': title, role: 'alertdialog' }, form);
    let done = false;
    const finish = (v) => { if (done) return; done = true; dlg.close(); dlg.remove(); resolve(v); };
    form.addEventListener('submit', (e) => { e.preventDefault(); finish(true); });
    form.querySelector('[data-testid="dialog-cancel"]').addEventListener('click', () => finish(false));
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); finish(false); });
    document.body.append(dlg);
    dlg.showModal();
    form.querySelector(danger ? '[data-testid="dialog-cancel"]' : '[data-testid="dialog-ok"]').focus();
  });
}

// ------------------------------------------------------------ form fields

// Shows an invalid_field error next to its field in `form`; else in `fallback`.
export function showFieldError(form, err, fallback) {
  for (const el of form.querySelectorAll('.field-error[data-for]')) { el.hidden = true; el.textContent = ''; }
  const field = err.field;
  const slot = field && form.querySelector(`.field-error[data-for="${CSS.escape(field)}"]`);
  if (slot) { slot.textContent = err.reason; slot.hidden = false; return; }
  if (fallback) { fallback.textContent = err.message; fallback.hidden = false; }
}

export function field(id, label, input, hint) {
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    input,
    hint ? h('span', { class: 'hint' }, hint) : null,
    h('span', { class: 'field-error', 'data-for': input.name, role: 'alert', hidden: true }));
}

// The permissions panel: table grants (to a role or a user) and row
// policies.

import { h, clear, toast, notifyError, confirmDialog, showFieldError, field } from './ui.js';
import { api } from './api.js';
import { users } from './users.js';

const perms = { grants: [], policies: [], els: {} };

function whoLabel(g) {
  if (g.user_id != null) {
    const u = users.list.find((x) => x.id === g.user_id);
    return u ? `user ${u.username}` : `user #${g.user_id}`;
  }
  return `role ${g.role}`;
}

export function fillWhoOptions() {
  const sel = perms.els.who;
  if (!sel) return;
  const keep = sel.value;
  clear(sel);
  sel.append(h('optgroup', { label: 'Roles' },
    h('option', { value: 'role:user' }, 'every signed-in user (role user)'),
    h('option', { value: 'role:anonymous' }, 'visitors without a session (anonymous)')));
  const plain = users.list.filter((u) => u.role === 'user');
  if (plain.length) sel.append(h('optgroup', { label: 'Users' }, plain.map((u) => h('option', { value: `user:${u.id}` }, u.username))));
  if ([...sel.options].some((o) => o.value === keep)) sel.value = keep;
}

async function loadPermissions() {
  try {
    const [g, p] = await Promise.all([
      api('GET', '/_api/permissions', { what: 'Listing permissions' }),
      api('GET', '/_api/policies', { what: 'Listing policies' }),
    ]);
    perms.grants = g.permissions || [];
    perms.policies = p.policies || [];
  } catch { return; }
  renderPermissions();
}

function renderPermissions() {
  const gb = clear(perms.els.grants);
  const yes = (v) => h('span', { class: v ? 'yes' : 'no', 'aria-label': v ? 'yes' : 'no' }, v ? '✓' : '—');
  for (const g of perms.grants) {
    gb.append(h('tr', { 'data-testid': 'grant-row', 'data-table': g.table },
      h('td', {}, whoLabel(g)), h('td', {}, h('code', {}, g.table)),
      h('td', {}, yes(g.select)), h('td', {}, yes(g.insert)), h('td', {}, yes(g.update)), h('td', {}, yes(g.delete)),
      h('td', { class: 'row-actions' }, h('button', { type: 'button', class: 'btn btn-small btn-danger', 'data-testid': 'grant-remove', onclick: () => removeGrant(g) }, 'Remove'))));
  }
  if (!perms.grants.length) gb.append(h('tr', {}, h('td', { colspan: '7', class: 'empty' }, 'No grants: only the owner and admins can use the records API.')));
  const pb = clear(perms.els.policies);
  for (const p of perms.policies) {
    const enabled = h('input', { type: 'checkbox', checked: p.enabled, 'aria-label': `Policy ${p.name} enabled`, 'data-testid': 'policy-enabled',
      onchange: async () => {
        const body = { table: p.table, name: p.name, role: p.role, operation: p.operation, condition: p.condition, enabled: enabled.checked };
        try { await api('PUT', `/_api/policies/${p.id}`, { json: body, what: `Updating policy ${p.name}` }); } catch { enabled.checked = p.enabled; return; }
        p.enabled = enabled.checked;
      } });
    pb.append(h('tr', { 'data-testid': 'policy-row', 'data-policy-id': p.id },
      h('td', {}, h('code', {}, p.table)), h('td', {}, p.name), h('td', {}, p.role), h('td', {}, p.operation),
      h('td', {}, h('code', { class: 'cond' }, p.condition)), h('td', {}, enabled),
      h('td', { class: 'row-actions' }, h('button', { type: 'button', class: 'btn btn-small btn-danger', 'data-testid': 'policy-remove', onclick: () => removePolicy(p) }, 'Remove'))));
  }
  if (!perms.policies.length) pb.append(h('tr', {}, h('td', { colspan: '7', class: 'empty' }, 'No row policies: a grant reaches every row.')));
}

async function removeGrant(g) {
  if (!(await confirmDialog({ title: 'Remove grant', message: `Remove ${whoLabel(g)}'s access to ${g.table}?`, okText: 'Remove', danger: true }))) return;
  const body = { table: g.table };
  if (g.user_id != null) body.user_id = g.user_id; else body.role = g.role;
  try { await api('DELETE', '/_api/permissions', { json: body, what: 'Removing the grant' }); } catch { return; }
  loadPermissions();
}

async function removePolicy(p) {
  if (!(await confirmDialog({ title: 'Remove policy', message: `Remove policy ${p.name} on ${p.table}?`, okText: 'Remove', danger: true }))) return;
  try { await api('DELETE', `/_api/policies/${p.id}`, { what: 'Removing the policy' }); } catch { return; }
  loadPermissions();
}

function initPermissions(section) {
  const els = perms.els;
  els.grants = h('tbody', {});
  els.policies = h('tbody', {});
  els.who = h('select', { id: 'gr-who', name: 'who', 'data-testid': 'grant-who' });
  const gError = h('p', { class: 'field-error', role: 'alert', hidden: true });
  const grantForm = h('form', { class: 'inline-form', 'data-testid': 'grant-form', 'aria-label': 'Add a grant' },
    field('gr-who', 'Who', els.who),
    field('gr-table', 'Table', h('input', { id: 'gr-table', name: 'table', required: true, list: 'hbf-perm-tables', 'data-testid': 'grant-table', autocomplete: 'off', spellcheck: 'false' })),
    h('fieldset', { class: 'field checks' }, h('legend', {}, 'May'),
      ['select', 'insert', 'update', 'delete'].map((op) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: op, checked: op === 'select', 'data-testid': `grant-${op}` }), ` ${op}`))),
    h('div', { class: 'field field-submit' }, h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'grant-submit' }, 'Grant')),
    gError, h('datalist', { id: 'hbf-perm-tables' }));
  grantForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    gError.hidden = true;
    const fd = new FormData(grantForm);
    const [kind, val] = String(fd.get('who')).split(':');
    const body = { table: String(fd.get('table')).trim() };
    if (kind === 'user') body.user_id = Number(val); else body.role = val;
    for (const op of ['select', 'insert', 'update', 'delete']) body[op] = fd.get(op) === 'on';
    try { await api('POST', '/_api/permissions', { json: body, quiet: true }); }
    catch (err) { showFieldError(grantForm, err, gError); notifyError(err, 'Granting'); return; }
    showFieldError(grantForm, { field: null }, null);
    toast(`Granted ${body.table}`, 'ok');
    loadPermissions();
  });

  const pError = h('p', { class: 'field-error', role: 'alert', hidden: true });
  const policyForm = h('form', { class: 'inline-form', 'data-testid': 'policy-form', 'aria-label': 'Add a row policy' },
    field('po-table', 'Table', h('input', { id: 'po-table', name: 'table', required: true, list: 'hbf-perm-tables', 'data-testid': 'policy-table', autocomplete: 'off', spellcheck: 'false' })),
    field('po-name', 'Name', h('input', { id: 'po-name', name: 'name', required: true, 'data-testid': 'policy-name', autocomplete: 'off' })),
    field('po-role', 'Role', h('select', { id: 'po-role', name: 'role', 'data-testid': 'policy-role' }, ['user', 'anonymous', '*'].map((r) => h('option', { value: r }, r)))),
    field('po-operation', 'Operation', h('select', { id: 'po-operation', name: 'operation', 'data-testid': 'policy-operation' }, ['all', 'select', 'insert', 'update', 'delete'].map((r) => h('option', { value: r }, r)))),
    field('po-condition', 'Condition (SQL)', h('input', { id: 'po-condition', name: 'condition', required: true, class: 'mono wide', placeholder: 'owner_id = $user_id', 'data-testid': 'policy-condition', spellcheck: 'false' }),
      'Over the row; $user_id, $username and $role are the caller.'),
    h('label', { class: 'check field-check' }, h('input', { type: 'checkbox', name: 'enabled', checked: true, 'data-testid': 'policy-enabled-new' }), ' Enabled'),
    h('div', { class: 'field field-submit' }, h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'policy-submit' }, 'Add policy')),
    pError);
  policyForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    pError.hidden = true;
    const fd = new FormData(policyForm);
    const body = { table: String(fd.get('table')).trim(), name: String(fd.get('name')).trim(), role: String(fd.get('role')),
      operation: String(fd.get('operation')), condition: String(fd.get('condition')).trim(), enabled: fd.get('enabled') === 'on' };
    try { await api('POST', '/_api/policies', { json: body, quiet: true }); }
    catch (err) {
      if (err.code === 'invalid_condition') { const s = policyForm.querySelector('.field-error[data-for="condition"]'); s.textContent = err.message; s.hidden = false; }
      else showFieldError(policyForm, err, pError);
      notifyError(err, 'Adding the policy');
      return;
    }
    showFieldError(policyForm, { field: null }, null);
    policyForm.reset();
    toast(`Added policy ${body.name}`, 'ok');
    loadPermissions();
  });

  section.append(
    h('div', { class: 'panel-head' }, h('h1', { class: 'panel-title' }, 'Permissions'), h('span', { class: 'spacer' }),
      h('button', { type: 'button', class: 'btn btn-small', onclick: loadPermissions }, 'Refresh')),
    h('p', { class: 'lead' }, 'Owner and admins reach every table. Grants open a table\'s records API (and req.db) to users and visitors; row policies narrow which rows.'),
    h('section', { class: 'card', 'aria-labelledby': 'grants-title' },
      h('h2', { class: 'section-title', id: 'grants-title' }, 'Table grants'), grantForm,
      h('div', { class: 'grid-scroll' }, h('table', { class: 'grid', 'data-testid': 'grants-table' },
        h('thead', {}, h('tr', {}, ['Who', 'Table', 'Select', 'Insert', 'Update', 'Delete'].map((c) => h('th', { scope: 'col' }, c)), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
        els.grants))),
    h('section', { class: 'card', 'aria-labelledby': 'policies-title' },
      h('h2', { class: 'section-title', id: 'policies-title' }, 'Row policies'), policyForm,
      h('div', { class: 'grid-scroll' }, h('table', { class: 'grid', 'data-testid': 'policies-table' },
        h('thead', {}, h('tr', {}, ['Table', 'Name', 'Role', 'Operation', 'Condition', 'Enabled'].map((c) => h('th', { scope: 'col' }, c)), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
        els.policies))));
  fillWhoOptions();
  (async () => {
    if (!users.list.length) { try { users.list = (await api('GET', '/_api/users', { quiet: true })).users || []; } catch { /* labels fall back to ids */ } }
    fillWhoOptions();
    try {
      const r = await api('GET', '/_api/data', { quiet: true });
      const dl = section.querySelector('#hbf-perm-tables');
      for (const t of r.tables || []) dl.append(h('option', { value: t.name }));
    } catch { /* free text */ }
    loadPermissions();
  })();
}

export const permissionsPanel = { init: initPermissions, show() { if (this.shown) loadPermissions(); this.shown = true; } };

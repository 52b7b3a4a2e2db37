// The users panel: the accounts (role, enabled, password, delete) and
// creating one. Its list also labels the grants in permissions.js.

import { h, clear, toast, notifyError, askText, confirmDialog, showFieldError, field } from './ui.js';
import { api } from './api.js';
import { fmtTime } from './format.js';
import { fillWhoOptions } from './permissions.js';
import { state } from './main.js';

export const users = { list: [], els: {} };

async function loadUsers() {
  try {
    const r = await api('GET', '/_api/users', { what: 'Listing users' });
    users.list = r.users || [];
  } catch { return; }
  renderUsers();
}

function renderUsers() {
  const body = clear(users.els.body);
  const meId = state.me && state.me.id;
  for (const u of users.list) {
    const isOwner = u.role === 'owner';
    const role = h('select', { 'aria-label': `Role of ${u.username}`, 'data-testid': 'user-role', disabled: isOwner,
      onchange: async () => {
        try { await api('PATCH', `/_api/users/${u.id}`, { json: { role: role.value }, what: `Changing ${u.username}'s role` }); }
        catch { role.value = u.role; return; }
        u.role = role.value;
        toast(`${u.username} is now ${u.role}`, 'ok');
      } }, (isOwner ? ['owner'] : ['user', 'admin']).map((r) => h('option', { value: r, selected: u.role === r }, r)));
    role.value = u.role;
    const enabled = h('input', { type: 'checkbox', checked: u.enabled, disabled: isOwner, 'aria-label': `${u.username} may log in`, 'data-testid': 'user-enabled',
      onchange: async () => {
        try { await api('PATCH', `/_api/users/${u.id}`, { json: { enabled: enabled.checked }, what: `Updating ${u.username}` }); }
        catch { enabled.checked = u.enabled; return; }
        u.enabled = enabled.checked;
        toast(`${u.username} ${u.enabled ? 'enabled' : 'disabled'}`, 'ok');
      } });
    body.append(h('tr', { 'data-testid': 'user-row', 'data-username': u.username, 'data-user-id': u.id },
      h('td', { class: 'is-num' }, u.id),
      h('td', {}, h('strong', {}, u.username), u.id === meId ? h('span', { class: 'badge' }, 'you') : null),
      h('td', {}, u.email || h('span', { class: 'muted' }, '—')),
      h('td', {}, role),
      h('td', {}, enabled),
      h('td', { class: 'muted' }, fmtTime(u.created_at)),
      h('td', { class: 'row-actions' },
        h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'user-password', onclick: () => setPassword(u) }, 'Set password'),
        isOwner ? null : h('button', { type: 'button', class: 'btn btn-small btn-danger', 'data-testid': 'user-delete', onclick: () => deleteUser(u) }, 'Delete'))));
  }
  if (!users.list.length) body.append(h('tr', {}, h('td', { colspan: '7', class: 'empty' }, 'No users.')));
  fillWhoOptions();
}

async function setPassword(u) {
  const pw = await askText({ title: `New password for ${u.username}`, label: 'Password (at least 10 characters)', okText: 'Set password',
    validate: (v) => (v.length < 10 ? 'At least 10 characters.' : null) });
  if (!pw) return;
  try { await api('PATCH', `/_api/users/${u.id}`, { json: { password: pw }, what: `Setting ${u.username}'s password` }); } catch { return; }
  toast(`Password of ${u.username} changed; their sessions ended.`, 'ok');
}

async function deleteUser(u) {
  if (!(await confirmDialog({ title: 'Delete user', message: `Delete ${u.username}? Their sessions end and their grants go.`, okText: 'Delete', danger: true }))) return;
  try { await api('DELETE', `/_api/users/${u.id}`, { what: `Deleting ${u.username}` }); } catch { return; }
  toast(`Deleted ${u.username}`, 'ok');
  loadUsers();
}
function initUsers(section) {
  const els = users.els;
  els.body = h('tbody', {});
  const error = h('p', { class: 'field-error', role: 'alert', hidden: true, 'data-testid': 'user-form-error' });
  const form = h('form', { class: 'inline-form', 'data-testid': 'user-form', 'aria-label': 'Create a user', autocomplete: 'off' },
    field('nu-username', 'Username', h('input', { id: 'nu-username', name: 'username', required: true, 'data-testid': 'user-form-username', autocomplete: 'off', spellcheck: 'false', pattern: '[a-z0-9._\\-]{3,63}', title: '3-63 characters of a-z, 0-9, ".", "_", "-"' })),
    field('nu-email', 'Email (optional)', h('input', { id: 'nu-email', name: 'email', type: 'email', 'data-testid': 'user-form-email', autocomplete: 'off' })),
    field('nu-password', 'Password', h('input', { id: 'nu-password', name: 'password', type: 'password', required: true, minlength: '10', 'data-testid': 'user-form-password', autocomplete: 'new-password' })),
    field('nu-role', 'Role', h('select', { id: 'nu-role', name: 'role', 'data-testid': 'user-form-role' }, h('option', { value: 'user' }, 'user'), h('option', { value: 'admin' }, 'admin'))),
    h('div', { class: 'field field-submit' }, h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'user-form-submit' }, 'Create user')),
    error);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.hidden = true;
    const fd = new FormData(form);
    const body = { username: String(fd.get('username')).trim(), password: String(fd.get('password')), role: String(fd.get('role')) };
    const email = String(fd.get('email') || '').trim();
    if (email) body.email = email;
    let r;
    try { r = await api('POST', '/_api/users', { json: body, quiet: true }); }
    catch (err) { showFieldError(form, err, error); notifyError(err, 'Creating the user'); return; }
    showFieldError(form, { field: null }, null);
    form.reset();
    toast(`Created ${r.user ? r.user.username : body.username}`, 'ok');
    loadUsers();
  });
  section.append(
    h('div', { class: 'panel-head' }, h('h1', { class: 'panel-title' }, 'Users'), h('span', { class: 'spacer' }),
      h('button', { type: 'button', class: 'btn btn-small', onclick: loadUsers, 'data-testid': 'users-refresh' }, 'Refresh')),
    h('section', { class: 'card', 'aria-label': 'New user' }, h('h2', { class: 'section-title' }, 'New user'), form),
    h('section', { class: 'card', 'aria-label': 'All users' },
      h('div', { class: 'grid-scroll' }, h('table', { class: 'grid', 'data-testid': 'users-table' },
        h('thead', {}, h('tr', {}, ['Id', 'Username', 'Email', 'Role', 'Enabled', 'Created'].map((c) => h('th', { scope: 'col' }, c)), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
        els.body))));
}

export const usersPanel = { init: initUsers, show: () => loadUsers() };

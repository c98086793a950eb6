// Members and roles (admins): change a role, remove a member, add one by
// email. Only an owner is offered the owner role; the API refuses the rest
// (the last owner, for one) and its answer is shown.
import { api, enc } from './api.js';
import { byId, confirmStep, fill, h, hide, show, showError } from './dom.js';
import { atLeast, fail, run, startPage } from './layout.js';

let roles = [];
let me = null;

function roleSelect(m) {
  const id = `role-${m.user.id}`;
  const select = h('select', { id, 'aria-label': `Role of ${m.user.email}` },
    [...new Set([...roles, m.role])].map((r) => h('option', { value: r, selected: r === m.role }, r)));
  select.disabled = m.role === 'owner' && !roles.includes('owner');
  select.addEventListener('change', async () => {
    const err = hide(byId('members-error'));
    const ok = hide(byId('members-result'));
    try {
      await api('PATCH', `/members/${enc(m.user.id)}`, { role: select.value });
      ok.textContent = `${m.user.email} is now ${select.value}.`;
      show(ok);
    } catch (e) {
      select.value = m.role;
      showError(err, e);
    }
    await drawMembers();
  });
  return select;
}

async function drawMembers() {
  const res = await api('GET', '/members');
  fill(byId('members-body'), res.members.map((m) => {
    let remove = null;
    if (m.user.id !== me.user.id && (m.role !== 'owner' || roles.includes('owner'))) {
      remove = h('button', { type: 'button', class: 'small danger', 'aria-label': `Remove ${m.user.email}` }, 'Remove');
      confirmStep(remove, `Confirm: remove ${m.user.email}`, async () => {
        const err = hide(byId('members-error'));
        try {
          await api('DELETE', `/members/${enc(m.user.id)}`);
        } catch (e) {
          showError(err, e);
        }
        await drawMembers();
      });
    }
    return h('tr', { 'data-email': m.user.email }, h('td', {}, m.user.email, m.user.id === me.user.id ? ' (you)' : ''),
      h('td', {}, roleSelect(m)), h('td', {}, remove));
  }));
}

async function main() {
  const page = await startPage('members');
  me = page.me;
  if (!atLeast(page.role, 'admin')) {
    fail(new Error('Members are managed by admins.'));
    return;
  }
  roles = page.role === 'owner' ? ['viewer', 'editor', 'admin', 'owner'] : ['viewer', 'editor', 'admin'];
  fill(byId('member-role'), roles.map((r) => h('option', { value: r, selected: r === 'viewer' }, r)));
  show(byId('add-member-section'));
  byId('add-member').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const err = hide(byId('add-member-error'));
    try {
      await api('POST', '/members', { email: byId('member-email').value, role: byId('member-role').value });
      byId('member-email').value = '';
      await drawMembers();
    } catch (e) {
      showError(err, e);
    }
  });
  await drawMembers();
}

run(main);

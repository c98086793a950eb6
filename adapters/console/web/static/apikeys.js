// API keys (admins): the list, a new key shown once with a copy button,
// and revocation after a confirmation.
import { api, enc } from './api.js';
import { byId, confirmStep, fill, h, hide, show, showError, when } from './dom.js';
import { atLeast, environments, fail, run, startPage } from './layout.js';

async function drawKeys() {
  const res = await api('GET', '/api-keys');
  const keys = res.api_keys || [];
  fill(byId('keys-body'), keys.map((k) => {
    let action = null;
    if (!k.revoked_at) {
      action = h('button', { type: 'button', class: 'small danger revoke', 'aria-label': `Revoke ${k.name}` }, 'Revoke');
      confirmStep(action, `Confirm: revoke ${k.name}`, () => revoke(k.id));
    }
    return h('tr', { 'data-key-id': k.id }, h('td', {}, k.name), h('td', {}, h('code', {}, k.prefix)),
      h('td', {}, k.environment || 'all'), h('td', {}, when(k.created_at)), h('td', {}, k.expires_at ? when(k.expires_at) : 'never'),
      h('td', { class: 'status' }, k.revoked_at ? `revoked ${when(k.revoked_at)}` : 'active'), h('td', {}, action));
  }));
  byId('keys-empty').hidden = keys.length > 0;
}

async function revoke(id) {
  const err = hide(byId('keys-error'));
  try {
    await api('DELETE', `/api-keys/${enc(id)}`);
    await drawKeys();
  } catch (e) {
    showError(err, e);
  }
}

async function copyKey() {
  const input = byId('new-key-value');
  const ok = byId('copy-result');
  try {
    await navigator.clipboard.writeText(input.value);
    ok.textContent = 'Copied to the clipboard.';
  } catch {
    input.select();
    ok.textContent = 'Selected: press Ctrl+C (or ⌘C) to copy.';
  }
  show(ok);
}

async function main() {
  const { role } = await startPage('api-keys');
  if (!atLeast(role, 'admin')) {
    fail(new Error('API keys are managed by admins.'));
    return;
  }
  const envs = await environments();
  fill(byId('key-env'), h('option', { value: '' }, 'All environments'), envs.map((n) => h('option', { value: n }, n)));
  byId('copy-key').addEventListener('click', copyKey);
  byId('dismiss-key').addEventListener('click', () => {
    byId('new-key-value').value = '';
    hide(byId('copy-result'));
    hide(byId('new-key'));
  });
  show(byId('create-key-section'));
  byId('create-key').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const err = hide(byId('create-key-error'));
    const expires = byId('key-expires').value;
    try {
      const k = await api('POST', '/api-keys', {
        name: byId('key-name').value,
        environment: byId('key-env').value || null,
        expires_at: expires ? new Date(expires).toISOString() : null,
      });
      byId('create-key').reset();
      byId('new-key-value').value = k.key;
      hide(byId('copy-result'));
      show(byId('new-key'));
      byId('new-key-value').focus();
      byId('new-key-value').select();
      await drawKeys();
    } catch (e) {
      showError(err, e);
    }
  });
  await drawKeys();
}

run(main);

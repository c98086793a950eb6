// An asset as a matrix of keys by environment. Missing keys and differing
// values are marked from the compare route; secrets are masked, and editors and above reveal one
// on request (the values route, read only then). Editors change one value
// at a time with a message, guarded by the version they saw.
import { api, enc } from './api.js';
import { byId, confirmStep, fill, h, hide, param, show, showError, valueText } from './dom.js';
import { atLeast, envOptions, environments, loadAsset, run, startPage } from './layout.js';

const slug = param('slug') || '';
let envs = [];
let views = {}; // environment -> the editing view (secrets without value)
let revealed = {}; // environment -> resolved config, read on reveal
let role = '';

/** rows are the compare route's keys (per environment: equal numbers
 * for equal values, null where missing, 0 for a secret the role may only
 * know is there), sorted by name. */
let rows = [];

function differs(row) {
  const present = envs.map((e) => row.values[e]).filter((n) => n !== null);
  const known = present.filter((n) => n !== 0);
  return present.length < envs.length || new Set(known).size > 1;
}

function cell(row, env) {
  const [obj, key] = row.key.split(/\.(.*)/s);
  const n = row.values[env];
  if (n === null) return h('td', { class: 'missing' }, h('span', { class: 'mark missing' }, 'missing'), editButton(env, obj, key, null));
  const v = views[env].values[obj][key];
  const parts = [];
  if (v.secret) {
    const shown = revealed[env] && revealed[env].config[obj] && key in revealed[env].config[obj];
    parts.push(h('span', { class: 'mark secret' }, 'secret'), ' ');
    parts.push(shown ? h('code', { class: 'revealed' }, valueText(revealed[env].config[obj][key])) : h('span', { class: 'masked', 'aria-label': 'masked secret' }, '••••••••'));
    if (atLeast(role, 'editor')) {
      const b = h('button', { type: 'button', class: 'small secondary reveal', 'aria-label': `${shown ? 'Hide' : 'Reveal'} ${row.key} in ${env}` }, shown ? 'Hide' : 'Reveal');
      b.addEventListener('click', () => (shown ? conceal(env) : reveal(env)));
      parts.push(' ', b);
    }
  } else {
    parts.push(h('code', {}, valueText(v.value)));
  }
  return h('td', { 'data-env': env }, parts, editButton(env, obj, key, v));
}

function editButton(env, obj, key, v) {
  if (!atLeast(role, 'editor')) return null;
  const b = h('button', { type: 'button', class: 'small secondary edit', 'aria-label': `Edit ${obj}.${key} in ${env}` }, 'Edit');
  b.addEventListener('click', () => {
    byId('edit-env').value = env;
    byId('edit-object').value = obj;
    byId('edit-key').value = key;
    byId('edit-action').value = 'set';
    const secret = v ? v.secret : false;
    byId('edit-secret').checked = secret;
    const isText = !v || v.secret || typeof v.value === 'string';
    byId('edit-type').value = isText ? 'text' : 'json';
    byId('edit-value').value = v && !v.secret ? (isText ? v.value : JSON.stringify(v.value)) : '';
    byId('edit-value').focus();
  });
  return [' ', b];
}

async function reveal(env) {
  try {
    revealed[env] = await api('GET', `/assets/${enc(slug)}/values?environment=${enc(env)}`);
  } catch (e) {
    showError(byId('page-error'), e);
  }
  draw();
}

function conceal(env) {
  delete revealed[env];
  draw();
}

function draw() {
  fill(byId('matrix-head'), h('th', { scope: 'col' }, 'Key'),
    envs.map((e) => h('th', { scope: 'col' }, `${e} `, h('span', { class: 'muted' }, `v${views[e].version}`))));
  fill(byId('matrix-body'), rows.map((row) => h('tr', { class: differs(row) ? 'differs' : false, 'data-key': row.key },
    h('th', { scope: 'row' }, h('code', {}, row.key), differs(row) ? [' ', h('span', { class: 'mark differs' }, 'differs')] : null),
    envs.map((env) => cell(row, env)))));
  byId('matrix-empty').hidden = rows.length > 0;
}

async function load() {
  const [comparison, ...list] = await Promise.all([
    api('GET', `/assets/${enc(slug)}/compare?environments=${envs.map(enc).join(',')}`),
    ...envs.map((env) => api('GET', `/assets/${enc(slug)}/environments/${enc(env)}`)),
  ]);
  views = Object.fromEntries(envs.map((env, i) => [env, list[i]]));
  rows = [...comparison.keys].sort((a, b) => a.key.localeCompare(b.key));
  revealed = {};
  draw();
}

function changeSet() {
  const obj = byId('edit-object').value.trim();
  const key = byId('edit-key').value.trim();
  const body = { message: byId('edit-message').value, expected_version: views[byId('edit-env').value].version };
  if (byId('edit-action').value === 'unset') {
    body.unset = { [obj]: [key] };
    return body;
  }
  let value = byId('edit-value').value;
  if (byId('edit-type').value === 'json') {
    try {
      value = JSON.parse(value);
    } catch {
      throw new Error('The value is not valid JSON: choose Text, or write JSON ("text", 5432, true, {"a": 1}).');
    }
  }
  body.set = { [obj]: { [key]: { value, secret: byId('edit-secret').checked } } };
  return body;
}

function startEditing() {
  show(byId('edit-section'));
  envOptions(byId('edit-env'), envs, envs[0]);
  byId('edit-action').addEventListener('change', () => {
    byId('edit-value-fields').hidden = byId('edit-action').value === 'unset';
  });
  byId('edit-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const err = hide(byId('edit-error'));
    const ok = hide(byId('edit-result'));
    const env = byId('edit-env').value;
    try {
      const res = await api('PATCH', `/assets/${enc(slug)}/environments/${enc(env)}`, changeSet());
      await load();
      byId('edit-value').value = '';
      byId('edit-message').value = '';
      ok.textContent = `Saved: ${env} is at version ${res.version}.`;
      show(ok);
    } catch (e) {
      if (e.code === 'VERSION_CONFLICT') {
        e.message = `Someone else saved ${env} first (it is now at version ${e.details.current_version}, you edited version ${e.details.expected_version}). Nothing was changed: the matrix now shows their values; make your change again.`;
        await load();
      }
      showError(err, e);
    }
  });
}

/** settings lets editors rename and describe the asset, and admins delete
 * it after a confirmation. */
function settings(asset) {
  show(byId('settings-section'));
  byId('settings-name').value = asset.name;
  byId('settings-description').value = asset.description;
  byId('settings-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const err = hide(byId('settings-error'));
    const ok = hide(byId('settings-result'));
    try {
      const a = await api('PATCH', `/assets/${enc(slug)}`, { name: byId('settings-name').value, description: byId('settings-description').value });
      byId('asset-title').textContent = `${a.name} (${a.slug})`;
      byId('asset-description').textContent = a.description;
      ok.textContent = 'Saved.';
      show(ok);
    } catch (e) {
      showError(err, e);
    }
  });
  if (!atLeast(role, 'admin')) return;
  show(byId('delete-asset-area'));
  confirmStep(byId('delete-asset'), `Confirm: delete ${slug} and every version of it`, async () => {
    try {
      await api('DELETE', `/assets/${enc(slug)}`);
      location.assign('/console/assets');
    } catch (e) {
      showError(byId('settings-error'), e);
    }
  });
}

async function main() {
  ({ role } = await startPage('assets'));
  const asset = await loadAsset(slug, 'asset', role);
  envs = await environments();
  await load();
  if (atLeast(role, 'editor')) {
    startEditing();
    settings(asset);
  }
}

run(main);

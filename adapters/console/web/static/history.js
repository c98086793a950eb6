// Version history of one environment: newest first, a diff between any two
// versions, and rollback (editors and above) after a confirmation.
import { api, enc } from './api.js';
import { byId, confirmStep, fill, h, hide, param, show, showError, when } from './dom.js';
import { actorNames, atLeast, envOptions, environments, loadAsset, run, startPage } from './layout.js';
import { changeLabels, diffOf, flatten, valueCell } from './values.js';

const slug = param('slug') || '';
let role = '';
let names = new Map();

function env() { return byId('history-env').value; }

async function drawVersions() {
  hide(byId('history-error'));
  const res = await api('GET', `/assets/${enc(slug)}/versions?environment=${enc(env())}`);
  const versions = res.versions || [];
  const head = versions.length ? versions[0].version : 0;
  fill(byId('history-body'), versions.map((v) => {
    const actions = [];
    if (v.version > 1) {
      const d = h('button', { type: 'button', class: 'small secondary diff', 'data-version': v.version, 'aria-label': `Diff with previous: v${v.version} against v${v.version - 1}` }, 'Diff with previous');
      d.addEventListener('click', () => showDiff(v.version - 1, v.version));
      actions.push(d);
    }
    if (atLeast(role, 'editor') && v.version !== head) {
      const b = h('button', { type: 'button', class: 'small danger rollback', 'data-version': v.version, 'aria-label': `Roll back to v${v.version} in ${env()}` }, `Roll back to v${v.version}`);
      confirmStep(b, `Confirm: roll back ${env()} to v${v.version}`, () => rollback(v.version));
      actions.push(' ', b);
    }
    return h('tr', { 'data-version': v.version }, h('td', {}, `v${v.version}`), h('td', {}, when(v.created_at)),
      h('td', {}, names.get(v.created_by) || v.created_by), h('td', {}, v.source), h('td', {}, v.message), h('td', {}, actions));
  }));
  byId('history-empty').hidden = versions.length > 0;
  byId('diff-section').hidden = versions.length < 2;
  const numbers = versions.map((v) => String(v.version));
  envOptions(byId('diff-from'), numbers, numbers[1] || numbers[0]);
  envOptions(byId('diff-to'), numbers, numbers[0]);
}

async function rollback(version) {
  const err = hide(byId('history-error'));
  try {
    const res = await api('POST', `/assets/${enc(slug)}/rollback`, { environment: env(), version });
    await drawVersions();
    const ok = byId('history-result');
    ok.textContent = `Rolled back: ${res.environment} is at version ${res.version}, with the values of version ${res.restored_from}.`;
    show(ok);
  } catch (e) {
    showError(err, e);
  }
}

async function showDiff(from, to) {
  const err = hide(byId('history-error'));
  try {
    const [a, b] = await Promise.all([from, to].map((n) => api('GET', `/assets/${enc(slug)}/versions/${n}?environment=${enc(env())}`)));
    const rows = diffOf(flatten(a.values), flatten(b.values));
    byId('diff-from').value = String(from);
    byId('diff-to').value = String(to);
    byId('diff-from-head').textContent = `v${from}`;
    byId('diff-to-head').textContent = `v${to}`;
    fill(byId('diff-body'), rows.map((r) => h('tr', { class: `change-${r.change}` }, h('th', { scope: 'row' }, h('code', {}, r.key)),
      h('td', {}, h('span', { class: `mark ${r.change}` }, changeLabels[r.change])), valueCell(r.from), valueCell(r.to))));
    byId('diff-table').hidden = rows.length === 0;
    byId('diff-none').hidden = rows.length > 0;
  } catch (e) {
    showError(err, e);
  }
}

async function main() {
  ({ role } = await startPage('assets'));
  await loadAsset(slug, 'history', role);
  names = await actorNames(role);
  const envs = await environments();
  envOptions(byId('history-env'), envs, param('environment') || envs[0]);
  byId('history-env').addEventListener('change', () => {
    hide(byId('history-result'));
    hide(byId('diff-table'));
    drawVersions().catch((e) => showError(byId('history-error'), e));
  });
  show(byId('diff-section'));
  byId('diff-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    showDiff(Number(byId('diff-from').value), Number(byId('diff-to').value));
  });
  await drawVersions();
}

run(main);

// Promotion: a dry run shows what the target environment would get (the
// server's diff, with the values of both sides where they are not
// secret); only a confirmation applies it, guarded by the target's version
// at the time of the dry run. 422 errors are shown where they occur.
import { api, enc } from './api.js';
import { byId, fill, h, hide, param, show, showError } from './dom.js';
import { atLeast, envOptions, environments, loadAsset, run, startPage } from './layout.js';
import { flatten, valueCell } from './values.js';

const slug = param('slug') || '';
let pending = null;

async function preview(envs) {
  const err = hide(byId('promote-error'));
  hide(byId('preview'));
  hide(byId('promote-result'));
  const from = byId('promote-from').value;
  const to = byId('promote-to').value;
  try {
    if (from === to) throw new Error('Choose two different environments.');
    const [source, target] = await Promise.all([from, to].map((env) => api('GET', `/assets/${enc(slug)}/environments/${enc(env)}`)));
    const res = await api('POST', `/assets/${enc(slug)}/promote`, { from, to, dry_run: true, expected_version: target.version });
    pending = { from, to, expected: target.version };
    const now = flatten(target.values);
    const after = flatten(source.values);
    const rows = [];
    for (const [change, keys] of [['added', res.diff.added], ['changed', res.diff.changed], ['removed', res.diff.removed]]) {
      for (const key of keys || []) {
        rows.push(h('tr', { class: `change-${change}` }, h('th', { scope: 'row' }, h('code', {}, key)),
          h('td', {}, h('span', { class: `mark ${change}` }, change)), valueCell(now.get(key)), valueCell(after.get(key))));
      }
    }
    byId('preview-title').textContent = `Changes to ${to} (now version ${target.version}) from ${from} (version ${source.version})`;
    byId('preview-now').textContent = `${to} now`;
    byId('preview-after').textContent = `${to} after`;
    fill(byId('preview-body'), rows);
    byId('preview-none').hidden = rows.length > 0;
    byId('promote-apply').textContent = `Promote ${from} to ${to}`;
    show(byId('preview'));
    byId('promote-apply').focus();
  } catch (e) {
    showError(err, e);
  }
  return envs;
}

async function apply() {
  const err = hide(byId('promote-error'));
  if (!pending) return;
  const { from, to, expected } = pending;
  try {
    const res = await api('POST', `/assets/${enc(slug)}/promote`, { from, to, expected_version: expected, dry_run: false });
    pending = null;
    hide(byId('preview'));
    const ok = byId('promote-result');
    fill(ok, `Promoted ${from} to ${to}: ${to} is at version ${res.version}. `,
      h('a', { href: `/console/history?slug=${enc(slug)}&environment=${enc(to)}` }, `See the history of ${to}`));
    show(ok);
  } catch (e) {
    if (e.code === 'VERSION_CONFLICT') {
      e.message = `${to} changed since the review (it is now at version ${e.details.current_version}): nothing was promoted. Review the changes again.`;
    }
    showError(err, e);
  }
}

async function main() {
  const { role } = await startPage('assets');
  await loadAsset(slug, 'promote', role);
  if (!atLeast(role, 'editor')) {
    showError(byId('page-error'), new Error('Promotion needs the editor role.'));
    return;
  }
  const envs = await environments();
  envOptions(byId('promote-from'), envs, envs[0]);
  envOptions(byId('promote-to'), envs, envs[1] || envs[0]);
  show(byId('promote-section'));
  byId('promote-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    preview(envs);
  });
  byId('promote-apply').addEventListener('click', apply);
  byId('promote-cancel').addEventListener('click', () => {
    pending = null;
    hide(byId('preview'));
  });
}

run(main);

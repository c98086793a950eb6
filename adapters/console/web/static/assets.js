// The assets page: the tenant's assets with a search, a new asset (editors
// and above) and the environments (added by admins).
import { api, enc } from './api.js';
import { byId, fill, h, hide, show, showError } from './dom.js';
import { atLeast, environments, run, startPage } from './layout.js';

let all = [];

/** listAll reads every page of the asset list. */
async function listAll() {
  const out = [];
  let cursor = null;
  do {
    const res = await api('GET', `/assets?limit=200${cursor ? `&cursor=${enc(cursor)}` : ''}`);
    out.push(...res.assets);
    cursor = res.next_cursor;
  } while (cursor);
  return out;
}

function draw() {
  const q = byId('search').value.trim().toLowerCase();
  const shown = all.filter((a) => !q || [a.slug, a.name, a.description].some((t) => (t || '').toLowerCase().includes(q)));
  fill(byId('assets-body'), shown.map((a) => h('tr', {},
    h('td', {}, h('a', { href: `/console/asset?slug=${enc(a.slug)}` }, a.slug)),
    h('td', {}, a.name),
    h('td', {}, a.description),
    h('td', {}, Object.entries(a.versions || {}).map(([env, n]) => h('span', { class: 'tag' }, `${env} v${n}`))))));
  byId('assets-empty').hidden = shown.length > 0;
}

async function drawEnvironments(role) {
  const names = await environments();
  fill(byId('env-list'), names.map((n) => h('li', {}, n)));
  if (!atLeast(role, 'admin')) return;
  const form = show(byId('create-env'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const err = hide(byId('env-error'));
    try {
      await api('POST', '/environments', { name: byId('env-name').value });
      form.reset();
      fill(byId('env-list'), (await environments()).map((n) => h('li', {}, n)));
    } catch (e) {
      showError(err, e);
    }
  });
}

async function main() {
  const { role } = await startPage('assets');
  byId('search').addEventListener('input', draw);
  all = await listAll();
  draw();
  if (atLeast(role, 'editor')) {
    show(byId('create-section'));
    byId('create-asset').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const err = hide(byId('create-error'));
      try {
        const a = await api('POST', '/assets', {
          slug: byId('asset-slug').value, name: byId('asset-name').value, description: byId('asset-description').value,
        });
        location.assign(`/console/asset?slug=${enc(a.slug)}`);
      } catch (e) {
        showError(err, e);
      }
    });
  }
  await drawEnvironments(role);
}

run(main);

// The frame of every signed-in page: the session check, the tenant
// switcher, the navigation the role may use, and sign out.
import { api, enc, session } from './api.js';
import { byId, fill, h, showError } from './dom.js';

const ranks = { viewer: 1, editor: 2, admin: 3, owner: 4 };

/** atLeast reports whether role is min or higher. */
export const atLeast = (role, min) => (ranks[role] || 0) >= ranks[min];

/**
 * startPage checks the session, reads the user's memberships, picks the
 * tenant (the one chosen in this tab, else the first), draws the header
 * and returns { me, tenant, role }. Without a session it goes to sign-in.
 */
export async function startPage(active) {
  if (!session.token()) {
    location.replace('/console/');
    return new Promise(() => {});
  }
  const me = await api('GET', '/me');
  const memberships = me.memberships || [];
  const current = memberships.find((m) => m.tenant.slug === session.tenant()) || memberships[0];
  if (current) session.setTenant(current.tenant.slug);
  header(me, memberships, current, active);
  if (!current) {
    fail(new Error('You are not a member of any tenant yet: ask an admin to add you.'));
    return new Promise(() => {});
  }
  return { me, tenant: current.tenant, role: current.role };
}

function header(me, memberships, current, active) {
  const role = current ? current.role : '';
  const links = [['assets', 'Assets', 'viewer']];
  if (atLeast(role, 'admin')) {
    links.push(['api-keys', 'API keys', 'admin'], ['members', 'Members', 'admin'], ['audit', 'Audit log', 'admin']);
  }
  const nav = h('nav', { 'aria-label': 'Main' }, h('ul', {}, links.map(([page, label]) => h('li', {},
    h('a', { href: `/console/${page}`, 'aria-current': page === active ? 'page' : false }, label)))));
  const select = h('select', { id: 'tenant-switch' }, memberships.map((m) => h('option',
    { value: m.tenant.slug, selected: current && m.tenant.slug === current.tenant.slug }, m.tenant.name)));
  select.addEventListener('change', () => {
    session.setTenant(select.value);
    location.assign('/console/assets');
  });
  const signOut = h('button', { type: 'button', id: 'sign-out', class: 'secondary' }, 'Sign out');
  signOut.addEventListener('click', () => {
    session.signOut();
    location.assign('/console/');
  });
  fill(byId('top'),
    h('a', { href: '/console/assets', class: 'brand' }, 'ConfigMat'),
    nav,
    h('div', { class: 'who' },
      h('label', { for: 'tenant-switch' }, 'Tenant'), select,
      h('span', { class: 'role', id: 'current-role' }, role),
      h('span', { class: 'email' }, me.user.email),
      signOut));
}

/** fail shows an error that stops the page. */
export function fail(err) {
  const el = byId('page-error');
  if (el) showError(el, err);
}

/** run starts a page's main function and shows what it throws. */
export function run(main) {
  main().catch(fail);
}

/** assetNav draws the tabs of an asset's pages. */
export function assetNav(slug, active, role) {
  const tabs = [['asset', 'Values', 'viewer'], ['promote', 'Promote', 'editor'], ['history', 'History', 'viewer'], ['schema', 'Schema', 'viewer']];
  fill(byId('asset-nav'), h('ul', {}, tabs.filter(([, , min]) => atLeast(role, min)).map(([page, label]) => h('li', {},
    h('a', { href: `/console/${page}?slug=${enc(slug)}`, 'aria-current': page === active ? 'page' : false }, label)))));
}

/** environments lists the tenant's environment names in promotion order. */
export async function environments() {
  const res = await api('GET', '/environments');
  return res.environments.map((e) => e.name);
}

/** envOptions fills a select with environment names. */
export function envOptions(select, names, selected) {
  fill(select, names.map((n) => h('option', { value: n, selected: n === selected }, n)));
}

/** loadAsset reads the asset, draws its title and tabs and returns it. */
export async function loadAsset(slug, active, role) {
  const asset = await api('GET', `/assets/${enc(slug)}`);
  byId('asset-title').textContent = `${asset.name} (${asset.slug})`;
  byId('asset-description').textContent = asset.description;
  document.title = `${asset.slug} · ConfigMat`;
  assetNav(asset.slug, active, role);
  return asset;
}

/** actorNames maps the actors of versions and audit entries ("user:<id>")
 * to the members' emails, when the role may list members (admins); others
 * see the actors as the API writes them. */
export async function actorNames(role) {
  const names = new Map();
  if (!atLeast(role, 'admin')) return names;
  const res = await api('GET', '/members');
  for (const m of res.members) names.set(`user:${m.user.id}`, m.user.email);
  return names;
}

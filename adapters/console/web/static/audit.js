// The audit log (admins): its verification, run at once and on request,
// and the entries, oldest first, a page at a time.
import { api } from './api.js';
import { byId, fill, h, show, showError, when } from './dom.js';
import { actorNames, atLeast, fail, run, startPage } from './layout.js';

const pageSize = 100;
let after = 0;
let names = new Map();

async function verify() {
  const out = byId('verify-result');
  try {
    const v = await api('GET', '/audit/verify');
    out.className = v.valid ? 'verify ok' : 'verify error';
    fill(out, v.valid
      ? [h('strong', {}, 'Intact: '), `${v.entries} entries verified. Head hash `, h('code', {}, v.head_hash || '')]
      : [h('strong', {}, 'Broken: '), `the chain breaks at entry #${v.first_invalid_seq} of ${v.entries}: ${v.reason}`]);
    show(out);
  } catch (e) {
    showError(out, e);
  }
}

async function more() {
  const res = await api('GET', `/audit?after_seq=${after}&limit=${pageSize}`);
  const body = byId('audit-body');
  for (const e of res.entries) {
    body.append(h('tr', {}, h('td', {}, String(e.seq)), h('td', {}, when(e.created_at)), h('td', {}, names.get(e.actor) || e.actor),
      h('td', {}, e.action), h('td', {}, e.target), h('td', {}, h('code', { class: 'details' }, JSON.stringify(e.details)))));
    after = e.seq;
  }
  byId('audit-more').hidden = !res.next_cursor;
}

async function main() {
  const { role } = await startPage('audit');
  if (!atLeast(role, 'admin')) {
    fail(new Error('The audit log is read by admins.'));
    return;
  }
  names = await actorNames(role);
  show(byId('verify')).addEventListener('click', verify);
  byId('audit-more').addEventListener('click', () => more().catch(fail));
  await Promise.all([verify(), more()]);
}

run(main);

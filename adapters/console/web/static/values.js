// Values as the editing views and versions hold them ({object: {key:
// {value, secret}}}, a secret without its value), flattened and compared.
import { h, valueText } from './dom.js';

/** flatten maps "object.key" to { secret, value } (value absent for a
 * secret). */
export function flatten(values) {
  const out = new Map();
  for (const [obj, kv] of Object.entries(values || {})) {
    for (const [key, v] of Object.entries(kv)) out.set(`${obj}.${key}`, v);
  }
  return out;
}

/** diffOf lists the keys that differ between two flattened value sets:
 * { key, change: added|removed|changed|secret, from, to }. A secret
 * present in both is listed as "secret": its value is not in the views, so
 * only the promotion diff of the server can say whether it changed. */
export function diffOf(from, to) {
  const keys = [...new Set([...from.keys(), ...to.keys()])].sort();
  const out = [];
  for (const key of keys) {
    const a = from.get(key);
    const b = to.get(key);
    if (!a) out.push({ key, change: 'added', from: a, to: b });
    else if (!b) out.push({ key, change: 'removed', from: a, to: b });
    else if (a.secret && b.secret) out.push({ key, change: 'secret', from: a, to: b });
    else if (a.secret !== b.secret || JSON.stringify(a.value) !== JSON.stringify(b.value)) out.push({ key, change: 'changed', from: a, to: b });
  }
  return out;
}

/** valueCell shows one side of a diff: the value, "secret" masked, or
 * nothing. */
export function valueCell(v) {
  if (!v) return h('td', { class: 'muted' }, '(none)');
  if (v.secret) return h('td', {}, h('span', { class: 'mark secret' }, 'secret'), ' ', h('span', { class: 'masked' }, '••••••••'));
  return h('td', {}, h('code', {}, valueText(v.value)));
}

/** changeLabels are the words for each change. */
export const changeLabels = {
  added: 'added', removed: 'removed', changed: 'changed', secret: 'secret (value not shown)',
};

// DOM helpers. Every piece of data reaches the page as text (text nodes,
// textContent, attribute values), never as HTML; no element gets a style or
// on* attribute (the Content-Security-Policy refuses both).

/**
 * h builds an element with attributes and children: a child is a node or a
 * string (always text); false, null and undefined are left out.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name === 'style' || name.startsWith('on')) throw new Error(`console: no ${name} attribute`);
    el.setAttribute(name, value === true ? '' : String(value));
  }
  add(el, children);
  return el;
}

function add(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** fill replaces el's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  add(el, children);
  return el;
}

/** byId returns the element with that id. */
export const byId = (id) => document.getElementById(id);

/** show and hide set the hidden attribute. */
export const show = (el) => { el.hidden = false; return el; };
export const hide = (el) => { el.hidden = true; return el; };

/** valueText writes a JSON value for reading: a string as is, else JSON. */
export function valueText(v) {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** when writes an RFC 3339 time in the reader's locale. */
export function when(s) {
  if (!s) return '';
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? s : d.toLocaleString();
}

/**
 * showError writes err into el (an element with role="alert"): its
 * message and code, and the violations or reference a 422 names.
 */
export function showError(el, err) {
  const lines = [];
  const d = err.details || {};
  if (Array.isArray(d.violations)) {
    for (const v of d.violations) lines.push(`${v.environment}: ${v.path || '/'}: ${v.message}`);
  }
  if (err.code === 'REFERENCE_ERROR' && d.reference) {
    lines.push(`${d.environment}: ${d.path}: \${${d.reference}} is ${d.reason}`);
  }
  if (err.code === 'VALIDATION_ERROR') {
    for (const [field, problem] of Object.entries(d.fields || d)) lines.push(`${field}: ${valueText(problem)}`);
  }
  fill(el,
    h('strong', {}, err.message || String(err)),
    err.code ? h('span', { class: 'code' }, ` (${err.code})`) : null,
    lines.length ? h('ul', {}, lines.map((l) => h('li', {}, l))) : null);
  show(el);
}

/** param returns a query parameter of the page's URL. */
export const param = (name) => new URLSearchParams(location.search).get(name);

/** confirmStep turns button into a two-step control: the first click asks
 * (the question becomes its text and accessible name), the second runs act. */
export function confirmStep(button, question, act) {
  const label = button.textContent;
  const name = button.getAttribute('aria-label');
  let armed = false;
  button.addEventListener('click', async () => {
    armed = !armed;
    button.textContent = armed ? question : label;
    if (name) button.setAttribute('aria-label', armed ? question : name);
    button.classList.toggle('danger-armed', armed);
    if (!armed) await act();
  });
}

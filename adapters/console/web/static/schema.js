// The asset's schema: read by everyone, set and deleted by admins. A schema
// that is not one, or that a current version breaks, is refused and the
// answer (each violation by environment and path) is shown.
import { api, enc } from './api.js';
import { byId, confirmStep, hide, param, show, showError, when } from './dom.js';
import { atLeast, loadAsset, run, startPage } from './layout.js';

const slug = param('slug') || '';

/** draw shows the schema (or its absence) and returns it, or null. */
async function draw() {
  let schema = null;
  try {
    schema = await api('GET', `/assets/${enc(slug)}/schema`);
  } catch (e) {
    if (e.code !== 'SCHEMA_NOT_FOUND') throw e;
  }
  byId('schema-none').hidden = schema !== null;
  const updated = byId('schema-updated');
  updated.hidden = schema === null;
  if (schema) updated.textContent = `Updated ${when(schema.updated_at)}.`;
  const text = schema ? JSON.stringify(schema.schema, null, 2) : '';
  byId('schema-view').textContent = text;
  byId('schema-view').hidden = schema === null;
  byId('schema-text').value = text;
  byId('schema-delete').hidden = schema === null;
  return schema;
}

function edit() {
  hide(byId('schema-view'));
  show(byId('schema-form'));
  byId('schema-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const err = hide(byId('schema-error'));
    const ok = hide(byId('schema-result'));
    try {
      let schema;
      try {
        schema = JSON.parse(byId('schema-text').value);
      } catch {
        throw new Error('The schema is not valid JSON.');
      }
      await api('PUT', `/assets/${enc(slug)}/schema`, { schema });
      await draw();
      hide(byId('schema-view'));
      ok.textContent = 'Saved: every environment satisfies the schema.';
      show(ok);
    } catch (e) {
      showError(err, e);
    }
  });
  confirmStep(byId('schema-delete'), 'Confirm: delete the schema', async () => {
    const err = hide(byId('schema-error'));
    try {
      await api('DELETE', `/assets/${enc(slug)}/schema`);
      await draw();
      hide(byId('schema-view'));
      const ok = byId('schema-result');
      ok.textContent = 'Deleted.';
      show(ok);
    } catch (e) {
      showError(err, e);
    }
  });
}

async function main() {
  const { role } = await startPage('assets');
  await loadAsset(slug, 'schema', role);
  await draw();
  if (atLeast(role, 'admin')) edit();
}

run(main);

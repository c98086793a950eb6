package catalog

import (
	"context"
	"encoding/json"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/schema"
	"github.com/configmat/configmat/ports"
)

// checkWrite checks, inside a write's transaction, the snapshot that the
// write would make the current version of (slug, env): every reference of
// it, and of every asset of env that references slug, must resolve
// (REFERENCE_ERROR), and its resolved configuration, secrets in plaintext
// and references replaced, must satisfy the asset's schema
// (SCHEMA_VIOLATION), and so must the resolved configurations of the
// assets that reference it, which the write changes too (their violations'
// messages name them). Unless lock is false (a dry run, which takes no
// lock), the referenced assets' heads are locked first (referencedWorld).
// snap's secrets are sealed for at (a promotion's source environment;
// env's own place otherwise). What the head's marks rule out (no schema, no
// asset referencing this one) is not looked up.
func (s *Service) checkWrite(ctx context.Context, st ports.TenantTx, slug, env string, at place, snap domain.Snapshot, lock bool, marks headMarks) error {
	w, err := referencedWorld(ctx, st, slug, env, at, snap, lock)
	if err != nil {
		return err
	}
	var dependents []string
	if marks.referenced {
		if dependents, err = s.dependents(ctx, st, w, slug); err != nil {
			return err
		}
	}
	// referencedWorld loaded what slug reaches; the dependents may reach more.
	if err := w.load(ctx, st, at.tenant, dependents...); err != nil {
		return err
	}
	if e, err := newResolver(w, nil).check(ctx, append([]string{slug}, dependents...)...); err != nil {
		return err
	} else if e != nil {
		return e.err(env, slug)
	}
	// The written asset's schema, then those of the assets whose resolved
	// configuration the write changes through their references, read at once.
	checked := dependents
	if marks.schema {
		checked = append([]string{slug}, dependents...)
	}
	schemas, err := s.assetSchemas(ctx, st, w, checked)
	if err != nil {
		return err
	}
	var violations []schemaViolation
	for _, asset := range checked {
		compiled := schemas[asset]
		if compiled == nil {
			continue
		}
		found, err := s.violations(ctx, st, compiled, w, asset)
		if err != nil {
			return err
		}
		if asset != slug {
			for i := range found {
				found[i].Message = "in asset " + asset + ", which references this one: " + found[i].Message
			}
		}
		violations = append(violations, found...)
	}
	if len(violations) > 0 {
		return violationError(violations)
	}
	return nil
}

// headMarks are the lookups of checkWrite that may find something: whether
// the written asset may have a schema, and whether assets of the
// environment may reference it (ports.WriteTarget's marks).
type headMarks struct{ schema, referenced bool }

// unknownMarks rules neither lookup out.
var unknownMarks = headMarks{schema: true, referenced: true}

// marksOf returns the marks of a write target's head.
func marksOf(t ports.WriteTarget) headMarks {
	return headMarks{schema: t.MayHaveSchema, referenced: t.MayBeReferenced}
}

// referencedWorld returns the world of snap (the written asset's new
// values) after locking the heads of the assets they reference, which it
// then reads again (unless lock is false): a concurrent write of one of those assets (removing a
// key referenced here) either committed before the lock, and is read, or
// waits for this write, and then finds this write's references when it
// looks for the versions referencing its asset. Only the assets the written
// values reach are locked, never the assets that reference the written one
// (they lock this asset's head in turn), so that writes along a chain of
// references do not deadlock; two assets that reference each other, written
// at once, may (PostgreSQL aborts one: CONFLICT, try again).
func referencedWorld(ctx context.Context, st ports.TenantTx, slug, env string, at place, snap domain.Snapshot, lock bool) (*refWorld, error) {
	w := newRefWorld(env, slug, &worldAsset{id: at.asset, snap: snap, at: at})
	if err := w.load(ctx, st, at.tenant, slug); err != nil {
		return nil, err
	}
	deps := w.dependencies()
	if len(deps) == 0 || !lock {
		return w, nil
	}
	ids := make([]domain.AssetID, 0, len(deps))
	for _, d := range deps {
		ids = append(ids, d.AssetID)
	}
	if err := st.Versions().LockShared(ctx, env, ids); err != nil {
		return nil, err
	}
	w = newRefWorld(env, slug, &worldAsset{id: at.asset, snap: snap, at: at})
	return w, w.load(ctx, st, at.tenant, slug)
}

// dependents adds to w the assets of w's environment whose current version
// references slug, directly or through others, and returns their slugs.
func (s *Service) dependents(ctx context.Context, st ports.TenantTx, w *refWorld, slug string) ([]string, error) {
	var out []string
	seen := map[string]bool{slug: true}
	level := []string{slug}
	for depth := 0; depth < MaxReferenceDepth && len(level) > 0; depth++ {
		var next []string
		for _, target := range level {
			found, err := st.Versions().Referencing(ctx, w.env, target)
			if err != nil {
				return nil, err
			}
			for _, av := range found {
				if seen[av.Slug] || !referencesAsset(av.Snapshot, target, av.Slug) {
					continue
				}
				seen[av.Slug] = true
				w.add(w.assets[w.self].at.tenant, []domain.AssetVersion{av})
				next = append(next, av.Slug)
			}
		}
		out = append(out, next...)
		level = next
	}
	return out, nil
}

// referencesAsset reports whether a snapshot of asset self holds a
// reference into asset target.
func referencesAsset(snap domain.Snapshot, target, self string) bool {
	for _, keys := range snap {
		for _, v := range keys {
			for _, r := range refsOf(v) {
				if r.Asset == target && target != self {
					return true
				}
			}
		}
	}
	return false
}

// assetSchemas returns the compiled schemas of those of the assets of w
// named by slugs that have one, by slug, read in one statement (none when
// slugs is empty).
func (s *Service) assetSchemas(ctx context.Context, st ports.TenantTx, w *refWorld, slugs []string) (map[string]*schema.Schema, error) {
	if len(slugs) == 0 {
		return nil, nil
	}
	ids := make([]domain.AssetID, len(slugs))
	for i, slug := range slugs {
		ids[i] = w.assets[slug].id
	}
	stored, err := st.Schemas().GetMany(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*schema.Schema, len(stored))
	for i, slug := range slugs {
		sch, ok := stored[ids[i]]
		if !ok {
			continue
		}
		compiled, err := s.schemas.Compile(sch.Schema)
		if err != nil {
			return nil, domain.Wrap(err, "The stored schema could not be compiled.")
		}
		out[slug] = compiled
	}
	return out, nil
}

// violations resolves the configuration of slug in w, secrets in plaintext
// and references replaced, and returns how it breaks compiled. The
// plaintexts are wiped before it returns; the messages never hold a value
// (core/schema writes them).
func (s *Service) violations(ctx context.Context, st ports.TenantTx, compiled *schema.Schema, w *refWorld, slug string) ([]schemaViolation, error) {
	openers := map[place]*opener{}
	defer func() {
		for _, o := range openers {
			o.wipe()
		}
	}()
	var derived []json.RawMessage
	r := newResolver(w, func(ctx context.Context, a *worldAsset, obj, key string, v domain.StoredValue) ([]byte, error) {
		o, ok := openers[a.at]
		if !ok {
			o = s.newOpener(st, a.at)
			openers[a.at] = o
		}
		return o.plaintext(ctx, obj, key, v)
	})
	config, err := r.config(ctx, slug)
	if err != nil {
		return nil, err
	}
	for _, got := range r.memo {
		if got.secret {
			derived = append(derived, got.value)
		}
	}
	defer func() {
		for _, d := range derived {
			clear(d)
		}
	}()
	found, err := compiled.Validate(config)
	if err != nil {
		return nil, err
	}
	out := make([]schemaViolation, 0, len(found))
	for _, v := range found {
		out = append(out, schemaViolation{Environment: w.env, Path: v.Path, Message: v.Message})
	}
	return out, nil
}

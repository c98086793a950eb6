package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// valueRef names one value of one asset in the world's environment.
type valueRef struct {
	asset, object, key string
}

// path names the value as REFERENCE_ERROR's details do: "object.key" in
// the written asset, "asset/object.key" in another.
func (v valueRef) path(self string) string {
	if v.asset == self {
		return v.object + "." + v.key
	}
	return v.asset + "/" + v.object + "." + v.key
}

// worldAsset is one asset's current values in the world's environment.
type worldAsset struct {
	id      domain.AssetID
	version int
	snap    domain.Snapshot
	// at is where the snapshot's secrets are sealed (a promotion's source
	// is sealed for the source environment).
	at place
}

// refWorld is what references of one environment read: the written asset
// (self) and every asset its values reach, loaded a round at a time: one
// statement per level of references into other assets, however many
// references and assets a level holds.
type refWorld struct {
	env    string
	self   string
	assets map[string]*worldAsset
	// absent lists the slugs looked up that do not exist.
	absent map[string]bool
}

// newRefWorld starts a world with the written asset.
func newRefWorld(env, self string, a *worldAsset) *refWorld {
	return &refWorld{env: env, self: self, assets: map[string]*worldAsset{self: a}, absent: map[string]bool{}}
}

// load reads every asset reachable from the values of the assets named in
// from (all of their values), a level at a time.
func (w *refWorld) load(ctx context.Context, st ports.TenantTx, tenant domain.TenantID, from ...string) error {
	frontier := []valueRef{}
	for _, slug := range from {
		if a, ok := w.assets[slug]; ok && !mayReference(a.snap) {
			continue // none of its values leads anywhere
		}
		frontier = append(frontier, w.values(slug)...)
	}
	seen := map[valueRef]bool{}
	for len(frontier) > 0 {
		var waiting []valueRef
		wanted := map[string]bool{}
		for len(frontier) > 0 {
			v := frontier[len(frontier)-1]
			frontier = frontier[:len(frontier)-1]
			if seen[v] {
				continue
			}
			a, ok := w.assets[v.asset]
			if !ok {
				if !w.absent[v.asset] {
					wanted[v.asset] = true
					waiting = append(waiting, v)
				}
				continue
			}
			seen[v] = true
			for _, r := range refsOf(a.snap[v.object][v.key]) {
				frontier = append(frontier, w.target(v, r))
			}
		}
		if len(wanted) == 0 {
			return nil
		}
		found, err := st.Versions().CurrentOf(ctx, w.env, slices.Sorted(maps.Keys(wanted)))
		if err != nil {
			return err
		}
		for _, av := range found {
			w.assets[av.Slug] = &worldAsset{id: av.AssetID, version: av.Number, snap: av.Snapshot,
				at: place{tenant: tenant, asset: av.AssetID, env: w.env}}
			delete(wanted, av.Slug)
		}
		for slug := range wanted {
			w.absent[slug] = true
		}
		frontier = waiting
	}
	return nil
}

// add puts assets read elsewhere (the referencing ones) into the world.
func (w *refWorld) add(tenant domain.TenantID, avs []domain.AssetVersion) {
	for _, av := range avs {
		if _, ok := w.assets[av.Slug]; ok {
			continue
		}
		w.assets[av.Slug] = &worldAsset{id: av.AssetID, version: av.Number, snap: av.Snapshot,
			at: place{tenant: tenant, asset: av.AssetID, env: w.env}}
	}
}

// values lists every value of the asset slug.
func (w *refWorld) values(slug string) []valueRef {
	a, ok := w.assets[slug]
	if !ok {
		return nil
	}
	var out []valueRef
	for obj, keys := range a.snap {
		for key := range keys {
			out = append(out, valueRef{asset: slug, object: obj, key: key})
		}
	}
	return out
}

// target is the value r of a value of from names.
func (w *refWorld) target(from valueRef, r reference) valueRef {
	asset := r.Asset
	if asset == "" {
		asset = from.asset
	}
	return valueRef{asset: asset, object: r.Object, key: r.Key}
}

// dependencies lists the assets other than self that the world read, with
// the versions it read: what the resolution depends on besides its own
// version.
func (w *refWorld) dependencies() []Dependency {
	var out []Dependency
	for slug, a := range w.assets {
		if slug != w.self {
			out = append(out, Dependency{AssetID: a.id, Version: a.version})
		}
	}
	slices.SortFunc(out, func(a, b Dependency) int { return strings.Compare(string(a.AssetID), string(b.AssetID)) })
	return out
}

// mayReference reports whether a value of snap may hold a reference: one
// that is not a secret and whose JSON holds "${", as parseValue reads it.
// refsOf finds nothing in a snapshot for which it is false.
func mayReference(snap domain.Snapshot) bool {
	for _, keys := range snap {
		for _, v := range keys {
			if !v.Secret && bytes.Contains(v.Value, templateOpen) {
				return true
			}
		}
	}
	return false
}

// refsOf lists the references of a stored value: none for a secret, a
// non-string or a malformed template (written before references existed).
func refsOf(v domain.StoredValue) []reference {
	if v.Secret {
		return nil
	}
	t, ok, err := parseValue(v.Value)
	if !ok || err != nil {
		return nil
	}
	return t.refs()
}

// Dependency is an asset that a resolution read through references, at the
// version it read.
type Dependency struct {
	AssetID domain.AssetID
	Version int
}

// resolvedValue is a value with its references replaced. Secret says that it
// is a secret or references one; Value is then nil unless secrets are
// opened.
type resolvedValue struct {
	value  json.RawMessage
	secret bool
	depth  int
}

// refError is why a value's references do not resolve.
type refError struct {
	at     valueRef
	ref    reference
	reason string
}

// err is the REFERENCE_ERROR of e in env, paths named relative to self.
func (e *refError) err(env, self string) error {
	return domain.Errorf(domain.KindReferenceError, "A reference of the configuration cannot be resolved.").
		WithDetail("environment", env).
		WithDetail("path", e.at.path(self)).
		WithDetail("reference", e.ref.Text).
		WithDetail("reason", e.reason)
}

// opener opens a secret of an asset of the world.
type secretOpener func(ctx context.Context, a *worldAsset, obj, key string, v domain.StoredValue) ([]byte, error)

// resolver replaces references over a world, each value at most once.
type resolver struct {
	w *refWorld
	// open opens secrets; nil leaves them (and every value that
	// references one) without a value.
	open   secretOpener
	memo   map[valueRef]resolvedValue
	failed map[valueRef]*refError
	active map[valueRef]bool
}

// newResolver returns a resolver over w.
func newResolver(w *refWorld, open secretOpener) *resolver {
	return &resolver{w: w, open: open, memo: map[valueRef]resolvedValue{}, failed: map[valueRef]*refError{}, active: map[valueRef]bool{}}
}

// resolve returns v's value with its references replaced, or why they do
// not resolve. v must exist.
func (r *resolver) resolve(ctx context.Context, v valueRef) (resolvedValue, *refError, error) {
	if out, ok := r.memo[v]; ok {
		return out, nil, nil
	}
	if e, ok := r.failed[v]; ok {
		return resolvedValue{}, e, nil
	}
	a := r.w.assets[v.asset]
	stored := a.snap[v.object][v.key]
	if stored.Secret {
		out := resolvedValue{secret: true}
		if r.open != nil {
			pt, err := r.open(ctx, a, v.object, v.key, stored)
			if err != nil {
				return resolvedValue{}, nil, err
			}
			out.value = pt
		}
		r.memo[v] = out
		return out, nil, nil
	}
	t, ok, err := parseValue(stored.Value)
	if !ok || err != nil {
		out := resolvedValue{value: stored.Value}
		r.memo[v] = out
		return out, nil, nil
	}
	r.active[v] = true
	out, e, err := r.compose(ctx, v, t)
	delete(r.active, v)
	switch {
	case err != nil:
		return resolvedValue{}, nil, err
	case e != nil:
		r.failed[v] = e
		return resolvedValue{}, e, nil
	}
	r.memo[v] = out
	return out, nil, nil
}

// compose resolves the references of v's template t and builds its value.
func (r *resolver) compose(ctx context.Context, v valueRef, t template) (resolvedValue, *refError, error) {
	parts := make([]resolvedValue, len(t.segments))
	out := resolvedValue{}
	for i, s := range t.segments {
		if s.ref == nil {
			continue
		}
		target := r.w.target(v, *s.ref)
		if r.active[target] {
			return resolvedValue{}, &refError{at: v, ref: *s.ref, reason: reasonCycle}, nil
		}
		a, ok := r.w.assets[target.asset]
		if !ok {
			return resolvedValue{}, &refError{at: v, ref: *s.ref, reason: reasonMissing}, nil
		}
		if _, ok := a.snap[target.object][target.key]; !ok {
			return resolvedValue{}, &refError{at: v, ref: *s.ref, reason: reasonMissing}, nil
		}
		got, e, err := r.resolve(ctx, target)
		if err != nil || e != nil {
			return resolvedValue{}, e, err
		}
		parts[i] = got
		out.secret = out.secret || got.secret
		out.depth = max(out.depth, got.depth+1)
	}
	if out.depth > MaxReferenceDepth {
		return resolvedValue{}, &refError{at: v, ref: t.refs()[0], reason: reasonTooDeep}, nil
	}
	if out.secret && r.open == nil {
		return out, nil, nil
	}
	if t.whole() {
		out.value = parts[0].value
		return out, nil, nil
	}
	var b strings.Builder
	for i, s := range t.segments {
		if s.ref == nil {
			b.WriteString(s.literal)
			continue
		}
		text := parts[i].value
		if len(text) > 0 && text[0] == '"' {
			var str string
			if err := json.Unmarshal(text, &str); err != nil {
				return resolvedValue{}, nil, domain.Wrap(err, "Could not read a referenced value.")
			}
			b.WriteString(str)
			continue
		}
		b.Write(text)
	}
	encoded, err := json.Marshal(b.String())
	if err != nil {
		return resolvedValue{}, nil, domain.Wrap(err, "Could not encode a value.")
	}
	out.value = encoded
	return out, nil, nil
}

// config resolves every value of the asset slug into {object: {key: value}}:
// values that are or reference secrets are left out without open. A value
// whose references do not resolve (written before references were checked)
// stays as written.
func (r *resolver) config(ctx context.Context, slug string) (map[string]map[string]json.RawMessage, error) {
	a := r.w.assets[slug]
	config := make(map[string]map[string]json.RawMessage, len(a.snap))
	for obj, keys := range a.snap {
		values := make(map[string]json.RawMessage, len(keys))
		for key, stored := range keys {
			got, e, err := r.resolve(ctx, valueRef{asset: slug, object: obj, key: key})
			switch {
			case err != nil:
				return nil, err
			case e != nil && !stored.Secret:
				values[key] = stored.Value
			case e == nil && (!got.secret || r.open != nil):
				values[key] = got.value
			}
		}
		if len(values) > 0 {
			config[obj] = values
		}
	}
	return config, nil
}

// check returns the first reference error among the values of the assets
// named, in a stable order, or nil.
func (r *resolver) check(ctx context.Context, slugs ...string) (*refError, error) {
	for _, slug := range slugs {
		a, ok := r.w.assets[slug]
		if !ok || !mayReference(a.snap) {
			continue // a value without references resolves to itself
		}
		for _, obj := range slices.Sorted(maps.Keys(a.snap)) {
			for _, key := range slices.Sorted(maps.Keys(a.snap[obj])) {
				if _, e, err := r.resolve(ctx, valueRef{asset: slug, object: obj, key: key}); err != nil || e != nil {
					return e, err
				}
			}
		}
	}
	return nil, nil
}

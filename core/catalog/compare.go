package catalog

import (
	"context"
	"slices"
	"strings"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// Comparison is every key of an asset across environments.
type Comparison struct {
	Asset        string
	Environments []string
	Keys         []ComparedKey
}

// ComparedKey is one key across the compared environments. Values holds, per
// environment, the key's equality class: equal numbers (from 1) mean equal
// values, nil that the environment lacks the key, and 0 a secret shown to a
// viewer by presence only.
type ComparedKey struct {
	Key    string
	Secret bool
	Values map[string]*int
}

// Compare lists every key of the asset's current versions in envs (all
// environments in promotion order when envs is empty), with equality classes
// (viewer). Values are compared as written; secrets by their plaintext,
// which users below editor never see: for them a secret is only present
// (0) or missing.
func (s *Service) Compare(ctx context.Context, actor domain.Actor, slug string, envs []string) (Comparison, error) {
	if err := actor.Require(domain.RoleViewer); err != nil {
		return Comparison{}, err
	}
	if err := checkCompare(slug, envs); err != nil {
		return Comparison{}, err
	}
	withSecrets := actor.Role.AtLeast(domain.RoleEditor)
	return inTenant(ctx, s, actor, func(ctx context.Context, st ports.TenantTx) (Comparison, error) {
		asset, err := assetBySlug(ctx, st, slug)
		if err != nil {
			return Comparison{}, err
		}
		names, err := compareEnvironments(ctx, st, envs)
		if err != nil {
			return Comparison{}, err
		}
		snaps := make([]domain.Snapshot, len(names))
		openers := make([]*opener, len(names))
		derived := make([]map[string]bool, len(names))
		for i, env := range names {
			cur, err := st.Versions().Current(ctx, asset.ID, env)
			if err != nil {
				return Comparison{}, err
			}
			at := place{tenant: actor.TenantID, asset: asset.ID, env: env}
			snaps[i] = cur.Snapshot
			openers[i] = s.newOpener(st, at)
			defer openers[i].wipe()
			if derived[i], err = secretDerived(ctx, st, slug, at, cur.Snapshot); err != nil {
				return Comparison{}, err
			}
		}
		keys, err := compareKeys(ctx, names, snaps, derived, openers, withSecrets)
		if err != nil {
			return Comparison{}, err
		}
		return Comparison{Asset: slug, Environments: names, Keys: keys}, nil
	})
}

// checkCompare validates a comparison's request: environment names, each
// at most once.
func checkCompare(slug string, envs []string) error {
	p := domain.Problems{}
	domain.CheckSlug(p, "slug", slug)
	seen := map[string]bool{}
	for _, env := range envs {
		domain.CheckEnvironmentName(p, "environments", env)
		if seen[env] {
			p.Add("environments", "names "+env+" twice")
		}
		seen[env] = true
	}
	if len(envs) > domain.MaxEnvironments {
		p.Add("environments", "names too many environments")
	}
	return p.Err()
}

// compareEnvironments returns envs, each checked to exist, or every
// environment in promotion order when envs is empty.
func compareEnvironments(ctx context.Context, st ports.TenantTx, envs []string) ([]string, error) {
	all, err := st.Environments().List(ctx)
	if err != nil {
		return nil, err
	}
	if len(envs) == 0 {
		names := make([]string, 0, len(all))
		for _, e := range all {
			names = append(names, e.Name)
		}
		return names, nil
	}
	exists := make(map[string]bool, len(all))
	for _, e := range all {
		exists[e.Name] = true
	}
	for _, env := range envs {
		if !exists[env] {
			return nil, namedEnvironmentError(env, domain.StoreError(domain.KindEnvironmentNotFound))
		}
	}
	return envs, nil
}

// compareKeys builds the compared keys, sorted by path: each environment's
// value gets the number of the first earlier environment with an equal
// value, or the next number.
func compareKeys(ctx context.Context, names []string, snaps []domain.Snapshot, derived []map[string]bool, openers []*opener, withSecrets bool) ([]ComparedKey, error) {
	paths := map[string]bool{}
	for _, snap := range snaps {
		for _, p := range snap.Paths() {
			paths[p] = true
		}
	}
	sorted := make([]string, 0, len(paths))
	for p := range paths {
		sorted = append(sorted, p)
	}
	slices.Sort(sorted)
	out := make([]ComparedKey, 0, len(sorted))
	type representative struct {
		value domain.StoredValue
		from  *opener
	}
	for _, path := range sorted {
		obj, key, _ := strings.Cut(path, ".")
		ck := ComparedKey{Key: path, Values: make(map[string]*int, len(names))}
		var reps []representative
		for i, env := range names {
			v, ok := snaps[i][obj][key]
			if !ok {
				ck.Values[env] = nil
				continue
			}
			secretish := v.Secret || derived[i][path]
			ck.Secret = ck.Secret || secretish
			if secretish && !withSecrets {
				ck.Values[env] = new(int)
				continue
			}
			class := 0
			for j, r := range reps {
				same, err := sameValue(ctx, obj, key, r.value, v, r.from, openers[i])
				if err != nil {
					return nil, err
				}
				if same {
					class = j + 1
					break
				}
			}
			if class == 0 {
				reps = append(reps, representative{value: v, from: openers[i]})
				class = len(reps)
			}
			ck.Values[env] = &class
		}
		out = append(out, ck)
	}
	return out, nil
}

// secretDerived returns the paths of snap (the current values of slug at
// at) whose references reach a secret: for viewers they are secrets too.
// It opens no secret.
func secretDerived(ctx context.Context, st ports.TenantTx, slug string, at place, snap domain.Snapshot) (map[string]bool, error) {
	w := newRefWorld(at.env, slug, &worldAsset{id: at.asset, snap: snap, at: at})
	if err := w.load(ctx, st, at.tenant, slug); err != nil {
		return nil, err
	}
	r := newResolver(w, nil)
	out := map[string]bool{}
	for obj, keys := range snap {
		for key, v := range keys {
			if v.Secret {
				continue
			}
			got, e, err := r.resolve(ctx, valueRef{asset: slug, object: obj, key: key})
			if err != nil {
				return nil, err
			}
			if e == nil && got.secret {
				out[obj+"."+key] = true
			}
		}
	}
	return out, nil
}

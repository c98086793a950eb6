package catalog

import (
	"bytes"
	"context"
	"crypto/subtle"
	"maps"
	"slices"

	"github.com/configmat/configmat/core/domain"
)

// diffSnapshots lists, as sorted "object.key" paths, the keys of source that
// target lacks (added), those whose value or secret flag differ (changed) and
// those only target has (removed). Secrets are compared by plaintext, opened
// with from and to, so that a secret sealed again but equal is unchanged.
func diffSnapshots(ctx context.Context, source, target domain.Snapshot, from, to *opener) (domain.Diff, error) {
	d := domain.Diff{Added: []string{}, Changed: []string{}, Removed: []string{}}
	for _, obj := range slices.Sorted(maps.Keys(source)) {
		for _, key := range slices.Sorted(maps.Keys(source[obj])) {
			sv := source[obj][key]
			tv, ok := target[obj][key]
			if !ok {
				d.Added = append(d.Added, obj+"."+key)
				continue
			}
			same, err := sameValue(ctx, obj, key, sv, tv, from, to)
			if err != nil {
				return domain.Diff{}, err
			}
			if !same {
				d.Changed = append(d.Changed, obj+"."+key)
			}
		}
	}
	for obj, keys := range target {
		for key := range keys {
			if _, ok := source[obj][key]; !ok {
				d.Removed = append(d.Removed, obj+"."+key)
			}
		}
	}
	slices.Sort(d.Removed)
	return d, nil
}

// sameValue reports whether one key holds the same value in both places.
func sameValue(ctx context.Context, obj, key string, a, b domain.StoredValue, from, to *opener) (bool, error) {
	switch {
	case a.Secret != b.Secret:
		return false, nil
	case !a.Secret:
		return bytes.Equal(a.Value, b.Value), nil
	}
	pa, err := from.plaintext(ctx, obj, key, a)
	if err != nil {
		return false, err
	}
	pb, err := to.plaintext(ctx, obj, key, b)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(pa, pb) == 1, nil
}

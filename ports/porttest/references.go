package porttest

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"testing"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// testReferenceReads checks CurrentOf and Referencing, the reads of
// references between assets, on both stores and across tenants.
func testReferenceReads(t *testing.T, open Opener) {
	tx := open(t)
	tenant := NewTenant(t, tx)
	other := NewTenant(t, tx)
	shared := NewAsset(t, tx, tenant.ID, "shared")
	app := NewAsset(t, tx, tenant.ID, "app")
	empty := NewAsset(t, tx, tenant.ID, "empty")
	foreign := NewAsset(t, tx, other.ID, "shared")
	raw := func(s string) domain.StoredValue { return domain.StoredValue{Value: json.RawMessage(s)} }
	write := func(tenant domain.TenantID, v domain.Version) {
		MustInTenant(t, tx, tenant, func(ctx context.Context, s ports.TenantTx) error {
			n, err := s.Versions().LockHead(ctx, v.AssetID, v.Environment)
			if err != nil {
				return err
			}
			v.Number = n + 1
			return s.Versions().Create(ctx, v)
		})
	}
	write(tenant.ID, newVersion(tenant.ID, shared.ID, "stage", 1, domain.Snapshot{"db": {"host": raw(`"h1"`)}}))
	write(tenant.ID, newVersion(tenant.ID, shared.ID, "stage", 2, domain.Snapshot{"db": {"host": raw(`"h2"`)}}))
	write(tenant.ID, newVersion(tenant.ID, app.ID, "stage", 1, domain.Snapshot{"db": {"url": raw(`"pg://${shared/db.host}"`)}}))
	write(tenant.ID, newVersion(tenant.ID, app.ID, "prod", 1, domain.Snapshot{"db": {"url": raw(`"${shared/db.host}"`)}}))
	write(tenant.ID, newVersion(tenant.ID, app.ID, "prod", 2, domain.Snapshot{"db": {"url": raw(`"none"`)}}))
	write(other.ID, newVersion(other.ID, foreign.ID, "stage", 1, domain.Snapshot{"db": {"host": raw(`"theirs"`)}}))

	read := func(t *testing.T, fn func(ctx context.Context, s ports.VersionStore) ([]domain.AssetVersion, error)) map[string]domain.AssetVersion {
		t.Helper()
		out := map[string]domain.AssetVersion{}
		MustInTenant(t, tx, tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
			got, err := fn(ctx, s.Versions())
			for _, v := range got {
				out[v.Slug+"@"+v.Environment] = v
			}
			return err
		})
		return out
	}

	t.Run("CurrentOf", func(t *testing.T) {
		got := read(t, func(ctx context.Context, s ports.VersionStore) ([]domain.AssetVersion, error) {
			return s.CurrentOf(ctx, "stage", []string{"shared", "empty", "missing"})
		})
		keys := slices.Sorted(maps.Keys(got))
		if !slices.Equal(keys, []string{"empty@stage", "shared@stage"}) {
			t.Fatalf("CurrentOf = %v", keys)
		}
		s := got["shared@stage"]
		if s.AssetID != shared.ID || s.Number != 2 || string(s.Snapshot["db"]["host"].Value) != `"h2"` || s.TenantID != tenant.ID {
			t.Errorf("shared = %+v", s)
		}
		if e := got["empty@stage"]; e.AssetID != empty.ID || e.Number != 0 || len(e.Snapshot) != 0 {
			t.Errorf("empty = %+v", e)
		}
		none := read(t, func(ctx context.Context, s ports.VersionStore) ([]domain.AssetVersion, error) {
			return s.CurrentOf(ctx, "stage", nil)
		})
		if len(none) != 0 {
			t.Errorf("CurrentOf(nil) = %v", none)
		}
	})

	t.Run("LockShared", func(t *testing.T) {
		MustInTenant(t, tx, tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
			if err := s.Versions().LockShared(ctx, "stage", []domain.AssetID{shared.ID, empty.ID, "not-a-uuid"}); err != nil {
				return err
			}
			if err := s.Versions().LockShared(ctx, "stage", nil); err != nil {
				return err
			}
			// The locked heads stay readable; a missing one is not created.
			heads, err := s.Versions().Heads(ctx, empty.ID)
			if err != nil {
				return err
			}
			if len(heads) != 0 {
				t.Errorf("LockShared created heads %v", heads)
			}
			cur, err := s.Versions().CurrentOf(ctx, "stage", []string{"shared"})
			if err != nil {
				return err
			}
			if len(cur) != 1 || cur[0].Number != 2 {
				t.Errorf("CurrentOf after LockShared = %+v", cur)
			}
			return nil
		})
	})

	t.Run("Referencing", func(t *testing.T) {
		got := read(t, func(ctx context.Context, s ports.VersionStore) ([]domain.AssetVersion, error) {
			return s.Referencing(ctx, "", "shared")
		})
		keys := slices.Sorted(maps.Keys(got))
		// prod's current version no longer references shared.
		if !slices.Equal(keys, []string{"app@stage"}) {
			t.Fatalf("Referencing(all) = %v", keys)
		}
		if a := got["app@stage"]; a.AssetID != app.ID || a.Number != 1 || string(a.Snapshot["db"]["url"].Value) != `"pg://${shared/db.host}"` {
			t.Errorf("app = %+v", a)
		}
		for env, want := range map[string]int{"stage": 1, "prod": 0} {
			got := read(t, func(ctx context.Context, s ports.VersionStore) ([]domain.AssetVersion, error) {
				return s.Referencing(ctx, env, "shared")
			})
			if len(got) != want {
				t.Errorf("Referencing(%s) = %v, want %d", env, got, want)
			}
		}
		for _, slug := range []string{"app", "sha", "%", "_hared"} {
			if got := read(t, func(ctx context.Context, s ports.VersionStore) ([]domain.AssetVersion, error) {
				return s.Referencing(ctx, "", slug)
			}); len(got) != 0 {
				t.Errorf("Referencing(%q) = %v", slug, got)
			}
		}
	})
}

// testLockForDelete checks AssetStore.LockForDelete: it finds its asset
// (not another tenant's) and changes nothing.
func testLockForDelete(t *testing.T, open Opener) {
	tx := open(t)
	tenant := NewTenant(t, tx)
	other := NewTenant(t, tx)
	asset := NewAsset(t, tx, tenant.ID, "doomed")
	MustInTenant(t, tx, tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
		if _, err := s.Versions().LockHead(ctx, asset.ID, "stage"); err != nil {
			return err
		}
		return s.Assets().LockForDelete(ctx, asset.ID)
	})
	for name, tc := range map[string]struct {
		tenant domain.TenantID
		id     domain.AssetID
	}{
		"OtherTenant": {other.ID, asset.ID},
		"NotAUUID":    {tenant.ID, "not-a-uuid"},
	} {
		t.Run(name, func(t *testing.T) {
			err := tx.InTenant(t.Context(), tc.tenant, func(ctx context.Context, s ports.TenantTx) error {
				return s.Assets().LockForDelete(ctx, tc.id)
			})
			wantKind(t, err, domain.KindAssetNotFound)
		})
	}
	MustInTenant(t, tx, tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
		if _, err := s.Assets().BySlug(ctx, "doomed"); err != nil {
			return err
		}
		return nil
	})
}

package porttest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// sampleSnapshot holds a JSON value of every type and secrets with binary
// sealed bytes.
func sampleSnapshot() domain.Snapshot {
	raw := func(s string) domain.StoredValue { return domain.StoredValue{Value: json.RawMessage(s)} }
	return domain.Snapshot{
		"database": {
			"host":     raw(`"db.internal"`),
			"port":     raw(`5432`),
			"ratio":    raw(`-1.5e-7`),
			"big":      raw(`12345678901234`),
			"tls":      raw(`true`),
			"readonly": raw(`false`),
			"replica":  raw(`null`),
			"password": {Secret: true, Sealed: []byte{0x00, 0x01, 0xfe, 0xff, '"', '\\', 0x7f}},
		},
		"features": {
			"flags":   raw(`{"beta": [1, "two", {"three": null}], "a": {}}`),
			"empty":   raw(`[]`),
			"unicode": raw(`"h\u00e9llo \u2603 😀 \"quoted\""`),
			"token":   {Secret: true, Sealed: []byte("sealed-token-bytes")},
		},
	}
}

// newVersion returns version n of (asset, env) in tenant with snap.
func newVersion(tenant domain.TenantID, asset domain.AssetID, env string, n int, snap domain.Snapshot) domain.Version {
	return domain.Version{
		TenantID: tenant, AssetID: asset, Environment: env, Number: n, CreatedAt: at(100 + n),
		CreatedBy: "user:editor", Message: fmt.Sprintf("change %d", n), Source: domain.SourceEdit, Snapshot: snap,
	}
}

// wantVersion fails t unless got has want's fields (snapshots not compared).
func wantVersion(t *testing.T, got, want domain.Version) {
	t.Helper()
	if got.TenantID != want.TenantID || got.AssetID != want.AssetID || got.Environment != want.Environment ||
		got.Number != want.Number || got.CreatedBy != want.CreatedBy || got.Message != want.Message || got.Source != want.Source {
		t.Errorf("version = %+v, want %+v", got, want)
	}
	wantTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
}

func testVersions(t *testing.T, open Opener) {
	tx := open(t)
	tenant := NewTenant(t, tx)
	asset := NewAsset(t, tx, tenant.ID, "checkout")
	in := func(t *testing.T, fn func(ctx context.Context, s ports.VersionStore) error) error {
		return tx.InTenant(t.Context(), tenant.ID, func(ctx context.Context, s ports.TenantTx) error { return fn(ctx, s.Versions()) })
	}
	v1 := newVersion(tenant.ID, asset.ID, "stage", 1, sampleSnapshot())

	t.Run("EmptyPair", func(t *testing.T) {
		mustNot(t, in(t, func(ctx context.Context, s ports.VersionStore) error {
			n, err := s.LockHead(ctx, asset.ID, "stage")
			mustNot(t, err)
			cur, err := s.Current(ctx, asset.ID, "stage")
			mustNot(t, err)
			if n != 0 || cur.Number != 0 || len(cur.Snapshot) != 0 {
				t.Errorf("empty pair: LockHead = %d, Current = %d with %d keys; want 0, 0, 0", n, cur.Number, cur.Snapshot.Keys())
			}
			return nil
		}))
	})

	t.Run("CreateAndCurrentRoundTrip", func(t *testing.T) {
		mustNot(t, in(t, func(ctx context.Context, s ports.VersionStore) error {
			if _, err := s.LockHead(ctx, asset.ID, "stage"); err != nil {
				return err
			}
			return s.Create(ctx, v1)
		}))
		mustNot(t, in(t, func(ctx context.Context, s ports.VersionStore) error {
			n, err := s.LockHead(ctx, asset.ID, "stage")
			mustNot(t, err)
			if n != 1 {
				t.Errorf("LockHead after version 1 = %d", n)
			}
			cur, err := s.Current(ctx, asset.ID, "stage")
			mustNot(t, err)
			wantVersion(t, cur, v1)
			wantSnapshot(t, cur.Snapshot, v1.Snapshot)
			got, err := s.Get(ctx, asset.ID, "stage", 1)
			mustNot(t, err)
			wantVersion(t, got, v1)
			wantSnapshot(t, got.Snapshot, v1.Snapshot)
			return nil
		}))
	})

	t.Run("DuplicateNumber", func(t *testing.T) {
		err := in(t, func(ctx context.Context, s ports.VersionStore) error {
			if _, err := s.LockHead(ctx, asset.ID, "stage"); err != nil {
				return err
			}
			return s.Create(ctx, newVersion(tenant.ID, asset.ID, "stage", 1, domain.Snapshot{}))
		})
		wantKind(t, err, domain.KindVersionConflict)
	})

	t.Run("GetUnknown", func(t *testing.T) {
		for _, c := range []struct {
			env    string
			number int
		}{{"stage", 2}, {"stage", 0}, {"prod", 1}} {
			err := in(t, func(ctx context.Context, s ports.VersionStore) error {
				_, err := s.Get(ctx, asset.ID, c.env, c.number)
				return err
			})
			wantKind(t, err, domain.KindVersionNotFound)
		}
	})

	t.Run("ListNewestFirstInPages", func(t *testing.T) { testVersionPages(t, tx, tenant.ID, asset.ID) })

	t.Run("LockCurrent", func(t *testing.T) {
		// "local" has a head (the pages above), "prod" none: LockCurrent
		// creates it, and answers version 0 the first time, then what
		// LockHead and Current answer.
		for _, c := range []struct {
			env  string
			want int
		}{{"local", 7}, {"prod", 0}, {"prod", 0}} {
			mustNot(t, in(t, func(ctx context.Context, s ports.VersionStore) error {
				target, err := s.LockCurrent(ctx, asset.Slug, c.env)
				mustNot(t, err)
				a, cur := target.Asset, target.Current
				if a.ID != asset.ID || a.Slug != asset.Slug || a.Name != asset.Name {
					t.Errorf("LockCurrent(%s) asset = %+v, want %+v", c.env, a, asset)
				}
				head, err := s.LockHead(ctx, asset.ID, c.env)
				mustNot(t, err)
				want, err := s.Current(ctx, asset.ID, c.env)
				mustNot(t, err)
				if cur.Number != c.want || head != c.want {
					t.Errorf("LockCurrent(%s) = version %d, LockHead %d; want %d", c.env, cur.Number, head, c.want)
				}
				wantVersion(t, cur, want)
				wantSnapshot(t, cur.Snapshot, want.Snapshot)
				return nil
			}))
		}
	})

	t.Run("Heads", func(t *testing.T) {
		mustNot(t, in(t, func(ctx context.Context, s ports.VersionStore) error {
			// A locked pair without versions has no head worth reporting.
			if _, err := s.LockHead(ctx, asset.ID, "prod"); err != nil {
				return err
			}
			heads, err := s.Heads(ctx, asset.ID)
			mustNot(t, err)
			if len(heads) != 2 || heads["stage"] != 1 || heads["local"] != 7 {
				t.Errorf("Heads = %v, want map[local:7 stage:1]", heads)
			}
			return nil
		}))
	})

	t.Run("AssetDeleteCascades", func(t *testing.T) {
		MustInTenant(t, tx, tenant.ID, func(ctx context.Context, s ports.TenantTx) error { return s.Assets().Delete(ctx, asset.ID) })
		err := in(t, func(ctx context.Context, s ports.VersionStore) error {
			_, err := s.Get(ctx, asset.ID, "stage", 1)
			return err
		})
		wantKind(t, err, domain.KindVersionNotFound)
		mustNot(t, in(t, func(ctx context.Context, s ports.VersionStore) error {
			heads, err := s.Heads(ctx, asset.ID)
			mustNot(t, err)
			cur, err := s.Current(ctx, asset.ID, "local")
			mustNot(t, err)
			if len(heads) != 0 || cur.Number != 0 {
				t.Errorf("after delete: Heads = %v, Current = %d; want none, 0", heads, cur.Number)
			}
			return nil
		}))
		again := NewAsset(t, tx, tenant.ID, asset.Slug)
		mustNot(t, in(t, func(ctx context.Context, s ports.VersionStore) error {
			n, err := s.LockHead(ctx, again.ID, "local")
			if n != 0 {
				t.Errorf("recreated asset starts at %d", n)
			}
			return err
		}))
	})
}

// testVersionPages creates versions 1..7 of (asset, local) and lists them
// three at a time, newest first, without snapshots.
func testVersionPages(t *testing.T, tx ports.Transactor, tenant domain.TenantID, asset domain.AssetID) {
	for n := 1; n <= 7; n++ {
		MustInTenant(t, tx, tenant, func(ctx context.Context, s ports.TenantTx) error {
			head, err := s.Versions().LockHead(ctx, asset, "local")
			if err != nil {
				return err
			}
			snap := domain.Snapshot{"app": {"n": {Value: json.RawMessage(fmt.Sprint(n))}}}
			return s.Versions().Create(ctx, newVersion(tenant, asset, "local", head+1, snap))
		})
	}
	var numbers []int
	cursor := ""
	for range 4 {
		var page []domain.Version
		var next string
		MustInTenant(t, tx, tenant, func(ctx context.Context, s ports.TenantTx) error {
			var err error
			page, next, err = s.Versions().List(ctx, asset, "local", domain.Page{Limit: 3, Cursor: cursor})
			return err
		})
		for _, v := range page {
			if v.Snapshot != nil {
				t.Errorf("listed version %d carries a snapshot", v.Number)
			}
			wantVersion(t, v, newVersion(tenant, asset, "local", v.Number, nil))
			numbers = append(numbers, v.Number)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if fmt.Sprint(numbers) != "[7 6 5 4 3 2 1]" {
		t.Errorf("listed versions %v, want [7 6 5 4 3 2 1] in pages of 3", numbers)
	}
}

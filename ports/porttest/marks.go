package porttest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// testHeadMarks checks the marks of LockCurrent's answer: MayHaveSchema
// follows SchemaStore.Put and Delete and is set on a head created while the
// asset has a schema; MayBeReferenced is set by LockShared, for that
// environment only, and stays set; a pair without a head (the long way,
// which creates it) gets the marks of the new head, taken from the data.
func testHeadMarks(t *testing.T, open Opener) {
	tx := open(t)
	tenant := NewTenant(t, tx)
	asset := NewAsset(t, tx, tenant.ID, "marked")
	other := NewAsset(t, tx, tenant.ID, "other")
	write := func(a domain.Asset, env string) {
		MustInTenant(t, tx, tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
			n, err := s.Versions().LockHead(ctx, a.ID, env)
			if err != nil {
				return err
			}
			snap := domain.Snapshot{"db": {"host": {Value: json.RawMessage(`"h"`)}}}
			return s.Versions().Create(ctx, newVersion(tenant.ID, a.ID, env, n+1, snap))
		})
	}
	write(asset, "local")
	write(asset, "stage")
	write(other, "stage")
	MustInTenant(t, tx, tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
		return s.Environments().Create(ctx, domain.Environment{Name: "qa", Position: 4, CreatedAt: at(70)})
	})

	type marks struct{ schema, referenced bool }
	step := func(t *testing.T, name string, fn func(ctx context.Context, s ports.TenantTx) error, want map[string]marks) {
		t.Helper()
		MustInTenant(t, tx, tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
			if fn != nil {
				if err := fn(ctx, s); err != nil {
					return err
				}
			}
			for env, w := range want {
				target, err := s.Versions().LockCurrent(ctx, asset.Slug, env)
				if err != nil {
					return err
				}
				got := marks{target.MayHaveSchema, target.MayBeReferenced}
				if got != w {
					t.Errorf("after %s: LockCurrent(%s) marks = %+v, want %+v", name, env, got, w)
				}
			}
			return nil
		})
	}
	schema := domain.AssetSchema{AssetID: asset.ID, Schema: json.RawMessage(`{"type":"object"}`), UpdatedAt: at(50)}
	for _, c := range []struct {
		name string
		fn   func(ctx context.Context, s ports.TenantTx) error
		want map[string]marks
	}{
		{"nothing", nil, map[string]marks{"local": {}, "stage": {}}},
		{"Schemas.Put", func(ctx context.Context, s ports.TenantTx) error { return s.Schemas().Put(ctx, schema) },
			map[string]marks{"local": {schema: true}, "stage": {schema: true}}},
		{"Schemas.Put again", func(ctx context.Context, s ports.TenantTx) error { return s.Schemas().Put(ctx, schema) },
			map[string]marks{"local": {schema: true}, "stage": {schema: true}}},
		{"LockShared(stage)", func(ctx context.Context, s ports.TenantTx) error {
			return s.Versions().LockShared(ctx, "stage", []domain.AssetID{other.ID, asset.ID})
		}, map[string]marks{"local": {schema: true}, "stage": {schema: true, referenced: true}}},
		{"LockShared(stage) again", func(ctx context.Context, s ports.TenantTx) error {
			return s.Versions().LockShared(ctx, "stage", []domain.AssetID{asset.ID})
		}, map[string]marks{"local": {schema: true}, "stage": {schema: true, referenced: true}}},
		{"a head created with a schema", func(ctx context.Context, s ports.TenantTx) error {
			_, err := s.Versions().LockHead(ctx, asset.ID, "prod")
			return err
		}, map[string]marks{"prod": {schema: true}}},
		{"a head created while another asset references it", func(ctx context.Context, s ports.TenantTx) error {
			// A reference written before references were checked: the
			// asset has no head in qa yet.
			n, err := s.Versions().LockHead(ctx, other.ID, "qa")
			if err != nil {
				return err
			}
			snap := domain.Snapshot{"db": {"url": {Value: json.RawMessage(`"${marked/db.host}"`)}}}
			if err := s.Versions().Create(ctx, newVersion(tenant.ID, other.ID, "qa", n+1, snap)); err != nil {
				return err
			}
			_, err = s.Versions().LockHead(ctx, asset.ID, "qa")
			return err
		}, map[string]marks{"qa": {schema: true, referenced: true}}},
		{"Schemas.Delete", func(ctx context.Context, s ports.TenantTx) error { return s.Schemas().Delete(ctx, asset.ID) },
			map[string]marks{"local": {}, "stage": {referenced: true}, "prod": {}, "qa": {referenced: true}}},
	} {
		step(t, c.name, c.fn, c.want)
	}

	t.Run("FirstWrite", func(t *testing.T) { testFirstWriteMarks(t, tx) })
	t.Run("FirstWriteRace", func(t *testing.T) { testFirstWriteRace(t, tx) })
	t.Run("OtherAssetUnmarked", func(t *testing.T) {
		MustInTenant(t, tx, tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
			target, err := s.Versions().LockCurrent(ctx, other.Slug, "local")
			if err != nil {
				return err
			}
			// No head yet: the long way creates it, from the data (no
			// schema, no reference in local).
			if target.MayHaveSchema || target.MayBeReferenced {
				t.Errorf("LockCurrent without a head marks = %v, %v; want false, false", target.MayHaveSchema, target.MayBeReferenced)
			}
			target, err = s.Versions().LockCurrent(ctx, other.Slug, "stage")
			if err != nil {
				return err
			}
			// LockShared marked other's stage head too; it has no schema.
			if target.MayHaveSchema || !target.MayBeReferenced {
				t.Errorf("LockCurrent(other, stage) marks = %v, %v; want false, true", target.MayHaveSchema, target.MayBeReferenced)
			}
			return nil
		})
	})
}

// testFirstWriteMarks checks the marks of LockCurrent on pairs without a
// head (an environment's first write, the long way): those of the head it
// creates, from the data, which the one-statement way then reads again.
func testFirstWriteMarks(t *testing.T, tx ports.Transactor) {
	tenant := NewTenant(t, tx)
	withSchema := NewAsset(t, tx, tenant.ID, "first-schema")
	referenced := NewAsset(t, tx, tenant.ID, "first-referenced")
	plain := NewAsset(t, tx, tenant.ID, "first-plain")
	source := NewAsset(t, tx, tenant.ID, "first-source")
	MustInTenant(t, tx, tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
		if err := s.Schemas().Put(ctx, domain.AssetSchema{AssetID: withSchema.ID, Schema: json.RawMessage(`{"type":"object"}`), UpdatedAt: at(80)}); err != nil {
			return err
		}
		// A reference written before references were checked: the
		// referenced asset has no head in local.
		n, err := s.Versions().LockHead(ctx, source.ID, "local")
		if err != nil {
			return err
		}
		snap := domain.Snapshot{"db": {"url": {Value: json.RawMessage(`"${first-referenced/db.host}"`)}}}
		return s.Versions().Create(ctx, newVersion(tenant.ID, source.ID, "local", n+1, snap))
	})
	for _, c := range []struct {
		asset              domain.Asset
		env                string
		schema, referenced bool
	}{
		{withSchema, "local", true, false},
		{referenced, "local", false, true},
		{referenced, "stage", false, false},
		{plain, "local", false, false},
	} {
		t.Run(c.asset.Slug+"@"+c.env, func(t *testing.T) {
			for _, way := range []string{"first (creates the head)", "again (the head exists)"} {
				MustInTenant(t, tx, tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
					target, err := s.Versions().LockCurrent(ctx, c.asset.Slug, c.env)
					if err != nil {
						return err
					}
					if target.Current.Number != 0 || target.MayHaveSchema != c.schema || target.MayBeReferenced != c.referenced {
						t.Errorf("%s: LockCurrent = version %d, marks %v, %v; want 0, %v, %v", way,
							target.Current.Number, target.MayHaveSchema, target.MayBeReferenced, c.schema, c.referenced)
					}
					return nil
				})
			}
		})
	}
}

// testFirstWriteRace races, for 30 rounds, an environment's first write
// (LockCurrent creating the head) with a schema's put (LockHead, then
// Schemas.Put, which marks the head): whichever takes the head first, the
// first write's MayHaveSchema must be set when the schema that the write
// then reads under the head's lock exists, so the marks come from the
// head's newest row, not from what the data said before the lock.
func testFirstWriteRace(t *testing.T, tx ports.Transactor) {
	tenant := NewTenant(t, tx)
	for round := range 30 {
		asset := NewAsset(t, tx, tenant.ID, fmt.Sprintf("first-race-%d", round))
		var wg sync.WaitGroup
		errs := make([]error, 2)
		wg.Go(func() {
			errs[0] = tx.InTenant(t.Context(), tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
				if _, err := s.Versions().LockHead(ctx, asset.ID, "prod"); err != nil {
					return err
				}
				return s.Schemas().Put(ctx, domain.AssetSchema{AssetID: asset.ID, Schema: json.RawMessage(`{"type":"object"}`), UpdatedAt: at(90)})
			})
		})
		wg.Go(func() {
			errs[1] = tx.InTenant(t.Context(), tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
				target, err := s.Versions().LockCurrent(ctx, asset.Slug, "prod")
				if err != nil {
					return err
				}
				_, err = s.Schemas().Get(ctx, asset.ID)
				switch {
				case err == nil && !target.MayHaveSchema:
					return fmt.Errorf("round %d: the asset has a schema under the head's lock, but LockCurrent's MayHaveSchema is false", round)
				case domain.IsKind(err, domain.KindSchemaNotFound):
					return nil
				}
				return err
			})
		})
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
}

// MarkedHeads writes what an older release could have written (versions
// referencing other assets, a schema) and returns a check that every head's
// marks say what that data says: for a test that migrates the database
// below the marks and up again, which must mark the existing heads from
// their data.
func MarkedHeads(t *testing.T, tx ports.Transactor) (check func(t *testing.T)) {
	t.Helper()
	tenant := NewTenant(t, tx)
	hub := NewAsset(t, tx, tenant.ID, "hub")
	spoke := NewAsset(t, tx, tenant.ID, "spoke")
	plain := NewAsset(t, tx, tenant.ID, "plain")
	raw := func(s string) domain.Snapshot {
		return domain.Snapshot{"db": {"host": {Value: json.RawMessage(s)}}}
	}
	MustInTenant(t, tx, tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
		for _, v := range []struct {
			asset domain.Asset
			env   string
			snap  domain.Snapshot
		}{
			{hub, "stage", raw(`"h"`)},
			{hub, "local", raw(`"${hub/db.port}"`)}, // its own name: no other asset's
			{spoke, "stage", raw(`"pg://${hub/db.host}"`)},
			{spoke, "local", raw(`"${hub/db.host}"`)},
			{spoke, "local", raw(`"no longer"`)}, // the current version has none
			{plain, "stage", raw(`"${hubless/db.host}"`)},
		} {
			n, err := s.Versions().LockHead(ctx, v.asset.ID, v.env)
			if err != nil {
				return err
			}
			if err := s.Versions().Create(ctx, newVersion(tenant.ID, v.asset.ID, v.env, n+1, v.snap)); err != nil {
				return err
			}
		}
		return s.Schemas().Put(ctx, domain.AssetSchema{AssetID: hub.ID, Schema: json.RawMessage(`{"type":"object"}`), UpdatedAt: at(60)})
	})
	return func(t *testing.T) {
		t.Helper()
		type marks struct{ schema, referenced bool }
		want := map[string]marks{
			"hub@stage": {true, true}, "hub@local": {true, false},
			"spoke@stage": {false, false}, "spoke@local": {false, false},
			"plain@stage": {false, false},
		}
		MustInTenant(t, tx, tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
			for _, a := range []domain.Asset{hub, spoke, plain} {
				for _, env := range []string{"local", "stage"} {
					w, ok := want[a.Slug+"@"+env]
					if !ok {
						continue
					}
					target, err := s.Versions().LockCurrent(ctx, a.Slug, env)
					if err != nil {
						return err
					}
					if got := (marks{target.MayHaveSchema, target.MayBeReferenced}); got != w {
						t.Errorf("%s@%s marks = %+v, want %+v", a.Slug, env, got, w)
					}
				}
			}
			return nil
		})
	}
}

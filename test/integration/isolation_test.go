package integration

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/configmat/configmat/adapters/postgres"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
	"github.com/configmat/configmat/test/pgtest"
)

// plantedRows insert one row into each tenant-owned table for the tenant $1
// (with $2 an existing asset of the server, used where a row needs one).
var plantedRows = map[string]string{
	"tenants": `INSERT INTO tenants (id, slug, name, data_key_id, data_key, created_at)
		SELECT gen_random_uuid(), 'planted-' || md5(random()::text), 'Planted', 'k', '\x00', now()
		WHERE $1::uuid IS NOT NULL AND $2::uuid IS NOT NULL`,
	"memberships": `INSERT INTO memberships (tenant_id, user_id, role, created_at)
		SELECT $1, id, 'owner', now() FROM users WHERE $2::uuid IS NOT NULL LIMIT 1`,
	"environments":  `INSERT INTO environments (tenant_id, name, position, created_at) SELECT $1, 'planted', 99, now() WHERE $2::uuid IS NOT NULL`,
	"assets":        `INSERT INTO assets (id, tenant_id, slug, name, description, created_at, updated_at) SELECT gen_random_uuid(), $1, 'planted', 'P', '', now(), now() WHERE $2::uuid IS NOT NULL`,
	"version_heads": `INSERT INTO version_heads (tenant_id, asset_id, environment, current_version) VALUES ($1, $2, 'prod', 0)`,
	"versions": `INSERT INTO versions (tenant_id, asset_id, environment, number, created_at, created_by, message, source, snapshot)
		VALUES ($1, $2, 'prod', 99, now(), 'planted', 'planted', 'edit', '{}')`,
	"api_keys": `INSERT INTO api_keys (id, tenant_id, name, prefix, digest, created_at, created_by)
		SELECT gen_random_uuid(), $1, 'planted', 'cmk_planted', '\xdead', now(), 'planted' WHERE $2::uuid IS NOT NULL`,
	"audit_entries": `INSERT INTO audit_entries (tenant_id, seq, action, actor, target, details, created_at, previous_hash, hash)
		SELECT $1, 999, 'planted', 'planted', 'planted', '{}', now(), 'p', 'h' WHERE $2::uuid IS NOT NULL`,
	"audit_heads": `INSERT INTO audit_heads (tenant_id, seq, hash) SELECT $1, 0, 'h' WHERE $2::uuid IS NOT NULL`,
}

// tenantColumn is the column naming each tenant-owned table's tenant.
func tenantColumn(table string) string {
	if table == "tenants" {
		return "id"
	}
	return "tenant_id"
}

// wantRLSRefusal fails t unless err is PostgreSQL refusing a row by its
// row-level security policy.
func wantRLSRefusal(t *testing.T, err error) {
	t.Helper()
	pqErr := pq.As(err)
	if pqErr == nil || pqErr.Code != "42501" || !strings.Contains(pqErr.Message, "row-level security") {
		t.Fatalf("error = %v, want a row-level security refusal (42501)", err)
	}
}

// assetOf returns the ID of one of tenant's assets, read as the superuser.
func assetOf(t *testing.T, db *pgtest.DB, tenant domain.TenantID) string {
	t.Helper()
	var id string
	if err := db.Admin(t).GetContext(t.Context(), &id, `SELECT id FROM assets WHERE tenant_id = $1 LIMIT 1`, tenant); err != nil {
		t.Fatalf("asset of %s: %v", tenant, err)
	}
	return id
}

// inRawTenant runs fn in a raw transaction of the application role bound to
// tenant as the adapter binds it, and rolls it back.
func inRawTenant(t *testing.T, app *sqlx.DB, tenant domain.TenantID, fn func(tx *sqlx.Tx) error) error {
	t.Helper()
	tx, err := app.BeginTxx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(t.Context(), `SELECT set_config('app.current_tenant', $1, true)`, tenant); err != nil {
		t.Fatal(err)
	}
	return fn(tx)
}

func TestIsolation(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	c := newCore(t, db.Store(t))
	a := seedTenant(t, db, c, "alpha")
	b := seedTenant(t, db, c, "bravo")
	app := db.App(t)
	assetA, assetB := assetOf(t, db, a.TenantID), assetOf(t, db, b.TenantID)

	t.Run("NoTenantSeesNoRows", func(t *testing.T) {
		admin := db.Admin(t)
		for _, table := range tenantOwnedTables {
			t.Run(table, func(t *testing.T) {
				var all, visible int
				if err := admin.GetContext(t.Context(), &all, `SELECT count(*) FROM `+table); err != nil {
					t.Fatal(err)
				}
				if err := app.GetContext(t.Context(), &visible, `SELECT count(*) FROM `+table); err != nil {
					t.Fatal(err)
				}
				if all == 0 || visible != 0 {
					t.Errorf("%s: the application role sees %d of %d rows without a tenant, want 0 of some", table, visible, all)
				}
			})
		}
	})

	t.Run("NoTenantInsertsNothing", func(t *testing.T) {
		for _, table := range tenantOwnedTables {
			t.Run(table, func(t *testing.T) {
				_, err := app.ExecContext(t.Context(), plantedRows[table], a.TenantID, assetA)
				wantRLSRefusal(t, err)
			})
		}
	})

	t.Run("QueryWithoutWhereSeesOnlyBoundTenant", func(t *testing.T) {
		for _, table := range tenantOwnedTables {
			t.Run(table, func(t *testing.T) {
				var tenants []string
				err := inRawTenant(t, app, a.TenantID, func(tx *sqlx.Tx) error {
					return tx.SelectContext(t.Context(), &tenants, `SELECT `+tenantColumn(table)+`::text FROM `+table)
				})
				if err != nil {
					t.Fatal(err)
				}
				if len(tenants) == 0 {
					t.Fatalf("%s: tenant A sees none of its own rows", table)
				}
				for _, tenant := range tenants {
					if tenant != string(a.TenantID) {
						t.Fatalf("%s: tenant A sees a row of tenant %s", table, tenant)
					}
				}
			})
		}
	})

	t.Run("InsertIntoOtherTenantRefused", func(t *testing.T) {
		for _, table := range tenantOwnedTables {
			t.Run(table, func(t *testing.T) {
				err := inRawTenant(t, app, a.TenantID, func(tx *sqlx.Tx) error {
					_, err := tx.ExecContext(t.Context(), plantedRows[table], b.TenantID, assetB)
					return err
				})
				wantRLSRefusal(t, err)
			})
		}
	})

	t.Run("UpdateIntoOtherTenantRefused", func(t *testing.T) {
		err := inRawTenant(t, app, a.TenantID, func(tx *sqlx.Tx) error {
			_, err := tx.ExecContext(t.Context(), `UPDATE assets SET tenant_id = $1`, b.TenantID)
			return err
		})
		wantRLSRefusal(t, err)
	})

	t.Run("OtherTenantsRowsCannotBeChanged", func(t *testing.T) {
		for name, stmt := range map[string]string{
			"update": `UPDATE assets SET name = 'hijacked' WHERE id = $1`,
			"delete": `DELETE FROM assets WHERE id = $1`,
		} {
			t.Run(name, func(t *testing.T) {
				err := inRawTenant(t, app, a.TenantID, func(tx *sqlx.Tx) error {
					res, err := tx.ExecContext(t.Context(), stmt, assetB)
					if err != nil {
						return err
					}
					if n, _ := res.RowsAffected(); n != 0 {
						t.Errorf("%s reached %d of tenant B's rows", name, n)
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			})
		}
	})

	t.Run("SettingIsTransactionLocal", func(t *testing.T) {
		one := pgtest.Connect(t, db.AppURL)
		one.SetMaxOpenConns(1)
		if err := inRawTenant(t, one, a.TenantID, func(*sqlx.Tx) error { return nil }); err != nil {
			t.Fatal(err)
		}
		var visible int
		if err := one.GetContext(t.Context(), &visible, `SELECT count(*) FROM assets`); err != nil {
			t.Fatal(err)
		}
		if visible != 0 {
			t.Errorf("after a bound transaction, the same connection sees %d assets without a tenant", visible)
		}
	})

	t.Run("AlternatingTenantsOnOneConnection", func(t *testing.T) {
		store := db.Store(t, func(c *postgres.Config) { c.PoolSize, c.MaxOverflow = 1, 0 })
		for i := range 1000 {
			tenant := []domain.TenantID{a.TenantID, b.TenantID}[i%2]
			err := store.InTenant(t.Context(), tenant, func(ctx context.Context, s ports.TenantTx) error {
				return checkOnlyOwnRows(ctx, s, tenant)
			})
			if err != nil {
				t.Fatalf("transaction %d for %s: %v", i, tenant, err)
			}
		}
		if open := store.Stats().MaxOpenConnections; open != 1 {
			t.Fatalf("max open connections = %d, want 1", open)
		}
	})

	t.Run("InjectedTenantIDRefusedBeforeSQL", func(t *testing.T) {
		admin := db.Admin(t)
		before := tableDigests(t, admin)
		for _, id := range []domain.TenantID{"'; DROP TABLE users; --", "00000000-0000-0000-0000-000000000000'; DROP TABLE users; --"} {
			called := false
			err := db.Store(t).InTenant(t.Context(), id, func(context.Context, ports.TenantTx) error {
				called = true
				return nil
			})
			if !domain.IsKind(err, domain.KindInvalid) || called {
				t.Errorf("InTenant(%q) = %v (fn called: %v), want VALIDATION_ERROR before fn", id, err, called)
			}
		}
		var users *string
		if err := admin.GetContext(t.Context(), &users, `SELECT to_regclass('users')::text`); err != nil || users == nil {
			t.Fatalf("the users table is gone (%v)", err)
		}
		wantSameTables(t, before, tableDigests(t, admin))
	})
}

// errForeignRow reports a row of another tenant seen by a bound transaction.
var errForeignRow = errors.New("a row of another tenant is visible")

// checkOnlyOwnRows reads the bound tenant's tenant row, assets, environments,
// members, API keys and audit chain, and fails on any row of another tenant.
func checkOnlyOwnRows(ctx context.Context, s ports.TenantTx, tenant domain.TenantID) error {
	own, err := s.Tenants().Get(ctx)
	if err != nil {
		return err
	}
	if own.ID != tenant {
		return errForeignRow
	}
	assets, _, err := s.Assets().List(ctx, domain.Page{Limit: 50})
	if err != nil {
		return err
	}
	if len(assets) != 1 || !strings.HasPrefix(assets[0].Slug, own.Slug[:5]) {
		return errForeignRow
	}
	entries, err := s.Audit().List(ctx, 0, 100)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.TenantID != tenant {
			return errForeignRow
		}
	}
	keys, err := s.APIKeys().List(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.TenantID != tenant || !strings.HasPrefix(k.Name, own.Slug[:5]) {
			return errForeignRow
		}
	}
	return nil
}

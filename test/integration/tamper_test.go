package integration

import (
	"context"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/configmat/configmat/core"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
	"github.com/configmat/configmat/test/pgtest"
)

// buildChain gives a new tenant a chain of its creation entry plus four
// appended entries, checks that it verifies and returns the owner actor.
func buildChain(t *testing.T, c *core.Core, tx ports.Transactor) domain.Actor {
	t.Helper()
	actor := newTenant(t, c, "tamper")
	for i := range 4 {
		err := tx.InTenant(t.Context(), actor.TenantID, func(ctx context.Context, s ports.TenantTx) error {
			return c.AuditLog.Append(ctx, s.Audit(), actor, domain.ActionAssetCreated, "asset:a", map[string]any{"index": i})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	v, err := c.Audit.Verify(t.Context(), actor)
	if err != nil || !v.Valid || v.Entries < 5 {
		t.Fatalf("untampered chain: Verify = %+v, %v; want valid with at least 5 entries", v, err)
	}
	return actor
}

func TestAuditTamperingIsDetected(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	store := db.Store(t)
	c := newCore(t, store)
	owner := db.Owner(t)
	cases := []struct {
		name    string
		sql     string
		invalid int64
	}{
		{"UpdateDetails", `UPDATE audit_entries SET details = '{"index": 99}' WHERE tenant_id = $1 AND seq = 3`, 3},
		{"DeleteMiddleEntry", `DELETE FROM audit_entries WHERE tenant_id = $1 AND seq = 3`, 3},
		{"SwapEntries", `
			UPDATE audit_entries AS e SET
				action = o.action, actor = o.actor, target = o.target, details = o.details,
				created_at = o.created_at, previous_hash = o.previous_hash, hash = o.hash
			FROM audit_entries AS o
			WHERE e.tenant_id = $1 AND o.tenant_id = $1
			  AND ((e.seq = 2 AND o.seq = 4) OR (e.seq = 4 AND o.seq = 2))`, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			actor := buildChain(t, c, store)
			tamperAsOwner(t, owner, actor.TenantID, tc.sql)
			v, err := c.Audit.Verify(t.Context(), actor)
			if err != nil {
				t.Fatal(err)
			}
			if v.Valid || v.FirstInvalidSeq != tc.invalid {
				t.Errorf("Verify after tampering = %+v, want invalid at seq %d", v, tc.invalid)
			}
		})
	}
}

// tamperAsOwner runs stmt (with $1 the tenant) and commits, as the tables'
// owner in a transaction bound to tenant: the owner has no BYPASSRLS, so an
// attacker holding its credentials binds the tenant like the service does.
func tamperAsOwner(t *testing.T, owner *sqlx.DB, tenant domain.TenantID, stmt string) {
	t.Helper()
	tx, err := owner.BeginTxx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(t.Context(), `SELECT set_config('app.current_tenant', $1, true)`, tenant); err != nil {
		t.Fatal(err)
	}
	res, err := tx.ExecContext(t.Context(), stmt, tenant)
	if err != nil {
		t.Fatalf("tampering as the owner: %v", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		t.Fatal("tampering changed no row")
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func TestAuditIsAppendOnlyForTheApplication(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	c := newCore(t, db.Store(t))
	actor := newTenant(t, c, "append")
	app := db.App(t)
	for name, stmt := range map[string]string{
		"UpdateAuditEntry": `UPDATE audit_entries SET details = '{}' WHERE seq = 1`,
		"DeleteAuditEntry": `DELETE FROM audit_entries WHERE seq = 1`,
		"UpdateVersion":    `UPDATE versions SET message = 'rewritten'`,
		"DeleteVersion":    `DELETE FROM versions`,
	} {
		t.Run(name, func(t *testing.T) {
			tx, err := app.BeginTxx(t.Context(), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = tx.Rollback() }()
			if _, err := tx.ExecContext(t.Context(), `SELECT set_config('app.current_tenant', $1, true)`, actor.TenantID); err != nil {
				t.Fatal(err)
			}
			_, err = tx.ExecContext(t.Context(), stmt)
			if pqErr := pq.As(err); pqErr == nil || pqErr.Code != "42501" {
				t.Fatalf("error = %v, want permission denied (42501)", err)
			}
		})
	}
}

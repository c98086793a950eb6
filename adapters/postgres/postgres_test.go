package postgres_test

import (
	"sync"
	"testing"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
	"github.com/configmat/configmat/ports/porttest"
	"github.com/configmat/configmat/test/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestConformance runs the shared store suite against a fresh database per
// case, connected as the application role.
func TestConformance(t *testing.T) {
	var mu sync.Mutex
	databases := map[ports.Transactor]*pgtest.DB{}
	open := func(t *testing.T) ports.Transactor {
		db := pgtest.New(t).Fresh(t)
		s := db.Store(t)
		mu.Lock()
		databases[s] = db
		mu.Unlock()
		return s
	}
	porttest.Run(t, open, porttest.Options{Tamper: func(t *testing.T, s ports.Transactor) porttest.Tamperer {
		mu.Lock()
		defer mu.Unlock()
		return ownerTamperer{db: databases[s]}
	}})
}

// ownerTamperer edits audit entries as the tables' owner, as an attacker
// holding the owner's credentials would. The owner has no BYPASSRLS: like the
// service, it binds its transaction to the tenant it tampers with.
type ownerTamperer struct {
	db *pgtest.DB
}

func (o ownerTamperer) exec(t *testing.T, tenant domain.TenantID, query string, args ...any) {
	t.Helper()
	tx, err := o.db.Owner(t).BeginTxx(t.Context(), nil)
	if err != nil {
		t.Fatalf("tamper: %v", err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(t.Context(), `SELECT set_config('app.current_tenant', $1, true)`, tenant); err != nil {
		t.Fatalf("tamper: %v", err)
	}
	res, err := tx.ExecContext(t.Context(), query, append([]any{tenant}, args...)...)
	if err != nil {
		t.Fatalf("tamper: %v", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		t.Fatal("tamper: no row changed")
	}
	if err := tx.Commit(); err != nil {
		t.Fatalf("tamper: %v", err)
	}
}

// UpdateAuditDetails overwrites one entry's details.
func (o ownerTamperer) UpdateAuditDetails(t *testing.T, tenant domain.TenantID, seq int64, details string) {
	o.exec(t, tenant, `UPDATE audit_entries SET details = $3 WHERE tenant_id = $1 AND seq = $2`, seq, details)
}

// DeleteAuditEntry deletes one entry.
func (o ownerTamperer) DeleteAuditEntry(t *testing.T, tenant domain.TenantID, seq int64) {
	o.exec(t, tenant, `DELETE FROM audit_entries WHERE tenant_id = $1 AND seq = $2`, seq)
}

// SwapAuditEntries exchanges every column but seq of two entries.
func (o ownerTamperer) SwapAuditEntries(t *testing.T, tenant domain.TenantID, seqA, seqB int64) {
	o.exec(t, tenant, `
		UPDATE audit_entries AS e SET
			action = o.action, actor = o.actor, target = o.target, details = o.details,
			created_at = o.created_at, previous_hash = o.previous_hash, hash = o.hash
		FROM audit_entries AS o
		WHERE e.tenant_id = $1 AND o.tenant_id = $1
		  AND ((e.seq = $2 AND o.seq = $3) OR (e.seq = $3 AND o.seq = $2))`, seqA, seqB)
}

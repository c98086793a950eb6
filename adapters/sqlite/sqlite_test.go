package sqlite

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
	"github.com/configmat/configmat/ports/porttest"
)

// openTest opens a fresh store in a temporary directory, closed at cleanup.
func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "configmat.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	porttest.Run(t, func(t *testing.T) ports.Transactor { return openTest(t) }, porttest.Options{
		Tamper: func(t *testing.T, s ports.Transactor) porttest.Tamperer { return tamperer{s.(*Store)} },
	})
}

// tamperer edits audit entries with raw SQL, as an attacker with the file would.
type tamperer struct{ s *Store }

func (tm tamperer) exec(t *testing.T, query string, args ...any) {
	t.Helper()
	res, err := tm.s.db.ExecContext(t.Context(), query, args...)
	if err != nil {
		t.Fatalf("tamper: %v", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		t.Fatalf("tamper changed %d rows (%v)", n, err)
	}
}

func (tm tamperer) UpdateAuditDetails(t *testing.T, tenant domain.TenantID, seq int64, details string) {
	tm.exec(t, `UPDATE audit_entries SET details = ? WHERE tenant_id = ? AND seq = ?`, details, string(tenant), seq)
}

func (tm tamperer) DeleteAuditEntry(t *testing.T, tenant domain.TenantID, seq int64) {
	tm.exec(t, `DELETE FROM audit_entries WHERE tenant_id = ? AND seq = ?`, string(tenant), seq)
}

func (tm tamperer) SwapAuditEntries(t *testing.T, tenant domain.TenantID, seqA, seqB int64) {
	// Parking a at an unused seq first keeps the primary key unique throughout.
	const parked = math.MaxInt64
	tm.exec(t, `UPDATE audit_entries SET seq = ? WHERE tenant_id = ? AND seq = ?`, parked, string(tenant), seqA)
	tm.exec(t, `UPDATE audit_entries SET seq = ? WHERE tenant_id = ? AND seq = ?`, seqA, string(tenant), seqB)
	tm.exec(t, `UPDATE audit_entries SET seq = ? WHERE tenant_id = ? AND seq = ?`, seqB, string(tenant), parked)
}

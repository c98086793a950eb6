package porttest

import (
	"context"
	"testing"

	"github.com/configmat/configmat/core/audit"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// chainLength is the number of entries each tamper case starts from.
const chainLength = 5

// buildChain appends chainLength entries to a new tenant's chain through the
// audit log, checks that it verifies, and returns the tenant.
func buildChain(t *testing.T, tx ports.Transactor) domain.TenantID {
	t.Helper()
	tenant := NewTenant(t, tx).ID
	log := audit.NewLog(audit.Deps{Clock: ports.SystemClock{}})
	actor := domain.SystemActor(tenant)
	for i := range chainLength {
		MustInTenant(t, tx, tenant, func(ctx context.Context, s ports.TenantTx) error {
			return log.Append(ctx, s.Audit(), actor, domain.ActionAssetCreated, "asset:a", map[string]any{"index": i, "slug": "a"})
		})
	}
	v, err := audit.NewService(audit.Deps{Tx: tx}).Verify(t.Context(), actor)
	mustNot(t, err)
	if !v.Valid || v.Entries != chainLength {
		t.Fatalf("untampered chain: Verify = %+v, want valid with %d entries", v, chainLength)
	}
	return tenant
}

func testTamper(t *testing.T, open Opener, tamper func(t *testing.T, store ports.Transactor) Tamperer) {
	if tamper == nil {
		t.Skip("porttest: Options.Tamper not set; tamper detection not exercised")
	}
	cases := []struct {
		name    string
		edit    func(t *testing.T, tm Tamperer, tenant domain.TenantID)
		invalid int64
	}{
		{"UpdateDetails", func(t *testing.T, tm Tamperer, tenant domain.TenantID) {
			tm.UpdateAuditDetails(t, tenant, 3, `{"index":2,"slug":"b"}`)
		}, 3},
		{"DeleteEntry", func(t *testing.T, tm Tamperer, tenant domain.TenantID) { tm.DeleteAuditEntry(t, tenant, 3) }, 3},
		{"SwapEntries", func(t *testing.T, tm Tamperer, tenant domain.TenantID) { tm.SwapAuditEntries(t, tenant, 2, 4) }, 2},
		{"DeleteNewestEntry", func(t *testing.T, tm Tamperer, tenant domain.TenantID) {
			tm.DeleteAuditEntry(t, tenant, chainLength)
		}, chainLength},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tx := open(t)
			tenant := buildChain(t, tx)
			c.edit(t, tamper(t, tx), tenant)
			v, err := audit.NewService(audit.Deps{Tx: tx}).Verify(t.Context(), domain.SystemActor(tenant))
			mustNot(t, err)
			if v.Valid || v.FirstInvalidSeq != c.invalid {
				t.Errorf("Verify after tampering = %+v, want invalid at seq %d", v, c.invalid)
			}
		})
	}
}

package porttest

import (
	"testing"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// Opener returns a fresh, migrated, empty store for one test; it registers
// the store's cleanup with t.Cleanup and fails t when the store cannot open.
type Opener func(t *testing.T) ports.Transactor

// Tamperer edits a store's audit entries behind its stores' back, as an
// attacker with write access to the database would. Each method fails t when
// the edit cannot be made.
type Tamperer interface {
	// UpdateAuditDetails overwrites the details of the tenant's entry seq.
	UpdateAuditDetails(t *testing.T, tenant domain.TenantID, seq int64, details string)
	// DeleteAuditEntry deletes the tenant's entry seq.
	DeleteAuditEntry(t *testing.T, tenant domain.TenantID, seq int64)
	// SwapAuditEntries exchanges every column but the sequence number of the
	// tenant's entries seqA and seqB.
	SwapAuditEntries(t *testing.T, tenant domain.TenantID, seqA, seqB int64)
}

// Options enable the optional parts of the suite.
type Options struct {
	// Tamper returns a Tamperer over store, a store just returned by the
	// Opener. When nil, the tamper-detection cases are skipped.
	Tamper func(t *testing.T, store ports.Transactor) Tamperer
}

// Run runs the whole suite against the stores open returns. At most one
// Options may be given.
func Run(t *testing.T, open Opener, opts ...Options) {
	t.Helper()
	if len(opts) > 1 {
		t.Fatalf("porttest.Run takes at most one Options, got %d", len(opts))
	}
	var o Options
	if len(opts) == 1 {
		o = opts[0]
	}
	cases := []struct {
		name string
		run  func(t *testing.T, open Opener)
	}{
		{"Users", testUsers},
		{"Tokens", testTokens},
		{"Directory", testDirectory},
		{"Tenants", testTenants},
		{"Environments", testEnvironments},
		{"Assets", testAssets},
		{"Schemas", testSchemas},
		{"ReferenceReads", testReferenceReads},
		{"HeadMarks", testHeadMarks},
		{"LockForDelete", testLockForDelete},
		{"Versions", testVersions},
		{"Members", testMembers},
		{"APIKeys", testAPIKeys},
		{"Audit", testAudit},
		{"Checkpoints", testCheckpoints},
		{"DataKeys", testDataKeys},
		{"Reads", testReads},
		{"Changes", testChanges},
		{"Transactions", testTransactions},
		{"Errors", testErrors},
		{"EmptyValues", testEmptyValues},
		{"Isolation", testIsolation},
		{"Concurrency", testConcurrency},
		{"DeleteRace", testDeleteRace},
		{"Tamper", func(t *testing.T, open Opener) { testTamper(t, open, o.Tamper) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, open) })
	}
}

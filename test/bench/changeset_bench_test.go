package bench

import (
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/configmat/configmat/core"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/test/pgtest"
)

// Shape of the change-set benchmarks (issue 10's acceptance): change sets of
// two keys, one of them a secret, on assets of changeSetAssetKeys keys, by
// one writer or by changeSetWriters concurrent ones.
const (
	changeSetWriters   = 8
	changeSetAssetKeys = 41
	// changeSetHistory is how many change sets every target has before
	// the cases run, so that they measure a database with a past (versions,
	// audit entries, dead row versions of the heads), as a deployment has,
	// not a fresh one, and do not speed up or slow down with -count.
	changeSetHistory = 250
)

// changeSetTarget is where one writer writes: its tenant and asset.
type changeSetTarget struct {
	owner domain.Actor
	slug  string
}

// BenchmarkChangeSet measures catalog.Service.ApplyChangeSet on the core
// wired as cmd/configmat wires it (read cache and change feed included):
// each change set writes one plain value and one secret of an asset of 41
// keys (two of them secrets) as its environment's next version, with its audit entry. Cases: one
// writer; eight concurrent writers on assets of their own in one tenant (the
// tenant's audit chain serializes their commits); eight writers on eight
// tenants (nothing shared but the database's group commit); eight writers
// on one asset (its version head serializes them from the start). Every
// target has changeSetHistory change sets before the first case.
//
// Reported per change set: sql/op, the statements sent (exact, PostgreSQL's
// counting driver); cpu-µs/op, the benchmark process's CPU time (core, store
// client and the closed-loop load alike); pg-cpu-µs/op, the CPU time of the
// database's server processes, when the server runs on this machine; and
// the throughput in changesets/s with its p50/p99 latencies. After every
// run each tenant's audit chain is verified, and the benchmark fails if one
// is broken.
func BenchmarkChangeSet(b *testing.B) {
	b.Run("postgres", func(b *testing.B) {
		store, counter, db := openPostgresDB(b)
		benchChangeSetCases(b, store, counter, newBackendCPU(b, db))
	})
	b.Run("sqlite", func(b *testing.B) {
		store, _ := openSQLite(b)
		benchChangeSetCases(b, store, nil, nil)
	})
}

// benchChangeSetCases runs the change-set cases on store.
func benchChangeSetCases(b *testing.B, store feedStore, counter *pgtest.Counter, server *backendCPU) {
	c := newCachedStack(b, store, newKEK(b)).core
	owner := newTenant(b, c)
	assetEach := make([]changeSetTarget, changeSetWriters)
	tenantEach := make([]changeSetTarget, changeSetWriters)
	for i := range changeSetWriters {
		assetEach[i] = changeSetTarget{owner: owner, slug: fmt.Sprintf("writer-%d", i)}
		newAsset(b, c, owner, assetEach[i].slug, changeSetAssetKeys)
		tenantEach[i] = changeSetTarget{owner: owner, slug: assetEach[i].slug}
		if i > 0 {
			tenantEach[i] = changeSetTarget{owner: newTenant(b, c), slug: "tenant-writer"}
			newAsset(b, c, tenantEach[i].owner, tenantEach[i].slug, changeSetAssetKeys)
		}
	}
	writeHistory(b, c, append(assetEach, tenantEach[1:]...))
	run := func(targets []changeSetTarget, writers int) func(*testing.B) {
		return func(b *testing.B) { benchChangeSets(b, c, targets, writers, counter, server) }
	}
	b.Run("writers=1", run(assetEach[:1], 1))
	b.Run(fmt.Sprintf("writers=%d", changeSetWriters), func(b *testing.B) {
		b.Run("asset-each", run(assetEach, changeSetWriters))
		b.Run("tenant-each", run(tenantEach, changeSetWriters))
		b.Run("same-asset", run(assetEach[:1], changeSetWriters))
	})
}

// writeHistory gives each target changeSetHistory change sets, written by
// changeSetWriters concurrent writers, untimed.
func writeHistory(b *testing.B, c *core.Core, targets []changeSetTarget) {
	b.Helper()
	load{workers: changeSetWriters}.measure(b, changeSetHistory*len(targets), func(_, i int) error {
		t := targets[i%len(targets)]
		_, err := c.Catalog.ApplyChangeSet(b.Context(), t.owner, t.slug, benchEnvironment, benchChange(i))
		return err
	})
}

// benchChangeSets applies b.N change sets with writers concurrent writers,
// writer w writing to targets[w % len(targets)], then verifies the audit
// chain of every tenant written to.
func benchChangeSets(b *testing.B, c *core.Core, targets []changeSetTarget, writers int, counter *pgtest.Counter, server *backendCPU) {
	if counter != nil {
		counter.Reset()
	}
	serverStart := server.sample(b)
	r := load{workers: writers}.run(b, func(w, i int) error {
		t := targets[w%len(targets)]
		_, err := c.Catalog.ApplyChangeSet(b.Context(), t.owner, t.slug, benchEnvironment, benchChange(i))
		return err
	})
	r.report(b, "changesets/s")
	r.reportStatements(b, counter)
	if server != nil {
		b.ReportMetric(micros(server.since(b, serverStart)/time.Duration(r.ops)), "pg-cpu-µs/op")
	}
	verified := map[domain.TenantID]bool{}
	for _, t := range targets {
		if verified[t.owner.TenantID] {
			continue
		}
		verified[t.owner.TenantID] = true
		v, err := c.Audit.Verify(b.Context(), t.owner)
		if err != nil {
			b.Fatalf("verify the audit chain of tenant %s: %v", t.owner.TenantID, err)
		}
		if !v.Valid {
			b.Fatalf("the audit chain of tenant %s is broken at seq %d: %s", t.owner.TenantID, v.FirstInvalidSeq, v.Reason)
		}
	}
}

// benchChange is the i-th change set: two keys of the seeded asset's first
// object, a secret (a rotated token) and a plain value (a counter), so that
// the asset keeps its changeSetAssetKeys keys.
func benchChange(i int) domain.ChangeSet {
	token := json.RawMessage(`"token-` + strconv.Itoa(i) + `"`)
	return domain.ChangeSet{
		Message: "benchmark change " + strconv.Itoa(i),
		Set: map[string]map[string]domain.Value{
			"object000": {
				"key0": {Value: token, Secret: true},
				"key9": {Value: json.RawMessage(strconv.Itoa(i))},
			},
		},
	}
}

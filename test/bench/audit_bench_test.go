package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/proof"

	"github.com/configmat/configmat/core/audit"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// auditWriters are the numbers of concurrent appenders measured.
var auditWriters = []int{1, 8}

// BenchmarkAuditAppend measures audit.Log.Append, each entry in its own
// transaction bound to the tenant, with one and eight concurrent appenders
// on one tenant's chain, without the Merkle tree and signed checkpoint
// (checkpoints=off, the cost before they existed) and with them (on, what
// the service runs): each on a tenant of its own. The chains are verified
// afterwards.
func BenchmarkAuditAppend(b *testing.B) {
	for _, kind := range storeKinds {
		b.Run(kind.name, func(b *testing.B) {
			store, counter := kind.open(b)
			c := newCore(b, store, newKEK(b))
			for _, mode := range []struct {
				name string
				log  *audit.Log
			}{
				{"checkpoints=off", audit.NewLog(audit.Deps{})},
				{"checkpoints=on", c.AuditLog},
			} {
				owner := newTenant(b, c)
				for _, writers := range auditWriters {
					b.Run(fmt.Sprintf("%s/writers=%d", mode.name, writers), func(b *testing.B) {
						if counter != nil {
							counter.Reset()
						}
						r := load{workers: writers}.run(b, func(w, i int) error {
							return appendEntry(b.Context(), store, mode.log, owner, w, i)
						})
						r.report(b, "appends/s")
						r.reportStatements(b, counter)
					})
				}
				v, err := c.Audit.Verify(b.Context(), owner)
				if err != nil {
					b.Fatalf("verify the chain: %v", err)
				}
				if !v.Valid {
					b.Fatalf("the appended chain is broken at seq %d: %s", v.FirstInvalidSeq, v.Reason)
				}
			}
		})
	}
}

// proofLogSize is the number of entries of the tenant whose proofs
// BenchmarkAuditProofs measures (the contract: under 50 ms at 100,000).
const proofLogSize = 100_000

// BenchmarkAuditProofs measures the audit service's inclusion and
// consistency proofs and its checkpoint for a tenant of proofLogSize
// entries, each call its own transaction, at positions spread over the log.
func BenchmarkAuditProofs(b *testing.B) {
	for _, kind := range storeKinds {
		b.Run(kind.name, func(b *testing.B) {
			store, _ := kind.open(b)
			c := newCore(b, store, newKEK(b))
			owner := newTenant(b, c)
			size := growLog(b, store, c.AuditLog, owner, proofLogSize)
			cp, err := c.Audit.Checkpoint(b.Context(), owner)
			if err != nil || cp.Size != size {
				b.Fatalf("checkpoint of the grown log: %d, %v", cp.Size, err)
			}
			b.Run("inclusion", func(b *testing.B) {
				for i := 0; b.Loop(); i++ {
					seq := 1 + int64(i*7919)%size
					p, err := c.Audit.Inclusion(b.Context(), owner, seq, size)
					if err != nil {
						b.Fatal(err)
					}
					if i == 0 {
						if err := proof.VerifyInclusion(audit.Hasher, uint64(seq-1), uint64(size), p.LeafHash, p.Proof, cp.RootHash); err != nil {
							b.Fatalf("the inclusion proof of %d does not verify: %v", seq, err)
						}
					}
				}
				wantUnder(b, proofBudget)
			})
			b.Run("consistency", func(b *testing.B) {
				early, err := c.Audit.Inclusion(b.Context(), owner, 1, 1)
				if err != nil {
					b.Fatal(err)
				}
				for i := 0; b.Loop(); i++ {
					from := 1 + int64(i*7919)%(size-1)
					p, err := c.Audit.Consistency(b.Context(), owner, from, size)
					if err != nil {
						b.Fatal(err)
					}
					if i == 0 && from == 1 {
						if err := proof.VerifyConsistency(audit.Hasher, 1, uint64(size), p.Proof, early.LeafHash, cp.RootHash); err != nil {
							b.Fatalf("the consistency proof from 1 does not verify: %v", err)
						}
					}
				}
				wantUnder(b, proofBudget)
			})
			b.Run("checkpoint", func(b *testing.B) {
				for b.Loop() {
					if _, err := c.Audit.Checkpoint(b.Context(), owner); err != nil {
						b.Fatal(err)
					}
				}
				wantUnder(b, proofBudget)
			})
		})
	}
}

// proofBudget is the contract's bound on a proof at proofLogSize entries.
const proofBudget = 50 * time.Millisecond

// wantUnder fails b when its operations took budget or more on average.
func wantUnder(b *testing.B, budget time.Duration) {
	b.Helper()
	if b.N > 0 {
		if per := b.Elapsed() / time.Duration(b.N); per >= budget {
			b.Errorf("%v per operation, the contract allows under %v", per, budget)
		}
	}
}

// growLog appends entries to owner's chain until it holds n, a thousand per
// transaction, and returns its size.
func growLog(b *testing.B, tx ports.Transactor, log *audit.Log, owner domain.Actor, n int) int64 {
	b.Helper()
	var size int64
	for size < int64(n) {
		err := tx.InTenant(b.Context(), owner.TenantID, func(ctx context.Context, st ports.TenantTx) error {
			seq, _, err := st.Audit().LockHead(ctx)
			if err != nil {
				return err
			}
			for i := seq; i < min(seq+1000, int64(n)); i++ {
				if err := log.Append(ctx, st.Audit(), owner, "benchmark.appended", "benchmark:proofs", map[string]any{"i": i}); err != nil {
					return err
				}
			}
			size = min(seq+1000, int64(n))
			return nil
		})
		if err != nil {
			b.Fatalf("grow the audit log: %v", err)
		}
	}
	return size
}

// appendEntry appends one entry in a transaction of its own.
func appendEntry(ctx context.Context, tx ports.Transactor, log *audit.Log, owner domain.Actor, writer, i int) error {
	return tx.InTenant(ctx, owner.TenantID, func(ctx context.Context, st ports.TenantTx) error {
		return log.Append(ctx, st.Audit(), owner, "benchmark.appended", "benchmark:audit", map[string]any{"writer": writer, "i": i})
	})
}

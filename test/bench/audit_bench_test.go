package bench

import (
	"context"
	"fmt"
	"testing"

	"github.com/configmat/configmat/core/audit"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// auditWriters are the numbers of concurrent appenders measured.
var auditWriters = []int{1, 8}

// BenchmarkAuditAppend measures audit.Log.Append, each entry in its own
// transaction bound to the tenant, with one and eight concurrent appenders
// on one tenant's chain. The chain is verified afterwards.
func BenchmarkAuditAppend(b *testing.B) {
	for _, kind := range storeKinds {
		b.Run(kind.name, func(b *testing.B) {
			store, counter := kind.open(b)
			c := newCore(b, store, newKEK(b))
			owner := newTenant(b, c)
			for _, writers := range auditWriters {
				b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
					if counter != nil {
						counter.Reset()
					}
					r := load{workers: writers}.run(b, func(w, i int) error {
						return appendEntry(b.Context(), store, c.AuditLog, owner, w, i)
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
		})
	}
}

// appendEntry appends one entry in a transaction of its own.
func appendEntry(ctx context.Context, tx ports.Transactor, log *audit.Log, owner domain.Actor, writer, i int) error {
	return tx.InTenant(ctx, owner.TenantID, func(ctx context.Context, st ports.TenantTx) error {
		return log.Append(ctx, st.Audit(), owner, "benchmark.appended", "benchmark:audit", map[string]any{"writer": writer, "i": i})
	})
}

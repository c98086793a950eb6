package bench

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/configmat/configmat/core/catalog"
	"github.com/configmat/configmat/ports"
)

// readStep is one step of TestReadPathIssuesNoSQLWhenCached.
type readStep struct {
	name string
	// change commits a change to the asset first and waits until the change
	// feed has delivered it.
	change bool
	reads  int
	// storeReads is how many of the first reads must reach the store; every
	// other read must issue no SQL statement.
	storeReads int
}

// TestReadPathIssuesNoSQLWhenCached reads the resolved configuration over
// HTTP with an API key, on PostgreSQL through the counting driver: after a
// warm-up, cached reads issue no SQL statement; after a change, exactly the
// next read reaches the store and sees the new version.
func TestReadPathIssuesNoSQLWhenCached(t *testing.T) {
	limiters := []struct {
		name string
		new  func(testing.TB) ports.RateLimiter
	}{
		{"memory limiter", memoryLimiter},
		{"redis limiter", redisLimiter},
	}
	steps := []readStep{
		{name: "warm-up", reads: 1, storeReads: 1},
		{name: "cached reads", reads: 100},
		{name: "first read after a change", change: true, reads: 1, storeReads: 1},
		{name: "cached reads after the change", reads: 100},
	}
	for _, lim := range limiters {
		t.Run(lim.name, func(t *testing.T) {
			limiter := lim.new(t)
			store, counter := openPostgres(t)
			fx := newReadPathFixture(t, store)
			srv := fx.serve(t, limiter)
			r := newReader(t, srv.URL+readPath, fx.apiKey, 1)
			wantVersion := 1
			for _, step := range steps {
				if step.change {
					wantVersion = fx.change(t)
				}
				statements := make([]int64, step.reads)
				for i := range statements {
					counter.Reset()
					got := readResolved(t, r)
					statements[i] = counter.Count()
					if got.Version != wantVersion {
						t.Fatalf("%s: read %d answered version %d, want %d", step.name, i+1, got.Version, wantVersion)
					}
				}
				if slices.Contains(statements[:step.storeReads], 0) {
					t.Errorf("%s: the first %d reads issued %v SQL statements; want each to reach the store", step.name, step.storeReads, statements[:step.storeReads])
				}
				if cached := statements[step.storeReads:]; slices.ContainsFunc(cached, func(n int64) bool { return n != 0 }) {
					t.Errorf("%s: %d reads served from the cache issued %v SQL statements; want none", step.name, len(cached), cached)
				}
			}
		})
	}
}

// readResolved reads and decodes the resolved configuration.
func readResolved(t *testing.T, r *reader) catalog.Resolved {
	t.Helper()
	body, err := r.fetch(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var got catalog.Resolved
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("decode the resolved configuration: %v", err)
	}
	return got
}

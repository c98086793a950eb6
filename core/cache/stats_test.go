package cache

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// TestStatsCountHitsAndMisses: every answer is one hit or one miss of its
// map; expired entries and a bypassed cache count as misses.
func TestStatsCountHitsAndMisses(t *testing.T) {
	clock := &fixedClock{now: time.Unix(1_700_000_000, 0)}
	c := New(Deps{Clock: clock, MaxAge: time.Minute})
	key := ports.ResolutionKey{Tenant: tenantA, Asset: "billing", Environment: "prod"}
	src := Resolutions[int](c, &source{version: 1, asset: "asset-1"})
	keys := APIKeys(c, &keyLookup{cred: domain.APIKeyCredential{}})
	lookup := func() {
		t.Helper()
		if _, err := keys.ByDigest(context.Background(), []byte("digest")); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name string
		do   func()
		want Stats
	}{
		{"bypassed while not live", func() { resolve(t, src, key); lookup() }, Stats{ResolutionMisses: 1, APIKeyMisses: 1}},
		{"first reads once live", func() { c.SetLive(true); resolve(t, src, key); lookup() }, Stats{ResolutionMisses: 2, APIKeyMisses: 2}},
		{"cached reads", func() { resolve(t, src, key); resolve(t, src, key); lookup() },
			Stats{ResolutionHits: 2, ResolutionMisses: 2, APIKeyHits: 1, APIKeyMisses: 2}},
		{"expired entries", func() { clock.now = clock.now.Add(time.Hour); resolve(t, src, key); lookup() },
			Stats{ResolutionHits: 2, ResolutionMisses: 3, APIKeyHits: 1, APIKeyMisses: 3}},
	}
	for _, s := range steps {
		s.do()
		if got := c.Stats(); got != s.want {
			t.Fatalf("after %s: Stats() = %+v, want %+v", s.name, got, s.want)
		}
	}
}

// TestStatsUnderConcurrentReads: counts from many goroutines add up (run
// with -race).
func TestStatsUnderConcurrentReads(t *testing.T) {
	c := liveCache(t, Deps{})
	key := ports.ResolutionKey{Tenant: tenantA, Asset: "billing", Environment: "prod"}
	var mu sync.Mutex
	src := Resolutions[int](c, lockedSource{mu: &mu, inner: &source{version: 1, asset: "asset-1"}})
	resolve(t, src, key)
	const workers, reads = 8, 200
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range reads {
				if _, _, err := src.Resolve(context.Background(), key); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if got := c.Stats(); got.ResolutionHits != workers*reads || got.ResolutionMisses != 1 {
		t.Errorf("Stats() = %+v, want %d hits and 1 miss", got, workers*reads)
	}
}

// lockedSource serializes calls to a source that is not safe for
// concurrent use.
type lockedSource struct {
	mu    *sync.Mutex
	inner *source
}

func (l lockedSource) Resolve(ctx context.Context, k ports.ResolutionKey) (int, ports.ReadSet, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.inner.Resolve(ctx, k)
}

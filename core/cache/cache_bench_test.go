package cache

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// invalidateSizes are the numbers of cached entries BenchmarkInvalidate
// runs at: its cost must not grow with them.
var invalidateSizes = []int{10, 100000}

// BenchmarkInvalidate measures Apply of one committed change among n cached
// entries, each its own asset's (or API key's), and the storing of the
// dropped entry again so that n stays the same: the indexes find the entries
// of the change without looking at the others. touched=10 changes the same
// ten assets over and over, so that only the number of cached entries
// differs between sizes (the algorithm's cost); touched=all walks through
// every entry, so that at 100,000 entries most lookups also miss the CPU's
// caches (the memory's cost, which any map pays).
func BenchmarkInvalidate(b *testing.B) {
	for _, n := range invalidateSizes {
		benchmarkInvalidate(b, n, min(n, 10), "touched=10")
		if n > 10 {
			benchmarkInvalidate(b, n, n, "touched=all")
		}
	}
}

// benchmarkInvalidate runs BenchmarkInvalidate with n cached entries of
// which the changes touch the first touched.
func benchmarkInvalidate(b *testing.B, n, touched int, name string) {
	b.Run(fmt.Sprintf("kind=values/entries=%d/%s", n, name), func(b *testing.B) {
		c := liveCache(b, Deps{MaxEntries: n})
		keys := make([]ports.ResolutionKey, n)
		changes := make([]domain.Change, n)
		for i := range n {
			asset := domain.AssetID(fmt.Sprintf("asset-%d", i))
			keys[i] = ports.ResolutionKey{Tenant: tenantA, Asset: string(asset), Environment: "prod", WithSecrets: true}
			changes[i] = domain.Change{Kind: domain.ChangeValues, TenantID: tenantA, AssetID: asset, Environment: "prod"}
			c.putResolved(keys[i], resolvedEntry{value: i, reads: ports.ReadSet{Asset: asset}})
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			j := i % touched
			c.Apply(changes[j])
			c.mu.Lock()
			c.putResolved(keys[j], resolvedEntry{value: j, reads: ports.ReadSet{Asset: changes[j].AssetID}})
			c.mu.Unlock()
			i++
		}
		if len(c.resolved) != n {
			b.Fatalf("%d entries cached, want %d", len(c.resolved), n)
		}
	})
	b.Run(fmt.Sprintf("kind=api_key/entries=%d/%s", n, name), func(b *testing.B) {
		c := liveCache(b, Deps{MaxEntries: n})
		digests := make([]string, n)
		changes := make([]domain.Change, n)
		for i := range n {
			id := domain.APIKeyID(fmt.Sprintf("key-%d", i))
			digests[i] = fmt.Sprintf("digest-%d", i)
			changes[i] = domain.Change{Kind: domain.ChangeAPIKey, TenantID: tenantA, APIKeyID: id}
			c.putAPIKey(digests[i], apiKeyEntry{cred: domain.APIKeyCredential{ID: id, TenantID: tenantA}})
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			j := i % touched
			c.Apply(changes[j])
			c.mu.Lock()
			c.putAPIKey(digests[j], apiKeyEntry{cred: domain.APIKeyCredential{ID: changes[j].APIKeyID, TenantID: tenantA}})
			c.mu.Unlock()
			i++
		}
		if len(c.apiKeys) != n {
			b.Fatalf("%d keys cached, want %d", len(c.apiKeys), n)
		}
	})
}

// BenchmarkHit measures a read served from the cache: the hot read path,
// which must not allocate.
func BenchmarkHit(b *testing.B) {
	ctx := context.Background()
	b.Run("kind=resolution", func(b *testing.B) {
		c := liveCache(b, Deps{MaxAge: time.Hour})
		src := Resolutions[int](c, &source{version: 1, asset: "asset-1"})
		key := ports.ResolutionKey{Tenant: tenantA, Asset: "billing", Environment: "prod", WithSecrets: true}
		resolve(b, src, key)
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := src.Resolve(ctx, key); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("kind=api_key", func(b *testing.B) {
		c := liveCache(b, Deps{MaxAge: time.Hour})
		l := &keyLookup{cred: domain.APIKeyCredential{ID: "key-1", TenantID: tenantA}}
		keys := APIKeys(c, l)
		digest := []byte("0123456789abcdef0123456789abcdef")
		if _, err := keys.ByDigest(ctx, digest); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := keys.ByDigest(ctx, digest); err != nil {
				b.Fatal(err)
			}
		}
		if l.calls != 1 {
			b.Fatalf("lookups = %d, want 1", l.calls)
		}
	})
}

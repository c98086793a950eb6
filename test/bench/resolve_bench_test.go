package bench

import (
	"fmt"
	"testing"

	"github.com/configmat/configmat/core"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/test/pgtest"
)

// resolveSizes are the asset sizes, in keys, resolved through the store.
var resolveSizes = []int{10, 100, 1000}

// cachedResolveSize is the asset size of the cached variant: the largest,
// where the store path costs most.
const cachedResolveSize = 1000

// cachedSampleEvery times one cached resolution in this many: a cached
// resolution takes well under a microsecond, not much more than reading
// the clock.
const cachedSampleEvery = 64

// BenchmarkResolve measures catalog.Service.Resolve for an API key, one
// caller at a time: through the store for assets of 10, 100 and 1,000 keys
// (two of them secrets, decrypted on every call), and through the read cache
// for the largest asset. PostgreSQL reports its statements per resolution.
func BenchmarkResolve(b *testing.B) {
	for _, kind := range storeKinds {
		b.Run(kind.name, func(b *testing.B) {
			store, counter := kind.open(b)
			kek := newKEK(b)
			direct := newCore(b, store, kek)
			owner := newTenant(b, direct)
			for _, n := range resolveSizes {
				newAsset(b, direct, owner, resolveSlug(n), n)
			}
			_, reader := newAPIKey(b, direct, owner)
			for _, n := range resolveSizes {
				b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
					benchResolve(b, direct, reader, n, 1, counter)
				})
			}
			cached := newCachedStack(b, store, kek)
			b.Run(fmt.Sprintf("cached/keys=%d", cachedResolveSize), func(b *testing.B) {
				benchResolve(b, cached.core, reader, cachedResolveSize, cachedSampleEvery, counter)
			})
		})
	}
}

// resolveSlug names the benchmark asset of n keys.
func resolveSlug(n int) string { return fmt.Sprintf("resolve-%d", n) }

// benchResolve resolves the asset of n keys b.N times, timing one call in
// sampleEvery, after one checked warm-up call that also fills the caches.
func benchResolve(b *testing.B, c *core.Core, reader domain.Actor, n, sampleEvery int, counter *pgtest.Counter) {
	slug := resolveSlug(n)
	warm, err := c.Catalog.Resolve(b.Context(), reader, slug, benchEnvironment)
	if err != nil {
		b.Fatalf("Resolve(%s): %v", slug, err)
	}
	if got := resolvedKeys(warm); got != n {
		b.Fatalf("Resolve(%s) gave %d keys, want %d", slug, got, n)
	}
	if counter != nil {
		counter.Reset()
	}
	r := load{workers: 1, sampleEvery: sampleEvery}.run(b, func(_, _ int) error {
		_, err := c.Catalog.Resolve(b.Context(), reader, slug, benchEnvironment)
		return err
	})
	r.report(b, "resolutions/s")
	r.reportStatements(b, counter)
}

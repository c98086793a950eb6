package bench

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"testing"

	"github.com/configmat/configmat/core"
	"github.com/configmat/configmat/core/catalog"
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
			newReferencingAsset(b, direct, owner)
			_, reader := newAPIKey(b, direct, owner)
			for _, n := range resolveSizes {
				b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
					benchResolve(b, direct, reader, resolveSlug(n), n, 1, counter)
				})
			}
			b.Run(fmt.Sprintf("refs=%d/keys=%d", referencesPerAsset, cachedResolveSize), func(b *testing.B) {
				benchResolve(b, direct, reader, referencingSlug, cachedResolveSize, 1, counter)
			})
			cached := newCachedStack(b, store, kek)
			b.Run(fmt.Sprintf("cached/keys=%d", cachedResolveSize), func(b *testing.B) {
				benchResolve(b, cached.core, reader, resolveSlug(cachedResolveSize), cachedResolveSize, cachedSampleEvery, counter)
			})
			b.Run(fmt.Sprintf("cached/refs=%d/keys=%d", referencesPerAsset, cachedResolveSize), func(b *testing.B) {
				benchResolve(b, cached.core, reader, referencingSlug, cachedResolveSize, cachedSampleEvery, counter)
			})
		})
	}
}

// resolveSlug names the benchmark asset of n keys.
func resolveSlug(n int) string { return fmt.Sprintf("resolve-%d", n) }

// The referencing asset: cachedResolveSize keys, referencesPerAsset of them
// references (half whole-value, half inserted into text) into
// referencedAssets other assets of 10 keys each.
const (
	referencingSlug    = "resolve-refs"
	referencesPerAsset = 200
	referencedAssets   = 20
)

// newReferencingAsset creates the referenced assets and the referencing one.
func newReferencingAsset(b *testing.B, c *core.Core, owner domain.Actor) {
	b.Helper()
	for i := range referencedAssets {
		newAsset(b, c, owner, fmt.Sprintf("referenced-%02d", i), keysPerObject)
	}
	if _, err := c.Catalog.CreateAsset(b.Context(), owner, catalog.AssetInput{Slug: referencingSlug, Name: "References"}); err != nil {
		b.Fatal(err)
	}
	set := seedValues(cachedResolveSize)
	n := 0
	for _, object := range slices.Sorted(maps.Keys(set)) {
		for _, key := range slices.Sorted(maps.Keys(set[object])) {
			if n >= referencesPerAsset || set[object][key].Secret {
				continue
			}
			target := fmt.Sprintf("${referenced-%02d/object000.key%d}", n%referencedAssets, secretsPerAsset+n%(keysPerObject-secretsPerAsset))
			text := target
			if n%2 == 1 {
				text = "https://" + target + "/path"
			}
			set[object][key] = domain.Value{Value: json.RawMessage(strconv.Quote(text))}
			n++
		}
	}
	if _, err := c.Catalog.ApplyChangeSet(b.Context(), owner, referencingSlug, benchEnvironment, domain.ChangeSet{Message: "seed", Set: set}); err != nil {
		b.Fatalf("seed %s: %v", referencingSlug, err)
	}
}

// benchResolve resolves the asset slug of n keys b.N times, timing one call
// in sampleEvery, after one checked warm-up call that also fills the caches.
func benchResolve(b *testing.B, c *core.Core, reader domain.Actor, slug string, n, sampleEvery int, counter *pgtest.Counter) {
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

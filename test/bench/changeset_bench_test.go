package bench

import (
	"encoding/json"
	"fmt"
	"strconv"
	"testing"

	"github.com/configmat/configmat/core"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/test/pgtest"
)

// Shape of the change-set benchmarks: up to changeSetWriters concurrent
// writers on one tenant, on assets of changeSetAssetKeys keys.
const (
	changeSetWriters   = 8
	changeSetAssetKeys = 10
)

// BenchmarkChangeSet measures catalog.Service.ApplyChangeSet on one tenant:
// each change set writes one plain value and one secret as the environment's
// next version (with its audit entry). One writer; then eight concurrent
// writers, each on an asset of its own, and all eight on the same asset.
func BenchmarkChangeSet(b *testing.B) {
	for _, kind := range storeKinds {
		b.Run(kind.name, func(b *testing.B) {
			store, counter := kind.open(b)
			c := newCore(b, store, newKEK(b))
			owner := newTenant(b, c)
			slugs := make([]string, changeSetWriters)
			for i := range slugs {
				slugs[i] = fmt.Sprintf("writer-%d", i)
				newAsset(b, c, owner, slugs[i], changeSetAssetKeys)
			}
			b.Run("writers=1", func(b *testing.B) {
				benchChangeSets(b, c, owner, slugs[:1], 1, counter)
			})
			b.Run(fmt.Sprintf("writers=%d", changeSetWriters), func(b *testing.B) {
				b.Run("asset-each", func(b *testing.B) {
					benchChangeSets(b, c, owner, slugs, changeSetWriters, counter)
				})
				b.Run("same-asset", func(b *testing.B) {
					benchChangeSets(b, c, owner, slugs[:1], changeSetWriters, counter)
				})
			})
		})
	}
}

// benchChangeSets applies b.N change sets with writers concurrent writers,
// writer w writing to slugs[w % len(slugs)].
func benchChangeSets(b *testing.B, c *core.Core, owner domain.Actor, slugs []string, writers int, counter *pgtest.Counter) {
	if counter != nil {
		counter.Reset()
	}
	r := load{workers: writers}.run(b, func(w, i int) error {
		slug := slugs[w%len(slugs)]
		_, err := c.Catalog.ApplyChangeSet(b.Context(), owner, slug, benchEnvironment, benchChange(i))
		return err
	})
	r.report(b, "changesets/s")
	r.reportStatements(b, counter)
}

// benchChange is the i-th change set: a counter and a rotated token.
func benchChange(i int) domain.ChangeSet {
	token := json.RawMessage(`"token-` + strconv.Itoa(i) + `"`)
	return domain.ChangeSet{
		Message: "benchmark change " + strconv.Itoa(i),
		Set: map[string]map[string]domain.Value{
			"bench": {
				"counter": {Value: json.RawMessage(strconv.Itoa(i))},
				"token":   {Value: token, Secret: true},
			},
		},
	}
}

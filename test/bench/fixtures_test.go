package bench

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/configmat/configmat/core"
	"github.com/configmat/configmat/core/catalog"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/identity"
)

// benchEnvironment is the environment every benchmark reads and writes.
const benchEnvironment = "prod"

// Shape of the seeded assets: objects of keysPerObject keys, of which
// secretsPerAsset (the first keys of the first object) are secrets.
const (
	keysPerObject   = 10
	secretsPerAsset = 2
)

// newTenant creates a tenant with a random slug and returns the system actor
// (owner) of it.
func newTenant(tb testing.TB, c *core.Core) domain.Actor {
	tb.Helper()
	slug := "bench-" + strings.ToLower(rand.Text()[:10])
	t, err := c.Identity.CreateTenant(tb.Context(), slug, "Benchmark "+slug)
	if err != nil {
		tb.Fatalf("create tenant: %v", err)
	}
	return domain.SystemActor(t.ID)
}

// newAsset creates the asset slug and gives it keys values in
// benchEnvironment (see seedValues); it returns the asset.
func newAsset(tb testing.TB, c *core.Core, owner domain.Actor, slug string, keys int) domain.Asset {
	tb.Helper()
	a, err := c.Catalog.CreateAsset(tb.Context(), owner, catalog.AssetInput{Slug: slug, Name: "Benchmark " + slug})
	if err != nil {
		tb.Fatalf("create asset %s: %v", slug, err)
	}
	cs := domain.ChangeSet{Message: "seed", Set: seedValues(keys)}
	if _, err := c.Catalog.ApplyChangeSet(tb.Context(), owner, slug, benchEnvironment, cs); err != nil {
		tb.Fatalf("seed asset %s with %d keys: %v", slug, keys, err)
	}
	return a
}

// seedValues returns keys values in objects of keysPerObject keys:
// "object007": {"key3": "value-0073-..."}, the first secretsPerAsset of them
// secrets.
func seedValues(keys int) map[string]map[string]domain.Value {
	set := map[string]map[string]domain.Value{}
	for i := range keys {
		object := fmt.Sprintf("object%03d", i/keysPerObject)
		if set[object] == nil {
			set[object] = map[string]domain.Value{}
		}
		text := json.RawMessage(fmt.Sprintf(`"value-%04d-of-a-typical-setting"`, i))
		set[object][fmt.Sprintf("key%d", i%keysPerObject)] = domain.Value{Value: text, Secret: i < secretsPerAsset}
	}
	return set
}

// newAPIKey creates an API key of owner's tenant and returns its text and
// the actor it authenticates as.
func newAPIKey(tb testing.TB, c *core.Core, owner domain.Actor) (string, domain.Actor) {
	tb.Helper()
	created, err := c.Identity.CreateAPIKey(tb.Context(), owner, identity.APIKeyInput{Name: "benchmark reader"})
	if err != nil {
		tb.Fatalf("create API key: %v", err)
	}
	actor, err := c.Identity.AuthenticateAPIKey(tb.Context(), created.Key)
	if err != nil {
		tb.Fatalf("authenticate the API key: %v", err)
	}
	return created.Key, actor
}

// resolvedKeys counts the keys of a resolved configuration.
func resolvedKeys(r catalog.Resolved) int {
	n := 0
	for _, object := range r.Config {
		n += len(object)
	}
	return n
}

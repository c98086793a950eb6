package core_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/configmat/configmat/adapters/sqlite"
	"github.com/configmat/configmat/core"
	"github.com/configmat/configmat/core/catalog"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/identity"
	"github.com/configmat/configmat/core/keys"
)

// Example shows another Go program using ConfigMat's core directly: it
// supplies a store through the ports (here the embedded SQLite adapter), and
// gets the same authorization, envelope encryption and audit chain as the
// HTTP API.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "configmat-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	store, err := sqlite.Open(ctx, filepath.Join(dir, "configmat.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	kek, err := keys.ParseKEK("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
	if err != nil {
		log.Fatal(err)
	}
	c := core.New(core.Deps{Tx: store, KEK: kek})

	// An operator creates a tenant, and an API key for its prod environment.
	tenant, err := c.Identity.CreateTenant(ctx, "acme", "Acme")
	if err != nil {
		log.Fatal(err)
	}
	operator := domain.SystemActor(tenant.ID)
	key, err := c.Identity.CreateAPIKey(ctx, operator, identity.APIKeyInput{Name: "billing", Environment: "prod"})
	if err != nil {
		log.Fatal(err)
	}

	// Configuration goes in as a change set: the password is sealed at rest.
	if _, err := c.Catalog.CreateAsset(ctx, operator, catalog.AssetInput{Slug: "billing", Name: "Billing"}); err != nil {
		log.Fatal(err)
	}
	changes := domain.ChangeSet{Message: "first", Set: map[string]map[string]domain.Value{
		"database": {
			"host":     {Value: json.RawMessage(`"db.internal"`)},
			"password": {Value: json.RawMessage(`"s3cr3t"`), Secret: true},
		},
	}}
	if _, err := c.Catalog.ApplyChangeSet(ctx, operator, "billing", "prod", changes); err != nil {
		log.Fatal(err)
	}

	// An application reads its resolved configuration with the API key.
	app, err := c.Identity.AuthenticateAPIKey(ctx, key.Key)
	if err != nil {
		log.Fatal(err)
	}
	resolved, err := c.Catalog.Resolve(ctx, app, "billing", "prod")
	if err != nil {
		log.Fatal(err)
	}
	out, _ := json.Marshal(resolved.Config)
	fmt.Printf("version %d: %s\n", resolved.Version, out)

	// The same key may not read another environment.
	_, err = c.Catalog.Resolve(ctx, app, "billing", "stage")
	fmt.Println(domain.KindOf(err))

	// Every change above is in the tenant's audit chain.
	v, err := c.Audit.Verify(ctx, operator)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("audit chain valid: %v, %d entries\n", v.Valid, v.Entries)
	// Output:
	// version 1: {"database":{"host":"db.internal","password":"s3cr3t"}}
	// PERMISSION_DENIED
	// audit chain valid: true, 4 entries
}

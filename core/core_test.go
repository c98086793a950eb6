package core_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/configmat/configmat/adapters/sqlite"
	"github.com/configmat/configmat/core"
	"github.com/configmat/configmat/core/cache"
	"github.com/configmat/configmat/core/catalog"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/identity"
	"github.com/configmat/configmat/core/keys"
	"github.com/configmat/configmat/ports"
)

// countingTx counts the transactions run through it.
type countingTx struct {
	ports.Transactor
	n atomic.Int64
}

func (c *countingTx) InTenant(ctx context.Context, t domain.TenantID, fn func(context.Context, ports.TenantTx) error) error {
	c.n.Add(1)
	return c.Transactor.InTenant(ctx, t, fn)
}

func (c *countingTx) Global(ctx context.Context, fn func(context.Context, ports.GlobalTx) error) error {
	c.n.Add(1)
	return c.Transactor.Global(ctx, fn)
}

// New wires the read cache around the read ports and the Transactor when it
// is given one, and leaves every read to the store otherwise; either way the
// process's own writes are read back at once.
func TestNewWiresTheReadCache(t *testing.T) {
	tests := []struct {
		name  string
		cache bool
		// wantTx is the number of transactions of three reads (an
		// authentication and a resolution each) in a row.
		wantTx int64
	}{
		{"without a cache", false, 6},
		{"with a cache", true, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "configmat.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = store.Close() })
			kek, err := keys.ParseKEK("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
			if err != nil {
				t.Fatal(err)
			}
			tx := &countingTx{Transactor: store}
			deps := core.Deps{Tx: tx, KEK: kek}
			if tt.cache {
				deps.Cache = cache.New(cache.Deps{})
				deps.Cache.SetLive(true)
			}
			c := core.New(deps)
			tenant, err := c.Identity.CreateTenant(ctx, "acme", "Acme")
			if err != nil {
				t.Fatal(err)
			}
			op := domain.SystemActor(tenant.ID)
			key, err := c.Identity.CreateAPIKey(ctx, op, identity.APIKeyInput{Name: "app", Environment: "prod"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Catalog.CreateAsset(ctx, op, catalog.AssetInput{Slug: "billing", Name: "Billing"}); err != nil {
				t.Fatal(err)
			}
			write := func(value string) {
				t.Helper()
				changes := domain.ChangeSet{Message: "m", Set: map[string]map[string]domain.Value{
					"db": {"password": {Value: json.RawMessage(value), Secret: true}},
				}}
				if _, err := c.Catalog.ApplyChangeSet(ctx, op, "billing", "prod", changes); err != nil {
					t.Fatal(err)
				}
			}
			read := func() (domain.Actor, catalog.Resolved) {
				t.Helper()
				app, err := c.Identity.AuthenticateAPIKey(ctx, key.Key)
				if err != nil {
					t.Fatalf("AuthenticateAPIKey: %v", err)
				}
				r, err := c.Catalog.Resolve(ctx, app, "billing", "prod")
				if err != nil {
					t.Fatalf("Resolve: %v", err)
				}
				return app, r
			}
			write(`"one"`)
			before := tx.n.Load()
			var app domain.Actor
			for range 3 {
				app, _ = read()
			}
			if got := tx.n.Load() - before; got != tt.wantTx {
				t.Errorf("three reads ran %d transactions, want %d", got, tt.wantTx)
			}
			write(`"two"`)
			if _, r := read(); r.Version != 2 || string(r.Config["db"]["password"]) != `"two"` {
				t.Errorf("after the process's own write: version %d, %s; want version 2", r.Version, r.Config["db"]["password"])
			}
			// Authorization runs before any cache.
			if _, err := c.Catalog.Resolve(ctx, app, "billing", "stage"); !domain.IsKind(err, domain.KindPermissionDenied) {
				t.Errorf("a key of prod read stage: %v", err)
			}
			if err := c.Identity.RevokeAPIKey(ctx, op, key.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Identity.AuthenticateAPIKey(ctx, key.Key); !domain.IsKind(err, domain.KindInvalidAPIKey) {
				t.Errorf("a revoked key authenticated: %v", err)
			}
		})
	}
}

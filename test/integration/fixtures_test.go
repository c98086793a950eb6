package integration

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/configmat/configmat/core"
	"github.com/configmat/configmat/core/catalog"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/identity"
	"github.com/configmat/configmat/core/keys"
	"github.com/configmat/configmat/ports"
	"github.com/configmat/configmat/test/pgtest"
)

// kekHex is the tests' key-encryption key.
const kekHex = "6d9b1f0c2a3e4d5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7"

// tenantOwnedTables are the tables under row-level security.
var tenantOwnedTables = []string{
	"tenants", "memberships", "environments", "assets", "version_heads",
	"versions", "api_keys", "audit_entries", "audit_heads",
}

// allTables are every table of the schema.
var allTables = append([]string{"users", "user_tokens"}, tenantOwnedTables...)

// newCore wires the core services over tx.
func newCore(t *testing.T, tx ports.Transactor) *core.Core {
	t.Helper()
	kek, err := keys.ParseKEK(kekHex)
	if err != nil {
		t.Fatal(err)
	}
	return core.New(core.Deps{Tx: tx, KEK: kek})
}

// newTenant creates a tenant (with its default environments and data key)
// through the identity service and returns its owner actor.
func newTenant(t *testing.T, c *core.Core, slugPrefix string) domain.Actor {
	t.Helper()
	slug := fmt.Sprintf("%s-%s", slugPrefix, uuid.NewString()[:8])
	tenant, err := c.Identity.CreateTenant(t.Context(), slug, "Tenant "+slug)
	if err != nil {
		t.Fatalf("CreateTenant: %v", err)
	}
	return domain.SystemActor(tenant.ID)
}

// newAsset creates an asset through the catalog.
func newAsset(t *testing.T, c *core.Core, actor domain.Actor, slug string) domain.Asset {
	t.Helper()
	a, err := c.Catalog.CreateAsset(t.Context(), actor, catalog.AssetInput{Slug: slug, Name: "Asset " + slug})
	if err != nil {
		t.Fatalf("CreateAsset(%s): %v", slug, err)
	}
	return a
}

// set returns a change set writing values[object][key] (JSON texts), each
// key secret when its name starts with "secret".
func set(message string, values map[string]map[string]string) domain.ChangeSet {
	cs := domain.ChangeSet{Message: message, Set: map[string]map[string]domain.Value{}}
	for object, keys := range values {
		cs.Set[object] = map[string]domain.Value{}
		for key, v := range keys {
			cs.Set[object][key] = domain.Value{Value: json.RawMessage(v), Secret: len(key) >= 6 && key[:6] == "secret"}
		}
	}
	return cs
}

// mustApply applies a change set and fails t on error.
func mustApply(t *testing.T, c *core.Core, actor domain.Actor, slug, env string, cs domain.ChangeSet) catalog.EnvironmentValues {
	t.Helper()
	v, err := c.Catalog.ApplyChangeSet(t.Context(), actor, slug, env, cs)
	if err != nil {
		t.Fatalf("ApplyChangeSet(%s, %s): %v", slug, env, err)
	}
	return v
}

// seedTenant gives a new tenant an asset with versions in local and stage,
// a member, an API key and audit entries: a row in every tenant-owned table.
func seedTenant(t *testing.T, db *pgtest.DB, c *core.Core, prefix string) domain.Actor {
	t.Helper()
	actor := newTenant(t, c, prefix)
	newAsset(t, c, actor, prefix+"-app")
	mustApply(t, c, actor, prefix+"-app", "local", set("seed", map[string]map[string]string{
		"database": {"host": `"` + prefix + `.db"`, "secret_password": `"s3cret-` + prefix + `"`},
	}))
	if _, err := c.Catalog.Promote(t.Context(), actor, prefix+"-app", catalog.PromoteRequest{From: "local", To: "stage"}); err != nil {
		t.Fatalf("Promote: %v", err)
	}
	if _, err := c.Identity.CreateUser(t.Context(), prefix+"-"+uuid.NewString()[:8]+"@example.com", "correct horse battery", tenantSlug(t, db, actor.TenantID), domain.RoleEditor); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if _, err := c.Identity.CreateAPIKey(t.Context(), actor, identity.APIKeyInput{Name: prefix + " key", Environment: "stage"}); err != nil {
		t.Fatalf("CreateAPIKey: %v", err)
	}
	return actor
}

// tenantSlug reads a tenant's slug as the server's superuser.
func tenantSlug(t *testing.T, db *pgtest.DB, tenant domain.TenantID) string {
	t.Helper()
	var slug string
	if err := db.Admin(t).GetContext(t.Context(), &slug, `SELECT slug FROM tenants WHERE id = $1`, tenant); err != nil {
		t.Fatalf("tenant slug: %v", err)
	}
	return slug
}

// tableDigests returns, per table, its row count and an MD5 of all its rows
// in a stable order, read as the superuser (no row-level security).
func tableDigests(t *testing.T, admin *sqlx.DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, table := range allTables {
		var d struct {
			Count  int    `db:"n"`
			Digest string `db:"digest"`
		}
		q := fmt.Sprintf(`SELECT count(*) AS n, coalesce(md5(string_agg(r::text, E'\n' ORDER BY r::text)), '') AS digest FROM %s AS r`, table)
		if err := admin.GetContext(t.Context(), &d, q); err != nil {
			t.Fatalf("digest of %s: %v", table, err)
		}
		out[table] = fmt.Sprintf("%d rows, %s", d.Count, d.Digest)
	}
	return out
}

// wantSameTables fails t unless every table is as before.
func wantSameTables(t *testing.T, before, after map[string]string) {
	t.Helper()
	for _, table := range allTables {
		if before[table] != after[table] {
			t.Errorf("table %s changed: %s -> %s", table, before[table], after[table])
		}
	}
}

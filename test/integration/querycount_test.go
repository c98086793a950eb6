package integration

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/configmat/configmat/adapters/postgres"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/test/pgtest"
)

// The counts are of the SQL statements the adapter sends (every Exec and
// Query, prepared or not, the tenant binding included), counted by
// pgtest's counting driver around lib/pq; BEGIN and COMMIT are not counted.
const (
	maxResolveStatements = 4
	maxListStatements    = 4
	// A change set: the tenant binding, the asset with its head, the head's
	// marks and current version (one statement), the version with its head
	// move, and the audit entry with its head move and the change
	// notification, from the chain head the process remembers. An asset with a schema reads it (1 more);
	// an asset that another one's current version references looks for the
	// referencing versions (one lookup per asset found, and the written one)
	// and reads their assets' schemas, all in one statement (3 more with one
	// such asset, itself unreferenced; 4 more with two). The
	// first change of an environment finds no head and takes the long way,
	// which creates it (5 more) and reads the new head's marks, taken from
	// the data, so that it skips the same lookups; a rollback to an earlier
	// version reads that version (1 more).
	// The first append of a process to a tenant's audit chain locks the
	// chain head and reads the tree's edge, which it then keeps in memory
	// (3 more: the head, the latest checkpoint and its nodes); an append
	// whose remembered head another process moved tries it first (4 more).
	maxChangeSetStatements           = 4
	maxSchemaChangeSetStatements     = maxChangeSetStatements + 1
	maxReferencedChangeSetStatements = maxChangeSetStatements + 3
	maxTwiceReferencedStatements     = maxChangeSetStatements + 4
	maxFirstChangeSetStatements      = maxChangeSetStatements + 5 + 3
	maxStaleChangeSetStatements      = maxChangeSetStatements + 4
	maxRollbackStatements            = maxChangeSetStatements + 1
)

func TestStatementCounts(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	setup := newCore(t, db.Store(t))
	actor := newTenant(t, setup, "count")

	small := map[string]map[string]string{"database": {"host": `"db"`, "secret_password": `"pw"`}}
	large := map[string]map[string]string{}
	for o := range 100 {
		keys := map[string]string{"secret_key": fmt.Sprintf(`"s-%d"`, o)}
		for k := range 9 {
			keys[fmt.Sprintf("key%d", k)] = fmt.Sprintf(`{"object":%d,"key":%d}`, o, k)
		}
		large[fmt.Sprintf("object%d", o)] = keys
	}
	// References: an asset of 1,000 keys, 200 of which reference keys of 20
	// other assets, against one of one key referencing one other asset.
	referencing := map[string]map[string]string{}
	for o := range 100 {
		keys := map[string]string{}
		for k := range 10 {
			keys[fmt.Sprintf("key%d", k)] = fmt.Sprintf(`"plain-%d-%d"`, o, k)
			if k < 2 {
				target := (o*2 + k) % 20
				keys[fmt.Sprintf("key%d", k)] = fmt.Sprintf(`"pg://${target-%02d/db.host}:${target-%02d/db.port}"`, target, target)
			}
		}
		referencing[fmt.Sprintf("object%d", o)] = keys
	}
	for i := range 20 {
		slug := fmt.Sprintf("target-%02d", i)
		newAsset(t, setup, actor, slug)
		mustApply(t, setup, actor, slug, "prod", set("seed", map[string]map[string]string{"db": {"host": fmt.Sprintf(`"h%d"`, i), "port": `5432`}}))
	}
	oneRef := map[string]map[string]string{"db": {"url": `"${target-00/db.host}"`}}
	for slug, values := range map[string]map[string]map[string]string{"small": small, "large": large, "referencing": referencing, "one-ref": oneRef} {
		newAsset(t, setup, actor, slug)
		mustApply(t, setup, actor, slug, "prod", set("seed", values))
	}
	for i := range 60 {
		newAsset(t, setup, actor, fmt.Sprintf("listed-%02d", i))
	}

	counter, dsn := pgtest.NewCounter(t, db.AppURL)
	counted := db.Store(t, func(c *postgres.Config) { c.URL, c.DriverName = dsn, pgtest.CountingDriverName })

	resolveCount := func(slug string, wantKeys int) int64 {
		c := newCore(t, counted) // a fresh key manager: the data key is not cached
		counter.Reset()
		resolved, err := c.Catalog.Resolve(t.Context(), actor, slug, "prod")
		if err != nil {
			t.Fatalf("Resolve(%s): %v", slug, err)
		}
		n := counter.Count()
		keys := 0
		for _, obj := range resolved.Config {
			keys += len(obj)
		}
		if keys != wantKeys {
			t.Fatalf("Resolve(%s) gave %d keys, want %d", slug, keys, wantKeys)
		}
		return n
	}
	one, hundred := resolveCount("small", 2), resolveCount("large", 1000)
	t.Logf("resolve: %d statements for 1 object, %d for 100 objects of 10 keys", one, hundred)
	if one != hundred || one > maxResolveStatements || one == 0 {
		t.Errorf("resolve ran %d statements for 1 object and %d for 100; want the same, at most %d", one, hundred, maxResolveStatements)
	}
	oneReference, manyReferences := resolveCount("one-ref", 1), resolveCount("referencing", 1000)
	t.Logf("resolve: %d statements for 1 reference into 1 asset, %d for 200 references into 20 assets among 1,000 keys", oneReference, manyReferences)
	if oneReference != manyReferences || oneReference > maxResolveStatements {
		t.Errorf("resolve ran %d statements for 1 reference and %d for 200 into 20 assets; want the same, at most %d", oneReference, manyReferences, maxResolveStatements)
	}

	c := newCore(t, counted)
	writeCount := func(what string, write func() error) int64 {
		counter.Reset()
		if err := write(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		n := counter.Count()
		t.Logf("%s: %d statements", what, n)
		return n
	}
	twoKeys := func(i int) domain.ChangeSet {
		return set("rotate", map[string]map[string]string{"database": {"host": fmt.Sprintf(`"db-%d"`, i), "secret_password": fmt.Sprintf(`"pw-%d"`, i)}})
	}
	applyTwoKeys := func(env string, i int) func() error {
		return func() error {
			_, err := c.Catalog.ApplyChangeSet(t.Context(), actor, "small", env, twoKeys(i))
			return err
		}
	}
	first := writeCount("first change set of an environment (data key read)", applyTwoKeys("local", 1))
	steady := writeCount("change set of 2 keys (one secret)", applyTwoKeys("prod", 2))
	largeCount := writeCount("change set of 2 keys of 1,000", func() error {
		_, err := c.Catalog.ApplyChangeSet(t.Context(), actor, "large", "prod", twoKeys(3))
		return err
	})
	rollback := writeCount("rollback to an earlier version", func() error {
		_, err := c.Catalog.Rollback(t.Context(), actor, "small", "prod", 1)
		return err
	})
	if steady == 0 || steady > maxChangeSetStatements || largeCount != steady {
		t.Errorf("a change set ran %d statements (%d on an asset of 1,000 keys); want at most %d, the same at any size", steady, largeCount, maxChangeSetStatements)
	}
	// Through c, so that its audit chain's edge stays current.
	if _, err := c.Catalog.PutSchema(t.Context(), actor, "large", json.RawMessage(`{"type":"object"}`)); err != nil {
		t.Fatal(err)
	}
	newAsset(t, c, actor, "hub")
	mustApply(t, c, actor, "hub", "prod", set("seed", map[string]map[string]string{"db": {"host": `"h"`}}))
	newAsset(t, c, actor, "spoke")
	mustApply(t, c, actor, "spoke", "prod", set("seed", map[string]map[string]string{"db": {"url": `"${hub/db.host}"`}}))
	withSchema := writeCount("change set of 2 keys of an asset with a schema", func() error {
		_, err := c.Catalog.ApplyChangeSet(t.Context(), actor, "large", "prod", twoKeys(4))
		return err
	})
	if withSchema == 0 || withSchema > maxSchemaChangeSetStatements {
		t.Errorf("a change set of an asset with a schema ran %d statements; want at most %d", withSchema, maxSchemaChangeSetStatements)
	}
	referenced := writeCount("change set of an asset another references", func() error {
		cs := set("move", map[string]map[string]string{"db": {"host": `"moved"`}})
		_, err := c.Catalog.ApplyChangeSet(t.Context(), actor, "hub", "prod", cs)
		return err
	})
	if referenced == 0 || referenced > maxReferencedChangeSetStatements {
		t.Errorf("a change set of a referenced asset ran %d statements; want at most %d", referenced, maxReferencedChangeSetStatements)
	}
	newAsset(t, c, actor, "spoke-2")
	mustApply(t, c, actor, "spoke-2", "prod", set("seed", map[string]map[string]string{"db": {"url": `"${hub/db.host}"`}}))
	twice := writeCount("change set of an asset two others reference", func() error {
		cs := set("move", map[string]map[string]string{"db": {"host": `"moved again"`}})
		_, err := c.Catalog.ApplyChangeSet(t.Context(), actor, "hub", "prod", cs)
		return err
	})
	if twice == 0 || twice > maxTwiceReferencedStatements {
		t.Errorf("a change set of an asset two others reference ran %d statements; want at most %d", twice, maxTwiceReferencedStatements)
	}
	other := newCore(t, db.Store(t)) // another process, with its own memory of the chain head
	mustApply(t, other, actor, "small", "prod", twoKeys(5))
	stale := writeCount("change set after another process's", applyTwoKeys("prod", 6))
	if stale == 0 || stale > maxStaleChangeSetStatements {
		t.Errorf("a change set after another process's ran %d statements; want at most %d", stale, maxStaleChangeSetStatements)
	}
	if again := writeCount("change set after it", applyTwoKeys("prod", 7)); again != steady {
		t.Errorf("the change set after that one ran %d statements, want %d as before", again, steady)
	}
	if first > maxFirstChangeSetStatements+1 {
		t.Errorf("the first change set of an environment ran %d statements; want at most %d and the data key's read", first, maxFirstChangeSetStatements)
	}
	if rollback == 0 || rollback > maxRollbackStatements {
		t.Errorf("a rollback ran %d statements; want at most %d", rollback, maxRollbackStatements)
	}

	counter.Reset()
	assets, _, err := c.Catalog.ListAssets(t.Context(), actor, domain.Page{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	n := counter.Count()
	t.Logf("listing 50 assets: %d statements", n)
	if len(assets) != 50 || n > maxListStatements || n == 0 {
		t.Errorf("listing gave %d assets in %d statements; want 50 in at most %d", len(assets), n, maxListStatements)
	}
}

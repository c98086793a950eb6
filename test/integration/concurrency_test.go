package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/configmat/configmat/adapters/postgres"
	"github.com/configmat/configmat/core"
	"github.com/configmat/configmat/core/catalog"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
	"github.com/configmat/configmat/test/pgtest"
)

// concurrently runs n functions at once (released together) and returns
// their errors.
func concurrently(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = fn(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// atMostOneCommitted fails t unless, of the two writers of a race round,
// at most one committed and the other was refused with refusal or a
// conflict; both, what names them.
func atMostOneCommitted(t *testing.T, round int, errs []error, both string, refusal domain.Kind) {
	t.Helper()
	for i, err := range errs {
		if err != nil && !domain.IsKind(err, refusal) && !domain.IsKind(err, domain.KindConflict) {
			t.Fatalf("round %d, writer %d: %v", round, i, err)
		}
	}
	if errs[0] == nil && errs[1] == nil {
		t.Fatalf("round %d: both %s committed", round, both)
	}
}

func TestConcurrentAuditAppends(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	store := db.Store(t, func(c *postgres.Config) { c.PoolSize, c.MaxOverflow = 10, 0 })
	c := newCore(t, store)
	actor := newTenant(t, c, "chain")
	const goroutines, each = 10, 5

	errs := concurrently(goroutines, func(g int) error {
		for i := range each {
			err := store.InTenant(t.Context(), actor.TenantID, func(ctx context.Context, s ports.TenantTx) error {
				return c.AuditLog.Append(ctx, s.Audit(), actor, "test.appended", fmt.Sprintf("goroutine:%d", g), map[string]any{"goroutine": g, "i": i})
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	for g, err := range errs {
		if err != nil {
			t.Fatalf("goroutine %d: %v", g, err)
		}
	}

	var entries []domain.AuditEntry
	if err := store.InTenant(t.Context(), actor.TenantID, func(ctx context.Context, s ports.TenantTx) error {
		var err error
		entries, err = s.Audit().List(ctx, 0, 1000)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	appended := 0
	for i, e := range entries {
		if e.Seq != int64(i+1) {
			t.Fatalf("entry %d has seq %d: the chain has a gap or a duplicate", i, e.Seq)
		}
		if e.Action == "test.appended" {
			appended++
		}
	}
	if appended != goroutines*each {
		t.Fatalf("%d appended entries, want %d", appended, goroutines*each)
	}
	v, err := c.Audit.Verify(t.Context(), actor)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Valid || v.Entries != int64(len(entries)) {
		t.Fatalf("Verify = %+v, want a valid chain of %d entries", v, len(entries))
	}
}

func TestConcurrentChangeSetsAndPromotions(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	c := newCore(t, db.Store(t, func(c *postgres.Config) { c.PoolSize, c.MaxOverflow = 10, 10 }))
	actor := newTenant(t, c, "race")
	newAsset(t, c, actor, "race")
	mustApply(t, c, actor, "race", "local", set("seed", map[string]map[string]string{
		"cs": {"seed": `0`}, "meta": {"last": `0`},
	}))
	const n = 20

	errs := concurrently(2*n, func(i int) error {
		if i < n {
			_, err := c.Catalog.ApplyChangeSet(t.Context(), actor, "race", "local", set(fmt.Sprintf("cs-%d", i+1), map[string]map[string]string{
				"cs": {fmt.Sprintf("k%d", i+1): fmt.Sprint(i + 1)}, "meta": {"last": fmt.Sprint(i + 1)},
			}))
			return err
		}
		_, err := c.Catalog.Promote(t.Context(), actor, "race", catalog.PromoteRequest{From: "local", To: "stage"})
		return err
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("operation %d: %v", i, err)
		}
	}

	local := versionValues(t, c, actor, "race", "local", n+1)
	lastOf := map[string]int{} // a local version's values -> its number
	var seen []int
	for number := 1; number <= n+1; number++ {
		values := local[number]
		last := jsonInt(t, values["meta"]["last"].Value)
		want := map[string]bool{"seed": true}
		if number > 1 {
			for key := range local[number-1]["cs"] {
				want[key] = true
			}
			want[fmt.Sprintf("k%d", last)] = true
			seen = append(seen, last)
		}
		if got := keysOf(values["cs"]); !equalSets(got, want) {
			t.Errorf("local version %d holds %v, want %v: a change set was lost or merged", number, got, want)
		}
		lastOf[canonicalValues(t, values)] = number
	}
	slices.Sort(seen)
	for i, last := range seen {
		if last != i+1 {
			t.Fatalf("local versions were written by change sets %v, want each of 1..%d once", seen, n)
		}
	}

	stage := versionValues(t, c, actor, "race", "stage", n)
	previous := 0
	for number := 1; number <= n; number++ {
		source, ok := lastOf[canonicalValues(t, stage[number])]
		if !ok {
			t.Fatalf("stage version %d equals no local version: %v", number, stage[number])
		}
		if source < previous {
			t.Errorf("stage version %d copies local version %d, older than the previous promotion's %d", number, source, previous)
		}
		previous = source
	}
}

// versionValues lists an environment's versions, checks that they are
// numbered 1..count without a gap, and returns each one's values.
func versionValues(t *testing.T, c *core.Core, actor domain.Actor, slug, env string, count int) map[int]map[string]map[string]catalog.ValueView {
	t.Helper()
	versions, _, err := c.Catalog.ListVersions(t.Context(), actor, slug, env, domain.Page{Limit: domain.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	if len(versions) != count {
		t.Fatalf("%s has %d versions, want %d", env, len(versions), count)
	}
	out := map[int]map[string]map[string]catalog.ValueView{}
	for i, v := range versions {
		if v.Version != count-i {
			t.Fatalf("%s's versions, newest first, are not consecutive: %d at position %d", env, v.Version, i)
		}
		values, err := c.Catalog.GetVersion(t.Context(), actor, slug, env, v.Version)
		if err != nil {
			t.Fatal(err)
		}
		out[v.Version] = values.Values
	}
	return out
}

func jsonInt(t *testing.T, raw json.RawMessage) int {
	t.Helper()
	var n int
	if err := json.Unmarshal(raw, &n); err != nil {
		t.Fatalf("%s is not an integer: %v", raw, err)
	}
	return n
}

func keysOf(m map[string]catalog.ValueView) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

func equalSets(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// canonicalValues is a stable text of an environment's values.
func canonicalValues(t *testing.T, v map[string]map[string]catalog.ValueView) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestConcurrentEnvironmentCreations creates 20 environments of one tenant at
// once: each gets its own position after the defaults, none is refused.
func TestConcurrentEnvironmentCreations(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	store := db.Store(t, func(c *postgres.Config) { c.PoolSize, c.MaxOverflow = 10, 10 })
	c := newCore(t, store)
	actor := newTenant(t, c, "envs")
	const n = 20
	errs := concurrently(n, func(i int) error {
		_, err := c.Catalog.CreateEnvironment(t.Context(), actor, fmt.Sprintf("env-%d", i))
		return err
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("environment %d: %v", i, err)
		}
	}
	envs, err := c.Catalog.ListEnvironments(t.Context(), actor)
	if err != nil {
		t.Fatal(err)
	}
	var positions []int
	for _, e := range envs {
		positions = append(positions, e.Position)
	}
	if len(envs) != len(domain.DefaultEnvironments)+n || !slices.IsSorted(positions) {
		t.Fatalf("environments after the creations: %+v", envs)
	}
	for i := 1; i < len(positions); i++ {
		if positions[i] == positions[i-1] {
			t.Fatalf("two environments share position %d: %+v", positions[i], envs)
		}
	}
}

// raceRound is one round of a race: the two writes to run at once.
type raceRound [2]func() error

// race runs, for 30 rounds on a fresh database whose pool lets both writers
// in at once, round's preparation and then its two writes concurrently,
// and fails t unless at most one of them committed (atMostOneCommitted:
// both names them, refusal is the other's expected answer).
func race(t *testing.T, tenant, both string, refusal domain.Kind, round func(c *core.Core, actor domain.Actor, round int) raceRound) {
	t.Helper()
	db := pgtest.New(t).Fresh(t)
	store := db.Store(t, func(c *postgres.Config) { c.PoolSize, c.MaxOverflow = 10, 0 })
	c := newCore(t, store)
	actor := newTenant(t, c, tenant)
	for r := range 30 {
		writes := round(c, actor, r)
		errs := concurrently(2, func(i int) error { return writes[i]() })
		atMostOneCommitted(t, r, errs, both, refusal)
	}
}

// TestConcurrentReferenceAndRemoval races, for 30 rounds, a change set that
// adds a reference to a key of another asset with one that removes that
// key: at most one of them may commit, so that no current version is left
// referencing a missing value.
func TestConcurrentReferenceAndRemoval(t *testing.T) {
	race(t, "refrace", "the reference and the removal of its target", domain.KindReferenceError,
		func(c *core.Core, actor domain.Actor, round int) raceRound {
			shared, reference := referenceRound(t, c, actor, round, map[string]string{"host": `"h"`, "port": `1`})
			return raceRound{
				reference,
				func() error {
					_, err := c.Catalog.ApplyChangeSet(t.Context(), actor, shared, "prod",
						domain.ChangeSet{Message: "remove", Unset: map[string][]string{"db": {"host"}}})
					return err
				},
			}
		})
}

// TestConcurrentReferenceAndDeletion races, for 30 rounds, a change set
// that adds a reference into another asset with the deletion of that
// asset: at most one of them may commit.
func TestConcurrentReferenceAndDeletion(t *testing.T) {
	race(t, "delrace", "the reference and the deletion of its asset", domain.KindReferenceError,
		func(c *core.Core, actor domain.Actor, round int) raceRound {
			shared, reference := referenceRound(t, c, actor, round, map[string]string{"host": `"h"`})
			return raceRound{
				reference,
				func() error { return c.Catalog.DeleteAsset(t.Context(), actor, shared) },
			}
		})
}

// referenceRound sets up a round of the reference races: the asset shared
// (its object db seeded with sharedDB) and the asset app, and returns
// shared's slug and the change set of app that references shared's db.host.
func referenceRound(t *testing.T, c *core.Core, actor domain.Actor, round int, sharedDB map[string]string) (string, func() error) {
	t.Helper()
	shared, app := fmt.Sprintf("shared-%d", round), fmt.Sprintf("app-%d", round)
	newAsset(t, c, actor, shared)
	newAsset(t, c, actor, app)
	mustApply(t, c, actor, shared, "prod", set("seed", map[string]map[string]string{"db": sharedDB}))
	mustApply(t, c, actor, app, "prod", set("seed", map[string]map[string]string{"db": {"n": `1`}}))
	return shared, func() error {
		_, err := c.Catalog.ApplyChangeSet(t.Context(), actor, app, "prod",
			set("reference", map[string]map[string]string{"db": {"url": `"${` + shared + `/db.host}"`}}))
		return err
	}
}

// raceSchema is the schema the schema races put: it caps db.port at 100.
var raceSchema = json.RawMessage(`{"properties":{"db":{"properties":{"port":{"type":"integer","maximum":100}}}}}`)

// TestConcurrentSchemaAndChangeSet races, for 30 rounds, a schema put on an
// asset whose heads say it has none with a change set that breaks that
// schema: at most one of them may commit, so that no current version breaks
// the asset's schema (the change set must see the schema that committed
// while it waited, although its head was unmarked when it started).
func TestConcurrentSchemaAndChangeSet(t *testing.T) {
	race(t, "schemarace", "the schema and the change set breaking it", domain.KindSchemaViolation,
		func(c *core.Core, actor domain.Actor, round int) raceRound {
			slug := fmt.Sprintf("app-%d", round)
			newAsset(t, c, actor, slug)
			for _, env := range []string{"local", "stage", "prod"} {
				mustApply(t, c, actor, slug, env, set("seed", map[string]map[string]string{"db": {"port": `1`}}))
			}
			return raceRound{
				func() error { _, err := c.Catalog.PutSchema(t.Context(), actor, slug, raceSchema); return err },
				func() error {
					_, err := c.Catalog.ApplyChangeSet(t.Context(), actor, slug, "prod",
						set("break", map[string]map[string]string{"db": {"port": `1000`}}))
					return err
				},
			}
		})
}

// TestConcurrentSchemaAndFirstWrite races, for 30 rounds, a schema put with
// the first write of an environment created at the same moment, which the
// put's list of environments may miss: the write breaks the schema, so at
// most one of them may commit. The put keeps every write of the asset out
// (LockBySlugExclusive), so a first write that it did not see either
// committed before its check or waits for its commit and then sees it.
func TestConcurrentSchemaAndFirstWrite(t *testing.T) {
	race(t, "firstrace", "the schema and the first write breaking it", domain.KindSchemaViolation,
		func(c *core.Core, actor domain.Actor, round int) raceRound {
			slug := fmt.Sprintf("app-%d", round)
			newAsset(t, c, actor, slug)
			mustApply(t, c, actor, slug, "prod", set("seed", map[string]map[string]string{"db": {"port": `1`}}))
			env := fmt.Sprintf("new-%d", round)
			return raceRound{
				func() error { _, err := c.Catalog.PutSchema(t.Context(), actor, slug, raceSchema); return err },
				func() error {
					if _, err := c.Catalog.CreateEnvironment(t.Context(), actor, env); err != nil {
						return err
					}
					_, err := c.Catalog.ApplyChangeSet(t.Context(), actor, slug, env,
						set("break", map[string]map[string]string{"db": {"port": `1000`}}))
					return err
				},
			}
		})
}

package integration

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/configmat/configmat/adapters/postgres"
	"github.com/configmat/configmat/core"
	"github.com/configmat/configmat/core/catalog"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
	"github.com/configmat/configmat/test/pgtest"
)

// errRolledBack ends a measuring transaction that must change nothing.
var errRolledBack = errors.New("integration: rolled back after measuring")

// rollbackTx runs every transaction to its end and then rolls it back.
type rollbackTx struct{ inner ports.Transactor }

func (r rollbackTx) InTenant(ctx context.Context, tenant domain.TenantID, fn func(context.Context, ports.TenantTx) error) error {
	return r.inner.InTenant(ctx, tenant, func(ctx context.Context, s ports.TenantTx) error {
		if err := fn(ctx, s); err != nil {
			return err
		}
		return errRolledBack
	})
}

func (r rollbackTx) Global(ctx context.Context, fn func(context.Context, ports.GlobalTx) error) error {
	return r.inner.Global(ctx, func(ctx context.Context, s ports.GlobalTx) error {
		if err := fn(ctx, s); err != nil {
			return err
		}
		return errRolledBack
	})
}

// atomicOps are the multi-write operations whose every partial failure must
// leave every table as it was, audit chain included.
func atomicOps(actor domain.Actor) []struct {
	name string
	run  func(ctx context.Context, c *core.Core) error
} {
	return []struct {
		name string
		run  func(ctx context.Context, c *core.Core) error
	}{
		{"ChangeSet", func(ctx context.Context, c *core.Core) error {
			_, err := c.Catalog.ApplyChangeSet(ctx, actor, "app", "local", set("edit", map[string]map[string]string{
				"database": {"host": `"db.changed"`, "secret_token": `"t0ken"`},
				"features": {"beta": `true`},
			}))
			return err
		}},
		{"Promotion", func(ctx context.Context, c *core.Core) error {
			_, err := c.Catalog.Promote(ctx, actor, "app", catalog.PromoteRequest{From: "local", To: "stage"})
			return err
		}},
		{"Rollback", func(ctx context.Context, c *core.Core) error {
			_, err := c.Catalog.Rollback(ctx, actor, "app", "local", 1)
			return err
		}},
	}
}

// seedAtomicity gives a new tenant an asset "app" with two versions in local
// (with a secret) and one in stage.
func seedAtomicity(t *testing.T, c *core.Core) domain.Actor {
	t.Helper()
	actor := newTenant(t, c, "atom")
	newAsset(t, c, actor, "app")
	mustApply(t, c, actor, "app", "local", set("v1", map[string]map[string]string{
		"database": {"host": `"db.one"`, "secret_password": `"pw-1"`},
	}))
	if _, err := c.Catalog.Promote(t.Context(), actor, "app", catalog.PromoteRequest{From: "local", To: "stage"}); err != nil {
		t.Fatal(err)
	}
	mustApply(t, c, actor, "app", "local", set("v2", map[string]map[string]string{"database": {"host": `"db.two"`}}))
	return actor
}

func TestAtomicityUnderInjectedFailures(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	store := db.Store(t)
	actor := seedAtomicity(t, newCore(t, store))
	admin := db.Admin(t)

	for _, op := range atomicOps(actor) {
		t.Run(op.name, func(t *testing.T) {
			before := tableDigests(t, admin)
			measure := &faultyTx{inner: rollbackTx{store}}
			if err := op.run(t.Context(), newCore(t, measure)); !errors.Is(err, errRolledBack) {
				t.Fatalf("measuring run = %v, want it rolled back", err)
			}
			calls := measure.count()
			if calls < 4 {
				t.Fatalf("%s made %d store calls; expected a multi-write operation", op.name, calls)
			}
			wantSameTables(t, before, tableDigests(t, admin))
			t.Logf("%s makes %d store calls; failing each in turn", op.name, calls)

			for n := 1; n <= calls; n++ {
				err := op.run(t.Context(), newCore(t, &faultyTx{inner: store, failAt: n}))
				if err == nil {
					t.Fatalf("store call %d of %d failed, yet %s succeeded", n, calls, op.name)
				}
				wantSameTables(t, before, tableDigests(t, admin))
			}

			if err := op.run(t.Context(), newCore(t, store)); err != nil {
				t.Fatalf("%s without failures: %v", op.name, err)
			}
			after := tableDigests(t, admin)
			if after["versions"] == before["versions"] || after["audit_entries"] == before["audit_entries"] {
				t.Errorf("%s without failures changed no version or audit entry", op.name)
			}
		})
	}
}

func TestAtomicityWhenBackendTerminated(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	const appName = "configmat-atomicity-victim"
	store := db.Store(t, func(c *postgres.Config) {
		c.URL = pgtest.WithApplicationName(t, db.AppURL, appName)
		c.PoolSize, c.MaxOverflow = 1, 0
	})
	actor := seedAtomicity(t, newCore(t, store))
	admin := db.Admin(t)

	for _, op := range atomicOps(actor) {
		t.Run(op.name, func(t *testing.T) {
			before := tableDigests(t, admin)
			killed := false
			f := &faultyTx{inner: store, afterWrite: 1, onWrite: func() {
				killed = terminateBackends(t, db, appName)
			}}
			if err := op.run(t.Context(), newCore(t, f)); err == nil {
				t.Fatalf("%s succeeded although its backend was terminated after its first write", op.name)
			}
			if !killed {
				t.Fatal("no backend was terminated")
			}
			wantSameTables(t, before, tableDigests(t, admin))
			// The pool replaces the dead connection.
			if err := op.run(t.Context(), newCore(t, store)); err != nil {
				t.Fatalf("%s after the terminated backend: %v", op.name, err)
			}
		})
	}
}

// terminateBackends ends the backends of the database's connections named
// appName and waits until they are gone; it reports whether there was one.
func terminateBackends(t *testing.T, db *pgtest.DB, appName string) bool {
	t.Helper()
	admin := db.Admin(t)
	var pids []int
	if err := admin.SelectContext(t.Context(), &pids,
		`SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`, appName); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if _, err := admin.ExecContext(t.Context(), `SELECT pg_terminate_backend($1)`, pid); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var alive int
		if err := admin.GetContext(t.Context(), &alive,
			`SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1)`, pq.Array(pids)); err != nil {
			t.Fatal(err)
		}
		if alive == 0 {
			return len(pids) > 0
		}
		if time.Now().After(deadline) {
			t.Fatal("terminated backends are still alive")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

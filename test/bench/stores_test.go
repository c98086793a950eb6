package bench

import (
	"context"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/configmat/configmat/adapters/postgres"
	"github.com/configmat/configmat/adapters/sqlite"
	"github.com/configmat/configmat/ports"
	"github.com/configmat/configmat/test/pgtest"
	"github.com/configmat/configmat/test/stack"
)

// feedStore is what the benchmarks need of a store adapter: transactions,
// and the change feed that keeps the read cache in step.
type feedStore interface {
	ports.Transactor
	ports.ChangeFeed
}

// storeKind is a store adapter that the store benchmarks run on.
type storeKind struct {
	name string
	// open returns a new, empty, migrated store closed when tb ends, and its
	// statement counter (nil when the store does not count statements).
	open func(tb testing.TB) (feedStore, *pgtest.Counter)
}

// storeKinds are the stores compared side by side, in the order reported.
var storeKinds = []storeKind{
	{name: "postgres", open: openPostgres},
	{name: "sqlite", open: openSQLite},
}

// openPostgres opens a fresh database as the application role (subject to
// row-level security), through pgtest's counting driver, with the pool
// settings' production defaults.
func openPostgres(tb testing.TB) (feedStore, *pgtest.Counter) {
	tb.Helper()
	store, counter, _ := openPostgresDB(tb)
	return store, counter
}

// openPostgresDB is openPostgres that also returns the fresh database.
func openPostgresDB(tb testing.TB) (feedStore, *pgtest.Counter, *pgtest.DB) {
	tb.Helper()
	db := pgtest.New(tb).Fresh(tb)
	counter, dsn := pgtest.NewCounter(tb, withServiceOptions(tb, db.AppURL))
	store := db.Store(tb, func(c *postgres.Config) {
		c.URL, c.DriverName = dsn, pgtest.CountingDriverName
		c.PoolSize, c.MaxOverflow, c.Recycle = postgres.DefaultPoolSize, postgres.DefaultMaxOverflow, postgres.DefaultRecycle
	})
	return store, counter, db
}

// withServiceOptions returns rawURL with the connection options of the
// DATABASE_URL that docker-compose.yml gives the configmat service (its
// query: sslmode, binary_parameters), so that the benchmarks connect as the
// shipped stack does.
func withServiceOptions(tb testing.TB, rawURL string) string {
	tb.Helper()
	c, err := stack.LoadCompose(stack.ComposeFile())
	if err != nil {
		tb.Fatal(err)
	}
	svc, err := c.Service("configmat")
	if err != nil {
		tb.Fatal(err)
	}
	shipped, err := url.Parse(svc.Environment["DATABASE_URL"])
	if err != nil {
		tb.Fatalf("docker-compose.yml's DATABASE_URL: %v", err)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	for k, v := range shipped.Query() {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// openSQLite opens the embedded store in a new temporary folder.
func openSQLite(tb testing.TB) (feedStore, *pgtest.Counter) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	store, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "configmat.db"))
	if err != nil {
		tb.Fatalf("open the embedded store: %v", err)
	}
	tb.Cleanup(func() {
		if err := store.Close(); err != nil {
			tb.Errorf("close the embedded store: %v", err)
		}
	})
	return store, nil
}

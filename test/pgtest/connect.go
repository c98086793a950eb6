package pgtest

import (
	"context"
	"testing"
	"time"

	"github.com/configmat/configmat/adapters/postgres"
	"github.com/jmoiron/sqlx"
)

// Store opens the adapter as the application role, with a pool of 4 (+4)
// connections recycled every minute unless tune changes the configuration.
// It is closed when t ends.
func (d *DB) Store(t testing.TB, tune ...func(*postgres.Config)) *postgres.Store {
	t.Helper()
	c := postgres.Config{URL: d.AppURL, PoolSize: 4, MaxOverflow: 4, Recycle: time.Minute}
	for _, f := range tune {
		f(&c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := postgres.Open(ctx, c)
	if err != nil {
		t.Fatalf("pgtest: open the store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// Admin connects to the database as the server's superuser.
func (d *DB) Admin(t testing.TB) *sqlx.DB { t.Helper(); return Connect(t, d.AdminURL) }

// Owner connects to the database as the tables' owner.
func (d *DB) Owner(t testing.TB) *sqlx.DB { t.Helper(); return Connect(t, d.OwnerURL) }

// App connects to the database as the application role, bypassing the
// adapter: raw SQL, subject to row-level security.
func (d *DB) App(t testing.TB) *sqlx.DB { t.Helper(); return Connect(t, d.AppURL) }

// Connect opens a connection pool to url, closed when t ends.
func Connect(t testing.TB, url string) *sqlx.DB {
	t.Helper()
	db, err := sqlx.Open("postgres", url)
	if err != nil {
		t.Fatalf("pgtest: open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	return db
}

// WithApplicationName returns the URL rawURL with application_name set, to
// find its connections in pg_stat_activity.
func WithApplicationName(t testing.TB, rawURL, name string) string {
	t.Helper()
	u, err := withQuery(rawURL, "application_name", name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return u
}

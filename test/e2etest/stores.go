package e2etest

import "testing"

// Store names the store a server under test runs on.
type Store string

const (
	// SQLite is the embedded store (DATABASE_URL unset, DEBUG=true, in the
	// server's folder).
	SQLite Store = "sqlite"
	// Postgres is a fresh PostgreSQL database of the pgtest harness, served
	// through the application role.
	Postgres Store = "postgres"
)

// Stores are the stores every end-to-end suite runs on, in order.
var Stores = []Store{SQLite, Postgres}

// ForEachStore runs fn once per store of Stores, as subtests named after
// it.
func ForEachStore(t *testing.T, fn func(t *testing.T, store Store)) {
	t.Helper()
	for _, s := range Stores {
		t.Run(string(s), func(t *testing.T) { fn(t, s) })
	}
}

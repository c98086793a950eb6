package ops

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/configmat/configmat/test/e2etest"
	"github.com/configmat/configmat/test/pgtest"
)

// listenerApplicationName is the application_name of a server's change-feed
// connection (adapters/postgres).
const listenerApplicationName = "configmat-listener"

// postgresEnv returns the settings of a server on db as the application role.
func postgresEnv(db *pgtest.DB, encryptionKey string, extra map[string]string) map[string]string {
	env := map[string]string{
		"DATABASE_URL":           db.AppURL,
		"MIGRATION_DATABASE_URL": db.OwnerURL,
		"ENCRYPTION_KEY":         encryptionKey,
		"ALLOW_SIGNUP":           "true",
		"DB_POOL_SIZE":           "2",
		"DB_MAX_OVERFLOW":        "4",
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// pair is two server processes on one PostgreSQL database.
type pair struct {
	db    *pgtest.DB
	admin *sqlx.DB
	// writer takes the changes; reader serves them from its own cache.
	writer, reader *e2etest.Server
	// writerListener is the backend PID of the writer's change feed.
	writerListener int
}

// startPair starts two servers on a fresh database, one after the other, and
// waits until both change feeds are live.
func startPair(t *testing.T) *pair {
	t.Helper()
	return startPairWith(t, nil)
}

// startPairWith is startPair with extra settings for both servers.
func startPairWith(t *testing.T, extra map[string]string) *pair {
	t.Helper()
	db := pgtest.New(t).Fresh(t)
	p := &pair{db: db, admin: db.Admin(t)}
	key := newEncryptionKey(t)
	p.writer = startServer(t, e2etest.Options{Env: postgresEnv(db, key, extra)})
	var pids []int
	if !waitFor(10*time.Second, func() bool { pids = p.listeners(t); return len(pids) == 1 }) {
		t.Fatalf("the first server's change feed is not connected (listeners %v)", pids)
	}
	p.writerListener = pids[0]
	p.reader = startServer(t, e2etest.Options{Env: postgresEnv(db, key, extra)})
	p.readerListener(t)
	for _, srv := range []*e2etest.Server{p.writer, p.reader} {
		requireFeedLive(t, srv)
	}
	return p
}

// listeners returns the backend PIDs of the change-feed connections to the
// pair's database.
func (p *pair) listeners(t *testing.T) []int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var pids []int
	err := p.admin.SelectContext(ctx, &pids,
		`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = $2 ORDER BY pid`,
		p.db.Name, listenerApplicationName)
	if err != nil {
		t.Fatalf("reading pg_stat_activity: %v", err)
	}
	return pids
}

// readerListener waits for the reader's change-feed connection (the one
// that is not the writer's) and returns its backend PID.
func (p *pair) readerListener(t *testing.T) int {
	t.Helper()
	var pids []int
	ok := waitFor(10*time.Second, func() bool {
		pids = p.listeners(t)
		return len(pids) == 2 && slices.Contains(pids, p.writerListener)
	})
	if !ok {
		t.Fatalf("change-feed connections %v, want the writer's %d and one of the reader", pids, p.writerListener)
	}
	if pids[0] == p.writerListener {
		return pids[1]
	}
	return pids[0]
}

// terminate ends a backend as the superuser.
func (p *pair) terminate(t *testing.T, pid int) {
	t.Helper()
	var ok bool
	if err := p.admin.Get(&ok, `SELECT pg_terminate_backend($1)`, pid); err != nil || !ok {
		t.Fatalf("pg_terminate_backend(%d) = %v, %v", pid, ok, err)
	}
}

// requireFeedLive waits until srv reports its cache invalidation live, so
// that its reads come from its cache and a missed notification would show.
func requireFeedLive(t *testing.T, srv *e2etest.Server) {
	t.Helper()
	var h healthDetailed
	if !waitFor(10*time.Second, func() bool {
		h = detailedHealth(t, srv)
		return h.Checks["cache"]["invalidation"] == "live"
	}) {
		t.Fatalf("the server's cache invalidation is not live: %+v", h)
	}
}

package ops

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/configmat/configmat/test/e2etest"
)

// Each fault test runs writers (change sets) and readers (API-key reads)
// over the stack while the fault happens, lets them go on after it, and
// then checks with workload.verify that every acknowledged write is
// present, versions are consecutive, the audit chain verifies, and no
// answer was one the contract forbids (a 500 above all: a dependency that
// is down answers 503 SERVICE_UNAVAILABLE).

// faultLoad is the load of the fault tests.
var faultLoad = loadOptions{writers: 4, readers: 2, allowUnavailable: true}

// Progress the fault tests wait for, before and after the fault.
const (
	acksBefore   = 20
	acksAfter    = 20
	faultTimeout = 60 * time.Second
)

// recoveryBound is how soon after PostgreSQL accepts connections again a
// request through PgBouncer must succeed: compose's server_login_retry
// makes it about a second; the bound leaves room for a loaded machine.
const recoveryBound = 5 * time.Second

// startFaultLoad starts the fault load over st's servers on two tenants
// and waits for its first acknowledged writes.
func startFaultLoad(t *testing.T, st *composeStack, o loadOptions) *workload {
	t.Helper()
	tenants := []loadTenant{newLoadTenant(t, st.servers[0], 2), newLoadTenant(t, st.servers[len(st.servers)-1], 2)}
	w := startWorkload(t, st.servers, tenants, o)
	w.waitAcks(t, acksBefore, faultTimeout)
	return w
}

// TestFaultServerKilled: kill -9 of one of two server processes; the other
// keeps serving every request.
func TestFaultServerKilled(t *testing.T) {
	c := loadCompose(t)
	st := startComposeStack(t, c, sharedBackend(t, c), 2)
	// Only the killed process may leave a request unanswered.
	w := startFaultLoad(t, st, loadOptions{writers: 4, readers: 2})
	w.markDown(1)
	st.kill(t, st.servers[1])
	w.waitMoreAcks(t, acksAfter, faultTimeout)
	w.verify(t, st.servers[0], st.servers[0])
	requireAlive(t, st.servers[0])
}

// TestFaultPostgresRestart: PostgreSQL (a private cluster behind PgBouncer
// with compose's settings) stops and starts again. Requests through
// PgBouncer succeed again within recoveryBound of PostgreSQL accepting
// connections, and both change feeds reconnect.
func TestFaultPostgresRestart(t *testing.T) {
	c := loadCompose(t)
	st := startComposeStack(t, c, privateBackend(t, c), 2)
	w := startFaultLoad(t, st, faultLoad)

	stopped := time.Now()
	st.backend.postgres.Stop()
	// PgBouncer has tried, and failed, to log in while PostgreSQL was down.
	w.waitUnanswered(t, stopped, faultTimeout)
	st.backend.postgres.Start(t)
	back := time.Now()
	took := w.firstAckSentAfter(t, back, faultTimeout)
	t.Logf("PostgreSQL down %s; the first write sent after it accepted connections again was acknowledged %s later (compose's SERVER_LOGIN_RETRY=%s)",
		back.Sub(stopped).Round(time.Millisecond), took.Round(time.Millisecond), c.Services[pgbouncerService].Environment["SERVER_LOGIN_RETRY"])
	if took > recoveryBound {
		t.Errorf("requests through PgBouncer succeeded again %s after PostgreSQL was back, want within %s", took, recoveryBound)
	}
	w.waitMoreAcks(t, acksAfter, faultTimeout)
	for _, srv := range st.servers {
		requireFeedLive(t, srv)
	}
	w.verify(t, st.servers[0], st.servers...)
}

// TestFaultPgBouncerKilled: kill -9 of PgBouncer, then a new PgBouncer on
// the same port.
func TestFaultPgBouncerKilled(t *testing.T) {
	c := loadCompose(t)
	st := startComposeStack(t, c, sharedBackend(t, c), 2)
	w := startFaultLoad(t, st, faultLoad)
	killed := time.Now()
	st.bouncer.Kill()
	w.waitUnanswered(t, killed, faultTimeout)
	st.bouncer.Start(t)
	w.waitMoreAcks(t, acksAfter, faultTimeout)
	w.verify(t, st.servers[0], st.servers...)
}

// TestFaultRedisKilled: kill -9 of Redis, which holds the shared rate-limit
// counters: authenticated requests go on (fail open), none answers 503.
func TestFaultRedisKilled(t *testing.T) {
	c := loadCompose(t)
	st := startComposeStack(t, c, sharedBackend(t, c), 2)
	w := startFaultLoad(t, st, loadOptions{writers: 4, readers: 2})
	st.redis.Kill()
	w.waitMoreAcks(t, acksAfter, faultTimeout)
	w.verify(t, st.servers[0], st.servers...)
}

// TestFaultListenerTerminated: both servers' change-feed connections are
// ended (pg_terminate_backend) three times during the load; every request
// still succeeds, and afterwards both serve each asset's last version.
func TestFaultListenerTerminated(t *testing.T) {
	c := loadCompose(t)
	st := startComposeStack(t, c, sharedBackend(t, c), 2)
	w := startFaultLoad(t, st, loadOptions{writers: 4, readers: 2})
	for range 3 {
		st.terminateListeners(t)
		w.waitMoreAcks(t, acksAfter/2, faultTimeout)
	}
	for _, srv := range st.servers {
		requireFeedLive(t, srv)
	}
	w.verify(t, st.servers[0], st.servers...)
}

// TestFaultEmbeddedStoreKilled: kill -9 of the embedded (SQLite) store's
// only process while writes are in flight, then a new process on the same
// file; `configmat audit verify` agrees with the API.
func TestFaultEmbeddedStoreKilled(t *testing.T) {
	dir := t.TempDir()
	env := embeddedEnv(t, composeTestSettings)
	first := e2etest.Start(t, e2etest.Options{Env: env, Dir: dir})
	lt := newLoadTenant(t, first, 2)
	w := startWorkload(t, []*e2etest.Server{first}, []loadTenant{lt}, loadOptions{writers: 4, readers: 2})
	w.waitAcks(t, acksBefore, faultTimeout)
	w.markDown(0)
	if err := first.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	requireNoPanic(t, first.Logs())
	if _, err := os.Stat(filepath.Join(dir, "data", "configmat.db")); err != nil {
		t.Fatalf("the embedded store's file after the kill: %v", err)
	}

	second := startServer(t, e2etest.Options{Env: env, Dir: dir})
	w.replace(0, second)
	w.waitMoreAcks(t, acksAfter, faultTimeout)
	w.verify(t, second, second)
	if code := second.Stop(t); code != 0 {
		t.Fatalf("exit status after SIGTERM %d, want 0; log:\n%s", code, second.Logs())
	}
	code, out, errOut := e2etest.Run(t, e2etest.Options{Env: env, Dir: dir, Args: []string{"audit", "verify", "--tenant", lt.acct.tenant}}, "")
	if code != 0 {
		t.Errorf("configmat audit verify --tenant %s exited %d: %s%s", lt.acct.tenant, code, out, errOut)
	}
}

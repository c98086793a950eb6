package postgres_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/configmat/configmat/adapters/postgres"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
	"github.com/configmat/configmat/ports/porttest"
	"github.com/configmat/configmat/test/pgtest"
)

// feedWait bounds every wait for the change feed.
const feedWait = 15 * time.Second

func TestListenReconnectsAfterTermination(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	store := db.Store(t)
	tenant := porttest.NewTenant(t, store)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	changes := make(chan domain.Change, 16)
	states := make(chan bool, 16)
	done := make(chan error, 1)
	go func() {
		done <- store.Listen(ctx, func(c domain.Change) { changes <- c }, func(live bool) { states <- live })
	}()
	wantState(t, states, true)

	admin := db.Admin(t)
	// Payloads that are not changes are ignored: any role may notify.
	for _, payload := range []string{"not json", `{"kind":"values"}`, `{"kind":"bogus","tenant_id":"x"}`} {
		if _, err := admin.ExecContext(t.Context(), `SELECT pg_notify('configmat_changes', $1)`, payload); err != nil {
			t.Fatal(err)
		}
	}

	var pids []int
	if err := admin.SelectContext(t.Context(), &pids, `
		SELECT pid FROM pg_stat_activity
		WHERE application_name = 'configmat-listener' AND datname = current_database()`); err != nil {
		t.Fatal(err)
	}
	if len(pids) != 1 {
		t.Fatalf("found %d listener backends, want 1", len(pids))
	}
	if _, err := admin.ExecContext(t.Context(), `SELECT pg_terminate_backend($1)`, pids[0]); err != nil {
		t.Fatal(err)
	}
	wantState(t, states, false)
	wantState(t, states, true)

	change := domain.Change{Kind: domain.ChangeAPIKey, TenantID: tenant.ID, APIKeyID: domain.APIKeyID(uuid.NewString())}
	porttest.MustInTenant(t, store, tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
		return s.Changes().Publish(ctx, change)
	})
	select {
	case got := <-changes:
		if got != change {
			t.Errorf("delivered %+v, want %+v (malformed payloads must be dropped)", got, change)
		}
	case <-time.After(feedWait):
		t.Fatal("no change delivered after the reconnection")
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Listen = %v after its context ended, want nil", err)
		}
	case <-time.After(feedWait):
		t.Fatal("Listen did not return after its context ended")
	}
	wantState(t, states, false)
}

// wantState fails t unless the next state reported is want.
func wantState(t *testing.T, states <-chan bool, want bool) {
	t.Helper()
	select {
	case got := <-states:
		if got != want {
			t.Fatalf("feed state = %v, want %v", got, want)
		}
	case <-time.After(feedWait):
		t.Fatalf("the feed never reported live = %v", want)
	}
}

// listenResult is how a Listen call ended.
type listenResult struct {
	err    error
	states []bool
}

// listenUntilEnd runs Listen on store until it returns or feedWait passes.
func listenUntilEnd(t *testing.T, store *postgres.Store) listenResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), feedWait)
	defer cancel()
	var states []bool
	err := store.Listen(ctx, func(domain.Change) {}, func(live bool) { states = append(states, live) })
	if ctx.Err() != nil {
		t.Fatalf("Listen did not give up within %s (states %v)", feedWait, states)
	}
	return listenResult{err: err, states: states}
}

// TestListenRefusesAFeedThatNeverDelivers: a connection that LISTENs but
// is never handed a notification (a proxy drops them, as PgBouncer in
// transaction mode does) is never live, and Listen says why.
func TestListenRefusesAFeedThatNeverDelivers(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	proxy, listenURL := pgtest.ProxyFor(t, db.AppURL)
	proxy.DropNotifications(true)
	store := db.Store(t, func(c *postgres.Config) { c.ListenURL = listenURL })
	res := listenUntilEnd(t, store)
	if !domain.IsKind(res.err, domain.KindUnavailable) || !strings.Contains(res.err.Error(), "did not receive its own notification") {
		t.Fatalf("Listen = %v, want SERVICE_UNAVAILABLE saying the probe did not come back", res.err)
	}
	if len(res.states) != 0 {
		t.Errorf("states %v, want the feed never live", res.states)
	}
}

// TestListenRefusesABadURL: a listen URL that is not one, or whose server
// refuses the connection, ends Listen at once without quoting the URL.
func TestListenRefusesABadURL(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	_ = closed.Close()
	db := pgtest.New(t)
	cases := []struct {
		name, url string
		kind      domain.Kind
		says      string
	}{
		{"NotAURL", "notaurl", domain.KindInvalid, "not a valid PostgreSQL connection URL"},
		{"NotAURLEither", "postgres://app:hunter2@h:port/db", domain.KindInvalid, "not a valid PostgreSQL connection URL"},
		{"ClosedPort", "postgres://app:hunter2@" + closedAddr + "/db?sslmode=disable", domain.KindUnavailable, "connection was refused"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			store := db.Store(t, func(c *postgres.Config) { c.ListenURL = tc.url })
			res := listenUntilEnd(t, store)
			if !domain.IsKind(res.err, tc.kind) || !strings.Contains(res.err.Error(), tc.says) {
				t.Fatalf("Listen = %v, want %s saying %q", res.err, tc.kind, tc.says)
			}
			var de *domain.Error
			if errors.As(res.err, &de) && (strings.Contains(de.Message, "hunter2") || strings.Contains(de.Message, "notaurl")) {
				t.Errorf("the message quotes the URL: %q", de.Message)
			}
		})
	}
}

// TestListenStaysDownAfterAReconnectThatDoesNotDeliver: once live, a feed
// whose new connection does not deliver its probe stays not live (the cache
// stays bypassed) and goes live again once notifications arrive.
func TestListenStaysDownAfterAReconnectThatDoesNotDeliver(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	proxy, listenURL := pgtest.ProxyFor(t, db.AppURL)
	store := db.Store(t, func(c *postgres.Config) { c.ListenURL = listenURL })
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	states := make(chan bool, 16)
	done := make(chan error, 1)
	go func() {
		done <- store.Listen(ctx, func(domain.Change) {}, func(live bool) { states <- live })
	}()
	wantState(t, states, true)

	proxy.DropNotifications(true)
	proxy.Cut()
	wantState(t, states, false)
	// The reconnection's probe cannot come back: the feed stays down for
	// at least two probe rounds (5 s each, adapters/postgres listener.go).
	select {
	case live := <-states:
		t.Fatalf("the feed reported live = %v on a connection that delivers nothing", live)
	case <-time.After(11 * time.Second):
	}

	proxy.DropNotifications(false)
	wantState(t, states, true)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Listen = %v after its context ended, want nil", err)
	}
}

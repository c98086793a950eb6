package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

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

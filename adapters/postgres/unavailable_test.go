package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/configmat/configmat/adapters/postgres"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
	"github.com/configmat/configmat/ports/porttest"
	"github.com/configmat/configmat/test/pgtest"
)

// lockEnvironments holds an exclusive lock on the environments table as
// the superuser until t ends, so that any statement reading it waits.
func lockEnvironments(t *testing.T, admin *sqlx.DB) {
	t.Helper()
	tx, err := admin.BeginTxx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback() })
	if _, err := tx.ExecContext(t.Context(), `LOCK TABLE environments IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
}

// listEnvironments reads the tenant's environments in one transaction.
func listEnvironments(ctx context.Context, store ports.Transactor, tenant domain.TenantID) error {
	return store.InTenant(ctx, tenant, func(ctx context.Context, s ports.TenantTx) error {
		_, err := s.Environments().List(ctx)
		return err
	})
}

// TestConnectionTerminatedMidTransactionIsUnavailable: a backend ended by
// pg_terminate_backend between two steps of a transaction answers
// SERVICE_UNAVAILABLE, never an internal error, whether the next step is a
// statement or the change notifications sent just before the COMMIT, and
// the next transaction works on a new connection.
func TestConnectionTerminatedMidTransactionIsUnavailable(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	const name = "configmat-terminated"
	store := db.Store(t, func(c *postgres.Config) { c.URL = pgtest.WithApplicationName(t, db.AppURL, name) })
	tenant := porttest.NewTenant(t, store)
	admin := db.Admin(t)
	change := domain.Change{Kind: domain.ChangeAPIKey, TenantID: tenant.ID, APIKeyID: "5b1e2f6c-1d2e-4f3a-9b8c-7d6e5f4a3b2c"}
	for _, tt := range []struct {
		name   string
		before func(ctx context.Context, s ports.TenantTx) error // before the backend ends
		after  func(ctx context.Context, s ports.TenantTx) error // after it
	}{
		{
			name:   "a statement",
			before: func(ctx context.Context, s ports.TenantTx) error { return nil },
			after: func(ctx context.Context, s ports.TenantTx) error {
				_, err := s.Environments().List(ctx)
				return err
			},
		},
		{
			name:   "the changes before the commit",
			before: func(ctx context.Context, s ports.TenantTx) error { return s.Changes().Publish(ctx, change) },
			after:  func(ctx context.Context, s ports.TenantTx) error { return nil },
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := store.InTenant(t.Context(), tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
				if _, err := s.Environments().List(ctx); err != nil {
					return err
				}
				if err := tt.before(ctx, s); err != nil {
					return err
				}
				var ended []bool
				if err := admin.SelectContext(ctx, &ended, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, name); err != nil || len(ended) == 0 {
					t.Fatalf("terminating the transaction's backend: %v, %v", ended, err)
				}
				return tt.after(ctx, s)
			})
			if !domain.IsKind(err, domain.KindUnavailable) {
				t.Fatalf("InTenant after pg_terminate_backend = %v, want SERVICE_UNAVAILABLE", err)
			}
			if err := listEnvironments(t.Context(), store, tenant.ID); err != nil {
				t.Fatalf("the next transaction: %v", err)
			}
		})
	}
}

// TestStatementTimeout: a transaction that waits past the store's statement
// timeout answers SERVICE_UNAVAILABLE ("did not answer in time") once the
// bound has passed, not long after; one whose caller goes away answers
// CANCELED.
func TestStatementTimeout(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	store := db.Store(t)
	const timeout = 300 * time.Millisecond
	store.SetStatementTimeout(timeout)
	tenant := porttest.NewTenant(t, store)
	admin := db.Admin(t)
	lockEnvironments(t, admin)

	started := time.Now()
	err := listEnvironments(t.Context(), store, tenant.ID)
	took := time.Since(started)
	if !domain.IsKind(err, domain.KindUnavailable) || !strings.Contains(err.Error(), "did not answer in time") {
		t.Fatalf("a statement past the timeout = %v, want SERVICE_UNAVAILABLE saying it did not answer in time", err)
	}
	if took < timeout || took > timeout+5*time.Second {
		t.Errorf("the statement answered after %s, want just past %s", took, timeout)
	}

	// Unbounded, a transaction waits for the lock until its caller goes away.
	store.SetStatementTimeout(0)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		defer cancel()
		waitForLockWaiter(ctx, admin, db.Name)
	}()
	if err := listEnvironments(ctx, store, tenant.ID); !domain.IsKind(err, domain.KindCanceled) {
		t.Fatalf("a transaction whose caller went away = %v, want CANCELED", err)
	}
}

// waitForLockWaiter returns once a backend of the database waits for a
// lock, or ctx ends.
func waitForLockWaiter(ctx context.Context, admin *sqlx.DB, database string) {
	for ctx.Err() == nil {
		var waiting int
		err := admin.GetContext(ctx, &waiting, `SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`, database)
		if err == nil && waiting > 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

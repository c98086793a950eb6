package porttest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// feedTimeout bounds every wait for the change feed.
const feedTimeout = 10 * time.Second

func testChanges(t *testing.T, open Opener) {
	tx := open(t)
	tenant := NewTenant(t, tx)
	valuesChange := domain.Change{Kind: domain.ChangeValues, TenantID: tenant.ID, AssetID: domain.AssetID(uuid.NewString()), Environment: "prod"}
	keyChange := domain.Change{Kind: domain.ChangeAPIKey, TenantID: tenant.ID, APIKeyID: domain.APIKeyID(uuid.NewString())}

	t.Run("PublishInTransaction", func(t *testing.T) {
		MustInTenant(t, tx, tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
			for _, c := range []domain.Change{valuesChange, keyChange} {
				if err := s.Changes().Publish(ctx, c); err != nil {
					return err
				}
			}
			return nil
		})
	})

	t.Run("Feed", func(t *testing.T) {
		feed, ok := tx.(ports.ChangeFeed)
		if !ok {
			t.Skip("porttest: the store does not implement ports.ChangeFeed; feed cases not run")
		}
		testFeed(t, tx, feed, tenant.ID, valuesChange, keyChange)
	})
}

// testFeed checks that a listener gets exactly the committed changes, in
// commit order, after commit, and never those of a rolled-back transaction.
func testFeed(t *testing.T, tx ports.Transactor, feed ports.ChangeFeed, tenant domain.TenantID, first, second domain.Change) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	changes := make(chan domain.Change, 16)
	states := make(chan bool, 16)
	done := make(chan error, 1)
	go func() {
		done <- feed.Listen(ctx, func(c domain.Change) { changes <- c }, func(live bool) { states <- live })
	}()
	select {
	case live := <-states:
		if !live {
			t.Fatal("the feed's first state is not live")
		}
	case <-time.After(feedTimeout):
		t.Fatal("the feed never went live")
	}

	errRollback := errors.New("porttest: roll back")
	rolledBack := domain.Change{Kind: domain.ChangeValues, TenantID: tenant, AssetID: domain.AssetID(uuid.NewString())}
	err := tx.InTenant(t.Context(), tenant, func(ctx context.Context, s ports.TenantTx) error {
		mustNot(t, s.Changes().Publish(ctx, rolledBack))
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("InTenant = %v, want fn's error", err)
	}
	MustInTenant(t, tx, tenant, func(ctx context.Context, s ports.TenantTx) error {
		mustNot(t, s.Changes().Publish(ctx, first))
		select {
		case c := <-changes:
			t.Errorf("change %+v delivered before commit", c)
		case <-time.After(100 * time.Millisecond):
		}
		return nil
	})
	MustInTenant(t, tx, tenant, func(ctx context.Context, s ports.TenantTx) error {
		return s.Changes().Publish(ctx, second)
	})
	wantDelivered(t, changes, first, second)

	// Changes ride on the audit entry's statement where the store can; those
	// published after it, or while no entry was written, go at the commit.
	riding := make([]domain.Change, 4)
	for i := range riding {
		riding[i] = domain.Change{Kind: domain.ChangeValues, TenantID: tenant, AssetID: domain.AssetID(uuid.NewString()), Environment: "prod"}
	}
	MustInTenant(t, tx, tenant, func(ctx context.Context, s ports.TenantTx) error {
		mustNot(t, s.Changes().Publish(ctx, riding[0]))
		seq, hash, err := s.Audit().LockHead(ctx)
		mustNot(t, err)
		stale := chainedEntry(tenant, seq, fakeHash(seq+7))
		if ok, err := s.Audit().TryAppend(ctx, stale); ok || err != nil {
			t.Fatalf("TryAppend from a head that is not the chain's = %v, %v; want false", ok, err)
		}
		mustNot(t, s.Changes().Publish(ctx, riding[1]))
		if ok, err := s.Audit().TryAppend(ctx, chainedEntry(tenant, seq, hash)); !ok || err != nil {
			t.Fatalf("TryAppend from the head = %v, %v; want true", ok, err)
		}
		return s.Changes().Publish(ctx, riding[2])
	})
	err = tx.InTenant(t.Context(), tenant, func(ctx context.Context, s ports.TenantTx) error {
		mustNot(t, s.Changes().Publish(ctx, rolledBack))
		seq, hash, err := s.Audit().LockHead(ctx)
		mustNot(t, err)
		mustNot(t, s.Audit().Append(ctx, chainedEntry(tenant, seq, hash)))
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("InTenant = %v, want fn's error", err)
	}
	MustInTenant(t, tx, tenant, func(ctx context.Context, s ports.TenantTx) error {
		return s.Changes().Publish(ctx, riding[3])
	})
	wantDelivered(t, changes, riding...)
	select {
	case c := <-changes:
		t.Errorf("change %+v delivered after every committed one", c)
	case <-time.After(100 * time.Millisecond):
	}

	cancel()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Listen returned %v after its context ended", err)
		}
	case <-time.After(feedTimeout):
		t.Fatal("Listen did not return after its context ended")
	}
}

// chainedEntry returns the entry after the head (seq, hash) of tenant's chain.
func chainedEntry(tenant domain.TenantID, seq int64, hash string) domain.AuditEntry {
	e := newEntry(tenant, seq+1, `{}`)
	e.PreviousHash = hash
	return e
}

// wantDelivered fails t unless changes delivers wants, in order.
func wantDelivered(t *testing.T, changes <-chan domain.Change, wants ...domain.Change) {
	t.Helper()
	for i, want := range wants {
		select {
		case c := <-changes:
			if c != want {
				t.Errorf("delivered change %d = %+v, want %+v", i, c, want)
			}
		case <-time.After(feedTimeout):
			t.Fatalf("committed change %d was not delivered", i)
		}
	}
}

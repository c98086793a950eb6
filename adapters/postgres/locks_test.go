package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
	"github.com/configmat/configmat/ports/porttest"
	"github.com/configmat/configmat/test/pgtest"
)

// TestLockBySlugKeepsTheAssetFromDeletion checks the locks that order
// deletions after writes and writes after a schema's PUT, without timing:
// while a transaction holds LockBySlug, the lock a DELETE needs on the asset
// row is refused at once (FOR UPDATE NOWAIT, as the tables' owner bound to
// the tenant) and a write's is granted (FOR KEY SHARE NOWAIT); while it
// holds LockBySlugExclusive, both are refused; once it commits, they are
// granted. BySlug alone takes no lock.
func TestLockBySlugKeepsTheAssetFromDeletion(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	store := db.Store(t)
	tenant := porttest.NewTenant(t, store)
	asset := porttest.NewAsset(t, store, tenant.ID, "locked")

	// lockable reports whether another transaction could take the asset
	// row with lock (FOR UPDATE: a deletion's; FOR KEY SHARE: a write's) now.
	lockable := func(t *testing.T, lock string) bool {
		t.Helper()
		tx, err := db.Owner(t).BeginTxx(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = tx.Rollback() }()
		if _, err := tx.ExecContext(t.Context(), `SELECT set_config('app.current_tenant', $1, true)`, tenant.ID); err != nil {
			t.Fatal(err)
		}
		var n int
		err = tx.GetContext(t.Context(), &n, `SELECT count(*) FROM (SELECT 1 FROM assets WHERE id = $1 `+lock+` NOWAIT) AS a`, asset.ID)
		if e := pq.As(err); e != nil && e.Code == pqerror.LockNotAvailable {
			return false
		}
		if err != nil || n != 1 {
			t.Fatalf("lock the asset row: %d rows, %v", n, err)
		}
		return true
	}

	deletable := func(t *testing.T) bool { t.Helper(); return lockable(t, "FOR UPDATE") }
	writable := func(t *testing.T) bool { t.Helper(); return lockable(t, "FOR KEY SHARE") }
	for _, c := range []struct {
		name                string
		find                func(s ports.AssetStore, ctx context.Context, slug string) (domain.Asset, error)
		deletable, writable bool
	}{
		{"LockBySlug", ports.AssetStore.LockBySlug, false, true},
		{"LockBySlugExclusive", ports.AssetStore.LockBySlugExclusive, false, false},
		{"BySlug", ports.AssetStore.BySlug, true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			porttest.MustInTenant(t, store, tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
				if _, err := c.find(s.Assets(), ctx, asset.Slug); err != nil {
					return err
				}
				if got := deletable(t); got != c.deletable {
					t.Errorf("deletable while %s holds the asset: %v, want %v", c.name, got, c.deletable)
				}
				if got := writable(t); got != c.writable {
					t.Errorf("writable while %s holds the asset: %v, want %v", c.name, got, c.writable)
				}
				return nil
			})
			if !deletable(t) {
				t.Error("the asset stays locked after the transaction ended")
			}
		})
	}
}

// TestTryAppendFollowsTheHoldersCommit checks the lock that lets the
// appends of one process follow each other: a TryAppend from the entry that
// another transaction appended and has not committed waits for that
// transaction (it locks the head by its key) and then appends, since the
// head it finds under the lock is the one it names. It must not answer
// before that commit. A TryAppend refused because the head is elsewhere
// leaves the head locked until its transaction ends.
func TestTryAppendFollowsTheHoldersCommit(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	store := db.Store(t)
	tenant := porttest.NewTenant(t, store)
	entry := func(seq int64, prev string) domain.AuditEntry {
		return domain.AuditEntry{TenantID: tenant.ID, Seq: seq, Action: domain.ActionAssetCreated, Actor: "system",
			Target: "asset:a", Details: []byte(`{}`), CreatedAt: time.Now(), PreviousHash: prev, Hash: fmt.Sprintf("%064x", seq)}
	}
	first := entry(1, domain.GenesisHash)
	porttest.MustInTenant(t, store, tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
		if _, _, err := s.Audit().LockHead(ctx); err != nil {
			return err
		}
		return s.Audit().Append(ctx, first)
	})

	holding, commit := make(chan struct{}), make(chan struct{})
	held := make(chan error, 1)
	go func() {
		held <- store.InTenant(t.Context(), tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
			if ok, err := s.Audit().TryAppend(ctx, entry(2, first.Hash)); !ok || err != nil {
				return fmt.Errorf("TryAppend of entry 2 = %v, %v", ok, err)
			}
			close(holding)
			<-commit
			return nil
		})
	}()
	<-holding
	followed := make(chan error, 1)
	go func() {
		followed <- store.InTenant(t.Context(), tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
			if ok, err := s.Audit().TryAppend(ctx, entry(3, fmt.Sprintf("%064x", 2))); !ok || err != nil {
				return fmt.Errorf("TryAppend of entry 3 after entry 2's commit = %v, %v", ok, err)
			}
			return nil
		})
	}()
	admin := db.Admin(t)
	for waiting := false; !waiting; {
		select {
		case err := <-followed:
			t.Fatalf("the TryAppend from the uncommitted entry answered before its commit: %v", err)
		default:
		}
		var n int
		if err := admin.GetContext(t.Context(), &n, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%audit_heads%'`); err != nil {
			t.Fatal(err)
		}
		waiting = n > 0
	}
	close(commit)
	for _, done := range []chan error{held, followed} {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}

	porttest.MustInTenant(t, store, tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
		if ok, err := s.Audit().TryAppend(ctx, entry(9, first.Hash)); ok || err != nil {
			return fmt.Errorf("TryAppend from an old head = %v, %v; want false", ok, err)
		}
		var n int
		err := admin.GetContext(ctx, &n, `SELECT count(*) FROM (SELECT 1 FROM audit_heads WHERE tenant_id = $1 FOR UPDATE NOWAIT) AS h`, tenant.ID)
		if e := pq.As(err); e == nil || e.Code != pqerror.LockNotAvailable {
			t.Errorf("the head after a refused TryAppend: %v; want it locked", err)
		}
		return nil
	})
}

package integration

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/configmat/configmat/adapters/postgres"
	"github.com/configmat/configmat/ports"
	"github.com/configmat/configmat/test/pgtest"
)

// holdConnections runs n transactions at once, each holding its connection
// until all n have begun, and fails t if any fails or they never overlap.
func holdConnections(t *testing.T, store *postgres.Store, n int) {
	t.Helper()
	var begun sync.WaitGroup
	begun.Add(n)
	all := make(chan struct{})
	go func() { begun.Wait(); close(all) }()
	errs := concurrently(n, func(int) error {
		return store.Global(t.Context(), func(ctx context.Context, _ ports.GlobalTx) error {
			begun.Done()
			select {
			case <-all:
			case <-time.After(10 * time.Second):
				t.Error("the transactions never all held a connection at once")
			}
			return nil
		})
	})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestPoolSettingsReachDatabaseSQL(t *testing.T) {
	db := pgtest.New(t)

	t.Run("MaxOpenAndIdle", func(t *testing.T) {
		store := db.Store(t, func(c *postgres.Config) { c.PoolSize, c.MaxOverflow, c.Recycle = 2, 3, time.Minute })
		if got := store.Stats().MaxOpenConnections; got != 5 {
			t.Fatalf("MaxOpenConnections = %d, want PoolSize+MaxOverflow = 5", got)
		}
		holdConnections(t, store, 5)
		stats := store.Stats()
		if stats.OpenConnections != 2 || stats.Idle != 2 || stats.MaxIdleClosed != 3 {
			t.Errorf("after 5 concurrent transactions: %d open, %d idle, %d closed as excess idle; want 2, 2, 3",
				stats.OpenConnections, stats.Idle, stats.MaxIdleClosed)
		}
	})

	t.Run("MaxOpenIsEnforced", func(t *testing.T) {
		store := db.Store(t, func(c *postgres.Config) { c.PoolSize, c.MaxOverflow = 1, 0 })
		var wg sync.WaitGroup
		inside := make(chan struct{})
		release := make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = store.Global(t.Context(), func(context.Context, ports.GlobalTx) error {
				close(inside)
				<-release
				return nil
			})
		}()
		<-inside
		waited := make(chan error, 1)
		go func() {
			waited <- store.Global(t.Context(), func(context.Context, ports.GlobalTx) error { return nil })
		}()
		deadline := time.Now().Add(10 * time.Second)
		for store.Stats().WaitCount == 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		close(release)
		wg.Wait()
		if err := <-waited; err != nil {
			t.Fatal(err)
		}
		if stats := store.Stats(); stats.WaitCount == 0 || stats.OpenConnections > 1 {
			t.Errorf("with one connection allowed: wait count %d, %d open; want a wait and 1 open", stats.WaitCount, stats.OpenConnections)
		}
	})

	t.Run("Recycle", func(t *testing.T) {
		store := db.Store(t, func(c *postgres.Config) { c.PoolSize, c.MaxOverflow, c.Recycle = 1, 0, 50*time.Millisecond })
		for range 3 {
			holdConnections(t, store, 1)
			time.Sleep(100 * time.Millisecond)
		}
		if closed := store.Stats().MaxLifetimeClosed; closed == 0 {
			t.Error("no connection was closed for its age with Recycle 50ms")
		}
	})
}

package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// failureTimeout is the statement timeout of these tests.
const failureTimeout = 300 * time.Millisecond

// requireTimedOut fails t unless err is the SERVICE_UNAVAILABLE of a
// transaction past its timeout, answered within a generous margin of it.
func requireTimedOut(t *testing.T, err error, took time.Duration) {
	t.Helper()
	if !domain.IsKind(err, domain.KindUnavailable) || !strings.Contains(err.Error(), "did not answer in time") {
		t.Fatalf("a transaction past the timeout = %v, want SERVICE_UNAVAILABLE saying it did not answer in time", err)
	}
	t.Logf("answered after %s", took)
	if took < failureTimeout || took > failureTimeout+5*time.Second {
		t.Errorf("answered after %s, want just past %s", took, failureTimeout)
	}
}

// TestWaitForTheWriterPastTheTimeout: a transaction that waits for the one
// connection, held by other work of this process, answers
// SERVICE_UNAVAILABLE once the statement timeout has passed.
func TestWaitForTheWriterPastTheTimeout(t *testing.T) {
	s := openTest(t)
	s.SetStatementTimeout(failureTimeout)
	// The pool's one connection, held outside the store and so outside
	// its timeout: a holder under the same timeout would be rolled back
	// just before the waiter's deadline and let it through.
	held, err := s.db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = held.Close() }()
	started := time.Now()
	err = s.Global(t.Context(), func(context.Context, ports.GlobalTx) error { return nil })
	requireTimedOut(t, err, time.Since(started))
}

// TestDatabaseLockedByAnotherProcessPastTheTimeout: a transaction that
// waits for the write lock another store on the same file holds answers
// SERVICE_UNAVAILABLE once the statement timeout has passed.
func TestDatabaseLockedByAnotherProcessPastTheTimeout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "configmat.db")
	first, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = first.Close() })
	second, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = second.Close() })
	second.SetStatementTimeout(failureTimeout)

	lock, err := first.db.BeginTxx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = lock.Rollback() }()
	if _, err := lock.ExecContext(t.Context(), `DELETE FROM users WHERE id = 'none'`); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	err = second.Global(t.Context(), func(context.Context, ports.GlobalTx) error { return nil })
	requireTimedOut(t, err, time.Since(started))
}

package audit

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/configmat/configmat/core/domain"
)

// countingChain is a memChain that counts the calls of the append path and
// can fail TryAppend.
type countingChain struct {
	*memChain
	lockHeads, appends, tries, tried int
	tryErr                           error
	// beforeTry, when set, runs as TryAppend is called.
	beforeTry func()
}

func (c *countingChain) LockHead(ctx context.Context) (int64, string, error) {
	c.lockHeads++
	return c.memChain.LockHead(ctx)
}

func (c *countingChain) Append(ctx context.Context, e domain.AuditEntry) error {
	c.appends++
	return c.memChain.Append(ctx, e)
}

func (c *countingChain) TryAppend(ctx context.Context, e domain.AuditEntry) (bool, error) {
	if c.beforeTry != nil {
		c.beforeTry()
	}
	c.tries++
	if c.tryErr != nil {
		return false, c.tryErr
	}
	ok, err := c.memChain.TryAppend(ctx, e)
	if ok {
		c.tried++
	}
	return ok, err
}

// TestAppendFromTheRememberedHead checks how Append reaches the chain head:
// from the head the log remembers, in one call (TryAppend), when it is
// still the chain's; by locking it first (LockHead, then Append) when the
// log remembers none, when another append of the tenant kept the turn past
// the wait, or when the head moved without it: another process appended, or
// the transaction of the log's last append rolled back. The
// chain and its signed checkpoints verify after each case.
func TestAppendFromTheRememberedHead(t *testing.T) {
	errStore := errors.New("store down")
	cases := []struct {
		name string
		// before runs on the chain after the log's first append, when set,
		// and before the append counted.
		first  bool
		before func(t *testing.T, chain *memChain, signer *Signer)
		tryErr error
		// turnTaken holds the tenant's turn for the length of the append
		// counted, which then goes without it once the wait runs out.
		turnTaken bool
		// Calls of the append counted.
		wantLockHeads, wantTries, wantTried, wantAppends int
		wantErr                                          error
		wantEntries                                      int
	}{
		{name: "no remembered head", wantLockHeads: 1, wantAppends: 1, wantEntries: 1},
		{name: "remembered head", first: true, wantTries: 1, wantTried: 1, wantEntries: 2},
		{name: "another process appended", first: true, before: func(t *testing.T, chain *memChain, signer *Signer) {
			grow(t, chain, signer, 2)
		}, wantTries: 1, wantLockHeads: 1, wantAppends: 1, wantEntries: 4},
		{name: "the last append rolled back", first: true, before: func(_ *testing.T, chain *memChain, _ *Signer) {
			chain.entries = chain.entries[:len(chain.entries)-1]
		}, wantTries: 1, wantLockHeads: 1, wantAppends: 1, wantEntries: 1},
		{name: "store error", first: true, tryErr: errStore, wantTries: 1, wantErr: errStore, wantEntries: 1},
		{name: "another append of the tenant holding the turn past the wait", first: true, turnTaken: true, wantLockHeads: 1, wantAppends: 1, wantEntries: 2},
	}
	actor := domain.Actor{TenantID: tenant1, UserID: "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", Role: domain.RoleEditor}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			signer := testSigner(t)
			mem := newMemChain()
			log := NewLog(Deps{Clock: fixedClock(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)), Signer: signer, TurnWait: time.Millisecond})
			if c.first {
				growWith(t, log, mem, 1)
			}
			if c.before != nil {
				c.before(t, mem, signer)
			}
			chain := &countingChain{memChain: mem, tryErr: c.tryErr}
			if c.turnTaken {
				release, ok, err := log.turns.take(t.Context(), tenant1)
				if !ok || err != nil {
					t.Fatalf("take the turn: %v, %v", ok, err)
				}
				defer release()
			}
			err := log.Append(t.Context(), chain, actor, "test.appended", "item:counted", nil)
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("Append = %v, want %v", err, c.wantErr)
			}
			got := [4]int{chain.lockHeads, chain.tries, chain.tried, chain.appends}
			if want := [4]int{c.wantLockHeads, c.wantTries, c.wantTried, c.wantAppends}; got != want {
				t.Errorf("LockHead, TryAppend (appended), Append calls = %v, want %v", got, want)
			}
			if len(mem.entries) != c.wantEntries {
				t.Fatalf("the chain has %d entries, want %d", len(mem.entries), c.wantEntries)
			}
			admin := domain.SystemActor(tenant1)
			v, err := proofService(t, mem, signer).Verify(t.Context(), admin)
			if err != nil || !v.Valid || v.Entries != int64(c.wantEntries) {
				t.Fatalf("Verify = %+v, %v; want a valid chain of %d entries", v, err, c.wantEntries)
			}
			if err == nil && c.wantErr == nil && !c.turnTaken {
				// The log now remembers the head it wrote: the next append
				// takes one call.
				tries := chain.tried
				if err := log.Append(t.Context(), chain, actor, "test.appended", "item:next", nil); err != nil {
					t.Fatal(err)
				}
				if chain.tried != tries+1 {
					t.Errorf("the append after it did not append from the remembered head")
				}
			}
		})
	}
}

// TestAppendsOfATenantTakeTurns checks that an append of a tenant that
// comes while another one's statement runs waits for its turn and then
// appends from that one's entry, in one call each: neither locks the head
// first (in the database, the second's statement would wait for the
// first's commit). The first's statement is held until the second is
// waiting for its turn.
func TestAppendsOfATenantTakeTurns(t *testing.T) {
	signer := testSigner(t)
	mem := newMemChain()
	log := NewLog(Deps{Clock: fixedClock(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)), Signer: signer, TurnWait: time.Hour})
	growWith(t, log, mem, 1)
	entered, proceed := make(chan struct{}), make(chan struct{})
	first := &countingChain{memChain: mem, beforeTry: func() { close(entered); <-proceed }}
	second := &countingChain{memChain: mem}
	actor := domain.Actor{TenantID: tenant1, UserID: "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", Role: domain.RoleEditor}
	errs := make(chan error, 2)
	go func() { errs <- log.Append(t.Context(), first, actor, "test.appended", "item:first", nil) }()
	<-entered
	go func() { errs <- log.Append(t.Context(), second, actor, "test.appended", "item:second", nil) }()
	for waiting := false; !waiting; {
		log.turns.mu.Lock()
		tu := log.turns.byTenant[tenant1]
		waiting = tu != nil && tu.users == 2
		log.turns.mu.Unlock()
		runtime.Gosched()
	}
	close(proceed)
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for name, c := range map[string]*countingChain{"first": first, "second": second} {
		if got := [3]int{c.lockHeads, c.tries, c.tried}; got != [3]int{0, 1, 1} {
			t.Errorf("%s append: LockHead, TryAppend (appended) calls = %v, want [0 1 1]", name, got)
		}
	}
	v, err := proofService(t, mem, signer).Verify(t.Context(), domain.SystemActor(tenant1))
	if err != nil || !v.Valid || v.Entries != 3 {
		t.Fatalf("Verify = %+v, %v; want a valid chain of 3 entries", v, err)
	}
	if n := len(log.turns.byTenant); n != 0 {
		t.Errorf("%d turns left after the appends", n)
	}
}

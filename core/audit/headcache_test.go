package audit

import (
	"context"
	"errors"
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
// log remembers none, when another append of the tenant is running in the
// log, or when the head moved without it: another process appended, or the
// transaction of the log's last append rolled back. The
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
		// running starts another append of the tenant's for the length of
		// the append counted.
		running bool
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
		{name: "another append of the tenant running", first: true, running: true, wantLockHeads: 1, wantAppends: 1, wantEntries: 2},
	}
	actor := domain.Actor{TenantID: tenant1, UserID: "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", Role: domain.RoleEditor}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			signer := testSigner(t)
			mem := newMemChain()
			log := NewLog(Deps{Clock: fixedClock(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)), Signer: signer})
			if c.first {
				growWith(t, log, mem, 1)
			}
			if c.before != nil {
				c.before(t, mem, signer)
			}
			chain := &countingChain{memChain: mem, tryErr: c.tryErr}
			if c.running {
				log.tree.start(tenant1)
				defer log.tree.finish(tenant1)
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
			if err == nil && c.wantErr == nil && !c.running {
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

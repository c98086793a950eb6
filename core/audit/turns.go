package audit

import (
	"context"
	"sync"
	"time"

	"github.com/configmat/configmat/core/domain"
)

// DefaultTurnWait is how long an append waits for its tenant's turn
// (Deps.TurnWait) before it locks the chain head without it.
const DefaultTurnWait = 250 * time.Millisecond

// turns queues the appends of each tenant in the process, so that they send
// their statements one at a time, each from the head that the one before it
// wrote: the next one waits in the database for that one's commit and then
// finds the head it expects, instead of locking the head first (a statement
// more, and every waiting writer woken at each commit). A turn is held from
// the start of an append to the return of its statement, never until a
// commit.
//
// An append waits at most the turns' wait, and then goes without its turn.
// That bounds the one wait that could otherwise last for ever: a
// transaction appending a second entry of a tenant while another append
// holds the turn and waits, in the database, for that transaction's commit.
type turns struct {
	wait     time.Duration
	mu       sync.Mutex
	byTenant map[domain.TenantID]*turn
}

// turn is one tenant's: ch holds a value while an append has the turn;
// users counts the appends that have or wait for it.
type turn struct {
	ch    chan struct{}
	users int
}

func newTurns(wait time.Duration) *turns {
	if wait <= 0 {
		wait = DefaultTurnWait
	}
	return &turns{wait: wait, byTenant: map[domain.TenantID]*turn{}}
}

// take waits for the tenant's turn, at most the turns' wait. ok says that
// the append has it and must call release; false, the wait ran out. err is
// ctx's error when ctx ended first.
func (t *turns) take(ctx context.Context, tenant domain.TenantID) (release func(), ok bool, err error) {
	t.mu.Lock()
	tu := t.byTenant[tenant]
	if tu == nil {
		tu = &turn{ch: make(chan struct{}, 1)}
		t.byTenant[tenant] = tu
	}
	tu.users++
	t.mu.Unlock()
	leave := func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if tu.users--; tu.users == 0 {
			delete(t.byTenant, tenant)
		}
	}
	release = func() {
		<-tu.ch
		leave()
	}
	select {
	case tu.ch <- struct{}{}:
		return release, true, nil
	default:
	}
	timer := time.NewTimer(t.wait)
	defer timer.Stop()
	select {
	case tu.ch <- struct{}{}:
		return release, true, nil
	case <-timer.C:
		leave()
		return nil, false, nil
	case <-ctx.Done():
		leave()
		return nil, false, ctx.Err()
	}
}

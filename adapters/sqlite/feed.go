package sqlite

import (
	"context"
	"maps"
	"slices"
	"sync"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

var _ ports.ChangeFeed = (*Store)(nil)

// feed fans committed changes out to this process's listeners: the embedded
// store has no other process to tell.
type feed struct {
	mu        sync.Mutex
	listeners map[int]func(domain.Change)
	next      int
	// delivering serializes deliveries, so a listener is never called
	// concurrently with itself.
	delivering sync.Mutex
}

func newFeed() *feed { return &feed{listeners: map[int]func(domain.Change){}} }

// add registers a listener and returns its removal.
func (f *feed) add(onChange func(domain.Change)) (remove func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.next
	f.next++
	f.listeners[id] = onChange
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.listeners, id)
	}
}

// deliver calls every listener with every change, in order.
func (f *feed) deliver(changes []domain.Change) {
	if len(changes) == 0 {
		return
	}
	f.delivering.Lock()
	defer f.delivering.Unlock()
	f.mu.Lock()
	listeners := slices.Collect(maps.Values(f.listeners))
	f.mu.Unlock()
	for _, c := range changes {
		for _, l := range listeners {
			l(c)
		}
	}
}

// Listen calls onState(true) once registered, then onChange for every change
// committed through this store until ctx ends; it then unregisters, calls
// onState(false) and returns nil. No change is lost while it listens.
// onChange runs in the committing goroutine right after the commit, one change
// at a time: it must be quick and must not itself commit changes.
func (s *Store) Listen(ctx context.Context, onChange func(domain.Change), onState func(live bool)) error {
	if onChange == nil {
		return domain.Errorf(domain.KindInternal, "Listen needs an onChange function")
	}
	remove := s.feed.add(onChange)
	if onState != nil {
		onState(true)
	}
	<-ctx.Done()
	remove()
	if onState != nil {
		onState(false)
	}
	return nil
}

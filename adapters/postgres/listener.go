package postgres

import (
	"context"
	"time"

	"github.com/configmat/configmat/core/domain"
	"github.com/lib/pq"
)

// Reconnection backoff of the change feed: the wait before a reconnection
// starts at the minimum and doubles after each failed attempt, up to the
// maximum.
const (
	listenMinReconnect = 100 * time.Millisecond
	listenMaxReconnect = 5 * time.Second
)

// Listen delivers the changes committed by every process sharing the
// database. It keeps a dedicated connection (application_name
// configmat-listener) listening on configmat_changes and reconnects with
// backoff when it is lost. onState(true) is called once the channel is
// listened to, onState(false) when the connection is lost or a connection
// attempt fails, and onState(true) again after a reconnection; while not
// live, changes may be missed. Payloads that are not a change are ignored:
// any role may notify the channel. Listen blocks until ctx ends and then
// returns nil (after onState(false) if it was live); it returns an error
// only when the server refuses to listen.
func (s *Store) Listen(ctx context.Context, onChange func(domain.Change), onState func(live bool)) error {
	stop := make(chan struct{})
	events := make(chan pq.ListenerEventType, 16)
	listener := pq.NewListener(s.listenDSN, listenMinReconnect, listenMaxReconnect,
		func(event pq.ListenerEventType, _ error) {
			select {
			case events <- event:
			case <-stop:
			}
		})
	defer func() {
		close(stop)
		_ = listener.Close()
		// The listener's goroutine may be blocked sending on Notify until
		// it sees the close; drain it so that it can end.
		go func() {
			for range listener.Notify {
			}
		}()
	}()
	listened := make(chan error, 1)
	go func() { listened <- listener.Listen(changesChannel) }()

	feed := feedState{onState: onState}
	for {
		select {
		case <-ctx.Done():
			feed.stop()
			return nil
		case err := <-listened:
			if err != nil {
				feed.stop()
				return domain.Wrap(err, "could not listen to the change feed")
			}
			feed.listening()
		case event := <-events:
			feed.event(event)
		case n, ok := <-listener.Notify:
			if !ok {
				feed.stop()
				return domain.Errorf(domain.KindUnavailable, "The change feed was closed.")
			}
			if n == nil { // reconnected: nothing to deliver
				continue
			}
			if c, ok := decodeChange(n.Extra); ok {
				onChange(c)
			}
		}
	}
}

// feedState tracks whether the feed is live: the channel is listened to and
// the connection is up. It reports transitions only.
type feedState struct {
	onState    func(live bool)
	registered bool
	up         bool
	live       bool
}

// listening records that LISTEN succeeded (or will be replayed on the next
// connection).
func (f *feedState) listening() {
	f.registered = true
	f.report()
}

// event records a connection event of the listener.
func (f *feedState) event(e pq.ListenerEventType) {
	switch e {
	case pq.ListenerEventConnected, pq.ListenerEventReconnected:
		f.up = true
	case pq.ListenerEventDisconnected, pq.ListenerEventConnectionAttemptFailed:
		f.up = false
	}
	f.report()
}

// stop reports the end of the feed.
func (f *feedState) stop() {
	f.registered = false
	f.report()
}

func (f *feedState) report() {
	if live := f.registered && f.up; live != f.live {
		f.live = live
		f.onState(live)
	}
}

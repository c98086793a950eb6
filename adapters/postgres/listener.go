package postgres

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/configmat/configmat/core/domain"
)

// Reconnection backoff of the change feed: the wait before a reconnection
// starts at the minimum and doubles after each failed attempt, up to the
// maximum.
const (
	listenMinReconnect = 100 * time.Millisecond
	listenMaxReconnect = 5 * time.Second
)

// The feed's self-check: probeTimeout bounds the wait for a probe sent over
// the pool to come back on the listening connection (and, after a failed
// probe, the wait before the next one); listenStartTimeout bounds the first
// connection, its LISTEN and its probe together.
const (
	probeTimeout       = 5 * time.Second
	listenStartTimeout = 15 * time.Second
)

// Listen delivers the changes committed by every process sharing the
// database. It keeps a dedicated connection (ListenURL, application_name
// configmat-listener) listening on configmat_changes and reconnects with
// backoff when it is lost.
//
// The feed proves itself before it reports live: once the channel is
// listened to, and again after every reconnection, it sends a probe (a
// notification with a random nonce) over the pool, that is over URL as
// every change is sent, and reports onState(true) only once the probe came
// back on the listening connection within probeTimeout. A connection that
// LISTENs but delivers nothing (PgBouncer in transaction mode, another
// database) therefore never reports live. onState(false) is called when a
// live feed loses its connection; after a reconnection whose probe does not
// come back the feed stays not live and probes again every probeTimeout.
// While not live, changes may be missed.
//
// Before the feed has first been live, Listen returns a SERVICE_UNAVAILABLE
// error saying why (the URL is not valid, the connection failed and why,
// the probe did not come back, nothing within listenStartTimeout); its
// message never holds the URL. Payloads that are not a change, the probes
// of every process included, are ignored: any role may notify the channel.
// Listen blocks until ctx ends and then returns nil (after onState(false)
// if it was live).
func (s *Store) Listen(ctx context.Context, onChange func(domain.Change), onState func(live bool)) error {
	if _, err := pq.NewConfig(s.listenDSN); s.listenDSN == "" || err != nil {
		// pq's error quotes the connection string: it is not kept.
		return domain.Errorf(domain.KindInvalid, "The change feed's URL is not a valid PostgreSQL connection URL.")
	}
	stop := make(chan struct{})
	events := make(chan listenerEvent, 16)
	listener := pq.NewListener(s.listenDSN, listenMinReconnect, listenMaxReconnect,
		func(event pq.ListenerEventType, err error) {
			select {
			case events <- listenerEvent{event, err}:
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
	start := time.NewTimer(listenStartTimeout)
	defer start.Stop()
	var (
		pending  string // the nonce of the probe awaited, "" when none
		retry    = time.NewTimer(0)
		everLive bool
	)
	retry.Stop()
	defer retry.Stop()
	// probe sends a probe when the feed is listening, connected and not yet
	// proven, and none is awaited; a probe that cannot be sent is retried.
	probe := func() error {
		if !feed.registered || !feed.up || feed.proven || pending != "" {
			return nil
		}
		nonce := rand.Text()
		retry.Reset(probeTimeout)
		if err := s.sendProbe(ctx, nonce); err != nil {
			if !everLive && ctx.Err() == nil {
				return &domain.Error{Kind: domain.KindUnavailable, Message: "The change feed could not send its probe notification: " + connectionProblem(err), Cause: err}
			}
			return nil
		}
		pending = nonce
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			feed.stop()
			return nil
		case <-start.C:
			if !everLive {
				feed.stop()
				return domain.Errorf(domain.KindUnavailable, "The change feed was not live within %s: its connection could not be made or did not deliver its own notification.", listenStartTimeout)
			}
		case err := <-listened:
			if err != nil {
				feed.stop()
				return &domain.Error{Kind: domain.KindUnavailable, Message: "The change feed could not LISTEN: " + connectionProblem(err), Cause: err}
			}
			feed.listening()
		case ev := <-events:
			if ev.event == pq.ListenerEventConnectionAttemptFailed && !everLive {
				feed.stop()
				return &domain.Error{Kind: domain.KindUnavailable, Message: "The change feed could not connect: " + connectionProblem(ev.err), Cause: ev.err}
			}
			if feed.event(ev.event) {
				pending = "" // a probe sent before the connection changed may never come
			}
		case <-retry.C:
			if pending != "" && !everLive {
				feed.stop()
				return domain.Errorf(domain.KindUnavailable, "The change feed did not receive its own notification within %s: its connection listens but does not deliver notifications (PgBouncer in transaction mode cannot carry LISTEN); give the feed a direct connection to the database.", probeTimeout)
			}
			pending = ""
		case n, ok := <-listener.Notify:
			if !ok {
				feed.stop()
				return domain.Errorf(domain.KindUnavailable, "The change feed was closed.")
			}
			if n == nil { // reconnected: nothing to deliver
				continue
			}
			if pending != "" && isProbe(n.Extra, pending) {
				pending = ""
				retry.Stop()
				feed.prove()
				everLive = everLive || feed.live
				continue
			}
			if c, ok := decodeChange(n.Extra); ok {
				onChange(c)
			}
		}
		if err := probe(); err != nil {
			feed.stop()
			return err
		}
	}
}

// listenerEvent is one connection event of lib/pq's listener.
type listenerEvent struct {
	event pq.ListenerEventType
	err   error
}

// probeMessage is the payload of the feed's self-check: no change (it has
// no tenant), so every process's feed ignores every other's probes.
type probeMessage struct {
	Probe string `json:"probe"`
}

// sendProbe notifies the channel with nonce over the pool, bounded by
// probeTimeout.
func (s *Store) sendProbe(ctx context.Context, nonce string) error {
	payload, err := json.Marshal(probeMessage{Probe: nonce})
	if err != nil {
		return fmt.Errorf("encoding the probe: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	_, err = s.db.ExecContext(ctx, `SELECT pg_notify($1, $2)`, changesChannel, string(payload))
	return err
}

// isProbe reports whether payload is the probe carrying nonce.
func isProbe(payload, nonce string) bool {
	var m probeMessage
	return json.Unmarshal([]byte(payload), &m) == nil && m.Probe == nonce
}

// feedState tracks whether the feed is live: the channel is listened to,
// the connection is up, and a probe came back since it was made. It
// reports transitions only.
type feedState struct {
	onState    func(live bool)
	registered bool
	up         bool
	proven     bool
	live       bool
}

// listening records that LISTEN succeeded (or will be replayed on the next
// connection).
func (f *feedState) listening() {
	f.registered = true
	f.report()
}

// event records a connection event of the listener and reports whether the
// connection changed (a new one must prove itself).
func (f *feedState) event(e pq.ListenerEventType) (changed bool) {
	switch e {
	case pq.ListenerEventConnected, pq.ListenerEventReconnected:
		f.up, f.proven, changed = true, false, true
	case pq.ListenerEventDisconnected, pq.ListenerEventConnectionAttemptFailed:
		f.up, f.proven, changed = false, false, true
	}
	f.report()
	return changed
}

// prove records that a probe came back on the current connection.
func (f *feedState) prove() {
	f.proven = true
	f.report()
}

// stop reports the end of the feed.
func (f *feedState) stop() {
	f.registered = false
	f.report()
}

func (f *feedState) report() {
	if live := f.registered && f.up && f.proven; live != f.live {
		f.live = live
		if f.onState != nil {
			f.onState(live)
		}
	}
}

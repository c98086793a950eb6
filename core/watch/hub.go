// Package watch follows resolved configurations for the clients that wait on
// them: watch streams and long polls. A Hub keeps one topic per resolution
// being followed (tenant, asset, environment, with or without secrets) and
// resolves it once per committed change, for every subscriber of the topic:
// ten thousand streams of one configuration cost one resolution per change,
// not ten thousand.
//
// The hub learns of changes from the process's change feed (Apply, SetLive),
// the same one that invalidates the read cache, so a change committed by any
// process reaches every subscriber of every process. It also ends
// subscriptions that must not go on: the asset was deleted, the API key was
// revoked or expired, the user's token expired or their membership changed,
// the subscriber fell too far behind, or the process shuts down.
package watch

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/configmat/configmat/core/catalog"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// Defaults of Deps.
const (
	// DefaultMaxStreams is WATCH_MAX's default.
	DefaultMaxStreams = 10000
	// DefaultBuffer is how many configurations a subscriber may have
	// waiting before it is dropped as too slow.
	DefaultBuffer = 8
	// DefaultRetry is how long a topic whose resolution failed (the database
	// was down) waits before it is resolved again.
	DefaultRetry = time.Second
	// resolveTimeout bounds one resolution of a topic.
	resolveTimeout = 10 * time.Second
)

// Why a subscription ended; Subscription.Err returns one of them.
var (
	// ErrDeleted: the asset (or its environment) no longer exists.
	ErrDeleted = errors.New("watch: the asset was deleted")
	// ErrCredentialEnded: the credential the subscription was opened with
	// was revoked or expired, or the user's membership changed.
	ErrCredentialEnded = errors.New("watch: the credential is no longer valid")
	// ErrTooSlow: the subscriber left too many configurations unread.
	ErrTooSlow = errors.New("watch: the subscriber fell too far behind")
	// ErrShutdown: the process is shutting down.
	ErrShutdown = errors.New("watch: the server is shutting down")
	// ErrClosed: the subscriber closed the subscription.
	ErrClosed = errors.New("watch: the subscription was closed")
)

// Access authorizes a reader (catalog.Service.Access).
type Access interface {
	Access(actor domain.Actor, slug, env string) (ports.ResolutionKey, error)
}

// Deps are what a Hub needs.
type Deps struct {
	// Access authorizes each subscription.
	Access Access
	// Resolutions answers the topics' resolutions: the read cache's, when
	// the core has one, so that a change is read from the store once.
	Resolutions ports.ResolutionSource[catalog.Resolved]
	// MaxStreams bounds the open streams (WATCH_MAX; default
	// DefaultMaxStreams). Long polls are not counted.
	MaxStreams int
	// Buffer is how many configurations may wait for one subscriber
	// (default DefaultBuffer).
	Buffer int
	// Retry is how long a failed resolution waits before the next
	// (default DefaultRetry).
	Retry time.Duration
	// Clock tells the time of expiries (the system clock when nil).
	Clock ports.Clock
	// Reads, when set, counts each stream opened as one read (a long poll
	// was counted by the Resolve that preceded it).
	Reads ports.ReadRecorder
}

// Hub is safe for concurrent use. The zero value is not usable; use New.
type Hub struct {
	deps Deps

	mu      sync.Mutex
	closed  bool
	streams int
	polls   int
	topics  map[domain.TenantID]map[ports.ResolutionKey]*topic
}

// topic is one resolution followed by subscribers.
type topic struct {
	key ports.ResolutionKey
	// assetID is the asset the topic follows, known once it is resolved:
	// a slug deleted and created again is another asset.
	assetID domain.AssetID
	// refs are the other assets the latest resolution's references read:
	// a change of one of them changes the topic's content without a new
	// version.
	refs map[domain.AssetID]bool
	// latest is the newest resolution, nil before the first.
	latest *catalog.Resolved
	// ready is closed when the first resolution is settled; firstErr is its
	// error when it failed.
	ready    chan struct{}
	firstErr error
	subs     map[*Subscription]struct{}
	// resolving is set while a resolution runs; dirty asks it to run again
	// because a change came meanwhile.
	resolving, dirty bool
	// removed is set when the last subscriber left.
	removed bool
}

// New returns a hub with no subscription.
func New(deps Deps) *Hub {
	if deps.Access == nil || deps.Resolutions == nil {
		panic("watch: Deps needs Access and Resolutions")
	}
	if deps.MaxStreams <= 0 {
		deps.MaxStreams = DefaultMaxStreams
	}
	if deps.Buffer <= 0 {
		deps.Buffer = DefaultBuffer
	}
	if deps.Retry <= 0 {
		deps.Retry = DefaultRetry
	}
	if deps.Clock == nil {
		deps.Clock = ports.SystemClock{}
	}
	return &Hub{deps: deps, topics: map[domain.TenantID]map[ports.ResolutionKey]*topic{}}
}

// Kind says what a subscription is for.
type Kind int

const (
	// Stream is a watch stream: counted against MaxStreams.
	Stream Kind = iota
	// LongPoll is a request waiting for the next change: not counted.
	LongPoll
)

// Subscription receives the resolutions of one topic: the current one at
// once, then one per change of it, until it ends (Done, Err).
type Subscription struct {
	hub    *Hub
	topic  *topic
	actor  domain.Actor
	kind   Kind
	events chan catalog.Resolved
	done   chan struct{}
	// err is set, under the hub's lock, before done is closed.
	err   error
	ended bool
	timer *time.Timer
}

// Subscribe authorizes actor to read slug in env as catalog.Service.Resolve
// does and follows that resolution. The subscription's Events holds the
// current resolution when Subscribe returns. Errors: those of Resolve for
// what does not exist or may not be read; SERVICE_UNAVAILABLE when the
// process holds MaxStreams streams (for a Stream) or is shutting down.
func (h *Hub) Subscribe(ctx context.Context, actor domain.Actor, slug, env string, kind Kind) (*Subscription, error) {
	key, err := h.deps.Access.Access(actor, slug, env)
	if err != nil {
		return nil, err
	}
	sub := &Subscription{hub: h, actor: actor, kind: kind, events: make(chan catalog.Resolved, h.deps.Buffer), done: make(chan struct{})}
	h.mu.Lock()
	switch {
	case h.closed:
		h.mu.Unlock()
		if kind == Stream && h.deps.Reads != nil {
			h.deps.Reads.RecordRead(actor, slug, env, key.WithSecrets)
		}
		return nil, domain.Errorf(domain.KindUnavailable, "The server is shutting down; connect again.")
	case kind == Stream && h.streams >= h.deps.MaxStreams:
		h.mu.Unlock()
		return nil, domain.Errorf(domain.KindUnavailable, "This server holds as many watch streams as it may; try again later.")
	}
	t := h.topicLocked(key)
	sub.topic = t
	t.subs[sub] = struct{}{}
	if kind == Stream {
		h.streams++
	} else {
		h.polls++
	}
	if t.latest != nil {
		sub.events <- *t.latest
	}
	if !actor.Expires.IsZero() {
		sub.timer = time.AfterFunc(actor.Expires.Sub(h.deps.Clock.Now()), func() { h.end(sub, ErrCredentialEnded) })
	}
	h.mu.Unlock()

	select {
	case <-t.ready:
	case <-ctx.Done():
		sub.Close()
		return nil, domain.Wrap(ctx.Err(), "the request ended")
	}
	if t.firstErr != nil {
		sub.Close()
		return nil, t.firstErr
	}
	return sub, nil
}

// topicLocked returns key's topic, created (and its first resolution
// started) when nobody follows it yet.
func (h *Hub) topicLocked(key ports.ResolutionKey) *topic {
	ts := h.topics[key.Tenant]
	if ts == nil {
		ts = map[ports.ResolutionKey]*topic{}
		h.topics[key.Tenant] = ts
	}
	if t := ts[key]; t != nil {
		return t
	}
	t := &topic{key: key, ready: make(chan struct{}), subs: map[*Subscription]struct{}{}}
	ts[key] = t
	h.refreshLocked(t)
	return t
}

// refreshLocked resolves t again, in the background: at once, or after the
// resolution running now when one is (a change came during it).
func (h *Hub) refreshLocked(t *topic) {
	if t.resolving {
		t.dirty = true
		return
	}
	t.resolving = true
	go h.resolve(t)
}

// resolve resolves t until no change came during its last resolution, and
// settles each result.
func (h *Hub) resolve(t *topic) {
	for {
		ctx, cancel := context.WithTimeout(context.Background(), resolveTimeout)
		r, reads, err := h.deps.Resolutions.Resolve(ctx, t.key)
		cancel()
		h.mu.Lock()
		h.settleLocked(t, r, reads, err)
		again := t.dirty && !t.removed
		t.dirty = false
		t.resolving = again
		h.mu.Unlock()
		if !again {
			return
		}
	}
}

// settleLocked hands a resolution of t to its subscribers when it is new,
// and ends them when the asset is gone. A failure of the first resolution
// fails Subscribe; a later one is retried after Deps.Retry.
func (h *Hub) settleLocked(t *topic, r catalog.Resolved, reads ports.ReadSet, err error) {
	assetID := reads.Asset
	if t.removed {
		return
	}
	first := t.latest == nil && t.firstErr == nil
	gone := domain.IsKind(err, domain.KindAssetNotFound) || domain.IsKind(err, domain.KindEnvironmentNotFound) ||
		(err == nil && t.assetID != "" && assetID != t.assetID)
	switch {
	case err != nil && first:
		t.firstErr = err
		close(t.ready)
		h.endAllLocked(t, err)
	case gone:
		h.endAllLocked(t, ErrDeleted)
	case err != nil:
		time.AfterFunc(h.deps.Retry, func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			if !t.removed {
				h.refreshLocked(t)
			}
		})
	case t.latest == nil || changed(*t.latest, r):
		t.assetID = assetID
		t.refs = make(map[domain.AssetID]bool, len(reads.References))
		for _, a := range reads.References {
			t.refs[a] = true
		}
		t.latest = &r
		for sub := range t.subs {
			select {
			case sub.events <- r:
			default:
				h.endLocked(sub, ErrTooSlow)
			}
		}
		if first {
			close(t.ready)
		}
	}
}

// changed reports whether next is another resolution than prev: another
// asset or version, or a referenced asset read at another version (a
// version is immutable, and so is what a set of versions resolves to).
func changed(prev, next catalog.Resolved) bool {
	return !prev.SameContent(next)
}

// Apply acts on a committed change: the topics it may have changed (of its
// asset, or whose references read its asset) are resolved again; the subscriptions of a revoked API key, or of a user
// whose membership changed, end. The caller (the process's change feed)
// applies the read cache's invalidation first, so that the new resolution is
// read from the store.
func (h *Hub) Apply(ch domain.Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, t := range h.topics[ch.TenantID] {
		switch ch.Kind {
		case domain.ChangeValues:
			if (ch.AssetID == "" || t.assetID == "" || t.assetID == ch.AssetID || t.refs[ch.AssetID]) &&
				(ch.Environment == "" || ch.Environment == t.key.Environment) {
				h.refreshLocked(t)
			}
		case domain.ChangeAPIKey, domain.ChangeMember:
			for sub := range t.subs {
				if endedBy(ch, sub.actor) {
					h.endLocked(sub, ErrCredentialEnded)
				}
			}
		}
	}
}

// endedBy reports whether a credential change ends the subscriptions of
// actor: the API key it names (every key of the tenant when it names none),
// or the user whose membership it names.
func endedBy(ch domain.Change, actor domain.Actor) bool {
	switch ch.Kind {
	case domain.ChangeAPIKey:
		return actor.IsAPIKey() && (ch.APIKeyID == "" || ch.APIKeyID == actor.APIKeyID)
	case domain.ChangeMember:
		return actor.IsUser() && (ch.UserID == "" || ch.UserID == actor.UserID)
	}
	return false
}

// SetLive is told when the change feed goes live or is lost. Changes may
// have been missed while it was down, so going live resolves every topic
// again; subscribers see only what changed.
func (h *Hub) SetLive(live bool) {
	if !live {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ts := range h.topics {
		for _, t := range ts {
			h.refreshLocked(t)
		}
	}
}

// Close ends every subscription with ErrShutdown and refuses new ones; the
// server calls it when it starts shutting down, so that streams end and
// their clients reconnect to another process.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for _, ts := range h.topics {
		for _, t := range ts {
			h.endAllLocked(t, ErrShutdown)
		}
	}
}

// Streams returns the number of open streams.
func (h *Hub) Streams() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.streams
}

// LongPolls returns the number of long polls waiting.
func (h *Hub) LongPolls() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.polls
}

// end ends sub with reason unless it has ended.
func (h *Hub) end(sub *Subscription, reason error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.endLocked(sub, reason)
}

// endAllLocked ends every subscription of t.
func (h *Hub) endAllLocked(t *topic, reason error) {
	for sub := range t.subs {
		h.endLocked(sub, reason)
	}
}

// endLocked ends sub with reason, and drops its topic when it was the last
// subscriber.
func (h *Hub) endLocked(sub *Subscription, reason error) {
	if sub.ended {
		return
	}
	sub.ended = true
	sub.err = reason
	close(sub.done)
	if sub.timer != nil {
		sub.timer.Stop()
	}
	if sub.kind == Stream {
		h.streams--
	} else {
		h.polls--
	}
	t := sub.topic
	delete(t.subs, sub)
	if len(t.subs) == 0 && !t.removed {
		t.removed = true
		ts := h.topics[t.key.Tenant]
		delete(ts, t.key)
		if len(ts) == 0 {
			delete(h.topics, t.key.Tenant)
		}
	}
}

// Events delivers the resolutions: the current one first, then one per
// change. A subscriber that leaves Deps.Buffer of them unread is ended with
// ErrTooSlow.
func (s *Subscription) Events() <-chan catalog.Resolved { return s.events }

// Done is closed when the subscription has ended; the resolutions sent
// before may still wait in Events.
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Err says why the subscription ended (ErrDeleted, ErrCredentialEnded,
// ErrTooSlow, ErrShutdown, ErrClosed, or the error of its first
// resolution); nil while it goes on.
func (s *Subscription) Err() error {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	return s.err
}

// Close ends the subscription (ErrClosed); it may be called more than once.
func (s *Subscription) Close() { s.hub.end(s, ErrClosed) }

package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/configmat/configmat/core/catalog"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/jsontext"
	"github.com/configmat/configmat/core/watch"
)

// Timing of watch streams and long polls.
const (
	// DefaultWatchKeepAlive is how often an idle stream sends a comment
	// line; the contract asks for one at least every 15 seconds.
	DefaultWatchKeepAlive = 15 * time.Second
	// streamWriteTimeout bounds each write of a stream or a long poll's
	// answer: a client that does not read for that long is dropped.
	streamWriteTimeout = 10 * time.Second
	// maxWait is the longest a long poll may wait (?wait=, seconds).
	maxWait = 60
)

// WatchService is the part of watch.Hub the HTTP adapter calls.
type WatchService interface {
	Subscribe(ctx context.Context, actor domain.Actor, slug, env string, kind watch.Kind) (*watch.Subscription, error)
}

var _ WatchService = (*watch.Hub)(nil)

// watchStream answers GET /assets/{slug}/values/watch: a text/event-stream
// of the resolved configuration, its current state first (unless the
// client's Last-Event-ID names it), then one "config" event per change, a
// "deleted" event when the asset is deleted, and a comment line when it has
// been idle for s.keepAlive. It ends when the client leaves, the hub ends
// the subscription (credential no longer valid, client too slow, shutdown)
// or a write does not complete within streamWriteTimeout.
func (s *server) watchStream(w http.ResponseWriter, r *http.Request) error {
	env, err := requiredQuery(r, "environment")
	if err != nil {
		return err
	}
	slug := pathVar(r, "slug")
	actor := actorFrom(r.Context())
	sub, err := s.watch.Subscribe(r.Context(), actor, slug, env, watch.Stream)
	if err != nil {
		return err
	}
	defer sub.Close()

	rc := http.NewResponseController(w)
	// The server's read and write timeouts bound ordinary requests; a
	// stream lives on, each write with a deadline of its own.
	_ = rc.SetReadDeadline(time.Time{})
	h := w.Header()
	h.Set(headerContentType, "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	st := &stream{w: w, rc: rc, lastID: r.Header.Get("Last-Event-ID")}
	if err := st.send(nil, http.StatusOK); err != nil {
		return nil
	}
	keepAlive := time.NewTicker(s.keepAlive)
	defer keepAlive.Stop()
	for {
		select {
		case res := <-sub.Events():
			if err := s.sendConfig(st, actor.TenantID, res); err != nil {
				return nil
			}
		case <-sub.Done():
			s.finishStream(st, sub, actor.TenantID, slug)
			return nil
		case <-keepAlive.C:
			if err := st.send([]byte(": keep-alive\n\n"), 0); err != nil {
				return nil
			}
		case <-r.Context().Done():
			return nil
		}
	}
}

// finishStream sends what an ended subscription still holds and, when the
// asset was deleted, the "deleted" event.
func (s *server) finishStream(st *stream, sub *watch.Subscription, tenant domain.TenantID, slug string) {
	for pending := true; pending; {
		select {
		case res := <-sub.Events():
			if err := s.sendConfig(st, tenant, res); err != nil {
				return
			}
		default:
			pending = false
		}
	}
	if errors.Is(sub.Err(), watch.ErrDeleted) {
		ev := append([]byte("event: deleted\ndata: {\"asset\":"), jsontext.AppendString(nil, slug)...)
		_ = st.send(append(ev, "}\n\n"...), 0)
	}
}

// sendConfig sends res as a "config" event, unless the client already has
// it: its ETag is the last event ID sent, or the one the client said it
// had.
func (s *server) sendConfig(st *stream, tenant domain.TenantID, res catalog.Resolved) error {
	answer, err := s.bodies.answer(tenant, res)
	if err != nil {
		return err
	}
	id := strings.Trim(answer.etag, `"`)
	if id == st.lastID {
		return nil
	}
	st.lastID = id
	ev := make([]byte, 0, len(answer.body)+len(id)+40)
	ev = append(ev, "event: config\nid: "...)
	ev = append(ev, id...)
	ev = append(ev, "\ndata: "...)
	ev = append(ev, answer.body...) // JSON from encoding/json holds no line break
	ev = append(ev, "\n\n"...)
	return st.send(ev, 0)
}

// stream writes the events of one watch stream.
type stream struct {
	w  http.ResponseWriter
	rc *http.ResponseController
	// lastID is the ID of the last event the client has.
	lastID string
}

// send writes b (after the header, when status is set) and flushes it, with
// a deadline of streamWriteTimeout.
func (st *stream) send(b []byte, status int) error {
	if err := st.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	if status != 0 {
		st.w.WriteHeader(status)
	}
	if len(b) > 0 {
		if _, err := st.w.Write(b); err != nil { // #nosec G705 -- text/event-stream of JSON from encoding/json, which escapes <, > and &
			return err
		}
	}
	return st.rc.Flush()
}

// waitQuery reads ?wait=, the seconds a long poll may wait: 1 to maxWait;
// absent is 0 (no waiting).
func waitQuery(r *http.Request) (time.Duration, error) {
	raw := queryValue(r.URL.RawQuery, "wait")
	if raw == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > maxWait {
		return 0, invalidField("wait", "must be an integer from 1 to "+strconv.Itoa(maxWait))
	}
	return time.Duration(n) * time.Second, nil
}

// longPoll answers a values request whose If-None-Match is current and that
// may wait: 200 with the new configuration as soon as it changes, else 304
// after wait. A subscription that ends early (the credential is no longer
// valid, the server shuts down) answers 304, and the client asks again; an
// asset deleted meanwhile answers as a new request would.
func (s *server) longPoll(w http.ResponseWriter, r *http.Request, actor domain.Actor, slug, env string, current *encodedBody, wait time.Duration) error {
	sub, err := s.watch.Subscribe(r.Context(), actor, slug, env, watch.LongPoll)
	if err != nil {
		return err
	}
	defer sub.Close()
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Now().Add(wait + streamWriteTimeout))
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case res := <-sub.Events():
			answer, err := s.bodies.answer(actor.TenantID, res)
			if err != nil {
				return err
			}
			if answer.etag != current.etag {
				writeResolved(w, answer)
				return nil
			}
		case <-sub.Done():
			if errors.Is(sub.Err(), watch.ErrDeleted) {
				if _, err := s.catalog.Resolve(r.Context(), actor, slug, env); err != nil {
					return err
				}
			}
			w.WriteHeader(http.StatusNotModified)
			return nil
		case <-timer.C:
			w.WriteHeader(http.StatusNotModified)
			return nil
		case <-r.Context().Done():
			return domain.Canceled(r.Context().Err())
		}
	}
}

package httpapi

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

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
// been idle for s.keepAlive. It ends when the hub ends the subscription
// (credential no longer valid, client too slow, shutdown) or a write fails
// or does not complete within streamWriteTimeout (the client left).
//
// A stream may stay open for days, by the ten thousand: once the answer's
// header is decided, the handler takes the connection over from net/http
// (http.Hijacker) and returns, and a small goroutine of its own writes the
// events, so that an open stream holds its socket, its subscription and
// that goroutine, not net/http's buffers and request state. The access log
// line is written when the stream opens. Where the connection cannot be
// taken over, the handler serves the stream itself.
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
	h := w.Header()
	h.Set(headerContentType, "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	st := &stream{
		server: s, sub: sub, tenant: actor.TenantID, slug: slug,
		lastID: r.Header.Get("Last-Event-ID"), requestID: stateFrom(r.Context()).requestID(),
	}
	conn, taken, err := hijack(w)
	switch {
	case err != nil:
		sub.Close()
	case taken:
		st.out = connSink{conn: conn}
		go st.run(nil)
	default:
		rc := http.NewResponseController(w)
		// The server's read timeout would end the request's context.
		_ = rc.SetReadDeadline(time.Time{})
		st.out = writerSink{w: w, rc: rc}
		st.run(r.Context().Done())
	}
	return nil
}

// hijack takes the connection of w over for a stream: it writes the answer's
// status line and header (w's, plus Connection: close: the body ends with
// the connection) and returns the connection. taken is false, and nothing
// written, when w cannot be taken over; an error means the connection was
// taken but the header could not be written (it is closed). Whatever the
// client sent after its request is dropped with net/http's buffers: a
// stream's client sends nothing more on its connection.
func hijack(w http.ResponseWriter) (conn net.Conn, taken bool, err error) {
	conn, _, err = http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, false, nil
	}
	var head bytes.Buffer
	head.WriteString("HTTP/1.1 200 OK\r\n")
	h := w.Header()
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	h.Set("Connection", "close")
	_ = h.Write(&head)
	head.WriteString("\r\n")
	if err := (connSink{conn: conn}).send(head.Bytes()); err != nil {
		_ = conn.Close()
		return nil, true, err
	}
	return conn, true, nil
}

// stream is one open watch stream.
type stream struct {
	server *server
	sub    *watch.Subscription
	out    sink
	tenant domain.TenantID
	slug   string
	// lastID is the ID of the last event the client has.
	lastID    string
	requestID string
}

// sink is where a stream's bytes go: a taken-over connection, or the
// handler's ResponseWriter.
type sink interface {
	// send writes b, whole, within streamWriteTimeout.
	send(b []byte) error
	close()
}

// run sends the stream's events until it ends (or gone is closed: the
// handler's client left) and then closes the subscription and the sink.
func (st *stream) run(gone <-chan struct{}) {
	reason := "the client left or stopped reading"
	keepAlive := time.NewTicker(st.server.keepAlive)
	defer func() {
		keepAlive.Stop()
		st.sub.Close()
		st.out.close()
		st.server.logger.WithFields(logrus.Fields{"request_id": st.requestID, "reason": reason}).Debug("watch stream ended")
	}()
	for {
		select {
		case res := <-st.sub.Events():
			if st.sendConfig(res) != nil {
				return
			}
		case <-st.sub.Done():
			st.finish()
			reason = st.sub.Err().Error()
			return
		case <-keepAlive.C:
			if st.out.send([]byte(": keep-alive\n\n")) != nil {
				return
			}
		case <-gone:
			return
		}
	}
}

// finish sends what an ended subscription still holds and, when the asset
// was deleted, the "deleted" event.
func (st *stream) finish() {
	for pending := true; pending; {
		select {
		case res := <-st.sub.Events():
			if st.sendConfig(res) != nil {
				return
			}
		default:
			pending = false
		}
	}
	if errors.Is(st.sub.Err(), watch.ErrDeleted) {
		ev := append([]byte("event: deleted\ndata: {\"asset\":"), jsontext.AppendString(nil, st.slug)...)
		_ = st.out.send(append(ev, "}\n\n"...))
	}
}

// sendConfig sends res as a "config" event, unless the client already has
// it: its ETag is the last event ID sent, or the one the client said it
// had.
func (st *stream) sendConfig(res catalog.Resolved) error {
	answer, err := st.server.bodies.answer(st.tenant, res)
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
	return st.out.send(ev)
}

// connSink writes to a taken-over connection.
type connSink struct{ conn net.Conn }

func (c connSink) send(b []byte) error {
	if err := c.conn.SetWriteDeadline(time.Now().Add(streamWriteTimeout)); err != nil {
		return err
	}
	_, err := c.conn.Write(b) // #nosec G705 -- text/event-stream of JSON from encoding/json, which escapes <, > and &
	return err
}

func (c connSink) close() { _ = c.conn.Close() }

// writerSink writes through the handler's ResponseWriter, flushing each
// write, the server's write timeout extended for each.
type writerSink struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func (s writerSink) send(b []byte) error {
	if err := s.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	if _, err := s.w.Write(b); err != nil { // #nosec G705 -- text/event-stream of JSON from encoding/json, which escapes <, > and &
		return err
	}
	return s.rc.Flush()
}

func (writerSink) close() {}

// parseWait reads raw, the value of ?wait=, the seconds a long poll may
// wait: 1 to maxWait; absent (empty) is 0 (no waiting).
func parseWait(raw string) (time.Duration, error) {
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

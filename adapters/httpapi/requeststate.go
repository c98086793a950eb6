package httpapi

import (
	"context"
	"crypto/rand"
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/sirupsen/logrus"

	"github.com/configmat/configmat/core/domain"
)

// requestIDHeader carries the request ID both ways. Responses set it under
// its canonical key (see headerRequestID).
const requestIDHeader = "X-Request-ID"

// Canonical header keys (textproto.CanonicalMIMEHeaderKey) used on the hot
// path, so that reading or writing them indexes http.Header directly instead
// of canonicalizing the name on every call; the wire shows the same names.
const (
	headerRequestID     = "X-Request-Id"
	headerCacheControl  = "Cache-Control"
	headerNoSniff       = "X-Content-Type-Options"
	headerContentType   = "Content-Type"
	headerContentLength = "Content-Length"
	headerETag          = "Etag"
	headerIfNoneMatch   = "If-None-Match"
	headerRateLimit     = "X-Ratelimit-Limit"
	headerRateRemaining = "X-Ratelimit-Remaining"
	headerRateReset     = "X-Ratelimit-Reset"
)

// Header values every answer carries, shared by all answers: net/http only
// reads them, and a handler that adds a value appends to a full slice, which
// copies it.
var (
	valueNoStore = []string{"no-store"}
	valueNoSniff = []string{"nosniff"}
)

// maxRequestID is the longest request ID a client may send and have kept.
const maxRequestID = 128

// saneRequestID reports whether a client-sent request ID is kept: 1 to
// maxRequestID characters among A-Z, a-z, 0-9, '.', '_' and '-'.
func saneRequestID(id string) bool {
	if id == "" || len(id) > maxRequestID {
		return false
	}
	for i := 0; i < len(id); i++ {
		if !requestIDByte[id[i]] {
			return false
		}
	}
	return true
}

// requestIDByte marks the bytes a sane request ID is made of.
var requestIDByte = func() (set [256]bool) {
	for c := '0'; c <= '9'; c++ {
		set[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		set[c] = true
		set[c-'a'+'A'] = true
	}
	set['.'], set['_'], set['-'] = true, true, true
	return set
}()

// requestIDs hands out the IDs of requests that came without a sane one: a
// random prefix of this process (80 bits, base32) and a counter, so that IDs
// never repeat within a process and practically never across processes, at
// the cost of an atomic increment instead of reading crypto/rand per request.
// A request ID names a request in the logs; it grants nothing.
type requestIDs struct {
	prefix string
	next   atomic.Uint64
}

// newRequestIDs returns a generator with a new random prefix.
func newRequestIDs() *requestIDs {
	return &requestIDs{prefix: rand.Text()[:16] + "-"}
}

// newID returns the next request ID, such as "3KQ7GZ2M5XW4HJ9A-1b".
func (g *requestIDs) newID() string {
	var buf [48]byte
	b := append(buf[:0], g.prefix...)
	b = strconv.AppendUint(b, g.next.Add(1), 36)
	return string(b)
}

// requestState is what the middlewares learn about one request, shared by
// pointer so that the access log sees what inner layers filled in.
type requestState struct {
	clientIP string
	// route is the matched route template; empty when no route matched.
	// routeValue is the same as a log field value.
	route      string
	routeValue any
	// actor is the authenticated actor (user or API key) the access log
	// names; authenticated is what guard passed to the route's handler.
	actor         domain.Actor
	authenticated domain.Actor
	// slug is the {slug} of the polled route when it was matched without
	// the router (see withPollRoute); pathVar reads it.
	slug string
	// escapedPath is the encoded path as routingPath found and kept it;
	// empty when it rewrote the URL (or did not run).
	escapedPath string
	// base is the logger the request-scoped logger is derived from.
	base logrus.FieldLogger
	// recorder is the access log's view of the answer (see accessLog).
	recorder statusRecorder
	// idValue holds the request ID (see requestID) and backs the
	// X-Request-ID header value; rateValues backs the X-RateLimit-* header
	// values: setting them allocates no slice.
	idValue    [1]string
	rateValues [3]string
	// clientGone records that the request ended because its client went
	// away: nothing was answered, and the access log says 499.
	clientGone bool
}

// requestID returns the request's ID.
func (st *requestState) requestID() string { return st.idValue[0] }

// noRoute is the route field of a request no route matched.
var noRoute any = ""

type stateKey struct{}

// stateContext is a request's context with its state in one allocation,
// where context.WithValue would make a second: its Value answers stateKey
// with the state and asks the parent for anything else, and the rest
// (deadline, cancellation) is the parent's.
type stateContext struct {
	context.Context
	state requestState
}

// Value implements context.Context.
func (c *stateContext) Value(key any) any {
	if _, ok := key.(stateKey); ok {
		return &c.state
	}
	return c.Context.Value(key)
}

// lookupState returns the request's state, if it passed withRequestState.
func lookupState(ctx context.Context) (*requestState, bool) {
	if c, ok := ctx.(*stateContext); ok {
		return &c.state, true
	}
	st, ok := ctx.Value(stateKey{}).(*requestState)
	return st, ok
}

// stateFrom returns the request's state; a request that did not pass
// withRequestState gets an empty one.
func stateFrom(ctx context.Context) *requestState {
	if st, ok := lookupState(ctx); ok {
		return st
	}
	return &requestState{}
}

// withNewState returns r carrying a new, empty state, and the state.
func withNewState(r *http.Request) (*http.Request, *requestState) {
	c := &stateContext{Context: r.Context()}
	return r.WithContext(c), &c.state
}

// LoggerFromContext returns the request-scoped logger, carrying request_id and
// (once authenticated) tenant_id, for logs about the request's work. Outside
// a request it returns logrus's standard logger. It is built on each call,
// since most requests log nothing but their access line.
func LoggerFromContext(ctx context.Context) logrus.FieldLogger {
	if st, ok := lookupState(ctx); ok && st.base != nil {
		return st.logger()
	}
	return logrus.StandardLogger()
}

// logger returns the request-scoped logger.
func (st *requestState) logger() *logrus.Entry {
	fields := logrus.Fields{"request_id": st.requestID()}
	if st.actor.TenantID != "" {
		fields["tenant_id"] = string(st.actor.TenantID)
	}
	return st.base.WithFields(fields)
}

// withRequestState gives every request its ID (echoed in X-Request-ID), its
// client IP and a request-scoped logger. Every answer is marked not to be
// stored by caches, since many carry secrets.
func (s *server) withRequestState(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var id string
		if sent := r.Header[headerRequestID]; len(sent) > 0 {
			id = sent[0]
		}
		if !saneRequestID(id) {
			id = s.requestIDs.newID()
		}
		r, st := withNewState(r)
		st.clientIP = s.proxies.clientIP(r)
		st.routeValue = noRoute
		st.base = s.logger
		st.idValue[0] = id
		h := w.Header()
		h[headerRequestID] = st.idValue[:1:1]
		h[headerCacheControl] = valueNoStore
		h[headerNoSniff] = valueNoSniff
		next.ServeHTTP(w, r)
	})
}

// setActor records the authenticated actor for the access log and the
// request-scoped logger's tenant_id.
func (st *requestState) setActor(a domain.Actor) {
	st.actor = a
}

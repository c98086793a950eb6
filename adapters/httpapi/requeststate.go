package httpapi

import (
	"context"
	"crypto/rand"
	"net/http"
	"regexp"

	"github.com/sirupsen/logrus"

	"github.com/configmat/configmat/core/domain"
)

// requestIDHeader carries the request ID both ways.
const requestIDHeader = "X-Request-ID"

// saneRequestID is what a client-sent request ID must look like to be kept.
var saneRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

// requestState is what the middlewares learn about one request, shared by
// pointer so that the access log sees what inner layers filled in.
type requestState struct {
	requestID string
	clientIP  string
	// route is the matched route template; empty when no route matched.
	route  string
	actor  domain.Actor
	logger *logrus.Entry
	// clientGone records that the request ended because its client went
	// away: nothing was answered, and the access log says 499.
	clientGone bool
}

type stateKey struct{}

// stateFrom returns the request's state; a request that did not pass
// withRequestState gets an empty one.
func stateFrom(ctx context.Context) *requestState {
	if st, ok := ctx.Value(stateKey{}).(*requestState); ok {
		return st
	}
	return &requestState{}
}

// LoggerFromContext returns the request-scoped logger, carrying request_id and
// (once authenticated) tenant_id, for logs about the request's work. Outside
// a request it returns logrus's standard logger.
func LoggerFromContext(ctx context.Context) logrus.FieldLogger {
	if st, ok := ctx.Value(stateKey{}).(*requestState); ok && st.logger != nil {
		return st.logger
	}
	return logrus.StandardLogger()
}

// withRequestState gives every request its ID (echoed in X-Request-ID), its
// client IP and a request-scoped logger. Every answer is marked not to be
// stored by caches, since many carry secrets.
func (s *server) withRequestState(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(requestIDHeader)
		if !saneRequestID.MatchString(id) {
			id = rand.Text()
		}
		h := w.Header()
		h.Set(requestIDHeader, id)
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		st := &requestState{
			requestID: id,
			clientIP:  s.proxies.clientIP(r),
			logger:    s.logger.WithField("request_id", id),
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), stateKey{}, st)))
	})
}

// setActor records the authenticated actor for the access log and adds its
// tenant to the request-scoped logger.
func (st *requestState) setActor(a domain.Actor) {
	st.actor = a
	if a.TenantID != "" && st.logger != nil {
		st.logger = st.logger.WithField("tenant_id", string(a.TenantID))
	}
}

package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sirupsen/logrus"
)

// statusRecorder remembers the status a handler answered with.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

// WriteHeader records the status once.
func (rec *statusRecorder) WriteHeader(status int) {
	if rec.status == 0 {
		rec.status = status
	}
	rec.ResponseWriter.WriteHeader(status)
}

// Write records the implicit 200 of a body written without WriteHeader.
func (rec *statusRecorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return rec.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (rec *statusRecorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// wroteHeader reports whether the answer has started.
func (rec *statusRecorder) wroteHeader() bool { return rec.status != 0 }

// accessLog writes one line per request: info, or error for a 5xx answer. It
// names the route template, never the headers, body or query. A request whose
// connection was aborted by a panic is logged as such; one whose client went
// away before the answer is status 499 (nginx's "client closed request") at
// info: the client's doing, not a server error.
func (s *server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.now()
		var rec *statusRecorder
		if st, ok := lookupState(r.Context()); ok {
			st.recorder = statusRecorder{ResponseWriter: w}
			rec = &st.recorder
		} else {
			rec = &statusRecorder{ResponseWriter: w}
		}
		defer func() {
			v := recover()
			st := stateFrom(r.Context())
			status := finalStatus(rec.status, st, v != nil)
			s.logRequest(r, st, status, start, s.now(), v != nil)
			if v != nil {
				panic(v)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// finalStatus is the status a request is logged with: the one answered, else
// 500 for a request aborted by a panic, 499 for one whose client went away,
// and 200 for a handler that wrote nothing.
func finalStatus(answered int, st *requestState, aborted bool) int {
	switch {
	case answered != 0:
		return answered
	case aborted:
		return http.StatusInternalServerError
	case st.clientGone:
		return statusClientClosedRequest
	}
	return http.StatusOK
}

// logRequest writes the access log line of one request that ran from start
// to end. With the real clock, end is also the line's time, which logrus
// would otherwise read from the clock again.
func (s *server) logRequest(r *http.Request, st *requestState, status int, start, end time.Time, aborted bool) {
	took := end.Sub(start)
	if s.observer != nil {
		s.observer.ObserveRequest(st.route, r.Method, status, took)
	}
	level := logrus.InfoLevel
	if status >= http.StatusInternalServerError || aborted {
		level = logrus.ErrorLevel
	}
	if !levelEnabled(s.logger, level) {
		return
	}
	if s.accessLines != nil && s.writeAccessLine(r, st, status, level, took, end, aborted) {
		return
	}
	if l, ok := s.logger.(*logrus.Logger); ok {
		entry := accessEntries.Get().(*logrus.Entry)
		entry.Logger = l
		if s.realClock {
			entry.Time = end
		}
		clear(entry.Data)
		accessFields(entry.Data, r, st, status, took, aborted)
		entry.Log(level, "request")
		entry.Logger, entry.Time = nil, time.Time{}
		accessEntries.Put(entry)
		return
	}
	fields := make(logrus.Fields, 8)
	accessFields(fields, r, st, status, took, aborted)
	s.logger.WithFields(fields).Log(level, "request")
}

// accessEntries recycles the access log's entries and their field maps: an
// entry's Log formats and hands hooks a copy of it (logrus's Entry.log
// clones Data), so neither outlives the call.
var accessEntries = sync.Pool{New: func() any { return &logrus.Entry{Data: make(logrus.Fields, 8)} }}

// accessFields fills in the fields of a request's access log line.
func accessFields(fields logrus.Fields, r *http.Request, st *requestState, status int, took time.Duration, aborted bool) {
	fields["request_id"] = st.requestID()
	fields["method"] = methodValue(r.Method)
	if st.routeValue != nil {
		fields["route"] = st.routeValue
	} else {
		fields["route"] = st.route
	}
	fields["status"] = statusValue(status)
	fields["duration_ms"] = durationMillis(took)
	fields["client_ip"] = st.clientIP
	if aborted {
		fields["aborted"] = true
	}
	if st.clientGone {
		fields["client_gone"] = true
	}
	if st.actor.TenantID != "" {
		fields["tenant_id"] = string(st.actor.TenantID)
	}
	if st.actor.UserID != "" {
		fields["user_id"] = string(st.actor.UserID)
	}
	if st.actor.APIKeyID != "" {
		fields["api_key_id"] = string(st.actor.APIKeyID)
	}
}

// writeAccessLine writes the access log line through s.accessLines and
// reports whether it did.
func (s *server) writeAccessLine(r *http.Request, st *requestState, status int, level logrus.Level, took time.Duration, end time.Time, aborted bool) bool {
	var t time.Time // the current time, as logrus takes it
	if s.realClock {
		t = end
	}
	buf := accessAttrBufs.Get().(*[maxAccessAttrs]slog.Attr)
	wrote := s.accessLines.WriteLine(level, t, "request", accessAttrs(buf[:0], r, st, status, took, aborted))
	*buf = [maxAccessAttrs]slog.Attr{}
	accessAttrBufs.Put(buf)
	return wrote
}

// maxAccessAttrs is the most fields of an access log line.
const maxAccessAttrs = 11

// accessAttrBufs recycles the arrays the access log's attributes are
// gathered in: passed to an interface's method, a slice of the stack would
// be allocated on the heap.
var accessAttrBufs = sync.Pool{New: func() any { return new([maxAccessAttrs]slog.Attr) }}

// accessAttrs appends to attrs the fields of a request's access log line,
// those of accessFields.
func accessAttrs(attrs []slog.Attr, r *http.Request, st *requestState, status int, took time.Duration, aborted bool) []slog.Attr {
	attrs = append(attrs,
		slog.String("request_id", st.requestID()),
		slog.String("method", r.Method),
		slog.String("route", st.route),
		slog.Int("status", status),
		slog.Float64("duration_ms", durationMillis(took)),
		slog.String("client_ip", st.clientIP),
	)
	if aborted {
		attrs = append(attrs, slog.Bool("aborted", true))
	}
	if st.clientGone {
		attrs = append(attrs, slog.Bool("client_gone", true))
	}
	if st.actor.TenantID != "" {
		attrs = append(attrs, slog.String("tenant_id", string(st.actor.TenantID)))
	}
	if st.actor.UserID != "" {
		attrs = append(attrs, slog.String("user_id", string(st.actor.UserID)))
	}
	if st.actor.APIKeyID != "" {
		attrs = append(attrs, slog.String("api_key_id", string(st.actor.APIKeyID)))
	}
	return attrs
}

// Field values the access log uses on every line, boxed once: putting a
// string or an int of 256 or more in an interface allocates.
var (
	methodValues = func() map[string]any {
		m := map[string]any{}
		for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
			http.MethodPatch, http.MethodDelete, http.MethodOptions} {
			m[method] = method
		}
		return m
	}()
	statusValues = func() (values [600]any) {
		for i := range values {
			values[i] = i
		}
		return values
	}()
)

// methodValue is method as a log field value.
func methodValue(method string) any {
	if v, ok := methodValues[method]; ok {
		return v
	}
	return method
}

// statusValue is status as a log field value.
func statusValue(status int) any {
	if status >= 0 && status < len(statusValues) {
		return statusValues[status]
	}
	return status
}

// durationMillis is d in milliseconds with microsecond precision.
func durationMillis(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}

// timeOperation logs how long a named core operation took; call the returned
// function when it ends. Hot-path operations log at debug, the others at
// info. fields are built only when the level is enabled.
func (s *server) timeOperation(ctx context.Context, operation string, level logrus.Level, fields func() logrus.Fields) func() {
	if !levelEnabled(s.logger, level) {
		return func() {}
	}
	logger := LoggerFromContext(ctx)
	clipped := clipFields(fields())
	start := s.now()
	return func() {
		logger.WithFields(clipped).WithFields(logrus.Fields{
			"operation":   operation,
			"duration_ms": durationMillis(s.now().Sub(start)),
		}).Log(level, "operation")
	}
}

// levelEnabled reports whether logger would write a line at level, so that
// the hot path builds no entry that would be dropped.
func levelEnabled(logger logrus.FieldLogger, level logrus.Level) bool {
	switch l := logger.(type) {
	case *logrus.Entry:
		return l.Logger.IsLevelEnabled(level)
	case *logrus.Logger:
		return l.IsLevelEnabled(level)
	}
	return true
}

// maxLoggedInput bounds how much of a client-supplied string a log line
// carries: operation fields are logged before the core has validated them.
const maxLoggedInput = 128

// clipFields returns fields with every string cut to maxLoggedInput bytes
// (on a rune boundary).
func clipFields(fields logrus.Fields) logrus.Fields {
	out := make(logrus.Fields, len(fields))
	for k, v := range fields {
		if str, ok := v.(string); ok && len(str) > maxLoggedInput {
			cut := maxLoggedInput
			for cut > 0 && !utf8.RuneStart(str[cut]) {
				cut--
			}
			v = str[:cut] + "…"
		}
		out[k] = v
	}
	return out
}

package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/configmat/configmat/core/catalog"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/identity"
)

func TestAccessLogLine(t *testing.T) {
	cases := []struct {
		name   string
		req    func() *http.Request
		setup  func(*testAPI)
		want   logrus.Fields
		absent []string
		level  logrus.Level
	}{
		{
			name: "a user's request names the route template and the actor",
			req:  get("/api/v1/assets/billing", requestIDHeader, "log-1"),
			setup: func(a *testAPI) {
				a.catalog.getAsset = func(domain.Actor, string) (catalog.AssetDetail, error) {
					return catalog.AssetDetail{Asset: sampleAsset}, nil
				}
			},
			want: logrus.Fields{
				"request_id": "log-1", "method": "GET", "route": "/api/v1/assets/{slug}", "status": 200,
				"tenant_id": string(tenantID), "user_id": string(userID), "client_ip": peerIP,
			},
			level: logrus.InfoLevel,
		},
		{
			name: "an API key's request names the key",
			req: func() *http.Request {
				return newRequest("GET", "/api/v1/assets/billing/values/?environment=prod", "", "X-API-Key", apiKeyText, requestIDHeader, "log-2")
			},
			setup: resolveAs,
			want: logrus.Fields{
				"request_id": "log-2", "method": "GET", "route": "/api/v1/assets/{slug}/values", "status": 200,
				"tenant_id": string(tenantID), "api_key_id": string(apiKeyID), "client_ip": peerIP,
			},
			absent: []string{"user_id"},
			level:  logrus.InfoLevel,
		},
		{
			name:   "an unknown route has no template",
			req:    anon("GET", "/api/v1/nothing", ""),
			want:   logrus.Fields{"method": "GET", "route": "", "status": 404, "client_ip": peerIP},
			absent: []string{"tenant_id", "user_id", "api_key_id"},
			level:  logrus.InfoLevel,
		},
		{
			name:  "a 5xx answer logs at error level",
			req:   get("/api/v1/environments"),
			want:  logrus.Fields{"route": "/api/v1/environments", "status": 500, "tenant_id": string(tenantID)},
			level: logrus.ErrorLevel,
		},
	}
	writers := []struct {
		name  string
		lines func(cfg *Config) *fieldLines // nil: none
		calls int
	}{
		{"logrus", func(*Config) *fieldLines { return nil }, 0},
		{"line writer", func(cfg *Config) *fieldLines { return &fieldLines{logger: cfg.Logger.(*logrus.Logger)} }, 1},
		{"declining line writer", func(cfg *Config) *fieldLines {
			return &fieldLines{logger: cfg.Logger.(*logrus.Logger), decline: true}
		}, 1},
	}
	for _, tc := range cases {
		for _, w := range writers {
			t.Run(tc.name+"/"+w.name, func(t *testing.T) {
				var lines *fieldLines
				a := newTestAPI(t, func(cfg *Config) {
					if lines = w.lines(cfg); lines != nil {
						cfg.AccessLog = lines
					}
				})
				if tc.setup != nil {
					tc.setup(a)
				}
				a.serve(t, tc.req())
				if lines != nil && lines.calls != w.calls {
					t.Errorf("%d lines through the line writer, want %d", lines.calls, w.calls)
				}
				checkAccessLine(t, a.logsWith("request"), tc.level, tc.want, tc.absent)
			})
		}
	}
}

// checkAccessLine checks that lines is one access log line at level with
// the fields want, a duration, and none of absent.
func checkAccessLine(t *testing.T, lines []*logrus.Entry, level logrus.Level, want logrus.Fields, absent []string) {
	t.Helper()
	if len(lines) != 1 {
		t.Fatalf("%d access log lines, want 1", len(lines))
	}
	got := lines[0]
	if got.Level != level {
		t.Errorf("level = %v, want %v", got.Level, level)
	}
	for k, v := range want {
		if got.Data[k] != v {
			t.Errorf("%s = %v, want %v", k, got.Data[k], v)
		}
	}
	if _, ok := got.Data["duration_ms"].(float64); !ok {
		t.Errorf("duration_ms missing: %v", got.Data)
	}
	for _, k := range absent {
		if _, ok := got.Data[k]; ok {
			t.Errorf("%s logged: %v", k, got.Data)
		}
	}
}

func TestLogsNeverHoldCredentialsOrSecrets(t *testing.T) {
	secrets := []string{userToken, apiKeyText, "hunter2-password", "s3cret-value", "cmk_created_key_text"}
	a := newTestAPI(t)
	a.identity.login = func(string, string) (identity.IssuedToken, error) {
		return identity.IssuedToken{}, fail(domain.KindInvalidCredentials)
	}
	a.catalog.applyChangeSet = func(domain.Actor, string, string, domain.ChangeSet) (catalog.EnvironmentValues, error) {
		return catalog.EnvironmentValues{}, domain.Wrap(fmt.Errorf("store down"), "could not save")
	}
	a.catalog.resolve = func(domain.Actor, string, string) (catalog.Resolved, error) {
		return catalog.Resolved{Asset: "b", Environment: "prod", Config: map[string]map[string]json.RawMessage{"db": {"pw": json.RawMessage(`"s3cret-value"`)}}}, nil
	}
	a.identity.createAPIKey = func(domain.Actor, identity.APIKeyInput) (identity.CreatedAPIKey, error) {
		return identity.CreatedAPIKey{}, fail(domain.KindPermissionDenied)
	}
	requests := []*http.Request{
		newRequest("POST", "/api/v1/auth/login", `{"email":"a@b.co","password":"hunter2-password"}`),
		userRequest("PATCH", "/api/v1/assets/b/environments/prod", `{"set":{"db":{"pw":{"value":"s3cret-value","secret":true}}}}`),
		newRequest("GET", "/api/v1/assets/b/values?environment=prod", "", "X-API-Key", apiKeyText),
		newRequest("GET", "/api/v1/me", "", "Authorization", "Bearer cmk_created_key_text"),
		userRequest("POST", "/api/v1/api-keys", `{"name":"cmk_created_key_text"}`),
	}
	for _, r := range requests {
		a.serve(t, r)
	}
	for _, e := range a.logs.AllEntries() {
		line, err := e.String()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets {
			if strings.Contains(line, s) {
				t.Errorf("log line holds %q: %s", s, line)
			}
		}
	}
	if len(a.logsWith("request")) != len(requests) {
		t.Errorf("%d access lines for %d requests", len(a.logsWith("request")), len(requests))
	}
}

func TestLoggerFromContext(t *testing.T) {
	if LoggerFromContext(context.Background()) != logrus.StandardLogger() {
		t.Errorf("outside a request the standard logger is expected")
	}
	var inner logrus.FieldLogger
	h := newServer(Config{Catalog: &fakeCatalog{}, Identity: &fakeIdentity{}, Audit: &fakeAudit{}, Logger: logrus.New()})
	probe := h.guard(route{path: "/probe", access: accessTenant}, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		inner = LoggerFromContext(r.Context())
	}))
	h.withRequestState(probe).ServeHTTP(httptest.NewRecorder(), userRequest("GET", "/probe", "", requestIDHeader, "ctx-1"))
	entry, ok := inner.(*logrus.Entry)
	if !ok || entry.Data["request_id"] != "ctx-1" || entry.Data["tenant_id"] != string(tenantID) {
		t.Errorf("request logger = %#v", inner)
	}
}

// TestClientGoneIsLoggedAs499: a request whose client went away, whether the
// core says CANCELED or the request's context is canceled while a driver
// error comes back, is answered nothing and logged once, as 499 at info,
// with no "request failed" line.
func TestClientGoneIsLoggedAs499(t *testing.T) {
	cases := []struct {
		name   string
		err    error
		cancel bool
	}{
		{name: "the core's CANCELED", err: domain.Canceled(context.Canceled)},
		{name: "an internal error after the client left", err: domain.Wrap(errors.New("pq: canceling statement due to user request"), "could not list"), cancel: true},
		{name: "SERVICE_UNAVAILABLE after the client left", err: domain.Unavailable(errors.New("driver: bad connection")), cancel: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newTestAPI(t)
			a.catalog.listEnvironments = func(domain.Actor) ([]domain.Environment, error) { return nil, tc.err }
			r := userRequest(http.MethodGet, "/api/v1/environments", "")
			if tc.cancel {
				ctx, cancel := context.WithCancel(r.Context())
				cancel()
				r = r.WithContext(ctx)
			}
			rec := httptest.NewRecorder()
			a.handler.ServeHTTP(rec, r)
			if rec.Body.Len() != 0 || rec.Header().Get("Content-Type") != "" {
				t.Errorf("an answer was written to the gone client: %d %q", rec.Code, rec.Body.String())
			}
			if failed := a.logsWith("request failed"); len(failed) != 0 {
				t.Errorf("logged %q", failed[0].Message)
			}
			lines := a.logsWith("request")
			if len(lines) != 1 {
				t.Fatalf("%d access log lines, want 1", len(lines))
			}
			if got := lines[0]; got.Data["status"] != statusClientClosedRequest || got.Level != logrus.InfoLevel || got.Data["client_gone"] != true {
				t.Errorf("access line at %v: %v, want status 499 at info with client_gone", got.Level, got.Data)
			}
		})
	}
}

// TestUnavailableAnswers503: a request whose context is
// live answers SERVICE_UNAVAILABLE as 503, logged as a failure.
func TestUnavailableAnswers503(t *testing.T) {
	a := newTestAPI(t)
	a.catalog.listEnvironments = func(domain.Actor) ([]domain.Environment, error) {
		return nil, domain.Unavailable(errors.New("driver: bad connection"))
	}
	rec := a.serve(t, userRequest(http.MethodGet, "/api/v1/environments", ""))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), `"SERVICE_UNAVAILABLE"`) {
		t.Fatalf("answer %d %s, want 503 SERVICE_UNAVAILABLE", rec.Code, rec.Body.String())
	}
	if strings.Contains(rec.Body.String(), "bad connection") {
		t.Errorf("the body holds the driver's text: %s", rec.Body.String())
	}
}

// fieldLines is a LineWriter that logs each line it writes as an entry of
// logger, its attributes read as logrus values of the types accessFields
// uses (Int64 as int), or declines every line.
type fieldLines struct {
	logger  *logrus.Logger
	decline bool
	calls   int
}

// WriteLine implements LineWriter.
func (l *fieldLines) WriteLine(level logrus.Level, t time.Time, msg string, attrs []slog.Attr) bool {
	l.calls++
	if l.decline {
		return false
	}
	entry := logrus.NewEntry(l.logger).WithFields(attrFields(attrs))
	entry.Time = t
	entry.Log(level, msg)
	return true
}

// attrFields returns attrs as logrus fields, an Int64 as an int.
func attrFields(attrs []slog.Attr) logrus.Fields {
	fields := logrus.Fields{}
	for _, a := range attrs {
		if a.Value.Kind() == slog.KindInt64 {
			fields[a.Key] = int(a.Value.Int64())
			continue
		}
		fields[a.Key] = a.Value.Any()
	}
	return fields
}

// TestAccessAttrsMatchAccessFields: the access line's attributes are its
// fields, key for key and value for value, whatever the request state.
func TestAccessAttrsMatchAccessFields(t *testing.T) {
	full := domain.Actor{TenantID: tenantID, UserID: userID, APIKeyID: apiKeyID}
	states := map[string]*requestState{
		"empty":    {},
		"no route": {idValue: [1]string{"r-1"}, clientIP: "10.0.0.1", routeValue: noRoute},
		"api key": {idValue: [1]string{"r-2"}, clientIP: "::1", route: "/api/v1/assets/{slug}/values", routeValue: any("/api/v1/assets/{slug}/values"),
			actor: domain.Actor{TenantID: tenantID, APIKeyID: apiKeyID}},
		"user":        {idValue: [1]string{"r-3"}, route: "/api/v1/me", routeValue: any("/api/v1/me"), actor: domain.Actor{UserID: userID}},
		"everything":  {idValue: [1]string{"r-4"}, clientIP: "10.0.0.2", route: "/x", routeValue: any("/x"), actor: full, clientGone: true},
		"client gone": {idValue: [1]string{"r-5"}, clientGone: true},
	}
	for name, st := range states {
		for _, method := range []string{"GET", "PATCH", "BREW"} {
			for _, status := range []int{200, 304, 499, 500, 999} {
				for _, aborted := range []bool{false, true} {
					r := httptest.NewRequest(method, "/x", nil)
					took := 1234567 * time.Nanosecond
					attrs := accessAttrs(nil, r, st, status, took, aborted)
					if len(attrs) > maxAccessAttrs {
						t.Errorf("%s: %d attributes, more than %d", name, len(attrs), maxAccessAttrs)
					}
					want := logrus.Fields{}
					accessFields(want, r, st, status, took, aborted)
					if got := attrFields(attrs); len(got) != len(attrs) || !reflect.DeepEqual(got, want) {
						t.Errorf("%s %s %d aborted=%v:\n attributes %v\n fields     %v", name, method, status, aborted, attrs, want)
					}
				}
			}
		}
	}
}

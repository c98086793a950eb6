package httpapi

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/configmat/configmat/core/catalog"
	"github.com/configmat/configmat/core/domain"
)

func TestRequestID(t *testing.T) {
	cases := []struct {
		name   string
		sent   string
		echoed bool
	}{
		{"a sane ID is echoed", "abc-123_X.y", true},
		{"128 characters are kept", strings.Repeat("a", 128), true},
		{"129 characters are replaced", strings.Repeat("a", 129), false},
		{"spaces are replaced", "abc def", false},
		{"a control character is replaced", "abc\x7f", false},
		{"none gets one", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newTestAPI(t)
			r := newRequest(http.MethodGet, "/health", "")
			if tc.sent != "" {
				r.Header.Set(requestIDHeader, tc.sent)
			}
			rec := a.serve(t, r)
			got := rec.Header().Get(requestIDHeader)
			if tc.echoed && got != tc.sent {
				t.Errorf("X-Request-ID = %q, want %q", got, tc.sent)
			}
			if !tc.echoed && (got == tc.sent || !saneRequestID(got)) {
				t.Errorf("X-Request-ID = %q, want a new sane one", got)
			}
		})
	}
}

func TestRequestIDsAreUnique(t *testing.T) {
	a := newTestAPI(t)
	seen := map[string]bool{}
	for range 50 {
		id := a.serve(t, newRequest(http.MethodGet, "/health", "")).Header().Get(requestIDHeader)
		if seen[id] {
			t.Fatalf("request ID %q given twice", id)
		}
		seen[id] = true
	}
}

func TestRoutingEdges(t *testing.T) {
	runCases(t, []routeCase{
		{name: "a trailing slash is optional", req: anon(http.MethodGet, "/health/", ""), status: http.StatusOK, body: `{"status":"ok"}`},
		{name: "health under the base path", req: anon(http.MethodGet, "/api/v1/health", ""), status: http.StatusOK, body: `{"status":"ok"}`},
		{
			name: "a trailing slash on a route with variables",
			req:  get("/api/v1/assets/billing/"),
			setup: func(a *testAPI) {
				a.catalog.getAsset = func(_ domain.Actor, slug string) (catalog.AssetDetail, error) {
					return catalog.AssetDetail{Asset: sampleAsset}, nil
				}
			},
			status: http.StatusOK,
		},
		{name: "an unknown route", req: anon(http.MethodGet, "/api/v1/nothing", ""), status: http.StatusNotFound, code: "NOT_FOUND"},
		{name: "two trailing slashes are not one", req: anon(http.MethodGet, "/health//", ""), status: http.StatusNotFound, code: "NOT_FOUND"},
		{name: "an unclean path is not redirected", req: anon(http.MethodGet, "/api/v1/../health", ""), status: http.StatusNotFound, code: "NOT_FOUND"},
		{
			name: "a method the route does not have", req: anon(http.MethodPut, "/api/v1/assets/billing", ""),
			status: http.StatusMethodNotAllowed, code: "METHOD_NOT_ALLOWED",
			check: func(t *testing.T, _ *testAPI, rec *httptest.ResponseRecorder) {
				if got := rec.Header().Get("Allow"); got != "GET, PATCH, DELETE" {
					t.Errorf("Allow = %q", got)
				}
			},
		},
		{
			name: "405 with a trailing slash", req: anon(http.MethodDelete, "/api/v1/assets/", ""),
			status: http.StatusMethodNotAllowed, code: "METHOD_NOT_ALLOWED",
			check: func(t *testing.T, _ *testAPI, rec *httptest.ResponseRecorder) {
				if got := rec.Header().Get("Allow"); got != "GET, POST" {
					t.Errorf("Allow = %q", got)
				}
			},
		},
	})
}

func TestPanicAnswers500WithoutItsText(t *testing.T) {
	a := newTestAPI(t)
	a.catalog.getAsset = func(domain.Actor, string) (catalog.AssetDetail, error) {
		panic("db password is hunter2")
	}
	rec := a.serve(t, userRequest(http.MethodGet, "/api/v1/assets/billing", "", requestIDHeader, "panic-1"))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status = %d", rec.Code)
	}
	e := decodeErrorBody(t, rec)
	if e.Code != "INTERNAL_ERROR" || e.Message != internalMessage || strings.Contains(rec.Body.String(), "hunter2") {
		t.Errorf("body leaks or is wrong: %s", rec.Body)
	}
	failed := a.logsWith("request failed")
	if len(failed) != 1 {
		t.Fatalf("%d 'request failed' lines, want 1", len(failed))
	}
	if failed[0].Data["request_id"] != "panic-1" || !strings.Contains(failed[0].Data["error"].(string), "hunter2") ||
		failed[0].Data["stack"] == nil || failed[0].Level != logrus.ErrorLevel {
		t.Errorf("panic log line = %v", failed[0].Data)
	}
	access := a.logsWith("request")
	if len(access) != 1 || access[0].Data["status"] != 500 || access[0].Level != logrus.ErrorLevel {
		t.Errorf("access log = %v", access)
	}
}

func TestPanicAfterTheAnswerStartedAbortsTheConnection(t *testing.T) {
	logger, hook := logtest.NewNullLogger()
	s := newServer(Config{Catalog: &fakeCatalog{}, Identity: &fakeIdentity{}, Audit: &fakeAudit{}, Logger: logger})
	started := s.handle(func(w http.ResponseWriter, r *http.Request) error {
		w.WriteHeader(http.StatusAccepted)
		panic("late")
	})
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", v)
		}
		if e := hook.LastEntry(); e == nil || e.Data["request_id"] != "late-1" {
			t.Errorf("panic not logged under the request ID")
		}
	}()
	s.withRequestState(recoverPanics(started)).ServeHTTP(httptest.NewRecorder(),
		newRequest(http.MethodGet, "/", "", requestIDHeader, "late-1"))
}

func TestInternalErrorsHideTheirText(t *testing.T) {
	cases := []struct {
		name string
		err  error
	}{
		{"a plain error", errors.New("pq: connection refused to 10.0.0.5")},
		{"a wrapped internal error", domain.Wrap(errors.New("pq: connection refused to 10.0.0.5"), "could not load the asset")},
		{"an unknown kind", &domain.Error{Kind: "WEIRD", Message: "pq: connection refused to 10.0.0.5"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newTestAPI(t)
			a.catalog.getAsset = func(domain.Actor, string) (catalog.AssetDetail, error) { return catalog.AssetDetail{}, tc.err }
			rec := a.serve(t, userRequest(http.MethodGet, "/api/v1/assets/billing", "", requestIDHeader, "rid-500"))
			e := decodeErrorBody(t, rec)
			if rec.Code != http.StatusInternalServerError || e.Code != "INTERNAL_ERROR" || e.Message != internalMessage ||
				strings.Contains(rec.Body.String(), "10.0.0.5") || len(e.Details) != 0 {
				t.Errorf("answer = %d %s", rec.Code, rec.Body)
			}
			failed := a.logsWith("request failed")
			if len(failed) != 1 || failed[0].Data["request_id"] != "rid-500" ||
				!strings.Contains(failed[0].Data[logrus.ErrorKey].(error).Error(), "10.0.0.5") {
				t.Errorf("log lines = %v", failed)
			}
		})
	}
}

func TestAbortedRequestIsLogged(t *testing.T) {
	logger, hook := logtest.NewNullLogger()
	s := newServer(Config{Catalog: &fakeCatalog{}, Identity: &fakeIdentity{}, Audit: &fakeAudit{}, Logger: logger})
	aborting := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) })
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", v)
		}
		e := hook.LastEntry()
		if e == nil || e.Message != "request" || e.Data["aborted"] != true || e.Data["status"] != 500 || e.Level != logrus.ErrorLevel {
			t.Errorf("access log = %v", e)
		}
	}()
	s.withRequestState(s.accessLog(recoverPanics(aborting))).ServeHTTP(httptest.NewRecorder(), newRequest(http.MethodGet, "/", ""))
}

func TestStatusRecorder(t *testing.T) {
	inner := httptest.NewRecorder()
	rec := &statusRecorder{ResponseWriter: inner}
	if _, err := rec.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	rec.WriteHeader(http.StatusTeapot)
	if rec.status != http.StatusOK || !rec.wroteHeader() {
		t.Errorf("status = %d, want the implicit 200", rec.status)
	}
	if rec.Unwrap() != inner {
		t.Errorf("Unwrap does not return the inner writer")
	}
}

func TestTrailingSlashWithAnEscapedPath(t *testing.T) {
	a := newTestAPI(t)
	a.identity.removeMember = func(_ domain.Actor, u domain.UserID) error {
		if u != "a b" {
			return fail(domain.KindUserNotFound)
		}
		return nil
	}
	rec := a.serve(t, userRequest(http.MethodDelete, "/api/v1/members/a%20b/", ""))
	if rec.Code != http.StatusNoContent {
		t.Errorf("status = %d: %s", rec.Code, rec.Body)
	}
}

func TestClipFields(t *testing.T) {
	long := strings.Repeat("é", 200) // 400 bytes, 2 per rune
	got := clipFields(logrus.Fields{"from": long, "to": "prod", "version": 3})
	from := got["from"].(string)
	if len(from) > maxLoggedInput+len("…") || !utf8.ValidString(from) || !strings.HasSuffix(from, "…") {
		t.Errorf("from clipped to %d bytes: %q", len(from), from)
	}
	if got["to"] != "prod" || got["version"] != 3 {
		t.Errorf("short fields changed: %v", got)
	}
}

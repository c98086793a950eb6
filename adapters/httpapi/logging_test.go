package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newTestAPI(t)
			if tc.setup != nil {
				tc.setup(a)
			}
			a.serve(t, tc.req())
			lines := a.logsWith("request")
			if len(lines) != 1 {
				t.Fatalf("%d access log lines, want 1", len(lines))
			}
			got := lines[0]
			if got.Level != tc.level {
				t.Errorf("level = %v, want %v", got.Level, tc.level)
			}
			for k, v := range tc.want {
				if got.Data[k] != v {
					t.Errorf("%s = %v, want %v", k, got.Data[k], v)
				}
			}
			if _, ok := got.Data["duration_ms"].(float64); !ok {
				t.Errorf("duration_ms missing: %v", got.Data)
			}
			for _, k := range tc.absent {
				if _, ok := got.Data[k]; ok {
					t.Errorf("%s logged: %v", k, got.Data)
				}
			}
		})
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

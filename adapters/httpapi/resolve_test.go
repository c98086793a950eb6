package httpapi

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/configmat/configmat/core/catalog"
	"github.com/configmat/configmat/core/domain"
)

// resolvedConfig is the answer of the fake Resolve in these tests.
var resolvedConfig = catalog.Resolved{
	Asset: "billing", Environment: "prod", Version: 3,
	Config: map[string]map[string]json.RawMessage{"database": {"host": json.RawMessage(`"db"`), "password": json.RawMessage(`"s3cret"`)}},
}

func TestResolvedValuesAndETag(t *testing.T) {
	body := []byte(`{"asset":"billing","environment":"prod","version":3,"config":{"database":{"host":"db","password":"s3cret"}}}`)
	etag := keyedETag(body)
	plain := sha256.Sum256(body)
	for _, unsalted := range []string{hex.EncodeToString(plain[:]), base64.StdEncoding.EncodeToString(plain[:]), base64.RawURLEncoding.EncodeToString(plain[:])} {
		if strings.Contains(etag, unsalted) {
			t.Fatalf("the ETag %s is the body's plain SHA-256", etag)
		}
	}
	resolveOK := func(a *testAPI) {
		a.catalog.resolve = func(_ domain.Actor, slug, env string) (catalog.Resolved, error) {
			if slug != "billing" || env != "prod" {
				return catalog.Resolved{}, fail(domain.KindEnvironmentNotFound)
			}
			return resolvedConfig, nil
		}
	}
	values := "/api/v1/assets/billing/values?environment=prod"
	withETag := func(status int) func(*testing.T, *testAPI, *httptest.ResponseRecorder) {
		return func(t *testing.T, _ *testAPI, rec *httptest.ResponseRecorder) {
			if got := rec.Header().Get("ETag"); got != etag {
				t.Errorf("ETag = %s, want %s", got, etag)
			}
			if status == http.StatusOK && rec.Body.String() != string(body) {
				t.Errorf("body = %s, want the hashed bytes %s", rec.Body, body)
			}
		}
	}
	runCases(t, []routeCase{
		{name: "the resolved config with its ETag", req: get(values), setup: resolveOK, status: http.StatusOK, check: withETag(http.StatusOK)},
		{name: "If-None-Match with the ETag", req: get(values, "If-None-Match", etag), setup: resolveOK, status: http.StatusNotModified, check: withETag(304)},
		{name: "a weak If-None-Match", req: get(values, "If-None-Match", "W/"+etag), setup: resolveOK, status: http.StatusNotModified, check: withETag(304)},
		{name: "an If-None-Match list", req: get(values, "If-None-Match", `"old", `+etag), setup: resolveOK, status: http.StatusNotModified, check: withETag(304)},
		{name: "two If-None-Match headers", req: get(values, "If-None-Match", `"old"`, "If-None-Match", etag), setup: resolveOK, status: http.StatusNotModified},
		{name: "If-None-Match *", req: get(values, "If-None-Match", "*"), setup: resolveOK, status: http.StatusNotModified},
		{name: "a stale ETag", req: get(values, "If-None-Match", `"old"`), setup: resolveOK, status: http.StatusOK, check: withETag(http.StatusOK)},
		{name: "an unquoted ETag does not match", req: get(values, "If-None-Match", etag[1:len(etag)-1]), setup: resolveOK, status: http.StatusOK},
		{
			name: "an empty config is {}",
			req:  get(values),
			setup: func(a *testAPI) {
				a.catalog.resolve = func(domain.Actor, string, string) (catalog.Resolved, error) {
					return catalog.Resolved{Asset: "billing", Environment: "prod"}, nil
				}
			},
			status: http.StatusOK, body: `{"asset":"billing","environment":"prod","version":0,"config":{}}`,
		},
		{name: "no environment", req: get("/api/v1/assets/billing/values"), status: http.StatusBadRequest, code: "VALIDATION_ERROR"},
		{
			name: "an API key of another environment",
			req: func() *http.Request {
				return newRequest("GET", "/api/v1/assets/billing/values?environment=stage", "", "X-API-Key", apiKeyText)
			},
			setup: func(a *testAPI) {
				a.catalog.resolve = func(actor domain.Actor, _, env string) (catalog.Resolved, error) {
					if actor.Environment != env {
						return catalog.Resolved{}, fail(domain.KindPermissionDenied)
					}
					return resolvedConfig, nil
				}
			},
			status: http.StatusForbidden, code: "PERMISSION_DENIED",
		},
		{name: "a missing environment", req: get("/api/v1/assets/billing/values?environment=qa"), setup: resolveOK, status: http.StatusNotFound, code: "ENVIRONMENT_NOT_FOUND"},
		{
			name: "resolution is timed at debug level without values",
			req:  get(values), setup: resolveOK, status: http.StatusOK,
			check: func(t *testing.T, a *testAPI, _ *httptest.ResponseRecorder) {
				ops := a.logsWith("operation")
				if len(ops) != 1 || ops[0].Level != logrus.DebugLevel || ops[0].Data["operation"] != "resolve" ||
					ops[0].Data["duration_ms"] == nil || ops[0].Data["tenant_id"] != string(tenantID) {
					t.Errorf("operation log = %v", ops)
				}
			},
		},
	})
}

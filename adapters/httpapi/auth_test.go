package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/configmat/configmat/core/catalog"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/identity"
)

// resolveAs stubs Resolve to answer with the actor it was given.
func resolveAs(a *testAPI) {
	a.catalog.resolve = func(actor domain.Actor, slug, env string) (catalog.Resolved, error) {
		who, _ := json.Marshal(actor.String())
		return catalog.Resolved{Asset: slug, Environment: env, Version: 1,
			Config: map[string]map[string]json.RawMessage{"actor": {"is": who}}}, nil
	}
}

// resolvedFor checks the actor the stubbed Resolve saw.
func resolvedFor(want domain.Actor) func(*testing.T, *testAPI, *httptest.ResponseRecorder) {
	return func(t *testing.T, _ *testAPI, rec *httptest.ResponseRecorder) {
		var got catalog.Resolved
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if who, _ := json.Marshal(want.String()); string(got.Config["actor"]["is"]) != string(who) {
			t.Errorf("resolved for %s, want %s", got.Config["actor"]["is"], who)
		}
	}
}

func TestAuthentication(t *testing.T) {
	values := "/api/v1/assets/billing/values?environment=prod"
	req := func(method, target string, header ...string) func() *http.Request {
		return func() *http.Request { return newRequest(method, target, "", header...) }
	}
	runCases(t, []routeCase{
		{
			name: "no credentials", req: req("GET", "/api/v1/environments"), status: http.StatusUnauthorized, code: "AUTHENTICATION_REQUIRED",
			check: func(t *testing.T, _ *testAPI, rec *httptest.ResponseRecorder) {
				if got := rec.Header().Get("WWW-Authenticate"); got != `Bearer realm="configmat"` {
					t.Errorf("WWW-Authenticate = %q", got)
				}
			},
		},
		{name: "a Basic credential", req: req("GET", "/api/v1/environments", "Authorization", "Basic dTpw"), status: http.StatusUnauthorized, code: "AUTHENTICATION_REQUIRED"},
		{name: "an empty bearer token", req: req("GET", "/api/v1/environments", "Authorization", "Bearer "), status: http.StatusUnauthorized, code: "AUTHENTICATION_REQUIRED"},
		{name: "an invalid token", req: req("GET", "/api/v1/me", "Authorization", "Bearer cmt_nope"), status: http.StatusUnauthorized, code: "INVALID_TOKEN"},
		{
			name: "the bearer scheme is case-insensitive",
			req:  req("GET", "/api/v1/environments", "Authorization", "bearer "+userToken),
			setup: func(a *testAPI) {
				a.catalog.listEnvironments = func(domain.Actor) ([]domain.Environment, error) { return nil, nil }
			},
			status: http.StatusOK,
		},
		{
			name: "X-Tenant reaches the token check on tenant routes",
			req:  get("/api/v1/environments", "X-Tenant", tenantSlug),
			setup: func(a *testAPI) {
				a.catalog.listEnvironments = func(domain.Actor) ([]domain.Environment, error) { return nil, nil }
			},
			status: http.StatusOK,
			check: func(t *testing.T, a *testAPI, _ *httptest.ResponseRecorder) {
				if got := a.identity.lastTenantSlug(); got != tenantSlug {
					t.Errorf("tenant slug = %q, want %q", got, tenantSlug)
				}
			},
		},
		{
			name: "an API key outside the values route",
			req:  req("GET", "/api/v1/environments", "X-API-Key", apiKeyText), status: http.StatusUnauthorized, code: "AUTHENTICATION_REQUIRED",
		},
		{name: "an API key on values", req: req("GET", values, "X-API-Key", apiKeyText), setup: resolveAs, status: http.StatusOK, check: resolvedFor(apiKeyActor)},
		{name: "a user on values", req: get(values), setup: resolveAs, status: http.StatusOK, check: resolvedFor(ownerActor)},
		{
			name: "a user token wins over an API key", req: req("GET", values, "X-API-Key", apiKeyText, "Authorization", "Bearer "+userToken),
			setup: resolveAs, status: http.StatusOK, check: resolvedFor(ownerActor),
		},
		{name: "an invalid API key", req: req("GET", values, "X-API-Key", "cmk_nope"), status: http.StatusUnauthorized, code: "INVALID_API_KEY"},
		{
			name: "two API keys", req: req("GET", values, "X-API-Key", apiKeyText, "X-API-Key", apiKeyText),
			status: http.StatusUnauthorized, code: "AUTHENTICATION_REQUIRED",
		},
		{
			name: "two user tokens", req: req("GET", "/api/v1/environments", "Authorization", "Bearer "+userToken, "Authorization", "Bearer "+userToken),
			status: http.StatusUnauthorized, code: "AUTHENTICATION_REQUIRED",
		},
		{name: "values without credentials", req: req("GET", values), status: http.StatusUnauthorized, code: "AUTHENTICATION_REQUIRED"},
		{
			name: "anonymous routes ignore credentials",
			req: func() *http.Request {
				return userRequest("POST", "/api/v1/auth/login", `{"email":"a@b.co","password":"p"}`)
			},
			setup: func(a *testAPI) {
				a.identity.authErr = errors.New("must not be called")
				a.identity.login = func(string, string) (identity.IssuedToken, error) {
					return identity.IssuedToken{Token: "cmt_" + strings.Repeat("z", 46), ExpiresAt: testNow}, nil
				}
			},
			status: http.StatusOK,
			check: func(t *testing.T, a *testAPI, _ *httptest.ResponseRecorder) {
				if got := a.identity.lastTenantSlug(); got != "<none>" {
					t.Errorf("token authenticated on an anonymous route")
				}
			},
		},
		{
			name:   "the identity store failing",
			req:    get("/api/v1/environments"),
			setup:  func(a *testAPI) { a.identity.authErr = errors.New("pq: down") },
			status: http.StatusInternalServerError, code: "INTERNAL_ERROR",
		},
	})
}

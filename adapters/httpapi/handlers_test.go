package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/configmat/configmat/core/catalog"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/identity"
)

// routeCase is one request against the handler with its fakes set up.
type routeCase struct {
	name   string
	opts   []func(*Config)
	req    func() *http.Request
	setup  func(a *testAPI)
	status int
	// code is the expected error code of an error answer.
	code string
	// body, when set, must equal the answer's JSON (compared as values).
	body  string
	check func(t *testing.T, a *testAPI, rec *httptest.ResponseRecorder)
}

// runCases serves every case on a fresh test API.
func runCases(t *testing.T, cases []routeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newTestAPI(t, tc.opts...)
			if tc.setup != nil {
				tc.setup(a)
			}
			rec := a.serve(t, tc.req())
			if rec.Code != tc.status {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tc.status, rec.Body)
			}
			if tc.code != "" {
				if got := decodeErrorBody(t, rec).Code; got != tc.code {
					t.Errorf("code = %s, want %s", got, tc.code)
				}
			}
			if tc.body != "" {
				assertJSON(t, rec.Body.Bytes(), tc.body)
			}
			if tc.check != nil {
				tc.check(t, a, rec)
			}
		})
	}
}

// assertJSON compares two JSON documents as values.
func assertJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want is not JSON: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("body = %s\nwant   %s", got, want)
	}
}

// get, post, patch and del build user requests for the table.
func get(target string, header ...string) func() *http.Request {
	return func() *http.Request { return userRequest(http.MethodGet, target, "", header...) }
}

func post(target, body string) func() *http.Request {
	return func() *http.Request { return userRequest(http.MethodPost, target, body) }
}

func patch(target, body string) func() *http.Request {
	return func() *http.Request { return userRequest(http.MethodPatch, target, body) }
}

func del(target string) func() *http.Request {
	return func() *http.Request { return userRequest(http.MethodDelete, target, "") }
}

// anon builds an unauthenticated request for the table.
func anon(method, target, body string) func() *http.Request {
	return func() *http.Request { return newRequest(method, target, body) }
}

var (
	sampleAsset = domain.Asset{
		ID: "55555555-5555-5555-5555-555555555555", Slug: "billing", Name: "Billing",
		Description: "", CreatedAt: testNow, UpdatedAt: testNow,
	}
	sampleAssetJSON = `{"id":"55555555-5555-5555-5555-555555555555","slug":"billing","name":"Billing",
		"description":"","created_at":"2025-01-02T03:04:05Z","updated_at":"2025-01-02T03:04:05Z"}`
	sampleValues = catalog.EnvironmentValues{
		Asset: "billing", Environment: "prod", Version: 3,
		Values: map[string]map[string]catalog.ValueView{"database": {
			"host":     {Value: json.RawMessage(`"db.internal"`)},
			"password": {Secret: true},
		}},
	}
	sampleValuesJSON = `{"asset":"billing","environment":"prod","version":3,"values":{"database":{
		"host":{"value":"db.internal","secret":false},"password":{"secret":true}}}}`
)

// fail returns a domain error of kind.
func fail(kind domain.Kind) error { return domain.Errorf(kind, "failed: %s", kind) }

func TestAuthRoutes(t *testing.T) {
	registration := identity.Registration{
		Token: "cmt_" + strings.Repeat("a", 46), ExpiresAt: testNow.Add(24 * time.Hour),
		User:   domain.UserRef{ID: userID, Email: "ada@example.com"},
		Tenant: domain.TenantRef{ID: tenantID, Slug: "acme", Name: "Acme"},
	}
	registerBody := `{"email":"ada@example.com","password":"correct horse","tenant_name":"Acme"}`
	runCases(t, []routeCase{
		{
			name: "register creates the user and tenant",
			req:  anon(http.MethodPost, "/api/v1/auth/register", registerBody),
			setup: func(a *testAPI) {
				a.identity.register = func(in identity.RegisterInput) (identity.Registration, error) {
					want := identity.RegisterInput{Email: "ada@example.com", Password: "correct horse", TenantName: "Acme"}
					if in != want {
						return identity.Registration{}, fail(domain.KindInvalid)
					}
					return registration, nil
				}
			},
			status: http.StatusCreated,
			body: `{"token":"cmt_` + strings.Repeat("a", 46) + `","expires_at":"2025-01-03T03:04:05Z",
				"user":{"id":"` + string(userID) + `","email":"ada@example.com"},
				"tenant":{"id":"` + string(tenantID) + `","slug":"acme","name":"Acme"}}`,
		},
		{
			name:   "register is refused when signup is off",
			opts:   []func(*Config){func(c *Config) { c.AllowSignup = false }},
			req:    anon(http.MethodPost, "/api/v1/auth/register", registerBody),
			status: http.StatusForbidden, code: "PERMISSION_DENIED",
		},
		{
			name: "register with a taken email",
			req:  anon(http.MethodPost, "/api/v1/auth/register", registerBody),
			setup: func(a *testAPI) {
				a.identity.register = func(identity.RegisterInput) (identity.Registration, error) {
					return identity.Registration{}, fail(domain.KindEmailRegistered)
				}
			},
			status: http.StatusConflict, code: "EMAIL_ALREADY_REGISTERED",
		},
		{
			name: "register with an untyped conflict answers VERSION_CONFLICT",
			req:  anon(http.MethodPost, "/api/v1/auth/register", registerBody),
			setup: func(a *testAPI) {
				a.identity.register = func(identity.RegisterInput) (identity.Registration, error) {
					return identity.Registration{}, fail(domain.KindConflict)
				}
			},
			status: http.StatusConflict, code: "VERSION_CONFLICT",
		},
		{
			name: "register with invalid fields",
			req:  anon(http.MethodPost, "/api/v1/auth/register", `{"email":"x","password":"short","tenant_name":""}`),
			setup: func(a *testAPI) {
				a.identity.register = func(identity.RegisterInput) (identity.Registration, error) {
					p := domain.Problems{}
					p.Add("email", "must be a valid email address")
					return identity.Registration{}, p.Err()
				}
			},
			status: http.StatusBadRequest, code: "VALIDATION_ERROR",
			check: func(t *testing.T, _ *testAPI, rec *httptest.ResponseRecorder) {
				fields, _ := decodeErrorBody(t, rec).Details["fields"].(map[string]any)
				if fields["email"] == nil {
					t.Errorf("details do not name email: %s", rec.Body)
				}
			},
		},
		{
			name: "login issues a token",
			req:  anon(http.MethodPost, "/api/v1/auth/login", `{"email":"ada@example.com","password":"pw"}`),
			setup: func(a *testAPI) {
				a.identity.login = func(email, password string) (identity.IssuedToken, error) {
					if email != "ada@example.com" || password != "pw" {
						return identity.IssuedToken{}, fail(domain.KindInvalidCredentials)
					}
					return identity.IssuedToken{Token: registration.Token, ExpiresAt: registration.ExpiresAt}, nil
				}
			},
			status: http.StatusOK,
			body:   `{"token":"` + registration.Token + `","expires_at":"2025-01-03T03:04:05Z"}`,
		},
		{
			name: "login with wrong credentials",
			req:  anon(http.MethodPost, "/api/v1/auth/login", `{"email":"ada@example.com","password":"nope"}`),
			setup: func(a *testAPI) {
				a.identity.login = func(string, string) (identity.IssuedToken, error) {
					return identity.IssuedToken{}, fail(domain.KindInvalidCredentials)
				}
			},
			status: http.StatusUnauthorized, code: "INVALID_CREDENTIALS",
		},
		{
			name: "login while the database is down",
			req:  anon(http.MethodPost, "/api/v1/auth/login", `{"email":"ada@example.com","password":"pw"}`),
			setup: func(a *testAPI) {
				a.identity.login = func(string, string) (identity.IssuedToken, error) {
					return identity.IssuedToken{}, fail(domain.KindUnavailable)
				}
			},
			status: http.StatusServiceUnavailable, code: "SERVICE_UNAVAILABLE",
		},
		{
			name: "me ignores X-Tenant",
			req:  get("/api/v1/me", "X-Tenant", otherTenant),
			setup: func(a *testAPI) {
				a.identity.me = func(actor domain.Actor) (identity.Me, error) {
					return identity.Me{User: domain.UserRef{ID: actor.UserID, Email: "ada@example.com"}, Memberships: []domain.UserMembership{
						{Tenant: domain.TenantRef{ID: tenantID, Slug: "acme", Name: "Acme"}, Role: domain.RoleOwner},
					}}, nil
				}
			},
			status: http.StatusOK,
			body: `{"user":{"id":"` + string(userID) + `","email":"ada@example.com"},"memberships":[
				{"tenant":{"id":"` + string(tenantID) + `","slug":"acme","name":"Acme"},"role":"owner"}]}`,
			check: func(t *testing.T, a *testAPI, _ *httptest.ResponseRecorder) {
				if got := a.identity.lastTenantSlug(); got != "" {
					t.Errorf("tenant slug passed = %q, want none", got)
				}
			},
		},
		{
			name: "me of a user without membership",
			req: func() *http.Request {
				return newRequest(http.MethodGet, "/api/v1/me", "", "Authorization", "Bearer "+lonelyToken)
			},
			setup: func(a *testAPI) {
				a.identity.me = func(actor domain.Actor) (identity.Me, error) {
					return identity.Me{User: domain.UserRef{ID: actor.UserID, Email: "bob@example.com"}}, nil
				}
			},
			status: http.StatusOK,
			body:   `{"user":{"id":"` + string(lonelyUserID) + `","email":"bob@example.com"},"memberships":[]}`,
		},
	})
}

func TestEnvironmentAndAssetRoutes(t *testing.T) {
	runCases(t, []routeCase{
		{
			name: "list environments in order",
			req:  get("/api/v1/environments"),
			setup: func(a *testAPI) {
				a.catalog.listEnvironments = func(actor domain.Actor) ([]domain.Environment, error) {
					if actor != ownerActor {
						return nil, fail(domain.KindPermissionDenied)
					}
					return []domain.Environment{{Name: "local", Position: 1}, {Name: "prod", Position: 2}}, nil
				}
			},
			status: http.StatusOK,
			body:   `{"environments":[{"name":"local","position":1},{"name":"prod","position":2}]}`,
		},
		{
			name: "an empty environment list is []",
			req:  get("/api/v1/environments"),
			setup: func(a *testAPI) {
				a.catalog.listEnvironments = func(domain.Actor) ([]domain.Environment, error) { return nil, nil }
			},
			status: http.StatusOK, body: `{"environments":[]}`,
		},
		{
			name:   "a tenant the user is not a member of",
			req:    get("/api/v1/environments", "X-Tenant", otherTenant),
			status: http.StatusNotFound, code: "TENANT_NOT_FOUND",
		},
		{
			name: "a user without any tenant on a tenant route",
			req: func() *http.Request {
				return newRequest(http.MethodGet, "/api/v1/environments", "", "Authorization", "Bearer "+lonelyToken)
			},
			status: http.StatusNotFound, code: "TENANT_NOT_FOUND",
		},
		{
			name: "create an environment",
			req:  post("/api/v1/environments", `{"name":"qa"}`),
			setup: func(a *testAPI) {
				a.catalog.createEnvironment = func(_ domain.Actor, name string) (domain.Environment, error) {
					return domain.Environment{Name: name, Position: 4}, nil
				}
			},
			status: http.StatusCreated, body: `{"name":"qa","position":4}`,
		},
		{
			name: "create a taken environment",
			req:  post("/api/v1/environments", `{"name":"prod"}`),
			setup: func(a *testAPI) {
				a.catalog.createEnvironment = func(domain.Actor, string) (domain.Environment, error) {
					return domain.Environment{}, fail(domain.KindEnvironmentExists)
				}
			},
			status: http.StatusConflict, code: "ENVIRONMENT_ALREADY_EXISTS",
		},
		{
			name: "create an environment below admin",
			req:  post("/api/v1/environments", `{"name":"qa"}`),
			setup: func(a *testAPI) {
				a.catalog.createEnvironment = func(domain.Actor, string) (domain.Environment, error) {
					return domain.Environment{}, fail(domain.KindPermissionDenied)
				}
			},
			status: http.StatusForbidden, code: "PERMISSION_DENIED",
		},
		{
			name: "list assets with limit and cursor",
			req:  get("/api/v1/assets?limit=1&cursor=" + pageCursor("abc")),
			setup: func(a *testAPI) {
				a.catalog.listAssets = func(_ domain.Actor, p domain.Page) ([]domain.Asset, string, error) {
					if p != (domain.Page{Limit: 1, Cursor: "abc"}) {
						return nil, "", fail(domain.KindInvalid)
					}
					return []domain.Asset{sampleAsset}, "next", nil
				}
			},
			status: http.StatusOK, body: `{"assets":[` + sampleAssetJSON + `],"next_cursor":"` + pageCursor("next") + `"}`,
		},
		{
			name: "cursor: garbage", req: get("/api/v1/assets?cursor=garbage"),
			setup:  func(a *testAPI) { a.catalog.listAssets = nil },
			status: http.StatusBadRequest, code: "VALIDATION_ERROR",
			check: func(t *testing.T, _ *testAPI, rec *httptest.ResponseRecorder) {
				if fields, _ := decodeErrorBody(t, rec).Details["fields"].(map[string]any); fields["cursor"] == nil {
					t.Errorf("details %s do not name the cursor", rec.Body)
				}
			},
		},
		{
			name: "cursor: a bare slug", req: get("/api/v1/assets?cursor=abc"),
			setup:  func(a *testAPI) { a.catalog.listAssets = nil },
			status: http.StatusBadRequest, code: "VALIDATION_ERROR",
			check: func(t *testing.T, _ *testAPI, rec *httptest.ResponseRecorder) {
				if fields, _ := decodeErrorBody(t, rec).Details["fields"].(map[string]any); fields["cursor"] == nil {
					t.Errorf("details %s do not name the cursor", rec.Body)
				}
			},
		},
		{
			name: "cursor: base64 without the prefix", req: get("/api/v1/assets?cursor=YWJj"),
			setup:  func(a *testAPI) { a.catalog.listAssets = nil },
			status: http.StatusBadRequest, code: "VALIDATION_ERROR",
			check: func(t *testing.T, _ *testAPI, rec *httptest.ResponseRecorder) {
				if fields, _ := decodeErrorBody(t, rec).Details["fields"].(map[string]any); fields["cursor"] == nil {
					t.Errorf("details %s do not name the cursor", rec.Body)
				}
			},
		},
		{
			name: "cursor: the prefix without a position", req: get("/api/v1/assets?cursor=Y29uZmlnbWF0LXBhZ2U6"),
			setup:  func(a *testAPI) { a.catalog.listAssets = nil },
			status: http.StatusBadRequest, code: "VALIDATION_ERROR",
			check: func(t *testing.T, _ *testAPI, rec *httptest.ResponseRecorder) {
				if fields, _ := decodeErrorBody(t, rec).Details["fields"].(map[string]any); fields["cursor"] == nil {
					t.Errorf("details %s do not name the cursor", rec.Body)
				}
			},
		},
		{
			name: "cursor: padded base64", req: get("/api/v1/assets?cursor=Y29uZmlnbWF0LXBhZ2U6YWJj%3D"),
			setup:  func(a *testAPI) { a.catalog.listAssets = nil },
			status: http.StatusBadRequest, code: "VALIDATION_ERROR",
			check: func(t *testing.T, _ *testAPI, rec *httptest.ResponseRecorder) {
				if fields, _ := decodeErrorBody(t, rec).Details["fields"].(map[string]any); fields["cursor"] == nil {
					t.Errorf("details %s do not name the cursor", rec.Body)
				}
			},
		},
		{
			name: "cursor: not base64", req: get("/api/v1/assets?cursor=%2A%2A%2A"),
			setup:  func(a *testAPI) { a.catalog.listAssets = nil },
			status: http.StatusBadRequest, code: "VALIDATION_ERROR",
			check: func(t *testing.T, _ *testAPI, rec *httptest.ResponseRecorder) {
				if fields, _ := decodeErrorBody(t, rec).Details["fields"].(map[string]any); fields["cursor"] == nil {
					t.Errorf("details %s do not name the cursor", rec.Body)
				}
			},
		},
		{
			name: "the last page of assets has a null cursor",
			req:  get("/api/v1/assets"),
			setup: func(a *testAPI) {
				a.catalog.listAssets = func(_ domain.Actor, p domain.Page) ([]domain.Asset, string, error) {
					if p != (domain.Page{Limit: domain.DefaultPageSize}) {
						return nil, "", fail(domain.KindInvalid)
					}
					return nil, "", nil
				}
			},
			status: http.StatusOK, body: `{"assets":[],"next_cursor":null}`,
		},
		{name: "limit 0", req: get("/api/v1/assets?limit=0"), status: http.StatusBadRequest, code: "VALIDATION_ERROR"},
		{name: "limit 201", req: get("/api/v1/assets?limit=201"), status: http.StatusBadRequest, code: "VALIDATION_ERROR"},
		{name: "limit not a number", req: get("/api/v1/assets?limit=ten"), status: http.StatusBadRequest, code: "VALIDATION_ERROR"},
		{
			name: "create an asset",
			req:  post("/api/v1/assets", `{"slug":"billing","name":"Billing","description":""}`),
			setup: func(a *testAPI) {
				a.catalog.createAsset = func(_ domain.Actor, in catalog.AssetInput) (domain.Asset, error) {
					if in != (catalog.AssetInput{Slug: "billing", Name: "Billing"}) {
						return domain.Asset{}, fail(domain.KindInvalid)
					}
					return sampleAsset, nil
				}
			},
			status: http.StatusCreated, body: sampleAssetJSON,
		},
		{
			name: "create a taken asset",
			req:  post("/api/v1/assets", `{"slug":"billing","name":"Billing"}`),
			setup: func(a *testAPI) {
				a.catalog.createAsset = func(domain.Actor, catalog.AssetInput) (domain.Asset, error) {
					return domain.Asset{}, fail(domain.KindAssetExists)
				}
			},
			status: http.StatusConflict, code: "ASSET_ALREADY_EXISTS",
		},
		{
			name: "get an asset with its versions",
			req:  get("/api/v1/assets/billing"),
			setup: func(a *testAPI) {
				a.catalog.getAsset = func(_ domain.Actor, slug string) (catalog.AssetDetail, error) {
					if slug != "billing" {
						return catalog.AssetDetail{}, fail(domain.KindAssetNotFound)
					}
					return catalog.AssetDetail{Asset: sampleAsset, Versions: map[string]int{"prod": 3}}, nil
				}
			},
			status: http.StatusOK,
			body:   strings.TrimSuffix(strings.TrimSpace(sampleAssetJSON), "}") + `,"versions":{"prod":3}}`,
		},
		{
			name: "an asset without versions has {}",
			req:  get("/api/v1/assets/billing"),
			setup: func(a *testAPI) {
				a.catalog.getAsset = func(domain.Actor, string) (catalog.AssetDetail, error) {
					return catalog.AssetDetail{Asset: sampleAsset}, nil
				}
			},
			status: http.StatusOK,
			body:   strings.TrimSuffix(strings.TrimSpace(sampleAssetJSON), "}") + `,"versions":{}}`,
		},
		{
			name: "get a missing asset",
			req:  get("/api/v1/assets/nonexistent", "X-Request-ID", "rid-1"),
			setup: func(a *testAPI) {
				a.catalog.getAsset = func(_ domain.Actor, slug string) (catalog.AssetDetail, error) {
					return catalog.AssetDetail{}, domain.Errorf(domain.KindAssetNotFound, "The requested asset does not exist.").WithDetail("asset_slug", slug)
				}
			},
			status: http.StatusNotFound, code: "ASSET_NOT_FOUND",
			body: `{"error":{"code":"ASSET_NOT_FOUND","message":"The requested asset does not exist.",
				"details":{"asset_slug":"nonexistent"},"request_id":"rid-1",
				"documentation_url":"https://docs.configmat.io/errors/ASSET_NOT_FOUND"}}`,
			check: func(t *testing.T, _ *testAPI, rec *httptest.ResponseRecorder) {
				if rec.Header().Get(requestIDHeader) != "rid-1" {
					t.Errorf("request ID not echoed")
				}
			},
		},
		{
			name: "patch an asset's description only",
			req:  patch("/api/v1/assets/billing", `{"description":"v2"}`),
			setup: func(a *testAPI) {
				a.catalog.updateAsset = func(_ domain.Actor, _ string, p catalog.AssetPatch) (domain.Asset, error) {
					if p.Name != nil || p.Description == nil || *p.Description != "v2" {
						return domain.Asset{}, fail(domain.KindInvalid)
					}
					return sampleAsset, nil
				}
			},
			status: http.StatusOK, body: sampleAssetJSON,
		},
		{
			name: "delete an asset",
			req:  del("/api/v1/assets/billing"),
			setup: func(a *testAPI) {
				a.catalog.deleteAsset = func(_ domain.Actor, slug string) error { return nil }
			},
			status: http.StatusNoContent,
		},
		{
			name: "delete an asset below admin",
			req:  del("/api/v1/assets/billing"),
			setup: func(a *testAPI) {
				a.catalog.deleteAsset = func(domain.Actor, string) error { return fail(domain.KindPermissionDenied) }
			},
			status: http.StatusForbidden, code: "PERMISSION_DENIED",
		},
	})
}

func TestAssetUpdateFailures(t *testing.T) {
	runCases(t, []routeCase{
		{name: "patch with malformed JSON", req: patch("/api/v1/assets/billing", `{"name":`), status: http.StatusBadRequest, code: "INVALID_JSON"},
		{
			name: "patch a missing asset",
			req:  patch("/api/v1/assets/nonexistent", `{"name":"B"}`),
			setup: func(a *testAPI) {
				a.catalog.updateAsset = func(domain.Actor, string, catalog.AssetPatch) (domain.Asset, error) {
					return domain.Asset{}, fail(domain.KindAssetNotFound)
				}
			},
			status: http.StatusNotFound, code: "ASSET_NOT_FOUND",
		},
	})
}

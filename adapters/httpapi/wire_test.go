package httpapi

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/configmat/configmat/core/audit"
	"github.com/configmat/configmat/core/catalog"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/identity"
)

// Times of the wire tests: one in UTC with nanoseconds, one with an offset.
var (
	wireTime   = time.Date(2025, 1, 2, 3, 4, 5, 123456789, time.UTC)
	wireOffset = time.Date(2025, 6, 7, 8, 9, 10, 0, time.FixedZone("CEST", 2*3600))
)

// Credentials and hashes of the wire tests, as long as the contract says.
const (
	wireToken = "cmt_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	wireKey   = "cmk_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	wireHashA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	wireHashC = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
)

// wireAsset is the asset of the wire tests.
var wireAsset = domain.Asset{
	ID: "55555555-5555-4555-8555-555555555555", Slug: "billing", Name: "Billing", Description: "The <billing> & co",
	CreatedAt: wireTime, UpdatedAt: wireOffset,
}

// wireValues is an environment's values with a secret, a plain value and an
// empty object.
var wireValues = catalog.EnvironmentValues{
	Asset: "billing", Environment: "prod", Version: 7,
	Values: map[string]map[string]catalog.ValueView{
		"database": {"password": {Secret: true}, "host": {Value: json.RawMessage(`"db.internal"`)}},
		"empty":    {},
		"feature":  {"flags": {Value: json.RawMessage(`{"b":[1, 2.50],"a":null}`)}},
	},
}

const wireValuesBody = `{"asset":"billing","environment":"prod","version":7,"values":{"database":{"host":{"value":"db.internal","secret":false},"password":{"secret":true}},"empty":{},"feature":{"flags":{"value":{"b":[1,2.50],"a":null},"secret":false}}}}`

// TestWireFormat pins every answer of the API byte for byte: member order,
// time formats, null and empty values. The bodies are what the adapter sent
// when the core types still carried the wire format; they must not change.
func TestWireFormat(t *testing.T) {
	five := 5
	user := domain.UserRef{ID: userID, Email: "ada@example.com"}
	tenant := domain.TenantRef{ID: tenantID, Slug: tenantSlug, Name: "Acme & Co"}
	expires := wireOffset
	cases := []struct {
		name  string
		req   *http.Request
		setup func(a *testAPI)
		want  string
	}{
		{
			name: "list environments",
			req:  userRequest("GET", "/api/v1/environments", ""),
			setup: func(a *testAPI) {
				a.catalog.listEnvironments = func(domain.Actor) ([]domain.Environment, error) {
					return []domain.Environment{{Name: "local", Position: 1, CreatedAt: wireTime}, {Name: "prod", Position: 2}}, nil
				}
			},
			want: `{"environments":[{"name":"local","position":1},{"name":"prod","position":2}]}`,
		},
		{
			name: "no environments",
			req:  userRequest("GET", "/api/v1/environments", ""),
			setup: func(a *testAPI) {
				a.catalog.listEnvironments = func(domain.Actor) ([]domain.Environment, error) { return nil, nil }
			},
			want: `{"environments":[]}`,
		},
		{
			name: "create an environment",
			req:  userRequest("POST", "/api/v1/environments", `{"name":"qa"}`),
			setup: func(a *testAPI) {
				a.catalog.createEnvironment = func(_ domain.Actor, name string) (domain.Environment, error) {
					return domain.Environment{Name: name, Position: 4, CreatedAt: wireTime}, nil
				}
			},
			want: `{"name":"qa","position":4}`,
		},
		{
			name: "list assets",
			req:  userRequest("GET", "/api/v1/assets?limit=1", ""),
			setup: func(a *testAPI) {
				a.catalog.listAssets = func(domain.Actor, domain.Page) ([]domain.Asset, string, error) {
					return []domain.Asset{wireAsset}, "next-page", nil
				}
			},
			want: `{"assets":[{"id":"55555555-5555-4555-8555-555555555555","slug":"billing","name":"Billing","description":"The \u003cbilling\u003e \u0026 co","created_at":"2025-01-02T03:04:05.123456789Z","updated_at":"2025-06-07T08:09:10+02:00"}],"next_cursor":"Y29uZmlnbWF0LXBhZ2U6bmV4dC1wYWdl"}`,
		},
		{
			name: "no assets",
			req:  userRequest("GET", "/api/v1/assets", ""),
			setup: func(a *testAPI) {
				a.catalog.listAssets = func(domain.Actor, domain.Page) ([]domain.Asset, string, error) { return nil, "", nil }
			},
			want: `{"assets":[],"next_cursor":null}`,
		},
		{
			name: "create an asset",
			req:  userRequest("POST", "/api/v1/assets", `{"slug":"billing","name":"Billing"}`),
			setup: func(a *testAPI) {
				a.catalog.createAsset = func(domain.Actor, catalog.AssetInput) (domain.Asset, error) {
					return domain.Asset{ID: wireAsset.ID, Slug: "billing", Name: "Billing", CreatedAt: wireTime, UpdatedAt: wireTime}, nil
				}
			},
			want: `{"id":"55555555-5555-4555-8555-555555555555","slug":"billing","name":"Billing","description":"","created_at":"2025-01-02T03:04:05.123456789Z","updated_at":"2025-01-02T03:04:05.123456789Z"}`,
		},
		{
			name: "get an asset",
			req:  userRequest("GET", "/api/v1/assets/billing", ""),
			setup: func(a *testAPI) {
				a.catalog.getAsset = func(domain.Actor, string) (catalog.AssetDetail, error) {
					return catalog.AssetDetail{Asset: wireAsset, Versions: map[string]int{"prod": 3, "local": 0, "stage": 12}}, nil
				}
			},
			want: `{"id":"55555555-5555-4555-8555-555555555555","slug":"billing","name":"Billing","description":"The \u003cbilling\u003e \u0026 co","created_at":"2025-01-02T03:04:05.123456789Z","updated_at":"2025-06-07T08:09:10+02:00","versions":{"local":0,"prod":3,"stage":12}}`,
		},
		{
			name: "get an asset without versions",
			req:  userRequest("GET", "/api/v1/assets/billing", ""),
			setup: func(a *testAPI) {
				a.catalog.getAsset = func(domain.Actor, string) (catalog.AssetDetail, error) {
					return catalog.AssetDetail{Asset: wireAsset}, nil
				}
			},
			want: `{"id":"55555555-5555-4555-8555-555555555555","slug":"billing","name":"Billing","description":"The \u003cbilling\u003e \u0026 co","created_at":"2025-01-02T03:04:05.123456789Z","updated_at":"2025-06-07T08:09:10+02:00","versions":{}}`,
		},
		{
			name: "update an asset",
			req:  userRequest("PATCH", "/api/v1/assets/billing", `{"name":"Billing"}`),
			setup: func(a *testAPI) {
				a.catalog.updateAsset = func(domain.Actor, string, catalog.AssetPatch) (domain.Asset, error) { return wireAsset, nil }
			},
			want: `{"id":"55555555-5555-4555-8555-555555555555","slug":"billing","name":"Billing","description":"The \u003cbilling\u003e \u0026 co","created_at":"2025-01-02T03:04:05.123456789Z","updated_at":"2025-06-07T08:09:10+02:00"}`,
		},
		{
			name: "get values",
			req:  userRequest("GET", "/api/v1/assets/billing/environments/prod", ""),
			setup: func(a *testAPI) {
				a.catalog.getValues = func(domain.Actor, string, string) (catalog.EnvironmentValues, error) { return wireValues, nil }
			},
			want: wireValuesBody,
		},
		{
			name: "no values",
			req:  userRequest("GET", "/api/v1/assets/billing/environments/prod", ""),
			setup: func(a *testAPI) {
				a.catalog.getValues = func(domain.Actor, string, string) (catalog.EnvironmentValues, error) {
					return catalog.EnvironmentValues{Asset: "billing", Environment: "prod"}, nil
				}
			},
			want: `{"asset":"billing","environment":"prod","version":0,"values":{}}`,
		},
		{
			name: "change values",
			req: userRequest("PATCH", "/api/v1/assets/billing/environments/prod",
				`{"message":"m","expected_version":6,"set":{"database":{"password":{"value":"x","secret":true}}},"unset":{"old":["k"]}}`),
			setup: func(a *testAPI) {
				a.catalog.applyChangeSet = func(_ domain.Actor, _, _ string, cs domain.ChangeSet) (catalog.EnvironmentValues, error) {
					want := domain.Value{Value: json.RawMessage(`"x"`), Secret: true}
					if cs.Message != "m" || cs.ExpectedVersion == nil || *cs.ExpectedVersion != 6 ||
						string(cs.Set["database"]["password"].Value) != string(want.Value) || !cs.Set["database"]["password"].Secret ||
						len(cs.Unset["old"]) != 1 || cs.Unset["old"][0] != "k" {
						t.Errorf("change set = %+v", cs)
					}
					return wireValues, nil
				}
			},
			want: wireValuesBody,
		},
		{
			name: "get a version",
			req:  userRequest("GET", "/api/v1/assets/billing/versions/7?environment=prod", ""),
			setup: func(a *testAPI) {
				a.catalog.getVersion = func(domain.Actor, string, string, int) (catalog.EnvironmentValues, error) { return wireValues, nil }
			},
			want: wireValuesBody,
		},
		{
			name: "list versions",
			req:  userRequest("GET", "/api/v1/assets/billing/versions?environment=prod", ""),
			setup: func(a *testAPI) {
				a.catalog.listVersions = func(domain.Actor, string, string, domain.Page) ([]catalog.VersionInfo, string, error) {
					return []catalog.VersionInfo{
						{Version: 2, CreatedAt: wireOffset, CreatedBy: "user:" + string(userID), Message: "", Source: domain.SourceRollback},
						{Version: 1, CreatedAt: wireTime, CreatedBy: "system", Message: "first \"one\"", Source: domain.SourceEdit},
					}, "", nil
				}
			},
			want: `{"versions":[{"version":2,"created_at":"2025-06-07T08:09:10+02:00","created_by":"user:22222222-2222-2222-2222-222222222222","message":"","source":"rollback"},{"version":1,"created_at":"2025-01-02T03:04:05.123456789Z","created_by":"system","message":"first \"one\"","source":"edit"}]}`,
		},
		{
			name: "no versions",
			req:  userRequest("GET", "/api/v1/assets/billing/versions?environment=prod", ""),
			setup: func(a *testAPI) {
				a.catalog.listVersions = func(domain.Actor, string, string, domain.Page) ([]catalog.VersionInfo, string, error) {
					return nil, "", nil
				}
			},
			want: `{"versions":[]}`,
		},
		{
			name: "a dry-run promotion",
			req:  userRequest("POST", "/api/v1/assets/billing/promote", `{"from":"stage","to":"prod","dry_run":true}`),
			setup: func(a *testAPI) {
				a.catalog.promote = func(_ domain.Actor, _ string, req catalog.PromoteRequest) (catalog.PromoteResult, error) {
					return catalog.PromoteResult{From: req.From, To: req.To, DryRun: true, Diff: domain.Diff{Added: []string{"a.b"}}}, nil
				}
			},
			want: `{"from":"stage","to":"prod","dry_run":true,"version":null,"diff":{"added":["a.b"],"changed":[],"removed":[]}}`,
		},
		{
			name: "a promotion",
			req:  userRequest("POST", "/api/v1/assets/billing/promote", `{"from":"stage","to":"prod","expected_version":4}`),
			setup: func(a *testAPI) {
				a.catalog.promote = func(_ domain.Actor, _ string, req catalog.PromoteRequest) (catalog.PromoteResult, error) {
					if req.ExpectedVersion == nil || *req.ExpectedVersion != 4 || req.DryRun {
						t.Errorf("promote request = %+v", req)
					}
					return catalog.PromoteResult{From: req.From, To: req.To, Version: &five,
						Diff: domain.Diff{Added: []string{}, Changed: []string{"db.host", "db.port"}, Removed: []string{"x.y"}}}, nil
				}
			},
			want: `{"from":"stage","to":"prod","dry_run":false,"version":5,"diff":{"added":[],"changed":["db.host","db.port"],"removed":["x.y"]}}`,
		},
		{
			name: "a rollback",
			req:  userRequest("POST", "/api/v1/assets/billing/rollback", `{"environment":"prod","version":2}`),
			setup: func(a *testAPI) {
				a.catalog.rollback = func(_ domain.Actor, _, env string, v int) (catalog.RollbackResult, error) {
					return catalog.RollbackResult{Environment: env, Version: 9, RestoredFrom: v}, nil
				}
			},
			want: `{"environment":"prod","version":9,"restored_from":2}`,
		},
		{
			name: "the resolved configuration",
			req:  newRequest("GET", "/api/v1/assets/billing/values?environment=prod", "", "X-API-Key", apiKeyText),
			setup: func(a *testAPI) {
				a.catalog.resolve = func(domain.Actor, string, string) (catalog.Resolved, error) {
					return catalog.Resolved{Asset: "billing", Environment: "prod", Version: 7, Config: map[string]map[string]json.RawMessage{
						"z": {"b": json.RawMessage(`true`), "a": json.RawMessage(` "<&>" `)}, "database": {"port": json.RawMessage(`5432`)},
					}}, nil
				}
			},
			want: `{"asset":"billing","environment":"prod","version":7,"config":{"database":{"port":5432},"z":{"a":"\u003c\u0026\u003e","b":true}}}`,
		},
		{
			name: "register",
			req:  newRequest("POST", "/api/v1/auth/register", `{"email":"ada@example.com","password":"correct horse battery","tenant_name":"Acme & Co"}`),
			setup: func(a *testAPI) {
				a.identity.register = func(identity.RegisterInput) (identity.Registration, error) {
					return identity.Registration{Token: wireToken, ExpiresAt: wireTime, User: user, Tenant: tenant}, nil
				}
			},
			want: `{"token":"cmt_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","expires_at":"2025-01-02T03:04:05.123456789Z","user":{"id":"22222222-2222-2222-2222-222222222222","email":"ada@example.com"},"tenant":{"id":"11111111-1111-1111-1111-111111111111","slug":"acme","name":"Acme \u0026 Co"}}`,
		},
		{
			name: "login",
			req:  newRequest("POST", "/api/v1/auth/login", `{"email":"ada@example.com","password":"correct horse battery"}`),
			setup: func(a *testAPI) {
				a.identity.login = func(string, string) (identity.IssuedToken, error) {
					return identity.IssuedToken{Token: wireToken, ExpiresAt: wireOffset}, nil
				}
			},
			want: `{"token":"cmt_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","expires_at":"2025-06-07T08:09:10+02:00"}`,
		},
		{
			name: "me",
			req:  userRequest("GET", "/api/v1/me", ""),
			setup: func(a *testAPI) {
				a.identity.me = func(domain.Actor) (identity.Me, error) {
					return identity.Me{User: user, Memberships: []domain.UserMembership{{Tenant: tenant, Role: domain.RoleOwner}}}, nil
				}
			},
			want: `{"user":{"id":"22222222-2222-2222-2222-222222222222","email":"ada@example.com"},"memberships":[{"tenant":{"id":"11111111-1111-1111-1111-111111111111","slug":"acme","name":"Acme \u0026 Co"},"role":"owner"}]}`,
		},
		{
			name: "me without memberships",
			req:  userRequest("GET", "/api/v1/me", ""),
			setup: func(a *testAPI) {
				a.identity.me = func(domain.Actor) (identity.Me, error) { return identity.Me{User: user}, nil }
			},
			want: `{"user":{"id":"22222222-2222-2222-2222-222222222222","email":"ada@example.com"},"memberships":[]}`,
		},
		{
			name: "list members",
			req:  userRequest("GET", "/api/v1/members", ""),
			setup: func(a *testAPI) {
				a.identity.listMembers = func(domain.Actor) ([]domain.Member, error) {
					return []domain.Member{{User: user, Role: domain.RoleOwner}, {User: domain.UserRef{ID: lonelyUserID, Email: "bob@example.com"}, Role: domain.RoleViewer}}, nil
				}
			},
			want: `{"members":[{"user":{"id":"22222222-2222-2222-2222-222222222222","email":"ada@example.com"},"role":"owner"},{"user":{"id":"33333333-3333-3333-3333-333333333333","email":"bob@example.com"},"role":"viewer"}]}`,
		},
		{
			name: "no members",
			req:  userRequest("GET", "/api/v1/members", ""),
			setup: func(a *testAPI) {
				a.identity.listMembers = func(domain.Actor) ([]domain.Member, error) { return nil, nil }
			},
			want: `{"members":[]}`,
		},
		{
			name: "add a member",
			req:  userRequest("POST", "/api/v1/members", `{"email":"bob@example.com","role":"editor"}`),
			setup: func(a *testAPI) {
				a.identity.addMember = func(_ domain.Actor, email string, role domain.Role) (domain.Member, error) {
					return domain.Member{User: domain.UserRef{ID: lonelyUserID, Email: email}, Role: role}, nil
				}
			},
			want: `{"user":{"id":"33333333-3333-3333-3333-333333333333","email":"bob@example.com"},"role":"editor"}`,
		},
		{
			name: "update a member",
			req:  userRequest("PATCH", "/api/v1/members/"+string(lonelyUserID), `{"role":"admin"}`),
			setup: func(a *testAPI) {
				a.identity.updateMember = func(_ domain.Actor, u domain.UserID, role domain.Role) (domain.Member, error) {
					return domain.Member{User: domain.UserRef{ID: u, Email: "bob@example.com"}, Role: role}, nil
				}
			},
			want: `{"user":{"id":"33333333-3333-3333-3333-333333333333","email":"bob@example.com"},"role":"admin"}`,
		},
		{
			name: "list API keys",
			req:  userRequest("GET", "/api/v1/api-keys", ""),
			setup: func(a *testAPI) {
				a.identity.listAPIKeys = func(domain.Actor) ([]domain.APIKey, error) {
					return []domain.APIKey{
						{ID: apiKeyID, Name: "sdk", Prefix: "cmk_abcd", Environment: "prod", ExpiresAt: &expires, CreatedAt: wireTime, RevokedAt: &expires},
						{ID: apiKeyID, Name: "ci", Prefix: "cmk_efgh", CreatedAt: wireOffset},
					}, nil
				}
			},
			want: `{"api_keys":[{"id":"44444444-4444-4444-4444-444444444444","name":"sdk","prefix":"cmk_abcd","environment":"prod","expires_at":"2025-06-07T08:09:10+02:00","created_at":"2025-01-02T03:04:05.123456789Z","revoked_at":"2025-06-07T08:09:10+02:00"},{"id":"44444444-4444-4444-4444-444444444444","name":"ci","prefix":"cmk_efgh","environment":null,"expires_at":null,"created_at":"2025-06-07T08:09:10+02:00","revoked_at":null}]}`,
		},
		{
			name: "create an API key",
			req:  userRequest("POST", "/api/v1/api-keys", `{"name":"sdk","environment":"prod"}`),
			setup: func(a *testAPI) {
				a.identity.createAPIKey = func(domain.Actor, identity.APIKeyInput) (identity.CreatedAPIKey, error) {
					return identity.CreatedAPIKey{APIKey: domain.APIKey{ID: apiKeyID, Name: "sdk", Prefix: "cmk_abcd", Environment: "prod", CreatedAt: wireTime}, Key: wireKey}, nil
				}
			},
			want: `{"id":"44444444-4444-4444-4444-444444444444","name":"sdk","key":"cmk_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","prefix":"cmk_abcd","environment":"prod","expires_at":null}`,
		},
		{
			name: "list the audit chain",
			req:  userRequest("GET", "/api/v1/audit?limit=2", ""),
			setup: func(a *testAPI) {
				a.audit.list = func(domain.Actor, int64, int) ([]domain.AuditEntry, string, error) {
					return []domain.AuditEntry{
						{TenantID: tenantID, Seq: 1, Action: domain.ActionTenantCreated, Actor: "system", Target: "tenant:acme",
							CreatedAt: wireOffset, PreviousHash: domain.GenesisHash, Hash: wireHashA},
						{TenantID: tenantID, Seq: 2, Action: domain.ActionAssetCreated, Actor: "user:x", Target: "asset:billing",
							Details: json.RawMessage(`{"id":"a","slug":"billing"}`), CreatedAt: wireTime, PreviousHash: wireHashA, Hash: wireHashC},
					}, "2", nil
				}
			},
			want: `{"entries":[{"seq":1,"action":"tenant.created","actor":"system","target":"tenant:acme","details":{},"created_at":"2025-06-07T06:09:10.000000Z","previous_hash":"0000000000000000000000000000000000000000000000000000000000000000","hash":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},{"seq":2,"action":"asset.created","actor":"user:x","target":"asset:billing","details":{"id":"a","slug":"billing"},"created_at":"2025-01-02T03:04:05.123456Z","previous_hash":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","hash":"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"}],"next_cursor":"2"}`,
		},
		{
			name: "an intact audit chain",
			req:  userRequest("GET", "/api/v1/audit/verify", ""),
			setup: func(a *testAPI) {
				a.audit.verify = func(domain.Actor) (audit.Verification, error) {
					return audit.Verification{Valid: true, Entries: 2, HeadHash: wireHashC}, nil
				}
			},
			want: `{"valid":true,"entries":2,"head_hash":"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"}`,
		},
		{
			name: "an empty audit chain",
			req:  userRequest("GET", "/api/v1/audit/verify", ""),
			setup: func(a *testAPI) {
				a.audit.verify = func(domain.Actor) (audit.Verification, error) { return audit.Verification{Valid: true}, nil }
			},
			want: `{"valid":true,"entries":0,"head_hash":"0000000000000000000000000000000000000000000000000000000000000000"}`,
		},
		{
			name: "a broken audit chain",
			req:  userRequest("GET", "/api/v1/audit/verify", ""),
			setup: func(a *testAPI) {
				a.audit.verify = func(domain.Actor) (audit.Verification, error) {
					return audit.Verification{Entries: 3, FirstInvalidSeq: 3, Reason: audit.ReasonHash}, nil
				}
			},
			want: `{"valid":false,"entries":3,"first_invalid_seq":3,"reason":"hash mismatch"}`,
		},
		{
			name: "liveness",
			req:  newRequest("GET", "/health", ""),
			want: `{"status":"ok"}`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newTestAPI(t)
			if tc.setup != nil {
				tc.setup(a)
			}
			rec := a.serve(t, tc.req)
			if rec.Code >= 300 {
				t.Fatalf("status = %d; body %s", rec.Code, rec.Body)
			}
			if got := rec.Body.String(); got != tc.want {
				t.Errorf("body\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// routeCases lists every route of API.md (and the health checks under
// /api/v1 and the OpenAPI document) with its caller, status and field checks.
func routeCases() []routeCase {
	return []routeCase{
		{
			route: "GET /health", status: http.StatusOK,
			prepare: get(anyone, fixed("/health")),
			check: func(t *testing.T, _ *routeWorld, r *response) {
				wantJSON(t, r, `{"status":"ok"}`)
				wantNoRateLimitHeaders(t, r)
			},
		},
		{
			route: "GET /health/detailed", status: http.StatusOK, volatile: true,
			prepare: get(anyone, fixed("/health/detailed")),
			check:   checkDetailedHealth,
		},
		{
			route: "GET /api/v1/health", status: http.StatusOK,
			prepare: get(anyone, fixed("/api/v1/health")),
			check:   func(t *testing.T, _ *routeWorld, r *response) { wantJSON(t, r, `{"status":"ok"}`) },
		},
		{
			route: "GET /api/v1/health/detailed", status: http.StatusOK, volatile: true,
			prepare: get(anyone, fixed("/api/v1/health/detailed")),
			check:   checkDetailedHealth,
		},
		{
			route: "GET /api/v1/openapi.json", status: http.StatusOK,
			prepare: get(anyone, fixed("/api/v1/openapi.json")),
			check: func(t *testing.T, _ *routeWorld, r *response) {
				if v, _ := r.object(t)["openapi"].(string); !strings.HasPrefix(v, "3.") {
					t.Errorf("the document's openapi is %q", v)
				}
			},
		},
		{
			route: "POST /api/v1/auth/register", status: http.StatusCreated,
			prepare: func(_ *testing.T, w *routeWorld) (*client, request) {
				email := unique("Reg") + "@Example.com"
				return anyone(w), request{method: http.MethodPost, path: "/api/v1/auth/register",
					body: map[string]string{"email": email, "password": w.st.newPassword(), "tenant_name": "Reg Corp " + unique("r")}}
			},
			check: func(t *testing.T, w *routeWorld, r *response) {
				wantKeys(t, r.object(t), "token", "expires_at", "user", "tenant")
				var reg registration
				r.decode(t, &reg)
				w.st.rec.secret("user token", reg.Token)
				wantCredential(t, "token", reg.Token, "cmt_")
				wantFuture(t, "expires_at", reg.ExpiresAt)
				if reg.User.ID == "" || reg.User.Email != strings.ToLower(reg.User.Email) || !strings.Contains(reg.User.Email, "@example.com") {
					t.Errorf("user %+v: want an id and the email (normalised to lower case)", reg.User)
				}
				if reg.Tenant.ID == "" || !strings.HasPrefix(reg.Tenant.Slug, "reg-corp-") || !strings.HasPrefix(reg.Tenant.Name, "Reg Corp ") {
					t.Errorf("tenant %+v: want an id, a slug from the name and the name", reg.Tenant)
				}
			},
		},
		{
			route: "POST /api/v1/auth/login", status: http.StatusOK,
			prepare: func(_ *testing.T, w *routeWorld) (*client, request) {
				return anyone(w), request{method: http.MethodPost, path: "/api/v1/auth/login",
					body: map[string]string{"email": w.fx.ownerEmail, "password": w.fx.ownerPassword}}
			},
			check: func(t *testing.T, w *routeWorld, r *response) {
				wantKeys(t, r.object(t), "token", "expires_at")
				var tok issuedToken
				r.decode(t, &tok)
				w.st.rec.secret("user token", tok.Token)
				wantCredential(t, "token", tok.Token, "cmt_")
				wantFuture(t, "expires_at", tok.ExpiresAt)
				me := &client{st: w.st, token: tok.Token}
				var m meView
				me.get(t, "/api/v1/me").want(t, http.StatusOK).decode(t, &m)
				if m.User.ID != w.fx.ownerID {
					t.Errorf("the login token is for user %s, want %s", m.User.ID, w.fx.ownerID)
				}
			},
		},
		{
			route: "GET /api/v1/me", status: http.StatusOK,
			prepare: get(owner, fixed("/api/v1/me")),
			check: func(t *testing.T, w *routeWorld, r *response) {
				wantKeys(t, r.object(t), "user", "memberships")
				var m meView
				r.decode(t, &m)
				want := meView{
					User:        userRef{ID: w.fx.ownerID, Email: w.fx.ownerEmail},
					Memberships: []membership{{Tenant: tenantRef{ID: w.fx.id, Slug: w.fx.slug, Name: w.fx.name}, Role: "owner"}},
				}
				wantEqual(t, "me", m, want)
			},
		},
		{
			route: "GET /api/v1/environments", status: http.StatusOK,
			prepare: get(owner, fixed("/api/v1/environments")),
			check: func(t *testing.T, _ *routeWorld, r *response) {
				wantKeys(t, r.object(t), "environments")
				var l environmentList
				r.decode(t, &l)
				var names []string
				for i, e := range l.Environments {
					names = append(names, e.Name)
					if i > 0 && e.Position <= l.Environments[i-1].Position {
						t.Errorf("environments not in promotion order: %+v", l.Environments)
					}
				}
				if len(names) < 3 || !slices.Equal(names[:3], []string{"local", "stage", "prod"}) {
					t.Errorf("environments %v, want local, stage, prod first", names)
				}
			},
		},
		{
			route: "POST /api/v1/environments", status: http.StatusCreated,
			prepare: func(_ *testing.T, w *routeWorld) (*client, request) {
				return owner(w), request{method: http.MethodPost, path: "/api/v1/environments", body: map[string]string{"name": unique("qa")}}
			},
			check: func(t *testing.T, w *routeWorld, r *response) {
				wantKeys(t, r.object(t), "name", "position")
				var e environment
				r.decode(t, &e)
				var l environmentList
				owner(w).get(t, "/api/v1/environments").want(t, http.StatusOK).decode(t, &l)
				if last := l.Environments[len(l.Environments)-1]; last != e {
					t.Errorf("the new environment %+v is not last in promotion order: %+v", e, l.Environments)
				}
			},
		},
		{
			route: "GET /api/v1/assets", status: http.StatusOK,
			prepare: get(owner, fixed("/api/v1/assets")),
			check: func(t *testing.T, w *routeWorld, r *response) {
				wantKeys(t, r.object(t), "assets", "next_cursor")
				var l assetList
				r.decode(t, &l)
				if !slices.ContainsFunc(l.Assets, func(a asset) bool { return a.Slug == w.slug }) || l.NextCursor != nil {
					t.Errorf("assets %+v (next_cursor %v): want %s on the only page", l.Assets, l.NextCursor, w.slug)
				}
			},
		},
		{
			route: "POST /api/v1/assets", status: http.StatusCreated,
			prepare: func(_ *testing.T, w *routeWorld) (*client, request) {
				slug := unique("new")
				return owner(w), request{method: http.MethodPost, path: "/api/v1/assets",
					body: map[string]string{"slug": slug, "name": "Name " + slug, "description": "About " + slug}}
			},
			check: func(t *testing.T, _ *routeWorld, r *response) {
				wantKeys(t, r.object(t), "id", "slug", "name", "description", "created_at", "updated_at")
				var a asset
				r.decode(t, &a)
				if a.ID == "" || a.Name != "Name "+a.Slug || a.Description != "About "+a.Slug || a.CreatedAt.IsZero() {
					t.Errorf("created asset %+v does not echo the request", a)
				}
			},
		},
		{
			route: "GET /api/v1/assets/{slug}", status: http.StatusOK,
			prepare: get(owner, func(w *routeWorld) string { return assetPath(w.slug) }),
			check: func(t *testing.T, w *routeWorld, r *response) {
				var d assetDetail
				r.decode(t, &d)
				want := map[string]int{"local": 0, "stage": 2, "prod": 0}
				for env, n := range want {
					if d.Versions[env] != n {
						t.Errorf("versions %v, want %v for the default environments", d.Versions, want)
						break
					}
				}
				if d.Slug != w.slug || d.ID == "" {
					t.Errorf("asset %+v, want %s", d.asset, w.slug)
				}
			},
		},
		{
			route: "PATCH /api/v1/assets/{slug}", status: http.StatusOK,
			prepare: func(t *testing.T, w *routeWorld) (*client, request) {
				return owner(w), request{method: http.MethodPatch, path: assetPath(w.fx.newAsset(t)),
					body: map[string]string{"name": "Renamed", "description": "New text"}}
			},
			check: func(t *testing.T, w *routeWorld, r *response) {
				var a asset
				r.decode(t, &a)
				if a.Name != "Renamed" || a.Description != "New text" {
					t.Errorf("patched asset %+v", a)
				}
				var again assetDetail
				owner(w).get(t, assetPath(a.Slug)).want(t, http.StatusOK).decode(t, &again)
				if again.Name != a.Name || again.Description != a.Description || !sameInstant(again.UpdatedAt, a.UpdatedAt) {
					t.Errorf("after the patch GET shows %+v, want %+v", again.asset, a)
				}
			},
		},
		{
			route: "DELETE /api/v1/assets/{slug}", status: http.StatusNoContent,
			prepare: func(t *testing.T, w *routeWorld) (*client, request) {
				return owner(w), request{method: http.MethodDelete, path: assetPath(w.fx.newAsset(t))}
			},
			check: func(t *testing.T, w *routeWorld, r *response) {
				wantEmpty(t, r)
				slug := strings.TrimSuffix(strings.TrimPrefix(r.label, "DELETE /api/v1/assets/"), "/")
				owner(w).get(t, assetPath(slug)).wantError(t, http.StatusNotFound, "ASSET_NOT_FOUND")
			},
		},
		{
			route: "GET /api/v1/assets/{slug}/environments/{env}", status: http.StatusOK,
			prepare: get(owner, func(w *routeWorld) string { return valuesPath(w.slug, "stage") }),
			check: func(t *testing.T, w *routeWorld, r *response) {
				wantKeys(t, r.object(t), "asset", "environment", "version", "values")
				var v environmentValues
				r.decode(t, &v)
				want := environmentValues{Asset: w.slug, Environment: "stage", Version: 2, Values: map[string]map[string]valueEntry{
					"database": {
						"host":     {Value: json.RawMessage(`"db.stage"`)},
						"port":     {Value: json.RawMessage(`5432`)},
						"password": {Secret: true},
					},
					"features": {"beta": {Value: json.RawMessage(`true`)}},
				}}
				wantEqual(t, "values", v, want)
			},
		},
		{
			route: "PATCH /api/v1/assets/{slug}/environments/{env}", status: http.StatusOK,
			prepare: func(t *testing.T, w *routeWorld) (*client, request) {
				return owner(w), request{method: http.MethodPatch, path: valuesPath(w.fx.newAsset(t), "local"), body: map[string]any{
					"message": "first", "expected_version": 0,
					"set": objects{"app": {"name": plain("demo"), "token": secret(w.secret)}},
				}}
			},
			check: func(t *testing.T, _ *routeWorld, r *response) {
				wantKeys(t, r.object(t), "asset", "environment", "version", "values")
				var v environmentValues
				r.decode(t, &v)
				want := map[string]map[string]valueEntry{"app": {"name": {Value: json.RawMessage(`"demo"`)}, "token": {Secret: true}}}
				if v.Environment != "local" || v.Version != 1 {
					t.Errorf("answer at %s version %d, want local version 1", v.Environment, v.Version)
				}
				wantEqual(t, "values", v.Values, want)
			},
		},
		{
			route: "POST /api/v1/assets/{slug}/promote", status: http.StatusOK,
			prepare: func(t *testing.T, w *routeWorld) (*client, request) {
				slug := w.fx.newAsset(t)
				w.fx.setValues(t, slug, "stage", objects{"database": {"host": plain("db"), "password": secret(w.secret)}})
				return owner(w), request{method: http.MethodPost, path: assetPath(slug) + "/promote",
					body: map[string]any{"from": "stage", "to": "prod", "expected_version": 0, "dry_run": false}}
			},
			check: func(t *testing.T, _ *routeWorld, r *response) {
				wantKeys(t, r.object(t), "from", "to", "dry_run", "version", "diff")
				var p promoteResult
				r.decode(t, &p)
				want := promoteResult{From: "stage", To: "prod", Version: intPtr(1),
					Diff: diff{Added: []string{"database.host", "database.password"}, Changed: []string{}, Removed: []string{}}}
				wantEqual(t, "promotion", sortedDiff(p), want)
			},
		},
		{
			route: "GET /api/v1/assets/{slug}/versions", status: http.StatusOK,
			prepare: get(owner, func(w *routeWorld) string { return versionsPath(w.slug, "stage") }),
			check: func(t *testing.T, w *routeWorld, r *response) {
				var l versionList
				r.decode(t, &l)
				if len(l.Versions) != 2 || l.Versions[0].Version != 2 || l.Versions[1].Version != 1 {
					t.Fatalf("versions %+v, want 2 then 1", l.Versions)
				}
				for _, v := range l.Versions {
					if v.Source != "edit" || v.CreatedAt.IsZero() || !strings.Contains(v.CreatedBy, w.fx.ownerID) || v.Message == nil || *v.Message != "set" {
						t.Errorf("version %+v: want source edit, created_at, created_by naming the owner and the message", v)
					}
				}
			},
		},
		{
			route: "GET /api/v1/assets/{slug}/versions/{n}", status: http.StatusOK,
			prepare: get(owner, func(w *routeWorld) string { return versionPath(w.slug, "stage", 1) }),
			check: func(t *testing.T, w *routeWorld, r *response) {
				var v environmentValues
				r.decode(t, &v)
				want := environmentValues{Asset: w.slug, Environment: "stage", Version: 1, Values: map[string]map[string]valueEntry{
					"database": {"host": {Value: json.RawMessage(`"db.stage"`)}, "port": {Value: json.RawMessage(`5432`)}},
				}}
				wantEqual(t, "version 1", v, want)
			},
		},
		{
			route: "POST /api/v1/assets/{slug}/rollback", status: http.StatusOK,
			prepare: func(t *testing.T, w *routeWorld) (*client, request) {
				slug := w.fx.newAsset(t)
				w.fx.setValues(t, slug, "stage", objects{"a": {"k": plain(1)}})
				w.fx.setValues(t, slug, "stage", objects{"a": {"k": plain(2)}})
				return owner(w), request{method: http.MethodPost, path: assetPath(slug) + "/rollback",
					body: map[string]any{"environment": "stage", "version": 1}}
			},
			check: func(t *testing.T, _ *routeWorld, r *response) {
				wantKeys(t, r.object(t), "environment", "version", "restored_from")
				var rb rollbackResult
				r.decode(t, &rb)
				wantEqual(t, "rollback", rb, rollbackResult{Environment: "stage", Version: 3, RestoredFrom: 1})
			},
		},
		{
			route: "GET /api/v1/assets/{slug}/compare", status: http.StatusOK,
			prepare: get(owner, func(w *routeWorld) string { return assetPath(w.slug) + "/compare?environments=stage,prod" }),
			check: func(t *testing.T, w *routeWorld, r *response) {
				wantKeys(t, r.object(t), "asset", "environments", "keys")
				var c comparison
				r.decode(t, &c)
				wantEqual(t, "environments", c.Environments, []string{"stage", "prod"})
				wantEqual(t, "keys", len(c.Keys), 4)
			},
		},
		{
			route: "GET /api/v1/assets/{slug}/schema", status: http.StatusOK,
			prepare: func(t *testing.T, w *routeWorld) (*client, request) {
				slug := w.fx.newAsset(t)
				w.fx.owner.send(t, request{method: http.MethodPut, path: assetPath(slug) + "/schema", body: map[string]any{"schema": map[string]any{"type": "object"}}}).
					want(t, http.StatusOK)
				return owner(w), request{method: http.MethodGet, path: assetPath(slug) + "/schema"}
			},
			volatile: true,
			check: func(t *testing.T, _ *routeWorld, r *response) {
				wantKeys(t, r.object(t), "asset", "schema", "updated_at")
			},
		},
		{
			route: "PUT /api/v1/assets/{slug}/schema", status: http.StatusOK,
			prepare: func(t *testing.T, w *routeWorld) (*client, request) {
				return owner(w), request{method: http.MethodPut, path: assetPath(w.fx.newAsset(t)) + "/schema",
					body: map[string]any{"schema": map[string]any{"type": "object", "required": []string{}}}}
			},
			check: func(t *testing.T, _ *routeWorld, r *response) {
				wantKeys(t, r.object(t), "asset", "schema", "updated_at")
				var s assetSchema
				r.decode(t, &s)
				wantJSON(t, &response{body: s.Schema}, `{"required":[],"type":"object"}`)
			},
		},
		{
			route: "DELETE /api/v1/assets/{slug}/schema", status: http.StatusNoContent,
			prepare: func(t *testing.T, w *routeWorld) (*client, request) {
				slug := w.fx.newAsset(t)
				w.fx.owner.send(t, request{method: http.MethodPut, path: assetPath(slug) + "/schema", body: map[string]any{"schema": true}}).
					want(t, http.StatusOK)
				return owner(w), request{method: http.MethodDelete, path: assetPath(slug) + "/schema"}
			},
			check: func(t *testing.T, _ *routeWorld, r *response) { wantEmpty(t, r) },
		},
		{
			route: "GET /api/v1/assets/{slug}/values", status: http.StatusOK,
			prepare: func(_ *testing.T, w *routeWorld) (*client, request) {
				return w.fx.sdk(w.key.Key), request{method: http.MethodGet, path: resolvedPath(w.slug, "stage")}
			},
			check: func(t *testing.T, w *routeWorld, r *response) {
				wantKeys(t, r.object(t), "asset", "environment", "version", "config")
				var rc resolvedConfig
				r.decode(t, &rc)
				want := resolvedConfig{Asset: w.slug, Environment: "stage", Version: 2, Config: map[string]map[string]json.RawMessage{
					"database": {"host": json.RawMessage(`"db.stage"`), "port": json.RawMessage(`5432`), "password": jsonString(w.secret)},
					"features": {"beta": json.RawMessage(`true`)},
				}}
				wantEqual(t, "resolved config", rc, want)
				if r.header.Get("ETag") == "" {
					t.Error("the resolved config has no ETag")
				}
			},
		},
		{
			route: "GET /api/v1/members", status: http.StatusOK,
			prepare: get(owner, fixed("/api/v1/members")),
			check: func(t *testing.T, w *routeWorld, r *response) {
				var l memberList
				r.decode(t, &l)
				want := member{User: userRef{ID: w.fx.ownerID, Email: w.fx.ownerEmail}, Role: "owner"}
				if !slices.Contains(l.Members, want) {
					t.Errorf("members %+v, want the owner %+v", l.Members, want)
				}
			},
		},
		{
			route: "POST /api/v1/members", status: http.StatusCreated,
			prepare: func(t *testing.T, w *routeWorld) (*client, request) {
				email := unique("new-member") + "@example.com"
				w.st.register(t, email, w.st.newPassword(), "Own "+unique("o"))
				return owner(w), request{method: http.MethodPost, path: "/api/v1/members", body: map[string]string{"email": email, "role": "editor"}}
			},
			check: func(t *testing.T, _ *routeWorld, r *response) {
				wantKeys(t, r.object(t), "user", "role")
				var m member
				r.decode(t, &m)
				if m.User.ID == "" || !strings.HasPrefix(m.User.Email, "new-member-") || m.Role != "editor" {
					t.Errorf("added member %+v", m)
				}
			},
		},
		{
			route: "PATCH /api/v1/members/{user_id}", status: http.StatusOK,
			prepare: func(t *testing.T, w *routeWorld) (*client, request) {
				u := w.fx.join(t, "editor")
				return owner(w), request{method: http.MethodPatch, path: "/api/v1/members/" + u.id, body: map[string]string{"role": "viewer"}}
			},
			check: func(t *testing.T, _ *routeWorld, r *response) {
				var m member
				r.decode(t, &m)
				if m.Role != "viewer" || !strings.Contains(r.label, "/members/"+m.User.ID) {
					t.Errorf("patched member %+v", m)
				}
			},
		},
		{
			route: "DELETE /api/v1/members/{user_id}", status: http.StatusNoContent,
			prepare: func(t *testing.T, w *routeWorld) (*client, request) {
				u := w.fx.join(t, "viewer")
				return owner(w), request{method: http.MethodDelete, path: "/api/v1/members/" + u.id}
			},
			check: func(t *testing.T, _ *routeWorld, r *response) { wantEmpty(t, r) },
		},
		{
			route: "GET /api/v1/api-keys", status: http.StatusOK,
			prepare: get(owner, fixed("/api/v1/api-keys")),
			check: func(t *testing.T, w *routeWorld, r *response) {
				var l apiKeyList
				r.decode(t, &l)
				if !slices.ContainsFunc(l.APIKeys, func(k apiKeyView) bool { return k.ID == w.key.ID && k.Prefix == w.key.Prefix }) {
					t.Errorf("api keys %+v, want %s", l.APIKeys, w.key.ID)
				}
				if bytes.Contains(r.body, []byte(w.key.Key)) || bytes.Contains(r.body, []byte(w.key.Key[len(w.key.Prefix):])) {
					t.Error("the key list shows a key's secret part")
				}
			},
		},
		{
			route: "POST /api/v1/api-keys", status: http.StatusCreated,
			prepare: func(_ *testing.T, w *routeWorld) (*client, request) {
				return owner(w), request{method: http.MethodPost, path: "/api/v1/api-keys",
					body: map[string]any{"name": "ci", "environment": "stage", "expires_at": "2099-01-02T03:04:05Z"}}
			},
			check: func(t *testing.T, w *routeWorld, r *response) {
				wantKeys(t, r.object(t), "id", "name", "key", "prefix", "environment", "expires_at")
				var k apiKeyCreated
				r.decode(t, &k)
				w.st.rec.secret("API key", k.Key)
				wantCredential(t, "key", k.Key, "cmk_")
				exp := time.Date(2099, 1, 2, 3, 4, 5, 0, time.UTC)
				if k.ID == "" || k.Name != "ci" || !strings.HasPrefix(k.Key, k.Prefix) || len(k.Prefix) >= len(k.Key) ||
					k.Environment == nil || *k.Environment != "stage" || k.ExpiresAt == nil || !k.ExpiresAt.Equal(exp) {
					t.Errorf("created key %+v", k)
				}
			},
		},
		{
			route: "DELETE /api/v1/api-keys/{id}", status: http.StatusNoContent,
			prepare: func(t *testing.T, w *routeWorld) (*client, request) {
				return owner(w), request{method: http.MethodDelete, path: "/api/v1/api-keys/" + w.fx.newAPIKey(t, "").ID}
			},
			check: func(t *testing.T, _ *routeWorld, r *response) { wantEmpty(t, r) },
		},
		{
			route: "GET /api/v1/audit", status: http.StatusOK,
			prepare: get(owner, fixed("/api/v1/audit")),
			check: func(t *testing.T, _ *routeWorld, r *response) {
				wantKeys(t, r.object(t), "entries", "next_cursor")
				var p auditPage
				r.decode(t, &p)
				if len(p.Entries) == 0 || p.Entries[0].Seq != 1 {
					t.Errorf("audit page %+v, want entries from seq 1", p)
				}
			},
		},
		{
			route: "GET /api/v1/audit/verify", status: http.StatusOK,
			prepare: get(owner, fixed("/api/v1/audit/verify")),
			check: func(t *testing.T, _ *routeWorld, r *response) {
				wantKeys(t, r.object(t), "valid", "entries", "head_hash")
				var v auditVerification
				r.decode(t, &v)
				if !v.Valid || v.Entries < 1 || len(v.HeadHash) != 64 {
					t.Errorf("verification %+v", v)
				}
			},
		},
	}
}

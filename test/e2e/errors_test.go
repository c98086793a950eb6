package e2e

import (
	"bytes"
	"crypto/rand"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/configmat/configmat/core/domain"
)

// errorWorld is what the error cases act on.
type errorWorld struct {
	st                    *stack
	fx, other             *tenantFixture
	slug                  string
	viewer, editor, admin userOf
	prodKey, revokedKey   string
}

// errorCase provokes one error code of API.md.
type errorCase struct {
	name    string
	prepare func(t *testing.T, w *errorWorld) (*client, request)
	status  int
	code    string
	// field is the field VALIDATION_ERROR's details must name.
	field string
	// check checks more of the error or of the state after it.
	check func(t *testing.T, w *errorWorld, e apiError)
}

// testErrorCodes provokes every error code a client can provoke (except
// RATE_LIMITED, see TestRateLimit) and checks status, code and details; the
// client checks the body's shape, request_id and documentation_url.
func testErrorCodes(t *testing.T, st *stack) {
	w := &errorWorld{st: st, fx: st.newTenant(t), other: st.newTenant(t)}
	w.slug = w.fx.newAsset(t)
	w.fx.setValues(t, w.slug, "stage", objects{"db": {"host": plain("h")}})
	w.fx.setValues(t, w.slug, "prod", objects{"db": {"host": plain("p")}})
	w.viewer, w.editor, w.admin = w.fx.join(t, "viewer"), w.fx.join(t, "editor"), w.fx.join(t, "admin")
	w.prodKey = w.fx.newAPIKey(t, "prod").Key
	revoked := w.fx.newAPIKey(t, "")
	w.fx.owner.del(t, "/api/v1/api-keys/"+revoked.ID).want(t, http.StatusNoContent)
	w.revokedKey = revoked.Key

	for _, ec := range errorCases() {
		t.Run(ec.code+"/"+ec.name, func(t *testing.T) {
			c, rq := ec.prepare(t, w)
			e := c.send(t, rq).wantError(t, ec.status, ec.code)
			if ec.field != "" {
				fields, _ := e.Details["fields"].(map[string]any)
				if _, ok := fields[ec.field]; !ok {
					t.Errorf("details %v do not name the field %q", e.Details, ec.field)
				}
			}
			if ec.check != nil {
				ec.check(t, w, e)
			}
		})
	}
}

// call builds a prepare function for a fixed request.
func call(who func(*errorWorld) *client, method, path string, body any) func(*testing.T, *errorWorld) (*client, request) {
	return func(_ *testing.T, w *errorWorld) (*client, request) {
		return who(w), request{method: method, path: path, body: body}
	}
}

func ownerOf(w *errorWorld) *client  { return w.fx.owner }
func nobody(w *errorWorld) *client   { return w.st.anonymous() }
func viewerOf(w *errorWorld) *client { return w.viewer.client }
func editorOf(w *errorWorld) *client { return w.editor.client }
func adminOf(w *errorWorld) *client  { return w.admin.client }

// onAsset builds a prepare function for a request on the world's asset.
func onAsset(who func(*errorWorld) *client, method, suffix string, body any) func(*testing.T, *errorWorld) (*client, request) {
	return func(_ *testing.T, w *errorWorld) (*client, request) {
		return who(w), request{method: method, path: assetPath(w.slug) + suffix, body: body}
	}
}

// wellFormed returns a credential with a valid checksum that was never issued.
func wellFormed(prefix string) string {
	c, err := domain.NewCredential(prefix, rand.Reader)
	if err != nil {
		panic(err)
	}
	return c
}

// assetAbsent checks that the asset of the request body was not created.
func assetAbsent(slug string) func(*testing.T, *errorWorld, apiError) {
	return func(t *testing.T, w *errorWorld, _ apiError) {
		w.fx.owner.get(t, assetPath(slug)).wantError(t, http.StatusNotFound, "ASSET_NOT_FOUND")
	}
}

func errorCases() []errorCase {
	big := `{"slug":"too-big","name":"x","description":"` + strings.Repeat("a", 1<<20) + `"}`
	return []errorCase{
		{name: "malformed JSON", prepare: call(ownerOf, http.MethodPost, "/api/v1/assets", `{"slug":"bad-json",`),
			status: 400, code: "INVALID_JSON", check: assetAbsent("bad-json")},
		{name: "trailing data", prepare: call(ownerOf, http.MethodPost, "/api/v1/assets", `{"slug":"trailing","name":"T"} {"x":1}`),
			status: 400, code: "INVALID_JSON", check: assetAbsent("trailing")},
		{name: "trailing garbage", prepare: call(ownerOf, http.MethodPost, "/api/v1/assets", `{"slug":"garbage","name":"G"}xyz`),
			status: 400, code: "INVALID_JSON", check: assetAbsent("garbage")},
		{name: "a JSON array", prepare: call(ownerOf, http.MethodPost, "/api/v1/assets", `[]`), status: 400, code: "INVALID_JSON"},
		{name: "empty body with a content type", prepare: call(ownerOf, http.MethodPost, "/api/v1/assets", ""), status: 400, code: "INVALID_JSON"},
		{name: "no body at all", prepare: call(ownerOf, http.MethodPost, "/api/v1/assets", nil), status: 400, code: "INVALID_JSON"},
		{name: "an unknown field", prepare: call(ownerOf, http.MethodPost, "/api/v1/assets", `{"slug":"unknown-field","name":"U","colour":"red"}`),
			status: 400, code: "INVALID_JSON", check: assetAbsent("unknown-field")},

		{name: "bad slug", prepare: call(ownerOf, http.MethodPost, "/api/v1/assets", map[string]string{"slug": "Not A Slug", "name": "x"}),
			status: 400, code: "VALIDATION_ERROR", field: "slug"},
		{name: "slug of the wrong type", prepare: call(ownerOf, http.MethodPost, "/api/v1/assets", `{"slug":5,"name":"x"}`),
			status: 400, code: "VALIDATION_ERROR", field: "slug"},
		{name: "limit 0", prepare: call(ownerOf, http.MethodGet, "/api/v1/assets?limit=0", nil), status: 400, code: "VALIDATION_ERROR", field: "limit"},
		{name: "limit 201", prepare: call(ownerOf, http.MethodGet, "/api/v1/assets?limit=201", nil), status: 400, code: "VALIDATION_ERROR", field: "limit"},
		{name: "versions without environment", prepare: onAsset(ownerOf, http.MethodGet, "/versions", nil),
			status: 400, code: "VALIDATION_ERROR", field: "environment"},
		{name: "resolved config without environment", prepare: onAsset(ownerOf, http.MethodGet, "/values", nil),
			status: 400, code: "VALIDATION_ERROR", field: "environment"},
		{name: "short password", prepare: call(nobody, http.MethodPost, "/api/v1/auth/register",
			map[string]string{"email": "short@example.com", "password": "short", "tenant_name": "Short"}),
			status: 400, code: "VALIDATION_ERROR", field: "password"},
		{name: "bad email", prepare: call(nobody, http.MethodPost, "/api/v1/auth/register",
			map[string]string{"email": "not-an-email", "password": "long-enough-password", "tenant_name": "Bad Email"}),
			status: 400, code: "VALIDATION_ERROR", field: "email"},
		{name: "unknown role", prepare: call(ownerOf, http.MethodPost, "/api/v1/members", map[string]string{"email": "x@example.com", "role": "god"}),
			status: 400, code: "VALIDATION_ERROR", field: "role"},
		{name: "bad expiry", prepare: call(ownerOf, http.MethodPost, "/api/v1/api-keys", map[string]string{"name": "k", "expires_at": "tomorrow"}),
			status: 400, code: "VALIDATION_ERROR", field: "expires_at"},
		{name: "bad environment name", prepare: call(ownerOf, http.MethodPost, "/api/v1/environments", map[string]string{"name": "Bad Name"}),
			status: 400, code: "VALIDATION_ERROR", field: "name"},
		{name: "negative expected_version", prepare: onAsset(ownerOf, http.MethodPatch, "/environments/stage",
			map[string]any{"expected_version": -1, "set": objects{"db": {"host": plain("x")}}}),
			status: 400, code: "VALIDATION_ERROR", field: "expected_version"},

		{name: "version number not a number", prepare: onAsset(ownerOf, http.MethodGet, "/versions/abc?environment=stage", nil),
			status: 400, code: "VALIDATION_ERROR", field: "n"},
		{name: "limit not a number", prepare: call(ownerOf, http.MethodGet, "/api/v1/assets?limit=abc", nil),
			status: 400, code: "VALIDATION_ERROR", field: "limit"},
		{name: "negative after_seq", prepare: call(ownerOf, http.MethodGet, "/api/v1/audit?after_seq=-1", nil),
			status: 400, code: "VALIDATION_ERROR", field: "after_seq"},
		{name: "rollback to version 0", prepare: onAsset(ownerOf, http.MethodPost, "/rollback", map[string]any{"environment": "stage", "version": 0}),
			status: 400, code: "VALIDATION_ERROR", field: "version"},
		{name: "promote to itself", prepare: onAsset(ownerOf, http.MethodPost, "/promote", map[string]any{"from": "stage", "to": "stage"}),
			status: 400, code: "VALIDATION_ERROR", field: "to"},
		{name: "asset without a name", prepare: call(ownerOf, http.MethodPost, "/api/v1/assets", map[string]string{"slug": "nameless"}),
			status: 400, code: "VALIDATION_ERROR", field: "name", check: assetAbsent("nameless")},
		{name: "bad object name", prepare: onAsset(ownerOf, http.MethodPatch, "/environments/stage",
			map[string]any{"set": objects{"Bad Obj": {"k": plain(1)}}}), status: 400, code: "VALIDATION_ERROR", field: "set.Bad Obj"},
		{name: "value over 64 KiB", prepare: onAsset(ownerOf, http.MethodPatch, "/environments/stage",
			map[string]any{"set": objects{"db": {"big": plain(strings.Repeat("x", 70000))}}}),
			status: 400, code: "VALIDATION_ERROR", field: "set.db.big.value"},
		{name: "a type error deep in a change set", prepare: onAsset(ownerOf, http.MethodPatch, "/environments/stage",
			`{"set":{"db":{"host":{"value":"h"}},"database":{"k":{"value":1,"secret":"yes"}}}}`),
			status: 400, code: "VALIDATION_ERROR", field: "set.database.k.secret"},
		{name: "a cursor the API did not answer", prepare: call(ownerOf, http.MethodGet, "/api/v1/assets?cursor=garbage", nil),
			status: 400, code: "VALIDATION_ERROR", field: "cursor"},
		{name: "a slug as a cursor", prepare: func(_ *testing.T, w *errorWorld) (*client, request) {
			return ownerOf(w), request{method: http.MethodGet, path: "/api/v1/assets?cursor=" + w.slug}
		}, status: 400, code: "VALIDATION_ERROR", field: "cursor"},
		// An encoded slash stays inside its slug: the environment route
		// does not answer, the slug is refused like any malformed slug.
		{name: "an encoded slash in a slug", prepare: onAsset(ownerOf, http.MethodGet, "%2Fenvironments%2Fstage", nil),
			status: 400, code: "VALIDATION_ERROR", field: "slug"},
		{name: "an encoded slash in a slug, lower case", prepare: onAsset(ownerOf, http.MethodGet, "%2fenvironments%2fstage", nil),
			status: 400, code: "VALIDATION_ERROR", field: "slug"},
		{name: "encoded dots as a slug", prepare: call(ownerOf, http.MethodGet, "/api/v1/assets/%2e%2e/environments/stage", nil),
			status: 400, code: "VALIDATION_ERROR", field: "slug"},
		{name: "an encoded NUL in a slug", prepare: call(ownerOf, http.MethodGet, "/api/v1/assets/a%00b", nil),
			status: 400, code: "VALIDATION_ERROR", field: "slug"},
		{name: "API key expiring in the past", prepare: call(ownerOf, http.MethodPost, "/api/v1/api-keys",
			map[string]string{"name": "old", "expires_at": "2001-01-01T00:00:00Z"}), status: 400, code: "VALIDATION_ERROR", field: "expires_at"},

		{name: "no credentials", prepare: call(nobody, http.MethodGet, "/api/v1/assets", nil), status: 401, code: "AUTHENTICATION_REQUIRED"},
		{name: "no credentials on /me", prepare: call(nobody, http.MethodGet, "/api/v1/me", nil), status: 401, code: "AUTHENTICATION_REQUIRED"},
		{name: "no credentials on the resolved config", prepare: onAsset(nobody, http.MethodGet, "/values?environment=stage", nil),
			status: 401, code: "AUTHENTICATION_REQUIRED"},
		{name: "basic authentication", prepare: func(_ *testing.T, w *errorWorld) (*client, request) {
			return nobody(w), request{method: http.MethodGet, path: "/api/v1/assets", headers: map[string]string{"Authorization": "Basic dXNlcjpwYXNz"}}
		}, status: 401, code: "AUTHENTICATION_REQUIRED"},
		{name: "an API key on a user route", prepare: func(_ *testing.T, w *errorWorld) (*client, request) {
			return w.fx.sdk(w.prodKey), request{method: http.MethodGet, path: "/api/v1/assets"}
		}, status: 401, code: "AUTHENTICATION_REQUIRED"},

		{name: "wrong password", prepare: func(_ *testing.T, w *errorWorld) (*client, request) {
			return nobody(w), request{method: http.MethodPost, path: "/api/v1/auth/login",
				body: map[string]string{"email": w.fx.ownerEmail, "password": "wrong-" + w.fx.ownerPassword}}
		}, status: 401, code: "INVALID_CREDENTIALS"},
		{name: "unknown email", prepare: call(nobody, http.MethodPost, "/api/v1/auth/login",
			map[string]string{"email": "nobody-here@example.com", "password": "some-password-1"}), status: 401, code: "INVALID_CREDENTIALS"},

		{name: "malformed token", prepare: func(_ *testing.T, w *errorWorld) (*client, request) {
			return &client{st: w.st, token: "cmt_not-a-token"}, request{method: http.MethodGet, path: "/api/v1/me"}
		}, status: 401, code: "INVALID_TOKEN"},
		{name: "well-formed unknown token", prepare: func(_ *testing.T, w *errorWorld) (*client, request) {
			return &client{st: w.st, token: wellFormed(domain.UserTokenPrefix)}, request{method: http.MethodGet, path: "/api/v1/assets"}
		}, status: 401, code: "INVALID_TOKEN"},
		{name: "an API key as a bearer token", prepare: func(_ *testing.T, w *errorWorld) (*client, request) {
			return &client{st: w.st, token: w.prodKey}, request{method: http.MethodGet, path: "/api/v1/me"}
		}, status: 401, code: "INVALID_TOKEN"},

		{name: "malformed API key", prepare: func(_ *testing.T, w *errorWorld) (*client, request) {
			return &client{st: w.st, apiKey: "cmk_123"}, request{method: http.MethodGet, path: resolvedPath(w.slug, "stage")}
		}, status: 401, code: "INVALID_API_KEY"},
		{name: "API key with a bad checksum", prepare: func(_ *testing.T, w *errorWorld) (*client, request) {
			k := []byte(wellFormed(domain.APIKeyPrefix))
			k[len(k)-1] ^= 1
			return &client{st: w.st, apiKey: string(k)}, request{method: http.MethodGet, path: resolvedPath(w.slug, "stage")}
		}, status: 401, code: "INVALID_API_KEY"},
		{name: "unknown API key", prepare: func(_ *testing.T, w *errorWorld) (*client, request) {
			return &client{st: w.st, apiKey: wellFormed(domain.APIKeyPrefix)}, request{method: http.MethodGet, path: resolvedPath(w.slug, "stage")}
		}, status: 401, code: "INVALID_API_KEY"},
		{name: "revoked API key", prepare: func(_ *testing.T, w *errorWorld) (*client, request) {
			return w.fx.sdk(w.revokedKey), request{method: http.MethodGet, path: resolvedPath(w.slug, "stage")}
		}, status: 401, code: "INVALID_API_KEY"},

		{name: "viewer writing values", prepare: onAsset(viewerOf, http.MethodPatch, "/environments/stage",
			map[string]any{"set": objects{"db": {"host": plain("viewer")}}}),
			status: 403, code: "PERMISSION_DENIED", check: func(t *testing.T, w *errorWorld, _ apiError) {
				var v environmentValues
				w.fx.owner.get(t, valuesPath(w.slug, "stage")).want(t, http.StatusOK).decode(t, &v)
				if v.Version != 1 {
					t.Errorf("a refused write changed the version to %d", v.Version)
				}
			}},
		{name: "viewer creating an asset", prepare: call(viewerOf, http.MethodPost, "/api/v1/assets", map[string]string{"slug": "by-viewer", "name": "V"}),
			status: 403, code: "PERMISSION_DENIED", check: assetAbsent("by-viewer")},
		{name: "editor deleting an asset", prepare: onAsset(editorOf, http.MethodDelete, "", nil),
			status: 403, code: "PERMISSION_DENIED", check: func(t *testing.T, w *errorWorld, _ apiError) {
				w.fx.owner.get(t, assetPath(w.slug)).want(t, http.StatusOK)
			}},
		{name: "editor listing members", prepare: call(editorOf, http.MethodGet, "/api/v1/members", nil), status: 403, code: "PERMISSION_DENIED"},
		{name: "editor creating an API key", prepare: call(editorOf, http.MethodPost, "/api/v1/api-keys", map[string]any{"name": "by-editor"}),
			status: 403, code: "PERMISSION_DENIED"},
		{name: "editor reading the audit", prepare: call(editorOf, http.MethodGet, "/api/v1/audit", nil), status: 403, code: "PERMISSION_DENIED"},
		{name: "editor creating an environment", prepare: call(editorOf, http.MethodPost, "/api/v1/environments", map[string]string{"name": "by-editor"}),
			status: 403, code: "PERMISSION_DENIED"},
		{name: "admin granting owner", prepare: func(t *testing.T, w *errorWorld) (*client, request) {
			email := unique("would-be-owner") + "@example.com"
			w.st.register(t, email, w.st.newPassword(), "Would Be "+unique("w"))
			return adminOf(w), request{method: http.MethodPost, path: "/api/v1/members", body: map[string]string{"email": email, "role": "owner"}}
		}, status: 403, code: "PERMISSION_DENIED"},
		{name: "admin promoting a member to owner", prepare: func(_ *testing.T, w *errorWorld) (*client, request) {
			return adminOf(w), request{method: http.MethodPatch, path: "/api/v1/members/" + w.editor.id, body: map[string]string{"role": "owner"}}
		}, status: 403, code: "PERMISSION_DENIED"},
		{name: "API key limited to another environment", prepare: func(_ *testing.T, w *errorWorld) (*client, request) {
			return w.fx.sdk(w.prodKey), request{method: http.MethodGet, path: resolvedPath(w.slug, "stage")}
		}, status: 403, code: "PERMISSION_DENIED", check: func(t *testing.T, w *errorWorld, _ apiError) {
			w.fx.sdk(w.prodKey).get(t, resolvedPath(w.slug, "prod")).want(t, http.StatusOK)
		}},
		{name: "viewer removing the owner", prepare: func(_ *testing.T, w *errorWorld) (*client, request) {
			return viewerOf(w), request{method: http.MethodDelete, path: "/api/v1/members/" + w.fx.ownerID}
		}, status: 403, code: "PERMISSION_DENIED"},

		{name: "unknown route", prepare: call(ownerOf, http.MethodGet, "/api/v1/does-not-exist", nil), status: 404, code: "NOT_FOUND"},

		{name: "X-Tenant of a tenant the user is not a member of", prepare: func(_ *testing.T, w *errorWorld) (*client, request) {
			return w.fx.owner.inTenant(w.other.slug, ""), request{method: http.MethodGet, path: "/api/v1/assets"}
		}, status: 404, code: "TENANT_NOT_FOUND"},
		{name: "X-Tenant of no tenant", prepare: func(_ *testing.T, w *errorWorld) (*client, request) {
			return w.fx.owner.inTenant("no-such-tenant-"+randomHex(4), ""), request{method: http.MethodGet, path: "/api/v1/environments"}
		}, status: 404, code: "TENANT_NOT_FOUND"},

		{name: "GET /api/v1/assets/nonexistent", prepare: call(ownerOf, http.MethodGet, "/api/v1/assets/nonexistent", nil),
			status: 404, code: "ASSET_NOT_FOUND", check: func(t *testing.T, _ *errorWorld, e apiError) {
				wantEqual(t, "details", e.Details, map[string]any{"asset_slug": "nonexistent"})
				if e.Message != "The requested asset does not exist." {
					t.Errorf("message %q, want API.md's %q", e.Message, "The requested asset does not exist.")
				}
			}},
		{name: "values of an unknown asset", prepare: call(ownerOf, http.MethodGet, valuesPath("nonexistent", "stage"), nil),
			status: 404, code: "ASSET_NOT_FOUND"},
		{name: "promote an unknown asset", prepare: call(ownerOf, http.MethodPost, assetPath("nonexistent")+"/promote",
			map[string]any{"from": "stage", "to": "prod"}), status: 404, code: "ASSET_NOT_FOUND"},

		{name: "values of an unknown environment", prepare: onAsset(ownerOf, http.MethodGet, "/environments/nope", nil),
			status: 404, code: "ENVIRONMENT_NOT_FOUND"},
		{name: "promote to an unknown environment", prepare: onAsset(ownerOf, http.MethodPost, "/promote",
			map[string]any{"from": "stage", "to": "nope"}), status: 404, code: "ENVIRONMENT_NOT_FOUND"},
		{name: "resolved config of an unknown environment", prepare: onAsset(ownerOf, http.MethodGet, "/values?environment=nope", nil),
			status: 404, code: "ENVIRONMENT_NOT_FOUND"},

		{name: "an unknown version", prepare: onAsset(ownerOf, http.MethodGet, "/versions/99?environment=stage", nil),
			status: 404, code: "VERSION_NOT_FOUND"},
		{name: "rollback to an unknown version", prepare: onAsset(ownerOf, http.MethodPost, "/rollback",
			map[string]any{"environment": "stage", "version": 99}), status: 404, code: "VERSION_NOT_FOUND"},

		{name: "revoke an unknown API key", prepare: call(ownerOf, http.MethodDelete, "/api/v1/api-keys/"+uuid.NewString(), nil),
			status: 404, code: "API_KEY_NOT_FOUND"},
		{name: "revoke another tenant's API key", prepare: func(t *testing.T, w *errorWorld) (*client, request) {
			return w.other.owner, request{method: http.MethodDelete, path: "/api/v1/api-keys/" + w.fx.newAPIKey(t, "").ID}
		}, status: 404, code: "API_KEY_NOT_FOUND"},

		{name: "API key for an unknown environment", prepare: call(ownerOf, http.MethodPost, "/api/v1/api-keys",
			map[string]string{"name": "k", "environment": "nope"}), status: 404, code: "ENVIRONMENT_NOT_FOUND"},
		{name: "change the role of a non-member", prepare: call(ownerOf, http.MethodPatch, "/api/v1/members/"+uuid.NewString(),
			map[string]string{"role": "viewer"}), status: 404, code: "USER_NOT_FOUND"},
		{name: "remove a non-member", prepare: call(ownerOf, http.MethodDelete, "/api/v1/members/"+uuid.NewString(), nil),
			status: 404, code: "USER_NOT_FOUND"},
		{name: "add an unknown user", prepare: call(ownerOf, http.MethodPost, "/api/v1/members",
			map[string]string{"email": "never-registered@example.com", "role": "viewer"}), status: 404, code: "USER_NOT_FOUND"},

		{name: "PUT on assets", prepare: call(ownerOf, http.MethodPut, "/api/v1/assets", nil), status: 405, code: "METHOD_NOT_ALLOWED"},

		{name: "a taken slug", prepare: func(_ *testing.T, w *errorWorld) (*client, request) {
			return ownerOf(w), request{method: http.MethodPost, path: "/api/v1/assets", body: map[string]string{"slug": w.slug, "name": "Again"}}
		}, status: 409, code: "ASSET_ALREADY_EXISTS"},
		{name: "a taken environment name", prepare: call(ownerOf, http.MethodPost, "/api/v1/environments", map[string]string{"name": "stage"}),
			status: 409, code: "ENVIRONMENT_ALREADY_EXISTS"},
		{name: "a registered email", prepare: func(_ *testing.T, w *errorWorld) (*client, request) {
			return nobody(w), request{method: http.MethodPost, path: "/api/v1/auth/register",
				body: map[string]string{"email": w.fx.ownerEmail, "password": "another-password-1", "tenant_name": "Again"}}
		}, status: 409, code: "EMAIL_ALREADY_REGISTERED"},
		{name: "a registered email in upper case", prepare: func(_ *testing.T, w *errorWorld) (*client, request) {
			return nobody(w), request{method: http.MethodPost, path: "/api/v1/auth/register",
				body: map[string]string{"email": strings.ToUpper(w.fx.ownerEmail), "password": "another-password-1", "tenant_name": "Again"}}
		}, status: 409, code: "EMAIL_ALREADY_REGISTERED"},
		{name: "a member added twice", prepare: func(_ *testing.T, w *errorWorld) (*client, request) {
			return ownerOf(w), request{method: http.MethodPost, path: "/api/v1/members", body: map[string]string{"email": w.editor.email, "role": "viewer"}}
		}, status: 409, code: "MEMBER_ALREADY_EXISTS"},
		{name: "demote the last owner", prepare: func(_ *testing.T, w *errorWorld) (*client, request) {
			return ownerOf(w), request{method: http.MethodPatch, path: "/api/v1/members/" + w.fx.ownerID, body: map[string]string{"role": "admin"}}
		}, status: 409, code: "LAST_OWNER"},
		{name: "remove the last owner", prepare: func(_ *testing.T, w *errorWorld) (*client, request) {
			return ownerOf(w), request{method: http.MethodDelete, path: "/api/v1/members/" + w.fx.ownerID}
		}, status: 409, code: "LAST_OWNER"},
		{name: "stale expected_version", prepare: onAsset(ownerOf, http.MethodPatch, "/environments/stage",
			map[string]any{"expected_version": 0, "set": objects{"db": {"host": plain("stale")}}}), status: 409, code: "VERSION_CONFLICT"},
		{name: "stale expected_version of a promotion", prepare: onAsset(ownerOf, http.MethodPost, "/promote",
			map[string]any{"from": "stage", "to": "prod", "expected_version": 0}), status: 409, code: "VERSION_CONFLICT"},

		{name: "body over 1 MiB", prepare: call(ownerOf, http.MethodPost, "/api/v1/assets", big), status: 413, code: "PAYLOAD_TOO_LARGE",
			check: assetAbsent("too-big")},
		{name: "chunked body over 1 MiB", prepare: call(ownerOf, http.MethodPost, "/api/v1/assets", bytes.NewReader([]byte(big))),
			status: 413, code: "PAYLOAD_TOO_LARGE", check: assetAbsent("too-big")},

		{name: "text/plain body", prepare: func(_ *testing.T, w *errorWorld) (*client, request) {
			return ownerOf(w), request{method: http.MethodPost, path: "/api/v1/assets", contentType: "text/plain",
				body: `{"slug":"plain-text","name":"P"}`}
		}, status: 415, code: "UNSUPPORTED_MEDIA_TYPE", check: assetAbsent("plain-text")},
		{name: "form body", prepare: func(_ *testing.T, w *errorWorld) (*client, request) {
			return ownerOf(w), request{method: http.MethodPost, path: "/api/v1/auth/login", contentType: "application/x-www-form-urlencoded",
				body: "email=a%40example.com&password=x"}
		}, status: 415, code: "UNSUPPORTED_MEDIA_TYPE"},
	}
}

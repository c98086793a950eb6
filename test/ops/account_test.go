package ops

import (
	"net/http"
	"strings"
	"testing"

	"github.com/configmat/configmat/test/e2etest"
)

// apiBase is the contract's base path.
const apiBase = "/api/v1"

// account is a registered user acting in the tenant it owns, on one server.
type account struct {
	srv    *e2etest.Server
	email  string
	token  string
	tenant string
}

// registerAccount registers a new user and tenant on srv (signup must be on).
func registerAccount(t *testing.T, srv *e2etest.Server) account {
	t.Helper()
	email := "ops-" + randomHex(t, 6) + "@example.com"
	resp, body := srv.Do(t, http.MethodPost, apiBase+"/auth/register", map[string]string{
		"email": email, "password": "correct horse battery", "tenant_name": "Ops " + randomHex(t, 3),
	}, nil)
	requireStatus(t, resp, body, http.StatusCreated)
	reg := decode[struct {
		Token  string `json:"token"`
		Tenant struct {
			Slug string `json:"slug"`
		} `json:"tenant"`
	}](t, body)
	if reg.Token == "" || reg.Tenant.Slug == "" {
		t.Fatalf("register answered no token or tenant: %s", body)
	}
	return account{srv: srv, email: email, token: reg.Token, tenant: reg.Tenant.Slug}
}

// on returns the same account acting through another server (same store).
func (a account) on(srv *e2etest.Server) account {
	a.srv = srv
	return a
}

// headers are the account's credentials.
func (a account) headers() map[string]string {
	return map[string]string{"Authorization": "Bearer " + a.token, "X-Tenant": a.tenant}
}

// do sends an authenticated request.
func (a account) do(t *testing.T, method, path string, body any) (*http.Response, []byte) {
	t.Helper()
	return a.srv.Do(t, method, path, body, a.headers())
}

// must sends an authenticated request and fails t unless it answers want.
func (a account) must(t *testing.T, want int, method, path string, body any) []byte {
	t.Helper()
	resp, data := a.do(t, method, path, body)
	requireStatus(t, resp, data, want)
	return data
}

// createAsset creates an asset.
func (a account) createAsset(t *testing.T, slug string) {
	t.Helper()
	a.must(t, http.StatusCreated, http.MethodPost, apiBase+"/assets",
		map[string]string{"slug": slug, "name": slug + " service", "description": "ops test"})
}

// setValue sets one plain value and returns the environment's new version.
func (a account) setValue(t *testing.T, asset, env, object, key string, value any) int {
	t.Helper()
	body := a.must(t, http.StatusOK, http.MethodPatch, apiBase+"/assets/"+asset+"/environments/"+env, map[string]any{
		"message": "ops test change",
		"set":     map[string]any{object: map[string]any{key: map[string]any{"value": value}}},
	})
	return decode[versioned](t, body).Version
}

// apiKey is a created API key.
type apiKey struct {
	ID  string `json:"id"`
	Key string `json:"key"`
}

// createAPIKey creates an API key limited to env ("" for every environment).
func (a account) createAPIKey(t *testing.T, name, env string) apiKey {
	t.Helper()
	req := map[string]any{"name": name}
	if env != "" {
		req["environment"] = env
	}
	k := decode[apiKey](t, a.must(t, http.StatusCreated, http.MethodPost, apiBase+"/api-keys", req))
	if k.ID == "" || !strings.HasPrefix(k.Key, "cmk_") {
		t.Fatalf("POST /api-keys answered no usable key: %+v", k)
	}
	return k
}

// versioned is the version member of several answers.
type versioned struct {
	Version int `json:"version"`
}

// resolved is the answer of GET /assets/{slug}/values.
type resolved struct {
	Version int                       `json:"version"`
	Config  map[string]map[string]any `json:"config"`
}

// valuesPath is the resolved-config route of an asset and environment.
func valuesPath(asset, env string) string {
	return apiBase + "/assets/" + asset + "/values?environment=" + env
}

// readWithKey reads a resolved config with an API key.
func readWithKey(t *testing.T, srv *e2etest.Server, key, asset, env string) (*http.Response, []byte) {
	t.Helper()
	return srv.Do(t, http.MethodGet, valuesPath(asset, env), nil, map[string]string{"X-API-Key": key})
}

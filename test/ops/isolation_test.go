package ops

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/configmat/configmat/test/e2etest"
)

// isolatedTenant is a tenant of the isolation probes: an asset of its own,
// an asset whose slug the other tenant has too, each holding a secret and a
// plain value no other tenant may see, and an API key.
type isolatedTenant struct {
	acct   account
	key    apiKey
	own    string
	secret string
	plain  string
}

// sharedSlug is the asset slug both tenants of the probes have.
const sharedSlug = "iso-shared"

// newIsolatedTenant registers a tenant on srv with its assets and key.
func newIsolatedTenant(t *testing.T, srv *e2etest.Server) isolatedTenant {
	t.Helper()
	it := isolatedTenant{acct: registerAccount(t, srv), own: "iso-" + randomHex(t, 4),
		secret: "iso-secret-" + randomHex(t, 8), plain: "iso-plain-" + randomHex(t, 8)}
	for _, slug := range []string{it.own, sharedSlug} {
		it.acct.createAsset(t, slug)
		it.acct.must(t, http.StatusOK, http.MethodPatch, apiBase+"/assets/"+slug+"/environments/local", map[string]any{
			"message": "isolation probe",
			"set": map[string]any{"db": map[string]any{
				"password": map[string]any{"value": it.secret, "secret": true},
				"host":     map[string]any{"value": it.plain},
			}},
		})
	}
	it.key = it.acct.createAPIKey(t, "iso", "")
	return it
}

// probe is one request of a tenant at another's data and the error it must
// answer.
type probe struct {
	method, path string
	body         any
	status       int
	code         string
}

// requireTenantIsolation registers two tenants, one on each of the first
// two servers, and sends every probe of each at the other through every
// server: the other's user in the other's tenant (X-Tenant), the user in
// its own tenant at the other's asset, and its API key at the other's asset
// and with the other's X-Tenant. Each answers its error without the
// other's data; an asset of the same slug reads as the tenant's own; and
// neither tenant's asset or audit chain changed.
func requireTenantIsolation(t *testing.T, servers []*e2etest.Server) {
	t.Helper()
	tenants := []isolatedTenant{newIsolatedTenant(t, servers[0]), newIsolatedTenant(t, servers[1])}
	before := make([][]byte, len(tenants))
	for i, it := range tenants {
		before[i] = it.acct.must(t, http.StatusOK, http.MethodGet, apiBase+"/assets/"+it.own+"/environments/local", nil)
	}
	audits := make([]auditVerify, len(tenants))
	for i, it := range tenants {
		audits[i] = decode[auditVerify](t, it.acct.must(t, http.StatusOK, http.MethodGet, apiBase+"/audit/verify", nil))
	}
	for xi, x := range tenants {
		y := tenants[1-xi]
		leaks := [][]byte{[]byte(x.secret), []byte(x.plain)}
		for _, srv := range servers {
			inX := map[string]string{"Authorization": "Bearer " + y.acct.token, "X-Tenant": x.acct.tenant}
			for _, p := range tenantProbes(x.own) {
				p.status, p.code = http.StatusNotFound, "TENANT_NOT_FOUND"
				requireProbeRefused(t, srv, p, inX, leaks)
			}
			for _, p := range assetProbes(x.own) {
				p.status, p.code = http.StatusNotFound, "ASSET_NOT_FOUND"
				requireProbeRefused(t, srv, p, y.acct.headers(), leaks)
			}
			keyProbe := probe{method: http.MethodGet, path: valuesPath(x.own, "local"), status: http.StatusNotFound, code: "ASSET_NOT_FOUND"}
			requireProbeRefused(t, srv, keyProbe, map[string]string{"X-API-Key": y.key.Key}, leaks)
			requireProbeRefused(t, srv, keyProbe, map[string]string{"X-API-Key": y.key.Key, "X-Tenant": x.acct.tenant}, leaks)

			resp, body := readWithKey(t, srv, y.key.Key, sharedSlug, "local")
			requireStatus(t, resp, body, http.StatusOK)
			if got := decode[resolved](t, body); got.Config["db"]["host"] != y.plain || got.Config["db"]["password"] != y.secret {
				t.Errorf("tenant %s's key reads %s's %s as %s, not its own", y.acct.tenant, x.acct.tenant, sharedSlug, body)
			}
		}
	}
	for i, it := range tenants {
		if after := it.acct.must(t, http.StatusOK, http.MethodGet, apiBase+"/assets/"+it.own+"/environments/local", nil); !bytes.Equal(after, before[i]) {
			t.Errorf("tenant %s's values changed under the other's probes: %s, was %s", it.acct.tenant, after, before[i])
		}
		if audit := decode[auditVerify](t, it.acct.must(t, http.StatusOK, http.MethodGet, apiBase+"/audit/verify", nil)); audit != audits[i] {
			t.Errorf("tenant %s's audit chain changed under the other's probes: %+v, was %+v", it.acct.tenant, audit, audits[i])
		}
	}
}

// assetProbes are the requests at an asset of another tenant.
func assetProbes(slug string) []probe {
	asset := apiBase + "/assets/" + slug
	return []probe{
		{method: http.MethodGet, path: asset},
		{method: http.MethodPatch, path: asset, body: map[string]string{"name": "taken over"}},
		{method: http.MethodGet, path: asset + "/environments/local"},
		{method: http.MethodPatch, path: asset + "/environments/local", body: map[string]any{"set": map[string]any{"db": map[string]any{"host": map[string]any{"value": "evil"}}}}},
		{method: http.MethodGet, path: asset + "/versions?environment=local"},
		{method: http.MethodGet, path: asset + "/versions/1?environment=local"},
		{method: http.MethodPost, path: asset + "/promote", body: map[string]any{"from": "local", "to": "prod"}},
		{method: http.MethodPost, path: asset + "/rollback", body: map[string]any{"environment": "local", "version": 1}},
		{method: http.MethodGet, path: valuesPath(slug, "local")},
		{method: http.MethodDelete, path: asset},
	}
}

// tenantProbes are the requests at another tenant as a whole.
func tenantProbes(slug string) []probe {
	return append(assetProbes(slug),
		probe{method: http.MethodGet, path: apiBase + "/assets"},
		probe{method: http.MethodGet, path: apiBase + "/api-keys"},
		probe{method: http.MethodGet, path: apiBase + "/members"},
		probe{method: http.MethodGet, path: apiBase + "/audit"},
		probe{method: http.MethodGet, path: apiBase + "/audit/verify"},
	)
}

// requireProbeRefused sends p and fails t unless it answers p's error and none
// of leaks.
func requireProbeRefused(t *testing.T, srv *e2etest.Server, p probe, headers map[string]string, leaks [][]byte) {
	t.Helper()
	resp, body := srv.Do(t, p.method, p.path, p.body, headers)
	if resp.StatusCode != p.status || errorCode(body) != p.code {
		t.Errorf("%s %s: %d %s, want %d %s", p.method, p.path, resp.StatusCode, body, p.status, p.code)
	}
	for _, l := range leaks {
		if bytes.Contains(body, l) {
			t.Errorf("%s %s shows the other tenant's data: %s", p.method, p.path, body)
		}
	}
}

package e2e

import (
	"net/http"
	"testing"
)

// testIsolation checks that tenant B, as a user or with an API key, can
// neither read nor change anything of tenant A: every asset, version, values
// and audit route answers 404 (an API key is refused outright on the routes
// it may not use), no answer carries A's data, and A is unchanged after.
func testIsolation(t *testing.T, st *stack) {
	a, b := st.newTenant(t), st.newTenant(t)
	slug := a.newAsset(t)
	aSecret, aPlain := st.secretValue(), "a-only-"+randomHex(8)
	a.setValues(t, slug, "stage", objects{"db": {"password": secret(aSecret)}})
	a.setValues(t, slug, "stage", objects{"db": {"host": plain(aPlain)}})
	var aAsset assetDetail
	a.owner.get(t, assetPath(slug)).want(t, http.StatusOK).decode(t, &aAsset)
	var aValues environmentValues
	a.owner.get(t, valuesPath(slug, "stage")).want(t, http.StatusOK).decode(t, &aValues)
	aAudit := auditCount(t, a)
	aData := []string{aSecret, aPlain, aAsset.ID, a.id}

	bUser := b.owner
	bKey := b.sdk(b.newAPIKey(t, "").Key)
	bInA := b.owner.inTenant(a.slug, "")
	routes := []request{
		{method: http.MethodGet, path: assetPath(slug)},
		{method: http.MethodPatch, path: assetPath(slug), body: map[string]string{"name": "taken over"}},
		{method: http.MethodDelete, path: assetPath(slug)},
		{method: http.MethodGet, path: valuesPath(slug, "stage")},
		{method: http.MethodPatch, path: valuesPath(slug, "stage"), body: map[string]any{"set": objects{"db": {"host": plain("evil")}}}},
		{method: http.MethodPost, path: assetPath(slug) + "/promote", body: map[string]any{"from": "stage", "to": "prod"}},
		{method: http.MethodGet, path: versionsPath(slug, "stage")},
		{method: http.MethodGet, path: versionPath(slug, "stage", 1)},
		{method: http.MethodPost, path: assetPath(slug) + "/rollback", body: map[string]any{"environment": "stage", "version": 1}},
		{method: http.MethodGet, path: resolvedPath(slug, "stage")},
	}
	check := func(t *testing.T, c *client, rq request, status int, code string) {
		t.Helper()
		r := c.send(t, rq)
		r.wantError(t, status, code)
		if leaks := containsAny(r.body, aData...); leaks != nil {
			t.Errorf("%s shows tenant A's data: %s", r.label, r.body)
		}
	}
	for _, rq := range routes {
		t.Run(rq.method+" "+rq.path, func(t *testing.T) {
			check(t, bUser, rq, http.StatusNotFound, "ASSET_NOT_FOUND")
			check(t, bInA, rq, http.StatusNotFound, "TENANT_NOT_FOUND")
			if rq.path == resolvedPath(slug, "stage") {
				check(t, bKey, rq, http.StatusNotFound, "ASSET_NOT_FOUND")
				check(t, bKey.inTenant(a.slug, b.id), rq, http.StatusNotFound, "ASSET_NOT_FOUND")
			} else {
				check(t, bKey, rq, http.StatusUnauthorized, "AUTHENTICATION_REQUIRED")
			}
		})
	}
	t.Run("audit", func(t *testing.T) {
		for _, path := range []string{"/api/v1/audit", "/api/v1/audit/verify"} {
			check(t, bInA, request{method: http.MethodGet, path: path}, http.StatusNotFound, "TENANT_NOT_FOUND")
			check(t, bKey, request{method: http.MethodGet, path: path}, http.StatusUnauthorized, "AUTHENTICATION_REQUIRED")
			r := bUser.get(t, path).want(t, http.StatusOK)
			if leaks := containsAny(r.body, append(aData, slug)...); leaks != nil {
				t.Errorf("B's %s shows tenant A's entries: %s", path, r.body)
			}
		}
		for _, path := range []string{"/api/v1/assets", "/api/v1/environments", "/api/v1/members", "/api/v1/api-keys"} {
			check(t, bInA, request{method: http.MethodGet, path: path}, http.StatusNotFound, "TENANT_NOT_FOUND")
		}
	})

	t.Run("A is unchanged", func(t *testing.T) {
		var asset assetDetail
		a.owner.get(t, assetPath(slug)).want(t, http.StatusOK).decode(t, &asset)
		wantEqual(t, "A's asset versions", asset.Versions, aAsset.Versions)
		if asset.Name != aAsset.Name {
			t.Errorf("A's asset was renamed to %q", asset.Name)
		}
		var values environmentValues
		a.owner.get(t, valuesPath(slug, "stage")).want(t, http.StatusOK).decode(t, &values)
		wantEqual(t, "A's values", values, aValues)
		if n := auditCount(t, a); n != aAudit {
			t.Errorf("B's attempts appended %d entries to A's audit chain", n-aAudit)
		}
	})

	t.Run("the same slug in both tenants", func(t *testing.T) {
		var bAsset assetDetail
		bUser.post(t, "/api/v1/assets", map[string]string{"slug": slug, "name": "B's own"}).want(t, http.StatusCreated)
		r := bUser.get(t, assetPath(slug)).want(t, http.StatusOK)
		r.decode(t, &bAsset)
		if bAsset.ID == aAsset.ID || bAsset.Name != "B's own" || bAsset.Versions["stage"] != 0 {
			t.Errorf("B's asset %+v mixes with A's %+v", bAsset, aAsset)
		}
		var rc resolvedConfig
		rr := bKey.get(t, resolvedPath(slug, "stage")).want(t, http.StatusOK)
		rr.decode(t, &rc)
		if len(rc.Config) != 0 || containsAny(rr.body, aData...) != nil {
			t.Errorf("B's key reads %s, want B's empty config", rr.body)
		}
		var values environmentValues
		a.owner.get(t, valuesPath(slug, "stage")).want(t, http.StatusOK).decode(t, &values)
		wantEqual(t, "A's values", values, aValues)
	})
}

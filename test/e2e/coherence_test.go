package e2e

import (
	"encoding/json"
	"net/http"
	"testing"
)

// testReadsFollowChanges checks that the resolved config, read repeatedly
// (and so possibly cached), follows every change at once: new values, a
// deleted asset, an asset re-created under the same slug, a new environment
// and a member's new role.
func testReadsFollowChanges(t *testing.T, st *stack) {
	fx := st.newTenant(t)
	slug := fx.newAsset(t)
	s := st.secretValue()
	fx.setValues(t, slug, "stage", objects{"db": {"host": plain("v1"), "password": secret(s)}})
	sdk := fx.sdk(fx.newAPIKey(t, "").Key)
	read := func(c *client, env string) resolvedConfig {
		t.Helper()
		var rc resolvedConfig
		c.get(t, resolvedPath(slug, env)).want(t, http.StatusOK).decode(t, &rc)
		return rc
	}
	for range 3 {
		read(sdk, "stage")
	}

	fx.setValues(t, slug, "stage", objects{"db": {"host": plain("v2")}})
	if rc := read(sdk, "stage"); rc.Version != 2 || string(rc.Config["db"]["host"]) != `"v2"` {
		t.Errorf("after a change the key reads version %d host %s, want 2 and v2", rc.Version, rc.Config["db"]["host"])
	}

	fx.owner.del(t, assetPath(slug)).want(t, http.StatusNoContent)
	sdk.get(t, resolvedPath(slug, "stage")).wantError(t, http.StatusNotFound, "ASSET_NOT_FOUND")
	fx.owner.get(t, valuesPath(slug, "stage")).wantError(t, http.StatusNotFound, "ASSET_NOT_FOUND")

	fx.owner.post(t, "/api/v1/assets", map[string]string{"slug": slug, "name": "Reborn"}).want(t, http.StatusCreated)
	if rc := read(sdk, "stage"); rc.Version != 0 || len(rc.Config) != 0 {
		t.Errorf("a re-created asset reads version %d with %v, want version 0 and no values", rc.Version, rc.Config)
	}
	var versions versionList
	fx.owner.get(t, versionsPath(slug, "stage")).want(t, http.StatusOK).decode(t, &versions)
	if len(versions.Versions) != 0 {
		t.Errorf("a re-created asset has the old versions %+v", versions.Versions)
	}

	env := unique("qa")
	fx.owner.post(t, "/api/v1/environments", map[string]string{"name": env}).want(t, http.StatusCreated)
	fx.setValues(t, slug, "stage", objects{"db": {"password": secret(s)}})
	fx.owner.post(t, assetPath(slug)+"/promote", map[string]any{"from": "stage", "to": env}).want(t, http.StatusOK)
	wantEqual(t, "config of a new environment", read(sdk, env).Config,
		map[string]map[string]json.RawMessage{"db": {"password": jsonString(s)}})

	viewer := fx.join(t, "viewer")
	if rc := read(viewer.client, env); len(rc.Config["db"]) != 0 {
		t.Errorf("a viewer reads secrets: %v", rc.Config)
	}
	fx.owner.patch(t, "/api/v1/members/"+viewer.id, map[string]string{"role": "editor"}).want(t, http.StatusOK)
	if rc := read(viewer.client, env); string(rc.Config["db"]["password"]) != string(jsonString(s)) {
		t.Errorf("promoted to editor, the member still reads %v", rc.Config)
	}
	fx.owner.patch(t, "/api/v1/members/"+viewer.id, map[string]string{"role": "viewer"}).want(t, http.StatusOK)
	if rc := read(viewer.client, env); len(rc.Config["db"]) != 0 {
		t.Errorf("demoted to viewer, the member still reads secrets: %v", rc.Config)
	}
	viewer.patch(t, valuesPath(slug, env), map[string]any{"set": objects{"db": {"x": plain(1)}}}).
		wantError(t, http.StatusForbidden, "PERMISSION_DENIED")
}

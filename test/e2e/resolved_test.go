package e2e

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
)

// testSecretsHidden checks that the values routes (current values, a
// version's values, the change answer) never show a secret's value, to any
// role, while the secret is flagged.
func testSecretsHidden(t *testing.T, st *stack) {
	fx := st.newTenant(t)
	slug := fx.newAsset(t)
	s1, s2 := st.secretValue(), st.secretValue()
	viewer, editor := fx.join(t, "viewer"), fx.join(t, "editor")
	r := fx.owner.patch(t, valuesPath(slug, "stage"), map[string]any{
		"set": objects{"db": {"password": secret(s1), "user": plain("app")}, "api": {"token": secret(s2)}},
	}).want(t, http.StatusOK)
	if containsAny(r.body, s1, s2) != nil {
		t.Errorf("the change answer shows a secret value: %s", r.body)
	}
	for _, c := range []struct {
		who  string
		c    *client
		path string
	}{
		{"owner", fx.owner, valuesPath(slug, "stage")},
		{"editor", editor.client, valuesPath(slug, "stage")},
		{"viewer", viewer.client, valuesPath(slug, "stage")},
		{"owner", fx.owner, versionPath(slug, "stage", 1)},
		{"viewer", viewer.client, versionPath(slug, "stage", 1)},
	} {
		r := c.c.get(t, c.path).want(t, http.StatusOK)
		if containsAny(r.body, s1, s2) != nil {
			t.Errorf("%s reading %s sees a secret value", c.who, c.path)
		}
		var v environmentValues
		r.decode(t, &v)
		want := map[string]map[string]valueEntry{
			"db":  {"password": {Secret: true}, "user": {Value: json.RawMessage(`"app"`)}},
			"api": {"token": {Secret: true}},
		}
		wantEqual(t, c.who+" reading "+c.path, v.Values, want)
	}
}

// testResolvedByCaller checks who sees what in the resolved config: API keys
// and editors get secrets decrypted, viewers get them omitted.
func testResolvedByCaller(t *testing.T, st *stack) {
	fx := st.newTenant(t)
	slug := fx.newAsset(t)
	s := st.secretValue()
	fx.setValues(t, slug, "prod", objects{"db": {"password": secret(s), "host": plain("h")}, "vault": {"only": secret(st.secretValue())}})
	fx.setValues(t, slug, "prod", objects{"vault": {"only": secret(s)}})
	full := map[string]map[string]json.RawMessage{
		"db":    {"password": jsonString(s), "host": json.RawMessage(`"h"`)},
		"vault": {"only": jsonString(s)},
	}
	withoutSecrets := map[string]map[string]json.RawMessage{"db": {"host": json.RawMessage(`"h"`)}}
	viewer, editor := fx.join(t, "viewer"), fx.join(t, "editor")
	cases := []struct {
		who  string
		c    *client
		want map[string]map[string]json.RawMessage
	}{
		{"API key of every environment", fx.sdk(fx.newAPIKey(t, "").Key), full},
		{"API key limited to prod", fx.sdk(fx.newAPIKey(t, "prod").Key), full},
		{"owner", fx.owner, full},
		{"editor", editor.client, full},
		{"viewer", viewer.client, withoutSecrets},
	}
	for _, c := range cases {
		t.Run(c.who, func(t *testing.T) {
			r := c.c.get(t, resolvedPath(slug, "prod")).want(t, http.StatusOK)
			var rc resolvedConfig
			r.decode(t, &rc)
			if rc.Version != 2 || rc.Asset != slug || rc.Environment != "prod" {
				t.Errorf("resolved %s/%s version %d", rc.Asset, rc.Environment, rc.Version)
			}
			if got := rc.Config; !sameConfig(got, c.want) {
				wantEqual(t, "config", got, c.want)
			}
		})
	}
}

// sameConfig compares configs, treating an object left empty by omitted
// secrets like a missing one.
func sameConfig(got, want map[string]map[string]json.RawMessage) bool {
	norm := func(m map[string]map[string]json.RawMessage) map[string]map[string]string {
		out := map[string]map[string]string{}
		for o, keys := range m {
			for k, v := range keys {
				if out[o] == nil {
					out[o] = map[string]string{}
				}
				out[o][k] = string(v)
			}
		}
		return out
	}
	g, w := norm(got), norm(want)
	if len(g) != len(w) {
		return false
	}
	for o, keys := range w {
		if len(g[o]) != len(keys) {
			return false
		}
		for k, v := range keys {
			if g[o][k] != v {
				return false
			}
		}
	}
	return true
}

// testResolvedETag checks the ETag of the resolved config: If-None-Match
// with the current one answers 304 with no body, a change gives a new ETag,
// and the old one then answers 200.
func testResolvedETag(t *testing.T, st *stack) {
	fx := st.newTenant(t)
	slug := fx.newAsset(t)
	fx.setValues(t, slug, "stage", objects{"a": {"k": plain(1)}, "s": {"x": secret(st.secretValue())}})
	for _, c := range []struct {
		who string
		c   *client
	}{
		{"API key", fx.sdk(fx.newAPIKey(t, "stage").Key)},
		{"user", fx.owner},
	} {
		t.Run(c.who, func(t *testing.T) {
			path := resolvedPath(slug, "stage")
			first := c.c.get(t, path).want(t, http.StatusOK)
			etag := first.header.Get("ETag")
			if etag == "" {
				t.Fatal("no ETag")
			}
			second := c.c.get(t, path).want(t, http.StatusOK)
			if second.header.Get("ETag") != etag {
				t.Errorf("the same config answered ETags %s and %s", etag, second.header.Get("ETag"))
			}
			cached := c.c.send(t, request{method: http.MethodGet, path: path, headers: map[string]string{"If-None-Match": etag}}).
				want(t, http.StatusNotModified)
			wantEmpty(t, cached)
			if cached.header.Get("ETag") != etag {
				t.Errorf("304 with ETag %q, want %q", cached.header.Get("ETag"), etag)
			}
			c.c.send(t, request{method: http.MethodGet, path: path, headers: map[string]string{"If-None-Match": `"something-else"`}}).
				want(t, http.StatusOK)

			fx.setValues(t, slug, "stage", objects{"a": {"k": plain(randomHex(4))}})
			changed := c.c.send(t, request{method: http.MethodGet, path: path, headers: map[string]string{"If-None-Match": etag}}).
				want(t, http.StatusOK)
			if e := changed.header.Get("ETag"); e == "" || e == etag {
				t.Errorf("after a change the ETag is %q, was %q", e, etag)
			}
			var rc resolvedConfig
			changed.decode(t, &rc)
			c.c.send(t, request{method: http.MethodGet, path: path, headers: map[string]string{"If-None-Match": changed.header.Get("ETag")}}).
				want(t, http.StatusNotModified)
		})
	}
}

// testRevokedAPIKey checks that a revoked key is refused at once, even
// right after it was used (and possibly cached), and is listed as revoked.
func testRevokedAPIKey(t *testing.T, st *stack) {
	fx := st.newTenant(t)
	slug := fx.newAsset(t)
	fx.setValues(t, slug, "stage", objects{"a": {"k": plain(1)}})
	key := fx.newAPIKey(t, "")
	other := fx.newAPIKey(t, "")
	sdk := fx.sdk(key.Key)
	for range 3 {
		sdk.get(t, resolvedPath(slug, "stage")).want(t, http.StatusOK)
	}
	fx.owner.del(t, "/api/v1/api-keys/"+key.ID).want(t, http.StatusNoContent)
	sdk.get(t, resolvedPath(slug, "stage")).wantError(t, http.StatusUnauthorized, "INVALID_API_KEY")
	fx.sdk(other.Key).get(t, resolvedPath(slug, "stage")).want(t, http.StatusOK)

	var l apiKeyList
	fx.owner.get(t, "/api/v1/api-keys").want(t, http.StatusOK).decode(t, &l)
	i := slices.IndexFunc(l.APIKeys, func(k apiKeyView) bool { return k.ID == key.ID })
	if i < 0 || l.APIKeys[i].RevokedAt == nil {
		t.Errorf("the revoked key is not listed as revoked: %+v", l.APIKeys)
	}
}

package e2e

import (
	"fmt"
	"net/http"
	"testing"
)

// resolved reads the resolved config of slug in env as c.
func resolved(t *testing.T, c *client, slug, env string) resolvedConfig {
	t.Helper()
	var rc resolvedConfig
	c.get(t, resolvedPath(slug, env)).want(t, http.StatusOK).decode(t, &rc)
	return rc
}

// testReferences checks that references resolve with their types, as text,
// with $${ escapes and into other assets; that the editing views show them
// as written; that a value referencing a secret is a secret for a viewer
// (omitted from the values route, presence only in compare); and that a
// referenced value's change reaches the referencing config and its ETag.
func testReferences(t *testing.T, st *stack) {
	fx := st.newTenant(t)
	shared, app := fx.newAsset(t), fx.newAsset(t)
	password := st.secretValue()
	fx.setValues(t, shared, "prod", objects{"db": {"host": plain("db.internal"), "port": plain(5432), "password": secret(password)}})
	written := objects{
		"db": {
			"port":     plain("${" + shared + "/db.port}"),
			"url":      plain("pg://${" + shared + "/db.host}:${db.port}/app"),
			"flags":    plain(map[string]any{"tls": true}),
			"dsn":      plain("${db.url}?${db.flags}"),
			"literal":  plain("$${db.port} costs $5"),
			"password": plain("${" + shared + "/db.password}"),
			"login":    plain("app:${db.password}@${" + shared + "/db.host}"),
		},
	}
	fx.setValues(t, app, "prod", written)
	key := fx.newAPIKey(t, "prod").Key
	rc := resolved(t, fx.sdk(key), app, "prod")
	want := map[string]string{
		"port":     `5432`,
		"url":      `"pg://db.internal:5432/app"`,
		"flags":    `{"tls":true}`,
		"dsn":      `"pg://db.internal:5432/app?{\"tls\":true}"`,
		"literal":  `"${db.port} costs $5"`,
		"password": string(jsonString(password)),
		"login":    string(jsonString("app:" + password + "@db.internal")),
	}
	for k, w := range want {
		if got := string(rc.Config["db"][k]); got != w {
			t.Errorf("db.%s resolved to %s, want %s", k, got, w)
		}
	}

	// The editing views show the values as written.
	var vals environmentValues
	fx.owner.get(t, valuesPath(app, "prod")).want(t, http.StatusOK).decode(t, &vals)
	if got := string(vals.Values["db"]["url"].Value); got != `"pg://${`+shared+`/db.host}:${db.port}/app"` {
		t.Errorf("the editing view shows db.url as %s", got)
	}

	// A viewer gets neither the secret nor what references it.
	viewer := fx.join(t, "viewer").client
	r := viewer.get(t, resolvedPath(app, "prod")).want(t, http.StatusOK)
	if leaks := containsAny(r.body, password); len(leaks) > 0 {
		t.Fatalf("a viewer reads the secret through a reference: %s", r.body)
	}
	var vrc resolvedConfig
	r.decode(t, &vrc)
	for _, k := range []string{"password", "login"} {
		if _, ok := vrc.Config["db"][k]; ok {
			t.Errorf("a viewer reads db.%s, which references a secret", k)
		}
	}
	if string(vrc.Config["db"]["url"]) != want["url"] {
		t.Errorf("a viewer reads db.url as %s", vrc.Config["db"]["url"])
	}
	var c comparison
	cr := viewer.get(t, assetPath(app)+"/compare?environments=prod").want(t, http.StatusOK)
	cr.decode(t, &c)
	for _, k := range c.Keys {
		refsSecret := k.Key == "db.password" || k.Key == "db.login"
		if refsSecret && (!k.Secret || k.Values["prod"] == nil || *k.Values["prod"] != 0) {
			t.Errorf("compare shows %s to a viewer as %+v, want a secret present (0)", k.Key, k)
		}
		if !refsSecret && (k.Secret || k.Values["prod"] == nil || *k.Values["prod"] != 1) {
			t.Errorf("compare shows %s to a viewer as %+v", k.Key, k)
		}
	}

	// A change of a referenced value changes the referencing config and its
	// ETag at once, though its version stays.
	sdk := fx.sdk(key)
	before := sdk.get(t, resolvedPath(app, "prod")).want(t, http.StatusOK)
	fx.setValues(t, shared, "prod", objects{"db": {"host": plain("db2.internal")}})
	after := sdk.get(t, resolvedPath(app, "prod")).want(t, http.StatusOK)
	var rcAfter resolvedConfig
	after.decode(t, &rcAfter)
	if rcAfter.Version != rc.Version || string(rcAfter.Config["db"]["url"]) != `"pg://db2.internal:5432/app"` {
		t.Errorf("after the referenced change: %+v", rcAfter)
	}
	if after.header.Get("ETag") == before.header.Get("ETag") {
		t.Errorf("the ETag stayed %s after a referenced value changed", after.header.Get("ETag"))
	}
	sdk.send(t, request{method: http.MethodGet, path: resolvedPath(app, "prod"), headers: map[string]string{"If-None-Match": before.header.Get("ETag")}}).
		want(t, http.StatusOK)

	// A malformed reference is refused.
	fx.owner.patch(t, valuesPath(app, "prod"), map[string]any{"message": "bad", "set": objects{"db": {"x": plain("${nope")}}}).
		wantError(t, http.StatusBadRequest, "VALIDATION_ERROR")
}

// wantReferenceError checks a REFERENCE_ERROR's details.
func wantReferenceError(t *testing.T, r *response, env, path, reference, reason string) {
	t.Helper()
	e := r.wantError(t, http.StatusUnprocessableEntity, "REFERENCE_ERROR")
	got := fmt.Sprint(e.Details["environment"], " ", e.Details["path"], " ", e.Details["reference"], " ", e.Details["reason"])
	if want := env + " " + path + " " + reference + " " + reason; got != want {
		t.Errorf("REFERENCE_ERROR details %q, want %q", got, want)
	}
}

// chain returns the change set of keys c.c1 ... c.cN, each referencing the
// next, the last holding "end": c1 starts a chain of N-1 references.
func chain(n int) objects {
	keys := map[string]setValue{}
	for i := 1; i < n; i++ {
		keys[fmt.Sprintf("c%d", i)] = plain(fmt.Sprintf("${c.c%d}", i+1))
	}
	keys[fmt.Sprintf("c%d", n)] = plain("end")
	return objects{"c": keys}
}

// testReferenceErrors provokes each reason of REFERENCE_ERROR with each
// write that can cause it, and checks that nothing changed.
func testReferenceErrors(t *testing.T, st *stack) {
	fx := st.newTenant(t)
	patch := func(slug, env string, body map[string]any) *response {
		body["message"] = "m"
		return fx.owner.patch(t, valuesPath(slug, env), body)
	}
	unchanged := func(t *testing.T, slugs []string, write func() *response, check func(*response)) {
		t.Helper()
		before := map[string]schemaState{}
		for _, s := range slugs {
			before[s] = stateOf(t, fx, s)
		}
		check(write())
		for _, s := range slugs {
			if after := stateOf(t, fx, s); fmt.Sprint(after) != fmt.Sprint(before[s]) {
				t.Errorf("a refused write changed %s: %+v, was %+v", s, after, before[s])
			}
		}
	}

	t.Run("change set", func(t *testing.T) {
		app := fx.newAsset(t)
		fx.setValues(t, app, "stage", objects{"db": {"host": plain("h")}})
		unchanged(t, []string{app}, func() *response {
			return patch(app, "stage", map[string]any{"set": objects{"db": {"url": plain("${db.nope}")}}})
		}, func(r *response) { wantReferenceError(t, r, "stage", "db.url", "${db.nope}", "missing") })
		unchanged(t, []string{app}, func() *response {
			return patch(app, "stage", map[string]any{"set": objects{"db": {"a": plain("${db.b}"), "b": plain("x${db.a}")}}})
		}, func(r *response) {
			e := r.wantError(t, http.StatusUnprocessableEntity, "REFERENCE_ERROR")
			if e.Details["reason"] != "cycle" {
				t.Errorf("details %v, want a cycle", e.Details)
			}
		})
		unchanged(t, []string{app}, func() *response {
			return patch(app, "stage", map[string]any{"set": chain(12)})
		}, func(r *response) { wantReferenceError(t, r, "stage", "c.c1", "${c.c2}", "too_deep") })
		// A chain of exactly 10 references is allowed.
		patch(app, "stage", map[string]any{"set": chain(11)}).want(t, http.StatusOK)
		other := fx.newAsset(t)
		unchanged(t, []string{app}, func() *response {
			return patch(app, "stage", map[string]any{"set": objects{"x": {"y": plain("${" + other + "/a.b}")}}})
		}, func(r *response) { wantReferenceError(t, r, "stage", "x.y", "${"+other+"/a.b}", "missing") })
	})

	t.Run("unset", func(t *testing.T) {
		shared, app := fx.newAsset(t), fx.newAsset(t)
		fx.setValues(t, shared, "stage", objects{"db": {"host": plain("h"), "port": plain(1)}})
		fx.setValues(t, app, "stage", objects{"db": {"url": plain("${" + shared + "/db.host}"), "own": plain("${db.url}")}})
		unchanged(t, []string{shared, app}, func() *response {
			return patch(shared, "stage", map[string]any{"unset": map[string][]string{"db": {"host"}}})
		}, func(r *response) {
			wantReferenceError(t, r, "stage", app+"/db.url", "${"+shared+"/db.host}", "missing")
		})
		unchanged(t, []string{app}, func() *response {
			return patch(app, "stage", map[string]any{"unset": map[string][]string{"db": {"url"}}})
		}, func(r *response) { wantReferenceError(t, r, "stage", "db.own", "${db.url}", "missing") })
		patch(shared, "stage", map[string]any{"unset": map[string][]string{"db": {"port"}}}).want(t, http.StatusOK)
	})

	t.Run("promotion", func(t *testing.T) {
		shared, app := fx.newAsset(t), fx.newAsset(t)
		fx.setValues(t, shared, "stage", objects{"x": {"a": plain("1")}, "c": {"c1": plain("end")}})
		fx.setValues(t, shared, "prod", objects{"y": {"other": plain("1")}})
		fx.setValues(t, app, "stage", objects{"o": {"k": plain("${" + shared + "/x.a}")}})
		promote := func(dry bool) func() *response {
			return func() *response {
				return fx.owner.post(t, assetPath(app)+"/promote", map[string]any{"from": "stage", "to": "prod", "dry_run": dry})
			}
		}
		for _, dry := range []bool{true, false} {
			unchanged(t, []string{app, shared}, promote(dry), func(r *response) {
				wantReferenceError(t, r, "prod", "o.k", "${"+shared+"/x.a}", "missing")
			})
		}
		// prod's shared x.a references back into app's o.k: promoting makes a cycle.
		fx.setValues(t, app, "prod", objects{"o": {"k": plain("plain")}})
		fx.setValues(t, shared, "prod", objects{"x": {"a": plain("${" + app + "/o.k}")}})
		unchanged(t, []string{app, shared}, promote(false), func(r *response) {
			e := r.wantError(t, http.StatusUnprocessableEntity, "REFERENCE_ERROR")
			if e.Details["reason"] != "cycle" || e.Details["environment"] != "prod" {
				t.Errorf("details %v, want a cycle in prod", e.Details)
			}
		})
		// prod's shared x.a starts a chain of 10: one more is too deep.
		fx.setValues(t, shared, "prod", chain(10))
		fx.setValues(t, shared, "prod", objects{"x": {"a": plain("${c.c1}")}})
		unchanged(t, []string{app, shared}, promote(false), func(r *response) {
			wantReferenceError(t, r, "prod", "o.k", "${"+shared+"/x.a}", "too_deep")
		})
	})

	t.Run("rollback", func(t *testing.T) {
		shared, app := fx.newAsset(t), fx.newAsset(t)
		fx.setValues(t, shared, "prod", objects{"x": {"a": plain("1"), "gone": plain("g")}})
		fx.setValues(t, app, "prod", objects{"o": {"k": plain("${" + shared + "/x.a}"), "g": plain("${" + shared + "/x.gone}")}})                       // v1
		patch(app, "prod", map[string]any{"set": objects{"o": {"k": plain("plain")}}, "unset": map[string][]string{"o": {"g"}}}).want(t, http.StatusOK) // v2
		patch(shared, "prod", map[string]any{"unset": map[string][]string{"x": {"gone"}}}).want(t, http.StatusOK)
		rollback := func() *response {
			return fx.owner.post(t, assetPath(app)+"/rollback", map[string]any{"environment": "prod", "version": 1})
		}
		unchanged(t, []string{app, shared}, rollback, func(r *response) {
			wantReferenceError(t, r, "prod", "o.g", "${"+shared+"/x.gone}", "missing")
		})
		fx.setValues(t, shared, "prod", objects{"x": {"gone": plain("back"), "a": plain("${" + app + "/o.k}")}})
		unchanged(t, []string{app, shared}, rollback, func(r *response) {
			e := r.wantError(t, http.StatusUnprocessableEntity, "REFERENCE_ERROR")
			if e.Details["reason"] != "cycle" {
				t.Errorf("details %v, want a cycle", e.Details)
			}
		})
		fx.setValues(t, shared, "prod", chain(10))
		fx.setValues(t, shared, "prod", objects{"x": {"a": plain("${c.c1}")}})
		unchanged(t, []string{app, shared}, rollback, func(r *response) {
			wantReferenceError(t, r, "prod", "o.k", "${"+shared+"/x.a}", "too_deep")
		})
	})

	t.Run("asset deletion", func(t *testing.T) {
		shared, app := fx.newAsset(t), fx.newAsset(t)
		fx.setValues(t, shared, "local", objects{"x": {"a": plain("1")}})
		fx.setValues(t, app, "local", objects{"o": {"k": plain("v ${" + shared + "/x.a}")}})
		unchanged(t, []string{app, shared}, func() *response { return fx.owner.del(t, assetPath(shared)) }, func(r *response) {
			wantReferenceError(t, r, "local", app+"/o.k", "${"+shared+"/x.a}", "missing")
		})
		patch(app, "local", map[string]any{"set": objects{"o": {"k": plain("$${" + shared + "/x.a}")}}}).want(t, http.StatusOK)
		fx.owner.del(t, assetPath(shared)).want(t, http.StatusNoContent)
		if got := string(resolved(t, fx.owner, app, "local").Config["o"]["k"]); got != `"${`+shared+`/x.a}"` {
			t.Errorf("the escaped reference resolved to %s", got)
		}
	})
}

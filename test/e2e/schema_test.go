package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// put sends a PUT with a JSON body.
func (c *client) put(t *testing.T, path string, body any) *response {
	t.Helper()
	return c.send(t, request{method: http.MethodPut, path: path, body: body})
}

// violation is one entry of SCHEMA_VIOLATION's details.violations.
type violation struct{ Environment, Path, Message string }

// violationsOf reads SCHEMA_VIOLATION's details.
func violationsOf(t *testing.T, e apiError) []violation {
	t.Helper()
	list, ok := e.Details["violations"].([]any)
	if !ok {
		t.Fatalf("details %v have no violations", e.Details)
	}
	out := make([]violation, 0, len(list))
	for _, item := range list {
		m, _ := item.(map[string]any)
		env, _ := m["environment"].(string)
		path, _ := m["path"].(string)
		msg, _ := m["message"].(string)
		out = append(out, violation{env, path, msg})
	}
	return out
}

// schemaState is what a refused change must leave as it was.
type schemaState struct {
	versions map[string]int
	audit    int64
	values   map[string]string
}

// stateOf reads the versions, the audit chain's length and the values of slug.
func stateOf(t *testing.T, fx *tenantFixture, slug string) schemaState {
	t.Helper()
	var detail assetDetail
	fx.owner.get(t, assetPath(slug)).want(t, http.StatusOK).decode(t, &detail)
	values := map[string]string{}
	for env, n := range detail.Versions {
		if n == 0 {
			continue
		}
		values[env] = string(fx.owner.get(t, valuesPath(slug, env)).want(t, http.StatusOK).body)
	}
	return schemaState{versions: detail.Versions, audit: auditCount(t, fx), values: values}
}

// testSchemas checks the schema routes and that a change set and a rollback
// that break the asset's schema answer 422 SCHEMA_VIOLATION and change
// nothing (versions, audit, values); that a schema a current version breaks
// is refused naming the environment; that a secret's violation never shows
// its value; and that setting, changing and deleting a schema are audited.
func testSchemas(t *testing.T, st *stack) {
	fx := st.newTenant(t)
	slug := fx.newAsset(t)
	schemaPath := assetPath(slug) + "/schema"
	password := st.secretValue()
	fx.setValues(t, slug, "stage", objects{"db": {"port": plain(5432), "password": secret(password)}})
	fx.setValues(t, slug, "local", objects{"db": {"port": plain(70000), "password": secret("abc")}})
	schema := map[string]any{
		"type": "object", "required": []string{"db"},
		"properties": map[string]any{"db": map[string]any{
			"type": "object", "required": []string{"port"},
			"properties": map[string]any{
				"port":     map[string]any{"type": "integer", "maximum": 65535},
				"password": map[string]any{"type": "string", "maxLength": 40},
			},
		}},
	}

	fx.owner.get(t, schemaPath).wantError(t, http.StatusNotFound, "SCHEMA_NOT_FOUND")
	before := stateOf(t, fx, slug)
	e := fx.owner.put(t, schemaPath, map[string]any{"schema": schema}).wantError(t, http.StatusUnprocessableEntity, "SCHEMA_VIOLATION")
	wantEqual(t, "violations of a schema local breaks", violationsOf(t, e), []violation{{"local", "/db/port", "must be at most 65535"}})
	fx.owner.get(t, schemaPath).wantError(t, http.StatusNotFound, "SCHEMA_NOT_FOUND")
	wantEqual(t, "state after a refused schema", stateOf(t, fx, slug), before)

	fx.owner.put(t, schemaPath, map[string]any{"schema": map[string]any{"$ref": "https://example.com/s.json"}}).
		wantError(t, http.StatusBadRequest, "VALIDATION_ERROR")
	fx.owner.put(t, schemaPath, map[string]any{"schema": map[string]any{"type": "nonsense"}}).
		wantError(t, http.StatusBadRequest, "VALIDATION_ERROR")
	fx.join(t, "editor").client.put(t, schemaPath, map[string]any{"schema": true}).wantError(t, http.StatusForbidden, "PERMISSION_DENIED")

	fx.setValues(t, slug, "local", objects{"db": {"port": plain(8080)}})
	var got assetSchema
	fx.owner.put(t, schemaPath, map[string]any{"schema": schema}).want(t, http.StatusOK).decode(t, &got)
	wantEqual(t, "asset", got.Asset, slug)
	viewer := fx.join(t, "viewer").client
	var read assetSchema
	viewer.get(t, schemaPath).want(t, http.StatusOK).decode(t, &read)
	wantEqual(t, "schema read back", read, got)

	// A change set and a rollback that break it change nothing.
	before = stateOf(t, fx, slug)
	e = fx.owner.patch(t, valuesPath(slug, "stage"), map[string]any{"message": "too big", "set": objects{"db": {"port": plain(70001)}}}).
		wantError(t, http.StatusUnprocessableEntity, "SCHEMA_VIOLATION")
	wantEqual(t, "change set violations", violationsOf(t, e), []violation{{"stage", "/db/port", "must be at most 65535"}})
	e = fx.owner.patch(t, valuesPath(slug, "stage"), map[string]any{"message": "no port", "unset": map[string][]string{"db": {"port"}}}).
		wantError(t, http.StatusUnprocessableEntity, "SCHEMA_VIOLATION")
	wantEqual(t, "unset violations", violationsOf(t, e), []violation{{"stage", "/db", "must have the properties port"}})
	e = fx.owner.post(t, assetPath(slug)+"/rollback", map[string]any{"environment": "local", "version": 1}).
		wantError(t, http.StatusUnprocessableEntity, "SCHEMA_VIOLATION")
	wantEqual(t, "rollback violations", violationsOf(t, e), []violation{{"local", "/db/port", "must be at most 65535"}})
	wantEqual(t, "state after refused changes", stateOf(t, fx, slug), before)

	// Secrets that break maxLength, pattern and enum: the answer never
	// shows their value.
	fx.setValues(t, slug, "stage", objects{"db": {"password": secret("short")}})
	fx.owner.put(t, schemaPath, map[string]any{"schema": map[string]any{"properties": map[string]any{"db": map[string]any{"properties": map[string]any{
		"password": map[string]any{"type": "string", "maxLength": 10},
		"pin":      map[string]any{"type": "string", "pattern": "^[0-9]+$"},
		"mode":     map[string]any{"enum": []string{"one", "two"}},
	}}}}}).want(t, http.StatusOK)
	long := "SV-" + strings.Repeat("X", 60) + st.secretValue()
	st.rec.secret("long secret", long)
	before = stateOf(t, fx, slug)
	r := fx.owner.patch(t, valuesPath(slug, "stage"), map[string]any{"message": "secrets",
		"set": objects{"db": {"password": secret(long), "pin": secret(long), "mode": secret(long)}}})
	e = r.wantError(t, http.StatusUnprocessableEntity, "SCHEMA_VIOLATION")
	wantEqual(t, "secret violations", violationsOf(t, e), []violation{
		{"stage", "/db/mode", "must be one of the values the schema allows"},
		{"stage", "/db/password", "must be at most 10 characters long"},
		{"stage", "/db/pin", "must match the pattern ^[0-9]+$"},
	})
	if leaks := containsAny(r.body, long, "XXXXXXXX", password); len(leaks) > 0 {
		t.Errorf("the violations show a secret: %s", r.body)
	}
	wantEqual(t, "state after refused secrets", stateOf(t, fx, slug), before)

	// Setting, changing and deleting a schema are audited.
	fx.owner.del(t, schemaPath).want(t, http.StatusNoContent)
	fx.owner.del(t, schemaPath).wantError(t, http.StatusNotFound, "SCHEMA_NOT_FOUND")
	var after auditPage
	fx.owner.get(t, "/api/v1/audit?limit=200").want(t, http.StatusOK).decode(t, &after)
	var actions []string
	for _, en := range after.Entries {
		if strings.HasPrefix(en.Action, "schema.") {
			actions = append(actions, en.Action+" "+en.Target.(string))
		}
	}
	target := "asset:" + slug
	wantEqual(t, "schema audit entries", actions, []string{"schema.created " + target, "schema.updated " + target, "schema.deleted " + target})
}

// testCompare checks the compare route's equality classes for plain values
// and secrets, the default order of environments, and that a viewer sees
// secrets by presence only.
func testCompare(t *testing.T, st *stack) {
	fx := st.newTenant(t)
	slug := fx.newAsset(t)
	same, other := st.secretValue(), st.secretValue()
	fx.setValues(t, slug, "local", objects{"db": {"host": plain("a"), "password": secret(same)}, "only": {"local": plain(1)}})
	fx.setValues(t, slug, "stage", objects{"db": {"host": plain("b"), "password": secret(same)}})
	fx.setValues(t, slug, "prod", objects{"db": {"host": plain("a"), "password": secret(other)}})
	one, two := intPtr(1), intPtr(2)
	zero := intPtr(0)

	var c comparison
	r := fx.owner.get(t, assetPath(slug)+"/compare").want(t, http.StatusOK)
	r.decode(t, &c)
	wantEqual(t, "editor's comparison", c, comparison{Asset: slug, Environments: []string{"local", "stage", "prod"}, Keys: []comparedKey{
		{Key: "db.host", Values: map[string]*int{"local": one, "stage": two, "prod": one}},
		{Key: "db.password", Secret: true, Values: map[string]*int{"local": one, "stage": one, "prod": two}},
		{Key: "only.local", Values: map[string]*int{"local": one, "stage": nil, "prod": nil}},
	}})

	viewer := fx.join(t, "viewer").client
	r = viewer.get(t, assetPath(slug)+"/compare?environments=prod,local").want(t, http.StatusOK)
	if leaks := containsAny(r.body, same, other); len(leaks) > 0 {
		t.Errorf("compare shows a secret: %s", r.body)
	}
	c = comparison{}
	r.decode(t, &c)
	wantEqual(t, "viewer's comparison", c, comparison{Asset: slug, Environments: []string{"prod", "local"}, Keys: []comparedKey{
		{Key: "db.host", Values: map[string]*int{"prod": one, "local": one}},
		{Key: "db.password", Secret: true, Values: map[string]*int{"prod": zero, "local": zero}},
		{Key: "only.local", Values: map[string]*int{"prod": nil, "local": one}},
	}})
	viewer.get(t, assetPath(slug)+"/compare?environments=prod,nowhere").wantError(t, http.StatusNotFound, "ENVIRONMENT_NOT_FOUND")
	viewer.get(t, assetPath(slug)+"/compare?environments=prod,prod").wantError(t, http.StatusBadRequest, "VALIDATION_ERROR")
}

// testSchemaPromotion checks that a promotion whose result breaks the
// target's schema (here through a reference that resolves otherwise in the
// target environment) is refused with 422 and changes nothing, that its
// dry run reports the same violations, and that a change of a referenced
// value that would break the referencing asset's schema is refused.
func testSchemaPromotion(t *testing.T, st *stack) {
	fx := st.newTenant(t)
	shared, app := fx.newAsset(t), fx.newAsset(t)
	fx.setValues(t, shared, "stage", objects{"db": {"port": plain(5432)}})
	fx.setValues(t, shared, "prod", objects{"db": {"port": plain("not a number")}})
	fx.setValues(t, app, "stage", objects{"db": {"port": plain("${" + shared + "/db.port}")}})
	fx.setValues(t, app, "prod", objects{"db": {"port": plain(1)}})
	fx.owner.put(t, assetPath(app)+"/schema", map[string]any{"schema": map[string]any{"properties": map[string]any{"db": map[string]any{
		"properties": map[string]any{"port": map[string]any{"type": "integer"}}}}}}).want(t, http.StatusOK)
	before := stateOf(t, fx, app)
	want := []violation{{"prod", "/db/port", "must be of type integer"}}
	for _, dry := range []bool{true, false} {
		e := fx.owner.post(t, assetPath(app)+"/promote", map[string]any{"from": "stage", "to": "prod", "dry_run": dry}).
			wantError(t, http.StatusUnprocessableEntity, "SCHEMA_VIOLATION")
		wantEqual(t, "promotion violations", violationsOf(t, e), want)
	}
	wantEqual(t, "state after refused promotions", stateOf(t, fx, app), before)
	// Once the target's referenced value fits, the promotion goes through.
	fx.setValues(t, shared, "prod", objects{"db": {"port": plain(6432)}})
	fx.owner.post(t, assetPath(app)+"/promote", map[string]any{"from": "stage", "to": "prod"}).want(t, http.StatusOK)
	if got := string(resolved(t, fx.owner, app, "prod").Config["db"]["port"]); got != "6432" {
		t.Errorf("prod's port resolved to %s after the promotion", got)
	}
	// A change of the referenced value that would break the referencing
	// asset's schema is refused too, naming that asset.
	sharedBefore, appBefore := stateOf(t, fx, shared), stateOf(t, fx, app)
	e := fx.owner.patch(t, valuesPath(shared, "prod"), map[string]any{"message": "m", "set": objects{"db": {"port": plain("abc")}}}).
		wantError(t, http.StatusUnprocessableEntity, "SCHEMA_VIOLATION")
	wantEqual(t, "violations through a reference", violationsOf(t, e),
		[]violation{{"prod", "/db/port", "in asset " + app + ", which references this one: must be of type integer"}})
	wantEqual(t, "shared after the refused change", stateOf(t, fx, shared), sharedBefore)
	wantEqual(t, "app after the refused change", stateOf(t, fx, app), appBefore)
}

package e2e

import (
	"encoding/json"
	"net/http"
	"testing"
)

// testVersionNumbers checks that every change of one environment creates the
// next version number, independently per environment, and that the asset,
// the values and the version list agree.
func testVersionNumbers(t *testing.T, st *stack) {
	fx := st.newTenant(t)
	slug := fx.newAsset(t)
	var d assetDetail
	fx.owner.get(t, assetPath(slug)).want(t, http.StatusOK).decode(t, &d)
	wantEqual(t, "versions of a new asset", d.Versions, map[string]int{"local": 0, "stage": 0, "prod": 0})

	changes := []struct {
		env     string
		body    map[string]any
		version int
	}{
		{"stage", map[string]any{"message": "one", "set": objects{"a": {"k": plain(1)}}}, 1},
		{"stage", map[string]any{"message": "two", "set": objects{"a": {"k": plain(2), "j": plain("x")}}}, 2},
		{"local", map[string]any{"message": "local one", "set": objects{"a": {"k": plain(0)}}}, 1},
		{"stage", map[string]any{"message": "three", "unset": map[string][]string{"a": {"j"}}}, 3},
		{"stage", map[string]any{"message": "four", "expected_version": 3, "set": objects{"b": {"s": secret(st.secretValue())}}}, 4},
	}
	for _, c := range changes {
		var v environmentValues
		fx.owner.patch(t, valuesPath(slug, c.env), c.body).want(t, http.StatusOK).decode(t, &v)
		if v.Version != c.version {
			t.Errorf("%v on %s answered version %d, want %d", c.body["message"], c.env, v.Version, c.version)
		}
	}
	fx.owner.get(t, assetPath(slug)).want(t, http.StatusOK).decode(t, &d)
	wantEqual(t, "versions", d.Versions, map[string]int{"local": 1, "stage": 4, "prod": 0})

	var l versionList
	fx.owner.get(t, versionsPath(slug, "stage")).want(t, http.StatusOK).decode(t, &l)
	var got []int
	var messages []string
	for _, v := range l.Versions {
		got = append(got, v.Version)
		if v.Message != nil {
			messages = append(messages, *v.Message)
		}
	}
	wantEqual(t, "stage versions, newest first", got, []int{4, 3, 2, 1})
	wantEqual(t, "messages", messages, []string{"four", "three", "two", "one"})
	for i := 1; i < len(l.Versions); i++ {
		if l.Versions[i].CreatedAt.After(l.Versions[i-1].CreatedAt) {
			t.Errorf("version %d is newer than version %d", l.Versions[i].Version, l.Versions[i-1].Version)
		}
	}

	var v3 environmentValues
	fx.owner.get(t, versionPath(slug, "stage", 3)).want(t, http.StatusOK).decode(t, &v3)
	wantEqual(t, "version 3", v3.Values, map[string]map[string]valueEntry{"a": {"k": {Value: json.RawMessage(`2`)}}})
}

// testVersionConflict checks that a stale expected_version answers 409 and
// changes nothing, and that the current one applies.
func testVersionConflict(t *testing.T, st *stack) {
	fx := st.newTenant(t)
	slug := fx.newAsset(t)
	fx.setValues(t, slug, "stage", objects{"db": {"host": plain("one")}})
	before := fx.setValues(t, slug, "stage", objects{"db": {"host": plain("two")}})
	auditBefore := auditCount(t, fx)

	for _, stale := range []int{0, 1, 3} {
		fx.owner.patch(t, valuesPath(slug, "stage"), map[string]any{
			"expected_version": stale, "set": objects{"db": {"host": plain("stale"), "new": plain(true)}},
		}).wantError(t, http.StatusConflict, "VERSION_CONFLICT")
	}
	var after environmentValues
	fx.owner.get(t, valuesPath(slug, "stage")).want(t, http.StatusOK).decode(t, &after)
	wantEqual(t, "values after refused changes", after, before)
	var l versionList
	fx.owner.get(t, versionsPath(slug, "stage")).want(t, http.StatusOK).decode(t, &l)
	if len(l.Versions) != 2 {
		t.Errorf("refused changes created versions: %+v", l.Versions)
	}
	if n := auditCount(t, fx); n != auditBefore {
		t.Errorf("refused changes appended %d audit entries", n-auditBefore)
	}

	var v environmentValues
	fx.owner.patch(t, valuesPath(slug, "stage"), map[string]any{
		"expected_version": 2, "set": objects{"db": {"host": plain("three")}},
	}).want(t, http.StatusOK).decode(t, &v)
	if v.Version != 3 || string(v.Values["db"]["host"].Value) != `"three"` {
		t.Errorf("the current expected_version answered %+v, want version 3 with host three", v)
	}
}

// testRollback checks that a rollback creates the next version with exactly
// the values (secrets included) of the old one, with source rollback.
func testRollback(t *testing.T, st *stack) {
	fx := st.newTenant(t)
	slug := fx.newAsset(t)
	key := fx.newAPIKey(t, "stage")
	first, second := st.secretValue(), st.secretValue()
	fx.setValues(t, slug, "stage", objects{"db": {"host": plain("h1"), "password": secret(first)}, "flags": {"on": plain(true)}})
	fx.owner.patch(t, valuesPath(slug, "stage"), map[string]any{
		"set":   objects{"db": {"host": plain("h2"), "password": secret(second)}, "extra": {"n": plain(7)}},
		"unset": map[string][]string{"flags": {"on"}},
	}).want(t, http.StatusOK)
	var v1 environmentValues
	fx.owner.get(t, versionPath(slug, "stage", 1)).want(t, http.StatusOK).decode(t, &v1)

	var rb rollbackResult
	r := fx.owner.post(t, assetPath(slug)+"/rollback", map[string]any{"environment": "stage", "version": 1}).want(t, http.StatusOK)
	r.decode(t, &rb)
	wantEqual(t, "rollback answer", rb, rollbackResult{Environment: "stage", Version: 3, RestoredFrom: 1})
	if leaks := containsAny(r.body, first, second); len(leaks) > 0 {
		t.Error("the rollback answer shows a secret value")
	}

	var now environmentValues
	fx.owner.get(t, valuesPath(slug, "stage")).want(t, http.StatusOK).decode(t, &now)
	if now.Version != 3 {
		t.Errorf("after the rollback the version is %d, want 3", now.Version)
	}
	wantEqual(t, "values after the rollback", now.Values, v1.Values)

	var resolved resolvedConfig
	fx.sdk(key.Key).get(t, resolvedPath(slug, "stage")).want(t, http.StatusOK).decode(t, &resolved)
	wantEqual(t, "resolved config after the rollback", resolved.Config, map[string]map[string]json.RawMessage{
		"db":    {"host": json.RawMessage(`"h1"`), "password": jsonString(first)},
		"flags": {"on": json.RawMessage(`true`)},
	})

	var l versionList
	fx.owner.get(t, versionsPath(slug, "stage")).want(t, http.StatusOK).decode(t, &l)
	if len(l.Versions) != 3 || l.Versions[0].Version != 3 || l.Versions[0].Source != "rollback" {
		t.Errorf("versions %+v, want 3 (source rollback) first", l.Versions)
	}
	for _, v := range l.Versions[1:] {
		if v.Source != "edit" {
			t.Errorf("version %d has source %q, want edit", v.Version, v.Source)
		}
	}
}

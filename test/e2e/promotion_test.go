package e2e

import (
	"encoding/json"
	"net/http"
	"testing"
)

// testPromotion checks that a dry run changes nothing and answers version
// null, that a promotion copies the source's values exactly as the target's
// next version (secrets readable there with an API key), that the diff names
// keys only, and that expected_version guards the target.
func testPromotion(t *testing.T, st *stack) {
	fx := st.newTenant(t)
	slug := fx.newAsset(t)
	prodKey := fx.newAPIKey(t, "prod")
	password := st.secretValue()
	fx.setValues(t, slug, "stage", objects{
		"db":    {"host": plain("stage-db-host"), "password": secret(password)},
		"flags": {"beta": plain(true)},
	})
	fx.setValues(t, slug, "prod", objects{"db": {"host": plain("old-prod-host")}, "legacy": {"k": plain("legacy-value")}})
	valuesInPlay := []string{password, "stage-db-host", "old-prod-host", "legacy-value"}
	var prodBefore environmentValues
	fx.owner.get(t, valuesPath(slug, "prod")).want(t, http.StatusOK).decode(t, &prodBefore)
	auditBefore := auditCount(t, fx)

	wantDiff := diff{Added: []string{"db.password", "flags.beta"}, Changed: []string{"db.host"}, Removed: []string{"legacy.k"}}
	promote := func(body map[string]any) promoteResult {
		t.Helper()
		r := fx.owner.post(t, assetPath(slug)+"/promote", body).want(t, http.StatusOK)
		if leaks := containsAny(r.body, valuesInPlay...); len(leaks) > 0 {
			t.Errorf("the promote answer shows values: %s", r.body)
		}
		var p promoteResult
		r.decode(t, &p)
		return sortedDiff(p)
	}

	dry := promote(map[string]any{"from": "stage", "to": "prod", "dry_run": true})
	wantEqual(t, "dry run", dry, promoteResult{From: "stage", To: "prod", DryRun: true, Version: nil, Diff: wantDiff})
	var prodAfterDry environmentValues
	fx.owner.get(t, valuesPath(slug, "prod")).want(t, http.StatusOK).decode(t, &prodAfterDry)
	wantEqual(t, "prod after a dry run", prodAfterDry, prodBefore)
	if n := auditCount(t, fx); n != auditBefore {
		t.Errorf("a dry run appended %d audit entries", n-auditBefore)
	}

	fx.owner.post(t, assetPath(slug)+"/promote", map[string]any{"from": "stage", "to": "prod", "expected_version": 0}).
		wantError(t, http.StatusConflict, "VERSION_CONFLICT")
	fx.owner.get(t, valuesPath(slug, "prod")).want(t, http.StatusOK).decode(t, &prodAfterDry)
	wantEqual(t, "prod after a stale promotion", prodAfterDry, prodBefore)

	done := promote(map[string]any{"from": "stage", "to": "prod", "expected_version": 1, "dry_run": false})
	wantEqual(t, "promotion", done, promoteResult{From: "stage", To: "prod", Version: intPtr(2), Diff: wantDiff})

	var stage, prod environmentValues
	fx.owner.get(t, valuesPath(slug, "stage")).want(t, http.StatusOK).decode(t, &stage)
	fx.owner.get(t, valuesPath(slug, "prod")).want(t, http.StatusOK).decode(t, &prod)
	if prod.Version != 2 {
		t.Errorf("prod is at version %d, want 2", prod.Version)
	}
	wantEqual(t, "prod values after the promotion", prod.Values, stage.Values)

	var resolved resolvedConfig
	fx.sdk(prodKey.Key).get(t, resolvedPath(slug, "prod")).want(t, http.StatusOK).decode(t, &resolved)
	wantEqual(t, "resolved prod config", resolved, resolvedConfig{Asset: slug, Environment: "prod", Version: 2,
		Config: map[string]map[string]json.RawMessage{
			"db":    {"host": json.RawMessage(`"stage-db-host"`), "password": jsonString(password)},
			"flags": {"beta": json.RawMessage(`true`)},
		}})

	var l versionList
	fx.owner.get(t, versionsPath(slug, "prod")).want(t, http.StatusOK).decode(t, &l)
	if len(l.Versions) != 2 || l.Versions[0].Source != "promote" || l.Versions[1].Source != "edit" {
		t.Errorf("prod versions %+v, want 2 (promote) then 1 (edit)", l.Versions)
	}

	rotated := st.secretValue()
	valuesInPlay = append(valuesInPlay, rotated)
	fx.setValues(t, slug, "stage", objects{"db": {"password": secret(rotated)}})
	again := promote(map[string]any{"from": "stage", "to": "prod", "dry_run": true})
	wantEqual(t, "diff of a rotated secret", again.Diff, diff{Added: []string{}, Changed: []string{"db.password"}, Removed: []string{}})
	same := promote(map[string]any{"from": "stage", "to": "prod"})
	if same.Version == nil || *same.Version != 3 {
		t.Errorf("the second promotion answered version %v, want 3", same.Version)
	}
}

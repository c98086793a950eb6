package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"testing"

	"github.com/configmat/configmat/core/catalog"
	"github.com/configmat/configmat/core/domain"
)

func TestValueAndVersionRoutes(t *testing.T) {
	three := 3
	versionInfo := func(n int) catalog.VersionInfo {
		return catalog.VersionInfo{Version: n, CreatedAt: testNow, CreatedBy: "user:" + string(userID), Message: "m", Source: domain.SourceEdit}
	}
	runCases(t, []routeCase{
		{
			name: "get an environment's values",
			req:  get("/api/v1/assets/billing/environments/prod"),
			setup: func(a *testAPI) {
				a.catalog.getValues = func(_ domain.Actor, slug, env string) (catalog.EnvironmentValues, error) {
					if slug != "billing" || env != "prod" {
						return catalog.EnvironmentValues{}, fail(domain.KindEnvironmentNotFound)
					}
					return sampleValues, nil
				}
			},
			status: http.StatusOK, body: sampleValuesJSON,
		},
		{
			name: "an environment without values has {}",
			req:  get("/api/v1/assets/billing/environments/prod"),
			setup: func(a *testAPI) {
				a.catalog.getValues = func(domain.Actor, string, string) (catalog.EnvironmentValues, error) {
					return catalog.EnvironmentValues{Asset: "billing", Environment: "prod"}, nil
				}
			},
			status: http.StatusOK, body: `{"asset":"billing","environment":"prod","version":0,"values":{}}`,
		},
		{
			name: "values of a missing environment",
			req:  get("/api/v1/assets/billing/environments/qa"),
			setup: func(a *testAPI) {
				a.catalog.getValues = func(domain.Actor, string, string) (catalog.EnvironmentValues, error) {
					return catalog.EnvironmentValues{}, fail(domain.KindEnvironmentNotFound)
				}
			},
			status: http.StatusNotFound, code: "ENVIRONMENT_NOT_FOUND",
		},
		{
			name: "apply a change set",
			req: patch("/api/v1/assets/billing/environments/prod", `{"message":"rotate","expected_version":3,
				"set":{"database":{"password":{"value":"s3cret","secret":true},"port":{"value":null}}},
				"unset":{"database":["old"]}}`),
			setup: func(a *testAPI) {
				a.catalog.applyChangeSet = func(_ domain.Actor, _, _ string, cs domain.ChangeSet) (catalog.EnvironmentValues, error) {
					want := domain.ChangeSet{
						Message: "rotate", ExpectedVersion: &three,
						Set: map[string]map[string]domain.Value{"database": {
							"password": {Value: json.RawMessage(`"s3cret"`), Secret: true},
							"port":     {Value: json.RawMessage(`null`)},
						}},
						Unset: map[string][]string{"database": {"old"}},
					}
					if !reflect.DeepEqual(cs, want) {
						return catalog.EnvironmentValues{}, domain.Errorf(domain.KindInvalid, "got %+v", cs)
					}
					return sampleValues, nil
				}
			},
			status: http.StatusOK, body: sampleValuesJSON,
		},
		{
			name: "a stale expected_version",
			req:  patch("/api/v1/assets/billing/environments/prod", `{"expected_version":2}`),
			setup: func(a *testAPI) {
				a.catalog.applyChangeSet = func(domain.Actor, string, string, domain.ChangeSet) (catalog.EnvironmentValues, error) {
					return catalog.EnvironmentValues{}, fail(domain.KindVersionConflict)
				}
			},
			status: http.StatusConflict, code: "VERSION_CONFLICT",
		},
		{
			name: "a dry-run promotion",
			req:  post("/api/v1/assets/billing/promote", `{"from":"stage","to":"prod","dry_run":true}`),
			setup: func(a *testAPI) {
				a.catalog.promote = func(_ domain.Actor, slug string, req catalog.PromoteRequest) (catalog.PromoteResult, error) {
					if req != (catalog.PromoteRequest{From: "stage", To: "prod", DryRun: true}) {
						return catalog.PromoteResult{}, fail(domain.KindInvalid)
					}
					return catalog.PromoteResult{From: "stage", To: "prod", DryRun: true,
						Diff: domain.Diff{Added: []string{"database.host"}}}, nil
				}
			},
			status: http.StatusOK,
			body: `{"from":"stage","to":"prod","dry_run":true,"version":null,
				"diff":{"added":["database.host"],"changed":[],"removed":[]}}`,
			check: func(t *testing.T, a *testAPI, _ *httptest.ResponseRecorder) {
				if len(a.logsWith("operation")) != 1 || a.logsWith("operation")[0].Data["operation"] != "promote" {
					t.Errorf("promotion not timed in the log")
				}
			},
		},
		{
			name: "a promotion guarded by a stale version",
			req:  post("/api/v1/assets/billing/promote", `{"from":"stage","to":"prod","expected_version":3}`),
			setup: func(a *testAPI) {
				a.catalog.promote = func(_ domain.Actor, _ string, req catalog.PromoteRequest) (catalog.PromoteResult, error) {
					if req.ExpectedVersion == nil || *req.ExpectedVersion != 3 {
						return catalog.PromoteResult{}, fail(domain.KindInvalid)
					}
					return catalog.PromoteResult{}, fail(domain.KindVersionConflict)
				}
			},
			status: http.StatusConflict, code: "VERSION_CONFLICT",
		},
		{
			name: "list every version across the core's pages",
			req:  get("/api/v1/assets/billing/versions?environment=prod"),
			setup: func(a *testAPI) {
				a.catalog.listVersions = func(_ domain.Actor, _, env string, p domain.Page) ([]catalog.VersionInfo, string, error) {
					if env != "prod" || p.Limit != domain.MaxPageSize {
						return nil, "", fail(domain.KindInvalid)
					}
					if p.Cursor == "" {
						return []catalog.VersionInfo{versionInfo(3), versionInfo(2)}, "2", nil
					}
					return []catalog.VersionInfo{versionInfo(1)}, "", nil
				}
			},
			status: http.StatusOK,
			check: func(t *testing.T, _ *testAPI, rec *httptest.ResponseRecorder) {
				var got versionList
				if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
					t.Fatal(err)
				}
				var numbers []int
				for _, v := range got.Versions {
					numbers = append(numbers, v.Version)
				}
				if !reflect.DeepEqual(numbers, []int{3, 2, 1}) {
					t.Errorf("versions = %v, want [3 2 1]", numbers)
				}
			},
		},
		{
			name: "an environment without versions lists []",
			req:  get("/api/v1/assets/billing/versions?environment=prod"),
			setup: func(a *testAPI) {
				a.catalog.listVersions = func(domain.Actor, string, string, domain.Page) ([]catalog.VersionInfo, string, error) {
					return nil, "", nil
				}
			},
			status: http.StatusOK, body: `{"versions":[]}`,
		},
		{name: "versions without environment", req: get("/api/v1/assets/billing/versions"), status: http.StatusBadRequest, code: "VALIDATION_ERROR"},
		{
			name: "one version",
			req:  get("/api/v1/assets/billing/versions/3?environment=prod"),
			setup: func(a *testAPI) {
				a.catalog.getVersion = func(_ domain.Actor, _, env string, n int) (catalog.EnvironmentValues, error) {
					if env != "prod" || n != 3 {
						return catalog.EnvironmentValues{}, fail(domain.KindVersionNotFound)
					}
					return sampleValues, nil
				}
			},
			status: http.StatusOK, body: sampleValuesJSON,
		},
		{
			name: "a missing version",
			req:  get("/api/v1/assets/billing/versions/9?environment=prod"),
			setup: func(a *testAPI) {
				a.catalog.getVersion = func(domain.Actor, string, string, int) (catalog.EnvironmentValues, error) {
					return catalog.EnvironmentValues{}, fail(domain.KindVersionNotFound)
				}
			},
			status: http.StatusNotFound, code: "VERSION_NOT_FOUND",
		},
		{name: "version 0", req: get("/api/v1/assets/billing/versions/0?environment=prod"), status: http.StatusBadRequest, code: "VALIDATION_ERROR"},
		{name: "version not a number", req: get("/api/v1/assets/billing/versions/x?environment=prod"), status: http.StatusBadRequest, code: "VALIDATION_ERROR"},
		{name: "one version without environment", req: get("/api/v1/assets/billing/versions/3"), status: http.StatusBadRequest, code: "VALIDATION_ERROR"},
		{
			name: "roll back",
			req:  post("/api/v1/assets/billing/rollback", `{"environment":"prod","version":2}`),
			setup: func(a *testAPI) {
				a.catalog.rollback = func(_ domain.Actor, _, env string, v int) (catalog.RollbackResult, error) {
					return catalog.RollbackResult{Environment: env, Version: 4, RestoredFrom: v}, nil
				}
			},
			status: http.StatusOK, body: `{"environment":"prod","version":4,"restored_from":2}`,
			check: func(t *testing.T, a *testAPI, _ *httptest.ResponseRecorder) {
				ops := a.logsWith("operation")
				if len(ops) != 1 || ops[0].Data["operation"] != "rollback" || ops[0].Data["request_id"] == nil {
					t.Errorf("rollback not timed in the request's log")
				}
			},
		},
		{
			name: "roll back to a missing version",
			req:  post("/api/v1/assets/billing/rollback", `{"environment":"prod","version":99}`),
			setup: func(a *testAPI) {
				a.catalog.rollback = func(domain.Actor, string, string, int) (catalog.RollbackResult, error) {
					return catalog.RollbackResult{}, fail(domain.KindVersionNotFound)
				}
			},
			status: http.StatusNotFound, code: "VERSION_NOT_FOUND",
		},
		{
			name:   "roll back with a version of the wrong type",
			req:    post("/api/v1/assets/billing/rollback", `{"environment":"prod","version":"2"}`),
			status: http.StatusBadRequest, code: "VALIDATION_ERROR",
			check: func(t *testing.T, _ *testAPI, rec *httptest.ResponseRecorder) {
				fields, _ := decodeErrorBody(t, rec).Details["fields"].(map[string]any)
				if fields["version"] != "must be an integer" {
					t.Errorf("details = %v", decodeErrorBody(t, rec).Details)
				}
			},
		},
	})
}

func TestListVersionsStopsOnARepeatedCursor(t *testing.T) {
	a := newTestAPI(t)
	calls := 0
	a.catalog.listVersions = func(domain.Actor, string, string, domain.Page) ([]catalog.VersionInfo, string, error) {
		calls++
		return nil, "same", nil
	}
	rec := a.serve(t, userRequest(http.MethodGet, "/api/v1/assets/billing/versions?environment=prod", ""))
	if rec.Code != http.StatusOK || calls != 2 {
		t.Errorf("status %d after %s calls, want 200 after 2", rec.Code, strconv.Itoa(calls))
	}
}

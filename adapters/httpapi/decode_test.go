package httpapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/configmat/configmat/core/catalog"
	"github.com/configmat/configmat/core/domain"
)

func TestBodyDecoding(t *testing.T) {
	createOK := func(a *testAPI) {
		a.catalog.createAsset = func(domain.Actor, catalog.AssetInput) (domain.Asset, error) { return sampleAsset, nil }
	}
	bodyRequest := func(body, contentType string) func() *http.Request {
		return func() *http.Request {
			r := userRequest(http.MethodPost, "/api/v1/assets", "")
			r.Body = io.NopCloser(strings.NewReader(body))
			r.ContentLength = int64(len(body))
			if contentType != "" {
				r.Header.Set("Content-Type", contentType)
			}
			return r
		}
	}
	detail := func(key, want string) func(*testing.T, *testAPI, *httptest.ResponseRecorder) {
		return func(t *testing.T, _ *testAPI, rec *httptest.ResponseRecorder) {
			if got := decodeErrorBody(t, rec).Details[key]; got != want {
				t.Errorf("details[%s] = %v, want %s", key, got, want)
			}
		}
	}
	valid := `{"slug":"billing","name":"Billing"}`
	runCases(t, []routeCase{
		{name: "a valid body", req: bodyRequest(valid, "application/json"), setup: createOK, status: http.StatusCreated},
		{name: "charset utf-8 is accepted", req: bodyRequest(valid, "application/json; charset=UTF-8"), setup: createOK, status: http.StatusCreated},
		{name: "leading and trailing whitespace", req: bodyRequest(" \n"+valid+"\n ", "application/json"), setup: createOK, status: http.StatusCreated},
		{name: "text/plain", req: bodyRequest(valid, "text/plain"), status: http.StatusUnsupportedMediaType, code: "UNSUPPORTED_MEDIA_TYPE"},
		{name: "no content type", req: bodyRequest(valid, ""), status: http.StatusUnsupportedMediaType, code: "UNSUPPORTED_MEDIA_TYPE"},
		{name: "another charset", req: bodyRequest(valid, "application/json; charset=latin1"), status: http.StatusUnsupportedMediaType, code: "UNSUPPORTED_MEDIA_TYPE"},
		{name: "a JSON suffix type", req: bodyRequest(valid, "application/merge-patch+json"), status: http.StatusUnsupportedMediaType, code: "UNSUPPORTED_MEDIA_TYPE"},
		{name: "no body", req: bodyRequest("", "application/json"), status: http.StatusBadRequest, code: "INVALID_JSON"},
		{name: "malformed JSON", req: bodyRequest(`{"slug":`, "application/json"), status: http.StatusBadRequest, code: "INVALID_JSON"},
		{name: "a syntax error", req: bodyRequest(`{"slug" "x"}`, "application/json"), status: http.StatusBadRequest, code: "INVALID_JSON"},
		{name: "an array", req: bodyRequest(`[1]`, "application/json"), status: http.StatusBadRequest, code: "INVALID_JSON"},
		{name: "null", req: bodyRequest(`null`, "application/json"), status: http.StatusBadRequest, code: "INVALID_JSON"},
		{
			name: "an unknown field", req: bodyRequest(`{"slug":"billing","name":"B","owner":"me"}`, "application/json"),
			status: http.StatusBadRequest, code: "INVALID_JSON", check: detail("field", "owner"),
		},
		{
			name: "a field named in another case", req: bodyRequest(`{"SLUG":"billing","name":"B"}`, "application/json"),
			status: http.StatusBadRequest, code: "INVALID_JSON", check: detail("field", "SLUG"),
		},
		{
			name: "a repeated field", req: bodyRequest(`{"slug":"billing","name":"B","slug":"other"}`, "application/json"),
			status: http.StatusBadRequest, code: "INVALID_JSON", check: detail("field", "slug"),
		},
		{name: "a body that is not UTF-8", req: bodyRequest("{\"slug\":\"billing\",\"name\":\"\xff\"}", "application/json"), status: http.StatusBadRequest, code: "INVALID_JSON"},
		{name: "trailing data", req: bodyRequest(valid+`{"x":1}`, "application/json"), status: http.StatusBadRequest, code: "INVALID_JSON"},
		{name: "a trailing brace", req: bodyRequest(valid+`}`, "application/json"), status: http.StatusBadRequest, code: "INVALID_JSON"},
		{name: "a field of the wrong type", req: bodyRequest(`{"slug":1,"name":"B"}`, "application/json"), status: http.StatusBadRequest, code: "VALIDATION_ERROR"},
		{
			name: "a body over 1 MiB", req: bodyRequest(`{"slug":"`+strings.Repeat("a", maxBodyBytes)+`"}`, "application/json"),
			status: http.StatusRequestEntityTooLarge, code: "PAYLOAD_TOO_LARGE",
		},
		{
			name: "a body over 1 MiB of unknown length",
			req: func() *http.Request {
				r := bodyRequest(`{"slug":"`+strings.Repeat("a", maxBodyBytes)+`"}`, "application/json")()
				r.ContentLength = -1
				return r
			},
			status: http.StatusRequestEntityTooLarge, code: "PAYLOAD_TOO_LARGE",
		},
		{
			name: "exactly 1 MiB is read",
			req: func() *http.Request {
				padding := maxBodyBytes - len(valid)
				return bodyRequest(strings.Repeat(" ", padding)+valid, "application/json")()
			},
			setup: createOK, status: http.StatusCreated,
		},
	})
}

func TestUnknownNestedFieldIsRefused(t *testing.T) {
	a := newTestAPI(t)
	rec := a.serve(t, userRequest(http.MethodPatch, "/api/v1/assets/billing/environments/prod",
		`{"set":{"db":{"host":{"value":"h","ttl":5}}}}`))
	if rec.Code != http.StatusBadRequest || decodeErrorBody(t, rec).Details["field"] != "ttl" {
		t.Errorf("answer = %d %s", rec.Code, rec.Body)
	}
}

// TestAmbiguousChangeSetsAreRefused covers bodies that encoding/json decodes
// by silently picking one reading: a secret flag spelled twice, a repeated
// object or key, a repeated member inside a value.
func TestAmbiguousChangeSetsAreRefused(t *testing.T) {
	cases := []struct {
		name, body, field string
	}{
		{"secret flag in two cases", `{"set":{"db":{"pw":{"value":"x","secret":true,"Secret":false}}}}`, "set.db.pw.Secret"},
		{"value in another case", `{"set":{"db":{"pw":{"VALUE":"x"}}}}`, "set.db.pw.VALUE"},
		{"repeated secret flag", `{"set":{"db":{"pw":{"value":"x","secret":true,"secret":false}}}}`, "set.db.pw.secret"},
		{"repeated secret flag, escaped", `{"set":{"db":{"pw":{"value":"x","secret":true,"\u0073ecret":false}}}}`, "set.db.pw.secret"},
		{"repeated object", `{"set":{"db":{"a":{"value":1}},"db":{"b":{"value":2}}}}`, "set.db"},
		{"repeated key", `{"set":{"db":{"a":{"value":1},"a":{"value":2}}}}`, "set.db.a"},
		{"repeated member inside a value", `{"set":{"db":{"a":{"value":{"port":1,"port":2}}}}}`, "set.db.a.value.port"},
		{"repeated member inside an array value", `{"set":{"db":{"a":{"value":[{"x":1,"x":2}]}}}}`, "set.db.a.value.x"},
		{"repeated unset object", `{"unset":{"db":["a"],"db":["b"]}}`, "unset.db"},
		// A wrong-case or repeated member is the answer even when a value
		// inside it has the wrong type (found by FuzzChangeSetBody).
		{"wrong-case member around a type error", `{"seT":[0]}`, "seT"},
		{"wrong-case member around a deep type error", `{"set":{"db":{"pw":{"Secret":"yes"}}}}`, "set.db.pw.Secret"},
		{"repeated member before a type error", `{"message":"a","message":"b","set":[]}`, "message"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newTestAPI(t)
			a.catalog.applyChangeSet = func(domain.Actor, string, string, domain.ChangeSet) (catalog.EnvironmentValues, error) {
				t.Error("an ambiguous change set reached the core")
				return catalog.EnvironmentValues{}, nil
			}
			rec := a.serve(t, userRequest(http.MethodPatch, "/api/v1/assets/billing/environments/prod", tc.body))
			e := decodeErrorBody(t, rec)
			if rec.Code != http.StatusBadRequest || e.Code != "INVALID_JSON" || e.Details["field"] != tc.field {
				t.Errorf("answer = %d %s, want 400 INVALID_JSON naming %s", rec.Code, rec.Body, tc.field)
			}
		})
	}
}

func TestUnambiguousChangeSetIsAccepted(t *testing.T) {
	a := newTestAPI(t)
	var got domain.ChangeSet
	a.catalog.applyChangeSet = func(_ domain.Actor, _, _ string, cs domain.ChangeSet) (catalog.EnvironmentValues, error) {
		got = cs
		return catalog.EnvironmentValues{Asset: "billing", Environment: "prod", Version: 3}, nil
	}
	body := `{"message":"m","expected_version":2,"set":{"db":{"pw":{"value":{"a":[{"a":1}],"A":2},"secret":true}}},"unset":{"db":["old","old"]}}`
	rec := a.serve(t, userRequest(http.MethodPatch, "/api/v1/assets/billing/environments/prod", body))
	if rec.Code != http.StatusOK || !got.Set["db"]["pw"].Secret || string(got.Set["db"]["pw"].Value) != `{"a":[{"a":1}],"A":2}` {
		t.Errorf("answer = %d %s, change set %+v", rec.Code, rec.Body, got)
	}
}

func TestJSONTypeNames(t *testing.T) {
	cases := []struct {
		field string
		body  string
		want  string
	}{
		{"message", `{"message":1}`, "must be a string"},
		{"expected_version", `{"expected_version":1.5}`, "must be an integer"},
		{"expected_version", `{"expected_version":"1"}`, "must be an integer"},
		{"set", `{"set":[]}`, "must be an object"},
		// encoding/json names nested fields without the map keys between
		// them; the answer names the full path.
		{"unset.db", `{"unset":{"db":"k"}}`, "must be an array"},
		{"unset.db", `{"unset":{"db":[1]}}`, "must be a string"},
		{"unset.cache", `{"unset":{"db":["a"],"cache":["b",{"c":1}]}}`, "must be a string"},
		{"set.db", `{"set":{"db":[]}}`, "must be an object"},
		{"set.db.k", `{"set":{"db":{"k":"v"}}}`, "must be an object"},
		{"set.db.k.secret", `{"set":{"db":{"k":{"value":1,"secret":"yes"}}}}`, "must be a boolean"},
		{"set.database.k.secret", `{"set":{"db":{"a":{"value":{"x":[1,{"y":2}]},"secret":true}},"database":{"j":{"value":"s"},"k":{"secret":1}}}}`, "must be a boolean"},
		{"set.database.k.secret", "{ \"set\" : { \"database\" : { \"k\" : { \"secret\" : [ ] } } } }", "must be a boolean"},
		{"set.d.b.k.secret", `{"set":{"d.b":{"k":{"secret":null,"value":"x"}},"d":{"b.k":{"secret":"no"}}}}`, "must be a boolean"},
		{"expected_version", `{"set":{"db":{"k":{"value":"x"}}},"expected_version":{}}`, "must be an integer"},
	}
	for _, tc := range cases {
		t.Run(tc.body, func(t *testing.T) {
			a := newTestAPI(t)
			rec := a.serve(t, userRequest(http.MethodPatch, "/api/v1/assets/billing/environments/prod", tc.body))
			fields, _ := decodeErrorBody(t, rec).Details["fields"].(map[string]any)
			if rec.Code != http.StatusBadRequest || fields[tc.field] != tc.want {
				t.Errorf("answer = %d %s, want %s: %s", rec.Code, rec.Body, tc.field, tc.want)
			}
		})
	}
}

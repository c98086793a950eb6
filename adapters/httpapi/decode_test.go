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
		// encoding/json names nested fields without the map keys between them.
		{"unset", `{"unset":{"db":"k"}}`, "must be an array"},
		{"set.secret", `{"set":{"db":{"k":{"value":1,"secret":"yes"}}}}`, "must be a boolean"},
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

package e2etest

import (
	"net/http"
	"testing"
)

// errorJSON is a valid error body of the contract.
const errorJSON = `{"error":{"code":"NOT_FOUND","message":"No route.","details":{},"request_id":"r1",
	"documentation_url":"https://docs.configmat.io/errors/NOT_FOUND"}}`

func TestContractCheck(t *testing.T) {
	c := LoadContract(t)
	jsonHeader := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"r1"}}
	cases := []struct {
		name         string
		method, path string
		status       int
		header       http.Header
		body         string
		ok           bool
	}{
		{"a documented answer", "GET", "/health", 200, jsonHeader, `{"status":"ok"}`, true},
		{"a trailing slash", "GET", "/api/v1/environments/", 200, jsonHeader, `{"environments":[{"name":"local","position":1}]}`, true},
		{"a path parameter", "GET", "/api/v1/assets/billing/environments/stage", 200, jsonHeader,
			`{"asset":"billing","environment":"stage","version":1,"values":{"db":{"host":{"value":"h","secret":false},"pw":{"secret":true}}}}`, true},
		{"a documented error", "GET", "/api/v1/assets/nope", 404, jsonHeader,
			`{"error":{"code":"ASSET_NOT_FOUND","message":"m","details":{"asset_slug":"nope"},"request_id":"r1","documentation_url":"https://docs.configmat.io/errors/ASSET_NOT_FOUND"}}`, true},
		{"a missing required field", "GET", "/api/v1/environments", 200, jsonHeader, `{"envs":[]}`, false},
		{"a field of the wrong type", "GET", "/api/v1/environments", 200, jsonHeader, `{"environments":[{"name":"local","position":"1"}]}`, false},
		{"an undocumented status", "GET", "/health", 418, jsonHeader, `{"status":"ok"}`, false},
		{"an undocumented content type", "GET", "/health", 200, http.Header{"Content-Type": {"text/plain"}}, `ok`, false},
		{"an unknown error code", "GET", "/api/v1/assets/nope", 404, jsonHeader,
			`{"error":{"code":"GONE","message":"m","details":{},"request_id":"r1","documentation_url":"https://docs.configmat.io/errors/GONE"}}`, false},
		{"an unknown path with the error body", "GET", "/api/v1/nope", 404, jsonHeader, errorJSON, true},
		{"an unknown path answered 200", "GET", "/api/v1/nope", 200, jsonHeader, `{}`, false},
		{"an unknown path without the error body", "GET", "/api/v1/nope", 404, jsonHeader, `{"message":"not found"}`, false},
		{"an unknown path answered in text", "GET", "/api/v1/nope", 404, http.Header{"Content-Type": {"text/plain"}}, "404 page not found", false},
		{"a missing method with the error body", "PUT", "/api/v1/assets", 405, jsonHeader,
			`{"error":{"code":"METHOD_NOT_ALLOWED","message":"m","details":{},"request_id":"r1","documentation_url":"https://docs.configmat.io/errors/METHOD_NOT_ALLOWED"}}`, true},
		{"a missing method answered 404", "PUT", "/api/v1/assets", 404, jsonHeader, errorJSON, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, "http://127.0.0.1:1"+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = c.Check(req, tc.status, tc.header, []byte(tc.body))
			if (err == nil) != tc.ok {
				t.Errorf("Check = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestContractOperation(t *testing.T) {
	c := LoadContract(t)
	cases := []struct{ method, path, want string }{
		{"GET", "/api/v1/assets/billing/values?environment=prod", "GET /api/v1/assets/{slug}/values"},
		{"DELETE", "/api/v1/members/u1/", "DELETE /api/v1/members/{user_id}"},
		{"GET", "/health", "GET /health"},
		{"PUT", "/api/v1/assets", ""},
		{"GET", "/api/v1/nope", ""},
	}
	for _, tc := range cases {
		req, err := http.NewRequest(tc.method, "http://127.0.0.1:1"+tc.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Operation(req); got != tc.want {
			t.Errorf("Operation(%s %s) = %q, want %q", tc.method, tc.path, got, tc.want)
		}
	}
}

package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRefuseCrossOrigin(t *testing.T) {
	tests := []struct {
		name, method string
		header       []string
		refused      bool
	}{
		{"foreign origin", http.MethodPost, []string{"Origin", "https://evil.example"}, true},
		{"foreign origin, other port", http.MethodPatch, []string{"Origin", "http://example.com:8081"}, true},
		{"foreign origin on delete", http.MethodDelete, []string{"Origin", "https://evil.example"}, true},
		{"cross-site fetch", http.MethodPost, []string{"Sec-Fetch-Site", "cross-site"}, true},
		{"same-site fetch", http.MethodPut, []string{"Sec-Fetch-Site", "same-site"}, true},
		{"null origin", http.MethodPost, []string{"Origin", "null"}, true},
		{"own origin", http.MethodPost, []string{"Origin", "http://example.com"}, false},
		{"same-origin fetch", http.MethodPost, []string{"Sec-Fetch-Site", "same-origin", "Origin", "http://example.com"}, false},
		{"no browser headers (SDK, curl)", http.MethodPost, nil, false},
		{"read from another origin", http.MethodGet, []string{"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newTestAPI(t)
			body := ""
			if tt.method != http.MethodGet && tt.method != http.MethodDelete {
				body = `{"name":"Billing"}`
			}
			r := userRequest(tt.method, "http://example.com/api/v1/assets/billing", body, tt.header...)
			rec := httptest.NewRecorder()
			a.handler.ServeHTTP(rec, r)
			refused := rec.Code == http.StatusForbidden
			if refused != tt.refused {
				t.Fatalf("status %d (refused %v), want refused %v: %s", rec.Code, refused, tt.refused, rec.Body)
			}
			if !refused {
				return
			}
			var e struct {
				Error struct {
					Code      string `json:"code"`
					RequestID string `json:"request_id"`
				} `json:"error"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code != "PERMISSION_DENIED" || e.Error.RequestID == "" {
				t.Errorf("body %s, want PERMISSION_DENIED in the contract's format", rec.Body)
			}
			if calls := a.limiter.taken(); len(calls) != 0 {
				t.Errorf("a refused request reached the rate limiter: %v", calls)
			}
		})
	}
}

// fakeConsole answers its paths with their own name.
type fakeConsole struct{ paths []string }

func (c fakeConsole) Paths() []string { return c.paths }

func (c fakeConsole) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Console", r.URL.Path)
	w.WriteHeader(http.StatusOK)
}

func TestConsoleRoutes(t *testing.T) {
	a := newTestAPI(t, func(c *Config) {
		c.Console = fakeConsole{paths: []string{"/console", "/console/assets", "/console/static/app.js"}}
	})
	tests := []struct {
		method, path string
		status       int
		served       string
	}{
		{http.MethodGet, "/", http.StatusFound, ""},
		{http.MethodGet, "/console/", http.StatusOK, "/console"},
		{http.MethodGet, "/console", http.StatusOK, "/console"},
		{http.MethodHead, "/console/assets", http.StatusOK, "/console/assets"},
		{http.MethodGet, "/console/assets/", http.StatusOK, "/console/assets"},
		{http.MethodGet, "/console/static/app.js", http.StatusOK, "/console/static/app.js"},
		{http.MethodGet, "/console/unknown", http.StatusNotFound, ""},
		{http.MethodPost, "/console", http.StatusMethodNotAllowed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			a.handler.ServeHTTP(rec, newRequest(tt.method, tt.path, ""))
			if rec.Code != tt.status || rec.Header().Get("X-Console") != tt.served {
				t.Fatalf("status %d served %q, want %d %q", rec.Code, rec.Header().Get("X-Console"), tt.status, tt.served)
			}
			if tt.status == http.StatusFound && rec.Header().Get("Location") != "/console/" {
				t.Errorf("Location %q", rec.Header().Get("Location"))
			}
			if tt.status >= 400 && !json.Valid(rec.Body.Bytes()) {
				t.Errorf("error answer without the contract's body: %q", rec.Body)
			}
		})
	}
	if calls := a.limiter.taken(); len(calls) != 0 {
		t.Errorf("the console's files were rate limited: %v", calls)
	}
}

func TestNoConsoleNoRoute(t *testing.T) {
	a := newTestAPI(t)
	for _, p := range []string{"/", "/console/"} {
		rec := httptest.NewRecorder()
		a.handler.ServeHTTP(rec, newRequest(http.MethodGet, p, ""))
		if rec.Code != http.StatusNotFound {
			t.Errorf("GET %s without a console: %d", p, rec.Code)
		}
	}
}

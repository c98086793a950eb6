package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// testUnroutedRequests checks that an unknown path answers 404 NOT_FOUND and
// a known path with a method it lacks 405 METHOD_NOT_ALLOWED, both with the
// contract's error body, with or without credentials and trailing slash.
func testUnroutedRequests(t *testing.T, st *stack) {
	fx := st.newTenant(t)
	cases := []struct {
		name   string
		c      *client
		method string
		path   string
		status int
		code   string
	}{
		{"unknown path under the API", st.anonymous(), http.MethodGet, "/api/v1/nope", http.StatusNotFound, "NOT_FOUND"},
		{"unknown path at the root", st.anonymous(), http.MethodGet, "/nope", http.StatusNotFound, "NOT_FOUND"},
		{"unknown path as a user", fx.owner, http.MethodGet, "/api/v1/assets/x/nope", http.StatusNotFound, "NOT_FOUND"},
		{"unknown path with a trailing slash", fx.owner, http.MethodPost, "/api/v1/nope/", http.StatusNotFound, "NOT_FOUND"},
		{"unknown console page", st.anonymous(), http.MethodGet, "/console/nope", http.StatusNotFound, "NOT_FOUND"},
		{"PUT on a collection", fx.owner, http.MethodPut, "/api/v1/assets", http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED"},
		{"PUT with a trailing slash", fx.owner, http.MethodPut, "/api/v1/assets/", http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED"},
		{"DELETE on /me", fx.owner, http.MethodDelete, "/api/v1/me", http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED"},
		{"POST on the health check", st.anonymous(), http.MethodPost, "/health", http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED"},
		{"GET on login", st.anonymous(), http.MethodGet, "/api/v1/auth/login", http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED"},
		{"POST on an asset", fx.owner, http.MethodPost, "/api/v1/assets/some-app", http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.c.send(t, request{method: tc.method, path: tc.path}).wantError(t, tc.status, tc.code)
		})
	}
}

// testRequestIDs checks X-Request-ID on successes and errors: a sane client
// ID is echoed (and is the error body's request_id), an insane one is
// replaced by a sane new one, and without one each answer gets a new one.
func testRequestIDs(t *testing.T, st *stack) {
	fx := st.newTenant(t)
	insane := []string{
		"has spaces",
		"<script>alert(1)</script>",
		strings.Repeat("a", 129),
		"quote\"and'semicolon;",
		"line\tbreak",
	}
	type call struct {
		name   string
		c      *client
		method string
		path   string
		status int
	}
	calls := []call{
		{"health", st.anonymous(), http.MethodGet, "/health", http.StatusOK},
		{"a tenant route", fx.owner, http.MethodGet, "/api/v1/assets", http.StatusOK},
		{"an error", fx.owner, http.MethodGet, "/api/v1/assets/nonexistent", http.StatusNotFound},
		{"an unknown route", st.anonymous(), http.MethodGet, "/api/v1/nope", http.StatusNotFound},
		{"a wrong method", st.anonymous(), http.MethodPut, "/api/v1/me", http.StatusMethodNotAllowed},
		{"no credentials", st.anonymous(), http.MethodGet, "/api/v1/assets", http.StatusUnauthorized},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			sane := "e2e-" + randomHex(8) + ".Trace_1"
			r := c.c.send(t, request{method: c.method, path: c.path, headers: map[string]string{"X-Request-ID": sane}}).want(t, c.status)
			if got := r.header.Get("X-Request-ID"); got != sane {
				t.Errorf("sane X-Request-ID %q answered %q", sane, got)
			}
			for _, bad := range insane {
				r := c.c.send(t, request{method: c.method, path: c.path, headers: map[string]string{"X-Request-ID": bad}}).want(t, c.status)
				if got := r.header.Get("X-Request-ID"); got == bad || !saneRequestID.MatchString(got) {
					t.Errorf("insane X-Request-ID %q answered %q, want a new sane one", bad, got)
				}
			}
			a := c.c.send(t, request{method: c.method, path: c.path}).want(t, c.status)
			b := c.c.send(t, request{method: c.method, path: c.path}).want(t, c.status)
			if a.header.Get("X-Request-ID") == b.header.Get("X-Request-ID") {
				t.Errorf("two requests without an ID both answered %q", a.header.Get("X-Request-ID"))
			}
		})
	}
}

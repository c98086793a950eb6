package httpapi

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/gorilla/mux"

	"github.com/configmat/configmat/core/catalog"
	"github.com/configmat/configmat/core/domain"
)

// TestPollRouteMatchesTheRouter: for every method and path, withPollRoute
// takes a request exactly when the router would match it to the polled
// route, with the same {slug}, so that bypassing the router changes nothing.
func TestPollRouteMatchesTheRouter(t *testing.T) {
	s := newServer(Config{Catalog: &fakeCatalog{}, Identity: &fakeIdentity{}, Audit: &fakeAudit{}})
	router := s.router()
	pollTemplate := s.routes()[0].path
	paths := []string{
		"/api/v1/assets/web/values", "/api/v1/assets/web/values/", "/api/v1/assets//values", "/api/v1/assets/values",
		"/api/v1/assets/a/b/values", "/api/v1/assets/a%2Fb/values", "/api/v1/assets/%61pi/values", "/api/v1/assets/x/valuesx",
		"/api/v1/assets/x/value", "/api/v1/assets/web", "/api/v1/assets/web/environments/prod", "/api/v2/assets/web/values",
		"/api/v1/assets/web/values?environment=prod", "/API/v1/assets/web/values", "/api/v1/assets/%20/values",
		"/api/v1/assets/-/values", "/api/v1/assets/%2F/values", "/api/v1/assets/a.b_c~d/values", "/api/v1/assets/%E6%97%A5/values",
	}
	methods := []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPatch, http.MethodDelete, http.MethodOptions}
	for _, path := range paths {
		for _, method := range methods {
			r := httptest.NewRequest(method, path, nil)
			var match mux.RouteMatch
			routed := router.Match(r, &match) && match.MatchErr == nil && match.Route != nil
			template := ""
			if routed {
				template, _ = match.Route.GetPathTemplate()
			}
			wantPoll := routed && template == pollTemplate
			slug, gotPoll := pollSlug(r.URL.EscapedPath())
			gotPoll = gotPoll && method == http.MethodGet
			if gotPoll != wantPoll || (wantPoll && slug != match.Vars["slug"]) {
				t.Errorf("%s %s: poll route %v with slug %q; the router: %v with slug %q", method, path, gotPoll, slug, wantPoll, match.Vars["slug"])
			}
		}
	}
}

// TestConcurrentPolls: polls answered at once from many goroutines (run with
// -race) each get their own request ID, rate-limit headers and access line:
// the request state, the pooled access entries and the shared header values
// are never shared between requests.
func TestConcurrentPolls(t *testing.T) {
	a := newTestAPI(t)
	a.catalog.resolve = func(domain.Actor, string, string) (catalog.Resolved, error) { return resolvedConfig, nil }
	const workers, polls = 8, 50
	ids := make(chan string, workers*polls)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range polls {
				rec := httptest.NewRecorder()
				a.handler.ServeHTTP(rec, get("/api/v1/assets/billing/values?environment=prod")())
				if rec.Code != http.StatusOK || rec.Header().Get("X-RateLimit-Limit") == "" {
					t.Errorf("answer %d with headers %v", rec.Code, rec.Header())
				}
				ids <- rec.Header().Get(requestIDHeader)
			}
		})
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		if seen[id] {
			t.Fatalf("request ID %q answered twice", id)
		}
		seen[id] = true
	}
	lines := a.logsWith("request")
	if len(lines) != workers*polls {
		t.Fatalf("%d access lines for %d requests", len(lines), workers*polls)
	}
	logged := map[any]bool{}
	for _, line := range lines {
		logged[line.Data["request_id"]] = true
	}
	if len(logged) != workers*polls {
		t.Errorf("%d distinct request IDs in %d access lines", len(logged), len(lines))
	}
}

// TestRoutingPathRecordsTheEncodedPath: the encoded path routingPath records
// in the request state, when it records one, is the one the next handler's
// URL gives (what withPollRoute would otherwise compute); and it records none
// when it rewrote the URL.
func TestRoutingPathRecordsTheEncodedPath(t *testing.T) {
	paths := []string{
		"/api/v1/assets/web/values", "/api/v1/assets/web/values/", "/api/v1/assets/a%2Fb/values", "/api/v1/assets/%61pi/values",
		"/api/v1/assets/%20/values", "/api/v1/assets/a.b_c~d/values", "/api/v1/assets/%E6%97%A5/values", "/api/v1/assets/%e6%97%a5/values",
		"/api/v1/assets/a%2fb/values", "/", "/health", "/api/v1/assets/web/values?environment=prod",
	}
	for _, path := range paths {
		var recorded, seen string
		h := routingPath(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			recorded, seen = stateFrom(r.Context()).escapedPath, r.URL.EscapedPath()
		}))
		r, _ := withNewState(httptest.NewRequest(http.MethodGet, path, nil))
		sent := r.URL.EscapedPath()
		h.ServeHTTP(httptest.NewRecorder(), r)
		switch {
		case seen == sent && recorded != sent:
			t.Errorf("%s: the path was kept as %q but %q was recorded", path, sent, recorded)
		case seen != sent && recorded != "":
			t.Errorf("%s: the path was rewritten to %q but %q was recorded", path, seen, recorded)
		}
	}
}

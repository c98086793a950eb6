package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gorilla/mux"
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

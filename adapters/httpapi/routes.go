package httpapi

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/mux"
)

// access says who may call a route and how it is rate limited.
type access int

const (
	// accessOpen: anyone, never rate limited (health checks).
	accessOpen access = iota
	// accessAnonymous: anyone, limited per client IP.
	accessAnonymous
	// accessUser: a user token, not tied to a tenant.
	accessUser
	// accessTenant: a user token acting in a tenant.
	accessTenant
	// accessTenantOrAPIKey: a user token acting in a tenant, or an API key.
	accessTenantOrAPIKey
)

// handlerFunc is a handler that returns its error instead of answering it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// route is one operation of the API.
type route struct {
	method  string
	path    string
	access  access
	handler handlerFunc
}

// apiBase is the base path of the API.
const apiBase = "/api/v1"

// routes lists every operation of the contract. The router tries them in
// order, so the hot path that SDKs poll comes first.
func (s *server) routes() []route {
	routes := []route{
		{http.MethodGet, apiBase + "/assets/{slug}/values", accessTenantOrAPIKey, s.resolve},
		{http.MethodGet, apiBase + "/assets/{slug}/values/watch", accessTenantOrAPIKey, s.watchStream},

		{http.MethodGet, "/health", accessOpen, s.getHealth},
		{http.MethodGet, "/health/detailed", accessOpen, s.getHealthDetailed},
		{http.MethodGet, apiBase + "/health", accessOpen, s.getHealth},
		{http.MethodGet, apiBase + "/health/detailed", accessOpen, s.getHealthDetailed},
		{http.MethodGet, apiBase + "/openapi.json", accessAnonymous, s.getOpenAPI},

		{http.MethodPost, apiBase + "/auth/register", accessAnonymous, s.register},
		{http.MethodPost, apiBase + "/auth/login", accessAnonymous, s.login},
		{http.MethodGet, apiBase + "/me", accessUser, s.getMe},

		{http.MethodGet, apiBase + "/environments", accessTenant, s.listEnvironments},
		{http.MethodPost, apiBase + "/environments", accessTenant, s.createEnvironment},

		{http.MethodGet, apiBase + "/assets", accessTenant, s.listAssets},
		{http.MethodPost, apiBase + "/assets", accessTenant, s.createAsset},
		{http.MethodGet, apiBase + "/assets/{slug}", accessTenant, s.getAsset},
		{http.MethodPatch, apiBase + "/assets/{slug}", accessTenant, s.updateAsset},
		{http.MethodDelete, apiBase + "/assets/{slug}", accessTenant, s.deleteAsset},
		{http.MethodGet, apiBase + "/assets/{slug}/environments/{env}", accessTenant, s.getValues},
		{http.MethodPatch, apiBase + "/assets/{slug}/environments/{env}", accessTenant, s.changeValues},
		{http.MethodPost, apiBase + "/assets/{slug}/promote", accessTenant, s.promote},
		{http.MethodGet, apiBase + "/assets/{slug}/versions", accessTenant, s.listVersions},
		{http.MethodGet, apiBase + "/assets/{slug}/versions/{n}", accessTenant, s.getVersion},
		{http.MethodPost, apiBase + "/assets/{slug}/rollback", accessTenant, s.rollback},
		{http.MethodGet, apiBase + "/assets/{slug}/compare", accessTenant, s.compare},
		{http.MethodGet, apiBase + "/assets/{slug}/schema", accessTenant, s.getSchema},
		{http.MethodPut, apiBase + "/assets/{slug}/schema", accessTenant, s.putSchema},
		{http.MethodDelete, apiBase + "/assets/{slug}/schema", accessTenant, s.deleteSchema},

		{http.MethodGet, apiBase + "/members", accessTenant, s.listMembers},
		{http.MethodPost, apiBase + "/members", accessTenant, s.addMember},
		{http.MethodPatch, apiBase + "/members/{user_id}", accessTenant, s.updateMember},
		{http.MethodDelete, apiBase + "/members/{user_id}", accessTenant, s.removeMember},

		{http.MethodGet, apiBase + "/api-keys", accessTenant, s.listAPIKeys},
		{http.MethodPost, apiBase + "/api-keys", accessTenant, s.createAPIKey},
		{http.MethodDelete, apiBase + "/api-keys/{id}", accessTenant, s.revokeAPIKey},

		{http.MethodGet, apiBase + "/audit", accessTenant, s.listAudit},
		{http.MethodGet, apiBase + "/audit/verify", accessTenant, s.verifyAudit},
		{http.MethodGet, apiBase + "/audit/checkpoint", accessTenant, s.auditCheckpoint},
		{http.MethodGet, apiBase + "/audit/proof/inclusion", accessTenant, s.auditInclusion},
		{http.MethodGet, apiBase + "/audit/proof/consistency", accessTenant, s.auditConsistency},
		{http.MethodGet, apiBase + "/audit/reads", accessTenant, s.auditReads},
	}
	if s.metrics != nil {
		routes = append(routes, route{http.MethodGet, metricsPath, accessOpen, s.getMetrics})
	}
	if s.console != nil {
		routes = append(routes, route{http.MethodGet, "/", accessOpen, redirectToConsole})
		for _, p := range s.console.Paths() {
			routes = append(routes, route{http.MethodGet, p, accessOpen, s.serveConsole})
		}
	}
	return routes
}

// consoleHome is where GET / sends a browser.
const consoleHome = "/console/"

// redirectToConsole answers GET / with a redirect to the console.
func redirectToConsole(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, consoleHome, http.StatusFound)
	return nil
}

// serveConsole answers one of the console's paths with the console.
func (s *server) serveConsole(w http.ResponseWriter, r *http.Request) error {
	s.console.ServeHTTP(w, r)
	return nil
}

// metricsPath is where the Prometheus metrics are served.
const metricsPath = "/metrics"

// getMetrics answers GET /metrics with the configured metrics handler.
func (s *server) getMetrics(w http.ResponseWriter, r *http.Request) error {
	s.metrics.ServeHTTP(w, r)
	return nil
}

// pollPrefix and pollSuffix frame the encoded path of the polled route,
// GET /api/v1/assets/{slug}/values.
const (
	pollPrefix = apiBase + "/assets/"
	pollSuffix = "/values"
)

// withPollRoute answers the route SDKs poll all day without the router: a
// GET whose encoded path is pollPrefix, one non-empty segment and
// pollSuffix is exactly what the router's first route,
// apiBase+"/assets/{slug}/values" ({slug} is [^/]+), matches, so poll (that
// route's guarded handler) answers it, with the slug in the request state;
// anything else goes to the router. It saves the router's regular
// expression and the two request copies it makes to carry its variables.
// The encoded path is the one routingPath recorded, when it kept the URL.
func (s *server) withPollRoute(router http.Handler) http.Handler {
	rt := s.routes()[0]
	if rt.method != http.MethodGet || rt.path != pollPrefix+"{slug}"+pollSuffix {
		panic("httpapi: the polled route must be the first route")
	}
	poll := s.guard(rt, s.handle(rt.handler))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if st, ok := lookupState(r.Context()); ok && r.Method == http.MethodGet {
			escaped := st.escapedPath
			if escaped == "" {
				escaped = r.URL.EscapedPath()
			}
			if slug, ok := pollSlug(escaped); ok {
				st.slug = slug
				poll.ServeHTTP(w, r)
				return
			}
		}
		router.ServeHTTP(w, r)
	})
}

// pollSlug returns the encoded {slug} of the polled route's path.
func pollSlug(escaped string) (string, bool) {
	if len(escaped) <= len(pollPrefix)+len(pollSuffix) ||
		!strings.HasPrefix(escaped, pollPrefix) || !strings.HasSuffix(escaped, pollSuffix) {
		return "", false
	}
	slug := escaped[len(pollPrefix) : len(escaped)-len(pollSuffix)]
	return slug, strings.IndexByte(slug, '/') < 0
}

// router registers every route. Paths are matched as sent (no cleaning, no
// redirect) and encoded (see routingPath), so that an encoded slash stays
// inside its segment; unknown paths and methods answer the contract's error
// body.
func (s *server) router() *mux.Router {
	r := mux.NewRouter()
	r.SkipClean(true)
	r.UseEncodedPath()
	for _, rt := range s.routes() {
		methods := []string{rt.method}
		if rt.access == accessOpen && rt.method == http.MethodGet {
			methods = append(methods, http.MethodHead) // uptime monitors probe with HEAD
		}
		r.Handle(rt.path, s.guard(rt, s.handle(rt.handler))).Methods(methods...)
	}
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		writeErrorBody(w, req, http.StatusNotFound, "NOT_FOUND", "No route matches the request path.", map[string]any{})
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		allowed := allowedMethods(r, req)
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeErrorBody(w, req, http.StatusMethodNotAllowed, string(kindMethodNotAllowed),
			"The route does not support this method.", map[string]any{"allowed_methods": allowed})
	})
	return r
}

// probedMethods are the methods tried to build an Allow header.
var probedMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// allowedMethods lists the methods the router accepts for req's path.
func allowedMethods(r *mux.Router, req *http.Request) []string {
	var allowed []string
	probe := req.Clone(req.Context())
	for _, m := range probedMethods {
		probe.Method = m
		var match mux.RouteMatch
		if r.Match(probe, &match) && match.MatchErr == nil {
			allowed = append(allowed, m)
		}
	}
	return allowed
}

// handle answers a handlerFunc's error through writeError.
func (s *server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// routingPath prepares the path the router matches. It routes on the
// encoded path, one segment at a time, so that /assets/billing%2Fenvironments
// is the asset "billing/environments" and never the environment route: each
// segment is decoded and encoded again in one canonical form (%61 is "a",
// %2F stays %2F), kept as the URL's RawPath, which the router matches and
// pathVar decodes once. It also makes a trailing slash optional on every
// route by removing one, instead of redirecting. A path it keeps as sent is
// recorded in the request state, so that withPollRoute does not encode it
// again.
func routingPath(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent := r.URL.EscapedPath()
		escaped := sent
		if len(escaped) > 1 {
			escaped = strings.TrimSuffix(escaped, "/")
		}
		path := escaped // without an escape, the path is its own encoding
		if strings.Contains(escaped, "%") {
			escaped, path = canonicalPath(escaped)
		}
		if escaped != sent {
			r2 := r.Clone(r.Context())
			r2.URL.Path, r2.URL.RawPath = path, escaped
			r = r2
		} else if st, ok := lookupState(r.Context()); ok {
			st.escapedPath = sent
		}
		next.ServeHTTP(w, r)
	})
}

// canonicalPath returns an encoded path with each segment decoded and
// encoded again by url.PathEscape, and the decoded path. A segment that does
// not decode (which Go's server refuses before any handler) is kept as is.
func canonicalPath(escaped string) (canonical, decoded string) {
	segments := strings.Split(escaped, "/")
	plain := make([]string, len(segments))
	for i, seg := range segments {
		text, err := url.PathUnescape(seg)
		if err != nil {
			text = seg
		}
		plain[i] = text
		segments[i] = url.PathEscape(text)
	}
	return strings.Join(segments, "/"), strings.Join(plain, "/")
}

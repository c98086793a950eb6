package e2e

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
)

// routeWorld is what the route cases act on: a tenant with an asset whose
// stage has two versions (the second with a secret) and an API key.
type routeWorld struct {
	st     *stack
	fx     *tenantFixture
	slug   string
	secret string
	key    apiKeyCreated
}

// routeCase is one route of API.md, called as its role requires.
type routeCase struct {
	route string
	// prepare returns a fresh request (mutations act on fresh resources, so
	// that the call with a trailing slash answers the same) and the client.
	prepare func(t *testing.T, w *routeWorld) (*client, request)
	status  int
	// check checks the answer's fields.
	check func(t *testing.T, w *routeWorld, r *response)
	// volatile answers differ between two calls (a timestamp), so the two
	// variants are compared by status only.
	volatile bool
}

// testRoutes calls every route of API.md with and without a trailing slash
// and checks the status, the field names and the values of each answer;
// two GETs of the same resource must answer the same body.
func testRoutes(t *testing.T, st *stack) {
	fx := st.newTenant(t)
	w := &routeWorld{st: st, fx: fx, slug: fx.newAsset(t), secret: st.secretValue()}
	fx.setValues(t, w.slug, "stage", objects{"database": {"host": plain("db.stage"), "port": plain(5432)}})
	fx.setValues(t, w.slug, "stage", objects{"database": {"password": secret(w.secret)}, "features": {"beta": plain(true)}})
	w.key = fx.newAPIKey(t, "")

	for _, rc := range routeCases() {
		t.Run(rc.route, func(t *testing.T) {
			var bodies [][]byte
			for _, slash := range []bool{false, true} {
				c, rq := rc.prepare(t, w)
				if slash {
					rq.path = withTrailingSlash(rq.path)
				}
				r := c.send(t, rq).want(t, rc.status)
				rc.check(t, w, r)
				bodies = append(bodies, r.body)
			}
			if !rc.volatile && isRead(rc.route) && !bytes.Equal(bodies[0], bodies[1]) {
				t.Errorf("the trailing slash changed the answer:\n%s\n%s", bodies[0], bodies[1])
			}
		})
	}
}

// isRead reports whether a route of the form "METHOD path" is a GET.
func isRead(route string) bool { return strings.HasPrefix(route, "GET ") }

// withTrailingSlash adds a slash to a path, before its query.
func withTrailingSlash(path string) string {
	p, q, found := strings.Cut(path, "?")
	if found {
		return p + "/?" + q
	}
	return p + "/"
}

// owner and anyone are the usual callers of the route cases.
func owner(w *routeWorld) *client  { return w.fx.owner }
func anyone(w *routeWorld) *client { return w.st.anonymous() }

func get(c func(*routeWorld) *client, path func(*routeWorld) string) func(*testing.T, *routeWorld) (*client, request) {
	return func(_ *testing.T, w *routeWorld) (*client, request) {
		return c(w), request{method: http.MethodGet, path: path(w)}
	}
}

func fixed(path string) func(*routeWorld) string { return func(*routeWorld) string { return path } }

// checkDetailedHealth checks GET /health/detailed: every check healthy and
// nothing that could be a secret, a DSN or a raw error.
func checkDetailedHealth(t *testing.T, w *routeWorld, r *response) {
	t.Helper()
	wantNoRateLimitHeaders(t, r)
	body := r.object(t)
	wantKeys(t, body, "status", "checks", "version", "timestamp")
	if body["status"] != "healthy" {
		t.Errorf("status %v, want healthy", body["status"])
	}
	if v, _ := body["version"].(string); v == "" {
		t.Error("version is empty")
	}
	if ts, _ := body["timestamp"].(string); !isRFC3339(ts) {
		t.Errorf("timestamp %q is not RFC 3339", ts)
	}
	checks, _ := body["checks"].(map[string]any)
	for _, name := range []string{"database", "cache", "encryption"} {
		c, _ := checks[name].(map[string]any)
		if c["status"] != "healthy" {
			t.Errorf("check %s is %v, want status healthy", name, checks[name])
		}
	}
	text := string(r.body)
	for _, leak := range []string{"postgres://", "postgresql://", "sqlite:", w.st.dir, "password"} {
		if strings.Contains(text, leak) {
			t.Errorf("the detailed health shows %q: %s", leak, text)
		}
	}
	w.st.rec.checkNoSecrets(t, "GET /health/detailed", text)
}

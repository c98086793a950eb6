package httpapi

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/configmat/configmat/core/catalog"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/watch"
	"github.com/configmat/configmat/ports"
)

// testNow is the fixed time of every test server.
var testNow = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// testAPI is the handler under test with its fakes and captured logs.
type testAPI struct {
	handler  http.Handler
	catalog  *fakeCatalog
	identity *fakeIdentity
	audit    *fakeAudit
	limiter  *fakeLimiter
	// watch is a real hub over the fake catalog's resolutions.
	watch *watch.Hub
	logs  *logtest.Hook
}

// newTestAPI builds a handler over fresh fakes, a limiter that allows
// everything, healthy checks and signup enabled; opts adjust the Config.
func newTestAPI(t *testing.T, opts ...func(*Config)) *testAPI {
	t.Helper()
	logger, hook := logtest.NewNullLogger()
	logger.SetLevel(logrus.DebugLevel)
	a := &testAPI{
		catalog:  &fakeCatalog{},
		identity: &fakeIdentity{},
		audit:    &fakeAudit{},
		limiter: &fakeLimiter{decision: ports.RateDecision{
			Limit: 100, Remaining: 99, Reset: testNow.Add(time.Hour), Allowed: true,
		}},
		logs: hook,
	}
	a.watch = watch.New(watch.Deps{Access: fakeAccess{}, Resolutions: fakeResolutions{a.catalog}, Retry: 10 * time.Millisecond})
	t.Cleanup(a.watch.Close)
	healthy := func(context.Context) (map[string]any, bool) { return map[string]any{"status": "healthy"}, true }
	cfg := Config{
		Catalog:     a.catalog,
		Identity:    a.identity,
		Audit:       a.audit,
		Limiter:     a.limiter,
		Logger:      logger,
		AllowSignup: true,
		Health:      map[string]HealthCheck{"database": healthy, "cache": healthy, "encryption": healthy},
		Version:     "1.2.3",
		Now:         func() time.Time { return testNow },
		ETagKey:     testETagKey,
		Watch:       a.watch,
	}
	for _, o := range opts {
		o(&cfg)
	}
	a.handler = New(cfg)
	return a
}

// fakeAccess lets every actor read its tenant's resolutions, with secrets.
type fakeAccess struct{}

func (fakeAccess) Access(actor domain.Actor, slug, env string) (ports.ResolutionKey, error) {
	return ports.ResolutionKey{Tenant: actor.TenantID, Asset: slug, Environment: env, WithSecrets: true}, nil
}

// fakeResolutions answers a watch hub's resolutions with the fake
// catalog's Resolve, as an API key of the tenant.
type fakeResolutions struct{ catalog *fakeCatalog }

func (f fakeResolutions) Resolve(ctx context.Context, k ports.ResolutionKey) (catalog.Resolved, ports.ReadSet, error) {
	r, err := f.catalog.Resolve(ctx, domain.Actor{TenantID: k.Tenant, APIKeyID: "watch"}, k.Asset, k.Environment)
	return r, r.Reads(), err
}

// testETagKey is the ETag key of the handler under test.
var testETagKey = []byte("an ETag key of thirty-two bytes!")

// keyedETag is the ETag of body under testETagKey.
func keyedETag(body []byte) string {
	mac := hmac.New(sha256.New, testETagKey)
	mac.Write(body)
	return `"` + hex.EncodeToString(mac.Sum(nil)) + `"`
}

// serve runs one request and checks its answer against the contract.
func (a *testAPI) serve(t *testing.T, r *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	loadContract(t)
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, r)
	checkContract(t, r, rec)
	return rec
}

// newRequest builds a request with a JSON body (when body is not empty) and
// the given header name/value pairs.
func newRequest(method, target, body string, header ...string) *http.Request {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, target, rd)
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	return r
}

// bearer is the Authorization header pair of the test user.
var bearer = []string{"Authorization", "Bearer " + userToken}

// userRequest is newRequest authenticated as the test user.
func userRequest(method, target, body string, header ...string) *http.Request {
	return newRequest(method, target, body, append(append([]string{}, bearer...), header...)...)
}

// logsWith returns the captured entries whose message is msg.
func (a *testAPI) logsWith(msg string) []*logrus.Entry {
	var out []*logrus.Entry
	for _, e := range a.logs.AllEntries() {
		if e.Message == msg {
			out = append(out, e)
		}
	}
	return out
}

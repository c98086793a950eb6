package bench

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/configmat/configmat/adapters/httpapi"
	"github.com/configmat/configmat/adapters/logging"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// The asset the read path serves: 100 keys (two secrets), about 4.3 KB of JSON.
const (
	readPathSlug = "web-api"
	readPathKeys = 100
)

// readPathFixture is a tenant with an asset and an API key, read through the
// core cached and fed as cmd/configmat wires it.
type readPathFixture struct {
	stack  *cachedStack
	owner  domain.Actor
	asset  domain.Asset
	apiKey string
}

// newReadPathFixture seeds store, then starts the cached core over it. The
// feed starts after the seeding commits, so that none of their
// notifications can arrive later and empty the warmed cache.
func newReadPathFixture(tb testing.TB, store feedStore) *readPathFixture {
	tb.Helper()
	kek := newKEK(tb)
	setup := newCore(tb, store, kek)
	owner := newTenant(tb, setup)
	asset := newAsset(tb, setup, owner, readPathSlug, readPathKeys)
	key, _ := newAPIKey(tb, setup, owner)
	return &readPathFixture{stack: newCachedStack(tb, store, kek), owner: owner, asset: asset, apiKey: key}
}

// serve starts the API with limiter (and the production logger: JSON at
// info, one access line per request, written to io.Discard) on a TCP
// listener on 127.0.0.1; it is closed when tb ends.
func (f *readPathFixture) serve(tb testing.TB, limiter ports.RateLimiter) *httptest.Server {
	tb.Helper()
	logger, err := logging.New(logging.Config{Out: io.Discard})
	if err != nil {
		tb.Fatalf("logger: %v", err)
	}
	c := f.stack.core
	return serveTCP(tb, httpapi.New(httpapi.Config{
		Catalog:  c.Catalog,
		Identity: c.Identity,
		Audit:    c.Audit,
		Limiter:  limiter,
		Logger:   logger,
		Version:  "bench",
	}))
}

// readPath is the path of the asset's resolved configuration.
const readPath = "/api/v1/assets/" + readPathSlug + "/values?environment=" + benchEnvironment

// serveTCP serves h on 127.0.0.1 with the production server's timeouts,
// until tb ends.
func serveTCP(tb testing.TB, h http.Handler) *httptest.Server {
	tb.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config = httpapi.NewServer(srv.Listener.Addr().String(), h)
	srv.Start()
	tb.Cleanup(srv.Close)
	return srv
}

// bareHandler answers every request with body, as the API answers the read
// path, and does nothing else: the ceiling of net/http on this machine.
func bareHandler(body []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
}

// change commits a change to the asset through the cached core, waits until
// the change feed has delivered it too, and returns the new version.
func (f *readPathFixture) change(t *testing.T) int {
	t.Helper()
	f.stack.drainDelivered()
	v, err := f.stack.core.Catalog.ApplyChangeSet(t.Context(), f.owner, readPathSlug, benchEnvironment, benchChange(1))
	if err != nil {
		t.Fatalf("ApplyChangeSet: %v", err)
	}
	f.stack.awaitDelivered(t, f.asset.ID)
	return v.Version
}

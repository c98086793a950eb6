package upgrade_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/configmat/configmat/adapters/httpapi"
	"github.com/configmat/configmat/adapters/logging"
	"github.com/configmat/configmat/adapters/ratelimit"
	"github.com/configmat/configmat/core"
)

// api is the new release's HTTP API over the upgraded store, answering in
// process: what it answers is what the old release answered, byte for byte
// up to JSON formatting.
type api struct{ h http.Handler }

// newAPI builds the API as cmd/configmat does, with limits no read reaches.
func newAPI(t *testing.T, c *core.Core) api {
	t.Helper()
	logger, err := logging.New(logging.Config{Out: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	rate, err := ratelimit.ParseRate("1000000000/minute")
	if err != nil {
		t.Fatal(err)
	}
	limiter := ratelimit.New(ratelimit.NewMemoryStore(), ratelimit.Rates{Anonymous: rate, User: rate, APIKey: rate, APIKeyBurst: rate})
	return api{h: httpapi.New(httpapi.Config{
		Catalog: c.Catalog, Identity: c.Identity, Audit: c.Audit, Watch: c.Watch, Limiter: limiter, Logger: logger, Version: "upgrade",
	})}
}

// credential is the headers of one caller.
type credential map[string]string

// asUser is a user's token in a tenant ("" for the routes of no tenant).
func asUser(token, tenant string) credential {
	c := credential{"Authorization": "Bearer " + token}
	if tenant != "" {
		c["X-Tenant"] = tenant
	}
	return c
}

// withAPIKey is an API key.
func withAPIKey(key string) credential { return credential{"X-API-Key": key} }

// get answers GET /api/v1 + path for the caller; anything but 200 is an
// error naming the answer.
func (a api) get(ctx context.Context, path string, as credential) (json.RawMessage, error) {
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/api/v1"+path, nil)
	for k, v := range as {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return nil, fmt.Errorf("GET %s answered %d: %s", path, rec.Code, rec.Body)
	}
	return rec.Body.Bytes(), nil
}

// reader returns the read of one case: path for the caller.
func (a api) reader(path string, as credential) func(ctx context.Context) (any, error) {
	return func(ctx context.Context) (any, error) { return a.get(ctx, path, as) }
}

// auditEntries lists the whole chain through GET /audit, page by page.
func (a api) auditEntries(t *testing.T, as credential) []json.RawMessage {
	t.Helper()
	var all []json.RawMessage
	after := "0"
	for {
		body, err := a.get(t.Context(), "/audit?limit=7&after_seq="+after, as)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Entries []json.RawMessage `json:"entries"`
			Next    *string           `json:"next_cursor"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatalf("GET /audit: %v", err)
		}
		all = append(all, page.Entries...)
		if page.Next == nil || len(page.Entries) == 0 {
			return all
		}
		if _, err := strconv.ParseInt(*page.Next, 10, 64); err != nil {
			t.Fatalf("audit cursor %q: %v", *page.Next, err)
		}
		after = *page.Next
	}
}

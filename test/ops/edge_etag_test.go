package ops

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/configmat/configmat/test/e2etest"
)

// TestETagIsKeyedAndEqualAcrossProcesses: the resolved config's ETag is no
// plain SHA-256 of its body (which holds a secret), is the same on two
// processes with one ENCRYPTION_KEY, and If-None-Match with it answers 304
// on either.
func TestETagIsKeyedAndEqualAcrossProcesses(t *testing.T) {
	p := startPair(t)
	acct := registerAccount(t, p.writer)
	acct.createAsset(t, "billing")
	acct.must(t, http.StatusOK, http.MethodPatch, apiBase+"/assets/billing/environments/local", map[string]any{
		"set": map[string]any{"database": map[string]any{
			"host":     map[string]any{"value": "db.internal"},
			"password": map[string]any{"value": "guess-me-" + randomHex(t, 4), "secret": true},
		}},
	})
	key := acct.createAPIKey(t, "sdk", "local")
	awaitVersion(t, p.reader, key.Key, 1, time.Now())

	etags := map[string]string{}
	var body []byte
	for name, srv := range map[string]*e2etest.Server{"writer": p.writer, "reader": p.reader} {
		resp, b := readWithKey(t, srv, key.Key, "billing", "local")
		requireStatus(t, resp, b, http.StatusOK)
		etags[name], body = resp.Header.Get("ETag"), b
	}
	if etags["writer"] == "" || etags["writer"] != etags["reader"] {
		t.Fatalf("ETags %v: want one ETag on both processes", etags)
	}
	etag := etags["writer"]
	sum := sha256.Sum256(body)
	for _, plain := range []string{hex.EncodeToString(sum[:]), base64.StdEncoding.EncodeToString(sum[:]), base64.RawURLEncoding.EncodeToString(sum[:])} {
		if strings.Contains(strings.ToLower(etag), strings.ToLower(plain)) {
			t.Fatalf("the ETag %s is the body's plain SHA-256", etag)
		}
	}
	for name, srv := range map[string]*e2etest.Server{"writer": p.writer, "reader": p.reader} {
		resp, b := srv.Do(t, http.MethodGet, valuesPath("billing", "local"), nil,
			map[string]string{"X-API-Key": key.Key, "If-None-Match": etag})
		if resp.StatusCode != http.StatusNotModified || len(b) != 0 || resp.Header.Get("ETag") != etag {
			t.Fatalf("%s: If-None-Match with the other process's ETag answered %d (ETag %q) %s, want 304 with no body", name, resp.StatusCode, resp.Header.Get("ETag"), b)
		}
	}
}

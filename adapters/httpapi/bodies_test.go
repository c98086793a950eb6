package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/configmat/configmat/core/catalog"
	"github.com/configmat/configmat/core/domain"
)

// resolvedAt is a resolution of asset "billing" (ID id) in prod at version,
// holding value as db.host.
func resolvedAt(id domain.AssetID, version int, withSecrets bool, value string) catalog.Resolved {
	return catalog.Resolved{
		Asset: "billing", Environment: "prod", Version: version, AssetID: id, WithSecrets: withSecrets,
		Config: map[string]map[string]json.RawMessage{"db": {"host": json.RawMessage(strconv.Quote(value))}},
	}
}

func TestResolvedBodiesEncodeOncePerIdentity(t *testing.T) {
	b := newResolvedBodies(100, 1<<20, testETagKey)
	first, err := b.answer(tenantID, resolvedAt("asset-1", 3, true, "a"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"asset":"billing","environment":"prod","version":3,"config":{"db":{"host":"a"}}}`
	if string(first.body) != want || first.etag != keyedETag([]byte(want)) {
		t.Fatalf("answer = %s with ETag %s", first.body, first.etag)
	}
	again, _ := b.answer(tenantID, resolvedAt("asset-1", 3, true, "a"))
	if again != first {
		t.Error("the same version was encoded twice")
	}
	others := []struct {
		name   string
		tenant domain.TenantID
		r      catalog.Resolved
	}{
		{"another version", tenantID, resolvedAt("asset-1", 4, true, "b")},
		{"without secrets", tenantID, resolvedAt("asset-1", 3, false, "c")},
		{"the asset deleted and created again with its slug", tenantID, resolvedAt("asset-2", 3, true, "d")},
		{"another tenant", "other-tenant", resolvedAt("asset-1", 3, true, "e")},
		{"another environment", tenantID, func() catalog.Resolved { r := resolvedAt("asset-1", 3, true, "f"); r.Environment = "stage"; return r }()},
	}
	for _, o := range others {
		got, err := b.answer(o.tenant, o.r)
		if err != nil {
			t.Fatal(err)
		}
		if got == first || string(got.body) == want {
			t.Errorf("%s: answered the body of another resolution: %s", o.name, got.body)
		}
	}
	if n := b.count(); n != 1+len(others) {
		t.Errorf("buffer holds %d answers, want %d", n, 1+len(others))
	}
}

func TestResolvedBodiesWithoutAssetIDAreNotKept(t *testing.T) {
	b := newResolvedBodies(100, 1<<20, testETagKey)
	one, _ := b.answer(tenantID, resolvedAt("", 3, true, "a"))
	two, _ := b.answer(tenantID, resolvedAt("", 3, true, "b"))
	if string(one.body) == string(two.body) || b.count() != 0 {
		t.Errorf("a resolution without identity was kept: %s, %s (%d kept)", one.body, two.body, b.count())
	}
}

func TestResolvedBodiesStayBounded(t *testing.T) {
	t.Run("entries", func(t *testing.T) {
		b := newResolvedBodies(3, 1<<20, testETagKey)
		for v := 1; v <= 10; v++ {
			if _, err := b.answer(tenantID, resolvedAt("asset-1", v, true, "x")); err != nil {
				t.Fatal(err)
			}
			if b.count() > 3 {
				t.Fatalf("after version %d the buffer holds %d answers, want at most 3", v, b.count())
			}
		}
		newest, _ := b.answer(tenantID, resolvedAt("asset-1", 10, true, "x"))
		if again, _ := b.answer(tenantID, resolvedAt("asset-1", 10, true, "x")); again != newest {
			t.Error("the newest version was evicted")
		}
	})
	t.Run("bytes", func(t *testing.T) {
		one, _ := encodeResolved(resolvedAt("asset-1", 1, true, "x"), testETagKey)
		size := entrySize(bodyKey{tenant: tenantID, asset: "asset-1", environment: "prod", version: 1, withSecrets: true}, one)
		b := newResolvedBodies(100, 2*size+size/2, testETagKey)
		for v := 1; v <= 5; v++ {
			_, _ = b.answer(tenantID, resolvedAt("asset-1", v, true, "x"))
			if b.count() > 2 || b.bytes > b.maxBytes {
				t.Fatalf("after version %d the buffer holds %d answers, %d bytes (bound %d)", v, b.count(), b.bytes, b.maxBytes)
			}
		}
	})
	t.Run("a body larger than the buffer", func(t *testing.T) {
		b := newResolvedBodies(100, 64, testETagKey)
		got, err := b.answer(tenantID, resolvedAt("asset-1", 1, true, "x"))
		if err != nil || len(got.body) == 0 || b.count() != 0 {
			t.Errorf("answer = %s, %v with %d kept; want the body, not kept", got.body, err, b.count())
		}
	})
	t.Run("a polled answer gets a second chance", func(t *testing.T) {
		b := newResolvedBodies(3, 1<<20, testETagKey)
		hot, _ := b.answer(tenantID, resolvedAt("hot", 1, true, "x"))
		for v := 1; v <= 10; v++ {
			_, _ = b.answer(tenantID, resolvedAt("cold", v, true, "x"))
			if got, _ := b.answer(tenantID, resolvedAt("hot", 1, true, "x")); got != hot {
				t.Fatalf("the polled answer was evicted after %d other versions", v)
			}
		}
	})
}

func TestResolvedBodiesConcurrentReaders(t *testing.T) {
	b := newResolvedBodies(8, 1<<20, testETagKey)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				v := (g + i) % 16
				got, err := b.answer(tenantID, resolvedAt("asset-1", v, true, strconv.Itoa(v)))
				if err != nil {
					t.Error(err)
					return
				}
				if want := fmt.Sprintf(`"version":%d,`, v); !json.Valid(got.body) || !bytes.Contains(got.body, []byte(want)) {
					t.Errorf("version %d answered %s", v, got.body)
					return
				}
			}
		}()
	}
	wg.Wait()
	if b.count() > 8 {
		t.Errorf("buffer holds %d answers, want at most 8", b.count())
	}
}

func TestResolvedBodiesHitAllocatesNothing(t *testing.T) {
	b := newResolvedBodies(100, 1<<20, testETagKey)
	r := resolvedAt("asset-1", 3, true, "a")
	if _, err := b.answer(tenantID, r); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = b.answer(tenantID, r) }); n != 0 {
		t.Errorf("a hit allocates %.0f times, want 0", n)
	}
}

func TestResolvedRouteServesTheBufferedAnswer(t *testing.T) {
	a := newTestAPI(t)
	id, value := domain.AssetID("asset-1"), "first"
	a.catalog.resolve = func(domain.Actor, string, string) (catalog.Resolved, error) {
		return resolvedAt(id, 3, true, value), nil
	}
	values := "/api/v1/assets/billing/values?environment=prod"
	first := a.serve(t, newRequest("GET", values, "", "X-API-Key", apiKeyText))
	value = "not read again: version 3 of asset-1 is immutable"
	second := a.serve(t, newRequest("GET", values, "", "X-API-Key", apiKeyText))
	if first.Code != http.StatusOK || second.Body.String() != first.Body.String() || second.Header().Get("ETag") != first.Header().Get("ETag") {
		t.Fatalf("the same version answered %s then %s", first.Body, second.Body)
	}
	id, value = "asset-2", "recreated"
	third := a.serve(t, newRequest("GET", values, "", "X-API-Key", apiKeyText))
	if want := `{"asset":"billing","environment":"prod","version":3,"config":{"db":{"host":"recreated"}}}`; third.Body.String() != want {
		t.Errorf("the recreated asset answered %s, want %s", third.Body, want)
	}
	notModified := a.serve(t, newRequest("GET", values, "", "X-API-Key", apiKeyText, "If-None-Match", third.Header().Get("ETag")))
	if notModified.Code != http.StatusNotModified {
		t.Errorf("If-None-Match with the buffered ETag answered %d", notModified.Code)
	}
}

func TestAReferencedValuesChangeIsAnotherAnswer(t *testing.T) {
	a := newTestAPI(t)
	shared := domain.AssetID("asset-shared")
	deps, value := []catalog.Dependency{{AssetID: shared, Version: 1}}, "from shared v1"
	a.catalog.resolve = func(domain.Actor, string, string) (catalog.Resolved, error) {
		r := resolvedAt("asset-1", 3, true, value)
		r.Dependencies = deps
		return r, nil
	}
	values := "/api/v1/assets/billing/values?environment=prod"
	first := a.serve(t, newRequest("GET", values, "", "X-API-Key", apiKeyText))
	// Version 3 again, but its reference read shared at version 2.
	deps, value = []catalog.Dependency{{AssetID: shared, Version: 2}}, "from shared v2"
	second := a.serve(t, newRequest("GET", values, "", "X-API-Key", apiKeyText))
	if first.Code != http.StatusOK || second.Code != http.StatusOK {
		t.Fatalf("answers %d, %d", first.Code, second.Code)
	}
	if second.Body.String() == first.Body.String() || second.Header().Get("ETag") == first.Header().Get("ETag") {
		t.Fatalf("a change of a referenced asset kept the answer %s and ETag %s", second.Body, second.Header().Get("ETag"))
	}
	stale := a.serve(t, newRequest("GET", values, "", "X-API-Key", apiKeyText, "If-None-Match", first.Header().Get("ETag")))
	if stale.Code != http.StatusOK {
		t.Errorf("the ETag of before the referenced change answered %d", stale.Code)
	}
}

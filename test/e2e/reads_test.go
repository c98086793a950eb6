package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// readsView is the answer of GET /audit/reads.
type readsView struct {
	Reads []struct {
		Actor       string    `json:"actor"`
		Asset       string    `json:"asset"`
		Environment string    `json:"environment"`
		Hour        time.Time `json:"hour"`
		Count       int64     `json:"count"`
		WithSecrets bool      `json:"with_secrets"`
	} `json:"reads"`
}

// readFlushBound is how soon the contract has a read in GET /audit/reads.
const readFlushBound = 10 * time.Second

// testReadAudit checks that reads of the resolved configuration by two API
// keys and a user appear in GET /audit/reads within 10 seconds, counted per
// actor, asset and environment, with whether secrets were included; that
// its filters apply; and that an editing view is no such read.
func testReadAudit(t *testing.T, st *stack) {
	fx := st.newTenant(t)
	slug, other := fx.newAsset(t), fx.newAsset(t)
	fx.setValues(t, slug, "prod", objects{"db": {"password": secret(st.secretValue())}})
	fx.setValues(t, other, "stage", objects{"a": {"k": plain(1)}})
	k1, k2 := fx.newAPIKey(t, ""), fx.newAPIKey(t, "")
	viewer := fx.join(t, "viewer")
	for range 3 {
		fx.sdk(k1.Key).get(t, resolvedPath(slug, "prod")).want(t, http.StatusOK)
	}
	fx.sdk(k2.Key).get(t, resolvedPath(slug, "prod")).want(t, http.StatusOK)
	viewer.get(t, resolvedPath(slug, "prod")).want(t, http.StatusOK)
	fx.owner.get(t, resolvedPath(other, "stage")).want(t, http.StatusOK)
	fx.owner.get(t, valuesPath(slug, "prod")).want(t, http.StatusOK) // an editing view: not counted
	sent := time.Now()

	want := map[string]struct {
		count   int64
		secrets bool
	}{
		"api_key:" + k1.ID + " " + slug + " prod":     {3, true},
		"api_key:" + k2.ID + " " + slug + " prod":     {1, true},
		"user:" + viewer.id + " " + slug + " prod":    {1, false},
		"user:" + fx.ownerID + " " + other + " stage": {1, true},
	}
	var got readsView
	deadline := sent.Add(readFlushBound)
	for {
		fx.owner.get(t, "/api/v1/audit/reads").want(t, http.StatusOK).decode(t, &got)
		seen := map[string]bool{}
		for _, r := range got.Reads {
			k := r.Actor + " " + r.Asset + " " + r.Environment
			if w, ok := want[k]; ok && r.Count == w.count && r.WithSecrets == w.secrets && r.Hour.Equal(r.Hour.Truncate(time.Hour)) {
				seen[k] = true
			}
		}
		if len(seen) == len(want) && len(got.Reads) == len(want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s after the reads, GET /audit/reads answers %+v; want %v", time.Since(sent).Round(time.Millisecond), got.Reads, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("the reads were listed %s after they were made", time.Since(sent).Round(100*time.Millisecond))

	fx.owner.get(t, fmt.Sprintf("/api/v1/audit/reads?asset=%s&environment=stage", other)).want(t, http.StatusOK).decode(t, &got)
	if len(got.Reads) != 1 || got.Reads[0].Asset != other {
		t.Errorf("filtered by asset and environment: %+v", got.Reads)
	}
	fx.owner.get(t, "/api/v1/audit/reads?since="+time.Now().Add(2*time.Hour).UTC().Format(time.RFC3339)).want(t, http.StatusOK).decode(t, &got)
	if len(got.Reads) != 0 {
		t.Errorf("since a later hour: %+v", got.Reads)
	}
	viewer.get(t, "/api/v1/audit/reads").wantError(t, http.StatusForbidden, "PERMISSION_DENIED")
}

package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/configmat/configmat/core/canonjson"
	"github.com/configmat/configmat/core/domain"
)

// auditCount returns the number of entries of fx's audit chain, as verified.
func auditCount(t *testing.T, fx *tenantFixture) int64 {
	t.Helper()
	var v auditVerification
	fx.owner.get(t, "/api/v1/audit/verify").want(t, http.StatusOK).decode(t, &v)
	if !v.Valid {
		t.Fatalf("the audit chain of %s is broken: %+v", fx.slug, v)
	}
	return v.Entries
}

// testAuditChain checks that every change appends exactly one entry (and a
// read, a dry run or a refused change none), that the chain lists oldest
// first from seq 1 with linked hashes, pages with after_seq and limit, and
// verifies over HTTP and with `configmat audit verify`.
func testAuditChain(t *testing.T, st *stack) {
	fx := st.newTenant(t)
	slug, doomed := fx.newAsset(t), fx.newAsset(t)
	var keyID, memberID string
	steps := []struct {
		name    string
		entries int64
		do      func(t *testing.T)
	}{
		{"create an asset", 1, func(t *testing.T) { fx.newAsset(t) }},
		{"rename an asset", 1, func(t *testing.T) {
			fx.owner.patch(t, assetPath(slug), map[string]string{"name": "Renamed"}).want(t, http.StatusOK)
		}},
		{"set values", 1, func(t *testing.T) {
			fx.setValues(t, slug, "stage", objects{"a": {"k": plain(1)}, "s": {"p": secret(st.secretValue())}})
		}},
		{"set values again", 1, func(t *testing.T) { fx.setValues(t, slug, "stage", objects{"a": {"k": plain(2)}}) }},
		{"promote", 1, func(t *testing.T) {
			fx.owner.post(t, assetPath(slug)+"/promote", map[string]any{"from": "stage", "to": "prod"}).want(t, http.StatusOK)
		}},
		{"roll back", 1, func(t *testing.T) {
			fx.owner.post(t, assetPath(slug)+"/rollback", map[string]any{"environment": "stage", "version": 1}).want(t, http.StatusOK)
		}},
		{"create an environment", 1, func(t *testing.T) {
			fx.owner.post(t, "/api/v1/environments", map[string]string{"name": unique("env")}).want(t, http.StatusCreated)
		}},
		{"create an API key", 1, func(t *testing.T) { keyID = fx.newAPIKey(t, "").ID }},
		{"revoke an API key", 1, func(t *testing.T) {
			fx.owner.del(t, "/api/v1/api-keys/"+keyID).want(t, http.StatusNoContent)
		}},
		{"add a member", 1, func(t *testing.T) { memberID = fx.join(t, "viewer").id }},
		{"change a member's role", 1, func(t *testing.T) {
			fx.owner.patch(t, "/api/v1/members/"+memberID, map[string]string{"role": "editor"}).want(t, http.StatusOK)
		}},
		{"remove a member", 1, func(t *testing.T) {
			fx.owner.del(t, "/api/v1/members/"+memberID).want(t, http.StatusNoContent)
		}},
		{"reads", 0, func(t *testing.T) {
			fx.owner.get(t, assetPath(slug)).want(t, http.StatusOK)
			fx.owner.get(t, valuesPath(slug, "stage")).want(t, http.StatusOK)
			fx.owner.get(t, resolvedPath(slug, "stage")).want(t, http.StatusOK)
			fx.owner.get(t, "/api/v1/audit").want(t, http.StatusOK)
		}},
		{"a dry run", 0, func(t *testing.T) {
			fx.owner.post(t, assetPath(slug)+"/promote", map[string]any{"from": "stage", "to": "prod", "dry_run": true}).want(t, http.StatusOK)
		}},
		{"refused changes", 0, func(t *testing.T) {
			fx.owner.post(t, "/api/v1/assets", map[string]string{"slug": slug, "name": "dup"}).wantError(t, http.StatusConflict, "ASSET_ALREADY_EXISTS")
			fx.owner.patch(t, valuesPath(slug, "stage"), map[string]any{"expected_version": 1, "set": objects{"a": {"k": plain(3)}}}).
				wantError(t, http.StatusConflict, "VERSION_CONFLICT")
		}},
		{"delete an asset", 1, func(t *testing.T) { fx.owner.del(t, assetPath(doomed)).want(t, http.StatusNoContent) }},
	}
	for _, s := range steps {
		before := auditCount(t, fx)
		s.do(t)
		if got := auditCount(t, fx) - before; got != s.entries {
			t.Errorf("%s appended %d audit entries, want %d", s.name, got, s.entries)
		}
	}
	total := auditCount(t, fx)

	var all []auditEntry
	for after, pages := int64(0), 0; ; pages++ {
		if pages > int(total) {
			t.Fatal("paging through the audit chain does not end")
		}
		var p auditPage
		fx.owner.get(t, fmt.Sprintf("/api/v1/audit?after_seq=%d&limit=3", after)).want(t, http.StatusOK).decode(t, &p)
		if len(p.Entries) > 3 {
			t.Fatalf("limit=3 answered %d entries", len(p.Entries))
		}
		all = append(all, p.Entries...)
		if p.NextCursor == nil {
			break
		}
		if len(p.Entries) == 0 {
			t.Fatal("an empty page has a next_cursor")
		}
		after = p.Entries[len(p.Entries)-1].Seq
	}
	if int64(len(all)) != total {
		t.Fatalf("paging listed %d entries, verify counts %d", len(all), total)
	}
	recomputeChain(t, fx)
	for i, e := range all {
		prev := domain.GenesisHash
		if i > 0 {
			prev = all[i-1].Hash
		}
		if e.Seq != int64(i+1) || e.PreviousHash != prev || len(e.Hash) != 64 || e.Action == "" || e.CreatedAt.IsZero() {
			t.Errorf("entry %d: %+v, want seq %d linked to %s", i, e, i+1, prev)
		}
	}

	var first auditPage
	fx.owner.get(t, "/api/v1/audit?limit=2").want(t, http.StatusOK).decode(t, &first)
	if len(first.Entries) != 2 || first.Entries[0].Seq != 1 || first.Entries[1].Seq != 2 || first.NextCursor == nil {
		t.Errorf("the first page of 2 is %+v", first)
	}
	var tail auditPage
	fx.owner.get(t, fmt.Sprintf("/api/v1/audit?after_seq=%d", total-1)).want(t, http.StatusOK).decode(t, &tail)
	if len(tail.Entries) != 1 || tail.Entries[0].Seq != total || tail.NextCursor != nil {
		t.Errorf("the page after seq %d is %+v, want only the last entry and no next_cursor", total-1, tail)
	}

	var v auditVerification
	fx.owner.get(t, "/api/v1/audit/verify").want(t, http.StatusOK).decode(t, &v)
	wantEqual(t, "verification", v, auditVerification{Valid: true, Entries: total, HeadHash: all[len(all)-1].Hash})

	code, stdout, stderr := st.run(t, "", "audit", "verify", "--tenant", fx.slug)
	if code != 0 {
		t.Errorf("configmat audit verify --tenant %s exited %d\nstdout: %s\nstderr: %s", fx.slug, code, stdout, stderr)
	}
	if !strings.Contains(stdout, fmt.Sprint(total)) {
		t.Errorf("configmat audit verify does not report the %d entries: %s", total, stdout)
	}
}

// recomputeChain re-derives every hash of fx's chain from GET /audit and the
// tenant's ID,
// as an auditor outside the service would: SHA-256 of the previous hash and
// the RFC 8785 canonical JSON of the entry's other fields, as listed.
func recomputeChain(t *testing.T, fx *tenantFixture) {
	t.Helper()
	type rawEntry struct {
		Seq          int64           `json:"seq"`
		Action       string          `json:"action"`
		Actor        string          `json:"actor"`
		Target       string          `json:"target"`
		Details      json.RawMessage `json:"details"`
		CreatedAt    string          `json:"created_at"`
		PreviousHash string          `json:"previous_hash"`
		Hash         string          `json:"hash"`
	}
	var page struct {
		Entries    []rawEntry `json:"entries"`
		NextCursor *string    `json:"next_cursor"`
	}
	fx.owner.get(t, "/api/v1/audit?limit=200").want(t, http.StatusOK).decode(t, &page)
	if len(page.Entries) == 0 {
		t.Fatal("no audit entries to recompute")
	}
	prev := domain.GenesisHash
	for _, e := range page.Entries {
		canonical, err := canonjson.Marshal(map[string]any{
			"action": e.Action, "actor": e.Actor, "created_at": e.CreatedAt, "details": e.Details,
			"seq": e.Seq, "target": e.Target, "tenant_id": fx.id,
		})
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(append([]byte(prev), canonical...))
		if got := hex.EncodeToString(sum[:]); e.PreviousHash != prev || got != e.Hash {
			t.Fatalf("entry %d: recomputed hash %s over %s, listed %s (previous %s, want %s)", e.Seq, got, canonical, e.Hash, e.PreviousHash, prev)
		}
		prev = e.Hash
	}
}

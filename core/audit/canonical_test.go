package audit

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/configmat/configmat/core/canonjson"
	"github.com/configmat/configmat/core/domain"
)

const vectorTenant domain.TenantID = "3f2b8c1e-9a4d-4e6f-b1c2-7d8e9f0a1b2c"

// vector is an entry with its canonical JSON and hash computed outside the
// code under test:
//
//	prev=$(printf '0%.0s' {1..64}); printf '%s%s' "$prev" "$canonical" | sha256sum
//
// chaining each hash into the next entry's prev.
type vector struct {
	entry     domain.AuditEntry
	canonical string
	hash      string
}

func vectors(t *testing.T) []vector {
	t.Helper()
	plus2 := time.FixedZone("UTC+2", 2*60*60)
	const user = "user:0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
	return []vector{
		{
			entry: domain.AuditEntry{
				TenantID: vectorTenant, Seq: 1, Action: "tenant.created", Actor: "system", Target: "tenant:acme",
				// Nanoseconds beyond the microsecond are not part of the canonical form.
				CreatedAt: time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.UTC),
			},
			canonical: `{"action":"tenant.created","actor":"system","created_at":"2026-03-14T15:09:26.535897Z","details":{},"seq":1,"target":"tenant:acme","tenant_id":"3f2b8c1e-9a4d-4e6f-b1c2-7d8e9f0a1b2c"}`,
			hash:      "4264bbe90ccadef1ce9a8f8fae5ee4a4df1400a0e43fb60c20260f3284649d01",
		},
		{
			entry: domain.AuditEntry{
				TenantID: vectorTenant, Seq: 2, Action: "asset.created", Actor: user, Target: "asset:web<&>api",
				Details:   json.RawMessage(`{"slug": "web-api", "name": "Caf\u00e9 ☕ é", "limits": {"ratio": 1.50, "big": 1E21, "zero": -0, "list": [1.0, "x\n", true, null]}}`),
				CreatedAt: time.Date(2026, 3, 14, 17, 9, 27, 1000, plus2),
			},
			canonical: `{"action":"asset.created","actor":"user:0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f","created_at":"2026-03-14T15:09:27.000001Z","details":{"limits":{"big":1e+21,"list":[1,"x\n",true,null],"ratio":1.5,"zero":0},"name":"Café ☕ é","slug":"web-api"},"seq":2,"target":"asset:web<&>api","tenant_id":"3f2b8c1e-9a4d-4e6f-b1c2-7d8e9f0a1b2c"}`,
			hash:      "4f5719e094ea4e53e9caa3b707547906b7f5b58b549f392353441f199b609e16",
		},
		{
			entry: domain.AuditEntry{
				TenantID: vectorTenant, Seq: 3, Action: "values.changed", Actor: user, Target: "asset:web-api/prod",
				// Members sort by UTF-16 code units: U+1F600 (D83D DE00) before U+FF61.
				Details:   json.RawMessage(`{"｡":"halfwidth","😀":"emoji","message":"d\u00e9j\u00e0 vu","ctl":"\u001F","a\"b":"q"}`),
				CreatedAt: time.Date(2026, 3, 14, 15, 10, 0, 0, time.UTC),
			},
			canonical: `{"action":"values.changed","actor":"user:0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f","created_at":"2026-03-14T15:10:00.000000Z","details":{"a\"b":"q","ctl":"\u001f","message":"déjà vu","😀":"emoji","｡":"halfwidth"},"seq":3,"target":"asset:web-api/prod","tenant_id":"3f2b8c1e-9a4d-4e6f-b1c2-7d8e9f0a1b2c"}`,
			hash:      "616e741566664895fbb8e2219346fc25702ab234857c87055fa34b0cc84cc08c",
		},
	}
}

// vectorChain returns the vectors as a stored chain.
func vectorChain(t *testing.T) []domain.AuditEntry {
	t.Helper()
	prev := domain.GenesisHash
	var chain []domain.AuditEntry
	for _, v := range vectors(t) {
		e := v.entry
		e.PreviousHash, e.Hash = prev, v.hash
		chain = append(chain, e)
		prev = v.hash
	}
	return chain
}

func TestCanonicalAndHashVectors(t *testing.T) {
	prev := domain.GenesisHash
	for _, v := range vectors(t) {
		t.Run(v.entry.Action, func(t *testing.T) {
			got, err := Canonical(v.entry)
			if err != nil {
				t.Fatalf("Canonical: %v", err)
			}
			if string(got) != v.canonical {
				t.Fatalf("Canonical =\n%s\nwant\n%s", got, v.canonical)
			}
			h, err := Hash(prev, v.entry)
			if err != nil {
				t.Fatalf("Hash: %v", err)
			}
			if h != v.hash {
				t.Fatalf("Hash = %s, want %s", h, v.hash)
			}
		})
		prev = v.hash
	}
	if got := VerifyEntries(vectorChain(t)); !got.Valid || got.Entries != 3 || got.HeadHash != prev {
		t.Fatalf("VerifyEntries(vectors) = %+v, want valid with 3 entries and head %s", got, prev)
	}
}

func TestCanonicalDetails(t *testing.T) {
	base := domain.AuditEntry{TenantID: vectorTenant, Seq: 7, Action: "a", Actor: "system", Target: "t", CreatedAt: time.Unix(0, 0)}
	const prefix = `{"action":"a","actor":"system","created_at":"1970-01-01T00:00:00.000000Z","details":`
	const suffix = `,"seq":7,"target":"t","tenant_id":"3f2b8c1e-9a4d-4e6f-b1c2-7d8e9f0a1b2c"}`
	tests := []struct {
		name    string
		details string
		want    string // "" when Canonical must fail
	}{
		{name: "absent", details: "", want: "{}"},
		{name: "blank", details: " \n", want: "{}"},
		{name: "null", details: "null", want: "{}"},
		{name: "empty object", details: " { } ", want: "{}"},
		{name: "unsorted with whitespace", details: `{ "b" : 2 , "a" : [ 1e2 ] }`, want: `{"a":[100],"b":2}`},
		{name: "array", details: `[1]`},
		{name: "string", details: `"x"`},
		{name: "number", details: `1`},
		{name: "invalid JSON", details: `{"a":}`},
		{name: "duplicate member", details: `{"a":1,"a":2}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := base
			e.Details = json.RawMessage(tt.details)
			got, err := Canonical(e)
			if tt.want == "" {
				if err == nil || !domain.IsKind(err, domain.KindInternal) {
					t.Fatalf("Canonical = %s, %v; want an internal error", got, err)
				}
				if _, err := Hash(domain.GenesisHash, e); err == nil {
					t.Fatal("Hash accepted details that Canonical refuses")
				}
				return
			}
			if err != nil {
				t.Fatalf("Canonical: %v", err)
			}
			if want := prefix + tt.want + suffix; string(got) != want {
				t.Fatalf("Canonical =\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestCanonicalRejectsInvalidUTF8(t *testing.T) {
	tests := []struct {
		name  string
		field string
		set   func(e *domain.AuditEntry)
	}{
		{name: "action", field: "action", set: func(e *domain.AuditEntry) { e.Action = "a\xff" }},
		{name: "actor", field: "actor", set: func(e *domain.AuditEntry) { e.Actor = "user:\xc3" }},
		{name: "target", field: "target", set: func(e *domain.AuditEntry) { e.Target = "\xed\xa0\x80" }},
		{name: "tenant", field: "tenant_id", set: func(e *domain.AuditEntry) { e.TenantID = "\x80" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := domain.AuditEntry{TenantID: vectorTenant, Seq: 1, Action: "a", Actor: "system", Target: "t"}
			tt.set(&e)
			if _, err := Canonical(e); err == nil || !strings.Contains(err.Error(), tt.field+" is not valid UTF-8") {
				t.Fatalf("error %v, want one naming %s", err, tt.field)
			}
		})
	}
}

// TestCanonicalEqualsWholeEntry checks the spliced canonical form against
// canonjson over the whole entry, with text fields that look like the
// details member and details that need canonicalizing.
func TestCanonicalEqualsWholeEntry(t *testing.T) {
	tricky := `,"details":{},"seq":`
	tests := []struct {
		name    string
		target  string
		details string
	}{
		{"details member in the target", "asset:" + tricky, `{"b":1,"a":[2e0,"x"]}`},
		{"escapes in the target", "a\"b\\c\n\u2028</>&", `{}`},
		{"nested details", "asset:web", `{"z":{"y":{"x":{}}},"a":"` + strings.ReplaceAll(tricky, `"`, `\"`) + `"}`},
		{"no details", "asset:web", ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := domain.AuditEntry{
				TenantID: vectorTenant, Seq: 42, Action: "values.changed", Actor: "user:" + tricky, Target: tt.target,
				Details: json.RawMessage(tt.details), CreatedAt: time.Date(2026, 12, 1, 12, 0, 0, 123456789, time.UTC),
			}
			got, err := Canonical(e)
			if err != nil {
				t.Fatalf("Canonical: %v", err)
			}
			details := json.RawMessage(tt.details)
			if tt.details == "" {
				details = json.RawMessage(`{}`)
			}
			whole, err := canonjson.Marshal(canonicalEntry{
				Action: e.Action, Actor: e.Actor, CreatedAt: e.CreatedAt.UTC().Format(CreatedAtLayout),
				Details: details, Seq: e.Seq, Target: e.Target, TenantID: string(e.TenantID),
			})
			if err != nil {
				t.Fatalf("canonjson.Marshal: %v", err)
			}
			if string(got) != string(whole) {
				t.Fatalf("Canonical = %s\nwant        %s", got, whole)
			}
		})
	}
}

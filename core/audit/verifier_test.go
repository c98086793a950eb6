package audit

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/configmat/configmat/core/domain"
)

// chain builds a valid chain of n entries with Hash, whose output the vector
// test pins.
func chain(t *testing.T, tenant domain.TenantID, n int) []domain.AuditEntry {
	t.Helper()
	prev := domain.GenesisHash
	entries := make([]domain.AuditEntry, 0, n)
	for i := 1; i <= n; i++ {
		e := domain.AuditEntry{
			TenantID: tenant, Seq: int64(i), Action: domain.ActionValuesChanged, Actor: "user:u1",
			Target:       fmt.Sprintf("asset:a%d", i),
			Details:      json.RawMessage(fmt.Sprintf(`{"n":%d}`, i)),
			CreatedAt:    time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC),
			PreviousHash: prev,
		}
		h, err := Hash(prev, e)
		if err != nil {
			t.Fatalf("Hash: %v", err)
		}
		e.Hash = h
		entries = append(entries, e)
		prev = h
	}
	return entries
}

// rehash recomputes the hash of entries[i] from its previous hash, as a forger
// with write access to the table would.
func rehash(t *testing.T, entries []domain.AuditEntry, i int) {
	t.Helper()
	h, err := Hash(entries[i].PreviousHash, entries[i])
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	entries[i].Hash = h
}

func TestVerifyEntries(t *testing.T) {
	const n = 5
	tests := []struct {
		name        string
		tamper      func(t *testing.T, c []domain.AuditEntry) []domain.AuditEntry
		wantSeq     int64
		wantReason  string
		wantEntries int64
	}{
		{name: "intact", tamper: func(t *testing.T, c []domain.AuditEntry) []domain.AuditEntry { return c }, wantEntries: 5},
		{name: "empty chain", tamper: func(t *testing.T, c []domain.AuditEntry) []domain.AuditEntry { return nil }},
		{
			name: "details changed",
			tamper: func(t *testing.T, c []domain.AuditEntry) []domain.AuditEntry {
				c[2].Details = json.RawMessage(`{"n":33}`)
				return c
			},
			wantSeq: 3, wantReason: ReasonHash, wantEntries: 3,
		},
		{
			name: "details reformatted only",
			tamper: func(t *testing.T, c []domain.AuditEntry) []domain.AuditEntry {
				c[2].Details = json.RawMessage(`{ "n" : 3.0 }`)
				return c
			},
			wantEntries: 5,
		},
		{
			name: "details no longer an object",
			tamper: func(t *testing.T, c []domain.AuditEntry) []domain.AuditEntry {
				c[2].Details = json.RawMessage(`[3]`)
				return c
			},
			wantSeq: 3, wantReason: ReasonHash, wantEntries: 3,
		},
		{
			name:    "actor changed",
			tamper:  func(t *testing.T, c []domain.AuditEntry) []domain.AuditEntry { c[1].Actor = "system"; return c },
			wantSeq: 2, wantReason: ReasonHash, wantEntries: 2,
		},
		{
			name: "time changed by a microsecond",
			tamper: func(t *testing.T, c []domain.AuditEntry) []domain.AuditEntry {
				c[4].CreatedAt = c[4].CreatedAt.Add(time.Microsecond)
				return c
			},
			wantSeq: 5, wantReason: ReasonHash, wantEntries: 5,
		},
		{
			name:    "moved to another tenant",
			tamper:  func(t *testing.T, c []domain.AuditEntry) []domain.AuditEntry { c[0].TenantID = "other"; return c },
			wantSeq: 1, wantReason: ReasonHash, wantEntries: 1,
		},
		{
			name:    "middle entry removed",
			tamper:  func(t *testing.T, c []domain.AuditEntry) []domain.AuditEntry { return slices.Delete(c, 2, 3) },
			wantSeq: 3, wantReason: ReasonSequenceGap, wantEntries: 3,
		},
		{
			name:    "first entry removed",
			tamper:  func(t *testing.T, c []domain.AuditEntry) []domain.AuditEntry { return c[1:] },
			wantSeq: 1, wantReason: ReasonSequenceGap, wantEntries: 1,
		},
		{
			name: "entry inserted with a duplicate seq",
			tamper: func(t *testing.T, c []domain.AuditEntry) []domain.AuditEntry {
				forged := c[2]
				forged.Target = "asset:forged"
				c = slices.Insert(c, 2, forged)
				rehash(t, c, 2)
				return c
			},
			// The forged entry passes as seq 3; the genuine seq 3 then sits where 4 belongs.
			wantSeq: 4, wantReason: ReasonSequenceGap, wantEntries: 4,
		},
		{
			name: "entry inserted and later ones renumbered",
			tamper: func(t *testing.T, c []domain.AuditEntry) []domain.AuditEntry {
				forged := c[2]
				forged.Target = "asset:forged"
				c = slices.Insert(c, 2, forged)
				rehash(t, c, 2)
				for i := 3; i < len(c); i++ {
					c[i].Seq++
				}
				return c
			},
			wantSeq: 4, wantReason: ReasonPreviousHash, wantEntries: 4,
		},
		{
			name: "entry inserted with a stale hash",
			tamper: func(t *testing.T, c []domain.AuditEntry) []domain.AuditEntry {
				forged := c[1]
				forged.Seq, forged.PreviousHash, forged.Target = 3, c[1].Hash, "asset:forged"
				c = slices.Insert(c, 2, forged)
				for i := 3; i < len(c); i++ {
					c[i].Seq++
				}
				return c
			},
			wantSeq: 3, wantReason: ReasonHash, wantEntries: 3,
		},
		{
			name: "two entries swapped",
			tamper: func(t *testing.T, c []domain.AuditEntry) []domain.AuditEntry {
				c[2], c[3] = c[3], c[2]
				return c
			},
			wantSeq: 3, wantReason: ReasonSequenceGap, wantEntries: 3,
		},
		{
			name: "two entries swapped and renumbered",
			tamper: func(t *testing.T, c []domain.AuditEntry) []domain.AuditEntry {
				c[2], c[3] = c[3], c[2]
				c[2].Seq, c[3].Seq = 3, 4
				return c
			},
			wantSeq: 3, wantReason: ReasonPreviousHash, wantEntries: 3,
		},
		{
			name:    "hash changed",
			tamper:  func(t *testing.T, c []domain.AuditEntry) []domain.AuditEntry { c[3].Hash = c[2].Hash; return c },
			wantSeq: 4, wantReason: ReasonHash, wantEntries: 4,
		},
		{
			name: "last hash changed",
			tamper: func(t *testing.T, c []domain.AuditEntry) []domain.AuditEntry {
				c[4].Hash = domain.GenesisHash
				return c
			},
			wantSeq: 5, wantReason: ReasonHash, wantEntries: 5,
		},
		{
			name: "previous hash changed",
			tamper: func(t *testing.T, c []domain.AuditEntry) []domain.AuditEntry {
				c[3].PreviousHash = c[0].Hash
				rehash(t, c, 3)
				return c
			},
			wantSeq: 4, wantReason: ReasonPreviousHash, wantEntries: 4,
		},
		{
			name: "first previous hash not genesis",
			tamper: func(t *testing.T, c []domain.AuditEntry) []domain.AuditEntry {
				c[0].PreviousHash = c[4].Hash
				rehash(t, c, 0)
				return c
			},
			wantSeq: 1, wantReason: ReasonPreviousHash, wantEntries: 1,
		},
		{
			name: "entry rewritten and rehashed",
			tamper: func(t *testing.T, c []domain.AuditEntry) []domain.AuditEntry {
				c[1].Details = json.RawMessage(`{"n":"rewritten"}`)
				rehash(t, c, 1)
				return c
			},
			// Entry 2 is self-consistent again; entry 3 still names its old hash.
			wantSeq: 3, wantReason: ReasonPreviousHash, wantEntries: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.tamper(t, chain(t, "t1", n))
			got := VerifyEntries(c)
			if tt.wantReason == "" {
				want := Verification{Valid: true, Entries: tt.wantEntries, HeadHash: domain.GenesisHash}
				if len(c) > 0 {
					want.HeadHash = c[len(c)-1].Hash
				}
				if got != want {
					t.Fatalf("VerifyEntries = %+v, want %+v", got, want)
				}
				return
			}
			want := Verification{Entries: tt.wantEntries, FirstInvalidSeq: tt.wantSeq, Reason: tt.wantReason}
			if got != want {
				t.Fatalf("VerifyEntries = %+v, want %+v", got, want)
			}
		})
	}
}

func TestVerifierStopsAtFirstBreak(t *testing.T) {
	c := chain(t, "t1", 4)
	c[1].Hash = c[0].Hash
	var v Verifier
	wantOK := []bool{true, false, false, false}
	for i, e := range c {
		if ok := v.Add(e); ok != wantOK[i] {
			t.Fatalf("Add(seq %d) = %v, want %v", e.Seq, ok, wantOK[i])
		}
	}
	want := Verification{Entries: 2, FirstInvalidSeq: 2, Reason: ReasonHash}
	if got := v.Result(); got != want {
		t.Fatalf("Result = %+v, want %+v", got, want)
	}
}

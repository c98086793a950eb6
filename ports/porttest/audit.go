package porttest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// fakeHash returns a 64-hex-character stand-in for the hash of entry seq; the
// store does not check hashes, the audit package does.
func fakeHash(seq int64) string { return fmt.Sprintf("%064x", seq*0x9e3779b9) }

// newEntry returns entry seq of tenant, chained to fakeHash(seq-1).
func newEntry(tenant domain.TenantID, seq int64, details string) domain.AuditEntry {
	prev := domain.GenesisHash
	if seq > 1 {
		prev = fakeHash(seq - 1)
	}
	return domain.AuditEntry{
		TenantID: tenant, Seq: seq, Action: domain.ActionAssetCreated, Actor: "user:" + fmt.Sprint(seq),
		Target: fmt.Sprintf("asset:a-%d", seq), Details: json.RawMessage(details),
		CreatedAt: at(200 + int(seq)), PreviousHash: prev, Hash: fakeHash(seq),
	}
}

// wantEntry fails t unless got has every field of want (details compared as
// JSON values).
func wantEntry(t *testing.T, got, want domain.AuditEntry) {
	t.Helper()
	if got.TenantID != want.TenantID || got.Seq != want.Seq || got.Action != want.Action || got.Actor != want.Actor ||
		got.Target != want.Target || got.PreviousHash != want.PreviousHash || got.Hash != want.Hash {
		t.Errorf("entry = %+v, want %+v", got, want)
	}
	if !sameJSON(t, got.Details, want.Details) {
		t.Errorf("entry %d details = %s, want %s", want.Seq, got.Details, want.Details)
	}
	wantTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
}

func testAudit(t *testing.T, open Opener) {
	tx := open(t)
	tenant := NewTenant(t, tx)
	in := func(t *testing.T, fn func(ctx context.Context, s ports.AuditStore) error) error {
		return tx.InTenant(t.Context(), tenant.ID, func(ctx context.Context, s ports.TenantTx) error { return fn(ctx, s.Audit()) })
	}
	wantHead := func(t *testing.T, seq int64, hash string) {
		t.Helper()
		mustNot(t, in(t, func(ctx context.Context, s ports.AuditStore) error {
			gotSeq, gotHash, err := s.LockHead(ctx)
			if gotSeq != seq || gotHash != hash {
				t.Errorf("LockHead = (%d, %s), want (%d, %s)", gotSeq, gotHash, seq, hash)
			}
			return err
		}))
	}
	entries := []domain.AuditEntry{
		newEntry(tenant.ID, 1, `{"slug":"a","nested":{"z":[1,2.5,"x"],"a":null},"ok":true}`),
		newEntry(tenant.ID, 2, `{}`),
		newEntry(tenant.ID, 3, `{"name":"h\u00e9 \"q\" \\ \n","n":-0.001}`),
	}

	t.Run("GenesisHead", func(t *testing.T) { wantHead(t, 0, domain.GenesisHash) })

	t.Run("AppendMovesHead", func(t *testing.T) {
		for _, e := range entries {
			mustNot(t, in(t, func(ctx context.Context, s ports.AuditStore) error {
				if _, _, err := s.LockHead(ctx); err != nil {
					return err
				}
				return s.Append(ctx, e)
			}))
			wantHead(t, e.Seq, e.Hash)
		}
	})

	t.Run("ListRoundTrip", func(t *testing.T) {
		cases := []struct {
			after int64
			limit int
			want  []domain.AuditEntry
		}{
			{0, 10, entries},
			{0, 2, entries[:2]},
			{1, 1, entries[1:2]},
			{2, 10, entries[2:]},
			{3, 10, nil},
		}
		for _, c := range cases {
			t.Run(fmt.Sprintf("After%dLimit%d", c.after, c.limit), func(t *testing.T) {
				mustNot(t, in(t, func(ctx context.Context, s ports.AuditStore) error {
					got, err := s.List(ctx, c.after, c.limit)
					mustNot(t, err)
					if len(got) != len(c.want) {
						t.Fatalf("List(%d, %d) returned %d entries, want %d", c.after, c.limit, len(got), len(c.want))
					}
					for i := range c.want {
						wantEntry(t, got[i], c.want[i])
					}
					return nil
				}))
			})
		}
	})

	t.Run("DuplicateSeq", func(t *testing.T) {
		err := in(t, func(ctx context.Context, s ports.AuditStore) error {
			if _, _, err := s.LockHead(ctx); err != nil {
				return err
			}
			return s.Append(ctx, newEntry(tenant.ID, 2, `{"again":true}`))
		})
		if err == nil {
			t.Fatal("appending an existing sequence number succeeded")
		}
		wantHead(t, 3, fakeHash(3))
	})

	t.Run("TryAppend", func(t *testing.T) {
		cases := []struct {
			name  string
			entry domain.AuditEntry
			want  bool
		}{
			{"PastTheHead", newEntry(tenant.ID, 5, `{}`), false},
			{"BehindTheHead", newEntry(tenant.ID, 3, `{}`), false},
			{"OtherPreviousHash", func() domain.AuditEntry {
				e := newEntry(tenant.ID, 4, `{}`)
				e.PreviousHash = fakeHash(99)
				return e
			}(), false},
			{"AtTheHead", newEntry(tenant.ID, 4, `{"tried":true}`), true},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				mustNot(t, in(t, func(ctx context.Context, s ports.AuditStore) error {
					got, err := s.TryAppend(ctx, c.entry)
					if got != c.want {
						t.Errorf("TryAppend(seq %d) = %v, want %v", c.entry.Seq, got, c.want)
					}
					if err != nil {
						return err
					}
					// The transaction goes on after a refusal.
					_, _, err = s.LockHead(ctx)
					return err
				}))
			})
		}
		wantHead(t, 4, fakeHash(4))
		mustNot(t, in(t, func(ctx context.Context, s ports.AuditStore) error {
			got, err := s.List(ctx, 3, 10)
			mustNot(t, err)
			if len(got) != 1 {
				t.Fatalf("after TryAppend, List(3, 10) returned %d entries, want 1", len(got))
			}
			wantEntry(t, got[0], cases[len(cases)-1].entry)
			return nil
		}))
		other := domain.TenantID(uuid.NewString())
		mustNot(t, tx.InTenant(t.Context(), other, func(ctx context.Context, s ports.TenantTx) error {
			got, err := s.Audit().TryAppend(ctx, newEntry(other, 1, `{}`))
			if got {
				t.Error("TryAppend for a tenant that does not exist appended")
			}
			return err
		}))
	})

	t.Run("LongDetails", func(t *testing.T) {
		long := newEntry(tenant.ID, 5, fmt.Sprintf(`{"text":%q}`, strings.Repeat("x", 70000)))
		mustNot(t, in(t, func(ctx context.Context, s ports.AuditStore) error { return s.Append(ctx, long) }))
		mustNot(t, in(t, func(ctx context.Context, s ports.AuditStore) error {
			got, err := s.List(ctx, 4, 1)
			mustNot(t, err)
			if len(got) != 1 {
				t.Fatalf("List(4, 1) returned %d entries", len(got))
			}
			wantEntry(t, got[0], long)
			return nil
		}))
	})
}

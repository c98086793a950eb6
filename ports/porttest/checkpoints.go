package porttest

import (
	"bytes"
	"context"
	"testing"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// hashOf returns a 32-byte stand-in hash filled with b.
func hashOf(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func testCheckpoints(t *testing.T, open Opener) {
	tx := open(t)
	tenant, other := NewTenant(t, tx), NewTenant(t, tx)
	in := func(t *testing.T, id domain.TenantID, fn func(ctx context.Context, s ports.AuditStore) error) error {
		return tx.InTenant(t.Context(), id, func(ctx context.Context, s ports.TenantTx) error { return fn(ctx, s.Audit()) })
	}
	checkpoint := func(t *testing.T, id domain.TenantID) domain.AuditCheckpoint {
		t.Helper()
		var cp domain.AuditCheckpoint
		mustNot(t, in(t, id, func(ctx context.Context, s ports.AuditStore) error {
			var err error
			cp, err = s.Checkpoint(ctx)
			return err
		}))
		return cp
	}
	nodes := func(t *testing.T, id domain.TenantID, places ...domain.AuditTreeNode) ([][]byte, error) {
		t.Helper()
		var got [][]byte
		err := in(t, id, func(ctx context.Context, s ports.AuditStore) error {
			var err error
			got, err = s.TreeNodes(ctx, places)
			return err
		})
		return got, err
	}
	appendEntry := func(t *testing.T, e domain.AuditEntry) {
		t.Helper()
		mustNot(t, in(t, tenant.ID, func(ctx context.Context, s ports.AuditStore) error {
			if _, _, err := s.LockHead(ctx); err != nil {
				return err
			}
			return s.Append(ctx, e)
		}))
	}

	// Entry 1 was written before checkpoints existed; 2 and 3 have theirs.
	appendEntry(t, newEntry(tenant.ID, 1, `{}`))
	t.Run("none yet", func(t *testing.T) {
		if cp := checkpoint(t, tenant.ID); cp.Size != 0 || cp.Note != "" {
			t.Fatalf("Checkpoint = %+v, want none", cp)
		}
		_, err := nodes(t, tenant.ID, domain.AuditTreeNode{Level: 0, Index: 0})
		wantKind(t, err, domain.KindInternal)
	})
	t.Run("set on an old entry, once", func(t *testing.T) {
		mustNot(t, in(t, tenant.ID, func(ctx context.Context, s ports.AuditStore) error {
			return s.SetTree(ctx, 1, [][]byte{hashOf(1)}, "note 1\n")
		}))
		wantKind(t, in(t, tenant.ID, func(ctx context.Context, s ports.AuditStore) error {
			return s.SetTree(ctx, 1, [][]byte{hashOf(9)}, "forged\n")
		}), domain.KindConflict)
		wantKind(t, in(t, tenant.ID, func(ctx context.Context, s ports.AuditStore) error {
			return s.SetTree(ctx, 7, [][]byte{hashOf(9)}, "none\n")
		}), domain.KindConflict)
		if cp := checkpoint(t, tenant.ID); cp.Size != 1 || cp.Note != "note 1\n" {
			t.Fatalf("Checkpoint = %+v, want entry 1's", cp)
		}
	})
	e2 := newEntry(tenant.ID, 2, `{}`)
	e2.TreeNodes, e2.Checkpoint = [][]byte{hashOf(2), hashOf(12)}, "note 2\n"
	appendEntry(t, e2)
	e3 := newEntry(tenant.ID, 3, `{}`)
	e3.TreeNodes, e3.Checkpoint = [][]byte{hashOf(3)}, "note 3\n"
	appendEntry(t, e3)

	t.Run("the newest", func(t *testing.T) {
		if cp := checkpoint(t, tenant.ID); cp.Size != 3 || cp.Note != "note 3\n" {
			t.Fatalf("Checkpoint = %+v, want entry 3's", cp)
		}
	})
	t.Run("nodes in the order asked", func(t *testing.T) {
		got, err := nodes(t, tenant.ID,
			domain.AuditTreeNode{Level: 0, Index: 2}, domain.AuditTreeNode{Level: 1, Index: 0},
			domain.AuditTreeNode{Level: 0, Index: 0}, domain.AuditTreeNode{Level: 0, Index: 1})
		mustNot(t, err)
		want := [][]byte{hashOf(3), hashOf(12), hashOf(1), hashOf(2)}
		for i := range want {
			if len(got) != len(want) || !bytes.Equal(got[i], want[i]) {
				t.Fatalf("TreeNodes = %x, want %x", got, want)
			}
		}
	})
	t.Run("a missing node", func(t *testing.T) {
		_, err := nodes(t, tenant.ID, domain.AuditTreeNode{Level: 0, Index: 0}, domain.AuditTreeNode{Level: 1, Index: 1})
		wantKind(t, err, domain.KindInternal)
		_, err = nodes(t, tenant.ID, domain.AuditTreeNode{Level: 2, Index: 0})
		wantKind(t, err, domain.KindInternal)
	})
	t.Run("entries list as before", func(t *testing.T) {
		mustNot(t, in(t, tenant.ID, func(ctx context.Context, s ports.AuditStore) error {
			got, err := s.List(ctx, 0, 10)
			if err == nil && len(got) != 3 {
				t.Errorf("List = %d entries, want 3", len(got))
			}
			for i, e := range got {
				wantEntry(t, e, newEntry(tenant.ID, int64(i+1), `{}`))
			}
			return err
		}))
	})
	t.Run("another tenant sees none", func(t *testing.T) {
		if cp := checkpoint(t, other.ID); cp.Size != 0 || cp.Note != "" {
			t.Fatalf("another tenant's Checkpoint = %+v", cp)
		}
		_, err := nodes(t, other.ID, domain.AuditTreeNode{Level: 0, Index: 0})
		wantKind(t, err, domain.KindInternal)
		wantKind(t, in(t, other.ID, func(ctx context.Context, s ports.AuditStore) error {
			return s.SetTree(ctx, 1, [][]byte{hashOf(9)}, "forged\n")
		}), domain.KindConflict)
	})
}

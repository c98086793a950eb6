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

	t.Run("none yet", func(t *testing.T) {
		if cp := checkpoint(t, tenant.ID); cp.Size != 0 || cp.Note != "" || len(cp.Range) != 0 {
			t.Fatalf("Checkpoint = %+v, want none", cp)
		}
	})
	first := domain.AuditCheckpoint{Size: 3, RootHash: hashOf(9), Range: [][]byte{hashOf(1), hashOf(2)}, Note: "note 3\n"}
	nodes := []domain.AuditTreeNode{
		{Level: 0, Index: 0, Hash: hashOf(10)}, {Level: 0, Index: 1, Hash: hashOf(11)},
		{Level: 1, Index: 0, Hash: hashOf(1)}, {Level: 0, Index: 2, Hash: hashOf(2)},
	}
	mustNot(t, in(t, tenant.ID, func(ctx context.Context, s ports.AuditStore) error { return s.SaveCheckpoint(ctx, first, nodes) }))

	t.Run("read back", func(t *testing.T) {
		cp := checkpoint(t, tenant.ID)
		if cp.Size != 3 || !bytes.Equal(cp.RootHash, first.RootHash) || cp.Note != first.Note || len(cp.Range) != 2 ||
			!bytes.Equal(cp.Range[0], hashOf(1)) || !bytes.Equal(cp.Range[1], hashOf(2)) {
			t.Fatalf("Checkpoint = %+v, want %+v", cp, first)
		}
	})
	t.Run("nodes in the order asked", func(t *testing.T) {
		mustNot(t, in(t, tenant.ID, func(ctx context.Context, s ports.AuditStore) error {
			got, err := s.TreeNodes(ctx, []domain.AuditTreeNode{{Level: 0, Index: 2}, {Level: 1, Index: 0}, {Level: 0, Index: 0}})
			if err == nil && (len(got) != 3 || !bytes.Equal(got[0], hashOf(2)) || !bytes.Equal(got[1], hashOf(1)) || !bytes.Equal(got[2], hashOf(10))) {
				t.Errorf("TreeNodes = %x", got)
			}
			return err
		}))
	})
	t.Run("a missing node", func(t *testing.T) {
		err := in(t, tenant.ID, func(ctx context.Context, s ports.AuditStore) error {
			_, err := s.TreeNodes(ctx, []domain.AuditTreeNode{{Level: 0, Index: 0}, {Level: 0, Index: 3}})
			return err
		})
		wantKind(t, err, domain.KindInternal)
	})
	t.Run("replaced", func(t *testing.T) {
		next := domain.AuditCheckpoint{Size: 4, RootHash: hashOf(8), Range: [][]byte{hashOf(5)}, Note: "note 4\n"}
		mustNot(t, in(t, tenant.ID, func(ctx context.Context, s ports.AuditStore) error {
			return s.SaveCheckpoint(ctx, next, []domain.AuditTreeNode{{Level: 0, Index: 2, Hash: hashOf(12)}, {Level: 0, Index: 3, Hash: hashOf(13)}})
		}))
		if cp := checkpoint(t, tenant.ID); cp.Size != 4 || cp.Note != next.Note || len(cp.Range) != 1 {
			t.Fatalf("Checkpoint = %+v, want %+v", cp, next)
		}
		mustNot(t, in(t, tenant.ID, func(ctx context.Context, s ports.AuditStore) error {
			got, err := s.TreeNodes(ctx, []domain.AuditTreeNode{{Level: 0, Index: 2}, {Level: 0, Index: 3}})
			if err == nil && (!bytes.Equal(got[0], hashOf(12)) || !bytes.Equal(got[1], hashOf(13))) {
				t.Errorf("TreeNodes after replacing = %x", got)
			}
			return err
		}))
	})
	t.Run("another tenant sees none", func(t *testing.T) {
		if cp := checkpoint(t, other.ID); cp.Size != 0 || cp.Note != "" {
			t.Fatalf("another tenant's Checkpoint = %+v", cp)
		}
		err := in(t, other.ID, func(ctx context.Context, s ports.AuditStore) error {
			_, err := s.TreeNodes(ctx, []domain.AuditTreeNode{{Level: 0, Index: 0}})
			return err
		})
		wantKind(t, err, domain.KindInternal)
	})
}

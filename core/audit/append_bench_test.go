package audit

import (
	"context"
	"testing"
	"time"

	"github.com/configmat/configmat/core/domain"
)

// headStore is an in-memory chain head and its tree edge: just what Append
// needs.
type headStore struct {
	seq  int64
	hash string
}

func (h *headStore) Checkpoint(context.Context) (domain.AuditCheckpoint, error) {
	return domain.AuditCheckpoint{}, nil
}

func (h *headStore) TreeNodes(context.Context, []domain.AuditTreeNode) ([][]byte, error) {
	return [][]byte{}, nil
}

func (h *headStore) SetTree(context.Context, int64, [][]byte, string) error { return nil }

func (h *headStore) AddReads(context.Context, []domain.ReadCount) error { return nil }

func (h *headStore) Reads(context.Context, domain.ReadFilter) ([]domain.ReadCount, error) {
	return nil, nil
}

func (h *headStore) LockHead(context.Context) (int64, string, error) { return h.seq, h.hash, nil }

func (h *headStore) Append(_ context.Context, e domain.AuditEntry) error {
	h.seq, h.hash = e.Seq, e.Hash
	return nil
}

func (h *headStore) TryAppend(ctx context.Context, e domain.AuditEntry) (bool, error) {
	if e.Seq != h.seq+1 || e.PreviousHash != h.hash {
		return false, nil
	}
	return true, h.Append(ctx, e)
}

func (h *headStore) List(context.Context, int64, int) ([]domain.AuditEntry, error) { return nil, nil }

// BenchmarkAppend measures what Append computes for the entry of a change
// set (canonical details, canonical entry, hash), the store aside, without
// and with the signed checkpoint (leaf hash, compact range, Ed25519).
func BenchmarkAppend(b *testing.B) {
	b.Run("checkpoints=off", func(b *testing.B) { benchmarkAppend(b, nil) })
	b.Run("checkpoints=on", func(b *testing.B) { benchmarkAppend(b, testSigner(b)) })
}

func benchmarkAppend(b *testing.B, signer *Signer) {
	log := NewLog(Deps{Clock: fixedClock(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)), Signer: signer})
	actor := domain.Actor{TenantID: vectorTenant, UserID: "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", Role: domain.RoleEditor}
	details := struct {
		Asset       string   `json:"asset"`
		Environment string   `json:"environment"`
		Version     int      `json:"version"`
		Set         []string `json:"set"`
		Unset       []string `json:"unset"`
	}{"web-api", "prod", 41, []string{"database.password", "database.port"}, []string{}}
	chain := &headStore{hash: domain.GenesisHash}
	b.ReportAllocs()
	for b.Loop() {
		if err := log.Append(b.Context(), chain, actor, domain.ActionValuesChanged, "asset:web-api", details); err != nil {
			b.Fatal(err)
		}
	}
}

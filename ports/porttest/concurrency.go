package porttest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/configmat/configmat/core/audit"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// Concurrency of testConcurrency: workers x changesPerWorker changes.
const (
	workers          = 16
	changesPerWorker = 25
)

// change makes one change the way the core does: lock the version head
// (with LockCurrent by the asset's slug, or with LockHead when bySlug is
// false: both lock the same rows in the same order), create the next
// version, and append its audit entry, all in one transaction.
func change(ctx context.Context, tx ports.Transactor, tenant domain.TenantID, asset domain.Asset, env string, bySlug bool) error {
	return tx.InTenant(ctx, tenant, func(ctx context.Context, s ports.TenantTx) error {
		n, err := lockedHead(ctx, s, asset, env, bySlug)
		if err != nil {
			return err
		}
		snap := domain.Snapshot{"app": {"counter": {Value: json.RawMessage(fmt.Sprint(n + 1))}}}
		v := newVersion(tenant, asset.ID, env, n+1, snap)
		if err := s.Versions().Create(ctx, v); err != nil {
			return err
		}
		seq, prev, err := s.Audit().LockHead(ctx)
		if err != nil {
			return err
		}
		e := domain.AuditEntry{
			TenantID: tenant, Seq: seq + 1, Action: domain.ActionValuesChanged, Actor: "system",
			Target: "asset:" + string(asset.ID), Details: json.RawMessage(fmt.Sprintf(`{"environment":%q,"version":%d}`, env, n+1)),
			CreatedAt: at(1000 + n), PreviousHash: prev,
		}
		if e.Hash, err = audit.Hash(prev, e); err != nil {
			return err
		}
		return s.Audit().Append(ctx, e)
	})
}

// lockedHead locks the head of (asset, env) and returns its version number.
func lockedHead(ctx context.Context, s ports.TenantTx, asset domain.Asset, env string, bySlug bool) (int, error) {
	if !bySlug {
		return s.Versions().LockHead(ctx, asset.ID, env)
	}
	target, err := s.Versions().LockCurrent(ctx, asset.Slug, env)
	return target.Current.Number, err
}

// testConcurrency has workers change one asset's environment at once, half
// of them locking its head with LockCurrent, half with LockHead.
func testConcurrency(t *testing.T, open Opener) {
	tx := open(t)
	tenant := NewTenant(t, tx)
	asset := NewAsset(t, tx, tenant.ID, "hot")
	const total = workers * changesPerWorker

	errs := make(chan error, total)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for range changesPerWorker {
				errs <- change(t.Context(), tx, tenant.ID, asset, "prod", w%2 == 0)
			}
		})
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if err != nil {
			failed++
			if failed <= 3 {
				t.Errorf("change failed: %v", err)
			}
		}
	}
	if failed > 0 {
		t.Fatalf("%d of %d concurrent changes failed", failed, total)
	}

	t.Run("VersionsConsecutive", func(t *testing.T) {
		var numbers []int
		cursor := ""
		for {
			var page []domain.Version
			var next string
			MustInTenant(t, tx, tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
				var err error
				page, next, err = s.Versions().List(ctx, asset.ID, "prod", domain.Page{Limit: domain.MaxPageSize, Cursor: cursor})
				return err
			})
			for _, v := range page {
				numbers = append(numbers, v.Number)
			}
			if next == "" || len(numbers) > total {
				break
			}
			cursor = next
		}
		if len(numbers) != total {
			t.Fatalf("%d versions, want %d", len(numbers), total)
		}
		for i, n := range numbers {
			if n != total-i {
				t.Fatalf("version %d of the listing is %d, want %d", i, n, total-i)
			}
		}
	})

	t.Run("AuditChainGapFree", func(t *testing.T) {
		var entries []domain.AuditEntry
		MustInTenant(t, tx, tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
			var err error
			entries, err = s.Audit().List(ctx, 0, total+10)
			return err
		})
		if len(entries) != total {
			t.Fatalf("%d audit entries, want %d", len(entries), total)
		}
		prev := domain.GenesisHash
		for i, e := range entries {
			if e.Seq != int64(i+1) || e.PreviousHash != prev {
				t.Fatalf("entry %d: seq %d, previous hash %s; want seq %d after %s", i, e.Seq, e.PreviousHash, i+1, prev)
			}
			prev = e.Hash
		}
		v, err := audit.NewService(audit.Deps{Tx: tx}).Verify(t.Context(), domain.SystemActor(tenant.ID))
		mustNot(t, err)
		if !v.Valid || v.Entries != total || v.HeadHash != prev {
			t.Errorf("Verify = %+v, want valid, %d entries, head %s", v, total, prev)
		}
	})
}

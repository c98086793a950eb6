package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
	"github.com/configmat/configmat/ports/porttest"
)

// TestConcurrentChangesAcrossStores runs 16 goroutines x 25 change sets on
// one asset through two stores sharing one file, as two processes would: the
// writers serialize (BEGIN IMMEDIATE, busy timeout) and never fail.
func TestConcurrentChangesAcrossStores(t *testing.T) {
	path := filepath.Join(t.TempDir(), "configmat.db")
	var stores [2]*Store
	for i := range stores {
		s, err := Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	tenant := porttest.NewTenant(t, stores[0])
	asset := porttest.NewAsset(t, stores[0], tenant.ID, "contended")
	const goroutines, changes = 16, 25

	errs := make(chan error, goroutines*changes)
	var wg sync.WaitGroup
	for g := range goroutines {
		s := stores[g%len(stores)]
		wg.Go(func() {
			for range changes {
				errs <- s.InTenant(t.Context(), tenant.ID, func(ctx context.Context, st ports.TenantTx) error {
					n, err := st.Versions().LockHead(ctx, asset.ID, "prod")
					if err != nil {
						return err
					}
					snap := domain.Snapshot{"app": {"n": {Value: json.RawMessage(fmt.Sprint(n + 1))}}}
					return st.Versions().Create(ctx, domain.Version{AssetID: asset.ID, Environment: "prod", Number: n + 1, Source: domain.SourceEdit, Snapshot: snap})
				})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("change failed: %v", err)
		}
	}
	porttest.MustInTenant(t, stores[1], tenant.ID, func(ctx context.Context, st ports.TenantTx) error {
		var numbers []int
		cursor := ""
		for {
			page, next, err := st.Versions().List(ctx, asset.ID, "prod", domain.Page{Limit: domain.MaxPageSize, Cursor: cursor})
			if err != nil {
				return err
			}
			for _, v := range page {
				numbers = append(numbers, v.Number)
			}
			if next == "" {
				break
			}
			cursor = next
		}
		if len(numbers) != goroutines*changes {
			t.Fatalf("%d versions, want %d", len(numbers), goroutines*changes)
		}
		for i, n := range numbers {
			if n != goroutines*changes-i {
				t.Fatalf("listing position %d holds version %d", i, n)
			}
		}
		return nil
	})
}

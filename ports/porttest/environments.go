package porttest

import (
	"context"
	"testing"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

func testEnvironments(t *testing.T, open Opener) {
	tx := open(t)
	tenant := NewTenant(t, tx)
	// Created out of position order: List must sort by position.
	extra := []domain.Environment{
		{Name: "qa", Position: 5, CreatedAt: at(50)},
		{Name: "dev", Position: 4, CreatedAt: at(51)},
	}
	MustInTenant(t, tx, tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
		for _, e := range extra {
			if err := s.Environments().Create(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})

	t.Run("ListByPosition", func(t *testing.T) {
		want := []string{"local", "stage", "prod", "dev", "qa"}
		MustInTenant(t, tx, tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
			got, err := s.Environments().List(ctx)
			mustNot(t, err)
			if len(got) != len(want) {
				t.Fatalf("List = %+v, want names %v", got, want)
			}
			for i, e := range got {
				if e.Name != want[i] || e.Position != i+1 {
					t.Errorf("List[%d] = %s at %d, want %s at %d", i, e.Name, e.Position, want[i], i+1)
				}
			}
			return nil
		})
	})

	t.Run("GetRoundTrip", func(t *testing.T) {
		MustInTenant(t, tx, tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
			got, err := s.Environments().Get(ctx, "qa")
			mustNot(t, err)
			if got.Name != "qa" || got.Position != 5 {
				t.Errorf("Get(qa) = %+v, want %+v", got, extra[0])
			}
			wantTime(t, "CreatedAt", got.CreatedAt, extra[0].CreatedAt)
			return nil
		})
	})

	t.Run("Duplicate", func(t *testing.T) {
		err := tx.InTenant(t.Context(), tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
			return s.Environments().Create(ctx, domain.Environment{Name: "stage", Position: 9, CreatedAt: at(52)})
		})
		wantKind(t, err, domain.KindEnvironmentExists)
	})

	t.Run("GetUnknown", func(t *testing.T) {
		err := tx.InTenant(t.Context(), tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
			_, err := s.Environments().Get(ctx, "nowhere")
			return err
		})
		wantKind(t, err, domain.KindEnvironmentNotFound)
	})
}

package porttest

import (
	"bytes"
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

func testTenants(t *testing.T, open Opener) {
	tx := open(t)
	tenant := NewTenant(t, tx)

	t.Run("GetRoundTrip", func(t *testing.T) {
		MustInTenant(t, tx, tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
			got, err := s.Tenants().Get(ctx)
			mustNot(t, err)
			if got.ID != tenant.ID || got.Slug != tenant.Slug || got.Name != tenant.Name ||
				got.DataKey.KeyID != tenant.DataKey.KeyID || !bytes.Equal(got.DataKey.Ciphertext, tenant.DataKey.Ciphertext) {
				t.Errorf("tenant = %+v, want %+v", got, tenant)
			}
			wantTime(t, "CreatedAt", got.CreatedAt, tenant.CreatedAt)
			return nil
		})
	})

	t.Run("GetUnknown", func(t *testing.T) {
		err := tx.InTenant(t.Context(), domain.TenantID(uuid.NewString()), func(ctx context.Context, s ports.TenantTx) error {
			_, err := s.Tenants().Get(ctx)
			return err
		})
		wantKind(t, err, domain.KindTenantNotFound)
	})

	t.Run("DuplicateSlug", func(t *testing.T) {
		dup := domain.Tenant{ID: domain.TenantID(uuid.NewString()), Slug: tenant.Slug, Name: "Other", DataKey: tenant.DataKey, CreatedAt: at(7)}
		err := tx.InTenant(t.Context(), dup.ID, func(ctx context.Context, s ports.TenantTx) error {
			return s.Tenants().Create(ctx, dup)
		})
		wantKind(t, err, domain.KindConflict)
	})

	t.Run("CreateOtherThanBound", func(t *testing.T) {
		other := domain.Tenant{ID: domain.TenantID(uuid.NewString()), Slug: "unbound-tenant", Name: "Unbound", DataKey: tenant.DataKey, CreatedAt: at(8)}
		err := tx.InTenant(t.Context(), domain.TenantID(uuid.NewString()), func(ctx context.Context, s ports.TenantTx) error {
			return s.Tenants().Create(ctx, other)
		})
		if err == nil {
			t.Fatal("creating a tenant other than the bound one succeeded")
		}
		err = tx.Global(t.Context(), func(ctx context.Context, s ports.GlobalTx) error {
			_, err := s.Directory().TenantBySlug(ctx, other.Slug)
			return err
		})
		wantKind(t, err, domain.KindTenantNotFound)
	})
}

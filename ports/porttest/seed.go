package porttest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// baseTime is the suite's epoch: microsecond precision, UTC, so that every
// time written round-trips exactly.
var baseTime = time.Date(2025, 3, 4, 5, 6, 7, 123456000, time.UTC)

// at returns the suite's epoch plus i seconds and i microseconds.
func at(i int) time.Time {
	return baseTime.Add(time.Duration(i)*time.Second + time.Duration(i)*time.Microsecond)
}

// MustInTenant runs fn in tx.InTenant and fails t on any error.
func MustInTenant(t *testing.T, tx ports.Transactor, tenant domain.TenantID, fn func(ctx context.Context, s ports.TenantTx) error) {
	t.Helper()
	if err := tx.InTenant(t.Context(), tenant, fn); err != nil {
		t.Fatalf("InTenant(%s): %v", tenant, err)
	}
}

// MustGlobal runs fn in tx.Global and fails t on any error.
func MustGlobal(t *testing.T, tx ports.Transactor, fn func(ctx context.Context, s ports.GlobalTx) error) {
	t.Helper()
	if err := tx.Global(t.Context(), fn); err != nil {
		t.Fatalf("Global: %v", err)
	}
}

// NewUser creates a user with a unique email and returns it.
func NewUser(t *testing.T, tx ports.Transactor) domain.User {
	t.Helper()
	id := uuid.NewString()
	u := domain.User{
		ID:           domain.UserID(id),
		Email:        "user-" + id[:8] + "@example.com",
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$" + id,
		CreatedAt:    at(1),
	}
	MustGlobal(t, tx, func(ctx context.Context, s ports.GlobalTx) error { return s.Users().Create(ctx, u) })
	return u
}

// NewTenant creates a tenant with a unique slug and the default environments
// (domain.DefaultEnvironments at positions 1, 2, 3) and returns it.
func NewTenant(t *testing.T, tx ports.Transactor) domain.Tenant {
	t.Helper()
	id := uuid.NewString()
	tenant := domain.Tenant{
		ID:        domain.TenantID(id),
		Slug:      "tenant-" + id[:8],
		Name:      "Tenant " + id[:8],
		DataKey:   domain.WrappedKey{KeyID: "kek-" + id[:4], Ciphertext: []byte("wrapped\x00key\xff" + id)},
		CreatedAt: at(2),
	}
	MustInTenant(t, tx, tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
		if err := s.Tenants().Create(ctx, tenant); err != nil {
			return err
		}
		for i, name := range domain.DefaultEnvironments {
			env := domain.Environment{Name: name, Position: i + 1, CreatedAt: at(3 + i)}
			if err := s.Environments().Create(ctx, env); err != nil {
				return err
			}
		}
		return nil
	})
	return tenant
}

// NewAsset creates an asset with the given slug in tenant and returns it.
func NewAsset(t *testing.T, tx ports.Transactor, tenant domain.TenantID, slug string) domain.Asset {
	t.Helper()
	a := domain.Asset{
		ID:          domain.AssetID(uuid.NewString()),
		Slug:        slug,
		Name:        "Asset " + slug,
		Description: fmt.Sprintf("The %s service's configuration.", slug),
		CreatedAt:   at(10),
		UpdatedAt:   at(10),
	}
	MustInTenant(t, tx, tenant, func(ctx context.Context, s ports.TenantTx) error { return s.Assets().Create(ctx, a) })
	return a
}

package sqlite

import (
	"context"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

var _ ports.TenantStore = tenantStore{}

// tenantStore holds the bound tenant's own row.
type tenantStore struct{ scope }

// Create inserts the tenant, whose ID must be the bound tenant (KindInvalid
// otherwise); KindConflict when the slug or the ID is taken.
func (s tenantStore) Create(ctx context.Context, t domain.Tenant) error {
	if t.ID != s.tenant {
		return domain.Errorf(domain.KindInvalid, "The tenant is not the one the transaction is bound to.").WithDetail("tenant_id", "invalid")
	}
	_, err := s.tx.ExecContext(ctx,
		`INSERT INTO tenants (id, slug, name, data_key_id, data_key, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		string(s.tenant), t.Slug, t.Name, t.DataKey.KeyID, t.DataKey.Ciphertext, stamp(t.CreatedAt))
	if isUnique(err) || isPrimaryKey(err) {
		return domain.Errorf(domain.KindConflict, "A tenant with this slug already exists.").WithDetail("slug", t.Slug)
	}
	return domain.Wrap(err, "could not create a tenant")
}

// Get returns the bound tenant; KindTenantNotFound.
func (s tenantStore) Get(ctx context.Context) (domain.Tenant, error) {
	var r struct {
		ID        string    `db:"id"`
		Slug      string    `db:"slug"`
		Name      string    `db:"name"`
		DataKeyID string    `db:"data_key_id"`
		DataKey   []byte    `db:"data_key"`
		CreatedAt timestamp `db:"created_at"`
	}
	err := s.tx.GetContext(ctx, &r,
		`SELECT id, slug, name, data_key_id, data_key, created_at FROM tenants WHERE id = ?`, string(s.tenant))
	switch {
	case isNoRows(err):
		return domain.Tenant{}, domain.Errorf(domain.KindTenantNotFound, "The tenant does not exist.")
	case err != nil:
		return domain.Tenant{}, domain.Wrap(err, "could not read the tenant")
	}
	return domain.Tenant{
		ID: domain.TenantID(r.ID), Slug: r.Slug, Name: r.Name,
		DataKey:   domain.WrappedKey{KeyID: r.DataKeyID, Ciphertext: r.DataKey},
		CreatedAt: r.CreatedAt.Time,
	}, nil
}

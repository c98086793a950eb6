package postgres

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
	"github.com/jmoiron/sqlx"
)

// tenantStore holds the bound tenant's own row.
type tenantStore struct {
	tx     *sqlx.Tx
	tenant domain.TenantID
}

var _ ports.TenantStore = (*tenantStore)(nil)

// tenantRow is a row of tenants.
type tenantRow struct {
	ID        string    `db:"id"`
	Slug      string    `db:"slug"`
	Name      string    `db:"name"`
	DataKeyID string    `db:"data_key_id"`
	DataKey   []byte    `db:"data_key"`
	CreatedAt time.Time `db:"created_at"`
}

// Create inserts the tenant, whose ID must be the bound tenant
// (VALIDATION_ERROR otherwise); CONFLICT when the slug is taken.
func (s tenantStore) Create(ctx context.Context, t domain.Tenant) error {
	if err := sameTenant(s.tenant, t.ID); err != nil {
		return err
	}
	_, err := s.tx.ExecContext(ctx,
		`INSERT INTO tenants (id, slug, name, data_key_id, data_key, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		s.tenant, t.Slug, t.Name, t.DataKey.KeyID, t.DataKey.Ciphertext, t.CreatedAt)
	return translate(err, "could not create the tenant")
}

// Get returns the bound tenant; TENANT_NOT_FOUND.
func (s tenantStore) Get(ctx context.Context) (domain.Tenant, error) {
	var r tenantRow
	err := s.tx.GetContext(ctx, &r,
		`SELECT id, slug, name, data_key_id, data_key, created_at FROM tenants WHERE id = $1`, s.tenant)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Tenant{}, notFound(domain.KindTenantNotFound, "The tenant does not exist.")
	}
	if err != nil {
		return domain.Tenant{}, translate(err, "could not read the tenant")
	}
	return domain.Tenant{
		ID:        domain.TenantID(r.ID),
		Slug:      r.Slug,
		Name:      r.Name,
		DataKey:   domain.WrappedKey{KeyID: r.DataKeyID, Ciphertext: r.DataKey},
		CreatedAt: r.CreatedAt.UTC(),
	}, nil
}

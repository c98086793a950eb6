package sqlite

import (
	"context"
	"database/sql"

	"github.com/jmoiron/sqlx"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

var _ ports.Directory = directory{}

// directory answers the lookups made before a tenant is known, returning
// only what each needs.
type directory struct {
	tx *sqlx.Tx
}

// APIKeyByDigest finds an API key by digest; KindInvalidAPIKey when none.
func (d directory) APIKeyByDigest(ctx context.Context, digest []byte) (domain.APIKeyCredential, error) {
	var r struct {
		TenantID    string            `db:"tenant_id"`
		ID          string            `db:"id"`
		Digest      []byte            `db:"digest"`
		Environment sql.NullString    `db:"environment"`
		ExpiresAt   optionalTimestamp `db:"expires_at"`
		RevokedAt   optionalTimestamp `db:"revoked_at"`
	}
	err := d.tx.GetContext(ctx, &r,
		`SELECT tenant_id, id, digest, environment, expires_at, revoked_at FROM api_keys WHERE digest = ?`, digest)
	switch {
	case isNoRows(err):
		return domain.APIKeyCredential{}, domain.Errorf(domain.KindInvalidAPIKey, "The API key is invalid.")
	case err != nil:
		return domain.APIKeyCredential{}, domain.Wrap(err, "could not look an API key up")
	}
	return domain.APIKeyCredential{
		ID: domain.APIKeyID(r.ID), TenantID: domain.TenantID(r.TenantID), Digest: r.Digest,
		Environment: r.Environment.String, ExpiresAt: r.ExpiresAt.Time, RevokedAt: r.RevokedAt.Time,
	}, nil
}

// MembershipsOfUser lists a user's memberships with their tenants, oldest
// membership first.
func (d directory) MembershipsOfUser(ctx context.Context, userID domain.UserID) ([]domain.UserMembership, error) {
	var rows []struct {
		ID   string `db:"id"`
		Slug string `db:"slug"`
		Name string `db:"name"`
		Role string `db:"role"`
	}
	err := d.tx.SelectContext(ctx, &rows,
		`SELECT t.id, t.slug, t.name, m.role
		   FROM memberships m JOIN tenants t ON t.id = m.tenant_id
		  WHERE m.user_id = ?
		  ORDER BY m.created_at, m.tenant_id`, string(userID))
	if err != nil {
		return nil, domain.Wrap(err, "could not list a user's memberships")
	}
	out := make([]domain.UserMembership, len(rows))
	for i, r := range rows {
		out[i] = domain.UserMembership{
			Tenant: domain.TenantRef{ID: domain.TenantID(r.ID), Slug: r.Slug, Name: r.Name},
			Role:   domain.Role(r.Role),
		}
	}
	return out, nil
}

// TenantBySlug finds a tenant by slug; KindTenantNotFound.
func (d directory) TenantBySlug(ctx context.Context, slug string) (domain.TenantRef, error) {
	var r struct {
		ID   string `db:"id"`
		Slug string `db:"slug"`
		Name string `db:"name"`
	}
	err := d.tx.GetContext(ctx, &r, `SELECT id, slug, name FROM tenants WHERE slug = ?`, slug)
	switch {
	case isNoRows(err):
		return domain.TenantRef{}, domain.Errorf(domain.KindTenantNotFound, "The tenant does not exist.")
	case err != nil:
		return domain.TenantRef{}, domain.Wrap(err, "could not look a tenant up")
	}
	return domain.TenantRef{ID: domain.TenantID(r.ID), Slug: r.Slug, Name: r.Name}, nil
}

// AnyDataKey returns the oldest tenant's wrapped data key; ok is false when
// no tenant exists yet.
func (d directory) AnyDataKey(ctx context.Context) (domain.TenantID, domain.WrappedKey, bool, error) {
	var r struct {
		ID        string `db:"id"`
		DataKeyID string `db:"data_key_id"`
		DataKey   []byte `db:"data_key"`
	}
	err := d.tx.GetContext(ctx, &r, `SELECT id, data_key_id, data_key FROM tenants ORDER BY created_at, id LIMIT 1`)
	switch {
	case isNoRows(err):
		return "", domain.WrappedKey{}, false, nil
	case err != nil:
		return "", domain.WrappedKey{}, false, domain.Wrap(err, "could not read a data key")
	}
	return domain.TenantID(r.ID), domain.WrappedKey{KeyID: r.DataKeyID, Ciphertext: r.DataKey}, true, nil
}

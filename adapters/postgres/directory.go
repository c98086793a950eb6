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

// directory is the pre-tenant lookups. Each is a SECURITY DEFINER function of
// the schema (see migrations/postgres/00004_directory.sql), owned by the
// NOLOGIN role configmat_directory, that returns only the columns it needs;
// the application's role cannot read the tables themselves without a tenant
// bound, nor become configmat_directory.
type directory struct {
	tx *sqlx.Tx
}

var _ ports.Directory = (*directory)(nil)

// apiKeyCredentialRow is a row of directory_api_key_by_digest.
type apiKeyCredentialRow struct {
	ID          string         `db:"id"`
	TenantID    string         `db:"tenant_id"`
	Digest      []byte         `db:"digest"`
	Environment sql.NullString `db:"environment"`
	ExpiresAt   *time.Time     `db:"expires_at"`
	RevokedAt   *time.Time     `db:"revoked_at"`
}

// APIKeyByDigest finds an API key by digest; INVALID_API_KEY when none.
func (d directory) APIKeyByDigest(ctx context.Context, digest []byte) (domain.APIKeyCredential, error) {
	var r apiKeyCredentialRow
	err := d.tx.GetContext(ctx, &r,
		`SELECT id, tenant_id, digest, environment, expires_at, revoked_at FROM directory_api_key_by_digest($1)`, digest)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.APIKeyCredential{}, notFound(domain.KindInvalidAPIKey, "The API key is invalid.")
	}
	if err != nil {
		return domain.APIKeyCredential{}, translate(err, "could not look the API key up")
	}
	return domain.APIKeyCredential{
		ID:          domain.APIKeyID(r.ID),
		TenantID:    domain.TenantID(r.TenantID),
		Digest:      r.Digest,
		Environment: r.Environment.String,
		ExpiresAt:   utcPtr(r.ExpiresAt),
		RevokedAt:   utcPtr(r.RevokedAt),
	}, nil
}

// membershipRow is a row of directory_memberships_of_user.
type membershipRow struct {
	TenantID string `db:"tenant_id"`
	Slug     string `db:"slug"`
	Name     string `db:"name"`
	Role     string `db:"role"`
}

// MembershipsOfUser lists a user's memberships with their tenants, oldest
// membership first; none for an unknown user.
func (d directory) MembershipsOfUser(ctx context.Context, userID domain.UserID) ([]domain.UserMembership, error) {
	user, ok := canonicalUUID(string(userID))
	if !ok {
		return []domain.UserMembership{}, nil
	}
	var rows []membershipRow
	if err := d.tx.SelectContext(ctx, &rows,
		`SELECT tenant_id, slug, name, role FROM directory_memberships_of_user($1)`, user); err != nil {
		return nil, translate(err, "could not list the user's memberships")
	}
	out := make([]domain.UserMembership, 0, len(rows))
	for _, r := range rows {
		out = append(out, domain.UserMembership{
			Tenant: domain.TenantRef{ID: domain.TenantID(r.TenantID), Slug: r.Slug, Name: r.Name},
			Role:   domain.Role(r.Role),
		})
	}
	return out, nil
}

// tenantRefRow is a row of directory_tenant_by_slug.
type tenantRefRow struct {
	ID   string `db:"id"`
	Slug string `db:"slug"`
	Name string `db:"name"`
}

// TenantBySlug finds a tenant by slug; TENANT_NOT_FOUND.
func (d directory) TenantBySlug(ctx context.Context, slug string) (domain.TenantRef, error) {
	var r tenantRefRow
	err := d.tx.GetContext(ctx, &r, `SELECT id, slug, name FROM directory_tenant_by_slug($1)`, slug)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.TenantRef{}, notFound(domain.KindTenantNotFound, "The tenant does not exist.")
	}
	if err != nil {
		return domain.TenantRef{}, translate(err, "could not look the tenant up")
	}
	return domain.TenantRef{ID: domain.TenantID(r.ID), Slug: r.Slug, Name: r.Name}, nil
}

// dataKeyRow is a row of directory_any_data_key.
type dataKeyRow struct {
	TenantID  string `db:"tenant_id"`
	DataKeyID string `db:"data_key_id"`
	DataKey   []byte `db:"data_key"`
}

// AnyDataKey returns the oldest tenant's wrapped data key; ok is false when
// there is no tenant.
func (d directory) AnyDataKey(ctx context.Context) (domain.TenantID, domain.WrappedKey, bool, error) {
	var r dataKeyRow
	err := d.tx.GetContext(ctx, &r, `SELECT tenant_id, data_key_id, data_key FROM directory_any_data_key()`)
	if errors.Is(err, sql.ErrNoRows) {
		return "", domain.WrappedKey{}, false, nil
	}
	if err != nil {
		return "", domain.WrappedKey{}, false, translate(err, "could not read a data key")
	}
	return domain.TenantID(r.TenantID), domain.WrappedKey{KeyID: r.DataKeyID, Ciphertext: r.DataKey}, true, nil
}

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

// apiKeyStore holds the bound tenant's API keys.
type apiKeyStore struct {
	tx     *sqlx.Tx
	tenant domain.TenantID
}

var _ ports.APIKeyStore = (*apiKeyStore)(nil)

// apiKeyRow is a row of api_keys.
type apiKeyRow struct {
	ID          string         `db:"id"`
	Name        string         `db:"name"`
	Prefix      string         `db:"prefix"`
	Digest      []byte         `db:"digest"`
	Environment sql.NullString `db:"environment"`
	ExpiresAt   *time.Time     `db:"expires_at"`
	RevokedAt   *time.Time     `db:"revoked_at"`
	CreatedAt   time.Time      `db:"created_at"`
	CreatedBy   string         `db:"created_by"`
}

func (s apiKeyStore) key(r apiKeyRow) domain.APIKey {
	return domain.APIKey{
		ID:          domain.APIKeyID(r.ID),
		TenantID:    s.tenant,
		Name:        r.Name,
		Prefix:      r.Prefix,
		Digest:      r.Digest,
		Environment: r.Environment.String,
		ExpiresAt:   utcPtr(r.ExpiresAt),
		RevokedAt:   utcPtr(r.RevokedAt),
		CreatedAt:   r.CreatedAt.UTC(),
		CreatedBy:   r.CreatedBy,
	}
}

const apiKeyColumns = `id, name, prefix, digest, environment, expires_at, revoked_at, created_at, created_by`

// Create inserts a key; ENVIRONMENT_NOT_FOUND when it is limited to an
// environment that does not exist.
func (s apiKeyStore) Create(ctx context.Context, k domain.APIKey) error {
	if err := sameTenant(s.tenant, k.TenantID); err != nil {
		return err
	}
	id, err := requireUUID("api_key_id", string(k.ID))
	if err != nil {
		return err
	}
	env := sql.NullString{String: k.Environment, Valid: k.Environment != ""}
	_, err = s.tx.ExecContext(ctx,
		`INSERT INTO api_keys (id, tenant_id, name, prefix, digest, environment, expires_at, revoked_at, created_at, created_by)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		id, s.tenant, k.Name, k.Prefix, k.Digest, env, k.ExpiresAt, k.RevokedAt, k.CreatedAt, k.CreatedBy)
	return translate(err, "could not create the API key")
}

// Get returns a key; API_KEY_NOT_FOUND.
func (s apiKeyStore) Get(ctx context.Context, id domain.APIKeyID) (domain.APIKey, error) {
	canonical, ok := canonicalUUID(string(id))
	if !ok {
		return domain.APIKey{}, apiKeyNotFound()
	}
	var r apiKeyRow
	err := s.tx.GetContext(ctx, &r,
		`SELECT `+apiKeyColumns+` FROM api_keys WHERE tenant_id = $1 AND id = $2`, s.tenant, canonical)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.APIKey{}, apiKeyNotFound()
	}
	if err != nil {
		return domain.APIKey{}, translate(err, "could not read the API key")
	}
	return s.key(r), nil
}

// List returns all keys, newest first.
func (s apiKeyStore) List(ctx context.Context) ([]domain.APIKey, error) {
	var rows []apiKeyRow
	if err := s.tx.SelectContext(ctx, &rows,
		`SELECT `+apiKeyColumns+` FROM api_keys WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC`, s.tenant); err != nil {
		return nil, translate(err, "could not list the API keys")
	}
	out := make([]domain.APIKey, 0, len(rows))
	for _, r := range rows {
		out = append(out, s.key(r))
	}
	return out, nil
}

// Revoke sets RevokedAt; API_KEY_NOT_FOUND when the key does not exist or is
// already revoked.
func (s apiKeyStore) Revoke(ctx context.Context, id domain.APIKeyID, at time.Time) error {
	canonical, ok := canonicalUUID(string(id))
	if !ok {
		return apiKeyNotFound()
	}
	return execOne(ctx, s.tx, domain.KindAPIKeyNotFound, "The API key does not exist.", "could not revoke the API key",
		`UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL`,
		s.tenant, canonical, at)
}

func apiKeyNotFound() error {
	return notFound(domain.KindAPIKeyNotFound, "The API key does not exist.")
}

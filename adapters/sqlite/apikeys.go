package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

var _ ports.APIKeyStore = apiKeyStore{}

// apiKeyStore holds the bound tenant's API keys.
type apiKeyStore struct{ scope }

// apiKeyRow is a row of api_keys.
type apiKeyRow struct {
	ID          string            `db:"id"`
	Name        string            `db:"name"`
	Prefix      string            `db:"prefix"`
	Digest      []byte            `db:"digest"`
	Environment sql.NullString    `db:"environment"`
	ExpiresAt   optionalTimestamp `db:"expires_at"`
	RevokedAt   optionalTimestamp `db:"revoked_at"`
	CreatedAt   timestamp         `db:"created_at"`
	CreatedBy   string            `db:"created_by"`
}

func (s apiKeyStore) key(r apiKeyRow) domain.APIKey {
	return domain.APIKey{
		ID: domain.APIKeyID(r.ID), TenantID: s.tenant, Name: r.Name, Prefix: r.Prefix, Digest: r.Digest,
		Environment: r.Environment.String, ExpiresAt: r.ExpiresAt.Time, RevokedAt: r.RevokedAt.Time,
		CreatedAt: r.CreatedAt.Time, CreatedBy: r.CreatedBy,
	}
}

const selectAPIKey = `SELECT id, name, prefix, digest, environment, expires_at, revoked_at, created_at, created_by FROM api_keys `

// Create inserts a key; KindEnvironmentNotFound when it is limited to an
// environment that does not exist, KindConflict when its ID or digest exists.
func (s apiKeyStore) Create(ctx context.Context, k domain.APIKey) error {
	if err := s.own("API key", k.TenantID); err != nil {
		return err
	}
	_, err := s.tx.ExecContext(ctx,
		`INSERT INTO api_keys (tenant_id, id, name, prefix, digest, environment, expires_at, revoked_at, created_at, created_by)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		string(s.tenant), string(k.ID), k.Name, k.Prefix, k.Digest, nullable(k.Environment),
		optionalStamp(k.ExpiresAt), optionalStamp(k.RevokedAt), stamp(k.CreatedAt), k.CreatedBy)
	switch {
	case isUnique(err), isPrimaryKey(err):
		return domain.Errorf(domain.KindConflict, "The API key already exists.")
	case isForeignKey(err) && k.Environment != "":
		return errEnvironmentNotFound(k.Environment)
	case isForeignKey(err):
		return domain.Errorf(domain.KindTenantNotFound, "The tenant does not exist.")
	}
	return domain.Wrap(err, "could not create an API key")
}

// Get returns a key; KindAPIKeyNotFound.
func (s apiKeyStore) Get(ctx context.Context, id domain.APIKeyID) (domain.APIKey, error) {
	var r apiKeyRow
	err := s.tx.GetContext(ctx, &r, selectAPIKey+`WHERE tenant_id = ? AND id = ?`, string(s.tenant), string(id))
	switch {
	case isNoRows(err):
		return domain.APIKey{}, errAPIKeyNotFound()
	case err != nil:
		return domain.APIKey{}, domain.Wrap(err, "could not read an API key")
	}
	return s.key(r), nil
}

// List returns all keys, newest first.
func (s apiKeyStore) List(ctx context.Context) ([]domain.APIKey, error) {
	var rows []apiKeyRow
	err := s.tx.SelectContext(ctx, &rows, selectAPIKey+`WHERE tenant_id = ? ORDER BY created_at DESC, id DESC`, string(s.tenant))
	if err != nil {
		return nil, domain.Wrap(err, "could not list API keys")
	}
	out := make([]domain.APIKey, len(rows))
	for i, r := range rows {
		out[i] = s.key(r)
	}
	return out, nil
}

// Revoke sets RevokedAt; KindAPIKeyNotFound when the key does not exist or
// is already revoked.
func (s apiKeyStore) Revoke(ctx context.Context, id domain.APIKeyID, at time.Time) error {
	return execOne(ctx, s.tx, errAPIKeyNotFound(), "could not revoke an API key",
		`UPDATE api_keys SET revoked_at = ? WHERE tenant_id = ? AND id = ? AND revoked_at IS NULL`,
		stamp(at), string(s.tenant), string(id))
}

// errAPIKeyNotFound is the error of a missing (or revoked) API key.
func errAPIKeyNotFound() error {
	return domain.Errorf(domain.KindAPIKeyNotFound, "The API key does not exist.")
}

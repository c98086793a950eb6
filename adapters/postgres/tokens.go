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

// tokenStore holds user tokens by digest; tokens are global.
type tokenStore struct {
	tx *sqlx.Tx
}

var _ ports.TokenStore = (*tokenStore)(nil)

// tokenRow is a row of user_tokens.
type tokenRow struct {
	ID        string     `db:"id"`
	UserID    string     `db:"user_id"`
	Digest    []byte     `db:"digest"`
	ExpiresAt time.Time  `db:"expires_at"`
	RevokedAt *time.Time `db:"revoked_at"`
	CreatedAt time.Time  `db:"created_at"`
}

// Create inserts a token.
func (s tokenStore) Create(ctx context.Context, t domain.UserToken) error {
	user, err := requireUUID("user_id", string(t.UserID))
	if err != nil {
		return err
	}
	_, err = s.tx.ExecContext(ctx,
		`INSERT INTO user_tokens (id, user_id, digest, expires_at, revoked_at, created_at)
		 VALUES ($1, $2, $3, $4, $5, $6)`,
		t.ID, user, t.Digest, t.ExpiresAt, t.RevokedAt, t.CreatedAt)
	return translate(err, "could not create the token")
}

// ByDigest finds a token by digest; INVALID_TOKEN when there is none.
func (s tokenStore) ByDigest(ctx context.Context, digest []byte) (domain.UserToken, error) {
	var r tokenRow
	err := s.tx.GetContext(ctx, &r,
		`SELECT id, user_id, digest, expires_at, revoked_at, created_at FROM user_tokens WHERE digest = $1`, digest)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.UserToken{}, notFound(domain.KindInvalidToken, "The token is invalid.")
	}
	if err != nil {
		return domain.UserToken{}, translate(err, "could not read the token")
	}
	return domain.UserToken{
		ID:        r.ID,
		UserID:    domain.UserID(r.UserID),
		Digest:    r.Digest,
		ExpiresAt: r.ExpiresAt.UTC(),
		RevokedAt: utcPtr(r.RevokedAt),
		CreatedAt: r.CreatedAt.UTC(),
	}, nil
}

// Revoke marks a token revoked at at, keeping an earlier revocation time;
// INVALID_TOKEN when there is none.
func (s tokenStore) Revoke(ctx context.Context, id string, at time.Time) error {
	return execOne(ctx, s.tx, domain.KindInvalidToken, "The token is invalid.", "could not revoke the token",
		`UPDATE user_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1`, id, at)
}

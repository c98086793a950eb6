package sqlite

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

var _ ports.TokenStore = tokenStore{}

// tokenStore holds the user tokens' digests.
type tokenStore struct {
	tx *sqlx.Tx
}

// tokenRow is a row of user_tokens.
type tokenRow struct {
	ID        string            `db:"id"`
	UserID    string            `db:"user_id"`
	Digest    []byte            `db:"digest"`
	ExpiresAt timestamp         `db:"expires_at"`
	RevokedAt optionalTimestamp `db:"revoked_at"`
	CreatedAt timestamp         `db:"created_at"`
}

// Create inserts a token; KindUserNotFound when its user does not exist.
func (s tokenStore) Create(ctx context.Context, t domain.UserToken) error {
	_, err := s.tx.ExecContext(ctx,
		`INSERT INTO user_tokens (id, user_id, digest, expires_at, revoked_at, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		t.ID, string(t.UserID), t.Digest, stamp(t.ExpiresAt), optionalStamp(t.RevokedAt), stamp(t.CreatedAt))
	switch {
	case isForeignKey(err):
		return domain.Errorf(domain.KindUserNotFound, "The user does not exist.")
	case isUnique(err), isPrimaryKey(err):
		return domain.Errorf(domain.KindConflict, "The token already exists.")
	}
	return domain.Wrap(err, "could not create a token")
}

// ByDigest finds a token by digest; KindInvalidToken when there is none.
func (s tokenStore) ByDigest(ctx context.Context, digest []byte) (domain.UserToken, error) {
	var r tokenRow
	err := s.tx.GetContext(ctx, &r,
		`SELECT id, user_id, digest, expires_at, revoked_at, created_at FROM user_tokens WHERE digest = ?`, digest)
	switch {
	case isNoRows(err):
		return domain.UserToken{}, domain.Errorf(domain.KindInvalidToken, "The token is invalid.")
	case err != nil:
		return domain.UserToken{}, domain.Wrap(err, "could not read a token")
	}
	return domain.UserToken{
		ID: r.ID, UserID: domain.UserID(r.UserID), Digest: r.Digest, ExpiresAt: r.ExpiresAt.Time,
		RevokedAt: r.RevokedAt.Time, CreatedAt: r.CreatedAt.Time,
	}, nil
}

// Revoke marks a token revoked at the given time (a revoked token keeps its
// first revocation time); KindInvalidToken when there is none.
func (s tokenStore) Revoke(ctx context.Context, id string, at time.Time) error {
	return execOne(ctx, s.tx, domain.Errorf(domain.KindInvalidToken, "The token is invalid."), "could not revoke a token",
		`UPDATE user_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, stamp(at), id)
}

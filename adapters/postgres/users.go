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

// userStore holds users; users are global and have no row-level security.
type userStore struct {
	tx *sqlx.Tx
}

var _ ports.UserStore = (*userStore)(nil)

// userRow is a row of users.
type userRow struct {
	ID           string    `db:"id"`
	Email        string    `db:"email"`
	PasswordHash string    `db:"password_hash"`
	CreatedAt    time.Time `db:"created_at"`
}

func (r userRow) user() domain.User {
	return domain.User{ID: domain.UserID(r.ID), Email: r.Email, PasswordHash: r.PasswordHash, CreatedAt: r.CreatedAt.UTC()}
}

// Create inserts a user; EMAIL_ALREADY_REGISTERED when the email is taken in
// any letter case.
func (s userStore) Create(ctx context.Context, u domain.User) error {
	id, err := requireUUID("user_id", string(u.ID))
	if err != nil {
		return err
	}
	_, err = s.tx.ExecContext(ctx,
		`INSERT INTO users (id, email, password_hash, created_at) VALUES ($1, $2, $3, $4)`,
		id, u.Email, u.PasswordHash, u.CreatedAt)
	return translate(err, "could not create the user")
}

// ByEmail finds a user by email, ignoring letter case; USER_NOT_FOUND.
func (s userStore) ByEmail(ctx context.Context, email string) (domain.User, error) {
	return s.one(ctx, `SELECT id, email, password_hash, created_at FROM users WHERE lower(email) = lower($1)`, email)
}

// ByID finds a user; USER_NOT_FOUND.
func (s userStore) ByID(ctx context.Context, id domain.UserID) (domain.User, error) {
	canonical, ok := canonicalUUID(string(id))
	if !ok {
		return domain.User{}, notFound(domain.KindUserNotFound, "The user does not exist.")
	}
	return s.one(ctx, `SELECT id, email, password_hash, created_at FROM users WHERE id = $1`, canonical)
}

func (s userStore) one(ctx context.Context, query string, arg any) (domain.User, error) {
	var r userRow
	err := s.tx.GetContext(ctx, &r, query, arg)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.User{}, notFound(domain.KindUserNotFound, "The user does not exist.")
	}
	if err != nil {
		return domain.User{}, translate(err, "could not read the user")
	}
	return r.user(), nil
}

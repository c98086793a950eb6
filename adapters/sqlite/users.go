package sqlite

import (
	"context"

	"github.com/jmoiron/sqlx"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

var _ ports.UserStore = userStore{}

// userStore holds the global users.
type userStore struct {
	tx *sqlx.Tx
}

// userRow is a row of users.
type userRow struct {
	ID           string    `db:"id"`
	Email        string    `db:"email"`
	PasswordHash string    `db:"password_hash"`
	CreatedAt    timestamp `db:"created_at"`
}

func (r userRow) user() domain.User {
	return domain.User{ID: domain.UserID(r.ID), Email: r.Email, PasswordHash: r.PasswordHash, CreatedAt: r.CreatedAt.Time}
}

const selectUser = `SELECT id, email, password_hash, created_at FROM users `

// Create inserts a user; KindEmailRegistered when the email is taken.
func (s userStore) Create(ctx context.Context, u domain.User) error {
	_, err := s.tx.ExecContext(ctx,
		`INSERT INTO users (id, email, password_hash, created_at) VALUES (?, ?, ?, ?)`,
		string(u.ID), u.Email, u.PasswordHash, stamp(u.CreatedAt))
	switch {
	case isUnique(err):
		return domain.Errorf(domain.KindEmailRegistered, "This email address is already registered.")
	case isPrimaryKey(err):
		return domain.Errorf(domain.KindConflict, "A user with this ID already exists.")
	}
	return domain.Wrap(err, "could not create a user")
}

// ByEmail finds a user by email (ASCII case-insensitively); KindUserNotFound.
func (s userStore) ByEmail(ctx context.Context, email string) (domain.User, error) {
	return s.one(ctx, selectUser+`WHERE email = ?`, email)
}

// ByID finds a user; KindUserNotFound.
func (s userStore) ByID(ctx context.Context, id domain.UserID) (domain.User, error) {
	return s.one(ctx, selectUser+`WHERE id = ?`, string(id))
}

func (s userStore) one(ctx context.Context, query string, arg string) (domain.User, error) {
	var r userRow
	err := s.tx.GetContext(ctx, &r, query, arg)
	switch {
	case isNoRows(err):
		return domain.User{}, domain.Errorf(domain.KindUserNotFound, "The user does not exist.")
	case err != nil:
		return domain.User{}, domain.Wrap(err, "could not read a user")
	}
	return r.user(), nil
}

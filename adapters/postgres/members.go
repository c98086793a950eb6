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

// memberStore holds the bound tenant's memberships.
type memberStore struct {
	tx     *sqlx.Tx
	tenant domain.TenantID
}

var _ ports.MemberStore = (*memberStore)(nil)

// Add inserts a membership; MEMBER_ALREADY_EXISTS when the user is a member,
// USER_NOT_FOUND when there is no such user.
func (s memberStore) Add(ctx context.Context, m domain.Membership) error {
	if err := sameTenant(s.tenant, m.TenantID); err != nil {
		return err
	}
	user, err := requireUUID("user_id", string(m.UserID))
	if err != nil {
		return err
	}
	_, err = s.tx.ExecContext(ctx,
		`INSERT INTO memberships (tenant_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)`,
		s.tenant, user, string(m.Role), m.CreatedAt)
	return translate(err, "could not add the member")
}

// Get returns a membership; USER_NOT_FOUND when the user is no member.
func (s memberStore) Get(ctx context.Context, user domain.UserID) (domain.Membership, error) {
	id, ok := canonicalUUID(string(user))
	if !ok {
		return domain.Membership{}, memberNotFound()
	}
	var r struct {
		Role      string    `db:"role"`
		CreatedAt time.Time `db:"created_at"`
	}
	err := s.tx.GetContext(ctx, &r,
		`SELECT role, created_at FROM memberships WHERE tenant_id = $1 AND user_id = $2`, s.tenant, id)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Membership{}, memberNotFound()
	}
	if err != nil {
		return domain.Membership{}, translate(err, "could not read the membership")
	}
	return domain.Membership{TenantID: s.tenant, UserID: domain.UserID(id), Role: domain.Role(r.Role), CreatedAt: r.CreatedAt.UTC()}, nil
}

// List returns the members with their users, oldest first.
func (s memberStore) List(ctx context.Context) ([]domain.Member, error) {
	var rows []struct {
		UserID string `db:"user_id"`
		Email  string `db:"email"`
		Role   string `db:"role"`
	}
	if err := s.tx.SelectContext(ctx, &rows,
		`SELECT m.user_id, u.email, m.role FROM memberships AS m JOIN users AS u ON u.id = m.user_id
		 WHERE m.tenant_id = $1 ORDER BY m.created_at, m.user_id`, s.tenant); err != nil {
		return nil, translate(err, "could not list the members")
	}
	out := make([]domain.Member, 0, len(rows))
	for _, r := range rows {
		out = append(out, domain.Member{User: domain.UserRef{ID: domain.UserID(r.UserID), Email: r.Email}, Role: domain.Role(r.Role)})
	}
	return out, nil
}

// SetRole changes a member's role; USER_NOT_FOUND.
func (s memberStore) SetRole(ctx context.Context, user domain.UserID, role domain.Role) error {
	id, ok := canonicalUUID(string(user))
	if !ok {
		return memberNotFound()
	}
	return execOne(ctx, s.tx, domain.KindUserNotFound, "The user is not a member of this tenant.", "could not change the member's role",
		`UPDATE memberships SET role = $3 WHERE tenant_id = $1 AND user_id = $2`, s.tenant, id, string(role))
}

// Remove deletes a membership; USER_NOT_FOUND.
func (s memberStore) Remove(ctx context.Context, user domain.UserID) error {
	id, ok := canonicalUUID(string(user))
	if !ok {
		return memberNotFound()
	}
	return execOne(ctx, s.tx, domain.KindUserNotFound, "The user is not a member of this tenant.", "could not remove the member",
		`DELETE FROM memberships WHERE tenant_id = $1 AND user_id = $2`, s.tenant, id)
}

// LockOwners locks the tenant's owner memberships until the transaction ends
// and returns their number.
func (s memberStore) LockOwners(ctx context.Context) (int, error) {
	var n int
	err := s.tx.GetContext(ctx, &n,
		`SELECT count(*) FROM (
			SELECT 1 FROM memberships WHERE tenant_id = $1 AND role = 'owner' FOR UPDATE
		) AS owners`, s.tenant)
	return n, translate(err, "could not lock the owners")
}

func memberNotFound() error {
	return notFound(domain.KindUserNotFound, "The user is not a member of this tenant.")
}

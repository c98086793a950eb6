package sqlite

import (
	"context"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

var _ ports.MemberStore = memberStore{}

// memberStore holds the bound tenant's memberships.
type memberStore struct{ scope }

// Add inserts a membership; KindMemberExists when the user is a member,
// KindUserNotFound when the user does not exist.
func (s memberStore) Add(ctx context.Context, m domain.Membership) error {
	if err := s.own("membership", m.TenantID); err != nil {
		return err
	}
	_, err := s.tx.ExecContext(ctx,
		`INSERT INTO memberships (tenant_id, user_id, role, created_at) VALUES (?, ?, ?, ?)`,
		string(s.tenant), string(m.UserID), string(m.Role), stamp(m.CreatedAt))
	switch {
	case isPrimaryKey(err):
		return domain.Errorf(domain.KindMemberExists, "The user is already a member.")
	case isForeignKey(err):
		return s.missing(ctx, m.UserID)
	}
	return domain.Wrap(err, "could not add a member")
}

// Get returns a membership; KindUserNotFound when the user is no member.
func (s memberStore) Get(ctx context.Context, user domain.UserID) (domain.Membership, error) {
	var r struct {
		Role      string    `db:"role"`
		CreatedAt timestamp `db:"created_at"`
	}
	err := s.tx.GetContext(ctx, &r,
		`SELECT role, created_at FROM memberships WHERE tenant_id = ? AND user_id = ?`, string(s.tenant), string(user))
	switch {
	case isNoRows(err):
		return domain.Membership{}, errNotAMember()
	case err != nil:
		return domain.Membership{}, domain.Wrap(err, "could not read a membership")
	}
	return domain.Membership{TenantID: s.tenant, UserID: user, Role: domain.Role(r.Role), CreatedAt: r.CreatedAt.Time}, nil
}

// List returns the members with their users, oldest first.
func (s memberStore) List(ctx context.Context) ([]domain.Member, error) {
	var rows []struct {
		ID    string `db:"id"`
		Email string `db:"email"`
		Role  string `db:"role"`
	}
	err := s.tx.SelectContext(ctx, &rows,
		`SELECT u.id, u.email, m.role
		   FROM memberships m JOIN users u ON u.id = m.user_id
		  WHERE m.tenant_id = ?
		  ORDER BY m.created_at, m.user_id`, string(s.tenant))
	if err != nil {
		return nil, domain.Wrap(err, "could not list members")
	}
	out := make([]domain.Member, len(rows))
	for i, r := range rows {
		out[i] = domain.Member{User: domain.UserRef{ID: domain.UserID(r.ID), Email: r.Email}, Role: domain.Role(r.Role)}
	}
	return out, nil
}

// SetRole changes a member's role; KindUserNotFound.
func (s memberStore) SetRole(ctx context.Context, user domain.UserID, role domain.Role) error {
	return execOne(ctx, s.tx, errNotAMember(), "could not change a member's role",
		`UPDATE memberships SET role = ? WHERE tenant_id = ? AND user_id = ?`, string(role), string(s.tenant), string(user))
}

// Remove deletes a membership; KindUserNotFound.
func (s memberStore) Remove(ctx context.Context, user domain.UserID) error {
	return execOne(ctx, s.tx, errNotAMember(), "could not remove a member",
		`DELETE FROM memberships WHERE tenant_id = ? AND user_id = ?`, string(s.tenant), string(user))
}

// LockOwners returns the number of owners; the transaction already holds the
// database's write lock, so no concurrent demotion can interleave.
func (s memberStore) LockOwners(ctx context.Context) (int, error) {
	var n int
	err := s.tx.GetContext(ctx, &n,
		`SELECT count(*) FROM memberships WHERE tenant_id = ? AND role = 'owner'`, string(s.tenant))
	return n, domain.Wrap(err, "could not count owners")
}

// missing names what a foreign key violation of a new membership was about.
func (s memberStore) missing(ctx context.Context, user domain.UserID) error {
	var users int
	err := s.tx.GetContext(ctx, &users, `SELECT count(*) FROM users WHERE id = ?`, string(user))
	switch {
	case err != nil:
		return domain.Wrap(err, "could not check a user")
	case users == 0:
		return domain.Errorf(domain.KindUserNotFound, "The user does not exist.")
	}
	return domain.Errorf(domain.KindTenantNotFound, "The tenant does not exist.")
}

// errNotAMember is the error of a user who is no member of the tenant.
func errNotAMember() error {
	return domain.Errorf(domain.KindUserNotFound, "The user is not a member of this tenant.")
}

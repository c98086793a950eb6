package identity

import (
	"context"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// ListMembers lists the tenant's members (admin).
func (s *Service) ListMembers(ctx context.Context, actor domain.Actor) ([]domain.Member, error) {
	if err := requireRole(actor, domain.RoleAdmin); err != nil {
		return nil, err
	}
	var members []domain.Member
	err := s.deps.Tx.InTenant(ctx, actor.TenantID, func(ctx context.Context, st ports.TenantTx) error {
		var err error
		members, err = st.Members().List(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	if members == nil {
		members = []domain.Member{}
	}
	return members, nil
}

// AddMember gives an existing user a role (admin; only an owner grants owner).
// USER_NOT_FOUND when no user has the email, MEMBER_ALREADY_EXISTS when the
// user is already a member.
func (s *Service) AddMember(ctx context.Context, actor domain.Actor, email string, role domain.Role) (domain.Member, error) {
	if err := requireRole(actor, domain.RoleAdmin); err != nil {
		return domain.Member{}, err
	}
	email = domain.NormalizeEmail(email)
	p := domain.Problems{}
	domain.CheckEmail(p, "email", email)
	checkRole(p, role)
	if err := p.Err(); err != nil {
		return domain.Member{}, err
	}
	if role == domain.RoleOwner && actor.Role != domain.RoleOwner {
		return domain.Member{}, ownerOnly()
	}
	var member domain.Member
	err := s.deps.Tx.InTenant(ctx, actor.TenantID, func(ctx context.Context, st ports.TenantTx) error {
		user, err := st.Users().ByEmail(ctx, email)
		if domain.IsKind(err, domain.KindUserNotFound) {
			return userNotFound("email", email)
		}
		if err != nil {
			return err
		}
		m := domain.Membership{TenantID: actor.TenantID, UserID: user.ID, Role: role, CreatedAt: s.now()}
		if err := s.addMembership(ctx, st, actor, m); err != nil {
			return err
		}
		member = domain.Member{User: user.Ref(), Role: role}
		return nil
	})
	if err != nil {
		return domain.Member{}, err
	}
	return member, nil
}

// UpdateMember changes a member's role (admin). Only an owner grants owner or
// changes an owner's role; LAST_OWNER when it would leave the tenant without
// an owner; USER_NOT_FOUND for a user who is no member. Setting the role a
// member already has changes nothing and is not audited.
func (s *Service) UpdateMember(ctx context.Context, actor domain.Actor, user domain.UserID, role domain.Role) (domain.Member, error) {
	if err := requireRole(actor, domain.RoleAdmin); err != nil {
		return domain.Member{}, err
	}
	p := domain.Problems{}
	checkRole(p, role)
	if err := p.Err(); err != nil {
		return domain.Member{}, err
	}
	if !validUUID(string(user)) {
		return domain.Member{}, userNotFound("user_id", string(user))
	}
	if role == domain.RoleOwner && actor.Role != domain.RoleOwner {
		return domain.Member{}, ownerOnly()
	}
	var member domain.Member
	err := s.deps.Tx.InTenant(ctx, actor.TenantID, func(ctx context.Context, st ports.TenantTx) error {
		current, err := ownerGuardedMember(ctx, st, actor, user)
		if err != nil {
			return err
		}
		u, err := st.Users().ByID(ctx, user)
		if err != nil {
			return err
		}
		member = domain.Member{User: u.Ref(), Role: role}
		if current.Role == role {
			return nil
		}
		if err := keepAnOwner(ctx, st, current); err != nil {
			return err
		}
		if err := st.Members().SetRole(ctx, user, role); err != nil {
			return err
		}
		if err := publishMemberChange(ctx, st, actor.TenantID, user); err != nil {
			return err
		}
		details := map[string]any{"user_id": string(user), "from": string(current.Role), "to": string(role)}
		return s.audit.Append(ctx, st.Audit(), actor, domain.ActionMemberUpdated, userTarget(user), details)
	})
	if err != nil {
		return domain.Member{}, err
	}
	return member, nil
}

// RemoveMember removes a member (admin; only an owner removes an owner);
// LAST_OWNER for the last owner, USER_NOT_FOUND for a user who is no member.
func (s *Service) RemoveMember(ctx context.Context, actor domain.Actor, user domain.UserID) error {
	if err := requireRole(actor, domain.RoleAdmin); err != nil {
		return err
	}
	if !validUUID(string(user)) {
		return userNotFound("user_id", string(user))
	}
	return s.deps.Tx.InTenant(ctx, actor.TenantID, func(ctx context.Context, st ports.TenantTx) error {
		current, err := ownerGuardedMember(ctx, st, actor, user)
		if err != nil {
			return err
		}
		if err := keepAnOwner(ctx, st, current); err != nil {
			return err
		}
		if err := st.Members().Remove(ctx, user); err != nil {
			return err
		}
		if err := publishMemberChange(ctx, st, actor.TenantID, user); err != nil {
			return err
		}
		details := map[string]any{"user_id": string(user), "role": string(current.Role)}
		return s.audit.Append(ctx, st.Audit(), actor, domain.ActionMemberRemoved, userTarget(user), details)
	})
}

// ownerGuardedMember returns user's membership, refusing with
// PERMISSION_DENIED when it is an owner's and actor is no owner.
func ownerGuardedMember(ctx context.Context, st ports.TenantTx, actor domain.Actor, user domain.UserID) (domain.Membership, error) {
	current, err := st.Members().Get(ctx, user)
	if domain.IsKind(err, domain.KindUserNotFound) {
		return domain.Membership{}, userNotFound("user_id", string(user))
	}
	if err != nil {
		return domain.Membership{}, err
	}
	if current.Role == domain.RoleOwner && actor.Role != domain.RoleOwner {
		return domain.Membership{}, ownerOnly()
	}
	return current, nil
}

// keepAnOwner refuses with LAST_OWNER to demote or remove current when it is
// the only owner left. It locks the owner memberships until the transaction
// ends, so that two concurrent changes cannot both pass.
func keepAnOwner(ctx context.Context, st ports.TenantTx, current domain.Membership) error {
	if current.Role != domain.RoleOwner {
		return nil
	}
	owners, err := st.Members().LockOwners(ctx)
	if err != nil {
		return err
	}
	if owners <= 1 {
		return lastOwner()
	}
	return nil
}

// addMembership inserts m and audits it as actor.
func (s *Service) addMembership(ctx context.Context, st ports.TenantTx, actor domain.Actor, m domain.Membership) error {
	if err := st.Members().Add(ctx, m); err != nil {
		return err
	}
	details := map[string]any{"user_id": string(m.UserID), "role": string(m.Role)}
	return s.audit.Append(ctx, st.Audit(), actor, domain.ActionMemberAdded, userTarget(m.UserID), details)
}

// checkRole records a problem with the "role" field unless role is valid.
func checkRole(p domain.Problems, role domain.Role) {
	if !role.Valid() {
		p.Add("role", "must be one of owner, admin, editor, viewer")
	}
}

// publishMemberChange tells every process that user's membership of tenant
// changed, so that what the user holds open on it (watch streams) ends and
// is asked for again under the new role, or refused.
func publishMemberChange(ctx context.Context, st ports.TenantTx, tenant domain.TenantID, user domain.UserID) error {
	return st.Changes().Publish(ctx, domain.Change{Kind: domain.ChangeMember, TenantID: tenant, UserID: user})
}

package identity

import (
	"context"
	"strings"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// registerAttempts bounds the retries of a registration whose tenant slug was
// taken by a concurrent one between the check and the insert.
const registerAttempts = 3

// Register creates a user and a new tenant (with its default environments and
// data key) owned by that user, and logs the user in. Everything commits in
// one transaction or not at all; EMAIL_ALREADY_REGISTERED for a taken email.
// Whether signup is allowed at all is the caller's decision.
func (s *Service) Register(ctx context.Context, in RegisterInput) (Registration, error) {
	email := domain.NormalizeEmail(in.Email)
	p := domain.Problems{}
	domain.CheckEmail(p, "email", email)
	domain.CheckPassword(p, "password", in.Password)
	domain.CheckText(p, "tenant_name", in.TenantName, domain.MaxNameLength, true)
	if err := p.Err(); err != nil {
		return Registration{}, err
	}
	hash, err := s.passwords.hash(in.Password)
	if err != nil {
		return Registration{}, err
	}
	name := strings.TrimSpace(in.TenantName)
	for attempt := 1; ; attempt++ {
		reg, err := s.registerOnce(ctx, email, hash, name)
		if !domain.IsKind(err, domain.KindConflict) || attempt == registerAttempts {
			return reg, err
		}
	}
}

// registerOnce runs one registration transaction with new identifiers.
func (s *Service) registerOnce(ctx context.Context, email, passwordHash, tenantName string) (Registration, error) {
	tenantID, err := newID(s.deps.Random)
	if err != nil {
		return Registration{}, err
	}
	userID, err := newID(s.deps.Random)
	if err != nil {
		return Registration{}, err
	}
	now := s.now()
	user := domain.User{ID: domain.UserID(userID), Email: email, PasswordHash: passwordHash, CreatedAt: now}
	tenant := domain.Tenant{ID: domain.TenantID(tenantID), Name: tenantName, CreatedAt: now}
	owner := domain.Actor{TenantID: tenant.ID, UserID: user.ID, Role: domain.RoleOwner}

	var reg Registration
	err = s.deps.Tx.InTenant(ctx, tenant.ID, func(ctx context.Context, st ports.TenantTx) error {
		slug, err := s.freeSlug(ctx, st.Directory(), domain.Slugify(tenantName))
		if err != nil {
			return err
		}
		tenant.Slug = slug
		if err := st.Users().Create(ctx, user); err != nil {
			return err
		}
		if tenant, err = s.createTenant(ctx, st, tenant, owner); err != nil {
			return err
		}
		m := domain.Membership{TenantID: tenant.ID, UserID: user.ID, Role: domain.RoleOwner, CreatedAt: now}
		if err := s.addMembership(ctx, st, owner, m); err != nil {
			return err
		}
		token, err := s.issueToken(ctx, st.Tokens(), user.ID)
		if err != nil {
			return err
		}
		reg = Registration{Token: token.Token, ExpiresAt: token.ExpiresAt, User: user.Ref(), Tenant: tenant.Ref()}
		return nil
	})
	if err != nil {
		return Registration{}, err
	}
	return reg, nil
}

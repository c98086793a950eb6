package identity

import (
	"context"
	"slices"
	"strings"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

const (
	// fallbackSlug is the slug base of a tenant whose name has no letter or digit.
	fallbackSlug = "tenant"
	// slugSuffixLength random characters make a taken slug unique.
	slugSuffixLength = 6
	// slugAttempts bounds the candidates tried before giving up.
	slugAttempts = 5
	// maxSlugLength is the longest slug the slug rule allows.
	maxSlugLength = 63
)

// CreateTenant creates a tenant with its data key and default environments
// (the CLI's tenant create); CONFLICT when the slug is taken. The audit
// entry names the system actor.
func (s *Service) CreateTenant(ctx context.Context, slug, name string) (domain.Tenant, error) {
	p := domain.Problems{}
	domain.CheckSlug(p, "slug", slug)
	domain.CheckText(p, "name", name, domain.MaxNameLength, true)
	if err := p.Err(); err != nil {
		return domain.Tenant{}, err
	}
	id, err := newID(s.deps.Random)
	if err != nil {
		return domain.Tenant{}, err
	}
	tenant := domain.Tenant{ID: domain.TenantID(id), Slug: slug, Name: strings.TrimSpace(name), CreatedAt: s.now()}
	err = s.deps.Tx.InTenant(ctx, tenant.ID, func(ctx context.Context, st ports.TenantTx) error {
		_, err := st.Directory().TenantBySlug(ctx, slug)
		switch {
		case err == nil:
			return domain.Errorf(domain.KindConflict, "A tenant with this slug already exists.").WithDetail("slug", slug)
		case !domain.IsKind(err, domain.KindTenantNotFound):
			return err
		}
		tenant, err = s.createTenant(ctx, st, tenant, domain.SystemActor(tenant.ID))
		return err
	})
	if err != nil {
		return domain.Tenant{}, err
	}
	return tenant, nil
}

// CreateUser creates a user with a password and makes them a member of the
// tenant with slug tenantSlug (the CLI's user create). The audit entry names
// the system actor; the returned user carries no password hash.
func (s *Service) CreateUser(ctx context.Context, email, password, tenantSlug string, role domain.Role) (domain.User, error) {
	email = domain.NormalizeEmail(email)
	p := domain.Problems{}
	domain.CheckEmail(p, "email", email)
	domain.CheckPassword(p, "password", password)
	domain.CheckSlug(p, "tenant", tenantSlug)
	checkRole(p, role)
	if err := p.Err(); err != nil {
		return domain.User{}, err
	}
	var tenant domain.TenantRef
	err := s.deps.Tx.Global(ctx, func(ctx context.Context, g ports.GlobalTx) error {
		var err error
		tenant, err = g.Directory().TenantBySlug(ctx, tenantSlug)
		if domain.IsKind(err, domain.KindTenantNotFound) {
			return tenantNotFound(tenantSlug)
		}
		return err
	})
	if err != nil {
		return domain.User{}, err
	}
	hash, err := s.passwords.hash(password)
	if err != nil {
		return domain.User{}, err
	}
	id, err := newID(s.deps.Random)
	if err != nil {
		return domain.User{}, err
	}
	now := s.now()
	user := domain.User{ID: domain.UserID(id), Email: email, PasswordHash: hash, CreatedAt: now}
	err = s.deps.Tx.InTenant(ctx, tenant.ID, func(ctx context.Context, st ports.TenantTx) error {
		if err := st.Users().Create(ctx, user); err != nil {
			return err
		}
		m := domain.Membership{TenantID: tenant.ID, UserID: user.ID, Role: role, CreatedAt: now}
		return s.addMembership(ctx, st, domain.SystemActor(tenant.ID), m)
	})
	if err != nil {
		return domain.User{}, err
	}
	user.PasswordHash = ""
	return user, nil
}

// createTenant stores t (ID, slug, name and CreatedAt set) with a new data key
// and the default environments, and audits it as actor, in the transaction
// bound to t.ID. It returns t with its data key.
func (s *Service) createTenant(ctx context.Context, st ports.TenantTx, t domain.Tenant, actor domain.Actor) (domain.Tenant, error) {
	key, err := s.keys.NewTenantKey(t.ID)
	if err != nil {
		return domain.Tenant{}, internal(err, "could not create the tenant's data key")
	}
	t.DataKey = key
	if err := st.Tenants().Create(ctx, t); err != nil {
		return domain.Tenant{}, err
	}
	for i, name := range domain.DefaultEnvironments {
		env := domain.Environment{Name: name, Position: i + 1, CreatedAt: t.CreatedAt}
		if err := st.Environments().Create(ctx, env); err != nil {
			return domain.Tenant{}, err
		}
	}
	details := map[string]any{"slug": t.Slug, "name": t.Name, "environments": slices.Clone(domain.DefaultEnvironments)}
	if err := s.audit.Append(ctx, st.Audit(), actor, domain.ActionTenantCreated, tenantTarget(t.ID), details); err != nil {
		return domain.Tenant{}, err
	}
	return t, nil
}

// freeSlug returns base (or fallbackSlug when base is empty) if no tenant has
// it, else base with a random suffix that no tenant has. CONFLICT when every
// candidate is taken.
func (s *Service) freeSlug(ctx context.Context, dir ports.Directory, base string) (string, error) {
	if base == "" {
		base = fallbackSlug
	}
	stem := strings.TrimRight(base[:min(len(base), maxSlugLength-1-slugSuffixLength)], "-")
	candidate := base
	for range slugAttempts {
		_, err := dir.TenantBySlug(ctx, candidate)
		if domain.IsKind(err, domain.KindTenantNotFound) {
			return candidate, nil
		}
		if err != nil {
			return "", err
		}
		suffix, err := randomSuffix(s.deps.Random, slugSuffixLength)
		if err != nil {
			return "", err
		}
		candidate = stem + "-" + suffix
	}
	return "", domain.Errorf(domain.KindConflict, "No free tenant slug was found; please try again.")
}

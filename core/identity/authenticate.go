package identity

import (
	"context"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// AuthenticateToken turns a user token into an actor in the tenant named by
// tenantSlug, or the user's first membership when tenantSlug is "".
// INVALID_TOKEN for a malformed, unknown, expired or revoked token (checksum
// checked before any store call); TENANT_NOT_FOUND for a tenant the user is
// not a member of. A user with no membership gets an actor with only UserID:
// such an actor acts in no tenant, and every tenant operation of this
// package refuses it with TENANT_NOT_FOUND.
func (s *Service) AuthenticateToken(ctx context.Context, token, tenantSlug string) (domain.Actor, error) {
	if !domain.WellFormedCredential(domain.UserTokenPrefix, token) {
		return domain.Actor{}, invalidToken()
	}
	digest := domain.CredentialDigest(token)
	now := s.now()
	var actor domain.Actor
	err := s.deps.Tx.Global(ctx, func(ctx context.Context, g ports.GlobalTx) error {
		t, err := g.Tokens().ByDigest(ctx, digest)
		if domain.IsKind(err, domain.KindInvalidToken) {
			return invalidToken()
		}
		if err != nil {
			return err
		}
		if !domain.SameDigest(t.Digest, digest) || !domain.Active(now, &t.ExpiresAt, t.RevokedAt) {
			return invalidToken()
		}
		memberships, err := g.Directory().MembershipsOfUser(ctx, t.UserID)
		if err != nil {
			return err
		}
		actor, err = actorIn(t.UserID, memberships, tenantSlug)
		actor.Expires = t.ExpiresAt
		return err
	})
	if err != nil {
		return domain.Actor{}, err
	}
	return actor, nil
}

// actorIn returns user's actor in the tenant with slug tenantSlug, or in the
// first membership when tenantSlug is "".
func actorIn(user domain.UserID, memberships []domain.UserMembership, tenantSlug string) (domain.Actor, error) {
	for _, m := range memberships {
		if tenantSlug == "" || m.Tenant.Slug == tenantSlug {
			return domain.Actor{TenantID: m.Tenant.ID, UserID: user, Role: m.Role}, nil
		}
	}
	if tenantSlug != "" {
		return domain.Actor{}, tenantNotFound(tenantSlug)
	}
	return domain.Actor{UserID: user}, nil
}

// AuthenticateAPIKey turns an API key into an actor; INVALID_API_KEY for a
// malformed, unknown, expired or revoked key (checksum checked first). The
// credential comes from Deps.APIKeyLookup (cached when core.New was given a
// cache); expiry and revocation are checked here on every call.
func (s *Service) AuthenticateAPIKey(ctx context.Context, key string) (domain.Actor, error) {
	if !domain.WellFormedCredential(domain.APIKeyPrefix, key) {
		return domain.Actor{}, invalidAPIKey()
	}
	digest := domain.CredentialDigest(key)
	k, err := s.deps.APIKeyLookup.ByDigest(ctx, digest)
	if domain.IsKind(err, domain.KindInvalidAPIKey) {
		return domain.Actor{}, invalidAPIKey()
	}
	if err != nil {
		return domain.Actor{}, err
	}
	if !domain.SameDigest(k.Digest, digest) || !domain.Active(s.now(), k.ExpiresAt, k.RevokedAt) {
		return domain.Actor{}, invalidAPIKey()
	}
	actor := domain.Actor{TenantID: k.TenantID, APIKeyID: k.ID, Environment: k.Environment}
	if k.ExpiresAt != nil {
		actor.Expires = *k.ExpiresAt
	}
	return actor, nil
}

// NewAPIKeyLookup returns the API-key lookup over the store: each call is one
// Global transaction over deps.Tx reading the directory.
func NewAPIKeyLookup(deps Deps) ports.APIKeyLookup { return storeAPIKeys{tx: deps.Tx} }

// storeAPIKeys reads API-key credentials from the store's directory.
type storeAPIKeys struct {
	tx ports.Transactor
}

// ByDigest reads an API key's credential by digest in its own transaction.
func (l storeAPIKeys) ByDigest(ctx context.Context, digest []byte) (domain.APIKeyCredential, error) {
	var k domain.APIKeyCredential
	err := l.tx.Global(ctx, func(ctx context.Context, g ports.GlobalTx) error {
		var err error
		k, err = g.Directory().APIKeyByDigest(ctx, digest)
		return err
	})
	return k, err
}

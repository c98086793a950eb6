package identity

import (
	"errors"

	"github.com/google/uuid"

	"github.com/configmat/configmat/core/domain"
)

// invalidCredentials is the one answer to a wrong email or a wrong password.
func invalidCredentials() error {
	return domain.Errorf(domain.KindInvalidCredentials, "The email or password is incorrect.")
}

// invalidToken is the one answer to a malformed, unknown, expired or revoked token.
func invalidToken() error {
	return domain.Errorf(domain.KindInvalidToken, "The token is invalid, expired or revoked.")
}

// invalidAPIKey is the one answer to a malformed, unknown, expired or revoked key.
func invalidAPIKey() error {
	return domain.Errorf(domain.KindInvalidAPIKey, "The API key is invalid, expired or revoked.")
}

func tenantNotFound(slug string) error {
	return domain.Errorf(domain.KindTenantNotFound, "The requested tenant does not exist.").WithDetail("tenant", slug)
}

func userNotFound(key, value string) error {
	return domain.Errorf(domain.KindUserNotFound, "The requested user does not exist.").WithDetail(key, value)
}

func apiKeyNotFound(id domain.APIKeyID) error {
	return domain.Errorf(domain.KindAPIKeyNotFound, "The requested API key does not exist.").WithDetail("api_key_id", string(id))
}

func ownerOnly() error {
	return domain.Errorf(domain.KindPermissionDenied, "Only an owner may grant, change or remove the owner role.").
		WithDetail("required_role", string(domain.RoleOwner))
}

func lastOwner() error {
	return domain.Errorf(domain.KindLastOwner, "The tenant's last owner cannot be demoted or removed.")
}

// requireRole is actor.Require(min), except that a user acting in no tenant
// (a user without memberships, see AuthenticateToken) gets TENANT_NOT_FOUND:
// they are authenticated, there is just no tenant to act on.
func requireRole(actor domain.Actor, min domain.Role) error {
	if actor.IsUser() && actor.TenantID == "" {
		return domain.Errorf(domain.KindTenantNotFound, "You are not a member of any tenant.")
	}
	return actor.Require(min)
}

// internal returns err as is when it already is a *domain.Error, else wraps
// it as an internal error with message.
func internal(err error, message string) error {
	var de *domain.Error
	if err == nil || errors.As(err, &de) {
		return err
	}
	return domain.Wrap(err, message)
}

// validUUID reports whether s is a UUID in canonical text form, so that a
// malformed identifier answers "not found" without reaching a store.
func validUUID(s string) bool {
	u, err := uuid.Parse(s)
	return err == nil && u.String() == s
}

// Audit targets name what an entry is about, as actors are named.
func tenantTarget(id domain.TenantID) string { return "tenant:" + string(id) }
func userTarget(id domain.UserID) string     { return "user:" + string(id) }
func apiKeyTarget(id domain.APIKeyID) string { return "api_key:" + string(id) }

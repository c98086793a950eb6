package domain

import "time"

// Actor is who performs an operation: a user acting in one tenant with a role,
// an API key of a tenant, or the system itself (CLI administration). Every core
// service takes an Actor and checks its role before touching a store, so a
// program that imports the core gets the same authorization as the HTTP API.
type Actor struct {
	TenantID TenantID
	// UserID is set for a user; APIKeyID for an API key; neither for the system.
	UserID   UserID
	APIKeyID APIKeyID
	// Role is the user's role in TenantID. API keys have no role: they may only
	// read resolved configuration.
	Role Role
	// Environment limits an API key to one environment when not empty.
	Environment string
	// Expires is when the credential that authenticated the actor stops
	// being valid; zero when it never expires (and for the system).
	Expires time.Time
}

// SystemActor returns the actor used by administrative commands run by an
// operator with direct access to the deployment; it acts as owner.
func SystemActor(tenant TenantID) Actor { return Actor{TenantID: tenant, Role: RoleOwner} }

// IsUser reports whether the actor is a user.
func (a Actor) IsUser() bool { return a.UserID != "" }

// IsAPIKey reports whether the actor is an API key.
func (a Actor) IsAPIKey() bool { return a.APIKeyID != "" }

// String names the actor in audit entries: "user:<id>", "api_key:<id>" or "system".
func (a Actor) String() string {
	switch {
	case a.UserID != "":
		return "user:" + string(a.UserID)
	case a.APIKeyID != "":
		return "api_key:" + string(a.APIKeyID)
	}
	return "system"
}

// Require returns TENANT_NOT_FOUND for a user acting in no tenant,
// AUTHENTICATION_REQUIRED for no actor, and a PERMISSION_DENIED error unless the actor is a user (or the
// system) whose role is at least min. API keys never pass.
func (a Actor) Require(min Role) error {
	if a.TenantID == "" && a.UserID != "" {
		return Errorf(KindTenantNotFound, "The user is not a member of any tenant.")
	}
	if a.TenantID == "" {
		return Errorf(KindUnauthenticated, "Authentication is required.")
	}
	if a.APIKeyID != "" || !a.Role.AtLeast(min) {
		return Errorf(KindPermissionDenied, "This action requires the %s role or higher.", min).WithDetail("required_role", string(min))
	}
	return nil
}

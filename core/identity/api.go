// Package identity is the people side of ConfigMat's core: tenants, users,
// registration and login, tokens, memberships and roles, API keys, and the
// authentication of credentials into domain.Actor values.
package identity

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/configmat/configmat/core/audit"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/keys"
	"github.com/configmat/configmat/ports"
)

var errTODO = errors.New("identity: not implemented yet")

// Deps are the ports and core services identity needs.
type Deps struct {
	Tx     ports.Transactor
	Clock  ports.Clock
	Random io.Reader
	Keys   *keys.Manager
	Audit  *audit.Log
	// TokenTTL is the lifetime of user tokens (TOKEN_TTL).
	TokenTTL time.Duration
}

// Service is the identity service.
type Service struct {
	deps Deps
}

// New returns the identity service.
func New(deps Deps) *Service { return &Service{deps: deps} }

// RegisterInput registers a user together with a new tenant they own.
type RegisterInput struct {
	Email      string
	Password   string
	TenantName string
}

// Registration is the result of Register.
type Registration struct {
	Token     string           `json:"token"`
	ExpiresAt time.Time        `json:"expires_at"`
	User      domain.UserRef   `json:"user"`
	Tenant    domain.TenantRef `json:"tenant"`
}

// IssuedToken is a new user token, shown once.
type IssuedToken struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Me is a user with their memberships.
type Me struct {
	User        domain.UserRef          `json:"user"`
	Memberships []domain.UserMembership `json:"memberships"`
}

// APIKeyInput creates an API key.
type APIKeyInput struct {
	Name        string
	Environment string
	ExpiresAt   *time.Time
}

// CreatedAPIKey is a new API key with its full text, shown once.
type CreatedAPIKey struct {
	domain.APIKey
	Key string
}

// Register creates a user and a new tenant (with its default environments and
// data key) owned by that user, and logs the user in.
func (s *Service) Register(ctx context.Context, in RegisterInput) (Registration, error) {
	return Registration{}, errTODO
}

// Login checks a password and issues a token; INVALID_CREDENTIALS for a wrong
// email or password alike, in similar time.
func (s *Service) Login(ctx context.Context, email, password string) (IssuedToken, error) {
	return IssuedToken{}, errTODO
}

// AuthenticateToken turns a user token into an actor in the tenant named by
// tenantSlug, or the user's first membership when tenantSlug is "".
// INVALID_TOKEN for a malformed, unknown, expired or revoked token (checksum
// checked before any store call); TENANT_NOT_FOUND for a tenant the user is
// not a member of. A user with no membership gets an actor with only UserID.
func (s *Service) AuthenticateToken(ctx context.Context, token, tenantSlug string) (domain.Actor, error) {
	return domain.Actor{}, errTODO
}

// AuthenticateAPIKey turns an API key into an actor; INVALID_API_KEY for a
// malformed, unknown, expired or revoked key (checksum checked first).
func (s *Service) AuthenticateAPIKey(ctx context.Context, key string) (domain.Actor, error) {
	return domain.Actor{}, errTODO
}

// Me returns the actor's user and memberships.
func (s *Service) Me(ctx context.Context, actor domain.Actor) (Me, error) {
	return Me{}, errTODO
}

// CreateTenant creates a tenant with its data key and default environments
// (the CLI's tenant create).
func (s *Service) CreateTenant(ctx context.Context, slug, name string) (domain.Tenant, error) {
	return domain.Tenant{}, errTODO
}

// CreateUser creates a user with a password and makes them a member of the
// tenant with slug tenantSlug (the CLI's user create).
func (s *Service) CreateUser(ctx context.Context, email, password, tenantSlug string, role domain.Role) (domain.User, error) {
	return domain.User{}, errTODO
}

// ListMembers lists the tenant's members (admin).
func (s *Service) ListMembers(ctx context.Context, actor domain.Actor) ([]domain.Member, error) {
	return nil, errTODO
}

// AddMember gives an existing user a role (admin; only an owner grants owner).
func (s *Service) AddMember(ctx context.Context, actor domain.Actor, email string, role domain.Role) (domain.Member, error) {
	return domain.Member{}, errTODO
}

// UpdateMember changes a member's role (admin); LAST_OWNER when it would
// leave the tenant without an owner.
func (s *Service) UpdateMember(ctx context.Context, actor domain.Actor, user domain.UserID, role domain.Role) (domain.Member, error) {
	return domain.Member{}, errTODO
}

// RemoveMember removes a member (admin); LAST_OWNER for the last owner.
func (s *Service) RemoveMember(ctx context.Context, actor domain.Actor, user domain.UserID) error {
	return errTODO
}

// ListAPIKeys lists the tenant's API keys without their secret part (admin).
func (s *Service) ListAPIKeys(ctx context.Context, actor domain.Actor) ([]domain.APIKey, error) {
	return nil, errTODO
}

// CreateAPIKey creates an API key (admin); the key text is returned only here.
func (s *Service) CreateAPIKey(ctx context.Context, actor domain.Actor, in APIKeyInput) (CreatedAPIKey, error) {
	return CreatedAPIKey{}, errTODO
}

// RevokeAPIKey revokes a key at once (admin).
func (s *Service) RevokeAPIKey(ctx context.Context, actor domain.Actor, id domain.APIKeyID) error {
	return errTODO
}

// Package identity is the people side of ConfigMat's core: tenants, users,
// registration and login, tokens, memberships and roles, API keys, and the
// authentication of credentials into domain.Actor values.
package identity

import (
	"context"
	"crypto/rand"
	"io"
	"time"

	"github.com/configmat/configmat/core/audit"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/keys"
	"github.com/configmat/configmat/ports"
)

// DefaultTokenTTL is the lifetime of user tokens when Deps.TokenTTL is zero.
const DefaultTokenTTL = 24 * time.Hour

// Deps are the ports and core services identity needs.
type Deps struct {
	Tx     ports.Transactor
	Clock  ports.Clock
	Random io.Reader
	Keys   *keys.Manager
	Audit  *audit.Log
	// TokenTTL is the lifetime of user tokens (TOKEN_TTL); DefaultTokenTTL
	// when zero.
	TokenTTL time.Duration
	// Password sets the cost of new password hashes; each zero field takes
	// its value from DefaultPasswordParams. Existing hashes carry their own
	// parameters and keep verifying when these change.
	Password PasswordParams
	// APIKeyLookup finds API keys by digest for AuthenticateAPIKey;
	// NewAPIKeyLookup(deps) when nil. core.New passes the store's, wrapped by
	// core/cache when the read cache is on.
	APIKeyLookup ports.APIKeyLookup
}

// tenantKeys creates the wrapped data key of a new tenant (keys.Manager).
type tenantKeys interface {
	NewTenantKey(tenant domain.TenantID) (domain.WrappedKey, error)
}

// auditLog appends an entry to the tenant's chain (audit.Log).
type auditLog interface {
	Append(ctx context.Context, chain ports.AuditStore, actor domain.Actor, action, target string, details any) error
}

// Service is the identity service.
type Service struct {
	deps      Deps
	keys      tenantKeys
	audit     auditLog
	passwords *passwordHasher
}

// New returns the identity service. A nil Clock is the system clock, a nil
// Random is crypto/rand, a nil APIKeyLookup reads the store, and zero
// TokenTTL and Password take their defaults.
func New(deps Deps) *Service {
	if deps.Clock == nil {
		deps.Clock = ports.SystemClock{}
	}
	if deps.Random == nil {
		deps.Random = rand.Reader
	}
	if deps.TokenTTL <= 0 {
		deps.TokenTTL = DefaultTokenTTL
	}
	deps.Password = deps.Password.withDefaults()
	if deps.APIKeyLookup == nil {
		deps.APIKeyLookup = NewAPIKeyLookup(deps)
	}
	return &Service{
		deps:      deps,
		keys:      deps.Keys,
		audit:     deps.Audit,
		passwords: newPasswordHasher(deps.Password, deps.Random),
	}
}

// RegisterInput registers a user together with a new tenant they own.
type RegisterInput struct {
	Email      string
	Password   string
	TenantName string
}

// Registration is the result of Register.
type Registration struct {
	Token     string
	ExpiresAt time.Time
	User      domain.UserRef
	Tenant    domain.TenantRef
}

// IssuedToken is a new user token, shown once.
type IssuedToken struct {
	Token     string
	ExpiresAt time.Time
}

// Me is a user with their memberships.
type Me struct {
	User        domain.UserRef
	Memberships []domain.UserMembership
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

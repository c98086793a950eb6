package ports

import (
	"context"

	"github.com/configmat/configmat/core/domain"
)

// Transactor is the unit of work. Every read and write of the core runs inside
// one of its functions, which commit when fn returns nil and roll back (and
// return fn's error) otherwise. A failed commit is returned as an error. A
// panic in fn rolls the transaction back and is re-raised with its value.
type Transactor interface {
	// InTenant runs fn in one transaction bound to tenantID: every store of s
	// sees and writes only that tenant's rows (the PostgreSQL adapter sets
	// app.current_tenant, transaction-local, before fn runs). tenantID must be a
	// UUID; anything else is refused with KindInvalid before reaching a database.
	InTenant(ctx context.Context, tenantID domain.TenantID, fn func(ctx context.Context, s TenantTx) error) error
	// Global runs fn in one transaction with no tenant bound: only the global
	// stores and the narrow pre-tenant lookups are available.
	Global(ctx context.Context, fn func(ctx context.Context, s GlobalTx) error) error
}

// GlobalTx are the stores that hold no tenant data.
type GlobalTx interface {
	// Users returns the user store.
	Users() UserStore
	// Tokens returns the user-token store.
	Tokens() TokenStore
	// Directory returns the narrow pre-tenant lookups.
	Directory() Directory
}

// TenantTx are the stores of one transaction bound to one tenant. They
// include the global stores (registration creates a user and a tenant in one
// transaction; adding a member looks a user up by email).
type TenantTx interface {
	GlobalTx
	// Tenants returns the bound tenant's own row.
	Tenants() TenantStore
	// Environments returns the bound tenant's environments.
	Environments() EnvironmentStore
	// Assets returns the bound tenant's assets.
	Assets() AssetStore
	// Versions returns the bound tenant's versions and heads.
	Versions() VersionStore
	// Schemas returns the bound tenant's asset schemas.
	Schemas() SchemaStore
	// Members returns the bound tenant's memberships.
	Members() MemberStore
	// APIKeys returns the bound tenant's API keys.
	APIKeys() APIKeyStore
	// Audit returns the bound tenant's audit chain.
	Audit() AuditStore
	// Changes returns the publisher of this transaction's changes.
	Changes() ChangePublisher
}

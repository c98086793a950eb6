package sqlite

import (
	"github.com/jmoiron/sqlx"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

var (
	_ ports.GlobalTx = globalStores{}
	_ ports.TenantTx = tenantStores{}
)

// globalStores hands out the global stores of one transaction.
type globalStores struct {
	tx *sqlx.Tx
}

// Users returns the transaction's user store.
func (g globalStores) Users() ports.UserStore { return userStore{tx: g.tx} }

// Tokens returns the transaction's token store.
func (g globalStores) Tokens() ports.TokenStore { return tokenStore{tx: g.tx} }

// Directory returns the transaction's pre-tenant lookups.
func (g globalStores) Directory() ports.Directory { return directory{tx: g.tx} }

// tenantStores hands out the stores of one transaction bound to tenant.
type tenantStores struct {
	globalStores
	tenant domain.TenantID
	queue  *changeQueue
}

func (t tenantStores) scope() scope { return scope{tx: t.tx, tenant: t.tenant} }

// Tenants returns the bound tenant's own row.
func (t tenantStores) Tenants() ports.TenantStore { return tenantStore{t.scope()} }

// Environments returns the bound tenant's environment store.
func (t tenantStores) Environments() ports.EnvironmentStore { return environmentStore{t.scope()} }

// Assets returns the bound tenant's asset store.
func (t tenantStores) Assets() ports.AssetStore { return assetStore{t.scope()} }

// Versions returns the bound tenant's version store.
func (t tenantStores) Versions() ports.VersionStore { return versionStore{t.scope()} }

// Members returns the bound tenant's membership store.
func (t tenantStores) Members() ports.MemberStore { return memberStore{t.scope()} }

// APIKeys returns the bound tenant's API key store.
func (t tenantStores) APIKeys() ports.APIKeyStore { return apiKeyStore{t.scope()} }

// Audit returns the bound tenant's audit chain.
func (t tenantStores) Audit() ports.AuditStore { return auditStore{t.scope()} }

// Changes returns the publisher that queues changes until the commit.
func (t tenantStores) Changes() ports.ChangePublisher {
	return publisher{scope: t.scope(), queue: t.queue}
}

// scope is a transaction bound to one tenant; every statement of a tenant
// store names scope.tenant.
type scope struct {
	tx     *sqlx.Tx
	tenant domain.TenantID
}

// own refuses an entity that names a tenant other than the bound one; an
// empty tenant means the bound one.
func (s scope) own(what string, tenant domain.TenantID) error {
	if tenant != "" && tenant != s.tenant {
		return domain.Errorf(domain.KindInvalid, "The %s belongs to another tenant.", what).WithDetail("tenant_id", "invalid")
	}
	return nil
}

package postgres

import (
	"context"
	"database/sql"
	"errors"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
	"github.com/jmoiron/sqlx"
)

// bindTenant binds a transaction to a tenant for row-level security. The
// third argument makes the setting transaction-local: it cannot leak to the
// next transaction that reuses the connection.
const bindTenant = `SELECT set_config('app.current_tenant', $1, true)`

// InTenant runs fn in one transaction bound to tenantID. A tenantID that is
// not a UUID is refused with VALIDATION_ERROR before any SQL.
func (s *Store) InTenant(ctx context.Context, tenantID domain.TenantID, fn func(ctx context.Context, s ports.TenantTx) error) error {
	tenant, err := parseTenantID(tenantID)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, bindTenant, string(tenant)); err != nil {
			return translate(err, "could not bind the transaction to its tenant")
		}
		return fn(ctx, tenantStores{globalStores: globalStores{tx: tx}, tenant: tenant})
	})
}

// Global runs fn in one transaction with no tenant bound.
func (s *Store) Global(ctx context.Context, fn func(ctx context.Context, s ports.GlobalTx) error) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
		return fn(ctx, globalStores{tx: tx})
	})
}

// inTx runs fn in a transaction that it commits when fn returns nil and rolls
// back otherwise (or when fn panics). A failed commit is an error.
func (s *Store) inTx(ctx context.Context, fn func(ctx context.Context, tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return &domain.Error{Kind: domain.KindUnavailable, Message: "The database is unavailable.", Cause: err}
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(ctx, tx); err != nil {
		if rbErr := tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			return errors.Join(err, domain.Wrap(rbErr, "could not roll back the transaction"))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return translate(err, "could not commit the transaction")
	}
	return nil
}

// globalStores are the stores of a transaction with no tenant bound.
type globalStores struct {
	tx *sqlx.Tx
}

// Users returns the user store of the transaction.
func (g globalStores) Users() ports.UserStore { return userStore{tx: g.tx} }

// Tokens returns the token store of the transaction.
func (g globalStores) Tokens() ports.TokenStore { return tokenStore{tx: g.tx} }

// Directory returns the pre-tenant lookups of the transaction.
func (g globalStores) Directory() ports.Directory { return directory{tx: g.tx} }

// tenantStores are the stores of a transaction bound to tenant.
type tenantStores struct {
	globalStores
	tenant domain.TenantID
}

// Tenants returns the bound tenant's own row.
func (t tenantStores) Tenants() ports.TenantStore { return tenantStore{tx: t.tx, tenant: t.tenant} }

// Environments returns the bound tenant's environments.
func (t tenantStores) Environments() ports.EnvironmentStore {
	return environmentStore{tx: t.tx, tenant: t.tenant}
}

// Assets returns the bound tenant's assets.
func (t tenantStores) Assets() ports.AssetStore { return assetStore{tx: t.tx, tenant: t.tenant} }

// Versions returns the bound tenant's versions.
func (t tenantStores) Versions() ports.VersionStore { return versionStore{tx: t.tx, tenant: t.tenant} }

// Members returns the bound tenant's memberships.
func (t tenantStores) Members() ports.MemberStore { return memberStore{tx: t.tx, tenant: t.tenant} }

// APIKeys returns the bound tenant's API keys.
func (t tenantStores) APIKeys() ports.APIKeyStore { return apiKeyStore{tx: t.tx, tenant: t.tenant} }

// Audit returns the bound tenant's audit chain.
func (t tenantStores) Audit() ports.AuditStore { return auditStore{tx: t.tx, tenant: t.tenant} }

// Changes returns the publisher of the transaction's changes.
func (t tenantStores) Changes() ports.ChangePublisher {
	return changePublisher{tx: t.tx, tenant: t.tenant}
}

var (
	_ ports.GlobalTx = (*globalStores)(nil)
	_ ports.TenantTx = (*tenantStores)(nil)
)

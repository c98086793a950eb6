package postgres

import (
	"context"

	"github.com/jmoiron/sqlx"

	"github.com/configmat/configmat/core/domain"
)

// TranslatedConstraint returns the kind a violation of the named constraint
// becomes; ok is false for a constraint the adapter does not know.
func TranslatedConstraint(name string) (kind domain.Kind, ok bool) {
	kind, ok = constraintKinds[name]
	return kind, ok
}

// NotifyStatement is the statement Publish sends for payload.
func NotifyStatement(payload []byte) string { return notifyStatement(payload) }

// BindTenant binds tx to tenant as the store does.
func BindTenant(ctx context.Context, tx *sqlx.Tx, tenant domain.TenantID) error {
	return dialect{}.BindTenant(ctx, tx, tenant)
}

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

// NotifyCall is the pg_notify call of payload that Flush and Returning
// write.
func NotifyCall(payload []byte) string { return notifyCall(payload) }

// BindTenant binds tx to tenant as the store does.
func BindTenant(ctx context.Context, tx *sqlx.Tx, tenant domain.TenantID) error {
	return dialect{}.BindTenant(ctx, tx, tenant)
}

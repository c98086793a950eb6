package postgres

import (
	"context"
	"encoding/json"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
	"github.com/jmoiron/sqlx"
)

// changesChannel is the LISTEN/NOTIFY channel of committed changes.
const changesChannel = "configmat_changes"

// changePublisher notifies the change feed from inside a transaction;
// PostgreSQL delivers the notification only if and when it commits.
type changePublisher struct {
	tx     *sqlx.Tx
	tenant domain.TenantID
}

var _ ports.ChangePublisher = (*changePublisher)(nil)

// Publish queues c, as JSON, for delivery after commit. c's tenant is the
// bound one (filled in when empty; VALIDATION_ERROR when another).
func (p changePublisher) Publish(ctx context.Context, c domain.Change) error {
	if err := sameTenant(p.tenant, c.TenantID); err != nil {
		return err
	}
	c.TenantID = p.tenant
	payload, err := json.Marshal(c)
	if err != nil {
		return domain.Wrap(err, "could not encode the change")
	}
	_, err = p.tx.ExecContext(ctx, `SELECT pg_notify('`+changesChannel+`', $1)`, string(payload))
	return translate(err, "could not publish the change")
}

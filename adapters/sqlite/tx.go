package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

var _ ports.Transactor = (*Store)(nil)

// inTxKey marks the context of a running transaction: the store has one
// connection, so a transaction begun inside another would wait forever.
type inTxKey struct{}

// InTenant runs fn in one transaction bound to tenantID, which must be a UUID
// in canonical form (KindInvalid before the database is touched). It commits
// when fn returns nil and rolls back otherwise, returning fn's error; a panic
// in fn rolls back and is re-raised. Changes published in the transaction are
// delivered to listeners after the commit.
func (s *Store) InTenant(ctx context.Context, tenantID domain.TenantID, fn func(ctx context.Context, st ports.TenantTx) error) error {
	if u, err := uuid.Parse(string(tenantID)); err != nil || u.String() != string(tenantID) {
		return domain.Errorf(domain.KindInvalid, "The tenant ID must be a UUID.").WithDetail("tenant_id", "invalid")
	}
	return s.run(ctx, func(ctx context.Context, tx *sqlx.Tx, queue *changeQueue) error {
		return fn(ctx, tenantStores{globalStores: globalStores{tx: tx}, tenant: tenantID, queue: queue})
	})
}

// Global runs fn in one transaction with no tenant bound, like InTenant.
func (s *Store) Global(ctx context.Context, fn func(ctx context.Context, st ports.GlobalTx) error) error {
	return s.run(ctx, func(ctx context.Context, tx *sqlx.Tx, _ *changeQueue) error {
		return fn(ctx, globalStores{tx: tx})
	})
}

// run begins an immediate transaction, runs body, and commits or rolls back.
func (s *Store) run(ctx context.Context, body func(ctx context.Context, tx *sqlx.Tx, queue *changeQueue) error) error {
	if ctx.Value(inTxKey{}) != nil {
		return domain.Errorf(domain.KindInternal, "a transaction cannot begin inside another one")
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return domain.Wrap(err, "could not begin a transaction")
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	queue := &changeQueue{}
	if err := body(context.WithValue(ctx, inTxKey{}, true), tx, queue); err != nil {
		if rbErr := tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			return errors.Join(err, domain.Wrap(rbErr, "could not roll back a transaction"))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return domain.Wrap(err, "could not commit a transaction")
	}
	s.feed.deliver(queue.changes)
	return nil
}

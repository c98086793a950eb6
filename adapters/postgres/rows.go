package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/configmat/configmat/core/domain"
	"github.com/jmoiron/sqlx"
)

// utcPtr returns t in UTC, or nil.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// requireOneRow returns a not-found error of kind unless res changed a row.
func requireOneRow(res sql.Result, kind domain.Kind, message string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return domain.Wrap(err, "could not count the changed rows")
	}
	if n == 0 {
		return notFound(kind, message)
	}
	return nil
}

// execOne runs a statement that must change exactly one row: a driver
// failure is translated with failure, and a statement that changed nothing
// answers kind with message.
func execOne(ctx context.Context, tx *sqlx.Tx, kind domain.Kind, message, failure, query string, args ...any) error {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return translate(err, failure)
	}
	return requireOneRow(res, kind, message)
}

// pageLimit bounds a requested page size: the default when unset, at most
// domain.MaxPageSize.
func pageLimit(n int) int {
	switch {
	case n <= 0:
		return domain.DefaultPageSize
	case n > domain.MaxPageSize:
		return domain.MaxPageSize
	}
	return n
}

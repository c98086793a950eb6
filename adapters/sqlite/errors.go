package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jmoiron/sqlx"
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/configmat/configmat/core/domain"
)

// code returns the extended SQLite result code of err, or 0.
func code(err error) int {
	var e *msqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

// isPrimaryKey reports a primary key violation.
func isPrimaryKey(err error) bool { return code(err) == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY }

// isUnique reports a UNIQUE constraint violation (not the primary key's).
func isUnique(err error) bool { return code(err) == sqlite3.SQLITE_CONSTRAINT_UNIQUE }

// isForeignKey reports a foreign key violation.
func isForeignKey(err error) bool { return code(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY }

// isNoRows reports a query that found nothing.
func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// execOne runs a statement that must change exactly one row: a driver
// failure is wrapped with failure, and a statement that changed nothing
// answers notFound.
func execOne(ctx context.Context, tx *sqlx.Tx, notFound error, failure, query string, args ...any) error {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return domain.Wrap(err, failure)
	}
	return affectedOne(res, notFound)
}

// affectedOne returns notFound when res changed no row.
func affectedOne(res sql.Result, notFound error) error {
	n, err := res.RowsAffected()
	switch {
	case err != nil:
		return domain.Wrap(err, "could not count changed rows")
	case n == 0:
		return notFound
	}
	return nil
}

package postgres

import (
	"context"
	"database/sql"
	"io/fs"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/migrations"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Migrate applies the pending embedded migrations (migrations/postgres) with
// goose, connected with migrationURL as the tables' owner. The owner needs
// neither SUPERUSER nor BYPASSRLS: it must own the database (and its schema
// public) and be a member of configmat_directory, and the group roles
// configmat_app and configmat_directory must exist, unless it has CREATEROLE,
// in which case the migrations create the roles and the membership
// themselves. A missing role or membership stops the run with the DBA's SQL
// in the error. Concurrent runs wait for each other on a session advisory
// lock. The error never contains migrationURL.
func Migrate(ctx context.Context, migrationURL string) error {
	scripts, err := fs.Sub(migrations.Postgres, "postgres")
	if err != nil {
		return domain.Wrap(err, "could not read the embedded migrations")
	}
	db, err := sql.Open(driverName, migrationURL)
	if err != nil {
		return domain.Wrap(err, "could not open the migration database")
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		return &domain.Error{Kind: domain.KindUnavailable, Message: "Could not connect to the database: " + connectionProblem(err), Cause: err}
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return domain.Wrap(err, "could not create the migration lock")
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, db, scripts, goose.WithSessionLocker(locker))
	if err != nil {
		return domain.Wrap(err, "could not prepare the migrations")
	}
	if _, err := provider.Up(ctx); err != nil {
		return domain.Wrap(err, "could not apply the migrations")
	}
	return nil
}

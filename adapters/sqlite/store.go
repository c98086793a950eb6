package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/configmat/configmat/adapters/sqlstore"
	"github.com/configmat/configmat/core/domain"
	sqlMigrations "github.com/configmat/configmat/migrations"
)

// driverName is the database/sql driver of modernc.org/sqlite.
const driverName = "sqlite"

// Store is the embedded store. It implements ports.Transactor and
// ports.ChangeFeed; its methods are safe for concurrent use.
type Store struct {
	// Store runs every transaction on db's one connection.
	*sqlstore.Store
	db *sqlx.DB
	// probe is a read-only pool for health checks, which must not queue
	// behind a long transaction.
	probe *sqlx.DB
	feed  *feed
}

// Open opens (creating it, and its parent directory with mode 0700, when
// missing) the database file at path and applies pending migrations.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || strings.ContainsAny(path, "?#") || strings.HasPrefix(path, "file:") || strings.HasPrefix(path, ":") {
		return nil, domain.Errorf(domain.KindInvalid, "the SQLite database path must be a plain file path").WithDetail("path", "invalid")
	}
	if err := prepareFile(path); err != nil {
		return nil, err
	}
	db, err := sqlx.Open(driverName, dsn(path, false))
	if err != nil {
		return nil, domain.Wrap(err, "could not open the SQLite database")
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	f := newFeed()
	s := &Store{Store: sqlstore.New(db, dialect{feed: f}), db: db, feed: f}
	if err := s.Migrate(ctx); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	probe, err := sqlx.Open(driverName, dsn(path, true))
	if err != nil {
		return nil, errors.Join(domain.Wrap(err, "could not open the SQLite database"), db.Close())
	}
	probe.SetMaxOpenConns(2)
	s.probe = probe
	return s, nil
}

// prepareFile creates path's directory (0700) and an empty database file
// (0600) when missing; SQLite gives its WAL files the database file's mode.
func prepareFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return domain.Wrap(err, "could not create the SQLite database directory")
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600) // #nosec G304 -- the database file DATABASE_URL names
	if err != nil {
		return domain.Wrap(err, "could not create the SQLite database file")
	}
	return domain.Wrap(f.Close(), "could not create the SQLite database file")
}

// dsn returns modernc.org/sqlite's data source name for path: foreign keys
// on, WAL, a 10 s busy timeout (other processes sharing the file), NORMAL
// synchronisation (durable in WAL mode), and BEGIN IMMEDIATE transactions;
// readOnly connections refuse writes.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
	}
	return path + "?" + q.Encode()
}

// Migrate applies the pending migrations.
func (s *Store) Migrate(ctx context.Context) error {
	p, err := Migrations(s.db.DB)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return domain.Wrap(err, "could not migrate the SQLite database")
	}
	return nil
}

// Migrations returns the embedded store's migrations over db, for goose:
// the SQL files of migrations.SQLite and the Go migrations of this package.
func Migrations(db *sql.DB) (*goose.Provider, error) {
	fsys, err := fs.Sub(sqlMigrations.SQLite, "sqlite")
	if err != nil {
		return nil, domain.Wrap(err, "could not read the SQLite migrations")
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithDisableGlobalRegistry(true), goose.WithGoMigrations(
		goose.NewGoMigration(3, &goose.GoFunc{RunTx: convertSnapshots(legacyToShared)}, &goose.GoFunc{RunTx: convertSnapshots(sharedToLegacy)})))
	return p, domain.Wrap(err, "could not prepare the SQLite migrations")
}

// Stats returns the statistics of the pool of the store's one connection.
func (s *Store) Stats() sql.DBStats { return s.db.Stats() }

// Close closes the database. Listeners keep waiting for their contexts.
func (s *Store) Close() error {
	return domain.Wrap(errors.Join(s.db.Close(), s.probe.Close()), "could not close the SQLite database")
}

package postgres

import (
	"cmp"
	"context"
	"database/sql"
	"time"

	"github.com/configmat/configmat/adapters/sqlstore"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
	"github.com/jmoiron/sqlx"
	// The lib/pq driver, registered as "postgres".
	_ "github.com/lib/pq"
)

// Defaults of the contract's DB_POOL_SIZE, DB_MAX_OVERFLOW and DB_POOL_RECYCLE.
const (
	DefaultPoolSize    = 10
	DefaultMaxOverflow = 20
	DefaultRecycle     = 300 * time.Second
)

// driverName is lib/pq's database/sql driver.
const driverName = "postgres"

// Config says how to reach PostgreSQL and how to pool connections.
type Config struct {
	// URL is the service's DATABASE_URL (postgres://...). It is never logged
	// nor returned in an error.
	URL string
	// ListenURL, when set, is the URL of the change feed's dedicated
	// connection (for a deployment whose URL goes through a transaction
	// pooler, which cannot LISTEN); "" uses URL.
	ListenURL string
	// PoolSize is the number of idle connections kept (at least 1).
	PoolSize int
	// MaxOverflow is how many connections may be open above PoolSize.
	MaxOverflow int
	// Recycle is the age after which a connection is replaced; 0 keeps
	// connections regardless of age.
	Recycle time.Duration
	// DriverName is the database/sql driver to open URL with; "" is lib/pq's.
	// Tests set a driver that wraps lib/pq to count statements.
	DriverName string
}

// Store is the PostgreSQL store: a connection pool, the Transactor over it
// (the shared SQL store in PostgreSQL's dialect), and the change feed.
type Store struct {
	*sqlstore.Store
	db        *sqlx.DB
	listenDSN string
}

var _ ports.ChangeFeed = (*Store)(nil)

// validate checks c without revealing its URL.
func (c Config) validate() error {
	p := domain.Problems{}
	if c.URL == "" {
		p.Add("url", "is required")
	}
	if c.PoolSize < 1 {
		p.Add("pool_size", "must be at least 1")
	}
	if c.MaxOverflow < 0 {
		p.Add("max_overflow", "must not be negative")
	}
	if c.Recycle < 0 {
		p.Add("recycle", "must not be negative")
	}
	return p.Err()
}

// Open connects to PostgreSQL at c.URL, with binary_parameters=yes unless
// the URL sets it (withBinaryParameters), and c's pool settings mapped to
// database/sql:
// SetMaxIdleConns(PoolSize), SetMaxOpenConns(PoolSize+MaxOverflow) and
// SetConnMaxLifetime(Recycle). It pings the server once; a server that
// cannot be reached or refuses the connection is SERVICE_UNAVAILABLE, whose
// message names the cause (connectionProblem) without the URL.
func Open(ctx context.Context, c Config) (*Store, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	// A listen URL that is not valid is Listen's error, which names it.
	listenDSN, _ := withApplicationName(cmp.Or(c.ListenURL, c.URL), listenerApplicationName)
	dsn, err := withBinaryParameters(c.URL)
	if err != nil {
		return nil, err
	}
	db, err := sqlx.Open(cmp.Or(c.DriverName, driverName), dsn)
	if err != nil {
		return nil, domain.Wrap(err, "could not open the database")
	}
	db.SetMaxIdleConns(c.PoolSize)
	db.SetMaxOpenConns(c.PoolSize + c.MaxOverflow)
	db.SetConnMaxLifetime(c.Recycle)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, &domain.Error{Kind: domain.KindUnavailable, Message: "Could not connect to the database: " + connectionProblem(err), Cause: err}
	}
	return &Store{Store: sqlstore.New(db, dialect{}), db: db, listenDSN: listenDSN}, nil
}

// Stats returns the connection pool's statistics.
func (s *Store) Stats() sql.DBStats { return s.db.Stats() }

// Close closes every connection of the pool.
func (s *Store) Close() error {
	return domain.Wrap(s.db.Close(), "could not close the database")
}

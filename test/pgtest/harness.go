package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/configmat/configmat/adapters/postgres"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// DB is a test package's database and the URLs of its three roles.
type DB struct {
	// Name is the database's name, configmat_test_<random>.
	Name string
	// AdminURL connects to the database as the server's superuser.
	AdminURL string
	// OwnerURL connects as the role that owns the tables (the migration role).
	OwnerURL string
	// AppURL connects as the application role, subject to row-level security.
	AppURL string
	// OwnerRole and AppRole are the two roles' names.
	OwnerRole string
	AppRole   string

	// template is the migrated database that Fresh copies.
	template string
	urls     roleURLs
}

// roleURLs are the server's URLs for each role, without a database.
type roleURLs struct {
	admin, owner, app string
}

var (
	installed bool
	cloneMu   sync.Mutex
	freshMu   sync.Mutex
	freshSeq  int
	setupOnce sync.Once
	shared    *DB
	setupErr  error
	// created is what setup made so far, dropped by Main even when setup failed.
	created   *DB
	serverURL string
	release   = func() {}
)

// Main runs the package's tests, then drops the database (and its roles)
// that New created, and exits with the tests' status. Call it from TestMain.
func Main(m *testing.M) {
	installed = true
	code := m.Run()
	if created != nil {
		if err := drop(created); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: could not drop %s: %v\n", created.Name, err)
			if code == 0 {
				code = 1
			}
		}
	}
	release()
	os.Exit(code)
}

// New returns the package's database, creating and migrating it on the first
// call. It skips t when no server is available, unless CI=true, where it fails.
func New(t testing.TB) *DB {
	t.Helper()
	if !installed {
		t.Fatal("pgtest: call pgtest.Main(m) from the package's TestMain")
	}
	setupOnce.Do(func() { shared, setupErr = setup(context.Background()) })
	switch {
	case setupErr == nil:
		return shared
	case errors.Is(setupErr, errUnavailable) && os.Getenv("CI") != "true":
		t.Skipf("pgtest: no PostgreSQL: set %s to a superuser URL (or run Docker for testcontainers)", EnvDatabaseURL)
	default:
		t.Fatalf("pgtest: %v", setupErr)
	}
	return nil
}

// setup creates the database and roles on a server and migrates it.
func setup(ctx context.Context) (*DB, error) {
	srv, err := findServer(ctx)
	if err != nil {
		return nil, err
	}
	release, serverURL = srv.release, srv.superuserURL
	suffix := randomHex(6)
	db := &DB{
		Name:      "configmat_test_" + suffix,
		OwnerRole: "configmat_test_" + suffix + "_owner",
		AppRole:   "configmat_test_" + suffix + "_app",
	}
	ownerPassword, appPassword := randomHex(16), randomHex(16)
	db.template = db.Name + "_template"
	db.urls = roleURLs{admin: srv.superuserURL}
	if db.urls.owner, err = withUser(srv.superuserURL, url.UserPassword(db.OwnerRole, ownerPassword), ""); err != nil {
		return nil, err
	}
	if db.urls.app, err = withUser(srv.superuserURL, url.UserPassword(db.AppRole, appPassword), ""); err != nil {
		return nil, err
	}
	admin, err := sqlx.Open("postgres", srv.superuserURL)
	if err != nil {
		return nil, fmt.Errorf("open the server: %w", err)
	}
	defer admin.Close()
	if err := admin.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("connect to the server as a superuser: %w", err)
	}
	created = db // from here on, Main drops what was created
	for _, stmt := range []string{
		createGroupRoles,
		fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD %s NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE IN ROLE configmat_directory",
			pq.QuoteIdentifier(db.OwnerRole), pq.QuoteLiteral(ownerPassword)),
		fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD %s NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE IN ROLE configmat_app",
			pq.QuoteIdentifier(db.AppRole), pq.QuoteLiteral(appPassword)),
		fmt.Sprintf("CREATE DATABASE %s OWNER %s", pq.QuoteIdentifier(db.template), pq.QuoteIdentifier(db.OwnerRole)),
	} {
		if _, err := admin.ExecContext(ctx, stmt); err != nil {
			return nil, fmt.Errorf("prepare the test database: %w", err)
		}
	}
	ownerTemplateURL, err := withUser(db.urls.owner, nil, db.template)
	if err != nil {
		return nil, err
	}
	if err := postgres.Migrate(ctx, ownerTemplateURL); err != nil {
		return nil, fmt.Errorf("migrate the test database: %w", err)
	}
	if err := db.clone(ctx, admin, db.Name); err != nil {
		return nil, err
	}
	return db.at(db.Name)
}

// clone creates the database name as a copy of the migrated template.
func (d *DB) clone(ctx context.Context, admin *sqlx.DB, name string) error {
	cloneMu.Lock()
	defer cloneMu.Unlock()
	_, err := admin.ExecContext(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s OWNER %s",
		pq.QuoteIdentifier(name), pq.QuoteIdentifier(d.template), pq.QuoteIdentifier(d.OwnerRole)))
	if err != nil {
		return fmt.Errorf("copy the migrated database: %w", err)
	}
	return nil
}

// at returns d for the database name: its URLs name that database.
func (d *DB) at(name string) (*DB, error) {
	out := *d
	out.Name = name
	var err error
	if out.AdminURL, err = withUser(d.urls.admin, nil, name); err != nil {
		return nil, err
	}
	if out.OwnerURL, err = withUser(d.urls.owner, nil, name); err != nil {
		return nil, err
	}
	if out.AppURL, err = withUser(d.urls.app, nil, name); err != nil {
		return nil, err
	}
	return &out, nil
}

// Fresh returns a new, migrated, empty database of the same roles, dropped
// when t ends: for suites that need a store of their own per case.
func (d *DB) Fresh(t testing.TB) *DB {
	t.Helper()
	freshMu.Lock()
	freshSeq++
	name := fmt.Sprintf("%s_%d", d.Name, freshSeq)
	freshMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin := Connect(t, d.urls.admin)
	if err := d.clone(ctx, admin, name); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		if err := dropDatabase(admin, name); err != nil {
			t.Errorf("pgtest: drop %s: %v", name, err)
		}
	})
	fresh, err := d.at(name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return fresh
}

// createGroupRoles creates the group roles configmat_app and
// configmat_directory as a DBA would, unless they exist; several test
// packages may race to create them.
const createGroupRoles = `
DO $$
DECLARE
	group_role text;
BEGIN
	FOREACH group_role IN ARRAY ARRAY['configmat_app', 'configmat_directory'] LOOP
		BEGIN
			IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = group_role) THEN
				EXECUTE format('CREATE ROLE %I NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT', group_role);
			END IF;
		EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
		END;
	END LOOP;
END
$$`

// drop removes the database, its template and the package's roles. The
// shared group roles configmat_app and configmat_directory stay: other
// packages may be using them.
func drop(db *DB) error {
	admin, err := sqlx.Open("postgres", serverURL)
	if err != nil {
		return err
	}
	defer admin.Close()
	errs := []error{dropDatabase(admin, db.Name), dropDatabase(admin, db.template)}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, role := range []string{db.AppRole, db.OwnerRole} {
		if _, err := admin.ExecContext(ctx, "DROP ROLE IF EXISTS "+pq.QuoteIdentifier(role)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// dropDatabase drops a database, ending its connections.
func dropDatabase(admin *sqlx.DB, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := admin.ExecContext(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", pq.QuoteIdentifier(name)))
	return err
}

// withUser returns the URL raw with its user replaced (kept when user is nil)
// and its database set to database.
func withUser(raw string, user *url.Userinfo, database string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("%s must be a postgres:// URL", EnvDatabaseURL)
	}
	if user != nil {
		u.User = user
	}
	u.Path = "/" + database
	return u.String(), nil
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// withQuery returns the URL raw with one query parameter set.
func withQuery(raw, key, value string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("not a URL")
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

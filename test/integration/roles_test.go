package integration

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/configmat/configmat/adapters/postgres"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
	"github.com/configmat/configmat/test/pgtest"
)

// wantPermissionDenied fails t unless err is PostgreSQL's permission denied.
func wantPermissionDenied(t *testing.T, err error) {
	t.Helper()
	if pqErr := pq.As(err); pqErr == nil || pqErr.Code != "42501" {
		t.Fatalf("error = %v, want permission denied (42501)", err)
	}
}

// TestNoRoleBypassesRLS checks that no role of ConfigMat (the owner that ran
// the migrations, the service's login role, configmat_app and
// configmat_directory) is a superuser or has BYPASSRLS, nor may become a role
// that is; that configmat_directory cannot log in; and that neither the
// service nor configmat_app may become configmat_directory or the owner.
func TestNoRoleBypassesRLS(t *testing.T) {
	db := pgtest.New(t)
	admin := db.Admin(t)
	for _, role := range []string{db.OwnerRole, db.AppRole, postgres.ApplicationRole, postgres.DirectoryRole} {
		t.Run(role, func(t *testing.T) {
			var r struct {
				Super  bool `db:"rolsuper"`
				Bypass bool `db:"rolbypassrls"`
				Login  bool `db:"rolcanlogin"`
				// Escapes is whether a role it may become is a superuser or has BYPASSRLS.
				Escapes bool `db:"escapes"`
			}
			err := admin.GetContext(t.Context(), &r, `
				SELECT r.rolsuper, r.rolbypassrls, r.rolcanlogin, EXISTS (
					SELECT 1 FROM pg_roles AS x
					WHERE (x.rolsuper OR x.rolbypassrls) AND pg_has_role(r.oid, x.oid, 'MEMBER')) AS escapes
				FROM pg_roles AS r WHERE r.rolname = $1`, role)
			if err != nil {
				t.Fatal(err)
			}
			if r.Super || r.Bypass || r.Escapes {
				t.Errorf("%s: superuser %v, BYPASSRLS %v, may become a role that is or has either %v; want none",
					role, r.Super, r.Bypass, r.Escapes)
			}
			if role == postgres.DirectoryRole && r.Login {
				t.Errorf("%s can log in", role)
			}
		})
	}
	for _, member := range []string{db.AppRole, postgres.ApplicationRole} {
		for _, target := range []string{postgres.DirectoryRole, db.OwnerRole} {
			var is bool
			if err := admin.GetContext(t.Context(), &is, `SELECT pg_has_role($1, $2, 'MEMBER')`, member, target); err != nil {
				t.Fatal(err)
			}
			if is {
				t.Errorf("%s is a member of %s", member, target)
			}
		}
	}
}

// TestAppRoleCannotBecomeAnotherRole: SET ROLE to the directory's role or to
// the owner is refused to the service's role.
func TestAppRoleCannotBecomeAnotherRole(t *testing.T) {
	db := pgtest.New(t)
	app := db.App(t)
	for _, role := range []string{postgres.DirectoryRole, db.OwnerRole} {
		t.Run(role, func(t *testing.T) {
			_, err := app.ExecContext(t.Context(), `SET ROLE `+pq.QuoteIdentifier(role))
			wantPermissionDenied(t, err)
		})
	}
}

// directoryFixture is what the directory should return for two tenants, read
// as the superuser.
type directoryFixture struct {
	keys []domain.APIKeyCredential
	// user is a member of both tenants, the first tenant's membership first.
	user        domain.UserID
	memberships []domain.UserMembership
	tenants     []domain.TenantRef
	// oldestKey is the oldest tenant's wrapped data key.
	oldestTenant domain.TenantID
	oldestKey    domain.WrappedKey
}

// newDirectoryFixture seeds two tenants, adds the first tenant's user to the
// second as a viewer, and reads the expected answers as the superuser.
func newDirectoryFixture(t *testing.T, db *pgtest.DB) directoryFixture {
	t.Helper()
	c := newCore(t, db.Store(t))
	a := seedTenant(t, db, c, "dira")
	b := seedTenant(t, db, c, "dirb")
	admin := db.Admin(t)
	var f directoryFixture
	if err := admin.GetContext(t.Context(), &f.user, `SELECT user_id FROM memberships WHERE tenant_id = $1 LIMIT 1`, a.TenantID); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.ExecContext(t.Context(), `
		INSERT INTO memberships (tenant_id, user_id, role, created_at)
		SELECT $1, $2, 'viewer', max(created_at) + interval '1 second' FROM memberships WHERE user_id = $2`,
		b.TenantID, f.user); err != nil {
		t.Fatal(err)
	}
	var keys []struct {
		ID          string `db:"id"`
		TenantID    string `db:"tenant_id"`
		Digest      []byte `db:"digest"`
		Environment string `db:"environment"`
	}
	if err := admin.SelectContext(t.Context(), &keys,
		`SELECT id, tenant_id, digest, coalesce(environment, '') AS environment FROM api_keys ORDER BY created_at, id`); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		f.keys = append(f.keys, domain.APIKeyCredential{ID: domain.APIKeyID(k.ID), TenantID: domain.TenantID(k.TenantID), Digest: k.Digest, Environment: k.Environment})
	}
	var tenants []struct {
		ID        string `db:"id"`
		Slug      string `db:"slug"`
		Name      string `db:"name"`
		DataKeyID string `db:"data_key_id"`
		DataKey   []byte `db:"data_key"`
		Role      string `db:"role"`
	}
	if err := admin.SelectContext(t.Context(), &tenants, `
		SELECT t.id, t.slug, t.name, t.data_key_id, t.data_key, m.role
		FROM tenants AS t JOIN memberships AS m ON m.tenant_id = t.id AND m.user_id = $1
		ORDER BY t.created_at, t.id`, f.user); err != nil {
		t.Fatal(err)
	}
	if len(tenants) != 2 || len(f.keys) != 2 {
		t.Fatalf("fixture: %d tenants of the user and %d API keys, want 2 and 2", len(tenants), len(f.keys))
	}
	for _, r := range tenants {
		ref := domain.TenantRef{ID: domain.TenantID(r.ID), Slug: r.Slug, Name: r.Name}
		f.tenants = append(f.tenants, ref)
		f.memberships = append(f.memberships, domain.UserMembership{Tenant: ref, Role: domain.Role(r.Role)})
	}
	f.oldestTenant = domain.TenantID(tenants[0].ID)
	f.oldestKey = domain.WrappedKey{KeyID: tenants[0].DataKeyID, Ciphertext: tenants[0].DataKey}
	return f
}

// TestDirectoryServesTheAppRoleWithoutTenant: connected as the service's role
// with no tenant bound, the directory finds every tenant's API keys,
// memberships and tenants, while the same role reading those tables directly
// sees no row.
func TestDirectoryServesTheAppRoleWithoutTenant(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	f := newDirectoryFixture(t, db)
	store := db.Store(t)
	err := store.Global(t.Context(), func(ctx context.Context, s ports.GlobalTx) error {
		dir := s.Directory()
		for _, want := range f.keys {
			got, err := dir.APIKeyByDigest(ctx, want.Digest)
			if err != nil {
				return err
			}
			if got.ID != want.ID || got.TenantID != want.TenantID || !bytes.Equal(got.Digest, want.Digest) ||
				got.Environment != want.Environment || got.ExpiresAt != nil || got.RevokedAt != nil {
				t.Errorf("APIKeyByDigest = %+v, want %+v", got, want)
			}
		}
		memberships, err := dir.MembershipsOfUser(ctx, f.user)
		if err != nil {
			return err
		}
		if !slices.Equal(memberships, f.memberships) {
			t.Errorf("MembershipsOfUser = %+v, want %+v", memberships, f.memberships)
		}
		for _, want := range f.tenants {
			got, err := dir.TenantBySlug(ctx, want.Slug)
			if err != nil {
				return err
			}
			if got != want {
				t.Errorf("TenantBySlug(%s) = %+v, want %+v", want.Slug, got, want)
			}
		}
		tenant, key, ok, err := dir.AnyDataKey(ctx)
		if err != nil {
			return err
		}
		if !ok || tenant != f.oldestTenant || key.KeyID != f.oldestKey.KeyID || !bytes.Equal(key.Ciphertext, f.oldestKey.Ciphertext) {
			t.Errorf("AnyDataKey = %s, %+v, %v; want %s, %+v", tenant, key, ok, f.oldestTenant, f.oldestKey)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	app := db.App(t)
	for _, tc := range []struct {
		table, function string
		arg             any
	}{
		{"api_keys", "directory_api_key_by_digest($1)", f.keys[0].Digest},
		{"memberships", "directory_memberships_of_user($1)", f.user},
		{"tenants", "directory_tenant_by_slug($1)", f.tenants[0].Slug},
	} {
		t.Run(tc.table, func(t *testing.T) {
			var direct, through int
			if err := app.GetContext(t.Context(), &direct, `SELECT count(*) FROM `+tc.table); err != nil {
				t.Fatal(err)
			}
			if err := app.GetContext(t.Context(), &through, `SELECT count(*) FROM `+tc.function, tc.arg); err != nil {
				t.Fatal(err)
			}
			if direct != 0 || through == 0 {
				t.Errorf("without a tenant the application role reads %d rows of %s, and %d through %s; want 0 and some",
					direct, tc.table, through, tc.function)
			}
		})
	}
}

// TestDirectoryFunctionsReturnOnlyTheirColumns checks the columns each
// directory function returns to the service's role: those its lookup needs,
// never an API key's name or creator, and a data key only from the health
// check's function.
func TestDirectoryFunctionsReturnOnlyTheirColumns(t *testing.T) {
	db := pgtest.New(t)
	app := db.App(t)
	cases := []struct {
		call string
		arg  []any
		want []string
	}{
		{"directory_api_key_by_digest($1)", []any{[]byte{0}}, []string{"id", "tenant_id", "digest", "environment", "expires_at", "revoked_at"}},
		{"directory_memberships_of_user($1)", []any{uuid.NewString()}, []string{"tenant_id", "slug", "name", "role"}},
		{"directory_tenant_by_slug($1)", []any{"no-such-tenant"}, []string{"id", "slug", "name"}},
		{"directory_any_data_key()", nil, []string{"tenant_id", "data_key_id", "data_key"}},
	}
	for _, tc := range cases {
		t.Run(tc.call, func(t *testing.T) {
			rows, err := app.QueryContext(t.Context(), `SELECT * FROM `+tc.call, tc.arg...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			columns, err := rows.Columns()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(columns, tc.want) {
				t.Errorf("%s returns %v, want %v", tc.call, columns, tc.want)
			}
		})
	}
}

// asDirectoryRole runs stmt as configmat_directory (the superuser may become
// it) in a transaction it rolls back, and returns the number of rows stmt
// returned or changed.
func asDirectoryRole(t *testing.T, admin *sqlx.DB, stmt string) (int64, error) {
	t.Helper()
	tx, err := admin.BeginTxx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(t.Context(), `SET LOCAL ROLE `+pq.QuoteIdentifier(postgres.DirectoryRole)); err != nil {
		t.Fatal(err)
	}
	res, err := tx.ExecContext(t.Context(), stmt)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// TestDirectoryRoleReadsOnlyWhatTheLookupsNeed: configmat_directory reads
// every tenant's rows of the columns the directory functions read, and
// nothing else: no other column, no other table, no write.
func TestDirectoryRoleReadsOnlyWhatTheLookupsNeed(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	newDirectoryFixture(t, db)
	admin := db.Admin(t)
	for _, tc := range []struct{ name, stmt string }{
		{"ReadAPIKeys", `SELECT id, tenant_id, digest, environment, expires_at, revoked_at FROM api_keys`},
		{"ReadMemberships", `SELECT tenant_id, user_id, role, created_at FROM memberships`},
		{"ReadTenants", `SELECT id, slug, name, data_key_id, data_key, created_at FROM tenants`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := asDirectoryRole(t, admin, tc.stmt)
			if err != nil || n < 2 {
				t.Fatalf("%s as %s = %d rows, %v; want every tenant's", tc.stmt, postgres.DirectoryRole, n, err)
			}
		})
	}
	for _, tc := range []struct{ name, stmt string }{
		{"ReadAPIKeyName", `SELECT name FROM api_keys`},
		{"ReadAPIKeyCreator", `SELECT created_by FROM api_keys`},
		{"ReadAudit", `SELECT count(*) FROM audit_entries`},
		{"ReadAssets", `SELECT count(*) FROM assets`},
		{"ReadVersions", `SELECT count(*) FROM versions`},
		{"ReadUsers", `SELECT count(*) FROM users`},
		{"ReadUserTokens", `SELECT count(*) FROM user_tokens`},
		{"RevokeAPIKeys", `UPDATE api_keys SET revoked_at = now()`},
		{"DeleteMemberships", `DELETE FROM memberships`},
		{"InsertTenant", `INSERT INTO tenants (id, slug, name, data_key_id, data_key, created_at)
			VALUES (gen_random_uuid(), 'planted', 'Planted', 'k', '\x00', now())`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := asDirectoryRole(t, admin, tc.stmt)
			wantPermissionDenied(t, err)
		})
	}
}

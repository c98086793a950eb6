package postgres_test

import (
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/configmat/configmat/adapters/postgres"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/test/pgtest"
)

// TestNotifyCallDeliversThePayload sends payloads that a literal must
// escape through the pg_notify call the notifier writes (the payload quoted
// into it, no parameter): alone, as Flush sends it, and in the RETURNING
// clause of a statement with parameters, as it rides on the audit entry,
// with lib/pq's default protocol and with binary_parameters. A listener must
// receive each byte for byte.
func TestNotifyCallDeliversThePayload(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	listener := pq.NewListener(db.AdminURL, 10*time.Millisecond, time.Second, nil)
	t.Cleanup(func() { _ = listener.Close() })
	if err := listener.Listen("configmat_changes"); err != nil {
		t.Fatal(err)
	}
	sep := "?"
	if strings.Contains(db.AdminURL, "?") {
		sep = "&"
	}
	conns := map[string]*sqlx.DB{
		"default":           db.Admin(t),
		"binary_parameters": pgtest.Connect(t, db.AdminURL+sep+"binary_parameters=yes"),
	}
	for _, c := range conns {
		if _, err := c.ExecContext(t.Context(), `CREATE TABLE IF NOT EXISTS riding (n int)`); err != nil {
			t.Fatal(err)
		}
	}
	for _, payload := range []string{
		`{"kind":"values","tenant_id":"7d1c2a52-3a4e-4d4b-9d6e-0b7f8a1c2d3e"}`,
		`it's`, `''`, `\`, `\'`, `E'\x41'`, `$$ $1 $tag$`, `? $2 ?`, "tab\tnewline\n", `"quoted" \"escaped\"`, "ünïcödé ✓", "",
		strings.Repeat("x'\\", 1000),
	} {
		call := postgres.NotifyCall([]byte(payload))
		for name, c := range conns {
			for _, send := range []func() error{
				func() error { _, err := c.ExecContext(t.Context(), "SELECT "+call); return err },
				func() error {
					_, err := c.ExecContext(t.Context(), `INSERT INTO riding (n) SELECT $1 RETURNING `+call, 1)
					return err
				},
			} {
				if err := send(); err != nil {
					t.Fatalf("%s: notify %q: %v", name, payload, err)
				}
				select {
				case n := <-listener.Notify:
					if n == nil || n.Extra != payload {
						t.Fatalf("%s: sent %q, received %+v", name, payload, n)
					}
				case <-time.After(5 * time.Second):
					t.Fatalf("%s: no notification for %q", name, payload)
				}
			}
		}
	}
}

// TestBindTenantSpellings binds transactions to tenant IDs as the store
// does: a UUID in any spelling binds its canonical form (written into the
// statement), anything else is passed as a parameter, unchanged.
func TestBindTenantSpellings(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	app := db.App(t)
	for _, c := range []struct {
		tenant domain.TenantID
		want   string
	}{
		{"7d1c2a52-3a4e-4d4b-9d6e-0b7f8a1c2d3e", "7d1c2a52-3a4e-4d4b-9d6e-0b7f8a1c2d3e"},
		{"7D1C2A52-3A4E-4D4B-9D6E-0B7F8A1C2D3E", "7d1c2a52-3a4e-4d4b-9d6e-0b7f8a1c2d3e"},
		{"{7d1c2a52-3a4e-4d4b-9d6e-0b7f8a1c2d3e}", "{7d1c2a52-3a4e-4d4b-9d6e-0b7f8a1c2d3e}"},
		{"not-a-uuid', true); DROP TABLE tenants; --", "not-a-uuid', true); DROP TABLE tenants; --"},
		{"", ""},
	} {
		tx, err := app.BeginTxx(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := postgres.BindTenant(t.Context(), tx, c.tenant); err != nil {
			_ = tx.Rollback()
			t.Fatalf("BindTenant(%q): %v", c.tenant, err)
		}
		var got string
		err = tx.GetContext(t.Context(), &got, `SELECT current_setting('app.current_tenant')`)
		_ = tx.Rollback()
		if err != nil || got != c.want {
			t.Errorf("BindTenant(%q) set %q, %v; want %q", c.tenant, got, err, c.want)
		}
	}
}

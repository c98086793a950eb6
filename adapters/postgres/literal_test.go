package postgres_test

import (
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/configmat/configmat/adapters/postgres"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/test/pgtest"
)

// TestNotifyStatementDeliversThePayload sends payloads that a literal must
// escape through the statement Publish writes (the payload quoted into it,
// no parameter) and checks that a listener receives each byte for byte.
func TestNotifyStatementDeliversThePayload(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	listener := pq.NewListener(db.AdminURL, 10*time.Millisecond, time.Second, nil)
	t.Cleanup(func() { _ = listener.Close() })
	if err := listener.Listen("configmat_changes"); err != nil {
		t.Fatal(err)
	}
	admin := db.Admin(t)
	for _, payload := range []string{
		`{"kind":"values","tenant_id":"7d1c2a52-3a4e-4d4b-9d6e-0b7f8a1c2d3e"}`,
		`it's`, `''`, `\`, `\'`, `E'\x41'`, `$$ $1 $tag$`, "tab\tnewline\n", `"quoted" \"escaped\"`, "ünïcödé ✓", "",
		strings.Repeat("x'\\", 1000),
	} {
		if _, err := admin.ExecContext(t.Context(), postgres.NotifyStatement([]byte(payload))); err != nil {
			t.Fatalf("notify %q: %v", payload, err)
		}
		select {
		case n := <-listener.Notify:
			if n == nil || n.Extra != payload {
				t.Fatalf("sent %q, received %+v", payload, n)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no notification for %q", payload)
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

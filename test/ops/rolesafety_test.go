package ops

import (
	"net/url"
	"strings"
	"testing"

	"github.com/configmat/configmat/test/e2etest"
	"github.com/configmat/configmat/test/pgtest"
)

// rlsBypassPhrase is what the refusal and the debug-mode warning say.
const rlsBypassPhrase = "row-level security"

// TestServeRefusesRoleThatBypassesRLS: serve refuses a DATABASE_URL whose
// role escapes row-level security unless DEBUG=true, where it warns, and
// GET /health/detailed reports the database check's bypasses_rls.
func TestServeRefusesRoleThatBypassesRLS(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	tests := []struct {
		name       string
		url        string
		debug      bool
		wantStart  bool
		wantBypass bool
	}{
		{name: "application role", url: db.AppURL, wantStart: true},
		{name: "superuser", url: db.AdminURL},
		{name: "owner of the tables", url: db.OwnerURL},
		{name: "superuser with DEBUG=true", url: db.AdminURL, debug: true, wantStart: true, wantBypass: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			extra := map[string]string{"DATABASE_URL": tt.url}
			if tt.debug {
				extra["DEBUG"] = "true"
			}
			env := postgresEnv(db, newEncryptionKey(t), extra)
			if !tt.wantStart {
				res := runServe(t, t.TempDir(), env)
				requireRefused(t, res, rlsBypassPhrase)
				if lines := linesContaining(res.stderr, "DATABASE_URL"); len(lines) == 0 {
					t.Fatalf("the refusal does not name DATABASE_URL:\n%s", res.stderr)
				}
				if u, err := url.Parse(tt.url); err == nil {
					if pw, ok := u.User.Password(); ok && pw != "" && strings.Contains(res.stderr, pw) {
						t.Fatal("the refusal shows the database password")
					}
				}
				return
			}
			srv := startServer(t, e2etest.Options{Env: env})
			check := detailedHealth(t, srv).Checks["database"]
			if bypass, ok := check["bypasses_rls"].(bool); !ok || bypass != tt.wantBypass {
				t.Fatalf("database check %v, want bypasses_rls %v", check, tt.wantBypass)
			}
			warned := false
			entries, _ := logEntries(srv.Logs())
			for _, e := range entries {
				if e.Level == "warning" && strings.Contains(e.Msg, rlsBypassPhrase) {
					warned = true
				}
			}
			if warned != tt.debug {
				t.Fatalf("warning about %s logged: %v, want %v; log:\n%s", rlsBypassPhrase, warned, tt.debug, srv.Logs())
			}
		})
	}
}

package ops

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/configmat/configmat/test/e2etest"

	// The pure-Go SQLite driver, to tamper with the embedded store's file.
	_ "modernc.org/sqlite"
)

// TestAuditVerifyCommandExitStatus checks `configmat audit verify`'s exit
// statuses: 0 for an intact chain, 1 for a chain tampered with directly in
// the database (naming the first invalid entry), 2 for an error.
func TestAuditVerifyCommandExitStatus(t *testing.T) {
	dir := t.TempDir()
	env := embeddedEnv(t, nil)
	run := func(args ...string) (int, string, string) {
		return e2etest.Run(t, e2etest.Options{Dir: dir, Env: env, Args: args}, "")
	}
	if code, out, errOut := run("migrate"); code != 0 {
		t.Fatalf("migrate exited %d: %s%s", code, out, errOut)
	}
	if code, out, errOut := run("tenant", "create", "--slug", "acme", "--name", "Acme"); code != 0 {
		t.Fatalf("tenant create exited %d: %s%s", code, out, errOut)
	}
	for _, name := range []string{"first", "second"} {
		if code, out, errOut := run("apikey", "create", "--tenant", "acme", "--name", name); code != 0 {
			t.Fatalf("apikey create exited %d: %s%s", code, out, errOut)
		}
	}
	if code, out, errOut := run("audit", "verify", "--tenant", "acme"); code != 0 || !strings.Contains(out, "intact: 3 entries") {
		t.Fatalf("intact chain: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	db, err := sql.Open("sqlite", filepath.Join(dir, "data", "configmat.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE audit_entries SET details = '{"name":"forged"}' WHERE seq = 2`); err != nil {
		t.Fatalf("tampering: %v", err)
	}
	if code, out, errOut := run("audit", "verify", "--tenant", "acme"); code != 1 || !strings.Contains(out, "seq 2") {
		t.Errorf("tampered chain: exit %d, stdout %q, stderr %q; want exit 1 naming seq 2", code, out, errOut)
	}
	if code, out, errOut := run("audit", "verify", "--tenant", "no-such-tenant"); code != 2 {
		t.Errorf("unknown tenant: exit %d, stdout %q, stderr %q; want 2", code, out, errOut)
	}
}

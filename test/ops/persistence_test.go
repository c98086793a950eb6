package ops

import (
	"bytes"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/configmat/configmat/test/e2etest"
)

// devWarning is the phrase logged at every start with a development key.
const devWarning = "DO NOT USE IN PRODUCTION"

// walkthrough is what the README's walk-through leaves behind.
type walkthrough struct {
	acct   account
	secret string
	key    apiKey
	audit  auditVerify
}

// auditVerify is the answer of GET /audit/verify.
type auditVerify struct {
	Valid    bool   `json:"valid"`
	Entries  int64  `json:"entries"`
	HeadHash string `json:"head_hash"`
}

// walkReadme runs the README's walk-through over HTTP and checks each answer.
func walkReadme(t *testing.T, srv *e2etest.Server) walkthrough {
	t.Helper()
	w := walkthrough{acct: registerAccount(t, srv), secret: "s3cr3t-pw-" + randomHex(t, 12)}
	a := w.acct
	a.createAsset(t, "billing")
	changed := a.must(t, http.StatusOK, http.MethodPatch, apiBase+"/assets/billing/environments/local", map[string]any{
		"message": "first configuration",
		"set": map[string]any{
			"database": map[string]any{
				"host":     map[string]any{"value": "db.internal"},
				"password": map[string]any{"value": w.secret, "secret": true},
			},
			"features": map[string]any{"new_checkout": map[string]any{"value": true}},
		},
	})
	if bytes.Contains(changed, []byte(w.secret)) {
		t.Fatalf("the change's answer shows the secret: %s", changed)
	}
	a.must(t, http.StatusOK, http.MethodPost, apiBase+"/assets/billing/promote",
		map[string]any{"from": "local", "to": "stage", "dry_run": true})
	if v := decode[versioned](t, a.must(t, http.StatusOK, http.MethodPost, apiBase+"/assets/billing/promote",
		map[string]any{"from": "local", "to": "stage"})).Version; v != 1 {
		t.Fatalf("promotion made stage version %d, want 1", v)
	}
	w.key = a.createAPIKey(t, "billing-stage", "stage")
	requireStageConfig(t, srv, w, 1, "db.internal")

	if v := a.setValue(t, "billing", "stage", "database", "host", "wrong-host"); v != 2 {
		t.Fatalf("the bad change made stage version %d, want 2", v)
	}
	requireStageConfig(t, srv, w, 2, "wrong-host")
	rb := decode[struct {
		Version      int `json:"version"`
		RestoredFrom int `json:"restored_from"`
	}](t, a.must(t, http.StatusOK, http.MethodPost, apiBase+"/assets/billing/rollback",
		map[string]any{"environment": "stage", "version": 1}))
	if rb.Version != 3 || rb.RestoredFrom != 1 {
		t.Fatalf("rollback answered version %d restored from %d, want 3 from 1", rb.Version, rb.RestoredFrom)
	}
	requireStageConfig(t, srv, w, 3, "db.internal")

	w.audit = decode[auditVerify](t, a.must(t, http.StatusOK, http.MethodGet, apiBase+"/audit/verify", nil))
	if !w.audit.Valid || w.audit.Entries < 6 || len(w.audit.HeadHash) != 64 {
		t.Fatalf("audit verify answered %+v, want a valid chain of at least 6 entries", w.audit)
	}
	return w
}

// requireStageConfig reads stage's resolved config with the walk's API key
// and checks its version, host and decrypted secret.
func requireStageConfig(t *testing.T, srv *e2etest.Server, w walkthrough, version int, host string) {
	t.Helper()
	resp, body := readWithKey(t, srv, w.key.Key, "billing", "stage")
	requireStatus(t, resp, body, http.StatusOK)
	got := decode[resolved](t, body)
	if got.Version != version || got.Config["database"]["host"] != host ||
		got.Config["database"]["password"] != w.secret || got.Config["features"]["new_checkout"] != true {
		t.Fatalf("stage's resolved config is %s, want version %d, host %q and the secret decrypted", body, version, host)
	}
}

// requireNoPlaintext fails t when a file of the embedded store's folder
// contains secret.
func requireNoPlaintext(t *testing.T, dataDir, secret string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dataDir, "configmat.db*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no database file in %s (%v)", dataDir, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(secret)) {
			t.Fatalf("%s contains the secret value in plaintext", filepath.Base(f))
		}
	}
}

// requireMode fails t unless path has exactly the permission bits want.
func requireMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != want {
		t.Fatalf("%s has mode %04o, want %04o", path, got, want)
	}
}

// TestEmbeddedStorePersists: in development mode with no other setting, the
// README's walk-through survives a restart in the same folder, with the dev
// key kept private and no secret stored in plaintext.
func TestEmbeddedStorePersists(t *testing.T) {
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "data")
	env := map[string]string{"DEBUG": "true"}

	first := startServer(t, e2etest.Options{Env: env, Dir: dir})
	w := walkReadme(t, first)
	requireNoPlaintext(t, dataDir, w.secret)
	if code := first.Stop(t); code != 0 {
		t.Fatalf("exit status after SIGTERM %d, want 0; log:\n%s", code, first.Logs())
	}
	requireNoPlaintext(t, dataDir, w.secret)
	requireMode(t, dataDir, 0o700)
	requireMode(t, filepath.Join(dataDir, "dev-encryption.key"), 0o600)
	key, err := os.ReadFile(filepath.Join(dataDir, "dev-encryption.key"))
	if err != nil {
		t.Fatal(err)
	}

	second := startServer(t, e2etest.Options{Env: env, Dir: dir})
	for i, srv := range []*e2etest.Server{first, second} {
		if len(linesContaining(srv.Logs(), devWarning)) == 0 {
			t.Errorf("start %d logged no warning containing %q", i+1, devWarning)
		}
	}
	again, err := os.ReadFile(filepath.Join(dataDir, "dev-encryption.key"))
	if err != nil || !bytes.Equal(again, key) {
		t.Fatalf("the development key changed across the restart (%v)", err)
	}

	acct := w.acct.on(second)
	requireStageConfig(t, second, w, 3, "db.internal")
	versions := decode[struct {
		Versions []struct {
			Source string `json:"source"`
		} `json:"versions"`
	}](t, acct.must(t, http.StatusOK, http.MethodGet, apiBase+"/assets/billing/versions?environment=stage", nil))
	var sources []string
	for _, v := range versions.Versions {
		sources = append(sources, v.Source)
	}
	if got := strings.Join(sources, ","); got != "rollback,edit,promote" {
		t.Errorf("stage's versions after restart have sources %s, want rollback,edit,promote", got)
	}
	audit := decode[auditVerify](t, acct.must(t, http.StatusOK, http.MethodGet, apiBase+"/audit/verify", nil))
	if audit != w.audit {
		t.Errorf("audit verify after restart %+v, want %+v", audit, w.audit)
	}
	requireNoPlaintext(t, dataDir, w.secret)
}

package e2e

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// testCommands runs the administrative subcommands against the running
// server's store: --help on each, a tenant, users (password on stdin) and API
// keys made on the command line and used over HTTP, and audit verify.
func testCommands(t *testing.T, st *stack) {
	t.Run("--help", func(t *testing.T) {
		for _, args := range [][]string{
			{"--help"}, {"serve", "--help"}, {"migrate", "--help"}, {"keygen", "--help"},
			{"tenant", "create", "--help"}, {"user", "create", "--help"},
			{"apikey", "create", "--help"}, {"audit", "verify", "--help"},
		} {
			code, stdout, stderr := st.run(t, "", args...)
			if code != 0 || !strings.Contains(strings.ToLower(stdout+stderr), "usage") {
				t.Errorf("configmat %s exited %d with\n%s%s", strings.Join(args, " "), code, stdout, stderr)
			}
		}
	})

	t.Run("keygen", func(t *testing.T) {
		code, stdout, stderr := st.run(t, "", "keygen")
		if code != 0 || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(strings.TrimSpace(stdout)) {
			t.Errorf("configmat keygen exited %d with %q (stderr %s), want 64 hex characters", code, stdout, stderr)
		}
	})

	slug := unique("cli")
	ownerEmail, viewerEmail := unique("cli-owner")+"@example.com", unique("cli-viewer")+"@example.com"
	ownerPassword, viewerPassword := st.newPassword(), st.newPassword()
	mustRun := func(t *testing.T, stdin string, args ...string) string {
		t.Helper()
		code, stdout, stderr := st.run(t, stdin, args...)
		if code != 0 {
			t.Fatalf("configmat %s exited %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, stdout, stderr)
		}
		return stdout
	}

	var tenantID string
	t.Run("tenant create", func(t *testing.T) {
		mustRun(t, "", "tenant", "create", "--slug", slug, "--name", "CLI Tenant")
		if code, _, _ := st.run(t, "", "tenant", "create", "--slug", slug, "--name", "Again"); code == 0 {
			t.Error("creating a tenant with a taken slug succeeded")
		}
	})

	var owner *client
	t.Run("user create", func(t *testing.T) {
		for _, u := range []struct{ email, password, role string }{
			{ownerEmail, ownerPassword, "owner"},
			{viewerEmail, viewerPassword, "viewer"},
		} {
			out := mustRun(t, u.password+"\n", "user", "create", "--email", u.email, "--tenant", slug, "--role", u.role)
			if strings.Contains(out, u.password) {
				t.Error("user create prints the password")
			}
		}
		owner = login(t, st, ownerEmail, ownerPassword)
		var m meView
		owner.get(t, "/api/v1/me").want(t, http.StatusOK).decode(t, &m)
		if len(m.Memberships) != 1 || m.Memberships[0].Tenant.Slug != slug || m.Memberships[0].Role != "owner" {
			t.Fatalf("the CLI user's memberships are %+v, want owner of %s", m.Memberships, slug)
		}
		tenantID = m.Memberships[0].Tenant.ID
		owner.tenantID = tenantID
		var envs environmentList
		owner.get(t, "/api/v1/environments").want(t, http.StatusOK).decode(t, &envs)
		var names []string
		for _, e := range envs.Environments {
			names = append(names, e.Name)
		}
		wantEqual(t, "environments of a CLI tenant", names, []string{"local", "stage", "prod"})
		viewer := login(t, st, viewerEmail, viewerPassword)
		viewer.tenantID = tenantID
		viewer.post(t, "/api/v1/assets", map[string]string{"slug": "by-viewer", "name": "V"}).wantError(t, http.StatusForbidden, "PERMISSION_DENIED")
	})
	if owner == nil {
		t.Fatal("no CLI user to go on with")
	}

	t.Run("apikey create", func(t *testing.T) {
		asset := unique("cli-app")
		password := st.secretValue()
		owner.post(t, "/api/v1/assets", map[string]string{"slug": asset, "name": "CLI app"}).want(t, http.StatusCreated)
		for _, env := range []string{"stage", "prod"} {
			owner.patch(t, valuesPath(asset, env), map[string]any{"set": objects{"db": {"password": secret(password)}}}).want(t, http.StatusOK)
		}
		stageKey := strings.TrimSpace(mustRun(t, "", "apikey", "create", "--tenant", slug, "--name", "ci", "--environment", "stage"))
		anyKey := strings.TrimSpace(mustRun(t, "", "apikey", "create", "--tenant", slug, "--name", "all"))
		st.rec.secret("API key", stageKey)
		st.rec.secret("API key", anyKey)
		wantCredential(t, "the printed key", stageKey, "cmk_")
		wantCredential(t, "the printed key", anyKey, "cmk_")

		stage := &client{st: st, apiKey: stageKey, tenantID: tenantID}
		var rc resolvedConfig
		stage.get(t, resolvedPath(asset, "stage")).want(t, http.StatusOK).decode(t, &rc)
		wantEqual(t, "config read with the CLI key", rc.Config, map[string]map[string]json.RawMessage{"db": {"password": jsonString(password)}})
		stage.get(t, resolvedPath(asset, "prod")).wantError(t, http.StatusForbidden, "PERMISSION_DENIED")
		(&client{st: st, apiKey: anyKey, tenantID: tenantID}).get(t, resolvedPath(asset, "prod")).want(t, http.StatusOK)
	})

	t.Run("audit verify", func(t *testing.T) {
		mustRun(t, "", "audit", "verify", "--tenant", slug)
		if code, stdout, stderr := st.run(t, "", "audit", "verify", "--tenant", unique("no-such-tenant")); code != 2 {
			t.Errorf("audit verify of an unknown tenant exited %d, want 2 (error)\n%s%s", code, stdout, stderr)
		}
	})
}

// login logs a user in over HTTP and returns a client with the token.
func login(t *testing.T, st *stack, email, password string) *client {
	t.Helper()
	var tok issuedToken
	st.anonymous().post(t, "/api/v1/auth/login", map[string]string{"email": email, "password": password}).
		want(t, http.StatusOK).decode(t, &tok)
	st.rec.secret("user token", tok.Token)
	return &client{st: st, token: tok.Token}
}

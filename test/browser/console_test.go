package browser

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// account is a user the scenarios sign in as.
type account struct {
	email, password string
	token, tenant   string
}

// register creates a user (and the tenant they own) over HTTP.
func register(t *testing.T, base, email string) account {
	t.Helper()
	a := account{email: email, password: "correct-horse-" + strings.SplitN(email, "@", 2)[0]}
	out := apiClient{t: t, base: base}.must(http.StatusCreated, http.MethodPost, "/auth/register",
		map[string]string{"email": a.email, "password": a.password, "tenant_name": "Tenant of " + email})
	a.token, _ = out["token"].(string)
	a.tenant, _ = field(out, "tenant", "slug").(string)
	return a
}

// field returns the member at path in a decoded JSON object, or nil.
func field(obj map[string]any, path ...string) any {
	var cur any = obj
	for _, name := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[name]
	}
	return cur
}

// as is an API client of the account in its tenant.
func (a account) as(t *testing.T, base string) apiClient {
	return apiClient{t: t, base: base, header: http.Header{"Authorization": {"Bearer " + a.token}, "X-Tenant": {a.tenant}}}
}

// signIn signs the tab in as a through the sign-in form and waits for the
// assets page.
func (tb *tab) signIn(a account) {
	tb.t.Helper()
	tb.open("/console/", "#signin")
	tb.fill("#email", a.email)
	tb.fill("#password", a.password)
	tb.click("#signin button[type=submit]")
	tb.waitText("h1", "Assets")
	tb.waitText("#current-role", "")
}

// setValue changes one value through the asset page's form and waits for
// the saved version.
func (tb *tab) setValue(env, object, key, kind, value string, secret bool, message string) {
	tb.t.Helper()
	tb.choose("#edit-env", env)
	tb.choose("#edit-action", "set")
	tb.fill("#edit-object", object)
	tb.fill("#edit-key", key)
	tb.choose("#edit-type", kind)
	tb.fill("#edit-value", value)
	if eval[bool](tb, `document.querySelector('#edit-secret').checked`) != secret {
		tb.click("#edit-secret")
	}
	tb.fill("#edit-message", message)
	tb.click("#edit-form button[type=submit]")
	tb.waitText("#edit-result", "Saved: "+env+" is at version")
}

// TestConsole walks through the console as its users do, one scenario
// after the other on one server (each builds on the previous one's data),
// each ending with a screenshot and axe-core's checks of its page.
func TestConsole(t *testing.T) {
	b := newBrowser(t)
	srv := startServer(t, true)
	owner := register(t, srv.URL, "owner@example.com")
	viewer := register(t, srv.URL, "viewer@example.com")
	editor := register(t, srv.URL, "editor@example.com")
	ownerAPI := owner.as(t, srv.URL)
	ownerAPI.must(http.StatusCreated, http.MethodPost, "/members", map[string]string{"email": editor.email, "role": "editor"})
	tb := b.newTab(t, srv.URL)
	tb.t = t
	secret := "s3cret-local-password"

	t.Run("sign in", func(t *testing.T) {
		tb.t = t
		tb.open("/console/", "#signin")
		tb.waitText("#register-section h2", "Create an account")
		if got := eval[string](tb, `document.body.dataset.signup`); got != "on" {
			t.Errorf("body[data-signup] %q with signup on", got)
		}
		tb.end("signin", true)
		tb.signIn(owner)
		tb.waitText("#tenant-switch", "Tenant of owner@example.com")
		if got := eval[string](tb, `document.querySelector('#tenant-switch').value`); got != owner.tenant {
			t.Errorf("tenant chosen %q, want %q", got, owner.tenant)
		}
		if got := tb.text("#current-role"); got != "owner" {
			t.Errorf("role shown %q, want owner", got)
		}
		if eval[bool](tb, `document.cookie !== ''`) {
			t.Errorf("the console set a cookie: %q", eval[string](tb, `document.cookie`))
		}
		if eval[bool](tb, `localStorage.length > 0`) {
			t.Errorf("the console wrote to localStorage, which outlives the tab")
		}
		tb.end("assets-empty", false)
	})

	t.Run("create an asset", func(t *testing.T) {
		tb.t = t
		tb.fill("#asset-slug", "billing")
		tb.fill("#asset-name", "Billing service")
		tb.fill("#asset-description", "Invoices and payments")
		tb.click("#create-asset button[type=submit]")
		tb.waitText("#asset-title", "Billing service (billing)")
		tb.waitText("#matrix-empty", "No keys yet")
		ownerAPI.must(http.StatusOK, http.MethodGet, "/assets/billing", nil)
		tb.end("asset-created", false)

		// The list, searched.
		ownerAPI.must(http.StatusCreated, http.MethodPost, "/assets", map[string]string{"slug": "payments", "name": "Payments gateway", "description": "Cards"})
		tb.open("/console/assets", `#assets-body a[href="/console/asset?slug=payments"]`)
		if n := tb.count("#assets-body tr"); n != 2 {
			t.Errorf("%d assets listed, want 2", n)
		}
		tb.fill("#search", "invoice")
		if n := tb.count("#assets-body tr"); n != 1 || !strings.Contains(tb.text("#assets-body"), "billing") {
			t.Errorf("searching for \"invoice\" lists %d assets: %q", n, tb.text("#assets-body"))
		}
		tb.fill("#search", "nothing-like-it")
		tb.waitText("#assets-empty", "No asset matches")
		tb.fill("#search", "")
		tb.end("assets", true)
	})

	t.Run("set values including a secret", func(t *testing.T) {
		tb.t = t
		tb.open("/console/asset?slug=billing", "#edit-form")
		tb.setValue("local", "database", "host", "text", "db.local", false, "local database")
		tb.setValue("local", "database", "port", "json", "5432", false, "")
		tb.setValue("local", "database", "password", "text", secret, true, "local password")
		tb.setValue("stage", "database", "host", "text", "db.stage", false, "stage database")
		tb.setValue("local", "features", "beta", "json", "true", false, "")
		vals := ownerAPI.must(http.StatusOK, http.MethodGet, "/assets/billing/values?environment=local", nil)
		if field(vals, "config", "database", "host") != "db.local" || field(vals, "config", "database", "port") != float64(5432) ||
			field(vals, "config", "database", "password") != secret {
			t.Errorf("local config %v", vals["config"])
		}
		// The matrix marks what is missing and what differs.
		tb.waitText(`tr[data-key="database.host"] th`, "differs")
		if n := tb.count(`tr[data-key="database.port"] td.missing`); n != 2 {
			t.Errorf("database.port missing in %d environments, want 2 (stage, prod)", n)
		}

		// Someone else saves local first: the next save answers the
		// version conflict and changes nothing.
		ownerAPI.must(http.StatusOK, http.MethodPatch, "/assets/billing/environments/local",
			map[string]any{"message": "from elsewhere", "set": map[string]any{"features": map[string]any{"beta": map[string]any{"value": false}}}})
		tb.choose("#edit-env", "local")
		tb.fill("#edit-object", "features")
		tb.fill("#edit-key", "beta")
		tb.choose("#edit-type", "json")
		tb.fill("#edit-value", "true")
		tb.click("#edit-form button[type=submit]")
		tb.waitText("#edit-error", "VERSION_CONFLICT")
		tb.waitText("#edit-error", "Someone else saved local first")
		tb.waitText(`tr[data-key="features.beta"] td[data-env="local"] code`, "false")
		tb.end("version-conflict", false)
	})

	t.Run("schema: refused where it breaks, then set; a change that breaks it refused", func(t *testing.T) {
		tb.t = t
		tb.open("/console/schema?slug=billing", "#schema-form")
		tb.waitText("#schema-none", "no schema")
		// local's database.port is the number 5432.
		tb.fill("#schema-text", `{"type": "object", "properties": {"database": {"properties": {"port": {"type": "string"}}}}}`)
		tb.click("#schema-form button[type=submit]")
		tb.waitText("#schema-error", "SCHEMA_VIOLATION")
		tb.waitText("#schema-error li", "local: /database/port")
		tb.fill("#schema-text", `{"type": "object", "properties": {"database": {"type": "object", "properties": {"port": {"type": "integer"}}}}}`)
		tb.click("#schema-form button[type=submit]")
		tb.waitText("#schema-result", "Saved")
		tb.waitText("#schema-updated", "Updated")
		tb.end("schema", true)
		tb.open("/console/asset?slug=billing", "#edit-form")
		tb.choose("#edit-env", "local")
		tb.fill("#edit-object", "database")
		tb.fill("#edit-key", "port")
		tb.choose("#edit-type", "text")
		tb.fill("#edit-value", "not a number")
		tb.click("#edit-form button[type=submit]")
		tb.waitText("#edit-error", "SCHEMA_VIOLATION")
		tb.waitText("#edit-error li", "local: /database/port")
		tb.waitText(`tr[data-key="database.port"] td[data-env="local"] code`, "5432")
		tb.end("schema-violation", false)
	})

	t.Run("secret masked, revealed as editor", func(t *testing.T) {
		tb.t = t
		tb.open("/console/asset?slug=billing", `tr[data-key="database.password"]`)
		cell := `tr[data-key="database.password"] td[data-env="local"]`
		tb.waitText(cell, "••••")
		if strings.Contains(tb.html(), secret) {
			t.Fatalf("the secret is in the page before it is revealed")
		}
		tb.end("matrix", true)

		// An editor reveals it; an editor manages no API key.
		et := b.newTab(t, srv.URL)
		et.signIn(editor)
		et.choose("#tenant-switch", owner.tenant)
		et.waitText("#current-role", "editor")
		if n := et.count(`nav[aria-label="Main"] a[href="/console/api-keys"]`); n != 0 {
			t.Errorf("an editor is shown the API keys page")
		}
		et.open("/console/asset?slug=billing", cell)
		et.waitText(cell, "••••")
		if strings.Contains(et.html(), secret) {
			t.Fatalf("the secret is in the editor's page before it is revealed")
		}
		et.click(cell + " button.reveal")
		et.waitText(cell+" code.revealed", secret)
		et.end("secret-revealed", false)
		et.click(cell + " button.reveal")
		et.waitText(cell, "••••")
		if strings.Contains(et.html(), secret) {
			t.Errorf("the secret stays in the page once hidden")
		}
	})

	t.Run("promote local to stage with the diff confirmed", func(t *testing.T) {
		tb.t = t
		tb.open("/console/promote?slug=billing", "#promote-form")
		tb.choose("#promote-from", "local")
		tb.choose("#promote-to", "stage")
		tb.click("#promote-form button[type=submit]")
		tb.waitText("#preview-title", "Changes to stage")
		for key, change := range map[string]string{"database.port": "added", "database.password": "added", "database.host": "changed", "features.beta": "added"} {
			tb.waitText(fmt.Sprintf(`#preview-body tr.change-%s th`, change), "")
			if !strings.Contains(tb.text("#preview-body"), key) {
				t.Errorf("the diff does not name %s (%s)", key, change)
			}
		}
		if strings.Contains(tb.html(), secret) {
			t.Errorf("the promotion diff shows the secret's value")
		}
		// A dry run changed nothing.
		if v := ownerAPI.must(http.StatusOK, http.MethodGet, "/assets/billing/environments/stage", nil)["version"]; v != float64(1) {
			t.Fatalf("stage at version %v after the dry run, want 1", v)
		}
		tb.end("promote-diff", true)
		tb.click("#promote-apply")
		tb.waitText("#promote-result", "stage is at version 2")
		stage := ownerAPI.must(http.StatusOK, http.MethodGet, "/assets/billing/values?environment=stage", nil)
		if field(stage, "config", "database", "host") != "db.local" || field(stage, "config", "database", "password") != secret {
			t.Errorf("stage after the promotion: %v", stage["config"])
		}
		tb.end("promoted", false)
	})

	t.Run("roll back from the history", func(t *testing.T) {
		tb.t = t
		tb.open("/console/history?slug=billing&environment=stage", `#history-body tr[data-version="2"]`)
		tb.click(`button.diff[data-version="2"]`)
		tb.waitText("#diff-body", "database.port")
		tb.end("history", true)
		rollback := `button.rollback[data-version="1"]`
		tb.click(rollback)
		tb.waitText(rollback, "Confirm: roll back stage to v1")
		tb.axe() // the armed button too
		tb.click(rollback)
		tb.waitText("#history-result", "stage is at version 3, with the values of version 1")
		tb.waitText(`#history-body tr[data-version="3"]`, "rollback")
		stage := ownerAPI.must(http.StatusOK, http.MethodGet, "/assets/billing/values?environment=stage", nil)
		if db, _ := field(stage, "config", "database").(map[string]any); db["host"] != "db.stage" || len(db) != 1 {
			t.Errorf("stage after the rollback: %v", stage["config"])
		}
		tb.end("rolled-back", false)
	})

	var key string
	t.Run("create an API key, see it once, read the config with it", func(t *testing.T) {
		tb.t = t
		tb.open("/console/api-keys", "#create-key")
		tb.fill("#key-name", "billing-ci")
		tb.choose("#key-env", "local")
		tb.click("#create-key button[type=submit]")
		tb.do() // the key appears once the API has answered
		tb.waitText(`#keys-body tr`, "billing-ci")
		key = eval[string](tb, `document.querySelector('#new-key-value').value`)
		if !strings.HasPrefix(key, "cmk_") {
			tb.fail("new key %q", key)
		}
		tb.click("#copy-key")
		tb.waitText("#copy-result", "")
		tb.end("api-key-created", true)
		tb.click("#dismiss-key")
		if strings.Contains(tb.html(), key) {
			t.Errorf("the key stays in the page once dismissed")
		}
		tb.open("/console/api-keys", `#keys-body tr`)
		if strings.Contains(tb.html(), key) {
			t.Errorf("the key is shown again")
		}
		sdk := apiClient{t: t, base: srv.URL, header: http.Header{"X-Api-Key": {key}}}
		cfg := sdk.must(http.StatusOK, http.MethodGet, "/assets/billing/values?environment=local", nil)
		if field(cfg, "config", "database", "password") != secret {
			t.Errorf("config read with the key: %v", cfg["config"])
		}
	})

	t.Run("revoke the API key", func(t *testing.T) {
		tb.t = t
		sel := `#keys-body button.revoke`
		tb.click(sel)
		tb.waitText(sel, "Confirm")
		tb.click(sel)
		tb.waitText(`#keys-body td.status`, "revoked")
		sdk := apiClient{t: t, base: srv.URL, header: http.Header{"X-Api-Key": {key}}}
		if status, _ := sdk.call(http.MethodGet, "/assets/billing/values?environment=local", nil); status != http.StatusUnauthorized {
			t.Errorf("revoked key: %d, want 401", status)
		}
		tb.end("api-key-revoked", false)
	})

	t.Run("add a member", func(t *testing.T) {
		tb.t = t
		tb.open("/console/members", "#add-member")
		tb.fill("#member-email", viewer.email)
		tb.choose("#member-role", "viewer")
		tb.click("#add-member button[type=submit]")
		tb.waitText(`#members-body tr[data-email="viewer@example.com"]`, "viewer@example.com")
		if got := eval[string](tb, `document.querySelector('#members-body tr[data-email="viewer@example.com"] select').value`); got != "viewer" {
			t.Errorf("the new member's role %q, want viewer", got)
		}
		tb.end("members", true)
	})

	t.Run("as a viewer, no secret and no edit control", func(t *testing.T) {
		vt := b.newTab(t, srv.URL)
		vt.signIn(viewer)
		vt.choose("#tenant-switch", owner.tenant)
		vt.waitText(`#assets-body`, "billing")
		if got := vt.text("#current-role"); got != "viewer" {
			t.Errorf("role shown %q, want viewer", got)
		}
		if n := vt.count(`nav[aria-label="Main"] a[href="/console/api-keys"]`); n != 0 {
			t.Errorf("a viewer is shown the API keys page")
		}
		if !eval[bool](vt, `document.querySelector('#create-section').hidden`) {
			t.Errorf("a viewer is shown the new-asset form")
		}
		vt.open("/console/asset?slug=billing", `tr[data-key="database.password"]`)
		vt.waitText(`tr[data-key="database.password"] td[data-env="local"]`, "••••")
		for _, sel := range []string{"button.edit", "button.reveal", `a[href^="/console/promote"]`, "#delete-asset"} {
			if n := vt.count(sel); n != 0 {
				t.Errorf("a viewer sees %d of %s", n, sel)
			}
		}
		for _, form := range []string{"#edit-section", "#settings-section"} {
			if !eval[bool](vt, fmt.Sprintf(`document.querySelector(%q).hidden`, form)) {
				t.Errorf("a viewer is shown %s", form)
			}
		}
		if strings.Contains(vt.html(), secret) {
			t.Errorf("a viewer's page holds the secret")
		}
		vt.open("/console/history?slug=billing&environment=stage", `#history-body tr[data-version="3"]`)
		if n := vt.count("button.rollback"); n != 0 {
			t.Errorf("a viewer sees %d rollback buttons", n)
		}
		vt.open("/console/schema?slug=billing", "#schema-view")
		vt.waitText("#schema-view", `"integer"`)
		if vt.count("#schema-form") != 0 {
			t.Errorf("a viewer is shown the schema form")
		}
		vt.open("/console/asset?slug=billing", `tr[data-key="database.password"]`)
		vt.end("viewer-matrix", true)
	})

	t.Run("audit log verifies", func(t *testing.T) {
		tb.t = t
		tb.open("/console/audit", "#audit-body tr")
		tb.waitText("#verify-result", "Intact")
		v := ownerAPI.must(http.StatusOK, http.MethodGet, "/audit/verify", nil)
		tb.waitText("#verify-result", fmt.Sprintf("%v entries verified", v["entries"]))
		tb.waitText("#audit-body", "api_key")
		tb.click("#verify")
		tb.waitText("#verify-result", "Intact")
		tb.end("audit", true)
	})

	t.Run("register when signup is on", func(t *testing.T) {
		rt := b.newTab(t, srv.URL)
		rt.open("/console/", "#register-section h2")
		rt.waitText("#register-section h2", "Create an account")
		rt.fill("#register-email", "newcomer@example.com")
		rt.fill("#register-password", "a-long-enough-password")
		rt.fill("#register-tenant", "Newcomers")
		rt.click("#register button[type=submit]")
		rt.waitText("#assets-empty", "No asset matches")
		rt.waitText("#current-role", "owner")
		rt.waitText("#tenant-switch", "Newcomers")
		rt.end("registered", false)
	})
}

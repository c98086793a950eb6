package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// readmeStep is one request of the README's walk-through, as written there:
// the path after $CM and the body of -d.
type readmeStep struct {
	method string
	path   string
	body   string
	auth   string // "token", "key" or "" (none)
	status int
}

// The README's passwords and secret value.
const (
	readmePassword = "correct horse battery"
	readmeSecret   = "s3cr3t-pw"
)

// readmeSteps are the walk-through's requests, in order.
var readmeSteps = []readmeStep{
	{http.MethodPost, "/auth/register", `{"email":"ada@example.com","password":"correct horse battery","tenant_name":"Acme"}`, "", http.StatusCreated},
	{http.MethodPost, "/assets", `{"slug":"billing","name":"Billing service","description":"Payments API"}`, "token", http.StatusCreated},
	{http.MethodPatch, "/assets/billing/environments/local", `{
  "message": "first configuration",
  "set": {
    "database": {"host": {"value": "db.internal"}, "password": {"value": "s3cr3t-pw", "secret": true}},
    "features": {"new_checkout": {"value": true}}
  }}`, "token", http.StatusOK},
	{http.MethodPost, "/assets/billing/promote", `{"from":"local","to":"stage","dry_run":true}`, "token", http.StatusOK},
	{http.MethodPost, "/assets/billing/promote", `{"from":"local","to":"stage"}`, "token", http.StatusOK},
	{http.MethodPost, "/api-keys", `{"name":"billing-stage","environment":"stage"}`, "token", http.StatusCreated},
	{http.MethodGet, "/assets/billing/values?environment=stage", "", "key", http.StatusOK},
	{http.MethodPatch, "/assets/billing/environments/stage", `{"message":"oops","set":{"database":{"host":{"value":"wrong-host"}}}}`, "token", http.StatusOK},
	{http.MethodGet, "/assets/billing/versions?environment=stage", "", "token", http.StatusOK},
	{http.MethodPost, "/assets/billing/rollback", `{"environment":"stage","version":1}`, "token", http.StatusOK},
	{http.MethodGet, "/assets/billing/values?environment=stage", "", "key", http.StatusOK},
	{http.MethodGet, "/audit/verify", "", "token", http.StatusOK},
}

// TestReadmeWalkthrough performs the README's walk-through over HTTP, request
// for request, on a fresh server per store: register, create an asset, set
// values with a secret, promote, read with an API key, roll back, verify the
// audit chain. It first checks that the README still has these requests.
func TestReadmeWalkthrough(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatalf("the walk-through mirrors README.md: %v", err)
	}
	compactReadme := withoutSpace(string(readme))
	for _, s := range readmeSteps {
		if !strings.Contains(compactReadme, withoutSpace("$CM"+strings.Split(s.path, "?")[0])) ||
			!strings.Contains(compactReadme, withoutSpace(s.body)) {
			t.Errorf("README.md no longer has %s %s %s: update readmeSteps to mirror it", s.method, s.path, s.body)
		}
	}

	forEachStore(t, func(t *testing.T, kind storeKind) {
		st := startStack(t, kind, nil)
		st.rec.secret("the README's password", readmePassword)
		st.rec.secret("the README's secret value", readmeSecret)
		var token, key string
		answers := make([]*response, len(readmeSteps))
		for i, s := range readmeSteps {
			c := st.anonymous()
			switch s.auth {
			case "token":
				c = &client{st: st, token: token}
			case "key":
				c = &client{st: st, apiKey: key}
			}
			rq := request{method: s.method, path: "/api/v1" + s.path}
			if s.body != "" {
				rq.body = s.body
			}
			r := c.send(t, rq).want(t, s.status)
			answers[i] = r
			switch i {
			case 0:
				var reg registration
				r.decode(t, &reg)
				token = reg.Token
				st.rec.secret("user token", token)
			case 5:
				var k apiKeyCreated
				r.decode(t, &k)
				key = k.Key
				st.rec.secret("API key", key)
			}
		}
		checkReadmeAnswers(t, answers)
		if code, stdout, stderr := st.run(t, "", "audit", "verify", "--tenant", "acme"); code != 0 {
			t.Errorf("configmat audit verify --tenant acme exited %d\n%s%s", code, stdout, stderr)
		}
	})
}

// checkReadmeAnswers checks what the README's readers are told to expect.
func checkReadmeAnswers(t *testing.T, answers []*response) {
	t.Helper()
	var reg registration
	answers[0].decode(t, &reg)
	if reg.Tenant.Slug != "acme" || reg.User.Email != "ada@example.com" {
		t.Errorf("registration %+v, want tenant acme of ada@example.com", reg)
	}
	var local environmentValues
	answers[2].decode(t, &local)
	if local.Version != 1 || local.Values["database"]["password"].Value != nil || !local.Values["database"]["password"].Secret {
		t.Errorf("step 3 answered %s, want version 1 with the password hidden", answers[2].body)
	}
	allKeys := diff{Added: []string{"database.host", "database.password", "features.new_checkout"}, Changed: []string{}, Removed: []string{}}
	for i, want := range map[int]promoteResult{
		3: {From: "local", To: "stage", DryRun: true, Diff: allKeys},
		4: {From: "local", To: "stage", Version: intPtr(1), Diff: allKeys},
	} {
		var p promoteResult
		answers[i].decode(t, &p)
		wantEqual(t, "promotion", sortedDiff(p), want)
		if strings.Contains(string(answers[i].body), readmeSecret) {
			t.Error("a promotion shows the secret")
		}
	}
	config := map[string]map[string]json.RawMessage{
		"database": {"host": json.RawMessage(`"db.internal"`), "password": jsonString(readmeSecret)},
		"features": {"new_checkout": json.RawMessage(`true`)},
	}
	var read resolvedConfig
	answers[6].decode(t, &read)
	wantEqual(t, "stage read with the key", read, resolvedConfig{Asset: "billing", Environment: "stage", Version: 1, Config: config})
	var oops environmentValues
	answers[7].decode(t, &oops)
	if oops.Version != 2 {
		t.Errorf("the bad change made version %d, want 2", oops.Version)
	}
	var versions versionList
	answers[8].decode(t, &versions)
	if len(versions.Versions) != 2 || versions.Versions[0].Source != "edit" || versions.Versions[1].Source != "promote" {
		t.Errorf("stage versions %s, want 2 (edit) and 1 (promote)", answers[8].body)
	}
	var rb rollbackResult
	answers[9].decode(t, &rb)
	wantEqual(t, "rollback", rb, rollbackResult{Environment: "stage", Version: 3, RestoredFrom: 1})
	answers[10].decode(t, &read)
	wantEqual(t, "stage after the rollback", read, resolvedConfig{Asset: "billing", Environment: "stage", Version: 3, Config: config})
	var v auditVerification
	answers[11].decode(t, &v)
	// tenant, owner, asset, local values, promotion, API key, bad change, rollback
	if !v.Valid || v.Entries != 8 || len(v.HeadHash) != 64 {
		t.Errorf("audit verification %s, want a valid chain of 8 entries", answers[11].body)
	}
}

// withoutSpace removes every white-space character.
func withoutSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

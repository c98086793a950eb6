package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/configmat/configmat/test/upgrade/internal/fixture"
)

// Passwords of the scenario's users.
const (
	adaPassword   = "correct horse battery"
	bobPassword   = "bob's long password ✓"
	carolPassword = "carol-password-1234"
)

// client calls the old API with one credential.
type client struct {
	base   string
	header string
	value  string
}

// call sends body (raw JSON text, "" for none) and returns the answer's raw
// body, failing unless the status is want.
func (c client) call(ctx context.Context, method, path, body string, want int) (json.RawMessage, error) {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+"/api/v1"+path, r)
	if err != nil {
		return nil, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.header != "" {
		req.Header.Set(c.header, c.value)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		return nil, fmt.Errorf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, raw)
	}
	if want == http.StatusNoContent {
		return nil, nil
	}
	if !json.Valid(raw) {
		return nil, fmt.Errorf("%s %s: the answer is not JSON: %q", method, path, raw)
	}
	return raw, nil
}

// get is call for a GET answering 200.
func (c client) get(ctx context.Context, path string) (json.RawMessage, error) {
	return c.call(ctx, http.MethodGet, path, "", http.StatusOK)
}

// recorder drives the scenario and collects the old API's answers.
type recorder struct {
	ctx context.Context
	// cli runs an old-release admin command on the same store.
	cli     func(stdin string, args ...string) (string, error)
	base    string
	owner   client
	exp     fixture.Expected
	history map[[2]string]map[int]json.RawMessage
	err     error
}

// must records the first error; every later step is skipped.
func (r *recorder) must(raw json.RawMessage, err error) json.RawMessage {
	if r.err == nil && err != nil {
		r.err = err
	}
	return raw
}

// field decodes one member of raw into v.
func (r *recorder) field(raw json.RawMessage, v any, path ...string) {
	if r.err != nil {
		return
	}
	for _, name := range path {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			r.err = fmt.Errorf("decode %s: %w", name, err)
			return
		}
		raw = m[name]
	}
	if err := json.Unmarshal(raw, v); err != nil {
		r.err = fmt.Errorf("decode %v: %w", path, err)
	}
}

// change sends a versioning request and records the place's resolved
// configuration at the version it made.
func (r *recorder) change(c client, method, path, body, asset, env string) json.RawMessage {
	raw := r.must(c.call(r.ctx, method, path, body, http.StatusOK))
	if r.err != nil {
		return raw
	}
	resolved := r.must(r.owner.get(r.ctx, "/assets/"+asset+"/values?environment="+env))
	var version int
	r.field(resolved, &version, "version")
	if r.err != nil {
		return raw
	}
	key := [2]string{asset, env}
	if r.history[key] == nil {
		r.history[key] = map[int]json.RawMessage{}
	}
	r.history[key][version] = resolved
	return raw
}

// values is the path of an environment's values.
func values(asset, env string) string { return "/assets/" + asset + "/environments/" + env }

// firstChange holds a value of every JSON type, with number spellings that
// a re-encoding would change, strings that need escapes, and secrets of
// several types.
const firstChange = `{"message": "first configuration ✓", "set": {
  "database": {
    "host": {"value": "db.internal"},
    "port": {"value": 5432},
    "password": {"value": "s3cr3t-pw ✓", "secret": true},
    "pool": {"value": {"min": 1, "max": 1e2, "ratio": 1.50}}
  },
  "numbers": {
    "price": {"value": 1.50},
    "hundred": {"value": 1e2},
    "exp_upper": {"value": 1E+2},
    "neg_zero": {"value": -0},
    "tiny": {"value": 0.000001},
    "neg_exp": {"value": -3.25e-7},
    "big": {"value": 12345678901234567890},
    "int": {"value": 42},
    "zero_point": {"value": 0.0},
    "trailing": {"value": 2.500}
  },
  "strings": {
    "empty": {"value": ""},
    "unicode": {"value": "héllo wörld ✓ 日本語 🎉"},
    "escaped": {"value": "tab\tnew\nline \"quoted\" \\ back\/slash"},
    "html": {"value": "<b>&amp;</b>"},
    "separators": {"value": "a\u2028b\u2029c"},
    "escaped_unicode": {"value": "caf\u00e9 \ud83d\ude00"}
  },
  "flags": {"on": {"value": true}, "off": {"value": false}, "nothing": {"value": null}},
  "nested": {
    "tree": {"value": {"a": {"b": [1, 2.0, {"c": null, "d": "ü"}], "e": {}}, "list": [], "mixed": [1, "two", 3.0e0, false, null]}},
    "spaced": {"value":   { "k" :  [ 1 ,  2 ] , "z": "y" }  }
  },
  "features": {"new_checkout": {"value": true}, "Weird_Key-9": {"value": "odd key name"}},
  "secrets": {
    "api_token": {"value": "tok_ünïcode_🔑", "secret": true},
    "pin": {"value": 1.50, "secret": true},
    "creds": {"value": {"user": "svc", "scopes": ["read", "write"], "ratio": 1e2}, "secret": true},
    "flag": {"value": true, "secret": true},
    "empty": {"value": "", "secret": true}
  }
}}`

// scenario writes the tenant's data through the old API and records the
// answers. bob and carol are created with the admin CLI, as an operator
// adds users on a server without signup.
func (r *recorder) scenario() {
	ctx := r.ctx
	anon := client{base: r.base}
	reg := r.must(anon.call(ctx, http.MethodPost, "/auth/register",
		`{"email":"ada@example.com","password":"`+adaPassword+`","tenant_name":"Acme Upgrade"}`, http.StatusCreated))
	var ada fixture.User
	ada.Email, ada.Password, ada.Role = "ada@example.com", adaPassword, "owner"
	r.field(reg, &ada.Token, "token")
	r.field(reg, &ada.ID, "user", "id")
	r.field(reg, &r.exp.Tenant, "tenant")
	if r.err != nil {
		return
	}
	r.owner = client{base: r.base, header: "Authorization", value: "Bearer " + ada.Token}
	o := r.owner

	r.must(o.call(ctx, http.MethodPost, "/assets", `{"slug":"billing","name":"Billing service","description":"Payments API ✓"}`, http.StatusCreated))
	r.must(o.call(ctx, http.MethodPost, "/assets", `{"slug":"web","name":"Web front end","description":""}`, http.StatusCreated))
	r.must(o.call(ctx, http.MethodPost, "/assets", `{"slug":"scratch","name":"Scratch","description":"deleted later"}`, http.StatusCreated))
	r.must(o.call(ctx, http.MethodPost, "/environments", `{"name":"qa"}`, http.StatusCreated))

	// billing: three versions in local, promoted to stage, a bad change
	// rolled back, promoted on to prod.
	r.change(o, http.MethodPatch, values("billing", "local"), firstChange, "billing", "local")
	r.change(o, http.MethodPatch, values("billing", "local"), `{"message":"second","set":{
		"database":{"host":{"value":"db2.internal"}},
		"secrets":{"api_token":{"value":"tok_rotated","secret":true}},
		"numbers":{"more":{"value":-1.0E-3}}},
		"unset":{"features":["Weird_Key-9"],"flags":["off"]}}`, "billing", "local")
	r.change(o, http.MethodPatch, values("billing", "local"), `{"message":"third: a secret made plain, a plain value made secret","expected_version":2,"set":{
		"secrets":{"pin":{"value":7.0}},
		"flags":{"on":{"value":true,"secret":true}},
		"strings":{"unicode":{"value":"ÅÄÖ – “quotes” – 𝄞"}}}}`, "billing", "local")
	r.must(o.call(ctx, http.MethodPost, "/assets/billing/promote", `{"from":"local","to":"stage","dry_run":true}`, http.StatusOK))
	r.change(o, http.MethodPost, "/assets/billing/promote", `{"from":"local","to":"stage"}`, "billing", "stage")
	r.change(o, http.MethodPatch, values("billing", "stage"), `{"message":"oops","set":{"database":{"host":{"value":"wrong-host"}}}}`, "billing", "stage")
	r.change(o, http.MethodPost, "/assets/billing/rollback", `{"environment":"stage","version":1}`, "billing", "stage")
	r.change(o, http.MethodPost, "/assets/billing/promote", `{"from":"stage","to":"prod","expected_version":0}`, "billing", "prod")

	// web: values in local promoted to stage, then stage loses its only
	// secret; one version in the added environment.
	r.change(o, http.MethodPatch, values("web", "local"), `{"message":"web v1","set":{
		"ui":{"theme":{"value":"dark"},"max_items":{"value":1.0e3}},
		"cdn":{"key":{"value":"cdn-ßecret","secret":true}}}}`, "web", "local")
	r.change(o, http.MethodPost, "/assets/web/promote", `{"from":"local","to":"stage"}`, "web", "stage")
	r.change(o, http.MethodPatch, values("web", "stage"), `{"message":"drop the cdn","unset":{"cdn":["key"]}}`, "web", "stage")
	r.change(o, http.MethodPatch, values("web", "qa"), `{"message":"qa only","set":{"ui":{"theme":{"value":"light"},"ratio":{"value":0.10}}}}`, "web", "qa")
	r.must(o.call(ctx, http.MethodPatch, "/assets/web", `{"name":"Web front end (renamed)","description":"now described"}`, http.StatusOK))

	// scratch: a version, then the asset is deleted.
	r.must(o.call(ctx, http.MethodPatch, values("scratch", "local"), `{"message":"short-lived","set":{"x":{"y":{"value":1}}}}`, http.StatusOK))
	r.must(o.call(ctx, http.MethodDelete, "/assets/scratch", "", http.StatusNoContent))

	// API keys: one per environment with an expiry in another offset, one
	// for every environment, one revoked.
	r.apiKey(`{"name":"billing-prod","environment":"prod","expires_at":"2099-12-31T23:59:59.123456+02:00"}`, "prod", false)
	r.apiKey(`{"name":"all-environments"}`, "", false)
	revoked := r.apiKey(`{"name":"revoked-stage","environment":"stage"}`, "stage", true)
	r.must(o.call(ctx, http.MethodDelete, "/api-keys/"+revoked, "", http.StatusNoContent))

	// Members: bob (viewer, then editor) and carol (admin, removed, added
	// back as a viewer), created with the admin CLI.
	slug := r.exp.Tenant.Slug
	bob := r.cliUser("bob@example.com", bobPassword, slug, "viewer")
	r.must(o.call(ctx, http.MethodPatch, "/members/"+bob.ID, `{"role":"editor"}`, http.StatusOK))
	bob.Role = "editor"
	carol := r.cliUser("carol@example.com", carolPassword, slug, "admin")
	r.must(o.call(ctx, http.MethodDelete, "/members/"+carol.ID, "", http.StatusNoContent))
	r.must(o.call(ctx, http.MethodPost, "/members", `{"email":"carol@example.com","role":"viewer"}`, http.StatusCreated))
	carol.Role = "viewer"
	bobClient := client{base: r.base, header: "Authorization", value: "Bearer " + bob.Token}
	r.change(bobClient, http.MethodPatch, values("billing", "prod"), `{"message":"prod tuning by bob","set":{
		"database":{"pool":{"value":{"min":5,"max":5e1}}},
		"prod_only":{"secret_url":{"value":"postgres://prod:pässword@db/prod","secret":true}}}}`, "billing", "prod")
	r.exp.Users = []fixture.User{ada, bob, carol}
	if r.err != nil {
		return
	}
	r.record(client{base: r.base, header: "Authorization", value: "Bearer " + carol.Token})
}

// apiKey creates an API key and returns its ID.
func (r *recorder) apiKey(body, env string, revoked bool) string {
	raw := r.must(r.owner.call(r.ctx, http.MethodPost, "/api-keys", body, http.StatusCreated))
	k := fixture.APIKey{Environment: env, Revoked: revoked}
	r.field(raw, &k.ID, "id")
	r.field(raw, &k.Name, "name")
	r.field(raw, &k.Key, "key")
	r.exp.APIKeys = append(r.exp.APIKeys, k)
	return k.ID
}

// cliUser creates a member with `configmat user create` and logs them in.
func (r *recorder) cliUser(email, password, tenant, role string) fixture.User {
	u := fixture.User{Email: email, Password: password, Role: role}
	if r.err != nil {
		return u
	}
	if _, err := r.cli(password+"\n", "user", "create", "--email", email, "--tenant", tenant, "--role", role); err != nil {
		r.err = err
		return u
	}
	anon := client{base: r.base}
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	tok := r.must(anon.call(r.ctx, http.MethodPost, "/auth/login", string(body), http.StatusOK))
	r.field(tok, &u.Token, "token")
	me := r.must(client{base: r.base, header: "Authorization", value: "Bearer " + u.Token}.get(r.ctx, "/me"))
	r.field(me, &u.ID, "user", "id")
	return u
}

// record reads back everything the tenant holds, as the owner (and, for
// the resolved configurations, with each API key and as the viewer).
func (r *recorder) record(viewer client) {
	ctx, o := r.ctx, r.owner
	res := fixture.Responses{Me: map[string]json.RawMessage{}, AssetDetails: map[string]json.RawMessage{}}
	for _, u := range r.exp.Users {
		res.Me[u.Email] = r.must(client{base: r.base, header: "Authorization", value: "Bearer " + u.Token}.get(ctx, "/me"))
	}
	res.Environments = r.must(o.get(ctx, "/environments"))
	res.Assets = r.must(o.get(ctx, "/assets?limit=200"))
	res.Members = r.must(o.get(ctx, "/members"))
	res.APIKeys = r.must(o.get(ctx, "/api-keys"))
	after := 0
	for r.err == nil {
		page := r.must(o.get(ctx, "/audit?limit=200&after_seq="+strconv.Itoa(after)))
		var entries []json.RawMessage
		r.field(page, &entries, "entries")
		if len(entries) == 0 {
			break
		}
		res.Audit = append(res.Audit, entries...)
		r.field(entries[len(entries)-1], &after, "seq")
	}
	res.AuditVerify = r.must(o.get(ctx, "/audit/verify"))

	var envs []struct {
		Name string `json:"name"`
	}
	r.field(res.Environments, &envs, "environments")
	var assets []struct {
		Slug string `json:"slug"`
	}
	r.field(res.Assets, &assets, "assets")
	for _, a := range assets {
		res.AssetDetails[a.Slug] = r.must(o.get(ctx, "/assets/"+a.Slug))
		for _, e := range envs {
			r.exp.Places = append(r.exp.Places, r.place(viewer, a.Slug, e.Name))
		}
	}
	r.exp.Responses = res
}

// place reads back one asset's environment.
func (r *recorder) place(viewer client, asset, env string) fixture.Place {
	ctx, o := r.ctx, r.owner
	q := "?environment=" + url.QueryEscape(env)
	p := fixture.Place{
		Asset: asset, Environment: env,
		Values:           r.must(o.get(ctx, values(asset, env))),
		Resolved:         r.must(o.get(ctx, "/assets/"+asset+"/values"+q)),
		ResolvedByViewer: r.must(viewer.get(ctx, "/assets/"+asset+"/values"+q)),
		ResolvedByAPIKey: map[string]json.RawMessage{},
		Versions:         r.must(o.get(ctx, "/assets/"+asset+"/versions"+q)),
		VersionValues:    map[int]json.RawMessage{},
		History:          r.history[[2]string{asset, env}],
	}
	for _, k := range r.exp.APIKeys {
		if k.Revoked || (k.Environment != "" && k.Environment != env) {
			continue
		}
		key := client{base: r.base, header: "X-API-Key", value: k.Key}
		p.ResolvedByAPIKey[k.Name] = r.must(key.get(ctx, "/assets/"+asset+"/values"+q))
	}
	var versions []struct {
		Version int `json:"version"`
	}
	r.field(p.Versions, &versions, "versions")
	for _, v := range versions {
		p.VersionValues[v.Version] = r.must(o.get(ctx, "/assets/"+asset+"/versions/"+strconv.Itoa(v.Version)+q))
		if _, ok := p.History[v.Version]; !ok && r.err == nil {
			r.err = fmt.Errorf("%s/%s version %d was made outside the recorded changes", asset, env, v.Version)
		}
	}
	if len(p.History) != len(versions) && r.err == nil {
		r.err = fmt.Errorf("%s/%s: %d versions listed, %d recorded", asset, env, len(versions), len(p.History))
	}
	return p
}

// runScenario drives the old server at base and returns the fixture.
func runScenario(ctx context.Context, store, base string, cli func(stdin string, args ...string) (string, error)) (fixture.Expected, error) {
	r := &recorder{
		ctx: ctx, cli: cli, base: base,
		exp:     fixture.Expected{Release: release, Store: store, EncryptionKey: encryptionKey},
		history: map[[2]string]map[int]json.RawMessage{},
	}
	r.scenario()
	if r.err != nil {
		return fixture.Expected{}, r.err
	}
	var verify struct {
		Valid   bool `json:"valid"`
		Entries int  `json:"entries"`
	}
	if err := json.Unmarshal(r.exp.Responses.AuditVerify, &verify); err != nil || !verify.Valid || verify.Entries != len(r.exp.Responses.Audit) {
		return fixture.Expected{}, fmt.Errorf("the old release's own chain does not verify: %s", r.exp.Responses.AuditVerify)
	}
	if bytes.Contains(r.exp.Responses.Assets, []byte(`"next_cursor":"`)) {
		return fixture.Expected{}, fmt.Errorf("the asset list has more than one page")
	}
	return r.exp, nil
}

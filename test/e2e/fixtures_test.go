package e2e

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
)

// uniqueSeq numbers the names of the run, so that scenarios sharing a
// server never collide.
var uniqueSeq atomic.Int64

// unique returns prefix with a number and a random suffix: a valid slug
// when prefix is one.
func unique(prefix string) string {
	return fmt.Sprintf("%s-%d-%s", prefix, uniqueSeq.Add(1), randomHex(3))
}

// tenantFixture is a tenant registered over HTTP and its owner.
type tenantFixture struct {
	st    *stack
	id    string
	slug  string
	name  string
	owner *client
	// ownerID, ownerEmail and ownerPassword are the owner's.
	ownerID       string
	ownerEmail    string
	ownerPassword string
}

// newPassword returns a fresh password, recorded as a secret.
func (st *stack) newPassword() string {
	p := "pw-" + randomHex(12)
	st.rec.secret("password", p)
	return p
}

// secretValue returns a fresh secret value, recorded as a secret.
func (st *stack) secretValue() string {
	v := "sv-" + randomHex(12)
	st.rec.secret("secret value", v)
	return v
}

// register registers a user and the tenant they own.
func (st *stack) register(t *testing.T, email, password, tenantName string) registration {
	t.Helper()
	r := st.anonymous().post(t, "/api/v1/auth/register",
		map[string]string{"email": email, "password": password, "tenant_name": tenantName}).want(t, http.StatusCreated)
	var reg registration
	r.decode(t, &reg)
	st.rec.secret("user token", reg.Token)
	return reg
}

// newTenant registers a new user with a new tenant.
func (st *stack) newTenant(t *testing.T) *tenantFixture {
	t.Helper()
	email, password := unique("owner")+"@example.com", st.newPassword()
	reg := st.register(t, email, password, "Tenant "+unique("t"))
	return &tenantFixture{
		st:            st,
		id:            reg.Tenant.ID,
		slug:          reg.Tenant.Slug,
		name:          reg.Tenant.Name,
		owner:         &client{st: st, token: reg.Token, tenantID: reg.Tenant.ID},
		ownerID:       reg.User.ID,
		ownerEmail:    email,
		ownerPassword: password,
	}
}

// userOf is a user who joined a tenant fixture.
type userOf struct {
	*client
	id    string
	email string
	// home is the tenant the user registered with (and owns).
	home tenantRef
}

// join registers a new user (owning a tenant of their own) and has the owner
// add them to fx's tenant with role. The returned client names fx's tenant
// in X-Tenant.
func (fx *tenantFixture) join(t *testing.T, role string) userOf {
	t.Helper()
	email := unique(role) + "@example.com"
	reg := fx.st.register(t, email, fx.st.newPassword(), "Home "+unique("h"))
	fx.owner.post(t, "/api/v1/members", map[string]string{"email": email, "role": role}).want(t, http.StatusCreated)
	c := &client{st: fx.st, token: reg.Token, tenant: fx.slug, tenantID: fx.id}
	return userOf{client: c, id: reg.User.ID, email: email, home: reg.Tenant}
}

// newAsset creates an asset with a unique slug and returns the slug.
func (fx *tenantFixture) newAsset(t *testing.T) string {
	t.Helper()
	slug := unique("app")
	fx.owner.post(t, "/api/v1/assets", map[string]string{"slug": slug, "name": "App " + slug, "description": "e2e"}).
		want(t, http.StatusCreated)
	return slug
}

// setValues applies a change set (set only) and returns the new values.
func (fx *tenantFixture) setValues(t *testing.T, slug, env string, set objects) environmentValues {
	t.Helper()
	var out environmentValues
	fx.owner.patch(t, valuesPath(slug, env), map[string]any{"message": "set", "set": set}).
		want(t, http.StatusOK).decode(t, &out)
	return out
}

// newAPIKey creates an API key, limited to env unless env is "".
func (fx *tenantFixture) newAPIKey(t *testing.T, env string) apiKeyCreated {
	t.Helper()
	body := map[string]any{"name": unique("key"), "environment": nil, "expires_at": nil}
	if env != "" {
		body["environment"] = env
	}
	var k apiKeyCreated
	fx.owner.post(t, "/api/v1/api-keys", body).want(t, http.StatusCreated).decode(t, &k)
	fx.st.rec.secret("API key", k.Key)
	return k
}

// sdk returns a client that authenticates with an API key of fx's tenant.
func (fx *tenantFixture) sdk(key string) *client {
	return &client{st: fx.st, apiKey: key, tenantID: fx.id}
}

// Paths of the routes, built from their parts.
func assetPath(slug string) string       { return "/api/v1/assets/" + slug }
func valuesPath(slug, env string) string { return assetPath(slug) + "/environments/" + env }
func resolvedPath(slug, env string) string {
	return assetPath(slug) + "/values?environment=" + env
}
func versionsPath(slug, env string) string {
	return assetPath(slug) + "/versions?environment=" + env
}
func versionPath(slug, env string, n int) string {
	return fmt.Sprintf("%s/versions/%d?environment=%s", assetPath(slug), n, env)
}

package e2e

import (
	"net/http"
	"slices"
	"testing"
)

// testMembers walks a membership through its roles: adding an existing user,
// what each role may do, LAST_OWNER on demoting or removing the only owner,
// and removal taking the tenant away from the user.
func testMembers(t *testing.T, st *stack) {
	fx := st.newTenant(t)
	email := unique("member") + "@example.com"
	reg := st.register(t, email, st.newPassword(), "Member Home "+unique("m"))
	u := &client{st: st, token: reg.Token, tenant: fx.slug, tenantID: fx.id}
	memberPath := "/api/v1/members/" + reg.User.ID

	u.get(t, "/api/v1/assets").wantError(t, http.StatusNotFound, "TENANT_NOT_FOUND")
	var added member
	fx.owner.post(t, "/api/v1/members", map[string]string{"email": email, "role": "viewer"}).want(t, http.StatusCreated).decode(t, &added)
	wantEqual(t, "added member", added, member{User: userRef{ID: reg.User.ID, Email: email}, Role: "viewer"})
	wantMembers(t, fx, map[string]string{fx.ownerID: "owner", reg.User.ID: "viewer"})

	fxAsset := fx.newAsset(t)
	listed := func(c *client) bool {
		var l assetList
		c.get(t, "/api/v1/assets").want(t, http.StatusOK).decode(t, &l)
		return slices.ContainsFunc(l.Assets, func(a asset) bool { return a.Slug == fxAsset })
	}
	if !listed(u) {
		t.Errorf("with X-Tenant %s the member does not see the tenant's asset", fx.slug)
	}
	if listed(u.inTenant("", reg.Tenant.ID)) {
		t.Error("without X-Tenant the member acts in the joined tenant, not in their first membership")
	}
	u.post(t, "/api/v1/assets", map[string]string{"slug": unique("by-viewer"), "name": "V"}).wantError(t, http.StatusForbidden, "PERMISSION_DENIED")

	setRole := func(by *client, path, role string, status int) {
		t.Helper()
		r := by.patch(t, path, map[string]string{"role": role})
		if status != http.StatusOK {
			r.wantError(t, status, map[int]string{http.StatusConflict: "LAST_OWNER", http.StatusForbidden: "PERMISSION_DENIED"}[status])
			return
		}
		var m member
		r.want(t, http.StatusOK).decode(t, &m)
		if m.Role != role {
			t.Errorf("PATCH %s to %s answered role %s", path, role, m.Role)
		}
	}
	setRole(fx.owner, memberPath, "editor", http.StatusOK)
	u.post(t, "/api/v1/assets", map[string]string{"slug": unique("by-editor"), "name": "E"}).want(t, http.StatusCreated)
	u.get(t, "/api/v1/members").wantError(t, http.StatusForbidden, "PERMISSION_DENIED")

	setRole(fx.owner, memberPath, "admin", http.StatusOK)
	u.get(t, "/api/v1/members").want(t, http.StatusOK)
	second := fx.join(t, "viewer")
	setRole(u, "/api/v1/members/"+second.id, "editor", http.StatusOK)
	setRole(u, "/api/v1/members/"+second.id, "owner", http.StatusForbidden)

	ownerPath := "/api/v1/members/" + fx.ownerID
	setRole(fx.owner, ownerPath, "admin", http.StatusConflict)
	fx.owner.del(t, ownerPath).wantError(t, http.StatusConflict, "LAST_OWNER")
	wantMembers(t, fx, map[string]string{fx.ownerID: "owner", reg.User.ID: "admin", second.id: "editor"})

	setRole(fx.owner, memberPath, "owner", http.StatusOK)
	setRole(fx.owner, ownerPath, "admin", http.StatusOK)
	setRole(u, memberPath, "admin", http.StatusConflict)
	u.del(t, memberPath).wantError(t, http.StatusConflict, "LAST_OWNER")

	var m meView
	u.get(t, "/api/v1/me").want(t, http.StatusOK).decode(t, &m)
	if !slices.Contains(m.Memberships, membership{Tenant: tenantRef{ID: fx.id, Slug: fx.slug, Name: fx.name}, Role: "owner"}) ||
		!slices.Contains(m.Memberships, membership{Tenant: reg.Tenant, Role: "owner"}) || len(m.Memberships) != 2 {
		t.Errorf("memberships %+v, want owner of both tenants", m.Memberships)
	}

	u.del(t, "/api/v1/members/"+second.id).want(t, http.StatusNoContent)
	second.get(t, "/api/v1/assets").wantError(t, http.StatusNotFound, "TENANT_NOT_FOUND")
	wantMembers(t, &tenantFixture{st: st, owner: u}, map[string]string{fx.ownerID: "admin", reg.User.ID: "owner"})
}

// wantMembers checks the tenant's members and roles (user ID -> role).
func wantMembers(t *testing.T, fx *tenantFixture, want map[string]string) {
	t.Helper()
	var l memberList
	fx.owner.get(t, "/api/v1/members").want(t, http.StatusOK).decode(t, &l)
	got := map[string]string{}
	for _, m := range l.Members {
		got[m.User.ID] = m.Role
	}
	wantEqual(t, "members", got, want)
}

package identity

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/configmat/configmat/core/domain"
)

func TestCreateTenant(t *testing.T) {
	h := newHarness(t)
	h.expectTenantTx(gomock.Any())
	h.dir.EXPECT().TenantBySlug(gomock.Any(), "acme").Return(tenantFree())
	var stored domain.Tenant
	h.tenants.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, tn domain.Tenant) error { stored = tn; return nil })
	h.envs.EXPECT().Create(gomock.Any(), gomock.Any()).Times(3).Return(nil)

	got, err := h.svc.CreateTenant(context.Background(), "acme", " Acme Corp ")
	wantKind(t, err, "")
	want := domain.Tenant{ID: got.ID, Slug: "acme", Name: "Acme Corp", DataKey: wrappedKeyOf(got.ID), CreatedAt: testNow}
	if !validUUID(string(got.ID)) || !reflect.DeepEqual(got, want) || !reflect.DeepEqual(stored, want) {
		t.Fatalf("created %+v, stored %+v, want %+v", got, stored, want)
	}
	if h.commits != 1 {
		t.Fatalf("commits = %d, want 1", h.commits)
	}
	wantAudit(t, h, auditRecord{
		actor: domain.SystemActor(got.ID), action: domain.ActionTenantCreated, target: "tenant:" + string(got.ID),
		details: map[string]any{"slug": "acme", "name": "Acme Corp", "environments": []string{"local", "stage", "prod"}},
	})
}

func TestCreateTenantRefusals(t *testing.T) {
	storeDown := domain.Wrap(errors.New("timeout"), "store failed")
	tests := []struct {
		name     string
		slug     string
		tenant   string
		setup    func(h *harness)
		wantKind domain.Kind
		field    string
	}{
		{name: "bad slug", slug: "Acme!", tenant: "Acme", setup: func(*harness) {}, wantKind: domain.KindInvalid, field: "slug"},
		{name: "no name", slug: "acme", tenant: "", setup: func(*harness) {}, wantKind: domain.KindInvalid, field: "name"},
		{name: "slug taken", slug: "acme", tenant: "Acme", wantKind: domain.KindConflict, setup: func(h *harness) {
			h.expectTenantTx(gomock.Any())
			h.dir.EXPECT().TenantBySlug(gomock.Any(), "acme").Return(domain.TenantRef{ID: tenantB, Slug: "acme"}, nil)
		}},
		{name: "lookup failure", slug: "acme", tenant: "Acme", wantKind: domain.KindInternal, setup: func(h *harness) {
			h.expectTenantTx(gomock.Any())
			h.dir.EXPECT().TenantBySlug(gomock.Any(), "acme").Return(domain.TenantRef{}, storeDown)
		}},
		{name: "key manager failure", slug: "acme", tenant: "Acme", wantKind: domain.KindInternal, setup: func(h *harness) {
			h.expectTenantTx(gomock.Any())
			h.dir.EXPECT().TenantBySlug(gomock.Any(), "acme").Return(tenantFree())
			h.keys.err = errors.New("kek unavailable")
		}},
		{name: "no randomness", slug: "acme", tenant: "Acme", wantKind: domain.KindInternal, setup: func(h *harness) {
			h.svc.deps.Random = failingReader{}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			tt.setup(h)
			got, err := h.svc.CreateTenant(context.Background(), tt.slug, tt.tenant)
			wantKind(t, err, tt.wantKind)
			if tt.field != "" {
				wantField(t, err, tt.field)
			}
			if tt.wantKind == domain.KindConflict {
				wantDetail(t, err, "slug", tt.slug)
			}
			if h.commits != 0 || !reflect.DeepEqual(got, domain.Tenant{}) {
				t.Fatalf("commits %d, tenant %+v; want nothing", h.commits, got)
			}
			wantAudit(t, h)
		})
	}
}

func TestCreateUser(t *testing.T) {
	h := newHarness(t)
	h.expectGlobalTx()
	h.dir.EXPECT().TenantBySlug(gomock.Any(), "acme").Return(domain.TenantRef{ID: tenantA, Slug: "acme"}, nil)
	h.expectTenantTx(tenantA)
	var stored domain.User
	h.users.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, u domain.User) error { stored = u; return nil })
	var member domain.Membership
	h.members.EXPECT().Add(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, m domain.Membership) error { member = m; return nil })

	got, err := h.svc.CreateUser(context.Background(), " Bob@Example.com", rightPassword, "acme", domain.RoleEditor)
	wantKind(t, err, "")
	if got.PasswordHash != "" || got.Email != "bob@example.com" || got.ID != stored.ID || !validUUID(string(got.ID)) {
		t.Fatalf("returned user %+v (stored %+v)", got, stored)
	}
	if ok, err := h.svc.passwords.verify(stored.PasswordHash, rightPassword); !ok || err != nil {
		t.Fatalf("stored hash does not verify: %v, %v", ok, err)
	}
	if member != (domain.Membership{TenantID: tenantA, UserID: got.ID, Role: domain.RoleEditor, CreatedAt: testNow}) {
		t.Fatalf("membership = %+v", member)
	}
	if h.commits != 2 {
		t.Fatalf("commits = %d, want 2", h.commits)
	}
	wantAudit(t, h, auditRecord{
		actor: domain.SystemActor(tenantA), action: domain.ActionMemberAdded, target: "user:" + string(got.ID),
		details: map[string]any{"user_id": string(got.ID), "role": "editor"},
	})
}

func TestCreateUserRefusals(t *testing.T) {
	storeDown := domain.Wrap(errors.New("timeout"), "store failed")
	acme := func(h *harness) {
		h.expectGlobalTx()
		h.dir.EXPECT().TenantBySlug(gomock.Any(), "acme").Return(domain.TenantRef{ID: tenantA, Slug: "acme"}, nil)
	}
	tests := []struct {
		name     string
		email    string
		password string
		tenant   string
		role     domain.Role
		setup    func(h *harness)
		wantKind domain.Kind
		field    string
	}{
		{name: "bad email", email: "bob", password: rightPassword, tenant: "acme", role: domain.RoleViewer, wantKind: domain.KindInvalid, field: "email"},
		{name: "short password", email: "bob@example.com", password: "short", tenant: "acme", role: domain.RoleViewer, wantKind: domain.KindInvalid, field: "password"},
		{name: "bad tenant slug", email: "bob@example.com", password: rightPassword, tenant: "", role: domain.RoleViewer, wantKind: domain.KindInvalid, field: "tenant"},
		{name: "bad role", email: "bob@example.com", password: rightPassword, tenant: "acme", role: "root", wantKind: domain.KindInvalid, field: "role"},
		{name: "unknown tenant", email: "bob@example.com", password: rightPassword, tenant: "initech", role: domain.RoleViewer,
			wantKind: domain.KindTenantNotFound, setup: func(h *harness) {
				h.expectGlobalTx()
				h.dir.EXPECT().TenantBySlug(gomock.Any(), "initech").Return(tenantFree())
			}},
		{name: "tenant lookup failure", email: "bob@example.com", password: rightPassword, tenant: "acme", role: domain.RoleViewer,
			wantKind: domain.KindInternal, setup: func(h *harness) {
				h.expectGlobalTx()
				h.dir.EXPECT().TenantBySlug(gomock.Any(), "acme").Return(domain.TenantRef{}, storeDown)
			}},
		{name: "email taken", email: "bob@example.com", password: rightPassword, tenant: "acme", role: domain.RoleViewer,
			wantKind: domain.KindEmailRegistered, setup: func(h *harness) {
				acme(h)
				h.expectTenantTx(tenantA)
				h.users.EXPECT().Create(gomock.Any(), gomock.Any()).Return(domain.Errorf(domain.KindEmailRegistered, "taken"))
			}},
		{name: "membership failure", email: "bob@example.com", password: rightPassword, tenant: "acme", role: domain.RoleViewer,
			wantKind: domain.KindInternal, setup: func(h *harness) {
				acme(h)
				h.expectTenantTx(tenantA)
				h.users.EXPECT().Create(gomock.Any(), gomock.Any()).Return(nil)
				h.members.EXPECT().Add(gomock.Any(), gomock.Any()).Return(storeDown)
			}},
		{name: "audit failure", email: "bob@example.com", password: rightPassword, tenant: "acme", role: domain.RoleViewer,
			wantKind: domain.KindInternal, setup: func(h *harness) {
				acme(h)
				h.expectTenantTx(tenantA)
				h.users.EXPECT().Create(gomock.Any(), gomock.Any()).Return(nil)
				h.members.EXPECT().Add(gomock.Any(), gomock.Any()).Return(nil)
				h.audit.failOn, h.audit.err = domain.ActionMemberAdded, storeDown
			}},
		{name: "no randomness for the salt", email: "bob@example.com", password: rightPassword, tenant: "acme", role: domain.RoleViewer,
			wantKind: domain.KindInternal, setup: func(h *harness) {
				acme(h)
				h.svc.passwords.random = failingReader{}
			}},
		{name: "no randomness for the id", email: "bob@example.com", password: rightPassword, tenant: "acme", role: domain.RoleViewer,
			wantKind: domain.KindInternal, setup: func(h *harness) {
				acme(h)
				h.svc.deps.Random = failingReader{}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			if tt.setup != nil {
				tt.setup(h)
			}
			got, err := h.svc.CreateUser(context.Background(), tt.email, tt.password, tt.tenant, tt.role)
			wantKind(t, err, tt.wantKind)
			if tt.field != "" {
				wantField(t, err, tt.field)
			}
			if tt.wantKind == domain.KindTenantNotFound {
				wantDetail(t, err, "tenant", tt.tenant)
			}
			if got != (domain.User{}) {
				t.Fatalf("user = %+v, want none", got)
			}
			if h.tenantCommits != 0 {
				t.Fatalf("the user transaction committed although it failed")
			}
		})
	}
}

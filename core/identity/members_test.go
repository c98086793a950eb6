package identity

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/configmat/configmat/core/domain"
)

var (
	ownerActor = domain.Actor{TenantID: tenantA, UserID: userA, Role: domain.RoleOwner}
	adminActor = domain.Actor{TenantID: tenantA, UserID: userA, Role: domain.RoleAdmin}
	bob        = domain.User{ID: userB, Email: "bob@example.com", PasswordHash: "bob's hash"}
	errStore   = domain.Wrap(errors.New("timeout"), "store failed")
)

func membership(role domain.Role) domain.Membership {
	return domain.Membership{TenantID: tenantA, UserID: userB, Role: role}
}

func TestListMembers(t *testing.T) {
	listed := []domain.Member{{User: domain.UserRef{ID: userA, Email: "ada@example.com"}, Role: domain.RoleOwner}}
	tests := []struct {
		name     string
		stored   []domain.Member
		err      error
		want     []domain.Member
		wantKind domain.Kind
	}{
		{name: "members", stored: listed, want: listed},
		{name: "none is an empty list", stored: nil, want: []domain.Member{}},
		{name: "store failure", err: errStore, wantKind: domain.KindInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.expectTenantTx(tenantA)
			h.members.EXPECT().List(gomock.Any()).Return(tt.stored, tt.err)
			got, err := h.svc.ListMembers(context.Background(), adminActor)
			wantKind(t, err, tt.wantKind)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("members = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestAddMember(t *testing.T) {
	tests := []struct {
		name  string
		actor domain.Actor
		email string
		role  domain.Role
		// setup expects the store calls; nil means none may happen.
		setup    func(h *harness)
		wantKind domain.Kind
		field    string
		detail   map[string]any
	}{
		{name: "admin adds an editor", actor: adminActor, email: " Bob@Example.com ", role: domain.RoleEditor, setup: func(h *harness) {
			h.users.EXPECT().ByEmail(gomock.Any(), "bob@example.com").Return(bob, nil)
			h.members.EXPECT().Add(gomock.Any(), domain.Membership{TenantID: tenantA, UserID: userB, Role: domain.RoleEditor, CreatedAt: testNow}).Return(nil)
		}},
		{name: "owner grants owner", actor: ownerActor, email: "bob@example.com", role: domain.RoleOwner, setup: func(h *harness) {
			h.users.EXPECT().ByEmail(gomock.Any(), "bob@example.com").Return(bob, nil)
			h.members.EXPECT().Add(gomock.Any(), gomock.Any()).Return(nil)
		}},
		{name: "admin may not grant owner", actor: adminActor, email: "bob@example.com", role: domain.RoleOwner,
			wantKind: domain.KindPermissionDenied, detail: map[string]any{"required_role": "owner"}},
		{name: "bad email", actor: adminActor, email: "bob", role: domain.RoleViewer, wantKind: domain.KindInvalid, field: "email"},
		{name: "bad role", actor: adminActor, email: "bob@example.com", role: "root", wantKind: domain.KindInvalid, field: "role"},
		{name: "unknown user", actor: adminActor, email: "nobody@example.com", role: domain.RoleViewer,
			wantKind: domain.KindUserNotFound, detail: map[string]any{"email": "nobody@example.com"}, setup: func(h *harness) {
				h.users.EXPECT().ByEmail(gomock.Any(), "nobody@example.com").Return(domain.User{}, domain.Errorf(domain.KindUserNotFound, "none"))
			}},
		{name: "user lookup failure", actor: adminActor, email: "bob@example.com", role: domain.RoleViewer, wantKind: domain.KindInternal,
			setup: func(h *harness) {
				h.users.EXPECT().ByEmail(gomock.Any(), "bob@example.com").Return(domain.User{}, errStore)
			}},
		{name: "already a member", actor: adminActor, email: "bob@example.com", role: domain.RoleViewer, wantKind: domain.KindMemberExists,
			setup: func(h *harness) {
				h.users.EXPECT().ByEmail(gomock.Any(), "bob@example.com").Return(bob, nil)
				h.members.EXPECT().Add(gomock.Any(), gomock.Any()).Return(domain.Errorf(domain.KindMemberExists, "member"))
			}},
		{name: "audit failure", actor: adminActor, email: "bob@example.com", role: domain.RoleViewer, wantKind: domain.KindInternal,
			setup: func(h *harness) {
				h.users.EXPECT().ByEmail(gomock.Any(), "bob@example.com").Return(bob, nil)
				h.members.EXPECT().Add(gomock.Any(), gomock.Any()).Return(nil)
				h.audit.failOn, h.audit.err = domain.ActionMemberAdded, errStore
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			if tt.setup != nil {
				h.expectTenantTx(tenantA)
				tt.setup(h)
			}
			got, err := h.svc.AddMember(context.Background(), tt.actor, tt.email, tt.role)
			wantKind(t, err, tt.wantKind)
			if tt.field != "" {
				wantField(t, err, tt.field)
			}
			for k, v := range tt.detail {
				wantDetail(t, err, k, v)
			}
			if err != nil {
				if h.commits != 0 || got != (domain.Member{}) {
					t.Fatalf("commits %d, member %+v; want nothing", h.commits, got)
				}
				return
			}
			if got != (domain.Member{User: bob.Ref(), Role: tt.role}) || h.commits != 1 {
				t.Fatalf("member %+v, commits %d", got, h.commits)
			}
			wantAudit(t, h, auditRecord{actor: tt.actor, action: domain.ActionMemberAdded, target: "user:" + string(userB),
				details: map[string]any{"user_id": string(userB), "role": string(tt.role)}})
		})
	}
}

func TestUpdateMember(t *testing.T) {
	tests := []struct {
		name  string
		actor domain.Actor
		user  domain.UserID
		role  domain.Role
		// current is the member's role; "" means no transaction happens.
		current  domain.Role
		getErr   error
		owners   int
		setup    func(h *harness)
		wantKind domain.Kind
		audited  bool
	}{
		{name: "admin promotes an editor", actor: adminActor, user: userB, role: domain.RoleAdmin, current: domain.RoleEditor, audited: true},
		{name: "admin demotes an admin", actor: adminActor, user: userB, role: domain.RoleViewer, current: domain.RoleAdmin, audited: true},
		{name: "owner grants owner", actor: ownerActor, user: userB, role: domain.RoleOwner, current: domain.RoleAdmin, audited: true},
		{name: "owner demotes one of two owners", actor: ownerActor, user: userB, role: domain.RoleAdmin, current: domain.RoleOwner, owners: 2, audited: true},
		{name: "same role changes nothing", actor: adminActor, user: userB, role: domain.RoleEditor, current: domain.RoleEditor},
		{name: "owner keeps owner", actor: ownerActor, user: userB, role: domain.RoleOwner, current: domain.RoleOwner},
		{name: "last owner", actor: ownerActor, user: userB, role: domain.RoleAdmin, current: domain.RoleOwner, owners: 1, wantKind: domain.KindLastOwner},
		{name: "no owner at all", actor: ownerActor, user: userB, role: domain.RoleAdmin, current: domain.RoleOwner, owners: 0, wantKind: domain.KindLastOwner},
		{name: "admin may not grant owner", actor: adminActor, user: userB, role: domain.RoleOwner, wantKind: domain.KindPermissionDenied},
		{name: "admin may not demote an owner", actor: adminActor, user: userB, role: domain.RoleViewer, current: domain.RoleOwner, wantKind: domain.KindPermissionDenied},
		{name: "bad role", actor: adminActor, user: userB, role: "", wantKind: domain.KindInvalid},
		{name: "malformed user id", actor: adminActor, user: "bob", role: domain.RoleViewer, wantKind: domain.KindUserNotFound},
		{name: "no member", actor: adminActor, user: userB, role: domain.RoleViewer, current: domain.RoleViewer,
			getErr: domain.Errorf(domain.KindUserNotFound, "none"), wantKind: domain.KindUserNotFound},
		{name: "member lookup failure", actor: adminActor, user: userB, role: domain.RoleViewer, current: domain.RoleViewer,
			getErr: errStore, wantKind: domain.KindInternal},
		{name: "user lookup failure", actor: adminActor, user: userB, role: domain.RoleViewer, current: domain.RoleEditor,
			wantKind: domain.KindInternal, setup: func(h *harness) {
				h.users.EXPECT().ByID(gomock.Any(), userB).Return(domain.User{}, errStore)
			}},
		{name: "owner lock failure", actor: ownerActor, user: userB, role: domain.RoleViewer, current: domain.RoleOwner,
			wantKind: domain.KindInternal, setup: func(h *harness) {
				h.users.EXPECT().ByID(gomock.Any(), userB).Return(bob, nil)
				h.members.EXPECT().LockOwners(gomock.Any()).Return(0, errStore)
			}},
		{name: "store failure", actor: adminActor, user: userB, role: domain.RoleViewer, current: domain.RoleEditor,
			wantKind: domain.KindInternal, setup: func(h *harness) {
				h.users.EXPECT().ByID(gomock.Any(), userB).Return(bob, nil)
				h.members.EXPECT().SetRole(gomock.Any(), userB, domain.RoleViewer).Return(errStore)
			}},
		{name: "audit failure", actor: adminActor, user: userB, role: domain.RoleViewer, current: domain.RoleEditor,
			wantKind: domain.KindInternal, setup: func(h *harness) {
				h.users.EXPECT().ByID(gomock.Any(), userB).Return(bob, nil)
				h.members.EXPECT().SetRole(gomock.Any(), userB, domain.RoleViewer).Return(nil)
				expectMemberChange(h)
				h.audit.failOn, h.audit.err = domain.ActionMemberUpdated, errStore
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			if tt.current != "" {
				h.expectTenantTx(tenantA)
				h.members.EXPECT().Get(gomock.Any(), tt.user).Return(membership(tt.current), tt.getErr)
				switch {
				case tt.setup != nil:
					tt.setup(h)
				case tt.getErr != nil || tt.wantKind == domain.KindPermissionDenied:
				default:
					h.users.EXPECT().ByID(gomock.Any(), userB).Return(bob, nil)
					if tt.current == domain.RoleOwner && tt.role != domain.RoleOwner {
						h.members.EXPECT().LockOwners(gomock.Any()).Return(tt.owners, nil)
					}
					if tt.wantKind == "" && tt.current != tt.role {
						h.members.EXPECT().SetRole(gomock.Any(), userB, tt.role).Return(nil)
						expectMemberChange(h)
					}
				}
			}
			got, err := h.svc.UpdateMember(context.Background(), tt.actor, tt.user, tt.role)
			wantKind(t, err, tt.wantKind)
			if err != nil {
				if h.commits != 0 || got != (domain.Member{}) {
					t.Fatalf("commits %d, member %+v; want nothing", h.commits, got)
				}
				wantAudit(t, h)
				return
			}
			if got != (domain.Member{User: bob.Ref(), Role: tt.role}) || h.commits != 1 {
				t.Fatalf("member %+v, commits %d", got, h.commits)
			}
			if !tt.audited {
				wantAudit(t, h)
				return
			}
			wantAudit(t, h, auditRecord{actor: tt.actor, action: domain.ActionMemberUpdated, target: "user:" + string(userB),
				details: map[string]any{"user_id": string(userB), "from": string(tt.current), "to": string(tt.role)}})
		})
	}
}

func TestRemoveMember(t *testing.T) {
	tests := []struct {
		name    string
		actor   domain.Actor
		user    domain.UserID
		current domain.Role
		getErr  error
		owners  int
		// locks says whether the owners are counted; removes whether Remove runs.
		locks     bool
		removes   bool
		removeErr error
		auditErr  error
		wantKind  domain.Kind
	}{
		{name: "admin removes an editor", actor: adminActor, user: userB, current: domain.RoleEditor, removes: true},
		{name: "owner removes one of two owners", actor: ownerActor, user: userB, current: domain.RoleOwner, owners: 2, locks: true, removes: true},
		{name: "last owner", actor: ownerActor, user: userB, current: domain.RoleOwner, owners: 1, locks: true, wantKind: domain.KindLastOwner},
		{name: "admin may not remove an owner", actor: adminActor, user: userB, current: domain.RoleOwner, wantKind: domain.KindPermissionDenied},
		{name: "malformed user id", actor: adminActor, user: "../etc", wantKind: domain.KindUserNotFound},
		{name: "no member", actor: adminActor, user: userB, current: domain.RoleViewer, getErr: domain.Errorf(domain.KindUserNotFound, "none"),
			wantKind: domain.KindUserNotFound},
		{name: "store failure", actor: adminActor, user: userB, current: domain.RoleViewer, removes: true, removeErr: errStore,
			wantKind: domain.KindInternal},
		{name: "audit failure", actor: adminActor, user: userB, current: domain.RoleViewer, removes: true, auditErr: errStore,
			wantKind: domain.KindInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			if tt.current != "" {
				h.expectTenantTx(tenantA)
				h.members.EXPECT().Get(gomock.Any(), tt.user).Return(membership(tt.current), tt.getErr)
			}
			if tt.locks {
				h.members.EXPECT().LockOwners(gomock.Any()).Return(tt.owners, nil)
			}
			if tt.removes {
				h.members.EXPECT().Remove(gomock.Any(), userB).Return(tt.removeErr)
				if tt.removeErr == nil {
					expectMemberChange(h)
				}
			}
			h.audit.failOn, h.audit.err = domain.ActionMemberRemoved, tt.auditErr
			if tt.auditErr == nil {
				h.audit.failOn = ""
			}
			err := h.svc.RemoveMember(context.Background(), tt.actor, tt.user)
			wantKind(t, err, tt.wantKind)
			if tt.wantKind == domain.KindUserNotFound {
				wantDetail(t, err, "user_id", string(tt.user))
			}
			if err != nil {
				if h.commits != 0 {
					t.Fatalf("commits = %d, want 0", h.commits)
				}
				wantAudit(t, h)
				return
			}
			wantAudit(t, h, auditRecord{actor: tt.actor, action: domain.ActionMemberRemoved, target: "user:" + string(userB),
				details: map[string]any{"user_id": string(userB), "role": string(tt.current)}})
		})
	}
}

// expectMemberChange expects the change that tells every process that
// userB's membership of tenantA changed.
func expectMemberChange(h *harness) {
	h.changes.EXPECT().Publish(gomock.Any(), domain.Change{Kind: domain.ChangeMember, TenantID: tenantA, UserID: userB}).Return(nil)
}

package identity

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/configmat/configmat/core/domain"
)

func TestMeRefusesNonUsersBeforeAnyStoreCall(t *testing.T) {
	tests := []struct {
		name  string
		actor domain.Actor
		want  domain.Kind
	}{
		{"API key", domain.Actor{TenantID: tenantA, APIKeyID: keyA}, domain.KindPermissionDenied},
		{"system", domain.SystemActor(tenantA), domain.KindUnauthenticated},
		{"nobody", domain.Actor{}, domain.KindUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newHarness(t).svc.Me(context.Background(), tt.actor)
			wantKind(t, err, tt.want)
		})
	}
}

func TestMe(t *testing.T) {
	ada := domain.User{ID: userA, Email: "ada@example.com", PasswordHash: "secret hash"}
	memberships := []domain.UserMembership{{Tenant: domain.TenantRef{ID: tenantA, Slug: "acme", Name: "Acme"}, Role: domain.RoleOwner}}
	storeDown := domain.Wrap(errors.New("timeout"), "store failed")
	tests := []struct {
		name        string
		actor       domain.Actor
		userErr     error
		memberships []domain.UserMembership
		membersErr  error
		want        Me
		wantKind    domain.Kind
	}{
		{name: "member", actor: domain.Actor{TenantID: tenantA, UserID: userA, Role: domain.RoleOwner}, memberships: memberships,
			want: Me{User: ada.Ref(), Memberships: memberships}},
		{name: "user without tenant", actor: domain.Actor{UserID: userA},
			want: Me{User: ada.Ref(), Memberships: []domain.UserMembership{}}},
		{name: "user lookup failure", actor: domain.Actor{UserID: userA}, userErr: storeDown, wantKind: domain.KindInternal},
		{name: "membership lookup failure", actor: domain.Actor{UserID: userA}, membersErr: storeDown, wantKind: domain.KindInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.expectGlobalTx()
			h.users.EXPECT().ByID(gomock.Any(), userA).Return(ada, tt.userErr)
			if tt.userErr == nil {
				h.dir.EXPECT().MembershipsOfUser(gomock.Any(), userA).Return(tt.memberships, tt.membersErr)
			}
			got, err := h.svc.Me(context.Background(), tt.actor)
			wantKind(t, err, tt.wantKind)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Me = %+v, want %+v", got, tt.want)
			}
		})
	}
}

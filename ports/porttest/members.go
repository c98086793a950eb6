package porttest

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

func testMembers(t *testing.T, open Opener) {
	tx := open(t)
	tenant := NewTenant(t, tx)
	owner, admin, viewer := NewUser(t, tx), NewUser(t, tx), NewUser(t, tx)
	// Added out of CreatedAt order: List must sort oldest first.
	added := []domain.Membership{
		{TenantID: tenant.ID, UserID: admin.ID, Role: domain.RoleAdmin, CreatedAt: at(61)},
		{TenantID: tenant.ID, UserID: owner.ID, Role: domain.RoleOwner, CreatedAt: at(60)},
		{TenantID: tenant.ID, UserID: viewer.ID, Role: domain.RoleViewer, CreatedAt: at(62)},
	}
	MustInTenant(t, tx, tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
		for _, m := range added {
			if err := s.Members().Add(ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
	in := func(t *testing.T, fn func(ctx context.Context, s ports.MemberStore) error) error {
		return tx.InTenant(t.Context(), tenant.ID, func(ctx context.Context, s ports.TenantTx) error { return fn(ctx, s.Members()) })
	}
	wantRoles := func(t *testing.T, want []domain.Member) {
		t.Helper()
		mustNot(t, in(t, func(ctx context.Context, s ports.MemberStore) error {
			got, err := s.List(ctx)
			mustNot(t, err)
			if len(got) != len(want) {
				t.Fatalf("List = %+v, want %+v", got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("List[%d] = %+v, want %+v", i, got[i], want[i])
				}
			}
			return nil
		}))
	}

	t.Run("GetRoundTrip", func(t *testing.T) {
		mustNot(t, in(t, func(ctx context.Context, s ports.MemberStore) error {
			got, err := s.Get(ctx, admin.ID)
			mustNot(t, err)
			if got.TenantID != tenant.ID || got.UserID != admin.ID || got.Role != domain.RoleAdmin {
				t.Errorf("Get = %+v, want %+v", got, added[0])
			}
			wantTime(t, "CreatedAt", got.CreatedAt, added[0].CreatedAt)
			return nil
		}))
	})

	t.Run("ListOldestFirstWithUsers", func(t *testing.T) {
		wantRoles(t, []domain.Member{
			{User: owner.Ref(), Role: domain.RoleOwner},
			{User: admin.Ref(), Role: domain.RoleAdmin},
			{User: viewer.Ref(), Role: domain.RoleViewer},
		})
	})

	t.Run("Duplicate", func(t *testing.T) {
		err := in(t, func(ctx context.Context, s ports.MemberStore) error {
			return s.Add(ctx, domain.Membership{TenantID: tenant.ID, UserID: viewer.ID, Role: domain.RoleEditor, CreatedAt: at(63)})
		})
		wantKind(t, err, domain.KindMemberExists)
	})

	t.Run("SetRoleAndLockOwners", func(t *testing.T) {
		owners := func(t *testing.T) int {
			var n int
			mustNot(t, in(t, func(ctx context.Context, s ports.MemberStore) error {
				var err error
				n, err = s.LockOwners(ctx)
				return err
			}))
			return n
		}
		if n := owners(t); n != 1 {
			t.Errorf("LockOwners = %d, want 1", n)
		}
		mustNot(t, in(t, func(ctx context.Context, s ports.MemberStore) error {
			return s.SetRole(ctx, admin.ID, domain.RoleOwner)
		}))
		if n := owners(t); n != 2 {
			t.Errorf("LockOwners after promotion = %d, want 2", n)
		}
		wantRoles(t, []domain.Member{
			{User: owner.Ref(), Role: domain.RoleOwner},
			{User: admin.Ref(), Role: domain.RoleOwner},
			{User: viewer.Ref(), Role: domain.RoleViewer},
		})
	})

	t.Run("Remove", func(t *testing.T) {
		mustNot(t, in(t, func(ctx context.Context, s ports.MemberStore) error { return s.Remove(ctx, viewer.ID) }))
		err := in(t, func(ctx context.Context, s ports.MemberStore) error {
			_, err := s.Get(ctx, viewer.ID)
			return err
		})
		wantKind(t, err, domain.KindUserNotFound)
	})

	t.Run("NotAMember", func(t *testing.T) {
		stranger := domain.UserID(uuid.NewString())
		cases := []struct {
			name string
			op   func(ctx context.Context, s ports.MemberStore) error
		}{
			{"Get", func(ctx context.Context, s ports.MemberStore) error { _, err := s.Get(ctx, stranger); return err }},
			{"SetRole", func(ctx context.Context, s ports.MemberStore) error {
				return s.SetRole(ctx, stranger, domain.RoleAdmin)
			}},
			{"Remove", func(ctx context.Context, s ports.MemberStore) error { return s.Remove(ctx, stranger) }},
			{"RemoveTwice", func(ctx context.Context, s ports.MemberStore) error { return s.Remove(ctx, viewer.ID) }},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) { wantKind(t, in(t, c.op), domain.KindUserNotFound) })
		}
	})
}

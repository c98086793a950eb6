package porttest

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

func testUsers(t *testing.T, open Opener) {
	tx := open(t)
	u := NewUser(t, tx)

	t.Run("ByIDAndByEmailRoundTrip", func(t *testing.T) {
		MustGlobal(t, tx, func(ctx context.Context, s ports.GlobalTx) error {
			byID, err := s.Users().ByID(ctx, u.ID)
			mustNot(t, err)
			byEmail, err := s.Users().ByEmail(ctx, u.Email)
			mustNot(t, err)
			for _, got := range []domain.User{byID, byEmail} {
				if got.ID != u.ID || got.Email != u.Email || got.PasswordHash != u.PasswordHash {
					t.Errorf("user = %+v, want %+v", got, u)
				}
				wantTime(t, "CreatedAt", got.CreatedAt, u.CreatedAt)
			}
			return nil
		})
	})

	t.Run("DuplicateEmail", func(t *testing.T) {
		dup := domain.User{ID: domain.UserID(uuid.NewString()), Email: u.Email, PasswordHash: "x", CreatedAt: at(5)}
		err := tx.Global(t.Context(), func(ctx context.Context, s ports.GlobalTx) error {
			return s.Users().Create(ctx, dup)
		})
		wantKind(t, err, domain.KindEmailRegistered)
	})

	t.Run("NotFound", func(t *testing.T) {
		cases := []struct {
			name string
			find func(ctx context.Context, s ports.UserStore) error
		}{
			{"ByID", func(ctx context.Context, s ports.UserStore) error {
				_, err := s.ByID(ctx, domain.UserID(uuid.NewString()))
				return err
			}},
			{"ByEmail", func(ctx context.Context, s ports.UserStore) error {
				_, err := s.ByEmail(ctx, "nobody@example.com")
				return err
			}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				err := tx.Global(t.Context(), func(ctx context.Context, s ports.GlobalTx) error {
					return c.find(ctx, s.Users())
				})
				wantKind(t, err, domain.KindUserNotFound)
			})
		}
	})

	t.Run("VisibleInTenantTransaction", func(t *testing.T) {
		tenant := NewTenant(t, tx)
		MustInTenant(t, tx, tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
			got, err := s.Users().ByEmail(ctx, u.Email)
			mustNot(t, err)
			if got.ID != u.ID {
				t.Errorf("ByEmail in tenant = %s, want %s", got.ID, u.ID)
			}
			return nil
		})
	})
}

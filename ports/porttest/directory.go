package porttest

import (
	"bytes"
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

func testDirectory(t *testing.T, open Opener) {
	tx := open(t)

	t.Run("AnyDataKeyEmptyStore", func(t *testing.T) {
		MustGlobal(t, tx, func(ctx context.Context, s ports.GlobalTx) error {
			_, _, ok, err := s.Directory().AnyDataKey(ctx)
			mustNot(t, err)
			if ok {
				t.Error("AnyDataKey on an empty store: ok = true")
			}
			return nil
		})
	})

	tenants := []domain.Tenant{NewTenant(t, tx), NewTenant(t, tx), NewTenant(t, tx)}

	t.Run("AnyDataKey", func(t *testing.T) {
		MustGlobal(t, tx, func(ctx context.Context, s ports.GlobalTx) error {
			id, key, ok, err := s.Directory().AnyDataKey(ctx)
			mustNot(t, err)
			if !ok {
				t.Fatal("AnyDataKey: ok = false with tenants present")
			}
			for _, tn := range tenants {
				if tn.ID == id {
					if key.KeyID != tn.DataKey.KeyID || !bytes.Equal(key.Ciphertext, tn.DataKey.Ciphertext) {
						t.Errorf("AnyDataKey = %+v, want tenant %s's %+v", key, id, tn.DataKey)
					}
					return nil
				}
			}
			t.Errorf("AnyDataKey returned unknown tenant %s", id)
			return nil
		})
	})

	t.Run("TenantBySlug", func(t *testing.T) {
		MustGlobal(t, tx, func(ctx context.Context, s ports.GlobalTx) error {
			for _, tn := range tenants {
				got, err := s.Directory().TenantBySlug(ctx, tn.Slug)
				mustNot(t, err)
				if got != tn.Ref() {
					t.Errorf("TenantBySlug(%s) = %+v, want %+v", tn.Slug, got, tn.Ref())
				}
			}
			return nil
		})
		err := tx.Global(t.Context(), func(ctx context.Context, s ports.GlobalTx) error {
			_, err := s.Directory().TenantBySlug(ctx, "no-such-tenant")
			return err
		})
		wantKind(t, err, domain.KindTenantNotFound)
	})

	t.Run("MembershipsOfUserOldestFirst", func(t *testing.T) {
		u := NewUser(t, tx)
		joined := []struct {
			tenant domain.Tenant
			role   domain.Role
			at     int
		}{{tenants[0], domain.RoleViewer, 300}, {tenants[1], domain.RoleOwner, 100}, {tenants[2], domain.RoleEditor, 200}}
		for _, j := range joined {
			m := domain.Membership{TenantID: j.tenant.ID, UserID: u.ID, Role: j.role, CreatedAt: at(j.at)}
			MustInTenant(t, tx, j.tenant.ID, func(ctx context.Context, s ports.TenantTx) error { return s.Members().Add(ctx, m) })
		}
		want := []domain.UserMembership{
			{Tenant: tenants[1].Ref(), Role: domain.RoleOwner},
			{Tenant: tenants[2].Ref(), Role: domain.RoleEditor},
			{Tenant: tenants[0].Ref(), Role: domain.RoleViewer},
		}
		MustGlobal(t, tx, func(ctx context.Context, s ports.GlobalTx) error {
			got, err := s.Directory().MembershipsOfUser(ctx, u.ID)
			mustNot(t, err)
			if len(got) != len(want) {
				t.Fatalf("MembershipsOfUser = %+v, want %+v", got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("MembershipsOfUser[%d] = %+v, want %+v", i, got[i], want[i])
				}
			}
			none, err := s.Directory().MembershipsOfUser(ctx, domain.UserID(uuid.NewString()))
			mustNot(t, err)
			if len(none) != 0 {
				t.Errorf("MembershipsOfUser(unknown) = %+v, want none", none)
			}
			return nil
		})
	})

	t.Run("APIKeyByDigest", func(t *testing.T) {
		expires := at(99999)
		key := domain.APIKey{
			ID: domain.APIKeyID(uuid.NewString()), TenantID: tenants[1].ID, Name: "ci", Prefix: "cmk_dirkey00",
			Digest: domain.CredentialDigest("cmk_dirkey"), Environment: "stage", ExpiresAt: &expires,
			CreatedAt: at(40), CreatedBy: "system",
		}
		MustInTenant(t, tx, key.TenantID, func(ctx context.Context, s ports.TenantTx) error { return s.APIKeys().Create(ctx, key) })
		lookup := func(t *testing.T, digest []byte) (domain.APIKeyCredential, error) {
			var got domain.APIKeyCredential
			err := tx.Global(t.Context(), func(ctx context.Context, s ports.GlobalTx) error {
				var err error
				got, err = s.Directory().APIKeyByDigest(ctx, digest)
				return err
			})
			return got, err
		}
		got, err := lookup(t, key.Digest)
		mustNot(t, err)
		if got.ID != key.ID || got.TenantID != key.TenantID || !bytes.Equal(got.Digest, key.Digest) ||
			got.Environment != key.Environment || !sameTime(got.ExpiresAt, key.ExpiresAt) || got.RevokedAt != nil {
			t.Errorf("APIKeyByDigest = %+v, want the credential of %+v", got, key)
		}

		revoked := at(41)
		MustInTenant(t, tx, key.TenantID, func(ctx context.Context, s ports.TenantTx) error {
			return s.APIKeys().Revoke(ctx, key.ID, revoked)
		})
		got, err = lookup(t, key.Digest)
		mustNot(t, err)
		if !sameTime(got.RevokedAt, &revoked) {
			t.Errorf("APIKeyByDigest after revoke: RevokedAt = %v, want %v", got.RevokedAt, revoked)
		}

		_, err = lookup(t, domain.CredentialDigest("cmk_unknown"))
		wantKind(t, err, domain.KindInvalidAPIKey)
	})
}

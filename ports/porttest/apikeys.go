package porttest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// newAPIKey returns a key of tenant created at at(n), limited to env when
// not empty.
func newAPIKey(tenant domain.TenantID, name, env string, n int, expires *time.Time) domain.APIKey {
	id := uuid.NewString()
	return domain.APIKey{
		ID: domain.APIKeyID(id), TenantID: tenant, Name: name, Prefix: "cmk_" + id[:8],
		Digest: domain.CredentialDigest("cmk_" + id), Environment: env, ExpiresAt: expires,
		CreatedAt: at(n), CreatedBy: "user:admin",
	}
}

// wantAPIKey fails t unless got has every field of want.
func wantAPIKey(t *testing.T, got, want domain.APIKey) {
	t.Helper()
	if got.ID != want.ID || got.TenantID != want.TenantID || got.Name != want.Name || got.Prefix != want.Prefix ||
		!bytes.Equal(got.Digest, want.Digest) || got.Environment != want.Environment || got.CreatedBy != want.CreatedBy ||
		!sameTime(got.ExpiresAt, want.ExpiresAt) || !sameTime(got.RevokedAt, want.RevokedAt) {
		t.Errorf("API key = %+v, want %+v", got, want)
	}
	wantTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
}

func testAPIKeys(t *testing.T, open Opener) {
	tx := open(t)
	tenant := NewTenant(t, tx)
	expires := at(1e6)
	keys := []domain.APIKey{
		newAPIKey(tenant.ID, "middle", "", 71, nil),
		newAPIKey(tenant.ID, "newest", "prod", 72, &expires),
		newAPIKey(tenant.ID, "oldest", "stage", 70, nil),
	}
	MustInTenant(t, tx, tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
		for _, k := range keys {
			if err := s.APIKeys().Create(ctx, k); err != nil {
				return err
			}
		}
		return nil
	})
	in := func(t *testing.T, fn func(ctx context.Context, s ports.APIKeyStore) error) error {
		return tx.InTenant(t.Context(), tenant.ID, func(ctx context.Context, s ports.TenantTx) error { return fn(ctx, s.APIKeys()) })
	}

	t.Run("GetRoundTrip", func(t *testing.T) {
		mustNot(t, in(t, func(ctx context.Context, s ports.APIKeyStore) error {
			for _, k := range keys {
				got, err := s.Get(ctx, k.ID)
				mustNot(t, err)
				wantAPIKey(t, got, k)
			}
			return nil
		}))
	})

	t.Run("ListNewestFirst", func(t *testing.T) {
		mustNot(t, in(t, func(ctx context.Context, s ports.APIKeyStore) error {
			got, err := s.List(ctx)
			mustNot(t, err)
			want := []domain.APIKey{keys[1], keys[0], keys[2]}
			if len(got) != len(want) {
				t.Fatalf("List returned %d keys, want %d", len(got), len(want))
			}
			for i := range want {
				wantAPIKey(t, got[i], want[i])
			}
			return nil
		}))
	})

	t.Run("RevokeOnce", func(t *testing.T) {
		revoked := at(80)
		mustNot(t, in(t, func(ctx context.Context, s ports.APIKeyStore) error { return s.Revoke(ctx, keys[0].ID, revoked) }))
		err := in(t, func(ctx context.Context, s ports.APIKeyStore) error { return s.Revoke(ctx, keys[0].ID, at(81)) })
		wantKind(t, err, domain.KindAPIKeyNotFound)
		mustNot(t, in(t, func(ctx context.Context, s ports.APIKeyStore) error {
			got, err := s.Get(ctx, keys[0].ID)
			mustNot(t, err)
			if !sameTime(got.RevokedAt, &revoked) {
				t.Errorf("RevokedAt = %v, want %v (the first revocation)", got.RevokedAt, revoked)
			}
			return nil
		}))
	})

	t.Run("Unknown", func(t *testing.T) {
		unknown := domain.APIKeyID(uuid.NewString())
		wantKind(t, in(t, func(ctx context.Context, s ports.APIKeyStore) error { _, err := s.Get(ctx, unknown); return err }), domain.KindAPIKeyNotFound)
		wantKind(t, in(t, func(ctx context.Context, s ports.APIKeyStore) error { return s.Revoke(ctx, unknown, at(82)) }), domain.KindAPIKeyNotFound)
	})
}

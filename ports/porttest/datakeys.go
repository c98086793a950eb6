package porttest

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

func testDataKeys(t *testing.T, open Opener) {
	tx := open(t)
	a, b := NewTenant(t, tx), NewTenant(t, tx)
	rotated := domain.WrappedKey{KeyID: "kek-" + uuid.NewString()[:8], Ciphertext: []byte("rewrapped\x00" + string(a.ID))}
	uses := func(t *testing.T) map[string]domain.DataKeyUse {
		t.Helper()
		out := map[string]domain.DataKeyUse{}
		mustNot(t, tx.Global(t.Context(), func(ctx context.Context, s ports.GlobalTx) error {
			list, err := s.Directory().DataKeyUses(ctx)
			for _, u := range list {
				out[u.KeyID] = u
			}
			return err
		}))
		return out
	}
	notOn := func(t *testing.T, keyID string) []domain.TenantID {
		t.Helper()
		var ids []domain.TenantID
		mustNot(t, tx.Global(t.Context(), func(ctx context.Context, s ports.GlobalTx) error {
			var err error
			ids, err = s.Directory().TenantsNotOnKey(ctx, keyID, 1000000)
			return err
		}))
		return ids
	}
	rewrap := func(t *testing.T, id domain.TenantID, from, to domain.WrappedKey) error {
		return tx.InTenant(t.Context(), id, func(ctx context.Context, s ports.TenantTx) error {
			return s.Tenants().RewrapDataKey(ctx, from, to)
		})
	}

	t.Run("counted by key", func(t *testing.T) {
		u := uses(t)
		if got := u[a.DataKey.KeyID]; got.Tenants != 1 || got.SampleTenant != a.ID || !bytes.Equal(got.Sample.Ciphertext, a.DataKey.Ciphertext) {
			t.Fatalf("use of %s = %+v", a.DataKey.KeyID, got)
		}
	})
	t.Run("rewrapped only from the key read", func(t *testing.T) {
		wantKind(t, rewrap(t, a.ID, domain.WrappedKey{KeyID: a.DataKey.KeyID, Ciphertext: []byte("stale")}, rotated), domain.KindConflict)
		mustNot(t, rewrap(t, a.ID, a.DataKey, rotated))
		wantKind(t, rewrap(t, a.ID, a.DataKey, rotated), domain.KindConflict)
		// The same swap bound to another tenant finds nothing to swap.
		wantKind(t, rewrap(t, b.ID, a.DataKey, rotated), domain.KindConflict)
		var got domain.Tenant
		mustNot(t, tx.InTenant(t.Context(), a.ID, func(ctx context.Context, s ports.TenantTx) error {
			var err error
			got, err = s.Tenants().Get(ctx)
			return err
		}))
		if got.DataKey.KeyID != rotated.KeyID || !bytes.Equal(got.DataKey.Ciphertext, rotated.Ciphertext) {
			t.Fatalf("data key after rewrapping = %+v", got.DataKey)
		}
		u := uses(t)
		if u[rotated.KeyID].Tenants != 1 || u[a.DataKey.KeyID].Tenants != 0 {
			t.Fatalf("uses after rewrapping: %+v", u)
		}
	})
	t.Run("tenants not on a key", func(t *testing.T) {
		ids := notOn(t, rotated.KeyID)
		if slices.Contains(ids, a.ID) || !slices.Contains(ids, b.ID) {
			t.Fatalf("TenantsNotOnKey(%s) = %v, want %s and not %s", rotated.KeyID, ids, b.ID, a.ID)
		}
		mustNot(t, tx.Global(t.Context(), func(ctx context.Context, s ports.GlobalTx) error {
			ids, err := s.Directory().TenantsNotOnKey(ctx, rotated.KeyID, 1)
			if err == nil && len(ids) != 1 {
				t.Errorf("TenantsNotOnKey with limit 1 = %v", ids)
			}
			return err
		}))
	})
}

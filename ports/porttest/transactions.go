package porttest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// writeEverything creates a user, a tenant with an environment, an asset, a
// version and an audit entry in one transaction bound to tenant.ID, and then
// calls end, whose result fn returns.
func writeEverything(tx ports.Transactor, ctx context.Context, user domain.User, tenant domain.Tenant, asset domain.Asset, end func() error) error {
	return tx.InTenant(ctx, tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
		steps := []func() error{
			func() error { return s.Users().Create(ctx, user) },
			func() error { return s.Tenants().Create(ctx, tenant) },
			func() error {
				return s.Environments().Create(ctx, domain.Environment{Name: "prod", Position: 1, CreatedAt: at(1)})
			},
			func() error { return s.Assets().Create(ctx, asset) },
			func() error {
				if _, err := s.Versions().LockHead(ctx, asset.ID, "prod"); err != nil {
					return err
				}
				snap := domain.Snapshot{"app": {"k": {Value: json.RawMessage(`"v"`)}}}
				return s.Versions().Create(ctx, newVersion(tenant.ID, asset.ID, "prod", 1, snap))
			},
			func() error {
				if _, _, err := s.Audit().LockHead(ctx); err != nil {
					return err
				}
				return s.Audit().Append(ctx, newEntry(tenant.ID, 1, `{"k":"v"}`))
			},
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return err
			}
		}
		return end()
	})
}

// wantNothingOf fails t unless no trace of what writeEverything wrote exists.
func wantNothingOf(t *testing.T, tx ports.Transactor, user domain.User, tenant domain.Tenant, asset domain.Asset) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	err := tx.Global(ctx, func(ctx context.Context, s ports.GlobalTx) error {
		_, err := s.Users().ByID(ctx, user.ID)
		wantKind(t, err, domain.KindUserNotFound)
		_, err = s.Directory().TenantBySlug(ctx, tenant.Slug)
		wantKind(t, err, domain.KindTenantNotFound)
		return nil
	})
	mustNot(t, err)
	err = tx.InTenant(ctx, tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
		_, err := s.Tenants().Get(ctx)
		wantKind(t, err, domain.KindTenantNotFound)
		_, err = s.Environments().Get(ctx, "prod")
		wantKind(t, err, domain.KindEnvironmentNotFound)
		_, err = s.Assets().BySlug(ctx, asset.Slug)
		wantKind(t, err, domain.KindAssetNotFound)
		_, err = s.Versions().Get(ctx, asset.ID, "prod", 1)
		wantKind(t, err, domain.KindVersionNotFound)
		seq, hash, err := s.Audit().LockHead(ctx)
		mustNot(t, err)
		entries, err := s.Audit().List(ctx, 0, 10)
		mustNot(t, err)
		if seq != 0 || hash != domain.GenesisHash || len(entries) != 0 {
			t.Errorf("audit after rollback: head (%d, %s), %d entries; want genesis, none", seq, hash, len(entries))
		}
		return nil
	})
	mustNot(t, err)
}

func testTransactions(t *testing.T, open Opener) {
	tx := open(t)
	fresh := func() (domain.User, domain.Tenant, domain.Asset) {
		id := uuid.NewString()
		return domain.User{ID: domain.UserID(id), Email: "rb-" + id[:8] + "@example.com", PasswordHash: "h", CreatedAt: at(1)},
			domain.Tenant{ID: domain.TenantID(uuid.NewString()), Slug: "rb-" + id[:8], Name: "RB", DataKey: domain.WrappedKey{KeyID: "k", Ciphertext: []byte{1}}, CreatedAt: at(1)},
			domain.Asset{ID: domain.AssetID(uuid.NewString()), Slug: "rb-asset", Name: "RB", CreatedAt: at(1), UpdatedAt: at(1)}
	}

	t.Run("ErrorRollsBackEverything", func(t *testing.T) {
		user, tenant, asset := fresh()
		sentinel := errors.New("porttest: fn failed")
		err := writeEverything(tx, t.Context(), user, tenant, asset, func() error { return sentinel })
		if !errors.Is(err, sentinel) {
			t.Fatalf("InTenant = %v, want fn's error", err)
		}
		wantNothingOf(t, tx, user, tenant, asset)
	})

	t.Run("PanicRollsBackAndRepanics", func(t *testing.T) {
		user, tenant, asset := fresh()
		type boom struct{ why string }
		recovered := func() (r any) {
			defer func() { r = recover() }()
			_ = writeEverything(tx, t.Context(), user, tenant, asset, func() error { panic(boom{"porttest"}) })
			return nil
		}()
		if recovered != (boom{"porttest"}) {
			t.Fatalf("recovered %v, want the original panic value", recovered)
		}
		wantNothingOf(t, tx, user, tenant, asset)
	})

	t.Run("CommitKeepsEverything", func(t *testing.T) {
		user, tenant, asset := fresh()
		mustNot(t, writeEverything(tx, t.Context(), user, tenant, asset, func() error { return nil }))
		MustInTenant(t, tx, tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
			_, err := s.Users().ByID(ctx, user.ID)
			mustNot(t, err)
			_, err = s.Versions().Get(ctx, asset.ID, "prod", 1)
			mustNot(t, err)
			seq, _, err := s.Audit().LockHead(ctx)
			if seq != 1 {
				t.Errorf("audit head after commit = %d, want 1", seq)
			}
			return err
		})
	})

	t.Run("InvalidTenantID", func(t *testing.T) {
		survivor := NewUser(t, tx)
		for _, id := range []domain.TenantID{"'; DROP TABLE users; --", "", "not-a-uuid", "1234", "6ba7b810-9dad-11d1-80b4-00c04fd430c8' OR '1'='1"} {
			t.Run(string(id), func(t *testing.T) {
				called := false
				err := tx.InTenant(t.Context(), id, func(ctx context.Context, s ports.TenantTx) error {
					called = true
					return nil
				})
				wantKind(t, err, domain.KindInvalid)
				if called {
					t.Error("fn ran for an invalid tenant ID")
				}
			})
		}
		MustGlobal(t, tx, func(ctx context.Context, s ports.GlobalTx) error {
			_, err := s.Users().ByID(ctx, survivor.ID)
			return err
		})
	})
}

package porttest

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// tenantData is what seedTenantData writes into one tenant.
type tenantData struct {
	tenant domain.Tenant
	member domain.User
	asset  domain.Asset
	key    domain.APIKey
}

// seedTenantData gives tenant an environment "only-<slug>", an asset with one
// version in prod, a member, an API key and an audit entry.
func seedTenantData(t *testing.T, tx ports.Transactor, assetSlug string) tenantData {
	d := tenantData{tenant: NewTenant(t, tx), member: NewUser(t, tx)}
	d.asset = NewAsset(t, tx, d.tenant.ID, assetSlug)
	d.key = newAPIKey(d.tenant.ID, "key", "", 90, nil)
	MustInTenant(t, tx, d.tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
		snap := domain.Snapshot{"app": {"owner": {Value: json.RawMessage(`"` + string(d.tenant.ID) + `"`)}}}
		steps := []func() error{
			func() error {
				return s.Environments().Create(ctx, domain.Environment{Name: "only-" + d.tenant.Slug, Position: 9, CreatedAt: at(9)})
			},
			func() error {
				return s.Members().Add(ctx, domain.Membership{TenantID: d.tenant.ID, UserID: d.member.ID, Role: domain.RoleOwner, CreatedAt: at(9)})
			},
			func() error { return s.APIKeys().Create(ctx, d.key) },
			func() error {
				if _, err := s.Versions().LockHead(ctx, d.asset.ID, "prod"); err != nil {
					return err
				}
				return s.Versions().Create(ctx, newVersion(d.tenant.ID, d.asset.ID, "prod", 1, snap))
			},
			func() error {
				if _, _, err := s.Audit().LockHead(ctx); err != nil {
					return err
				}
				return s.Audit().Append(ctx, newEntry(d.tenant.ID, 1, `{"tenant":"`+string(d.tenant.ID)+`"}`))
			},
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	})
	return d
}

func testIsolation(t *testing.T, open Opener) {
	tx := open(t)
	a := seedTenantData(t, tx, "shared-slug")
	b := seedTenantData(t, tx, "b-only")
	inA := func(t *testing.T, fn func(ctx context.Context, s ports.TenantTx) error) error {
		return tx.InTenant(t.Context(), a.tenant.ID, fn)
	}

	t.Run("ListsShowOnlyOwnRows", func(t *testing.T) { testOwnLists(t, tx, a, b) })

	t.Run("OtherTenantsRowsAreNotFound", func(t *testing.T) {
		cases := []struct {
			name string
			kind domain.Kind
			op   func(ctx context.Context, s ports.TenantTx) error
		}{
			{"AssetBySlug", domain.KindAssetNotFound, func(ctx context.Context, s ports.TenantTx) error {
				_, err := s.Assets().BySlug(ctx, b.asset.Slug)
				return err
			}},
			{"AssetUpdate", domain.KindAssetNotFound, func(ctx context.Context, s ports.TenantTx) error {
				changed := b.asset
				changed.Name = "hijacked"
				return s.Assets().Update(ctx, changed)
			}},
			{"AssetDelete", domain.KindAssetNotFound, func(ctx context.Context, s ports.TenantTx) error { return s.Assets().Delete(ctx, b.asset.ID) }},
			{"VersionGet", domain.KindVersionNotFound, func(ctx context.Context, s ports.TenantTx) error {
				_, err := s.Versions().Get(ctx, b.asset.ID, "prod", 1)
				return err
			}},
			{"EnvironmentGet", domain.KindEnvironmentNotFound, func(ctx context.Context, s ports.TenantTx) error {
				_, err := s.Environments().Get(ctx, "only-"+b.tenant.Slug)
				return err
			}},
			{"MemberGet", domain.KindUserNotFound, func(ctx context.Context, s ports.TenantTx) error {
				_, err := s.Members().Get(ctx, b.member.ID)
				return err
			}},
			{"MemberSetRole", domain.KindUserNotFound, func(ctx context.Context, s ports.TenantTx) error {
				return s.Members().SetRole(ctx, b.member.ID, domain.RoleViewer)
			}},
			{"MemberRemove", domain.KindUserNotFound, func(ctx context.Context, s ports.TenantTx) error { return s.Members().Remove(ctx, b.member.ID) }},
			{"APIKeyGet", domain.KindAPIKeyNotFound, func(ctx context.Context, s ports.TenantTx) error {
				_, err := s.APIKeys().Get(ctx, b.key.ID)
				return err
			}},
			{"APIKeyRevoke", domain.KindAPIKeyNotFound, func(ctx context.Context, s ports.TenantTx) error {
				return s.APIKeys().Revoke(ctx, b.key.ID, at(91))
			}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) { wantKind(t, inA(t, c.op), c.kind) })
		}
		testUntouched(t, tx, b)
	})

	t.Run("WritesForOtherTenantAreRefused", func(t *testing.T) {
		// Each write would be valid in tenant A but for the tenant it names.
		outsider := NewUser(t, tx)
		cases := []struct {
			name string
			op   func(ctx context.Context, s ports.TenantTx) error
		}{
			{"Membership", func(ctx context.Context, s ports.TenantTx) error {
				return s.Members().Add(ctx, domain.Membership{TenantID: b.tenant.ID, UserID: outsider.ID, Role: domain.RoleOwner, CreatedAt: at(92)})
			}},
			{"APIKey", func(ctx context.Context, s ports.TenantTx) error {
				return s.APIKeys().Create(ctx, newAPIKey(b.tenant.ID, "planted", "", 93, nil))
			}},
			{"Version", func(ctx context.Context, s ports.TenantTx) error {
				if _, err := s.Versions().LockHead(ctx, a.asset.ID, "prod"); err != nil {
					return err
				}
				return s.Versions().Create(ctx, newVersion(b.tenant.ID, a.asset.ID, "prod", 2, domain.Snapshot{}))
			}},
			{"AuditEntry", func(ctx context.Context, s ports.TenantTx) error {
				if _, _, err := s.Audit().LockHead(ctx); err != nil {
					return err
				}
				return s.Audit().Append(ctx, newEntry(b.tenant.ID, 2, `{}`))
			}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if err := inA(t, c.op); err == nil {
					t.Fatal("a write naming another tenant succeeded")
				}
			})
		}
		testUntouched(t, tx, a)
		testUntouched(t, tx, b)
	})

	t.Run("ReferencesToOtherTenantsRowsAreRefused", func(t *testing.T) { testForeignReferences(t, tx, a, b) })

	t.Run("SameSlugInTwoTenants", func(t *testing.T) {
		c := seedTenantData(t, tx, a.asset.Slug)
		for _, d := range []tenantData{a, c} {
			MustInTenant(t, tx, d.tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
				asset, err := s.Assets().BySlug(ctx, d.asset.Slug)
				if err == nil && asset.ID != d.asset.ID {
					t.Errorf("BySlug(%s) in tenant %s = asset %s, want %s", d.asset.Slug, d.tenant.Slug, asset.ID, d.asset.ID)
				}
				return err
			})
			testUntouched(t, tx, d)
		}
	})
}

// testForeignReferences checks that tenant A's transactions cannot write rows
// of their own that point at tenant B's asset or environment, nor create B's
// tenant row: each write names only the bound tenant but another tenant's key.
func testForeignReferences(t *testing.T, tx ports.Transactor, a, b tenantData) {
	otherEnv := "only-" + b.tenant.Slug
	cases := []struct {
		name string
		op   func(ctx context.Context, s ports.TenantTx) error
	}{
		{"LockHeadOfOtherAsset", func(ctx context.Context, s ports.TenantTx) error {
			_, err := s.Versions().LockHead(ctx, b.asset.ID, "prod")
			return err
		}},
		{"LockHeadInOtherEnvironment", func(ctx context.Context, s ports.TenantTx) error {
			_, err := s.Versions().LockHead(ctx, a.asset.ID, otherEnv)
			return err
		}},
		{"VersionOfOtherAsset", func(ctx context.Context, s ports.TenantTx) error {
			return s.Versions().Create(ctx, newVersion(a.tenant.ID, b.asset.ID, "prod", 1, domain.Snapshot{}))
		}},
		{"APIKeyForOtherEnvironment", func(ctx context.Context, s ports.TenantTx) error {
			return s.APIKeys().Create(ctx, newAPIKey(a.tenant.ID, "planted", otherEnv, 94, nil))
		}},
		{"OtherTenantRow", func(ctx context.Context, s ports.TenantTx) error {
			return s.Tenants().Create(ctx, b.tenant)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := tx.InTenant(t.Context(), a.tenant.ID, c.op); err == nil {
				t.Fatal("a write referencing another tenant's row succeeded")
			}
		})
	}
	testUntouched(t, tx, a)
	testUntouched(t, tx, b)
}

// testOwnLists checks that every listing in a's transactions shows a's rows only.
func testOwnLists(t *testing.T, tx ports.Transactor, a, b tenantData) {
	MustInTenant(t, tx, a.tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
		assets, _, err := s.Assets().List(ctx, domain.Page{Limit: 50})
		mustNot(t, err)
		if len(assets) != 1 || assets[0].ID != a.asset.ID {
			t.Errorf("assets = %+v, want only %s", assets, a.asset.ID)
		}
		envs, err := s.Environments().List(ctx)
		mustNot(t, err)
		for _, e := range envs {
			if e.Name == "only-"+b.tenant.Slug {
				t.Errorf("tenant A lists tenant B's environment %s", e.Name)
			}
		}
		if len(envs) != 4 {
			t.Errorf("tenant A lists %d environments, want 4", len(envs))
		}
		members, err := s.Members().List(ctx)
		mustNot(t, err)
		if len(members) != 1 || members[0].User.ID != a.member.ID {
			t.Errorf("members = %+v, want only %s", members, a.member.ID)
		}
		keys, err := s.APIKeys().List(ctx)
		mustNot(t, err)
		if len(keys) != 1 || keys[0].ID != a.key.ID {
			t.Errorf("API keys = %+v, want only %s", keys, a.key.ID)
		}
		entries, err := s.Audit().List(ctx, 0, 100)
		mustNot(t, err)
		if len(entries) != 1 || entries[0].TenantID != a.tenant.ID || !sameJSON(t, entries[0].Details, json.RawMessage(`{"tenant":"`+string(a.tenant.ID)+`"}`)) {
			t.Errorf("audit entries = %+v, want only tenant A's", entries)
		}
		versions, _, err := s.Versions().List(ctx, b.asset.ID, "prod", domain.Page{Limit: 50})
		mustNot(t, err)
		heads, err := s.Versions().Heads(ctx, b.asset.ID)
		mustNot(t, err)
		current, err := s.Versions().Current(ctx, b.asset.ID, "prod")
		mustNot(t, err)
		if len(versions) != 0 || len(heads) != 0 || current.Number != 0 || len(current.Snapshot) != 0 {
			t.Errorf("tenant A sees tenant B's versions: %d listed, heads %v, current %d", len(versions), heads, current.Number)
		}
		tenant, err := s.Tenants().Get(ctx)
		mustNot(t, err)
		if tenant.ID != a.tenant.ID {
			t.Errorf("Tenants().Get = %s, want %s", tenant.ID, a.tenant.ID)
		}
		return nil
	})
}

// testUntouched checks that d's data is as seedTenantData left it.
func testUntouched(t *testing.T, tx ports.Transactor, d tenantData) {
	t.Helper()
	MustInTenant(t, tx, d.tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
		asset, err := s.Assets().BySlug(ctx, d.asset.Slug)
		mustNot(t, err)
		if asset.Name != d.asset.Name {
			t.Errorf("the tenant's asset name = %q, want %q", asset.Name, d.asset.Name)
		}
		members, err := s.Members().List(ctx)
		mustNot(t, err)
		if len(members) != 1 || members[0].Role != domain.RoleOwner {
			t.Errorf("the tenant's members = %+v, want its one owner", members)
		}
		keys, err := s.APIKeys().List(ctx)
		mustNot(t, err)
		if len(keys) != 1 || keys[0].RevokedAt != nil {
			t.Errorf("the tenant's API keys = %+v, want its one active key", keys)
		}
		heads, err := s.Versions().Heads(ctx, d.asset.ID)
		mustNot(t, err)
		if len(heads) != 1 || heads["prod"] != 1 {
			t.Errorf("the tenant's heads = %v, want map[prod:1]", heads)
		}
		seq, _, err := s.Audit().LockHead(ctx)
		if seq != 1 {
			t.Errorf("the tenant's audit head = %d, want 1", seq)
		}
		return err
	})
}

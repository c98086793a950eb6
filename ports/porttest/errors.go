package porttest

import (
	"context"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// testErrors covers the errors of the cases the ports leave to a store: every
// store answers each with the same kind, message and details.
func testErrors(t *testing.T, open Opener) {
	s := open(t)
	tenant := NewTenant(t, s)
	asset := NewAsset(t, s, tenant.ID, "kinds")
	user := NewUser(t, s)
	other := domain.TenantID(uuid.NewString())
	unknown := domain.AssetID(uuid.NewString())
	cases := []struct {
		name string
		op   func(ctx context.Context, st ports.TenantTx) error
		want domain.Kind
		// details are the error's details; every other error of the suite has
		// the store error of its kind (domain.StoreError), checked by wantKind.
		details map[string]any
	}{
		{"EmailIgnoresCase", func(ctx context.Context, st ports.TenantTx) error {
			return st.Users().Create(ctx, domain.User{ID: domain.UserID(uuid.NewString()), Email: "USER-" + user.Email[5:]})
		}, domain.KindEmailRegistered, nil},
		{"UserIDTaken", func(ctx context.Context, st ports.TenantTx) error {
			return st.Users().Create(ctx, domain.User{ID: user.ID, Email: "new@example.com"})
		}, domain.KindConflict, nil},
		{"TokenOfUnknownUser", func(ctx context.Context, st ports.TenantTx) error {
			return st.Tokens().Create(ctx, domain.UserToken{ID: "t", UserID: domain.UserID(uuid.NewString()), Digest: []byte{1}})
		}, domain.KindUserNotFound, nil},
		{"TenantOtherThanBound", func(ctx context.Context, st ports.TenantTx) error {
			return st.Tenants().Create(ctx, domain.Tenant{ID: other, Slug: "other"})
		}, domain.KindInvalid, map[string]any{"tenant_id": "must be the bound tenant"}},
		{"EnvironmentPositionTaken", func(ctx context.Context, st ports.TenantTx) error {
			return st.Environments().Create(ctx, domain.Environment{Name: "qa", Position: 1})
		}, domain.KindConflict, nil},
		{"AssetIDTaken", func(ctx context.Context, st ports.TenantTx) error {
			return st.Assets().Create(ctx, domain.Asset{ID: asset.ID, Slug: "fresh"})
		}, domain.KindConflict, nil},
		{"LockHeadUnknownAsset", func(ctx context.Context, st ports.TenantTx) error {
			_, err := st.Versions().LockHead(ctx, unknown, "prod")
			return err
		}, domain.KindAssetNotFound, nil},
		{"LockHeadUnknownEnvironment", func(ctx context.Context, st ports.TenantTx) error {
			_, err := st.Versions().LockHead(ctx, asset.ID, "nowhere")
			return err
		}, domain.KindEnvironmentNotFound, nil},
		{"LockCurrentUnknownAsset", func(ctx context.Context, st ports.TenantTx) error {
			_, err := st.Versions().LockCurrent(ctx, "ghost", "prod")
			return err
		}, domain.KindAssetNotFound, nil},
		{"LockCurrentUnknownEnvironment", func(ctx context.Context, st ports.TenantTx) error {
			_, err := st.Versions().LockCurrent(ctx, asset.Slug, "nowhere")
			return err
		}, domain.KindEnvironmentNotFound, nil},
		{"VersionSkipsNumber", func(ctx context.Context, st ports.TenantTx) error {
			if _, err := st.Versions().LockHead(ctx, asset.ID, "prod"); err != nil {
				return err
			}
			return st.Versions().Create(ctx, domain.Version{AssetID: asset.ID, Environment: "prod", Number: 2, Source: domain.SourceEdit})
		}, domain.KindVersionConflict, nil},
		{"VersionOfUnknownEnvironment", func(ctx context.Context, st ports.TenantTx) error {
			return st.Versions().Create(ctx, domain.Version{AssetID: asset.ID, Environment: "nowhere", Number: 1, Source: domain.SourceEdit})
		}, domain.KindEnvironmentNotFound, nil},
		{"VersionCursorNotANumber", func(ctx context.Context, st ports.TenantTx) error {
			_, _, err := st.Versions().List(ctx, asset.ID, "prod", domain.Page{Cursor: "x"})
			return err
		}, domain.KindInvalid, map[string]any{"cursor": "is invalid"}},
		{"MemberOfUnknownUser", func(ctx context.Context, st ports.TenantTx) error {
			return st.Members().Add(ctx, domain.Membership{UserID: domain.UserID(uuid.NewString()), Role: domain.RoleViewer})
		}, domain.KindUserNotFound, nil},
		{"APIKeyOfUnknownEnvironment", func(ctx context.Context, st ports.TenantTx) error {
			return st.APIKeys().Create(ctx, domain.APIKey{ID: domain.APIKeyID(uuid.NewString()), Digest: []byte{2}, Environment: "nowhere"})
		}, domain.KindEnvironmentNotFound, nil},
		{"AuditEntryNotExtendingHead", func(ctx context.Context, st ports.TenantTx) error {
			if _, _, err := st.Audit().LockHead(ctx); err != nil {
				return err
			}
			return st.Audit().Append(ctx, domain.AuditEntry{Seq: 2, PreviousHash: domain.GenesisHash, Details: []byte("{}")})
		}, domain.KindConflict, nil},
		{"AuditEntryWithWrongPreviousHash", func(ctx context.Context, st ports.TenantTx) error {
			if _, _, err := st.Audit().LockHead(ctx); err != nil {
				return err
			}
			return st.Audit().Append(ctx, domain.AuditEntry{Seq: 1, PreviousHash: "f00", Details: []byte("{}")})
		}, domain.KindConflict, nil},
		{"ChangeOfOtherTenant", func(ctx context.Context, st ports.TenantTx) error {
			return st.Changes().Publish(ctx, domain.Change{Kind: domain.ChangeAPIKey, TenantID: other})
		}, domain.KindInvalid, map[string]any{"tenant_id": "must be the bound tenant"}},
		{"AssetIDNotAUUID", func(ctx context.Context, st ports.TenantTx) error {
			return st.Assets().Create(ctx, domain.Asset{ID: "not-a-uuid", Slug: "odd"})
		}, domain.KindInvalid, map[string]any{"asset_id": "must be a UUID"}},
		{"DuplicateSlug", func(ctx context.Context, st ports.TenantTx) error {
			return st.Assets().Create(ctx, domain.Asset{ID: domain.AssetID(uuid.NewString()), Slug: asset.Slug})
		}, domain.KindAssetExists, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := s.InTenant(t.Context(), tenant.ID, c.op)
			wantKind(t, err, c.want)
			if got := detailsOf(err); !reflect.DeepEqual(got, c.details) {
				t.Errorf("details = %v, want %v", got, c.details)
			}
		})
	}
}

// testEmptyValues covers values the suite writes nowhere else: a nil
// snapshot and nil audit details are stored as empty objects.
func testEmptyValues(t *testing.T, open Opener) {
	s := open(t)
	tenant := NewTenant(t, s)
	asset := NewAsset(t, s, tenant.ID, "empty")
	MustInTenant(t, s, tenant.ID, func(ctx context.Context, st ports.TenantTx) error {
		if _, err := st.Versions().LockHead(ctx, asset.ID, "local"); err != nil {
			return err
		}
		if err := st.Versions().Create(ctx, domain.Version{AssetID: asset.ID, Environment: "local", Number: 1, Source: domain.SourceEdit}); err != nil {
			return err
		}
		if _, _, err := st.Audit().LockHead(ctx); err != nil {
			return err
		}
		return st.Audit().Append(ctx, domain.AuditEntry{Seq: 1, PreviousHash: domain.GenesisHash})
	})
	MustInTenant(t, s, tenant.ID, func(ctx context.Context, st ports.TenantTx) error {
		v, err := st.Versions().Get(ctx, asset.ID, "local", 1)
		if err != nil {
			return err
		}
		entries, err := st.Audit().List(ctx, 0, 0)
		if err != nil {
			return err
		}
		if v.Snapshot == nil || len(v.Snapshot) != 0 || len(entries) != 1 || string(entries[0].Details) != "{}" {
			t.Errorf("snapshot %v, entries %+v; want an empty snapshot and details {}", v.Snapshot, entries)
		}
		return nil
	})
}

package sqlite

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
	"github.com/configmat/configmat/ports/porttest"
)

// TestErrorKinds covers the kinds this adapter gives where the ports leave
// the choice to it.
func TestErrorKinds(t *testing.T) {
	s := openTest(t)
	tenant := porttest.NewTenant(t, s)
	asset := porttest.NewAsset(t, s, tenant.ID, "kinds")
	user := porttest.NewUser(t, s)
	other := domain.TenantID(uuid.NewString())
	unknown := domain.AssetID(uuid.NewString())
	cases := []struct {
		name string
		op   func(ctx context.Context, st ports.TenantTx) error
		want domain.Kind
	}{
		{"EmailIgnoresCase", func(ctx context.Context, st ports.TenantTx) error {
			return st.Users().Create(ctx, domain.User{ID: domain.UserID(uuid.NewString()), Email: "USER-" + user.Email[5:]})
		}, domain.KindEmailRegistered},
		{"UserIDTaken", func(ctx context.Context, st ports.TenantTx) error {
			return st.Users().Create(ctx, domain.User{ID: user.ID, Email: "new@example.com"})
		}, domain.KindConflict},
		{"TokenOfUnknownUser", func(ctx context.Context, st ports.TenantTx) error {
			return st.Tokens().Create(ctx, domain.UserToken{ID: "t", UserID: domain.UserID(uuid.NewString()), Digest: []byte{1}})
		}, domain.KindUserNotFound},
		{"TenantOtherThanBound", func(ctx context.Context, st ports.TenantTx) error {
			return st.Tenants().Create(ctx, domain.Tenant{ID: other, Slug: "other"})
		}, domain.KindInvalid},
		{"EnvironmentPositionTaken", func(ctx context.Context, st ports.TenantTx) error {
			return st.Environments().Create(ctx, domain.Environment{Name: "qa", Position: 1})
		}, domain.KindConflict},
		{"AssetIDTaken", func(ctx context.Context, st ports.TenantTx) error {
			return st.Assets().Create(ctx, domain.Asset{ID: asset.ID, Slug: "fresh"})
		}, domain.KindConflict},
		{"LockHeadUnknownAsset", func(ctx context.Context, st ports.TenantTx) error {
			_, err := st.Versions().LockHead(ctx, unknown, "prod")
			return err
		}, domain.KindAssetNotFound},
		{"LockHeadUnknownEnvironment", func(ctx context.Context, st ports.TenantTx) error {
			_, err := st.Versions().LockHead(ctx, asset.ID, "nowhere")
			return err
		}, domain.KindEnvironmentNotFound},
		{"VersionSkipsNumber", func(ctx context.Context, st ports.TenantTx) error {
			return st.Versions().Create(ctx, domain.Version{AssetID: asset.ID, Environment: "prod", Number: 2, Source: domain.SourceEdit})
		}, domain.KindVersionConflict},
		{"VersionOfUnknownEnvironment", func(ctx context.Context, st ports.TenantTx) error {
			return st.Versions().Create(ctx, domain.Version{AssetID: asset.ID, Environment: "nowhere", Number: 1, Source: domain.SourceEdit})
		}, domain.KindEnvironmentNotFound},
		{"VersionCursorNotANumber", func(ctx context.Context, st ports.TenantTx) error {
			_, _, err := st.Versions().List(ctx, asset.ID, "prod", domain.Page{Cursor: "x"})
			return err
		}, domain.KindInvalid},
		{"MemberOfUnknownUser", func(ctx context.Context, st ports.TenantTx) error {
			return st.Members().Add(ctx, domain.Membership{UserID: domain.UserID(uuid.NewString()), Role: domain.RoleViewer})
		}, domain.KindUserNotFound},
		{"APIKeyOfUnknownEnvironment", func(ctx context.Context, st ports.TenantTx) error {
			return st.APIKeys().Create(ctx, domain.APIKey{ID: domain.APIKeyID(uuid.NewString()), Digest: []byte{2}, Environment: "nowhere"})
		}, domain.KindEnvironmentNotFound},
		{"AuditEntryNotExtendingHead", func(ctx context.Context, st ports.TenantTx) error {
			return st.Audit().Append(ctx, domain.AuditEntry{Seq: 2, PreviousHash: domain.GenesisHash, Details: []byte("{}")})
		}, domain.KindConflict},
		{"AuditEntryWithWrongPreviousHash", func(ctx context.Context, st ports.TenantTx) error {
			return st.Audit().Append(ctx, domain.AuditEntry{Seq: 1, PreviousHash: "f00", Details: []byte("{}")})
		}, domain.KindConflict},
		{"ChangeOfOtherTenant", func(ctx context.Context, st ports.TenantTx) error {
			return st.Changes().Publish(ctx, domain.Change{Kind: domain.ChangeAPIKey, TenantID: other})
		}, domain.KindInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := s.InTenant(t.Context(), tenant.ID, c.op)
			if got := domain.KindOf(err); got != c.want {
				t.Errorf("kind = %q (%v), want %q", got, err, c.want)
			}
		})
	}
}

// TestEmptyValues covers values the suite never writes: a nil snapshot and
// nil audit details are stored as empty objects.
func TestEmptyValues(t *testing.T) {
	s := openTest(t)
	tenant := porttest.NewTenant(t, s)
	asset := porttest.NewAsset(t, s, tenant.ID, "empty")
	porttest.MustInTenant(t, s, tenant.ID, func(ctx context.Context, st ports.TenantTx) error {
		if err := st.Versions().Create(ctx, domain.Version{AssetID: asset.ID, Environment: "local", Number: 1, Source: domain.SourceEdit}); err != nil {
			return err
		}
		return st.Audit().Append(ctx, domain.AuditEntry{Seq: 1, PreviousHash: domain.GenesisHash})
	})
	porttest.MustInTenant(t, s, tenant.ID, func(ctx context.Context, st ports.TenantTx) error {
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

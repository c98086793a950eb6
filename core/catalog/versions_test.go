package catalog

import (
	"encoding/json"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/configmat/configmat/core/domain"
)

func TestListVersions(t *testing.T) {
	stored := []domain.Version{
		{Number: 2, CreatedAt: fixedNow, CreatedBy: "user:u-editor", Message: "promoted from stage", Source: domain.SourcePromote},
		{Number: 1, CreatedAt: fixedNow, CreatedBy: "system", Source: domain.SourceEdit},
	}
	tests := []struct {
		name     string
		page     domain.Page
		wantPage domain.Page
		stored   []domain.Version
		next     string
		want     []VersionInfo
	}{
		{"none", domain.Page{}, domain.Page{Limit: 50}, nil, "", []VersionInfo{}},
		{"newest first", domain.Page{Limit: 2, Cursor: "c"}, domain.Page{Limit: 2, Cursor: "c"}, stored, "n", []VersionInfo{
			{Version: 2, CreatedAt: fixedNow, CreatedBy: "user:u-editor", Message: "promoted from stage", Source: domain.SourcePromote},
			{Version: 1, CreatedAt: fixedNow, CreatedBy: "system", Source: domain.SourceEdit},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.expectTarget("prod")
			w.versions.EXPECT().List(gomock.Any(), assetID, "prod", tt.wantPage).Return(tt.stored, tt.next, nil)
			got, next, err := w.svc.ListVersions(w.ctx, viewer, assetSlug, "prod", tt.page)
			if err != nil {
				t.Fatalf("ListVersions: %v", err)
			}
			assertJSON(t, got, tt.want)
			if next != tt.next {
				t.Fatalf("next = %q, want %q", next, tt.next)
			}
		})
	}
}

func TestListVersionsFailures(t *testing.T) {
	tests := []struct {
		name  string
		setup func(w *world)
		kind  domain.Kind
	}{
		{"unknown asset", func(w *world) {
			w.assets.EXPECT().BySlug(gomock.Any(), assetSlug).Return(domain.Asset{}, domain.Errorf(domain.KindAssetNotFound, "none"))
		}, domain.KindAssetNotFound},
		{"unknown environment", func(w *world) {
			w.assets.EXPECT().BySlug(gomock.Any(), assetSlug).Return(testAsset, nil)
			w.envs.EXPECT().Get(gomock.Any(), "prod").Return(domain.Environment{}, domain.Errorf(domain.KindEnvironmentNotFound, "none"))
		}, domain.KindEnvironmentNotFound},
		{"listing", func(w *world) {
			w.expectTarget("prod")
			w.versions.EXPECT().List(gomock.Any(), assetID, "prod", gomock.Any()).Return(nil, "", domain.Wrap(errTest("down"), "failed"))
		}, domain.KindInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			tt.setup(w)
			_, _, err := w.svc.ListVersions(w.ctx, viewer, assetSlug, "prod", domain.Page{})
			assertKind(t, err, tt.kind)
		})
	}
}

func TestGetVersion(t *testing.T) {
	w := newWorld(t)
	w.expectTarget("prod")
	w.versions.EXPECT().Get(gomock.Any(), assetID, "prod", 2).Return(version("prod", 2, domain.Snapshot{
		"db": {"pw": w.sealed("prod", "db", "pw", `"x"`), "port": plain(`5432`)},
	}), nil)
	got, err := w.svc.GetVersion(w.ctx, viewer, assetSlug, "prod", 2)
	if err != nil {
		t.Fatalf("GetVersion: %v", err)
	}
	assertJSON(t, got, EnvironmentValues{Asset: "billing", Environment: "prod", Version: 2, Values: map[string]map[string]ValueView{
		"db": {"pw": {Secret: true}, "port": {Value: json.RawMessage(`5432`)}},
	}})
}

func TestReadFailures(t *testing.T) {
	down := domain.Wrap(errTest("down"), "store failed")
	missingEnv := domain.Errorf(domain.KindEnvironmentNotFound, "none")
	tests := []struct {
		name  string
		setup func(w *world)
		call  func(w *world) error
		kind  domain.Kind
	}{
		{"values of an unknown environment", func(w *world) {
			w.assets.EXPECT().BySlug(gomock.Any(), assetSlug).Return(testAsset, nil)
			w.envs.EXPECT().Get(gomock.Any(), "prod").Return(domain.Environment{}, missingEnv)
		}, func(w *world) error {
			_, err := w.svc.GetValues(w.ctx, viewer, assetSlug, "prod")
			return err
		}, domain.KindEnvironmentNotFound},
		{"values when the store fails", func(w *world) {
			w.expectTarget("prod")
			w.versions.EXPECT().Current(gomock.Any(), assetID, "prod").Return(domain.Version{}, down)
		}, func(w *world) error {
			_, err := w.svc.GetValues(w.ctx, viewer, assetSlug, "prod")
			return err
		}, domain.KindInternal},
		{"version of an unknown asset", func(w *world) {
			w.assets.EXPECT().BySlug(gomock.Any(), assetSlug).Return(domain.Asset{}, domain.Errorf(domain.KindAssetNotFound, "none"))
		}, func(w *world) error {
			_, err := w.svc.GetVersion(w.ctx, viewer, assetSlug, "prod", 1)
			return err
		}, domain.KindAssetNotFound},
		{"version of an unknown environment", func(w *world) {
			w.assets.EXPECT().BySlug(gomock.Any(), assetSlug).Return(testAsset, nil)
			w.envs.EXPECT().Get(gomock.Any(), "prod").Return(domain.Environment{}, missingEnv)
		}, func(w *world) error {
			_, err := w.svc.GetVersion(w.ctx, viewer, assetSlug, "prod", 1)
			return err
		}, domain.KindEnvironmentNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			tt.setup(w)
			assertKind(t, tt.call(w), tt.kind)
			w.assertCommitted(false)
		})
	}
}

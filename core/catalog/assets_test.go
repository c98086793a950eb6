package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/configmat/configmat/core/domain"
)

func TestListAssetsPages(t *testing.T) {
	tests := []struct {
		name      string
		page      domain.Page
		wantPage  domain.Page
		stored    []domain.Asset
		next      string
		wantSlugs int
	}{
		{"default limit", domain.Page{}, domain.Page{Limit: domain.DefaultPageSize}, nil, "", 0},
		{"largest page after a cursor", domain.Page{Limit: 200, Cursor: "b"}, domain.Page{Limit: 200, Cursor: "b"}, []domain.Asset{testAsset}, "billing", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.assets.EXPECT().List(gomock.Any(), tt.wantPage).Return(tt.stored, tt.next, nil)
			got, next, err := w.svc.ListAssets(w.ctx, viewer, tt.page)
			if err != nil {
				t.Fatalf("ListAssets: %v", err)
			}
			if got == nil || len(got) != tt.wantSlugs || next != tt.next {
				t.Fatalf("got %v, next %q", got, next)
			}
		})
	}
}

func TestListAssetsStoreFailure(t *testing.T) {
	w := newWorld(t)
	w.assets.EXPECT().List(gomock.Any(), gomock.Any()).Return(nil, "", domain.Errorf(domain.KindInvalid, "bad cursor"))
	_, _, err := w.svc.ListAssets(w.ctx, viewer, domain.Page{Cursor: "zzz"})
	assertKind(t, err, domain.KindInvalid)
}

func TestCreateAsset(t *testing.T) {
	w := newWorld(t)
	w.svc.deps.Random = bytes.NewReader(bytes.Repeat([]byte{0xab}, 16))
	var stored domain.Asset
	w.assets.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, a domain.Asset) error {
		stored = a
		return nil
	})
	entry := w.expectAudit()
	got, err := w.svc.CreateAsset(w.ctx, editor, AssetInput{Slug: "web-api", Name: "Web API", Description: "The API."})
	if err != nil {
		t.Fatalf("CreateAsset: %v", err)
	}
	want := domain.Asset{ID: "abababab-abab-4bab-abab-abababababab", Slug: "web-api", Name: "Web API", Description: "The API.", CreatedAt: fixedNow, UpdatedAt: fixedNow}
	if got != want || stored != want {
		t.Fatalf("returned %+v, stored %+v, want %+v", got, stored, want)
	}
	if entry.Action != domain.ActionAssetCreated || entry.Target != "asset:web-api" {
		t.Fatalf("audit entry = %+v", entry)
	}
	assertJSON(t, json.RawMessage(entry.Details), map[string]any{"id": want.ID, "slug": "web-api", "name": "Web API"})
	w.assertCommitted(true)
}

func TestCreateAssetRefuses(t *testing.T) {
	taken := domain.Errorf(domain.KindAssetExists, "duplicate key")
	t.Run("taken slug", func(t *testing.T) {
		w := newWorld(t)
		w.assets.EXPECT().Create(gomock.Any(), gomock.Any()).Return(taken)
		_, err := w.svc.CreateAsset(w.ctx, editor, AssetInput{Slug: assetSlug, Name: "Billing"})
		de := assertKind(t, err, domain.KindAssetExists)
		assertJSON(t, de.Details, map[string]any{"asset_slug": assetSlug})
		if !errors.Is(err, taken) {
			t.Fatalf("error %v lost its cause", err)
		}
		w.assertCommitted(false)
	})
	t.Run("no randomness", func(t *testing.T) {
		w := newWorld(t)
		w.svc.deps.Random = bytes.NewReader(nil)
		_, err := w.svc.CreateAsset(w.ctx, editor, AssetInput{Slug: assetSlug, Name: "Billing"})
		assertKind(t, err, domain.KindInternal)
		if w.tx.calls != 0 {
			t.Fatal("a transaction was opened without an identifier")
		}
	})
}

func TestGetAssetShowsEveryEnvironment(t *testing.T) {
	w := newWorld(t)
	w.assets.EXPECT().BySlug(gomock.Any(), assetSlug).Return(testAsset, nil)
	w.envs.EXPECT().List(gomock.Any()).Return([]domain.Environment{{Name: "local"}, {Name: "stage"}, {Name: "prod"}}, nil)
	w.versions.EXPECT().Heads(gomock.Any(), assetID).Return(map[string]int{"stage": 2, "prod": 1}, nil)
	got, err := w.svc.GetAsset(w.ctx, viewer, assetSlug)
	if err != nil {
		t.Fatalf("GetAsset: %v", err)
	}
	assertJSON(t, got, AssetDetail{Asset: testAsset, Versions: map[string]int{"local": 0, "stage": 2, "prod": 1}})
}

func TestGetAssetFailures(t *testing.T) {
	down := domain.Wrap(errTest("down"), "store failed")
	tests := []struct {
		name  string
		setup func(w *world)
		kind  domain.Kind
	}{
		{"unknown asset", func(w *world) {
			w.assets.EXPECT().BySlug(gomock.Any(), assetSlug).Return(domain.Asset{}, domain.Errorf(domain.KindAssetNotFound, "none"))
		}, domain.KindAssetNotFound},
		{"environments", func(w *world) {
			w.assets.EXPECT().BySlug(gomock.Any(), assetSlug).Return(testAsset, nil)
			w.envs.EXPECT().List(gomock.Any()).Return(nil, down)
		}, domain.KindInternal},
		{"heads", func(w *world) {
			w.assets.EXPECT().BySlug(gomock.Any(), assetSlug).Return(testAsset, nil)
			w.envs.EXPECT().List(gomock.Any()).Return(nil, nil)
			w.versions.EXPECT().Heads(gomock.Any(), assetID).Return(nil, down)
		}, domain.KindInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			tt.setup(w)
			_, err := w.svc.GetAsset(w.ctx, viewer, assetSlug)
			assertKind(t, err, tt.kind)
		})
	}
}

func TestUpdateAsset(t *testing.T) {
	name, description := "Billing 2", ""
	tests := []struct {
		name    string
		patch   AssetPatch
		want    domain.Asset
		changed []string
	}{
		{"name", AssetPatch{Name: &name}, domain.Asset{Name: name, Description: "Old."}, []string{"name"}},
		{"description", AssetPatch{Description: &description}, domain.Asset{Name: "Billing", Description: ""}, []string{"description"}},
		{"both", AssetPatch{Name: &name, Description: &description}, domain.Asset{Name: name, Description: ""}, []string{"description", "name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			before := testAsset
			before.Description = "Old."
			w.assets.EXPECT().BySlug(gomock.Any(), assetSlug).Return(before, nil)
			want := before
			want.Name, want.Description, want.UpdatedAt = tt.want.Name, tt.want.Description, fixedNow
			w.assets.EXPECT().Update(gomock.Any(), want).Return(nil)
			entry := w.expectAudit()
			got, err := w.svc.UpdateAsset(w.ctx, editor, assetSlug, tt.patch)
			if err != nil {
				t.Fatalf("UpdateAsset: %v", err)
			}
			if got != want {
				t.Fatalf("returned %+v, want %+v", got, want)
			}
			if entry.Action != domain.ActionAssetUpdated || entry.Target != "asset:billing" {
				t.Fatalf("audit entry = %+v", entry)
			}
			assertJSON(t, json.RawMessage(entry.Details), map[string]any{"slug": assetSlug, "changed": tt.changed})
			w.assertCommitted(true)
		})
	}
}

func TestUpdateAssetWithoutChange(t *testing.T) {
	w := newWorld(t)
	before := testAsset
	before.Description = "Old."
	same, description := before.Name, before.Description
	w.assets.EXPECT().BySlug(gomock.Any(), assetSlug).Return(before, nil)
	// No Update and no audit entry are expected: the mocks fail on either.
	got, err := w.svc.UpdateAsset(w.ctx, editor, assetSlug, AssetPatch{Name: &same, Description: &description})
	if err != nil || got != before {
		t.Fatalf("UpdateAsset = %+v, %v; want the asset unchanged", got, err)
	}
}

func TestDeleteAsset(t *testing.T) {
	w := newWorld(t)
	w.assets.EXPECT().BySlug(gomock.Any(), assetSlug).Return(testAsset, nil)
	w.assets.EXPECT().LockForDelete(gomock.Any(), assetID).Return(nil)
	w.assets.EXPECT().Delete(gomock.Any(), assetID).Return(nil)
	entry := w.expectAudit()
	published := w.expectPublish()
	if err := w.svc.DeleteAsset(w.ctx, owner, assetSlug); err != nil {
		t.Fatalf("DeleteAsset: %v", err)
	}
	if entry.Action != domain.ActionAssetDeleted || entry.Target != "asset:billing" || entry.Actor != "user:u-owner" {
		t.Fatalf("audit entry = %+v", entry)
	}
	assertJSON(t, json.RawMessage(entry.Details), map[string]any{"id": assetID, "slug": assetSlug})
	if *published != (domain.Change{Kind: domain.ChangeValues, TenantID: tenantID, AssetID: assetID}) {
		t.Fatalf("published %+v, want a change of every environment", published)
	}
	w.assertCommitted(true)
}

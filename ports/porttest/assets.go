package porttest

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

func testAssets(t *testing.T, open Opener) {
	tx := open(t)
	tenant := NewTenant(t, tx)
	asset := NewAsset(t, tx, tenant.ID, "billing")

	bySlug := func(t *testing.T, slug string) (domain.Asset, error) {
		var got domain.Asset
		err := tx.InTenant(t.Context(), tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
			var err error
			got, err = s.Assets().BySlug(ctx, slug)
			return err
		})
		return got, err
	}
	wantAsset := func(t *testing.T, got, want domain.Asset) {
		t.Helper()
		if got.ID != want.ID || got.Slug != want.Slug || got.Name != want.Name || got.Description != want.Description {
			t.Errorf("asset = %+v, want %+v", got, want)
		}
		wantTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
		wantTime(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	}

	t.Run("BySlugRoundTrip", func(t *testing.T) {
		got, err := bySlug(t, asset.Slug)
		mustNot(t, err)
		wantAsset(t, got, asset)
	})

	t.Run("BySlugUnknown", func(t *testing.T) {
		_, err := bySlug(t, "nonexistent")
		wantKind(t, err, domain.KindAssetNotFound)
	})

	t.Run("Duplicate", func(t *testing.T) {
		err := tx.InTenant(t.Context(), tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
			return s.Assets().Create(ctx, domain.Asset{ID: domain.AssetID(uuid.NewString()), Slug: asset.Slug, Name: "Again", CreatedAt: at(11), UpdatedAt: at(11)})
		})
		wantKind(t, err, domain.KindAssetExists)
	})

	t.Run("Update", func(t *testing.T) {
		changed := asset
		changed.Name, changed.Description, changed.UpdatedAt = "Billing v2", "", at(12)
		MustInTenant(t, tx, tenant.ID, func(ctx context.Context, s ports.TenantTx) error { return s.Assets().Update(ctx, changed) })
		got, err := bySlug(t, asset.Slug)
		mustNot(t, err)
		wantAsset(t, got, changed)
	})

	t.Run("MissingUpdateAndDelete", func(t *testing.T) {
		missing := domain.Asset{ID: domain.AssetID(uuid.NewString()), Slug: "ghost", Name: "Ghost", UpdatedAt: at(13)}
		cases := []struct {
			name string
			op   func(ctx context.Context, s ports.AssetStore) error
		}{
			{"Update", func(ctx context.Context, s ports.AssetStore) error { return s.Update(ctx, missing) }},
			{"Delete", func(ctx context.Context, s ports.AssetStore) error { return s.Delete(ctx, missing.ID) }},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				err := tx.InTenant(t.Context(), tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
					return c.op(ctx, s.Assets())
				})
				wantKind(t, err, domain.KindAssetNotFound)
			})
		}
	})

	t.Run("Delete", func(t *testing.T) {
		doomed := NewAsset(t, tx, tenant.ID, "doomed")
		MustInTenant(t, tx, tenant.ID, func(ctx context.Context, s ports.TenantTx) error { return s.Assets().Delete(ctx, doomed.ID) })
		_, err := bySlug(t, doomed.Slug)
		wantKind(t, err, domain.KindAssetNotFound)
	})

	t.Run("ListPages", func(t *testing.T) { testAssetPages(t, open) })
}

// testAssetPages lists 120 assets, created out of order, in pages of 50.
func testAssetPages(t *testing.T, open Opener) {
	tx := open(t)
	tenant := NewTenant(t, tx)
	const total, pageSize = 120, 50
	MustInTenant(t, tx, tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
		for i := range total {
			n := i * 37 % total // a permutation of 0..119
			a := domain.Asset{ID: domain.AssetID(uuid.NewString()), Slug: fmt.Sprintf("svc-%03d", n), Name: "Service", CreatedAt: at(n), UpdatedAt: at(n)}
			if err := s.Assets().Create(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})

	var slugs []string
	cursor, pages := "", 0
	for {
		var page []domain.Asset
		var next string
		MustInTenant(t, tx, tenant.ID, func(ctx context.Context, s ports.TenantTx) error {
			var err error
			page, next, err = s.Assets().List(ctx, domain.Page{Limit: pageSize, Cursor: cursor})
			return err
		})
		pages++
		if wantLen := min(pageSize, total-len(slugs)); len(page) != wantLen {
			t.Fatalf("page %d has %d assets, want %d", pages, len(page), wantLen)
		}
		for _, a := range page {
			slugs = append(slugs, a.Slug)
		}
		if next == "" {
			break
		}
		if pages > total/pageSize+1 {
			t.Fatalf("List keeps returning a next cursor after %d pages", pages)
		}
		cursor = next
	}
	if pages != 3 || len(slugs) != total {
		t.Fatalf("listed %d assets in %d pages, want %d in 3", len(slugs), pages, total)
	}
	for i, slug := range slugs {
		if want := fmt.Sprintf("svc-%03d", i); slug != want {
			t.Fatalf("asset %d = %s, want %s (ordered by slug, no repeats)", i, slug, want)
		}
	}
}

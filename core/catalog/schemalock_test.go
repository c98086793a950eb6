package catalog

import (
	"encoding/json"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/configmat/configmat/core/domain"
)

// TestPutSchemaKeepsTheAssetsWritesOut checks that a schema's PUT takes the
// asset's exclusive lock (LockBySlugExclusive) before anything else of the
// asset, so that no write of it, an environment's first one included, runs
// between the put's check of the current versions and its commit. The
// mocks refuse any other lookup of the asset.
func TestPutSchemaKeepsTheAssetsWritesOut(t *testing.T) {
	w := newWorld(t)
	w.assets.EXPECT().LockBySlugExclusive(gomock.Any(), assetSlug).Return(domain.Asset{}, domain.StoreError(domain.KindAssetNotFound))
	_, err := w.svc.PutSchema(w.ctx, admin, assetSlug, json.RawMessage(`{"type":"object"}`))
	if !domain.IsKind(err, domain.KindAssetNotFound) {
		t.Fatalf("PutSchema = %v, want ASSET_NOT_FOUND from the exclusive lock", err)
	}
	w.assertCommitted(false)
}

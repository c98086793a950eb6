package httpapi

import (
	"net/http"

	"github.com/configmat/configmat/core/catalog"
	"github.com/configmat/configmat/core/domain"
)

// listAssets pages through the tenant's assets.
func (s *server) listAssets(w http.ResponseWriter, r *http.Request) error {
	limit, err := limitQuery(r)
	if err != nil {
		return err
	}
	cursor, err := cursorQuery(r)
	if err != nil {
		return err
	}
	page := domain.Page{Limit: limit, Cursor: cursor}
	assets, next, err := s.catalog.ListAssets(r.Context(), actorFrom(r.Context()), page)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, viewAssets(assets, pageCursor(next)))
}

// createAsset creates an asset.
func (s *server) createAsset(w http.ResponseWriter, r *http.Request) error {
	var req assetCreate
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	asset, err := s.catalog.CreateAsset(r.Context(), actorFrom(r.Context()), catalog.AssetInput(req))
	if err != nil {
		return err
	}
	return respond(w, http.StatusCreated, viewAsset(asset))
}

// getAsset returns an asset with its current version per environment.
func (s *server) getAsset(w http.ResponseWriter, r *http.Request) error {
	detail, err := s.catalog.GetAsset(r.Context(), actorFrom(r.Context()), pathVar(r, "slug"))
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, viewAssetDetail(detail))
}

// updateAsset changes an asset's name or description.
func (s *server) updateAsset(w http.ResponseWriter, r *http.Request) error {
	var req assetUpdate
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	asset, err := s.catalog.UpdateAsset(r.Context(), actorFrom(r.Context()), pathVar(r, "slug"), catalog.AssetPatch(req))
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, viewAsset(asset))
}

// deleteAsset deletes an asset with all its versions.
func (s *server) deleteAsset(w http.ResponseWriter, r *http.Request) error {
	if err := s.catalog.DeleteAsset(r.Context(), actorFrom(r.Context()), pathVar(r, "slug")); err != nil {
		return err
	}
	return noContent(w)
}

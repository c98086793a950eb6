package sqlite

import (
	"context"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

var _ ports.AssetStore = assetStore{}

// assetStore holds the bound tenant's assets.
type assetStore struct{ scope }

// assetRow is a row of assets.
type assetRow struct {
	ID          string    `db:"id"`
	Slug        string    `db:"slug"`
	Name        string    `db:"name"`
	Description string    `db:"description"`
	CreatedAt   timestamp `db:"created_at"`
	UpdatedAt   timestamp `db:"updated_at"`
}

func (r assetRow) asset() domain.Asset {
	return domain.Asset{
		ID: domain.AssetID(r.ID), Slug: r.Slug, Name: r.Name, Description: r.Description,
		CreatedAt: r.CreatedAt.Time, UpdatedAt: r.UpdatedAt.Time,
	}
}

const selectAsset = `SELECT id, slug, name, description, created_at, updated_at FROM assets `

// Create inserts an asset; KindAssetExists when the slug is taken.
func (s assetStore) Create(ctx context.Context, a domain.Asset) error {
	_, err := s.tx.ExecContext(ctx,
		`INSERT INTO assets (tenant_id, id, slug, name, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		string(s.tenant), string(a.ID), a.Slug, a.Name, a.Description, stamp(a.CreatedAt), stamp(a.UpdatedAt))
	switch {
	case isUnique(err):
		return domain.Errorf(domain.KindAssetExists, "An asset with this slug already exists.").WithDetail("asset_slug", a.Slug)
	case isPrimaryKey(err):
		return domain.Errorf(domain.KindConflict, "An asset with this ID already exists.")
	case isForeignKey(err):
		return domain.Errorf(domain.KindTenantNotFound, "The tenant does not exist.")
	}
	return domain.Wrap(err, "could not create an asset")
}

// BySlug finds an asset; KindAssetNotFound.
func (s assetStore) BySlug(ctx context.Context, slug string) (domain.Asset, error) {
	var r assetRow
	err := s.tx.GetContext(ctx, &r, selectAsset+`WHERE tenant_id = ? AND slug = ?`, string(s.tenant), slug)
	switch {
	case isNoRows(err):
		return domain.Asset{}, errAssetNotFound().WithDetail("asset_slug", slug)
	case err != nil:
		return domain.Asset{}, domain.Wrap(err, "could not read an asset")
	}
	return r.asset(), nil
}

// List returns up to p.Limit assets ordered by slug after the cursor (the
// last slug of the previous page), and the next page's cursor.
func (s assetStore) List(ctx context.Context, p domain.Page) ([]domain.Asset, string, error) {
	limit := pageLimit(p.Limit)
	var rows []assetRow
	err := s.tx.SelectContext(ctx, &rows, selectAsset+`WHERE tenant_id = ? AND slug > ? ORDER BY slug LIMIT ?`,
		string(s.tenant), p.Cursor, limit+1)
	if err != nil {
		return nil, "", domain.Wrap(err, "could not list assets")
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		next = rows[limit-1].Slug
	}
	out := make([]domain.Asset, len(rows))
	for i, r := range rows {
		out[i] = r.asset()
	}
	return out, next, nil
}

// Update stores a's name, description and UpdatedAt; KindAssetNotFound.
func (s assetStore) Update(ctx context.Context, a domain.Asset) error {
	return execOne(ctx, s.tx, errAssetNotFound(), "could not update an asset",
		`UPDATE assets SET name = ?, description = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
		a.Name, a.Description, stamp(a.UpdatedAt), string(s.tenant), string(a.ID))
}

// Delete removes an asset with its versions and heads; KindAssetNotFound.
func (s assetStore) Delete(ctx context.Context, id domain.AssetID) error {
	return execOne(ctx, s.tx, errAssetNotFound(), "could not delete an asset",
		`DELETE FROM assets WHERE tenant_id = ? AND id = ?`, string(s.tenant), string(id))
}

// errAssetNotFound is the error of a missing asset.
func errAssetNotFound() *domain.Error {
	return domain.Errorf(domain.KindAssetNotFound, "The requested asset does not exist.")
}

// pageLimit bounds a requested page size to 1..domain.MaxPageSize, with
// domain.DefaultPageSize for none.
func pageLimit(limit int) int {
	switch {
	case limit <= 0:
		return domain.DefaultPageSize
	case limit > domain.MaxPageSize:
		return domain.MaxPageSize
	}
	return limit
}

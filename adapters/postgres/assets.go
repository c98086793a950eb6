package postgres

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
	"github.com/jmoiron/sqlx"
)

// assetStore holds the bound tenant's assets.
type assetStore struct {
	tx     *sqlx.Tx
	tenant domain.TenantID
}

var _ ports.AssetStore = (*assetStore)(nil)

// assetRow is a row of assets.
type assetRow struct {
	ID          string    `db:"id"`
	Slug        string    `db:"slug"`
	Name        string    `db:"name"`
	Description string    `db:"description"`
	CreatedAt   time.Time `db:"created_at"`
	UpdatedAt   time.Time `db:"updated_at"`
}

func (r assetRow) asset() domain.Asset {
	return domain.Asset{
		ID:          domain.AssetID(r.ID),
		Slug:        r.Slug,
		Name:        r.Name,
		Description: r.Description,
		CreatedAt:   r.CreatedAt.UTC(),
		UpdatedAt:   r.UpdatedAt.UTC(),
	}
}

const assetColumns = `id, slug, name, description, created_at, updated_at`

// Create inserts an asset; ASSET_ALREADY_EXISTS when the slug is taken.
func (s assetStore) Create(ctx context.Context, a domain.Asset) error {
	id, err := requireUUID("asset_id", string(a.ID))
	if err != nil {
		return err
	}
	_, err = s.tx.ExecContext(ctx,
		`INSERT INTO assets (id, tenant_id, slug, name, description, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		id, s.tenant, a.Slug, a.Name, a.Description, a.CreatedAt, a.UpdatedAt)
	return translate(err, "could not create the asset")
}

// BySlug finds an asset; ASSET_NOT_FOUND.
func (s assetStore) BySlug(ctx context.Context, slug string) (domain.Asset, error) {
	var r assetRow
	err := s.tx.GetContext(ctx, &r,
		`SELECT `+assetColumns+` FROM assets WHERE tenant_id = $1 AND slug = $2`, s.tenant, slug)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Asset{}, assetNotFound()
	}
	if err != nil {
		return domain.Asset{}, translate(err, "could not read the asset")
	}
	return r.asset(), nil
}

// List returns up to p.Limit assets ordered by slug after the cursor (the
// last slug of the previous page) in one query, and the next cursor.
func (s assetStore) List(ctx context.Context, p domain.Page) ([]domain.Asset, string, error) {
	limit := pageLimit(p.Limit)
	var rows []assetRow
	if err := s.tx.SelectContext(ctx, &rows,
		`SELECT `+assetColumns+` FROM assets WHERE tenant_id = $1 AND slug > $2 ORDER BY slug LIMIT $3`,
		s.tenant, p.Cursor, limit+1); err != nil {
		return nil, "", translate(err, "could not list the assets")
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		next = rows[limit-1].Slug
	}
	out := make([]domain.Asset, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.asset())
	}
	return out, next, nil
}

// Update stores a's name, description and UpdatedAt; ASSET_NOT_FOUND.
func (s assetStore) Update(ctx context.Context, a domain.Asset) error {
	id, ok := canonicalUUID(string(a.ID))
	if !ok {
		return assetNotFound()
	}
	return execOne(ctx, s.tx, domain.KindAssetNotFound, "The asset does not exist.", "could not update the asset",
		`UPDATE assets SET name = $3, description = $4, updated_at = $5 WHERE tenant_id = $1 AND id = $2`,
		s.tenant, id, a.Name, a.Description, a.UpdatedAt)
}

// Delete removes an asset; its versions and heads go with it (ON DELETE
// CASCADE); ASSET_NOT_FOUND.
func (s assetStore) Delete(ctx context.Context, id domain.AssetID) error {
	canonical, ok := canonicalUUID(string(id))
	if !ok {
		return assetNotFound()
	}
	return execOne(ctx, s.tx, domain.KindAssetNotFound, "The asset does not exist.", "could not delete the asset",
		`DELETE FROM assets WHERE tenant_id = $1 AND id = $2`, s.tenant, canonical)
}

func assetNotFound() error { return notFound(domain.KindAssetNotFound, "The asset does not exist.") }

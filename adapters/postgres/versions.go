package postgres

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
	"github.com/jmoiron/sqlx"
)

// versionStore holds the bound tenant's versions and their heads.
type versionStore struct {
	tx     *sqlx.Tx
	tenant domain.TenantID
}

var _ ports.VersionStore = (*versionStore)(nil)

// versionRow is a row of versions; Snapshot is empty in listings.
type versionRow struct {
	Number    int       `db:"number"`
	CreatedAt time.Time `db:"created_at"`
	CreatedBy string    `db:"created_by"`
	Message   string    `db:"message"`
	Source    string    `db:"source"`
	Snapshot  []byte    `db:"snapshot"`
}

func (s versionStore) version(asset, env string, r versionRow) (domain.Version, error) {
	v := domain.Version{
		TenantID:    s.tenant,
		AssetID:     domain.AssetID(asset),
		Environment: env,
		Number:      r.Number,
		CreatedAt:   r.CreatedAt.UTC(),
		CreatedBy:   r.CreatedBy,
		Message:     r.Message,
		Source:      r.Source,
	}
	if r.Snapshot != nil {
		snapshot, err := decodeSnapshot(r.Snapshot)
		if err != nil {
			return domain.Version{}, err
		}
		v.Snapshot = snapshot
	}
	return v, nil
}

// LockHead creates the head of (asset, env) when missing, locks it until the
// transaction ends and returns its version number; ASSET_NOT_FOUND or
// ENVIRONMENT_NOT_FOUND when either does not exist.
func (s versionStore) LockHead(ctx context.Context, asset domain.AssetID, env string) (int, error) {
	id, ok := canonicalUUID(string(asset))
	if !ok {
		return 0, assetNotFound()
	}
	if _, err := s.tx.ExecContext(ctx,
		`INSERT INTO version_heads (tenant_id, asset_id, environment, current_version)
		 VALUES ($1, $2, $3, 0) ON CONFLICT DO NOTHING`, s.tenant, id, env); err != nil {
		return 0, translate(err, "could not create the version head")
	}
	var current int
	err := s.tx.GetContext(ctx, &current,
		`SELECT current_version FROM version_heads
		 WHERE tenant_id = $1 AND asset_id = $2 AND environment = $3 FOR UPDATE`, s.tenant, id, env)
	if errors.Is(err, sql.ErrNoRows) {
		// The head exists, but in another tenant: row-level security hides it.
		return 0, assetNotFound()
	}
	return current, translate(err, "could not lock the version head")
}

// Current returns the current version with its snapshot in one query, or
// version 0 with an empty snapshot.
func (s versionStore) Current(ctx context.Context, asset domain.AssetID, env string) (domain.Version, error) {
	none := domain.Version{TenantID: s.tenant, AssetID: asset, Environment: env, Snapshot: domain.Snapshot{}}
	id, ok := canonicalUUID(string(asset))
	if !ok {
		return none, nil
	}
	var r versionRow
	err := s.tx.GetContext(ctx, &r,
		`SELECT number, created_at, created_by, message, source, snapshot FROM versions
		 WHERE tenant_id = $1 AND asset_id = $2 AND environment = $3
		 ORDER BY number DESC LIMIT 1`, s.tenant, id, env)
	if errors.Is(err, sql.ErrNoRows) {
		return none, nil
	}
	if err != nil {
		return domain.Version{}, translate(err, "could not read the current version")
	}
	return s.version(id, env, r)
}

// Get returns one version with its snapshot; VERSION_NOT_FOUND.
func (s versionStore) Get(ctx context.Context, asset domain.AssetID, env string, number int) (domain.Version, error) {
	id, ok := canonicalUUID(string(asset))
	if !ok {
		return domain.Version{}, versionNotFound()
	}
	var r versionRow
	err := s.tx.GetContext(ctx, &r,
		`SELECT number, created_at, created_by, message, source, snapshot FROM versions
		 WHERE tenant_id = $1 AND asset_id = $2 AND environment = $3 AND number = $4`, s.tenant, id, env, number)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Version{}, versionNotFound()
	}
	if err != nil {
		return domain.Version{}, translate(err, "could not read the version")
	}
	return s.version(id, env, r)
}

// List returns versions without snapshots, newest first, after the cursor
// (the last number of the previous page), and the next cursor.
func (s versionStore) List(ctx context.Context, asset domain.AssetID, env string, p domain.Page) ([]domain.Version, string, error) {
	before, err := versionCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	id, ok := canonicalUUID(string(asset))
	if !ok {
		return []domain.Version{}, "", nil
	}
	limit := pageLimit(p.Limit)
	var rows []versionRow
	if err := s.tx.SelectContext(ctx, &rows,
		`SELECT number, created_at, created_by, message, source FROM versions
		 WHERE tenant_id = $1 AND asset_id = $2 AND environment = $3 AND number < $4
		 ORDER BY number DESC LIMIT $5`, s.tenant, id, env, before, limit+1); err != nil {
		return nil, "", translate(err, "could not list the versions")
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		next = strconv.Itoa(rows[limit-1].Number)
	}
	out := make([]domain.Version, 0, len(rows))
	for _, r := range rows {
		v, err := s.version(id, env, r)
		if err != nil {
			return nil, "", err
		}
		out = append(out, v)
	}
	return out, next, nil
}

// Create inserts v and moves the head of its pair to it, in one statement:
// the head moves only from v.Number-1, and the version is inserted only if
// it did. VERSION_CONFLICT when the head is elsewhere or the number exists.
func (s versionStore) Create(ctx context.Context, v domain.Version) error {
	if err := sameTenant(s.tenant, v.TenantID); err != nil {
		return err
	}
	id, err := requireUUID("asset_id", string(v.AssetID))
	if err != nil {
		return err
	}
	snapshot, err := encodeSnapshot(v.Snapshot)
	if err != nil {
		return err
	}
	return execOne(ctx, s.tx, domain.KindVersionConflict, "The version was changed concurrently.", "could not create the version",
		`WITH head AS (
			INSERT INTO version_heads AS h (tenant_id, asset_id, environment, current_version)
			VALUES ($1, $2, $3, $4)
			ON CONFLICT (asset_id, environment) DO UPDATE SET current_version = EXCLUDED.current_version
			WHERE h.current_version = EXCLUDED.current_version - 1
			RETURNING h.tenant_id
		)
		INSERT INTO versions (tenant_id, asset_id, environment, number, created_at, created_by, message, source, snapshot)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 FROM head`,
		s.tenant, id, v.Environment, v.Number, v.CreatedAt, v.CreatedBy, v.Message, v.Source, snapshot)
}

// Heads returns the current version number of every environment of asset
// that has a version.
func (s versionStore) Heads(ctx context.Context, asset domain.AssetID) (map[string]int, error) {
	heads := map[string]int{}
	id, ok := canonicalUUID(string(asset))
	if !ok {
		return heads, nil
	}
	var rows []struct {
		Environment string `db:"environment"`
		Current     int    `db:"current_version"`
	}
	if err := s.tx.SelectContext(ctx, &rows,
		`SELECT environment, current_version FROM version_heads
		 WHERE tenant_id = $1 AND asset_id = $2 AND current_version > 0`, s.tenant, id); err != nil {
		return nil, translate(err, "could not read the version heads")
	}
	for _, r := range rows {
		heads[r.Environment] = r.Current
	}
	return heads, nil
}

// versionCursor parses a version listing cursor: "" is the newest version.
func versionCursor(cursor string) (int, error) {
	if cursor == "" {
		return int(^uint32(0) >> 1), nil
	}
	n, err := strconv.Atoi(cursor)
	if err != nil || n < 1 {
		return 0, domain.Errorf(domain.KindInvalid, "The cursor is invalid.").WithDetail("cursor", "is invalid")
	}
	return n, nil
}

func versionNotFound() error {
	return notFound(domain.KindVersionNotFound, "The version does not exist.")
}

package sqlite

import (
	"context"
	"strconv"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

var _ ports.VersionStore = versionStore{}

// versionStore holds the bound tenant's versions and version heads.
type versionStore struct{ scope }

// versionRow is a row of versions; Snapshot is empty in listings.
type versionRow struct {
	AssetID     string    `db:"asset_id"`
	Environment string    `db:"environment"`
	Number      int       `db:"number"`
	CreatedAt   timestamp `db:"created_at"`
	CreatedBy   string    `db:"created_by"`
	Message     string    `db:"message"`
	Source      string    `db:"source"`
	Snapshot    string    `db:"snapshot"`
}

// version returns r without its snapshot.
func (s versionStore) version(r versionRow) domain.Version {
	return domain.Version{
		TenantID: s.tenant, AssetID: domain.AssetID(r.AssetID), Environment: r.Environment, Number: r.Number,
		CreatedAt: r.CreatedAt.Time, CreatedBy: r.CreatedBy, Message: r.Message, Source: r.Source,
	}
}

// withSnapshot returns r with its snapshot decoded.
func (s versionStore) withSnapshot(r versionRow) (domain.Version, error) {
	snap, err := parseSnapshot(r.Snapshot)
	if err != nil {
		return domain.Version{}, err
	}
	v := s.version(r)
	v.Snapshot = snap
	return v, nil
}

const (
	versionColumns = `asset_id, environment, number, created_at, created_by, message, source`
	ofPair         = ` FROM versions WHERE tenant_id = ? AND asset_id = ? AND environment = ?`
)

// LockHead returns the current version number of (asset, env), creating its
// head when missing; the transaction already holds the database's write lock.
// KindAssetNotFound or KindEnvironmentNotFound when either does not exist.
func (s versionStore) LockHead(ctx context.Context, asset domain.AssetID, env string) (int, error) {
	_, err := s.tx.ExecContext(ctx,
		`INSERT INTO version_heads (tenant_id, asset_id, environment, current_version) VALUES (?, ?, ?, 0)
		 ON CONFLICT DO NOTHING`, string(s.tenant), string(asset), env)
	if isForeignKey(err) {
		return 0, s.missing(ctx, asset, env)
	}
	if err != nil {
		return 0, domain.Wrap(err, "could not lock a version head")
	}
	return s.head(ctx, asset, env)
}

// head returns the current version number of (asset, env), 0 without a head.
func (s versionStore) head(ctx context.Context, asset domain.AssetID, env string) (int, error) {
	var n int
	err := s.tx.GetContext(ctx, &n,
		`SELECT current_version FROM version_heads WHERE tenant_id = ? AND asset_id = ? AND environment = ?`,
		string(s.tenant), string(asset), env)
	if isNoRows(err) {
		return 0, nil
	}
	return n, domain.Wrap(err, "could not read a version head")
}

// Current returns the newest version with its snapshot; a pair without
// versions gives Number 0 and an empty snapshot.
func (s versionStore) Current(ctx context.Context, asset domain.AssetID, env string) (domain.Version, error) {
	var r versionRow
	err := s.tx.GetContext(ctx, &r, `SELECT `+versionColumns+`, snapshot`+ofPair+` ORDER BY number DESC LIMIT 1`,
		string(s.tenant), string(asset), env)
	switch {
	case isNoRows(err):
		return domain.Version{TenantID: s.tenant, AssetID: asset, Environment: env, Snapshot: domain.Snapshot{}}, nil
	case err != nil:
		return domain.Version{}, domain.Wrap(err, "could not read the current version")
	}
	return s.withSnapshot(r)
}

// Get returns one version with its snapshot; KindVersionNotFound.
func (s versionStore) Get(ctx context.Context, asset domain.AssetID, env string, number int) (domain.Version, error) {
	var r versionRow
	err := s.tx.GetContext(ctx, &r, `SELECT `+versionColumns+`, snapshot`+ofPair+` AND number = ?`,
		string(s.tenant), string(asset), env, number)
	switch {
	case isNoRows(err):
		return domain.Version{}, domain.Errorf(domain.KindVersionNotFound, "The version does not exist.").WithDetail("version", number)
	case err != nil:
		return domain.Version{}, domain.Wrap(err, "could not read a version")
	}
	return s.withSnapshot(r)
}

// List returns up to p.Limit versions without snapshots, newest first, below
// the cursor (the last number of the previous page), and the next cursor.
// KindInvalid for a cursor that is not a version number.
func (s versionStore) List(ctx context.Context, asset domain.AssetID, env string, p domain.Page) ([]domain.Version, string, error) {
	limit, below := pageLimit(p.Limit), int64(1)<<62
	if p.Cursor != "" {
		n, err := strconv.ParseInt(p.Cursor, 10, 64)
		if err != nil || n < 1 {
			return nil, "", domain.Errorf(domain.KindInvalid, "The cursor is invalid.").WithDetail("cursor", "invalid")
		}
		below = n
	}
	var rows []versionRow
	err := s.tx.SelectContext(ctx, &rows, `SELECT `+versionColumns+ofPair+` AND number < ? ORDER BY number DESC LIMIT ?`,
		string(s.tenant), string(asset), env, below, limit+1)
	if err != nil {
		return nil, "", domain.Wrap(err, "could not list versions")
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		next = strconv.Itoa(rows[limit-1].Number)
	}
	out := make([]domain.Version, len(rows))
	for i, r := range rows {
		out[i] = s.version(r)
	}
	return out, next, nil
}

// Create inserts v and makes it the head of its pair. v.Number must be the
// head plus one: KindVersionConflict otherwise, or when it exists.
func (s versionStore) Create(ctx context.Context, v domain.Version) error {
	if err := s.own("version", v.TenantID); err != nil {
		return err
	}
	head, err := s.head(ctx, v.AssetID, v.Environment)
	if err != nil {
		return err
	}
	if v.Number != head+1 {
		return errVersionConflict(head)
	}
	snap, err := snapshotText(v.Snapshot)
	if err != nil {
		return err
	}
	_, err = s.tx.ExecContext(ctx,
		`INSERT INTO versions (tenant_id, asset_id, environment, number, created_at, created_by, message, source, snapshot)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		string(s.tenant), string(v.AssetID), v.Environment, v.Number, stamp(v.CreatedAt), v.CreatedBy, v.Message, v.Source, snap)
	switch {
	case isPrimaryKey(err):
		return errVersionConflict(head)
	case isForeignKey(err):
		return s.missing(ctx, v.AssetID, v.Environment)
	case err != nil:
		return domain.Wrap(err, "could not create a version")
	}
	_, err = s.tx.ExecContext(ctx,
		`INSERT INTO version_heads (tenant_id, asset_id, environment, current_version) VALUES (?, ?, ?, ?)
		 ON CONFLICT (tenant_id, asset_id, environment) DO UPDATE SET current_version = excluded.current_version`,
		string(s.tenant), string(v.AssetID), v.Environment, v.Number)
	return domain.Wrap(err, "could not move a version head")
}

// Heads returns the current version number of every environment of asset
// that has a version.
func (s versionStore) Heads(ctx context.Context, asset domain.AssetID) (map[string]int, error) {
	var rows []struct {
		Environment string `db:"environment"`
		Current     int    `db:"current_version"`
	}
	err := s.tx.SelectContext(ctx, &rows,
		`SELECT environment, current_version FROM version_heads WHERE tenant_id = ? AND asset_id = ? AND current_version > 0`,
		string(s.tenant), string(asset))
	if err != nil {
		return nil, domain.Wrap(err, "could not read version heads")
	}
	heads := make(map[string]int, len(rows))
	for _, r := range rows {
		heads[r.Environment] = r.Current
	}
	return heads, nil
}

// missing names what a foreign key violation on (asset, env) was about.
func (s versionStore) missing(ctx context.Context, asset domain.AssetID, env string) error {
	var assets int
	err := s.tx.GetContext(ctx, &assets, `SELECT count(*) FROM assets WHERE tenant_id = ? AND id = ?`, string(s.tenant), string(asset))
	switch {
	case err != nil:
		return domain.Wrap(err, "could not check an asset")
	case assets == 0:
		return errAssetNotFound()
	}
	return errEnvironmentNotFound(env)
}

// errVersionConflict is the error of a version number that is not the next.
func errVersionConflict(head int) error {
	return domain.Errorf(domain.KindVersionConflict, "The version was changed concurrently.").WithDetail("current_version", head)
}

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// environmentStore holds the bound tenant's environments.
type environmentStore struct{ t *txn }

type environmentRow struct {
	Name      string `db:"name"`
	Position  int    `db:"position"`
	CreatedAt dbTime `db:"created_at"`
}

func (r environmentRow) environment() domain.Environment {
	return domain.Environment{Name: r.Name, Position: r.Position, CreatedAt: r.CreatedAt.Time}
}

const selectEnvironment = `SELECT name, position, created_at FROM environments WHERE tenant_id = ?`

// Create inserts an environment; ENVIRONMENT_ALREADY_EXISTS when the name is
// taken, CONFLICT when the position is, TENANT_NOT_FOUND.
func (s environmentStore) Create(ctx context.Context, e domain.Environment) error {
	return s.t.insertUnder(ctx, "could not create the environment",
		`INSERT INTO environments (tenant_id, name, position, created_at) SELECT ?, ?, ?, ?`,
		[]any{string(s.t.tenant), e.Name, e.Position, stamp(e.CreatedAt)}, s.t.tenantParent())
}

// List returns all environments by position.
func (s environmentStore) List(ctx context.Context) ([]domain.Environment, error) {
	return fetchAll(ctx, s.t, "could not list the environments", environmentRow.environment,
		selectEnvironment+` ORDER BY position`, string(s.t.tenant))
}

// Get returns one environment; ENVIRONMENT_NOT_FOUND.
func (s environmentStore) Get(ctx context.Context, name string) (domain.Environment, error) {
	return fetch(ctx, s.t, domain.KindEnvironmentNotFound, "could not read the environment", environmentRow.environment,
		selectEnvironment+` AND name = ?`, string(s.t.tenant), name)
}

// assetStore holds the bound tenant's assets.
type assetStore struct{ t *txn }

type assetRow struct {
	ID          string `db:"id"`
	Slug        string `db:"slug"`
	Name        string `db:"name"`
	Description string `db:"description"`
	CreatedAt   dbTime `db:"created_at"`
	UpdatedAt   dbTime `db:"updated_at"`
}

func (r assetRow) asset() domain.Asset {
	return domain.Asset{
		ID: domain.AssetID(r.ID), Slug: r.Slug, Name: r.Name, Description: r.Description,
		CreatedAt: r.CreatedAt.Time, UpdatedAt: r.UpdatedAt.Time,
	}
}

const selectAsset = `SELECT id, slug, name, description, created_at, updated_at FROM assets WHERE tenant_id = ?`

// Create inserts an asset; ASSET_ALREADY_EXISTS when the slug is taken,
// CONFLICT when the ID is, TENANT_NOT_FOUND.
func (s assetStore) Create(ctx context.Context, a domain.Asset) error {
	id, err := requireUUID("asset_id", string(a.ID))
	if err != nil {
		return err
	}
	return s.t.insertUnder(ctx, "could not create the asset",
		`INSERT INTO assets (id, tenant_id, slug, name, description, created_at, updated_at) SELECT ?, ?, ?, ?, ?, ?, ?`,
		[]any{id, string(s.t.tenant), a.Slug, a.Name, a.Description, stamp(a.CreatedAt), stamp(a.UpdatedAt)},
		s.t.tenantParent())
}

// BySlug finds an asset; ASSET_NOT_FOUND.
func (s assetStore) BySlug(ctx context.Context, slug string) (domain.Asset, error) {
	return s.bySlug(ctx, slug, "")
}

// LockBySlug finds an asset and keeps it from being deleted until the
// transaction ends; ASSET_NOT_FOUND, also when a concurrent delete won.
func (s assetStore) LockBySlug(ctx context.Context, slug string) (domain.Asset, error) {
	return s.bySlug(ctx, slug, s.t.locking.ForKeyShare)
}

// LockBySlugExclusive locks the asset row FOR UPDATE, which conflicts with
// the writes' FOR KEY SHARE.
func (s assetStore) LockBySlugExclusive(ctx context.Context, slug string) (domain.Asset, error) {
	return s.bySlug(ctx, slug, s.t.locking.ForUpdate)
}

func (s assetStore) bySlug(ctx context.Context, slug, lock string) (domain.Asset, error) {
	return fetch(ctx, s.t, domain.KindAssetNotFound, "could not read the asset", assetRow.asset,
		selectAsset+` AND slug = ?`+lock, string(s.t.tenant), slug)
}

// List returns up to p.Limit assets ordered by slug after the cursor (the
// last slug of the previous page) in one query, and the next cursor.
func (s assetStore) List(ctx context.Context, p domain.Page) ([]domain.Asset, string, error) {
	limit := p.Size()
	assets, err := fetchAll(ctx, s.t, "could not list the assets", assetRow.asset,
		selectAsset+` AND slug > ? ORDER BY slug LIMIT ?`, string(s.t.tenant), p.Cursor, limit+1)
	if err != nil || len(assets) <= limit {
		return assets, "", err
	}
	return assets[:limit], assets[limit-1].Slug, nil
}

// Update stores a's name, description and UpdatedAt; ASSET_NOT_FOUND.
func (s assetStore) Update(ctx context.Context, a domain.Asset) error {
	id, ok := CanonicalUUID(string(a.ID))
	if !ok {
		return domain.StoreError(domain.KindAssetNotFound)
	}
	return s.t.execOne(ctx, domain.KindAssetNotFound, "could not update the asset",
		`UPDATE assets SET name = ?, description = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
		a.Name, a.Description, stamp(a.UpdatedAt), string(s.t.tenant), id)
}

// Delete removes an asset; its versions and heads go with it (ON DELETE
// CASCADE); ASSET_NOT_FOUND.
func (s assetStore) Delete(ctx context.Context, id domain.AssetID) error {
	canonical, ok := CanonicalUUID(string(id))
	if !ok {
		return domain.StoreError(domain.KindAssetNotFound)
	}
	return s.t.execOne(ctx, domain.KindAssetNotFound, "could not delete the asset",
		`DELETE FROM assets WHERE tenant_id = ? AND id = ?`, string(s.t.tenant), canonical)
}

// LockForDelete locks the asset's row, then its heads, against every
// writer until the transaction ends; ASSET_NOT_FOUND. Where the dialect has
// no row locks (its writers are serialized) it only checks the asset.
func (s assetStore) LockForDelete(ctx context.Context, id domain.AssetID) error {
	canonical, ok := CanonicalUUID(string(id))
	if !ok {
		return domain.StoreError(domain.KindAssetNotFound)
	}
	var found []string
	if err := s.t.list(ctx, &found, `SELECT id FROM assets WHERE tenant_id = ? AND id = ?`+s.t.locking.ForUpdate,
		string(s.t.tenant), canonical); err != nil {
		return s.t.fail(err, "could not lock the asset")
	}
	if len(found) == 0 {
		return domain.StoreError(domain.KindAssetNotFound)
	}
	if s.t.locking.ForUpdate == "" {
		return nil
	}
	var heads []string
	err := s.t.list(ctx, &heads, `SELECT environment FROM version_heads WHERE tenant_id = ? AND asset_id = ? ORDER BY environment`+
		s.t.locking.ForUpdate, string(s.t.tenant), canonical)
	return s.t.fail(err, "could not lock the asset's version heads")
}

// versionStore holds the bound tenant's versions and their heads.
type versionStore struct{ t *txn }

// versionRow is a row of versions; Snapshot is nil in listings.
type versionRow struct {
	Number    int    `db:"number"`
	CreatedAt dbTime `db:"created_at"`
	CreatedBy string `db:"created_by"`
	Message   string `db:"message"`
	Source    string `db:"source"`
	Snapshot  []byte `db:"snapshot"`
}

const (
	versionColumns = `SELECT number, created_at, created_by, message, source`
	ofPair         = ` FROM versions WHERE tenant_id = ? AND asset_id = ? AND environment = ?`
)

// meta returns the conversion of a row of (asset, env) without its snapshot.
func (s versionStore) meta(asset, env string) func(versionRow) domain.Version {
	return func(r versionRow) domain.Version {
		return domain.Version{
			TenantID: s.t.tenant, AssetID: domain.AssetID(asset), Environment: env, Number: r.Number,
			CreatedAt: r.CreatedAt.Time, CreatedBy: r.CreatedBy, Message: r.Message, Source: r.Source,
		}
	}
}

// version converts a row of (asset, env) with its snapshot.
func (s versionStore) version(asset, env string, r versionRow) (domain.Version, error) {
	v := s.meta(asset, env)(r)
	snapshot, err := DecodeSnapshot(r.Snapshot)
	v.Snapshot = snapshot
	return v, err
}

// LockHead creates the head of (asset, env) when missing, locks it until the
// transaction ends and returns its version number; ASSET_NOT_FOUND or
// ENVIRONMENT_NOT_FOUND when either does not exist.
func (s versionStore) LockHead(ctx context.Context, asset domain.AssetID, env string) (int, error) {
	h, err := s.lockHead(ctx, asset, env)
	return h.Current, err
}

// headRow is a head as LockHead locks it: its version number and its marks.
type headRow struct {
	Current    int  `db:"current_version"`
	HasSchema  bool `db:"has_schema"`
	Referenced bool `db:"referenced"`
}

// lockHead is LockHead returning the head's marks too, read by the locking
// statement: the head's newest row, whose marks were written by whoever
// held its lock (SchemaStore.Put after LockHead, LockShared), or by the
// insert that created it from the data.
func (s versionStore) lockHead(ctx context.Context, asset domain.AssetID, env string) (headRow, error) {
	id, ok := CanonicalUUID(string(asset))
	if !ok {
		return headRow{}, domain.StoreError(domain.KindAssetNotFound)
	}
	parents := []parent{s.t.assetParent(id), s.t.environmentParent(env)}
	tenant := string(s.t.tenant)
	insert, args := underParents(`INSERT INTO version_heads (tenant_id, asset_id, environment, current_version, has_schema, referenced)
		SELECT ?, ?, ?, 0, EXISTS (SELECT 1 FROM asset_schemas WHERE tenant_id = ? AND asset_id = ?), `+headReferenced,
		[]any{tenant, id, env, tenant, id, tenant, id, tenant, env, id}, parents)
	if _, err := s.t.exec(ctx, insert+` ON CONFLICT DO NOTHING`, args...); err != nil {
		return headRow{}, s.t.fail(err, "could not create the version head")
	}
	var h headRow
	err := s.t.get(ctx, &h, `SELECT current_version, has_schema, referenced FROM version_heads
		WHERE tenant_id = ? AND asset_id = ? AND environment = ?`+s.t.locking.ForUpdate, string(s.t.tenant), id, env)
	if errors.Is(err, sql.ErrNoRows) {
		// A parent is missing, or the head is another tenant's.
		return headRow{}, s.t.missingParent(ctx, parents, domain.KindConflict)
	}
	return h, s.t.fail(err, "could not lock the version head")
}

// headReferenced is whether a new head of an asset in an environment is
// referenced: whether another asset's current version there holds the
// text "${slug/" (arguments: tenant, asset, tenant, environment, asset), as
// migration 10 marks the heads that existed before the marks. A reference
// written before references were checked can name an asset that had no
// head in the environment yet.
const headReferenced = `EXISTS (SELECT 1 FROM assets AS a
	JOIN version_heads AS h ON h.tenant_id = a.tenant_id
	JOIN versions AS v ON ` + headVersion + `
	WHERE a.tenant_id = ? AND a.id = ? AND h.tenant_id = ? AND h.environment = ? AND h.asset_id <> ?
		AND CAST(v.snapshot AS TEXT) LIKE '%${' || a.slug || '/%')`

// headVersion joins the version v that the head h names, its current one.
const headVersion = `v.tenant_id = h.tenant_id AND v.asset_id = h.asset_id
	AND v.environment = h.environment AND v.number = h.current_version`

// writeTargetRow is the row of LockCurrent: the asset, its head in the
// environment with its marks and the version the head names (NULL when
// there is none in the statement's snapshot).
type writeTargetRow struct {
	assetRow
	Head             int              `db:"current_version"`
	HasSchema        bool             `db:"has_schema"`
	Referenced       bool             `db:"referenced"`
	Number           sql.NullInt64    `db:"version_number"`
	VersionCreatedAt sql.Null[dbTime] `db:"version_created_at"`
	CreatedBy        sql.NullString   `db:"created_by"`
	Message          sql.NullString   `db:"message"`
	Source           sql.NullString   `db:"source"`
	Snapshot         []byte           `db:"snapshot"`
}

// selectWriteTarget reads an asset by slug, its head in an environment and
// the head's version in one statement (arguments: environment, tenant,
// slug). The head is joined, not outer-joined: a pair without a head (its
// first write) has no row, and LockCurrent then takes the long way.
const selectWriteTarget = `SELECT a.id, a.slug, a.name, a.description, a.created_at, a.updated_at,
	h.current_version, h.has_schema, h.referenced, v.number AS version_number, v.created_at AS version_created_at, v.created_by, v.message, v.source, v.snapshot
	FROM assets AS a
	JOIN version_heads AS h ON h.tenant_id = a.tenant_id AND h.asset_id = a.id AND h.environment = ?
	LEFT JOIN versions AS v ON ` + headVersion + `
	WHERE a.tenant_id = ? AND a.slug = ?`

// LockCurrent locks the asset slug against deletion and the head of (asset,
// env), and returns the asset, the current version and the head's marks;
// see ports.VersionStore. Once the pair has a head this is one statement,
// whose row locks are taken asset first, head second (the order of its
// locking clauses), the order of LockBySlug and LockHead. A writer that
// waited for the head gets the head's newest row, marks included (whoever
// set a mark held the head's lock: SchemaStore.Put after LockHead,
// LockShared), but the version it names committed after the statement's
// snapshot: the version is then read again, under the lock, by Current. A
// pair without a head (its first write) and a missing asset or environment
// go the long way: LockBySlug, the environment, LockHead and Current, which
// also name what is missing; its marks are those LockHead's locking
// statement reads (the new head's, taken from the data, or those a writer
// that created or marked the head first left there).
func (s versionStore) LockCurrent(ctx context.Context, slug, env string) (ports.WriteTarget, error) {
	lock := ""
	if s.t.locking.ForUpdate != "" {
		lock = s.t.locking.ForKeyShare + " OF a" + s.t.locking.ForUpdate + " OF h"
	}
	var r writeTargetRow
	err := s.t.get(ctx, &r, selectWriteTarget+lock, env, string(s.t.tenant), slug)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return s.lockCurrentFirst(ctx, slug, env)
	case err != nil:
		return ports.WriteTarget{}, s.t.fail(err, "could not lock the asset and its version head")
	}
	target := ports.WriteTarget{Asset: r.asset(), MayHaveSchema: r.HasSchema, MayBeReferenced: r.Referenced}
	switch {
	case !r.Number.Valid && r.Head > 0:
		target.Current, err = s.currentAt(ctx, target.Asset.ID, env, r.Head)
	case !r.Number.Valid:
		target.Current = domain.Version{TenantID: s.t.tenant, AssetID: target.Asset.ID, Environment: env, Snapshot: domain.Snapshot{}}
	default:
		target.Current, err = s.version(r.ID, env, versionRow{
			Number: int(r.Number.Int64), CreatedAt: r.VersionCreatedAt.V, CreatedBy: r.CreatedBy.String,
			Message: r.Message.String, Source: r.Source.String, Snapshot: r.Snapshot,
		})
	}
	if err != nil {
		return ports.WriteTarget{}, err
	}
	return target, nil
}

// lockCurrentFirst is LockCurrent the long way, in the same lock order.
func (s versionStore) lockCurrentFirst(ctx context.Context, slug, env string) (ports.WriteTarget, error) {
	asset, err := assetStore(s).LockBySlug(ctx, slug)
	if err != nil {
		return ports.WriteTarget{}, err
	}
	if _, err := environmentStore(s).Get(ctx, env); err != nil {
		return ports.WriteTarget{}, err
	}
	head, err := s.lockHead(ctx, asset.ID, env)
	if err != nil {
		return ports.WriteTarget{}, err
	}
	cur, err := s.currentAt(ctx, asset.ID, env, head.Current)
	if err != nil {
		return ports.WriteTarget{}, err
	}
	return ports.WriteTarget{Asset: asset, Current: cur, MayHaveSchema: head.HasSchema, MayBeReferenced: head.Referenced}, nil
}

// currentAt returns the current version of (asset, env), which must be head.
func (s versionStore) currentAt(ctx context.Context, asset domain.AssetID, env string, head int) (domain.Version, error) {
	cur, err := s.Current(ctx, asset, env)
	if err == nil && cur.Number != head {
		return domain.Version{}, domain.Wrap(fmt.Errorf("head is %d but the current version is %d", head, cur.Number), "The version history is inconsistent.")
	}
	return cur, err
}

// Current returns the current version with its snapshot in one query, or
// version 0 with an empty snapshot.
func (s versionStore) Current(ctx context.Context, asset domain.AssetID, env string) (domain.Version, error) {
	none := domain.Version{TenantID: s.t.tenant, AssetID: asset, Environment: env, Snapshot: domain.Snapshot{}}
	id, ok := CanonicalUUID(string(asset))
	if !ok {
		return none, nil
	}
	var r versionRow
	err := s.t.get(ctx, &r, versionColumns+`, snapshot`+ofPair+` ORDER BY number DESC LIMIT 1`, string(s.t.tenant), id, env)
	if errors.Is(err, sql.ErrNoRows) {
		return none, nil
	}
	if err != nil {
		return domain.Version{}, s.t.fail(err, "could not read the current version")
	}
	return s.version(id, env, r)
}

// Get returns one version with its snapshot; VERSION_NOT_FOUND.
func (s versionStore) Get(ctx context.Context, asset domain.AssetID, env string, number int) (domain.Version, error) {
	id, ok := CanonicalUUID(string(asset))
	if !ok {
		return domain.Version{}, domain.StoreError(domain.KindVersionNotFound)
	}
	r, err := fetch(ctx, s.t, domain.KindVersionNotFound, "could not read the version", func(r versionRow) versionRow { return r },
		versionColumns+`, snapshot`+ofPair+` AND number = ?`, string(s.t.tenant), id, env, number)
	if err != nil {
		return domain.Version{}, err
	}
	return s.version(id, env, r)
}

// List returns versions without snapshots, newest first, below the cursor
// (the last number of the previous page), and the next cursor.
func (s versionStore) List(ctx context.Context, asset domain.AssetID, env string, p domain.Page) ([]domain.Version, string, error) {
	below := math.MaxInt32
	if p.Cursor != "" {
		n, err := strconv.Atoi(p.Cursor)
		if err != nil || n < 1 {
			return nil, "", domain.InvalidCursor()
		}
		below = n
	}
	id, ok := CanonicalUUID(string(asset))
	if !ok {
		return []domain.Version{}, "", nil
	}
	limit := p.Size()
	versions, err := fetchAll(ctx, s.t, "could not list the versions", s.meta(id, env),
		versionColumns+ofPair+` AND number < ? ORDER BY number DESC LIMIT ?`, string(s.t.tenant), id, env, below, limit+1)
	if err != nil || len(versions) <= limit {
		return versions, "", err
	}
	return versions[:limit], strconv.Itoa(versions[limit-1].Number), nil
}

// Create inserts v and moves the head of its pair to it: the head moves only
// from v.Number-1, and the version is inserted only if it did.
// VERSION_CONFLICT when the head is elsewhere or the number exists.
func (s versionStore) Create(ctx context.Context, v domain.Version) error {
	if err := s.t.own(v.TenantID); err != nil {
		return err
	}
	id, err := requireUUID("asset_id", string(v.AssetID))
	if err != nil {
		return err
	}
	snapshot, err := EncodeSnapshot(v.Snapshot)
	if err != nil {
		return err
	}
	tenant := string(s.t.tenant)
	return s.t.moveHead(ctx, "could not create the version",
		`UPDATE version_heads SET current_version = ?
		 WHERE tenant_id = ? AND asset_id = ? AND environment = ? AND current_version = ?`,
		[]any{v.Number, tenant, id, v.Environment, v.Number - 1},
		`INSERT INTO versions (tenant_id, asset_id, environment, number, created_at, created_by, message, source, snapshot)
		 SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?`,
		[]any{tenant, id, v.Environment, v.Number, stamp(v.CreatedAt), v.CreatedBy, v.Message, v.Source, snapshot},
		domain.KindVersionConflict, s.t.assetParent(id), s.t.environmentParent(v.Environment))
}

// Heads returns the current version number of every environment of asset
// that has a version.
func (s versionStore) Heads(ctx context.Context, asset domain.AssetID) (map[string]int, error) {
	heads := map[string]int{}
	id, ok := CanonicalUUID(string(asset))
	if !ok {
		return heads, nil
	}
	type head struct {
		Environment string `db:"environment"`
		Current     int    `db:"current_version"`
	}
	rows, err := fetchAll(ctx, s.t, "could not read the version heads", func(h head) head { return h },
		`SELECT environment, current_version FROM version_heads WHERE tenant_id = ? AND asset_id = ? AND current_version > 0`,
		string(s.t.tenant), id)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		heads[r.Environment] = r.Current
	}
	return heads, nil
}

// moveHead runs head, an UPDATE that moves a head (which LockHead created)
// only from its expected position, and row, an INSERT ... SELECT of the row
// the head now points to, so that the row is inserted only if the head
// moved (tryMoveHead). When the head did not move, it answers the first
// missing parent's kind, or conflict.
func (t *txn) moveHead(ctx context.Context, what, head string, headArgs []any, row string, rowArgs []any, conflict domain.Kind, parents ...parent) error {
	moved, err := t.tryMoveHead(ctx, what, head, headArgs, row, rowArgs)
	if err != nil || moved {
		return err
	}
	return t.missingParent(ctx, parents, conflict)
}

// tryMoveHead runs moveHead's head and row: in one statement where the
// dialect has writable WITH clauses, else in two. moved is false when the
// head was not where head expects it, and then nothing was written.
func (t *txn) tryMoveHead(ctx context.Context, what, head string, headArgs []any, row string, rowArgs []any) (moved bool, err error) {
	if t.locking.WritableCTE {
		query := `WITH head AS (` + head + ` RETURNING 1) ` + row + ` FROM head`
		n, err := t.execCount(ctx, what, query, append(append([]any(nil), headArgs...), rowArgs...)...)
		return n > 0, err
	}
	n, err := t.execCount(ctx, what, head, headArgs...)
	if err != nil || n == 0 {
		return false, err
	}
	_, err = t.execCount(ctx, what, row, rowArgs...)
	return err == nil, err
}

// assetVersionRow is a row of CurrentOf and Referencing: an asset and its
// current version in an environment (NULL number and snapshot when it has
// none).
type assetVersionRow struct {
	ID          string           `db:"id"`
	Slug        string           `db:"slug"`
	Environment string           `db:"environment"`
	Number      sql.NullInt64    `db:"number"`
	CreatedAt   sql.Null[dbTime] `db:"created_at"`
	CreatedBy   sql.NullString   `db:"created_by"`
	Message     sql.NullString   `db:"message"`
	Source      sql.NullString   `db:"source"`
	Snapshot    []byte           `db:"snapshot"`
}

// assetVersions converts the rows of CurrentOf and Referencing.
func (s versionStore) assetVersions(rows []assetVersionRow) ([]domain.AssetVersion, error) {
	out := make([]domain.AssetVersion, 0, len(rows))
	for _, r := range rows {
		if !r.Number.Valid {
			out = append(out, domain.AssetVersion{Slug: r.Slug, Version: domain.Version{
				TenantID: s.t.tenant, AssetID: domain.AssetID(r.ID), Environment: r.Environment, Snapshot: domain.Snapshot{},
			}})
			continue
		}
		v, err := s.version(r.ID, r.Environment, versionRow{
			Number: int(r.Number.Int64), CreatedAt: r.CreatedAt.V, CreatedBy: r.CreatedBy.String,
			Message: r.Message.String, Source: r.Source.String, Snapshot: r.Snapshot,
		})
		if err != nil {
			return nil, err
		}
		out = append(out, domain.AssetVersion{Slug: r.Slug, Version: v})
	}
	return out, nil
}

// selectAssetVersion reads an asset (a) with its head (h) and current
// version (v).
const selectAssetVersion = `SELECT a.id, a.slug, v.number, v.created_at, v.created_by, v.message, v.source, v.snapshot`

// CurrentOf returns the current version in env of every asset of slugs, in
// one statement.
func (s versionStore) CurrentOf(ctx context.Context, env string, slugs []string) ([]domain.AssetVersion, error) {
	if len(slugs) == 0 {
		return []domain.AssetVersion{}, nil
	}
	args := []any{env, string(s.t.tenant)}
	for _, slug := range slugs {
		args = append(args, slug)
	}
	var rows []assetVersionRow
	err := s.t.list(ctx, &rows, selectAssetVersion+`, CAST(? AS TEXT) AS environment
		FROM assets AS a
		LEFT JOIN version_heads AS h ON h.tenant_id = a.tenant_id AND h.asset_id = a.id AND h.environment = ?
		LEFT JOIN versions AS v ON `+headVersion+`
		WHERE a.tenant_id = ? AND a.slug IN (`+placeholders(len(slugs))+`)`, append([]any{env}, args...)...)
	if err != nil {
		return nil, s.t.fail(err, "could not read the current versions")
	}
	return s.assetVersions(rows)
}

// Referencing returns the current versions in env (every environment for
// "") whose snapshot holds "${slug/", in one statement.
func (s versionStore) Referencing(ctx context.Context, env, slug string) ([]domain.AssetVersion, error) {
	p := domain.Problems{}
	domain.CheckSlug(p, "slug", slug)
	if len(p) > 0 {
		return []domain.AssetVersion{}, nil // no reference can name it; nor a LIKE wildcard
	}
	var rows []assetVersionRow
	err := s.t.list(ctx, &rows, selectAssetVersion+`, h.environment
		FROM version_heads AS h
		JOIN assets AS a ON a.tenant_id = h.tenant_id AND a.id = h.asset_id
		JOIN versions AS v ON `+headVersion+`
		WHERE h.tenant_id = ? AND (h.environment = ? OR CAST(? AS TEXT) = '') AND CAST(v.snapshot AS TEXT) LIKE ?`,
		string(s.t.tenant), env, env, "%${"+slug+"/%")
	if err != nil {
		return nil, s.t.fail(err, "could not find the referencing versions")
	}
	return s.assetVersions(rows)
}

// LockShared marks the heads of assets in env as referenced and locks them
// against moving, in asset order, until the transaction ends, in one
// statement: the unmarked heads are marked first (an UPDATE in a WITH that
// the locking query waits for, through its one-time filter), which locks
// them exclusively, then every head is locked FOR SHARE (PostgreSQL skips
// the rows this statement updated, already locked; a head another writer
// marked meanwhile is locked in its newest row). Where the dialect has no
// row locks (its writers are serialized) the heads are only marked.
func (s versionStore) LockShared(ctx context.Context, env string, assets []domain.AssetID) error {
	ids := canonicalIDs(assets)
	if len(ids) == 0 {
		return nil
	}
	of := ` WHERE tenant_id = ? AND environment = ? AND asset_id IN (` + placeholders(len(ids)) + `)`
	args := append([]any{string(s.t.tenant), env}, ids...)
	mark := `UPDATE version_heads SET referenced = true` + of + ` AND NOT referenced`
	if s.t.locking.ForShare == "" {
		_, err := s.t.exec(ctx, mark, args...)
		return s.t.fail(err, "could not mark the referenced version heads")
	}
	var locked []string
	err := s.t.list(ctx, &locked, `WITH marked AS (`+mark+` RETURNING asset_id)
		SELECT asset_id FROM version_heads`+of+` AND (SELECT count(*) FROM marked) >= 0 ORDER BY asset_id`+s.t.locking.ForShare,
		append(args, args...)...)
	return s.t.fail(err, "could not lock the referenced version heads")
}

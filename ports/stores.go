package ports

import (
	"context"
	"time"

	"github.com/configmat/configmat/core/domain"
)

// UserStore holds users (global: a user may belong to several tenants).
type UserStore interface {
	// Create inserts a user; KindEmailRegistered when the email is taken.
	Create(ctx context.Context, u domain.User) error
	// ByEmail finds a user by normalized email; KindUserNotFound.
	ByEmail(ctx context.Context, email string) (domain.User, error)
	// ByID finds a user; KindUserNotFound.
	ByID(ctx context.Context, id domain.UserID) (domain.User, error)
}

// TokenStore holds user tokens by digest (global).
type TokenStore interface {
	// Create inserts a token.
	Create(ctx context.Context, t domain.UserToken) error
	// ByDigest finds a token by the SHA-256 digest of its text; KindInvalidToken
	// when there is none.
	ByDigest(ctx context.Context, digest []byte) (domain.UserToken, error)
	// Revoke marks a token revoked at the given time; KindInvalidToken when
	// there is none.
	Revoke(ctx context.Context, id string, at time.Time) error
}

// Directory is the narrow path for the lookups that must happen before a
// tenant is known. It returns only what each lookup needs; in PostgreSQL it is
// made of SECURITY DEFINER functions, not of a role that bypasses row-level
// security.
type Directory interface {
	// APIKeyByDigest finds an API key by digest; KindInvalidAPIKey when none.
	APIKeyByDigest(ctx context.Context, digest []byte) (domain.APIKeyCredential, error)
	// MembershipsOfUser lists a user's memberships with their tenants, oldest
	// membership first.
	MembershipsOfUser(ctx context.Context, userID domain.UserID) ([]domain.UserMembership, error)
	// TenantBySlug finds a tenant by slug; KindTenantNotFound.
	TenantBySlug(ctx context.Context, slug string) (domain.TenantRef, error)
	// AnyDataKey returns one tenant's wrapped data key, for the health check's
	// proof that the key-encryption key is the right one; ok is false when no
	// tenant exists yet.
	AnyDataKey(ctx context.Context) (tenantID domain.TenantID, key domain.WrappedKey, ok bool, err error)
	// DataKeyUses counts the tenants' data keys by the ID of the key that
	// wraps them, with the oldest such tenant's key as a sample, by key ID.
	DataKeyUses(ctx context.Context) ([]domain.DataKeyUse, error)
	// TenantsNotOnKey returns up to limit tenants whose data key is wrapped
	// by a key other than keyID, oldest first.
	TenantsNotOnKey(ctx context.Context, keyID string, limit int) ([]domain.TenantID, error)
}

// TenantStore holds the bound tenant's own row.
type TenantStore interface {
	// Create inserts the tenant (whose ID must be the bound tenant);
	// KindConflict when the slug is taken.
	Create(ctx context.Context, t domain.Tenant) error
	// Get returns the bound tenant; KindTenantNotFound.
	Get(ctx context.Context) (domain.Tenant, error)
	// RewrapDataKey replaces the tenant's wrapped data key from with to,
	// only if it is still from; KindConflict otherwise.
	RewrapDataKey(ctx context.Context, from, to domain.WrappedKey) error
}

// EnvironmentStore holds the bound tenant's environments.
type EnvironmentStore interface {
	// Create inserts an environment; KindEnvironmentExists when the name is taken.
	Create(ctx context.Context, e domain.Environment) error
	// List returns all environments in promotion order (by position).
	List(ctx context.Context) ([]domain.Environment, error)
	// Get returns one environment; KindEnvironmentNotFound.
	Get(ctx context.Context, name string) (domain.Environment, error)
}

// AssetStore holds the bound tenant's assets.
type AssetStore interface {
	// Create inserts an asset; KindAssetExists when the slug is taken.
	Create(ctx context.Context, a domain.Asset) error
	// BySlug finds an asset; KindAssetNotFound.
	BySlug(ctx context.Context, slug string) (domain.Asset, error)
	// LockBySlug finds an asset like BySlug and keeps it from being deleted
	// until the transaction ends. Every write to an asset's versions takes
	// this lock first, so that a concurrent Delete waits for the write (or the
	// write, for the delete, and then answers KindAssetNotFound) instead of
	// deadlocking with it on the asset's heads.
	LockBySlug(ctx context.Context, slug string) (domain.Asset, error)
	// LockBySlugExclusive finds an asset like BySlug and keeps every write
	// of it out until the transaction ends: the writes, which take
	// LockBySlug first, wait for it, and it waits for them. A schema's PUT
	// takes it, so that no write of the asset, an environment's first one
	// included, runs between the check of its current versions and the
	// schema's commit.
	LockBySlugExclusive(ctx context.Context, slug string) (domain.Asset, error)
	// List returns up to p.Limit assets ordered by slug after the cursor, and
	// the cursor of the next page ("" when there is none). One query.
	List(ctx context.Context, p domain.Page) (assets []domain.Asset, next string, err error)
	// Update stores a's name, description and UpdatedAt; KindAssetNotFound.
	Update(ctx context.Context, a domain.Asset) error
	// Delete removes an asset with its versions; KindAssetNotFound.
	Delete(ctx context.Context, id domain.AssetID) error
	// LockForDelete locks the asset's row and then every head of it (FOR
	// UPDATE) until the transaction ends, before a deletion checks that no
	// other asset references it: a write that references the asset holds
	// one of those heads (VersionStore.LockShared), so the deletion waits
	// for it and then sees its reference, or the write waits and then finds
	// the asset gone. KindAssetNotFound; a no-op where writers are
	// serialized (beyond that check).
	LockForDelete(ctx context.Context, id domain.AssetID) error
}

// WriteTarget is where a write to the versions of one asset in one
// environment starts: VersionStore.LockCurrent's answer. Its marks let a
// change set skip two lookups; each is true whenever the store cannot rule
// the lookup out.
type WriteTarget struct {
	// Asset is the asset written, locked against deletion.
	Asset domain.Asset
	// Current is the current version with its snapshot (Number 0 and an
	// empty snapshot before the first); the pair's head is locked.
	Current domain.Version
	// MayHaveSchema is false only when the asset has no schema
	// (SchemaStore.Get would answer KindSchemaNotFound).
	MayHaveSchema bool
	// MayBeReferenced is false only when no current version of another
	// asset in the environment references the asset (Referencing would
	// find none that does): once a write references an asset there
	// (LockShared), its head stays marked.
	MayBeReferenced bool
}

// VersionStore holds the immutable versions of every asset and environment,
// and each pair's head (its current version number and its marks,
// WriteTarget).
type VersionStore interface {
	// LockHead locks the head of (asset, environment) until the transaction
	// ends (SELECT ... FOR UPDATE, creating the head row when missing, with
	// its marks from the data: whether the asset has a schema, whether
	// another asset's current version in env may reference it) and returns
	// the current version number, 0 before the first version.
	LockHead(ctx context.Context, asset domain.AssetID, env string) (int, error)
	// LockCurrent starts a write to the versions of asset slug in env: it
	// locks the asset against deletion (as AssetStore.LockBySlug), checks
	// that env exists, locks the pair's head (as LockHead) and returns the
	// asset, the current version with its snapshot and the head's marks
	// (WriteTarget), in the same lock order as those calls and, once the
	// pair has a head, in one statement where the database allows.
	// KindAssetNotFound (also when a concurrent delete won), then
	// KindEnvironmentNotFound.
	LockCurrent(ctx context.Context, slug, env string) (WriteTarget, error)
	// Current returns the current version with its snapshot in one query; a
	// pair without versions gives Number 0 and an empty snapshot.
	Current(ctx context.Context, asset domain.AssetID, env string) (domain.Version, error)
	// Get returns one version with its snapshot; KindVersionNotFound.
	Get(ctx context.Context, asset domain.AssetID, env string, number int) (domain.Version, error)
	// List returns versions without snapshots, newest first, after the
	// cursor, and the next cursor ("" when there is none).
	List(ctx context.Context, asset domain.AssetID, env string, p domain.Page) ([]domain.Version, string, error)
	// Create inserts v and makes it the head of its pair. The caller holds
	// the head lock (LockHead) and v.Number is the head plus one;
	// KindVersionConflict otherwise (KindAssetNotFound or
	// KindEnvironmentNotFound when the pair's asset or environment is
	// missing).
	Create(ctx context.Context, v domain.Version) error
	// Heads returns the current version number of every environment that has
	// one, for one asset.
	Heads(ctx context.Context, asset domain.AssetID) (map[string]int, error)
	// CurrentOf returns, in one statement, the current version in env of
	// each asset named in slugs that exists (Number 0 and an empty snapshot
	// for one without a version there), in no particular order: what
	// references into other assets read, however many they are.
	CurrentOf(ctx context.Context, env string, slugs []string) ([]domain.AssetVersion, error)
	// LockShared keeps the heads of assets in env from moving until the
	// transaction ends (SELECT ... FOR SHARE, in asset order; heads that do
	// not exist are not created): a write whose values reference those
	// assets holds it while it checks them, so that a concurrent write of
	// one of them waits for it, or it for that write (and then reads the
	// referenced values again). It marks each of those heads as referenced
	// (WriteTarget.MayBeReferenced) in the same statement, taking the lock
	// of a head it marks exclusively, so that a writer of the asset that
	// waited for the lock reads the mark. Where writers are serialized it
	// only marks.
	LockShared(ctx context.Context, env string, assets []domain.AssetID) error
	// Referencing returns, in one statement, the current versions in env (in
	// every environment when env is "") whose snapshot may reference asset
	// slug: every one holding the text "${slug/" (secrets are sealed and hold
	// no reference); the caller parses them.
	Referencing(ctx context.Context, env, slug string) ([]domain.AssetVersion, error)
}

// SchemaStore holds the bound tenant's asset schemas, at most one per asset.
type SchemaStore interface {
	// Get returns an asset's schema; KindSchemaNotFound when it has none
	// (or the asset does not exist).
	Get(ctx context.Context, asset domain.AssetID) (domain.AssetSchema, error)
	// GetMany returns, in one statement (none for no asset), the schemas of
	// those of the assets that have one, by asset ID; an asset without a
	// schema, or that does not exist, is absent from the map.
	GetMany(ctx context.Context, assets []domain.AssetID) (map[domain.AssetID]domain.AssetSchema, error)
	// Put stores s as its asset's schema, replacing the one it had, and
	// marks every head of the asset as having one
	// (WriteTarget.MayHaveSchema); KindAssetNotFound when the asset does not
	// exist. The caller holds those heads' locks (VersionStore.LockHead).
	Put(ctx context.Context, s domain.AssetSchema) error
	// Delete removes an asset's schema and the mark of its heads;
	// KindSchemaNotFound when it has none.
	Delete(ctx context.Context, asset domain.AssetID) error
}

// MemberStore holds the bound tenant's memberships.
type MemberStore interface {
	// Add inserts a membership; KindMemberExists when the user is a member.
	Add(ctx context.Context, m domain.Membership) error
	// Get returns a membership; KindUserNotFound when the user is no member.
	Get(ctx context.Context, user domain.UserID) (domain.Membership, error)
	// List returns the members with their users, oldest first.
	List(ctx context.Context) ([]domain.Member, error)
	// SetRole changes a member's role; KindUserNotFound.
	SetRole(ctx context.Context, user domain.UserID, role domain.Role) error
	// Remove deletes a membership; KindUserNotFound.
	Remove(ctx context.Context, user domain.UserID) error
	// LockOwners locks the tenant's owner memberships until the transaction
	// ends and returns their number, so that two concurrent demotions cannot
	// remove the last owner.
	LockOwners(ctx context.Context) (int, error)
}

// APIKeyStore holds the bound tenant's API keys.
type APIKeyStore interface {
	// Create inserts a key.
	Create(ctx context.Context, k domain.APIKey) error
	// Get returns a key; KindAPIKeyNotFound.
	Get(ctx context.Context, id domain.APIKeyID) (domain.APIKey, error)
	// List returns all keys, newest first.
	List(ctx context.Context) ([]domain.APIKey, error)
	// Revoke sets RevokedAt; KindAPIKeyNotFound when the key does not exist
	// or is already revoked.
	Revoke(ctx context.Context, id domain.APIKeyID, at time.Time) error
}

// AuditStore holds the bound tenant's audit chain.
type AuditStore interface {
	// LockHead locks the tenant's chain head until the transaction ends and
	// returns the last sequence number and hash (0 and domain.GenesisHash for
	// an empty chain, or for a tenant that does not exist).
	LockHead(ctx context.Context) (seq int64, hash string, err error)
	// Append inserts e and moves the head to it. The caller holds the head
	// lock (LockHead), e.Seq is the head's plus one and e.PreviousHash the
	// head's hash; KindConflict otherwise (KindTenantNotFound for a tenant
	// that does not exist).
	Append(ctx context.Context, e domain.AuditEntry) error
	// TryAppend locks the head, without LockHead first, and inserts e and
	// moves the head to it if the head is at (e.Seq-1, e.PreviousHash). It
	// waits for a transaction that holds the head and then compares with
	// what that one committed, so an append can start from the entry of an
	// append not yet committed. When the head is elsewhere (or there is
	// none) it writes no entry and returns false, the head staying locked
	// as by LockHead, and the transaction goes on.
	TryAppend(ctx context.Context, e domain.AuditEntry) (bool, error)
	// List returns up to limit entries with Seq > afterSeq, by sequence number.
	List(ctx context.Context, afterSeq int64, limit int) ([]domain.AuditEntry, error)
	// Checkpoint returns the checkpoint of the newest entry that has one;
	// Size 0 and no Note when none has.
	Checkpoint(ctx context.Context) (domain.AuditCheckpoint, error)
	// TreeNodes returns the hashes of the tree nodes at places, in their
	// order, from the TreeNodes of the entries that completed them;
	// KindInternal when one is missing.
	TreeNodes(ctx context.Context, places []domain.AuditTreeNode) ([][]byte, error)
	// SetTree records the tree nodes and checkpoint of entry seq, written
	// before checkpoints existed; KindConflict when the entry is missing or
	// already has them.
	SetTree(ctx context.Context, seq int64, nodes [][]byte, checkpoint string) error
	// AddReads adds counts to the tenant's read counts, one per (actor,
	// asset, environment, hour, with secrets).
	AddReads(ctx context.Context, counts []domain.ReadCount) error
	// Reads returns the tenant's read counts that f selects, newest hour
	// first, at most f.Limit.
	Reads(ctx context.Context, f domain.ReadFilter) ([]domain.ReadCount, error)
}

// ReadRecorder counts resolved-configuration reads, off the request path.
type ReadRecorder interface {
	// RecordRead counts one read by actor of asset in environment.
	RecordRead(actor domain.Actor, asset, environment string, withSecrets bool)
}

// ChangePublisher tells every process's caches what the transaction changed.
// Delivery happens only if and after the transaction commits.
type ChangePublisher interface {
	// Publish queues c for delivery when the transaction commits.
	Publish(ctx context.Context, c domain.Change) error
}

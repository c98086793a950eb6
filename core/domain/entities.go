package domain

import (
	"encoding/json"
	"time"
)

// TenantID, UserID, AssetID and APIKeyID are UUIDs in canonical text form.
type (
	// TenantID identifies a tenant.
	TenantID string
	// UserID identifies a user.
	UserID string
	// AssetID identifies an asset.
	AssetID string
	// APIKeyID identifies an API key.
	APIKeyID string
)

// DefaultEnvironments are created, in this promotion order, with every tenant.
var DefaultEnvironments = []string{"local", "stage", "prod"}

// WrappedKey is a tenant's data key encrypted (AES-256-GCM) under the
// key-encryption key named by KeyID. The unwrapped key is never stored.
type WrappedKey struct {
	KeyID      string
	Ciphertext []byte
}

// Tenant is an organisation; every row of tenant data belongs to one tenant.
type Tenant struct {
	ID        TenantID
	Slug      string
	Name      string
	DataKey   WrappedKey
	CreatedAt time.Time
}

// TenantRef is the public view of a tenant.
type TenantRef struct {
	ID   TenantID
	Slug string
	Name string
}

// Ref returns the public view of t.
func (t Tenant) Ref() TenantRef { return TenantRef{ID: t.ID, Slug: t.Slug, Name: t.Name} }

// User is a person. Users are global; they reach tenants through memberships.
type User struct {
	ID           UserID
	Email        string
	PasswordHash string
	CreatedAt    time.Time
}

// UserRef is the public view of a user.
type UserRef struct {
	ID    UserID
	Email string
}

// Ref returns the public view of u.
func (u User) Ref() UserRef { return UserRef{ID: u.ID, Email: u.Email} }

// Membership gives a user a role in a tenant.
type Membership struct {
	TenantID  TenantID
	UserID    UserID
	Role      Role
	CreatedAt time.Time
}

// Member is a membership joined with its user, as listed to admins.
type Member struct {
	User UserRef
	Role Role
}

// UserMembership is one of a user's memberships joined with its tenant.
type UserMembership struct {
	Tenant TenantRef
	Role   Role
}

// UserToken is a user's bearer token, stored only as the SHA-256 digest of the
// token text.
type UserToken struct {
	ID        string
	UserID    UserID
	Digest    []byte
	ExpiresAt time.Time
	RevokedAt *time.Time
	CreatedAt time.Time
}

// Environment is a stage of delivery of a tenant; Position orders promotion.
type Environment struct {
	Name      string
	Position  int
	CreatedAt time.Time
}

// Asset is one application's configuration.
type Asset struct {
	ID          AssetID
	Slug        string
	Name        string
	Description string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// AssetSchema is an asset's JSON Schema (draft 2020-12), which every
// environment's resolved configuration must satisfy.
type AssetSchema struct {
	AssetID AssetID
	// Schema is the schema's JSON.
	Schema    json.RawMessage
	UpdatedAt time.Time
}

// APIKey is a tenant's credential for SDKs; only its digest is stored.
type APIKey struct {
	ID       APIKeyID
	TenantID TenantID
	Name     string
	// Prefix is the first characters of the key, shown to help recognise it.
	Prefix string
	Digest []byte
	// Environment limits the key to one environment when not empty.
	Environment string
	ExpiresAt   *time.Time
	RevokedAt   *time.Time
	CreatedAt   time.Time
	CreatedBy   string
}

// APIKeyCredential is what the pre-tenant lookup of an API key by its digest
// returns: just enough to authenticate the request.
type APIKeyCredential struct {
	ID          APIKeyID
	TenantID    TenantID
	Digest      []byte
	Environment string
	ExpiresAt   *time.Time
	RevokedAt   *time.Time
}

// Active reports whether a credential expiring at expires and revoked at revoked
// is usable at now.
func Active(now time.Time, expires, revoked *time.Time) bool {
	if revoked != nil {
		return false
	}
	return expires == nil || now.Before(*expires)
}

// Page asks for at most Limit items after Cursor (an opaque, adapter-defined
// position; empty for the first page).
type Page struct {
	Limit  int
	Cursor string
}

// Size is the number of rows a store returns for p: Limit, DefaultPageSize
// when it is not positive, at most MaxPageSize.
func (p Page) Size() int {
	switch {
	case p.Limit <= 0:
		return DefaultPageSize
	case p.Limit > MaxPageSize:
		return MaxPageSize
	}
	return p.Limit
}

// Audit actions.
const (
	ActionTenantCreated      = "tenant.created"
	ActionEnvironmentCreated = "environment.created"
	ActionAssetCreated       = "asset.created"
	ActionAssetUpdated       = "asset.updated"
	ActionAssetDeleted       = "asset.deleted"
	ActionValuesChanged      = "values.changed"
	ActionPromoted           = "values.promoted"
	ActionRolledBack         = "values.rolled_back"
	ActionSchemaCreated      = "schema.created"
	ActionSchemaUpdated      = "schema.updated"
	ActionSchemaDeleted      = "schema.deleted"
	ActionAPIKeyCreated      = "api_key.created"
	ActionAPIKeyRevoked      = "api_key.revoked"
	ActionMemberAdded        = "member.added"
	ActionMemberUpdated      = "member.updated"
	ActionMemberRemoved      = "member.removed"
)

// GenesisHash is the previous hash of a tenant's first audit entry.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// AuditEntry is one link of a tenant's audit chain. Hash is
// SHA-256(PreviousHash || canonical JSON of the entry's other fields); see the
// audit package for the exact canonical form.
type AuditEntry struct {
	TenantID TenantID
	Seq      int64
	Action   string
	Actor    string
	Target   string
	// Details is a JSON object in canonical form.
	Details      json.RawMessage
	CreatedAt    time.Time
	PreviousHash string
	Hash         string
	// TreeNodes are the hashes of the Merkle tree nodes this entry completes
	// as the tree's next leaf: its leaf hash, then each parent it completes,
	// level by level; Checkpoint is the signed checkpoint of the tree ending
	// with it. Both are set by audit.Log, outside the hashed form, and empty
	// for entries written before checkpoints existed.
	TreeNodes  [][]byte
	Checkpoint string
}

// ChangeKind says what a Change notification is about.
type ChangeKind string

// Change kinds.
const (
	// ChangeValues: an asset's values in one environment changed (edit,
	// promotion, rollback) or the asset was deleted (Environment empty).
	ChangeValues ChangeKind = "values"
	// ChangeAPIKey: an API key was revoked.
	ChangeAPIKey ChangeKind = "api_key"
	// ChangeMember: a user's membership of the tenant changed role or was
	// removed.
	ChangeMember ChangeKind = "member"
)

// Change tells caches what a committed transaction changed. Adapters deliver it
// to every process only after the transaction commits; each store encodes it
// in a format of its own.
type Change struct {
	Kind        ChangeKind
	TenantID    TenantID
	AssetID     AssetID
	Environment string
	APIKeyID    APIKeyID
	// UserID names the member of a ChangeMember.
	UserID UserID
}

// AuditTreeNode names one perfect subtree of a tenant's audit Merkle tree:
// the node at Level (0 for a leaf) and Index (from the left, at that level).
// Its hash is kept with the entry that completed it, entry (Index+1) << Level,
// at position Level of its TreeNodes.
type AuditTreeNode struct {
	Level int
	Index int64
}

// AuditCheckpoint is a tenant's latest signed checkpoint: the note signed
// after entry Size, the last entry that has one.
type AuditCheckpoint struct {
	Size int64
	Note string
}

// DataKeyUse is how many tenants' data keys one key-encryption key wraps,
// with one of them (the oldest tenant's) to prove the key against.
type DataKeyUse struct {
	KeyID        string
	Tenants      int64
	SampleTenant TenantID
	Sample       WrappedKey
}

// ReadCount is how many times one actor read the resolved configuration of
// one asset and environment within one hour (Hour, UTC, truncated), with or
// without secrets.
type ReadCount struct {
	Actor       string
	Asset       string
	Environment string
	Hour        time.Time
	WithSecrets bool
	Count       int64
}

// ReadFilter selects read counts; empty fields select all.
type ReadFilter struct {
	Asset       string
	Environment string
	// Since keeps the hours that end after it.
	Since time.Time
	Limit int
}

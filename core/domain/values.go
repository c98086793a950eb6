package domain

import (
	"encoding/json"
	"sort"
	"time"
)

// Version sources.
const (
	SourceEdit     = "edit"
	SourcePromote  = "promote"
	SourceRollback = "rollback"
)

// Value is a key's value as a client writes or reads it: any JSON value,
// optionally secret. Plaintext secrets exist only in memory.
type Value struct {
	Value  json.RawMessage
	Secret bool
}

// StoredValue is a key's value as stored in a version snapshot: a non-secret's
// JSON value, or a secret's sealed bytes (AES-256-GCM under the tenant's data
// key, bound to tenant, asset, environment, object and key). Stores encode
// snapshots in a format of their own.
type StoredValue struct {
	Value  json.RawMessage
	Secret bool
	Sealed []byte
}

// Snapshot is every value of one asset in one environment: object -> key -> value.
type Snapshot map[string]map[string]StoredValue

// Keys returns the number of keys in the snapshot.
func (s Snapshot) Keys() int {
	n := 0
	for _, obj := range s {
		n += len(obj)
	}
	return n
}

// Paths returns "object.key" for every key, sorted.
func (s Snapshot) Paths() []string {
	paths := make([]string, 0, s.Keys())
	for obj, keys := range s {
		for key := range keys {
			paths = append(paths, obj+"."+key)
		}
	}
	sort.Strings(paths)
	return paths
}

// Clone returns a deep copy of the map structure (values' bytes are shared,
// they are never mutated).
func (s Snapshot) Clone() Snapshot {
	out := make(Snapshot, len(s))
	for obj, keys := range s {
		m := make(map[string]StoredValue, len(keys))
		for k, v := range keys {
			m[k] = v
		}
		out[obj] = m
	}
	return out
}

// Version is an immutable snapshot of an asset's values in one environment.
// Number starts at 1; 0 means "no version yet" and has an empty snapshot.
type Version struct {
	TenantID    TenantID
	AssetID     AssetID
	Environment string
	Number      int
	CreatedAt   time.Time
	// CreatedBy is the actor, as in audit entries ("user:<id>", ...).
	CreatedBy string
	Message   string
	// Source is SourceEdit, SourcePromote or SourceRollback.
	Source string
	// Snapshot is nil in version listings.
	Snapshot Snapshot
}

// AssetVersion is an asset's current version in one environment, named by
// the asset's slug: what references between assets read.
type AssetVersion struct {
	Slug string
	Version
}

// ChangeSet is one edit of an environment's values.
type ChangeSet struct {
	Message string
	// ExpectedVersion, when set, must equal the current version or nothing changes.
	ExpectedVersion *int
	Set             map[string]map[string]Value
	Unset           map[string][]string
}

// Diff is the difference between two snapshots, as "object.key" paths.
type Diff struct {
	Added   []string
	Changed []string
	Removed []string
}

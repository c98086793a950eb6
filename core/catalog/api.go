// Package catalog is the configuration side of ConfigMat's core: environments,
// assets, their values and immutable versions, resolution, promotion and
// rollback. Every method checks the actor's role first and runs in one
// transaction bound to the actor's tenant, with its audit entry.
package catalog

import (
	"encoding/json"
	"io"
	"slices"
	"time"

	"github.com/configmat/configmat/core/audit"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/keys"
	"github.com/configmat/configmat/core/schema"
	"github.com/configmat/configmat/ports"
)

// Deps are the ports and core services the catalog needs.
type Deps struct {
	Tx     ports.Transactor
	Clock  ports.Clock
	Random io.Reader
	Keys   *keys.Manager
	Audit  *audit.Log
	// Resolutions answers Resolve once it is authorized; NewResolutions(deps)
	// when nil. core.New passes the store's, wrapped by core/cache when the
	// read cache is on.
	Resolutions ports.ResolutionSource[Resolved]
	// Reads, when set, counts every resolved configuration Resolve answers.
	Reads ports.ReadRecorder
}

// Service is the catalog service.
type Service struct {
	deps Deps
	// schemas compiles the stored schemas the writes check, each text once.
	schemas *schema.Cache
}

// New returns the catalog service.
func New(deps Deps) *Service {
	if deps.Resolutions == nil {
		deps.Resolutions = NewResolutions(deps)
	}
	return &Service{deps: deps, schemas: schema.NewCache(schema.DefaultCacheSize)}
}

// AssetInput creates an asset.
type AssetInput struct {
	Slug        string
	Name        string
	Description string
}

// AssetPatch changes an asset; nil fields stay as they are.
type AssetPatch struct {
	Name        *string
	Description *string
}

// AssetDetail is an asset with the current version number per environment.
type AssetDetail struct {
	domain.Asset
	Versions map[string]int
}

// EnvironmentValues is an environment's values at one version; secrets carry
// no value.
type EnvironmentValues struct {
	Asset       string
	Environment string
	Version     int
	Values      map[string]map[string]ValueView
}

// ValueView is a value as shown to users: Value is omitted for secrets.
type ValueView struct {
	Value  json.RawMessage
	Secret bool
}

// VersionInfo describes one version without its values.
type VersionInfo struct {
	Version   int
	CreatedAt time.Time
	CreatedBy string
	Message   string
	Source    string
}

// PromoteRequest copies one environment's values to another.
type PromoteRequest struct {
	From string
	To   string
	// ExpectedVersion guards the target environment.
	ExpectedVersion *int
	DryRun          bool
}

// PromoteResult is the diff and, unless dry run, the target's new version.
type PromoteResult struct {
	From    string
	To      string
	DryRun  bool
	Version *int
	Diff    domain.Diff
}

// RollbackResult names the new version and the version it restored.
type RollbackResult struct {
	Environment  string
	Version      int
	RestoredFrom int
}

// Resolved is what an application reads: secrets decrypted (or omitted for
// users below editor).
type Resolved struct {
	Asset       string
	Environment string
	Version     int
	Config      map[string]map[string]json.RawMessage
	// AssetID names the asset for good: a slug can be deleted and created
	// again, an ID never. With the tenant, AssetID, Environment, Version,
	// Dependencies and WithSecrets identify the resolution, whose content
	// never changes.
	AssetID domain.AssetID
	// Dependencies are the other assets the references of Config read, at
	// the versions read, sorted by asset ID: the same version resolves to
	// other content when a referenced value changes.
	Dependencies []Dependency
	// WithSecrets says whether Config holds the secrets.
	WithSecrets bool
}

// Reads returns the read set of r: its asset and the assets its references
// read.
func (r Resolved) Reads() ports.ReadSet {
	refs := make([]domain.AssetID, 0, len(r.Dependencies))
	for _, d := range r.Dependencies {
		refs = append(refs, d.AssetID)
	}
	return ports.ReadSet{Asset: r.AssetID, References: refs}
}

// SameContent reports whether r and other are the same resolution: the same
// asset, version and dependencies at the same versions, with or without
// secrets alike.
func (r Resolved) SameContent(other Resolved) bool {
	return r.AssetID == other.AssetID && r.Version == other.Version && r.WithSecrets == other.WithSecrets &&
		slices.Equal(r.Dependencies, other.Dependencies)
}

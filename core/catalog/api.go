// Package catalog is the configuration side of ConfigMat's core: environments,
// assets, their values and immutable versions, resolution, promotion and
// rollback. Every method checks the actor's role first and runs in one
// transaction bound to the actor's tenant, with its audit entry.
package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/configmat/configmat/core/audit"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/keys"
	"github.com/configmat/configmat/ports"
)

var errTODO = errors.New("catalog: not implemented yet")

// Deps are the ports and core services the catalog needs.
type Deps struct {
	Tx     ports.Transactor
	Clock  ports.Clock
	Random io.Reader
	Keys   *keys.Manager
	Audit  *audit.Log
}

// Service is the catalog service.
type Service struct {
	deps Deps
}

// New returns the catalog service.
func New(deps Deps) *Service { return &Service{deps: deps} }

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
	Versions map[string]int `json:"versions"`
}

// EnvironmentValues is an environment's values at one version; secrets carry
// no value.
type EnvironmentValues struct {
	Asset       string                          `json:"asset"`
	Environment string                          `json:"environment"`
	Version     int                             `json:"version"`
	Values      map[string]map[string]ValueView `json:"values"`
}

// ValueView is a value as shown to users: Value is omitted for secrets.
type ValueView struct {
	Value  json.RawMessage `json:"value,omitempty"`
	Secret bool            `json:"secret"`
}

// VersionInfo describes one version without its values.
type VersionInfo struct {
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	Message   string    `json:"message"`
	Source    string    `json:"source"`
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
	From    string      `json:"from"`
	To      string      `json:"to"`
	DryRun  bool        `json:"dry_run"`
	Version *int        `json:"version"`
	Diff    domain.Diff `json:"diff"`
}

// RollbackResult names the new version and the version it restored.
type RollbackResult struct {
	Environment  string `json:"environment"`
	Version      int    `json:"version"`
	RestoredFrom int    `json:"restored_from"`
}

// Resolved is what an application reads: secrets decrypted (or omitted for
// users below editor).
type Resolved struct {
	Asset       string                                `json:"asset"`
	Environment string                                `json:"environment"`
	Version     int                                   `json:"version"`
	Config      map[string]map[string]json.RawMessage `json:"config"`
}

// ListEnvironments returns the tenant's environments in promotion order (viewer).
func (s *Service) ListEnvironments(ctx context.Context, actor domain.Actor) ([]domain.Environment, error) {
	return nil, errTODO
}

// CreateEnvironment appends an environment at the end of the promotion order (admin).
func (s *Service) CreateEnvironment(ctx context.Context, actor domain.Actor, name string) (domain.Environment, error) {
	return domain.Environment{}, errTODO
}

// ListAssets pages through the tenant's assets by slug (viewer).
func (s *Service) ListAssets(ctx context.Context, actor domain.Actor, page domain.Page) ([]domain.Asset, string, error) {
	return nil, "", errTODO
}

// CreateAsset creates an asset (editor); ASSET_ALREADY_EXISTS for a taken slug.
func (s *Service) CreateAsset(ctx context.Context, actor domain.Actor, in AssetInput) (domain.Asset, error) {
	return domain.Asset{}, errTODO
}

// GetAsset returns an asset with its current versions (viewer).
func (s *Service) GetAsset(ctx context.Context, actor domain.Actor, slug string) (AssetDetail, error) {
	return AssetDetail{}, errTODO
}

// UpdateAsset changes an asset's name or description (editor).
func (s *Service) UpdateAsset(ctx context.Context, actor domain.Actor, slug string, patch AssetPatch) (domain.Asset, error) {
	return domain.Asset{}, errTODO
}

// DeleteAsset deletes an asset with all its versions (admin).
func (s *Service) DeleteAsset(ctx context.Context, actor domain.Actor, slug string) error {
	return errTODO
}

// GetValues returns an environment's current values (viewer).
func (s *Service) GetValues(ctx context.Context, actor domain.Actor, slug, env string) (EnvironmentValues, error) {
	return EnvironmentValues{}, errTODO
}

// ApplyChangeSet writes a change set as the environment's next version (editor).
func (s *Service) ApplyChangeSet(ctx context.Context, actor domain.Actor, slug, env string, cs domain.ChangeSet) (EnvironmentValues, error) {
	return EnvironmentValues{}, errTODO
}

// ListVersions pages through an environment's versions, newest first (viewer).
func (s *Service) ListVersions(ctx context.Context, actor domain.Actor, slug, env string, page domain.Page) ([]VersionInfo, string, error) {
	return nil, "", errTODO
}

// GetVersion returns the values of one version (viewer).
func (s *Service) GetVersion(ctx context.Context, actor domain.Actor, slug, env string, number int) (EnvironmentValues, error) {
	return EnvironmentValues{}, errTODO
}

// Promote diffs and, unless dry run, replaces the target's values with the
// source's as the target's next version (editor).
func (s *Service) Promote(ctx context.Context, actor domain.Actor, slug string, req PromoteRequest) (PromoteResult, error) {
	return PromoteResult{}, errTODO
}

// Rollback makes the environment's next version hold exactly the values of
// an earlier version (editor).
func (s *Service) Rollback(ctx context.Context, actor domain.Actor, slug, env string, version int) (RollbackResult, error) {
	return RollbackResult{}, errTODO
}

// Resolve returns the resolved configuration: for an API key (limited to its
// environment, else PERMISSION_DENIED) or a user (viewer; secrets omitted
// below editor).
func (s *Service) Resolve(ctx context.Context, actor domain.Actor, slug, env string) (Resolved, error) {
	return Resolved{}, errTODO
}

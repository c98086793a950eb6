package ports

import (
	"context"

	"github.com/configmat/configmat/core/domain"
)

// The read ports below are the hot read path: what every SDK poll reads.
// The core implements them over the Transactor and, when a read cache is
// configured, core/cache wraps them; the services call them without knowing
// which.

// ResolutionKey names one resolution: what a reader sees of one asset's
// environment in one tenant.
type ResolutionKey struct {
	Tenant domain.TenantID
	// Asset is the asset's slug.
	Asset       string
	Environment string
	// WithSecrets distinguishes what a viewer may see (no secrets) from what
	// an editor or an API key sees (secrets decrypted).
	WithSecrets bool
}

// ResolutionSource produces the current resolved configuration of a key.
// V is the resolved value (catalog.Resolved); authorization is the caller's,
// done before asking.
type ResolutionSource[V any] interface {
	// Resolve returns k's current resolution and the assets it was read
	// from, by which committed changes (domain.Change) invalidate it.
	// KindAssetNotFound and KindEnvironmentNotFound name what is missing.
	Resolve(ctx context.Context, k ResolutionKey) (V, ReadSet, error)
}

// ReadSet names the assets a resolution was read from: its own, and the
// other assets of the tenant that its references read (in the same
// environment). A committed change of any of them in that environment
// changes the resolution.
type ReadSet struct {
	Asset domain.AssetID
	// References are the other assets, sorted, each once.
	References []domain.AssetID
}

// Each calls fn with the read set's asset, then each referenced asset.
func (r ReadSet) Each(fn func(domain.AssetID)) {
	fn(r.Asset)
	for _, a := range r.References {
		fn(a)
	}
}

// APIKeyLookup finds API-key credentials before any tenant is known: each
// call runs in its own Global transaction.
type APIKeyLookup interface {
	// ByDigest returns the credential of the key whose text has this SHA-256
	// digest; KindInvalidAPIKey when there is none. Expiry and revocation are
	// the caller's to check, on every use.
	ByDigest(ctx context.Context, digest []byte) (domain.APIKeyCredential, error)
}

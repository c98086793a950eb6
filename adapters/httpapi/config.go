package httpapi

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/configmat/configmat/core/audit"
	"github.com/configmat/configmat/core/catalog"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/identity"
	"github.com/configmat/configmat/ports"
)

// Config is what the HTTP adapter needs; cmd/configmat builds it.
type Config struct {
	Catalog  CatalogService
	Identity IdentityService
	Audit    AuditService
	// Limiter counts requests per client IP, user or API key; nil disables
	// rate limiting (and its headers).
	Limiter ports.RateLimiter
	// TrustedProxies are the peers whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// RateLimitIPv6Prefix is the prefix length (1 to 128) of the IPv6
	// networks anonymous clients are counted per; 0 means
	// DefaultIPv6Prefix, and a length over 128 counts per address.
	RateLimitIPv6Prefix int
	// Logger receives the access log and error details; nil uses logrus's
	// standard logger.
	Logger logrus.FieldLogger
	// AccessLog, when set, writes the access log lines in Logger's place:
	// the same lines, from typed fields, without logrus's entry machinery
	// (cmd/configmat gives it logging.Lines of Logger). A line it declines
	// goes to Logger.
	AccessLog LineWriter
	// AllowSignup enables POST /api/v1/auth/register.
	AllowSignup bool
	// Health holds the checks of GET /health/detailed by name: "database",
	// "cache" and "encryption" are expected.
	Health map[string]HealthCheck
	// HealthTimeout bounds each health check; 0 means 5 seconds.
	HealthTimeout time.Duration
	// Version is reported by GET /health/detailed.
	Version string
	// Now tells the time; nil uses time.Now.
	Now func() time.Time
	// OpenAPI is served at GET /api/v1/openapi.json.
	OpenAPI []byte
	// ETagKey keys the ETag of resolved configurations (HMAC-SHA-256 of the
	// body); every process must be given the same key, derived from
	// ENCRYPTION_KEY (keys.KEK.ETagKey), and it must never be logged. Empty
	// means a random key of this process, so ETags differ between processes.
	ETagKey []byte
	// Observer, when set, is told of every request once it is answered;
	// cmd/configmat gives it the Prometheus metrics.
	Observer RequestObserver
	// Metrics, when set, answers GET /metrics: anyone, never rate limited.
	// Nil leaves /metrics unrouted (404 NOT_FOUND), as when METRICS_ADDR
	// serves it on a listener of its own.
	Metrics http.Handler
	// Watch follows resolved configurations for watch streams and long
	// polls (core.Core.Watch); New requires it.
	Watch WatchService
	// Console, when set, is the web console: GET / redirects to /console/
	// and every path it lists answers GET and HEAD with it, for anyone and
	// never rate limited (its pages call the API, which counts those calls
	// as the signed-in user's). Nil leaves / and /console unrouted.
	Console Console
	// WatchKeepAlive is how often an idle watch stream sends a comment
	// line; 0 means DefaultWatchKeepAlive.
	WatchKeepAlive time.Duration
}

// Console is the web console as the API serves it (adapters/console).
type Console interface {
	http.Handler
	// Paths lists every path the console answers, without a trailing
	// slash.
	Paths() []string
}

// RequestObserver is told of every request when its access log line is
// written: route is the matched route template ("" when no route matched),
// never the path; method is the request's, as sent; status and took are what
// the access log reports. It runs on the request's goroutine, so it must not
// block.
type RequestObserver interface {
	ObserveRequest(route, method string, status int, took time.Duration)
}

// LineWriter writes a log line of typed fields (log/slog attributes, which
// hold a string or a number without boxing it) as the logger it is bound to
// would write the entry of those fields at level and time t (the current
// time when zero), and reports true; or writes nothing and reports false.
// It runs on the request's goroutine.
type LineWriter interface {
	WriteLine(level logrus.Level, t time.Time, msg string, fields []slog.Attr) bool
}

// HealthCheck probes one dependency. status is shown to anyone as is, so it
// must never hold a secret, a DSN or a raw error text; the adapter sets
// status["status"] to "healthy" or "unhealthy" when the check leaves it out.
type HealthCheck func(ctx context.Context) (status map[string]any, healthy bool)

// CatalogService is the part of catalog.Service the HTTP adapter calls.
type CatalogService interface {
	ListEnvironments(ctx context.Context, actor domain.Actor) ([]domain.Environment, error)
	CreateEnvironment(ctx context.Context, actor domain.Actor, name string) (domain.Environment, error)
	ListAssets(ctx context.Context, actor domain.Actor, page domain.Page) ([]domain.Asset, string, error)
	CreateAsset(ctx context.Context, actor domain.Actor, in catalog.AssetInput) (domain.Asset, error)
	GetAsset(ctx context.Context, actor domain.Actor, slug string) (catalog.AssetDetail, error)
	UpdateAsset(ctx context.Context, actor domain.Actor, slug string, patch catalog.AssetPatch) (domain.Asset, error)
	DeleteAsset(ctx context.Context, actor domain.Actor, slug string) error
	GetValues(ctx context.Context, actor domain.Actor, slug, env string) (catalog.EnvironmentValues, error)
	ApplyChangeSet(ctx context.Context, actor domain.Actor, slug, env string, cs domain.ChangeSet) (catalog.EnvironmentValues, error)
	ListVersions(ctx context.Context, actor domain.Actor, slug, env string, page domain.Page) ([]catalog.VersionInfo, string, error)
	GetVersion(ctx context.Context, actor domain.Actor, slug, env string, number int) (catalog.EnvironmentValues, error)
	Promote(ctx context.Context, actor domain.Actor, slug string, req catalog.PromoteRequest) (catalog.PromoteResult, error)
	Rollback(ctx context.Context, actor domain.Actor, slug, env string, version int) (catalog.RollbackResult, error)
	Resolve(ctx context.Context, actor domain.Actor, slug, env string) (catalog.Resolved, error)
	Compare(ctx context.Context, actor domain.Actor, slug string, envs []string) (catalog.Comparison, error)
	GetSchema(ctx context.Context, actor domain.Actor, slug string) (catalog.AssetSchema, error)
	PutSchema(ctx context.Context, actor domain.Actor, slug string, schema json.RawMessage) (catalog.AssetSchema, error)
	DeleteSchema(ctx context.Context, actor domain.Actor, slug string) error
}

// IdentityService is the part of identity.Service the HTTP adapter calls.
type IdentityService interface {
	Register(ctx context.Context, in identity.RegisterInput) (identity.Registration, error)
	Login(ctx context.Context, email, password string) (identity.IssuedToken, error)
	AuthenticateToken(ctx context.Context, token, tenantSlug string) (domain.Actor, error)
	AuthenticateAPIKey(ctx context.Context, key string) (domain.Actor, error)
	Me(ctx context.Context, actor domain.Actor) (identity.Me, error)
	ListMembers(ctx context.Context, actor domain.Actor) ([]domain.Member, error)
	AddMember(ctx context.Context, actor domain.Actor, email string, role domain.Role) (domain.Member, error)
	UpdateMember(ctx context.Context, actor domain.Actor, user domain.UserID, role domain.Role) (domain.Member, error)
	RemoveMember(ctx context.Context, actor domain.Actor, user domain.UserID) error
	ListAPIKeys(ctx context.Context, actor domain.Actor) ([]domain.APIKey, error)
	CreateAPIKey(ctx context.Context, actor domain.Actor, in identity.APIKeyInput) (identity.CreatedAPIKey, error)
	RevokeAPIKey(ctx context.Context, actor domain.Actor, id domain.APIKeyID) error
}

// AuditService is the part of audit.Service the HTTP adapter calls.
type AuditService interface {
	List(ctx context.Context, actor domain.Actor, afterSeq int64, limit int) ([]domain.AuditEntry, string, error)
	Verify(ctx context.Context, actor domain.Actor) (audit.Verification, error)
	Checkpoint(ctx context.Context, actor domain.Actor) (audit.Checkpoint, error)
	Inclusion(ctx context.Context, actor domain.Actor, seq, size int64) (audit.InclusionProof, error)
	Consistency(ctx context.Context, actor domain.Actor, from, to int64) (audit.ConsistencyProof, error)
	VerifierKey() string
	Reads(ctx context.Context, actor domain.Actor, f domain.ReadFilter) ([]domain.ReadCount, error)
}

// The core services satisfy the adapter's interfaces.
var (
	_ CatalogService  = (*catalog.Service)(nil)
	_ IdentityService = (*identity.Service)(nil)
	_ AuditService    = (*audit.Service)(nil)
)

package httpapi

import (
	"crypto/rand"
	"crypto/sha256"
	"net/http"
	"time"

	"github.com/sirupsen/logrus"
)

// server holds the configured dependencies shared by middlewares and handlers.
type server struct {
	catalog  CatalogService
	identity IdentityService
	audit    AuditService
	limiter  rateLimiter
	proxies  trustedProxies
	logger   logrus.FieldLogger
	// accessLines writes the access log lines when set (Config.AccessLog).
	accessLines LineWriter
	signup      bool
	health      map[string]HealthCheck
	// healthTimeout bounds each health check.
	healthTimeout time.Duration
	version       string
	now           func() time.Time
	// realClock is set when now is time.Now (Config.Now is nil).
	realClock bool
	openapi   []byte
	// bodies keeps the encoded answers of the resolved-config route.
	bodies *resolvedBodies
	// observer is told of every answered request; nil when none.
	observer RequestObserver
	// metrics answers GET /metrics; nil leaves the path unrouted.
	metrics http.Handler
	// requestIDs names the requests that come without a sane ID.
	requestIDs *requestIDs
	// watch follows resolved configurations for streams and long polls.
	watch WatchService
	// keepAlive is how often an idle stream sends a comment line.
	keepAlive time.Duration
	// console serves the web console; nil when none.
	console Console
}

// New returns the HTTP handler of the ConfigMat API. It panics when a core
// service is missing, a wiring mistake that must not reach production.
func New(cfg Config) http.Handler {
	if cfg.Watch == nil {
		panic("httpapi: Config needs Watch")
	}
	s := newServer(cfg)
	return s.withRequestState(s.accessLog(recoverPanics(s.refuseCrossOrigin(routingPath(s.withPollRoute(s.router()))))))
}

// newServer checks cfg and fills in its defaults.
func newServer(cfg Config) *server {
	if cfg.Catalog == nil || cfg.Identity == nil || cfg.Audit == nil {
		panic("httpapi: Config needs Catalog, Identity and Audit")
	}
	s := &server{
		catalog:       cfg.Catalog,
		identity:      cfg.Identity,
		audit:         cfg.Audit,
		proxies:       trustedProxies(cfg.TrustedProxies),
		logger:        cfg.Logger,
		accessLines:   cfg.AccessLog,
		signup:        cfg.AllowSignup,
		health:        cfg.Health,
		healthTimeout: cfg.HealthTimeout,
		version:       cfg.Version,
		now:           cfg.Now,
		openapi:       cfg.OpenAPI,
		bodies:        newResolvedBodies(maxAnswers, maxAnswerBytes, etagKeyOf(cfg)),
		observer:      cfg.Observer,
		metrics:       cfg.Metrics,
		requestIDs:    newRequestIDs(),
		watch:         cfg.Watch,
		keepAlive:     cfg.WatchKeepAlive,
		console:       cfg.Console,
	}
	if s.keepAlive <= 0 {
		s.keepAlive = DefaultWatchKeepAlive
	}
	if s.logger == nil {
		s.logger = logrus.StandardLogger()
	}
	if s.healthTimeout <= 0 {
		s.healthTimeout = defaultHealthTimeout
	}
	if s.now == nil {
		s.now, s.realClock = time.Now, true
	}
	prefix := cfg.RateLimitIPv6Prefix
	switch {
	case prefix <= 0:
		prefix = DefaultIPv6Prefix
	case prefix > 128:
		prefix = 128
	}
	s.limiter = rateLimiter{limiter: cfg.Limiter, now: s.now, ipv6Prefix: prefix}
	return s
}

// etagKeyOf returns cfg's ETag key, or a random key of this process when
// it has none.
func etagKeyOf(cfg Config) []byte {
	if len(cfg.ETagKey) > 0 {
		return cfg.ETagKey
	}
	key := make([]byte, sha256.Size)
	_, _ = rand.Read(key) // crypto/rand.Read never fails
	return key
}

// NewServer returns an http.Server for h with timeouts that protect against
// slow clients.
func NewServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}

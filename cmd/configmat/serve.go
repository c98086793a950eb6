package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sirupsen/logrus"

	"github.com/configmat/configmat/adapters/console"
	"github.com/configmat/configmat/adapters/httpapi"
	"github.com/configmat/configmat/adapters/logging"
	"github.com/configmat/configmat/adapters/metrics"
	"github.com/configmat/configmat/adapters/ratelimit"
	"github.com/configmat/configmat/api"
	"github.com/configmat/configmat/core/audit"
	"github.com/configmat/configmat/core/cache"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/keys"
	"github.com/configmat/configmat/ports"
)

// shutdownTimeout bounds how long in-flight requests may take to finish.
const shutdownTimeout = 30 * time.Second

// cmdServe runs the HTTP server until SIGTERM or SIGINT, then drains
// in-flight requests, closes Redis and the pool, and returns nil (exit 0),
// or an exit status 1 when the drain took longer than shutdownTimeout.
// It does not listen before the change feed is live: a feed that cannot
// connect or does not receive its own notification stops it.
func cmdServe(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "serve", "serve")
	if err := parseFlags(fs, args, nil); err != nil {
		return err
	}
	s, logger, err := loadSettings(e)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, s, logger, true)
	if err != nil {
		return err
	}
	defer a.close()
	if err := a.refuseRLSBypass(ctx); err != nil {
		return err
	}

	redis.SetLogger(redisLogger{logger: logger})
	rateLimiter, redisClient, err := newLimiter(s, logger)
	if err != nil {
		return err
	}
	if redisClient != nil {
		defer func() { _ = redisClient.Close() }()
	}
	// Before Redis closes: the counts decided in process since the last
	// reconcile reach Redis.
	defer func() { _ = rateLimiter.Close() }()

	stopFeed, err := a.startFeed()
	if err != nil {
		return err
	}
	defer stopFeed()

	m := a.newMetrics()
	if s.MetricsAddr != "" {
		stopMetrics, err := a.serveMetrics(m)
		if err != nil {
			return err
		}
		defer stopMetrics()
	}
	ln, err := net.Listen("tcp", s.ListenAddr)
	if err != nil {
		return fmt.Errorf("LISTEN_ADDR %s: %w", s.ListenAddr, err)
	}
	srv := httpapi.NewServer(ln.Addr().String(), a.handler(m.CountDenials(rateLimiter), redisClient, m))
	// Shutdown waits for idle connections, and a watch stream never is:
	// ending every stream lets their clients reconnect to another process.
	srv.RegisterOnShutdown(a.core.Watch.Close)
	a.shutdownTimeout = shutdownTimeout
	return a.serve(ctx, e, srv, ln)
}

// handler builds the HTTP API over the wired core, observed by m, which it
// also serves at GET /metrics unless METRICS_ADDR serves it apart.
func (a *app) handler(limiter ports.RateLimiter, redisClient *redis.Client, m *metrics.Metrics) http.Handler {
	var metricsHandler http.Handler
	if a.settings.MetricsAddr == "" {
		metricsHandler = m.Handler()
	}
	return httpapi.New(httpapi.Config{
		Catalog:        a.core.Catalog,
		Identity:       a.core.Identity,
		Audit:          a.core.Audit,
		Limiter:        limiter,
		TrustedProxies: a.settings.TrustedProxies,
		Logger:         a.logger,
		AccessLog:      logging.Lines(a.logger),
		AllowSignup:    a.settings.AllowSignup,
		Health:         a.healthChecks(redisClient),
		Version:        version,
		OpenAPI:        api.OpenAPIJSON,

		RateLimitIPv6Prefix: a.settings.RateLimitIPv6Prefix,
		ETagKey:             a.kek.ETagKey(),
		Observer:            m,
		Metrics:             metricsHandler,
		Watch:               a.core.Watch,
		Console:             console.New(),
	})
}

// newMetrics builds the process's Prometheus metrics over the counters the
// cache, the store's pool, the change feed and the audit log keep.
func (a *app) newMetrics() *metrics.Metrics {
	return metrics.New(metrics.Sources{
		Version:        version,
		Cache:          a.cache.Stats,
		Pool:           a.store.Stats,
		FeedLive:       a.cache.Live,
		FeedReconnects: a.feedReconnects.Load,
		AuditAppends:   a.core.AuditLog.Appended,
		WatchStreams:   a.core.Watch.Streams,
		LongPolls:      a.core.Watch.LongPolls,
	})
}

// metricsShutdownTimeout bounds the metrics listener's shutdown: a scrape
// takes milliseconds.
const metricsShutdownTimeout = 5 * time.Second

// serveMetrics serves m alone on METRICS_ADDR (GET /metrics, 404 for any
// other path) until the returned function shuts it down; serve defers it,
// so the metrics stay scrapable while the API drains.
func (a *app) serveMetrics(m *metrics.Metrics) (stop func(), err error) {
	ln, err := net.Listen("tcp", a.settings.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("METRICS_ADDR %s: %w", a.settings.MetricsAddr, err)
	}
	srv := httpapi.NewServer(ln.Addr().String(), m.ServeMux())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			a.logger.WithError(err).Error("metrics listener stopped")
		}
	}()
	a.logger.WithField("addr", ln.Addr().String()).Info("metrics listening")
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), metricsShutdownTimeout)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			_ = srv.Close()
		}
		<-done
	}, nil
}

// startFeed runs the change feed in the background once it is live; the
// returned function stops it and waits for it. A feed that fails before it
// is first live (PostgreSQL: a LISTEN_DATABASE_URL that does not connect,
// or that does not deliver the feed's own probe notification) is an error
// naming LISTEN_DATABASE_URL, and nothing keeps running.
func (a *app) startFeed() (stop func(), err error) {
	ctx, cancel := context.WithCancel(context.Background())
	live := make(chan struct{})
	failed := make(chan error, 1)
	var done sync.WaitGroup
	done.Add(1)
	go func() {
		defer done.Done()
		a.runFeed(ctx, live, failed)
	}()
	stop = func() { cancel(); done.Wait() }
	select {
	case <-live:
		return stop, nil
	case err := <-failed:
		stop()
		return nil, fmt.Errorf("LISTEN_DATABASE_URL (default: DATABASE_URL): %v", plain(err))
	}
}

// serve answers on ln until ctx ends, then lets in-flight requests finish
// within a.shutdownTimeout; past it their connections are closed and serve
// answers exit status 1, so that a supervisor sees the forced stop.
func (a *app) serve(ctx context.Context, e env, srv *http.Server, ln net.Listener) error {
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	stopReads := a.startReadFlush()

	// The start-up warnings are in the log before the program says it
	// listens, so that whoever waits for that line sees them.
	a.logWarnings()
	store := storeName(a.settings)
	a.logger.WithFields(logrus.Fields{"addr": ln.Addr().String(), "version": version, "store": store}).Info("configmat listening")
	url := "http://" + displayAddr(ln.Addr())
	mode := ""
	if a.settings.Debug {
		mode = ", development mode: DO NOT USE IN PRODUCTION"
	}
	fmt.Fprintf(e.stdout, "ConfigMat listening on %s (store: %s%s) - begin with the README's walk-through: curl %s/health\n", url, store, mode, url)

	select {
	case err := <-serveErr:
		stopReads()
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	a.logger.Info("shutting down: finishing in-flight requests")
	shutCtx, cancel := context.WithTimeout(context.Background(), a.shutdownTimeout)
	defer cancel()
	err := srv.Shutdown(shutCtx)
	// The reads counted until the last request are kept.
	stopReads()
	if err != nil {
		_ = srv.Close()
		a.logger.WithField("limit", a.shutdownTimeout.String()).Error("shutdown forced: in-flight requests did not finish within the limit; their connections were closed")
		return &exitError{code: 1}
	}
	a.logger.Info("stopped")
	return nil
}

// readFlushTimeout bounds the last flush of the read counts at shutdown.
const readFlushTimeout = 10 * time.Second

// startReadFlush adds the counted reads to the store every
// audit.ReadFlushInterval until stop is called, which flushes once more and
// waits for it.
func (a *app) startReadFlush() (stop func()) {
	if a.core == nil || a.core.Reads == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- a.core.Reads.Run(ctx, audit.ReadFlushInterval,
			func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), readFlushTimeout)
			},
			func(err error) { a.logger.WithError(err).Warn("read counts not flushed; kept for the next flush") })
	}()
	return func() {
		cancel()
		if err := <-done; err != nil {
			a.logger.WithError(err).Error("the last read counts could not be flushed")
		}
	}
}

// displayAddr turns a listen address into one a browser can use.
func displayAddr(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

func storeName(s Settings) string {
	kind, _, _ := s.Store()
	return kind
}

// newLimiter builds the rate limiter: in process, or shared through Redis
// behind a circuit that counts authenticated requests in process while Redis
// fails and logs the outage to logger once per interval.
func newLimiter(s Settings, logger logrus.FieldLogger) (*ratelimit.Limiter, *redis.Client, error) {
	if s.RedisURL == "" {
		return ratelimit.New(ratelimit.NewMemoryStore(), s.RateLimits), nil, nil
	}
	opts, err := redis.ParseURL(s.RedisURL)
	if err != nil {
		return nil, nil, &exitError{code: 2, err: errors.New("REDIS_URL: not a valid redis:// URL")}
	}
	failFast(opts)
	client := redis.NewClient(opts)
	store, err := ratelimit.NewRedisStore(client)
	if err != nil {
		_ = client.Close()
		return nil, nil, fmt.Errorf("REDIS_URL: %s", redisProblem(err))
	}
	return ratelimit.NewWithFallback(store, s.RateLimits, ratelimit.CircuitOptions{Logger: logger}), client, nil
}

// failFast shortens the Redis client's timeouts and retries that REDIS_URL
// leaves unset: every rate-limited request waits for Redis, and when it is
// down the fail-open or fail-closed answer must come in milliseconds.
func failFast(opts *redis.Options) {
	set := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	set(&opts.DialTimeout, 250*time.Millisecond)
	set(&opts.ReadTimeout, 250*time.Millisecond)
	set(&opts.WriteTimeout, 250*time.Millisecond)
	set(&opts.PoolTimeout, 500*time.Millisecond)
	if opts.MaxRetries == 0 {
		opts.MaxRetries = 1
	}
	if opts.DialerRetries == 0 {
		opts.DialerRetries = 1
	}
}

// runFeed keeps the cache in step with every process's committed changes.
// It closes live when the feed is first live; an error before that is sent
// on failed and ends it. Later failures are retried every second, the cache
// bypassed meanwhile. The end of ctx (a shutdown) is logged as no failure.
func (a *app) runFeed(ctx context.Context, live chan<- struct{}, failed chan<- error) {
	// started is only touched by onState, which Listen calls on this
	// goroutine.
	started := false
	onState := func(up bool) {
		a.cache.SetLive(up)
		a.core.Watch.SetLive(up)
		switch {
		case up:
			if !started {
				started = true
				close(live)
			} else {
				a.feedReconnects.Add(1)
			}
			a.logger.Info("change feed live: read cache enabled")
		case ctx.Err() == nil:
			a.logger.Warn("change feed down: read cache dropped and bypassed")
		}
	}
	for ctx.Err() == nil {
		err := a.store.Listen(ctx, a.applyChange, onState)
		a.cache.SetLive(false)
		if ctx.Err() != nil {
			return
		}
		if !started {
			if err == nil {
				err = errors.New("the change feed stopped before it was live")
			}
			failed <- err
			return
		}
		a.logger.WithError(err).Error("change feed stopped; retrying")
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// applyChange acts on a change committed by any process: the read cache
// drops what it made stale, then the watch hub resolves what its
// subscribers follow again (reading past the cache) and ends what the
// change ends.
func (a *app) applyChange(ch domain.Change) {
	a.cache.Apply(ch)
	a.core.Watch.Apply(ch)
}

// healthChecks builds the checks of GET /health/detailed. The contract's
// "cache" check covers the read cache, always in this process's memory, and,
// with REDIS_URL, the Redis that holds the shared rate-limit counters.
func (a *app) healthChecks(redisClient *redis.Client) map[string]httpapi.HealthCheck {
	return map[string]httpapi.HealthCheck{
		"database":   a.store.Health,
		"cache":      cacheCheck(a.cache, redisClient),
		"encryption": encryptionCheck(a.store, a.core.Keys, a.kek.ID()),
	}
}

// encryptionCheck reports whether every key that wraps a stored data key is
// configured and unwraps one, the current key's ID, and how many data keys
// still sit on a previous key (`configmat keys rotate` rewraps them). When
// no data key can be read (the database is down) the check cannot run: it
// says "unknown", and why, instead of blaming the key.
func encryptionCheck(store backend, km *keys.Manager, keyID string) httpapi.HealthCheck {
	return func(ctx context.Context) (map[string]any, bool) {
		status := map[string]any{"status": "healthy", "algorithm": "AES-256-GCM", "key_id": keyID}
		uses, err := checkKEK(ctx, store, km)
		if uses != nil {
			status["data_keys_on_previous_keys"] = keys.OnPrevious(uses, keyID)
		}
		var wrongKey *kekMismatch
		var damaged *damagedDataKey
		switch {
		case err == nil:
			return status, true
		case errors.As(err, &wrongKey):
			status["status"] = "unhealthy"
			status["error"] = "a stored data key is wrapped by a key that is not configured"
		case errors.As(err, &damaged):
			status["status"] = "degraded"
			status["error"] = "a stored data key does not unwrap although its key is configured: that tenant's row is damaged"
		default:
			status["status"] = "unknown"
			status["reason"] = "could not run: the database is unavailable, so no stored data key could be read"
		}
		return status, false
	}
}

// cacheCheck reports the read cache, which is always this process's memory
// ("backend"), whether its invalidation is live or bypassed (the change
// feed is down or has not proven itself: degraded), and where the
// rate limits are counted ("rate_limit_store": "memory", or "redis" when
// REDIS_URL is set). Redis holds only the rate limits, but the contract has
// the cache reported degraded while Redis is unreachable.
func cacheCheck(c *cache.Cache, redisClient *redis.Client) httpapi.HealthCheck {
	return func(ctx context.Context) (map[string]any, bool) {
		status := map[string]any{"status": "healthy", "backend": "memory", "invalidation": "live", "rate_limit_store": "memory"}
		healthy := c.Live()
		if !healthy {
			status["status"] = "degraded"
			status["invalidation"] = "bypassed"
		}
		if redisClient == nil {
			return status, healthy
		}
		status["rate_limit_store"] = "redis"
		if err := redisClient.Ping(ctx).Err(); err != nil {
			status["status"] = "unhealthy"
			status["error"] = "redis unreachable"
			return status, false
		}
		return status, healthy
	}
}

// refuseRLSBypass stops serve when the service's own connection could bypass
// row-level security, unless DEBUG=true (then it warns).
func (a *app) refuseRLSBypass(ctx context.Context) error {
	checker, ok := a.store.(rlsChecker)
	if !ok {
		return nil
	}
	bypass, err := checker.CanBypassRLS(ctx)
	if err != nil {
		return fmt.Errorf("checking the database role: %w", err)
	}
	if !bypass {
		return nil
	}
	msg := "DATABASE_URL connects as a role that can bypass row-level security (superuser, BYPASSRLS, table owner or a member of configmat_directory); connect as the application role (see README)"
	if a.settings.Debug {
		a.warnings = append(a.warnings, msg+"; allowed because DEBUG=true")
		return nil
	}
	return &exitError{code: 2, err: errors.New(msg)}
}

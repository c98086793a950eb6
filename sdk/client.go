package sdk

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultTimeout bounds one Get when the client was built without
// WithHTTPClient. Streams and long polls have no overall timeout.
const DefaultTimeout = 30 * time.Second

// Option configures a Client.
type Option func(*options)

type options struct {
	httpClient              *http.Client
	fallbackPath            string
	backoffBase, backoffMax time.Duration
	userAgent               string
	logger                  *slog.Logger
	err                     error

	// pollWait is the wait of a long poll.
	pollWait time.Duration
	// idleTimeout ends a stream that sent nothing (not even a keep-alive)
	// for that long.
	idleTimeout time.Duration
	// healthyAfter is how long a stream must stay open, without any event,
	// to reset the backoff.
	healthyAfter time.Duration
	// streamProbe is how long Watch long-polls after streaming was refused
	// before it tries to stream again.
	streamProbe time.Duration
	// random is the backoff's source of randomness (tests).
	random func(n int64) int64
}

// WithHTTPClient sends every request through c (its Transport, Timeout,
// Jar...). Get uses c as it is; streams and long polls use a copy without
// c.Timeout, which would cut them. Redirects are followed only to the same
// host, never from https to http, so the API key never leaves for another.
func WithHTTPClient(c *http.Client) Option {
	return func(o *options) {
		if c == nil {
			o.err = errors.New("configmat: WithHTTPClient needs a client")
			return
		}
		o.httpClient = c
	}
}

// WithFallbackFile keeps an encrypted copy of every configuration read in
// the file at path (mode 0600, written atomically after every successful
// read that brought a new version), and answers from it when the server
// cannot be reached: Get and the start of Watch then return its
// configuration with FromFallback set. The file is encrypted under a key
// derived from the API key and holds no plaintext value; it keeps one entry
// per asset and environment read with that key.
func WithFallbackFile(path string) Option {
	return func(o *options) {
		if path == "" {
			o.err = errors.New("configmat: WithFallbackFile needs a path")
			return
		}
		o.fallbackPath = path
	}
}

// WithBackoff sets the reconnection backoff of Watch: after the n-th
// consecutive failure it waits a random time in [0, min(max, base*2^n)];
// a connection that delivered a configuration starts over. The defaults
// are DefaultBackoffBase and DefaultBackoffMax.
func WithBackoff(base, max time.Duration) Option {
	return func(o *options) {
		if base <= 0 || max < base {
			o.err = errors.New("configmat: WithBackoff needs 0 < base <= max")
			return
		}
		o.backoffBase, o.backoffMax = base, max
	}
}

// WithUserAgent sets the User-Agent of every request.
func WithUserAgent(ua string) Option {
	return func(o *options) { o.userAgent = ua }
}

// WithLogger reports what the SDK does on its own (a reconnection, the
// switch to long polling, an answer from the fallback file, a fallback file
// that could not be written) to l; by default nothing is logged. No record
// holds the API key or a value.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}

// Client reads resolved configurations from one ConfigMat server with one
// API key. It is safe for concurrent use.
type Client struct {
	// base is the server's URL, without a trailing slash.
	base   *url.URL
	apiKey string
	opts   options
	// http serves Get; long serves streams and long polls.
	http, long *http.Client
	fallback   *fallbackFile

	mu sync.Mutex
	// cache holds the last configuration read of each asset and
	// environment, for If-None-Match; never handed out (only copies).
	cache map[cacheKey]*Config
}

type cacheKey struct{ asset, env string }

// New returns a client of the server at addr (e.g. "http://127.0.0.1:8080")
// reading with apiKey.
func New(addr, apiKey string, opts ...Option) (*Client, error) {
	base, err := url.Parse(addr)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, errors.New("configmat: the server address must be an http:// or https:// URL, e.g. http://127.0.0.1:8080")
	}
	if base.User != nil || base.RawQuery != "" || base.Fragment != "" {
		return nil, errors.New("configmat: the server address must hold no credentials, query or fragment")
	}
	base.Path = strings.TrimRight(base.Path, "/")
	base.RawPath = ""
	if apiKey == "" {
		return nil, errors.New("configmat: an API key is required")
	}
	for _, r := range apiKey {
		if r <= ' ' || r > '~' {
			// The key itself is never part of a message.
			return nil, errors.New("configmat: the API key holds a character that no API key has")
		}
	}
	o := options{
		backoffBase:  DefaultBackoffBase,
		backoffMax:   DefaultBackoffMax,
		userAgent:    "configmat-go-sdk",
		logger:       slog.New(slog.DiscardHandler),
		pollWait:     25 * time.Second,
		idleTimeout:  45 * time.Second,
		healthyAfter: 30 * time.Second,
		streamProbe:  5 * time.Minute,
	}
	for _, opt := range opts {
		opt(&o)
	}
	if o.err != nil {
		return nil, o.err
	}
	c := &Client{base: base, apiKey: apiKey, opts: o, cache: map[cacheKey]*Config{}}
	c.http, c.long = httpClients(o.httpClient)
	if o.fallbackPath != "" {
		if c.fallback, err = newFallbackFile(o.fallbackPath, apiKey); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// httpClients returns the client of Get and the client of streams and long
// polls (no overall timeout), both refusing redirects to another host.
func httpClients(given *http.Client) (short, long *http.Client) {
	if given == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		given = &http.Client{Transport: t, Timeout: DefaultTimeout}
	}
	short = new(http.Client)
	*short = *given
	next := given.CheckRedirect
	short.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		first := via[0].URL
		if req.URL.Host != first.Host || (first.Scheme == "https" && req.URL.Scheme != "https") {
			return http.ErrUseLastResponse
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("configmat: stopped after 10 redirects")
		}
		return nil
	}
	long = new(http.Client)
	*long = *short
	long.Timeout = 0
	return short, long
}

// Get reads the resolved configuration of asset in env (GET
// /api/v1/assets/{asset}/values?environment=env), sending If-None-Match
// with the last ETag it holds for (asset, env) and reusing the cached
// Config on 304. When the server cannot be reached (or a gateway in front
// of it answers 502, 503 or 504) and a fallback file holds the pair, Get
// answers from the file, with FromFallback set.
func (c *Client) Get(ctx context.Context, asset, env string) (*Config, error) {
	if err := checkNames(asset, env); err != nil {
		return nil, err
	}
	key := cacheKey{asset, env}
	c.mu.Lock()
	cached := c.cache[key]
	c.mu.Unlock()
	etag := ""
	if cached != nil {
		etag = cached.ETag
	}
	cfg, err := c.fetch(ctx, c.http, asset, env, etag, 0)
	switch {
	case err == nil && cfg == nil:
		return cached.clone(), nil
	case err == nil:
		c.remember(cfg)
		return cfg.clone(), nil
	case unavailable(err) && c.fallback != nil && !errors.Is(ctx.Err(), context.Canceled):
		fb, fbErr := c.fallback.load(asset, env)
		if fbErr != nil {
			if !errors.Is(fbErr, errNoFallback) {
				c.opts.logger.Warn("configmat: the fallback file cannot answer", "asset", asset, "environment", env, "error", fbErr.Error())
			}
			return nil, err
		}
		c.opts.logger.Warn("configmat: the server cannot be reached; answering from the fallback file",
			"asset", asset, "environment", env, "version", fb.Version, "error", err.Error())
		return fb, nil
	}
	return nil, err
}

// remember keeps a copy of cfg for If-None-Match and writes it to the
// fallback file when it is new.
func (c *Client) remember(cfg *Config) {
	key := cacheKey{cfg.Asset, cfg.Environment}
	c.mu.Lock()
	old := c.cache[key]
	c.cache[key] = cfg.clone()
	c.mu.Unlock()
	if c.fallback == nil || (old != nil && old.ETag != "" && old.ETag == cfg.ETag) {
		return
	}
	if err := c.fallback.save(cfg); err != nil {
		c.opts.logger.Warn("configmat: could not write the fallback file", "asset", cfg.Asset, "environment", cfg.Environment, "error", err.Error())
	}
}

// forget drops what the client holds of asset in env (the asset was deleted).
func (c *Client) forget(asset, env string) {
	c.mu.Lock()
	delete(c.cache, cacheKey{asset, env})
	c.mu.Unlock()
	if c.fallback != nil {
		if err := c.fallback.remove(asset, env); err != nil {
			c.opts.logger.Warn("configmat: could not write the fallback file", "asset", asset, "environment", env, "error", err.Error())
		}
	}
}

// longPollSlack is how much longer than its wait a long poll may take.
const longPollSlack = 30 * time.Second

// fetch sends one request of the values route with etag as If-None-Match
// and, when wait > 0, asks the server to hold it that long. It returns the
// configuration of a 200, or nil for a 304.
func (c *Client) fetch(ctx context.Context, hc *http.Client, asset, env, etag string, wait time.Duration) (*Config, error) {
	query := url.Values{"environment": {env}}
	if wait > 0 {
		query.Set("wait", strconv.Itoa(int(wait/time.Second)))
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, wait+longPollSlack)
		defer cancel()
	}
	req, err := c.newRequest(ctx, asset, "/values", query)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, err)
	}
	defer func() { _ = resp.Body.Close() }()
	switch resp.StatusCode {
	case http.StatusNotModified:
		if etag == "" {
			return nil, &protocolError{"304 Not Modified to a request without If-None-Match"}
		}
		return nil, nil
	case http.StatusOK:
		data, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, c.transportError(ctx, err)
		}
		return parseConfig(data, resp.Header.Get("ETag"), asset, env)
	}
	return nil, errorFrom(resp, time.Now())
}

// newRequest builds a GET of asset's route ending in suffix, below the
// server's base, with the API key and the User-Agent.
func (c *Client) newRequest(ctx context.Context, asset, suffix string, query url.Values) (*http.Request, error) {
	u := *c.base
	u.Path = c.base.Path + "/api/v1/assets/" + asset + suffix
	u.RawPath = c.base.EscapedPath() + "/api/v1/assets/" + url.PathEscape(asset) + suffix
	u.RawQuery = query.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-API-Key", c.apiKey)
	req.Header.Set("User-Agent", c.opts.userAgent)
	return req, nil
}

// transportError turns a failed request into the caller's own cancellation
// or an error that matches ErrUnreachable.
func (c *Client) transportError(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return ctx.Err()
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err // the URL is said once, below
	}
	return &unreachableError{addr: c.base.Redacted(), err: err}
}

// unavailable reports whether err says that the server cannot answer now:
// unreachable, or a gateway's 502, 503 or 504.
func unavailable(err error) bool {
	if errors.Is(err, ErrUnreachable) {
		return true
	}
	var apiErr *Error
	if errors.As(err, &apiErr) {
		switch apiErr.StatusCode {
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
	}
	return false
}

// checkNames refuses an empty asset or environment before any request.
func checkNames(asset, env string) error {
	if asset == "" || env == "" {
		return errors.New("configmat: an asset and an environment are required")
	}
	return nil
}

package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/ulule/limiter/v3"

	"github.com/configmat/configmat/adapters/httpapi"
	"github.com/configmat/configmat/adapters/ratelimit"
	"github.com/configmat/configmat/core/audit"
	"github.com/configmat/configmat/core/keys"
	"github.com/configmat/configmat/core/watch"
)

// Settings is every setting of the contract, read from the environment.
type Settings struct {
	ListenAddr           string
	DatabaseURL          string
	MigrationDatabaseURL string
	ListenDatabaseURL    string
	MigrateOnStart       bool
	Debug                bool
	EncryptionKey        string
	RedisURL             string
	// RateLimits are RATE_LIMIT_ANON, _USER, _API_KEY and _API_KEY_BURST.
	RateLimits     ratelimit.Rates
	TrustedProxies []netip.Prefix
	DBPoolSize     int
	DBMaxOverflow  int
	DBPoolRecycle  time.Duration
	// DBStatementTimeout bounds each database transaction of a request.
	DBStatementTimeout time.Duration
	LogLevel           string
	LogFormat          string
	AllowSignup        bool
	TokenTTL           time.Duration

	// RateLimitIPv6Prefix is the prefix length of the IPv6 networks
	// anonymous clients are counted per.
	RateLimitIPv6Prefix int
	// MetricsAddr, when set, is the only address GET /metrics is served on;
	// empty serves it on ListenAddr.
	MetricsAddr string
	// WatchMax bounds the open watch streams of the process.
	WatchMax int
	// AuditSigningKey signs the audit checkpoints; empty derives one from
	// EncryptionKey.
	AuditSigningKey string
	// EncryptionKeyPrevious are earlier key-encryption keys (hex), used only
	// to unwrap data keys not yet rewrapped by `configmat keys rotate`.
	EncryptionKeyPrevious []string
}

// defaultDatabasePath is where the embedded store lives when DATABASE_URL is unset.
const defaultDatabasePath = "data/configmat.db"

// settingsReader parses settings one by one and collects one line per bad setting.
type settingsReader struct {
	getenv   func(string) string
	problems []string
}

func (r *settingsReader) str(name, def string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return def
}

func (r *settingsReader) listenAddr(name, def string) string {
	v := r.str(name, def)
	if v == "" {
		return v // an optional address left unset
	}
	_, port, err := net.SplitHostPort(v)
	n, perr := strconv.Atoi(port)
	if err != nil || perr != nil || n < 0 || n > 65535 {
		r.problems = append(r.problems, fmt.Sprintf("%s: must be host:port or :port with a port from 0 to 65535, got %q", name, v))
		return def
	}
	return v
}

func (r *settingsReader) boolean(name string, def bool) bool {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.problems = append(r.problems, fmt.Sprintf("%s: must be true or false, got %q", name, v))
		return def
	}
	return b
}

func (r *settingsReader) integer(name string, def, min, max int) int {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		r.problems = append(r.problems, fmt.Sprintf("%s: must be an integer from %d to %d, got %q", name, min, max, v))
		return def
	}
	return n
}

func (r *settingsReader) duration(name string, def time.Duration) time.Duration {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.problems = append(r.problems, fmt.Sprintf("%s: must be a positive duration such as 24h or 30m, got %q", name, v))
		return def
	}
	return d
}

func (r *settingsReader) oneOf(name, def string, allowed ...string) string {
	v := strings.ToLower(r.str(name, def))
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	r.problems = append(r.problems, fmt.Sprintf("%s: must be one of %s, got %q", name, strings.Join(allowed, ", "), v))
	return def
}

func (r *settingsReader) rate(name, def string) limiter.Rate {
	rate, err := ratelimit.ParseRate(r.str(name, def))
	if err != nil {
		r.problems = append(r.problems, fmt.Sprintf("%s: %s", name, plain(err)))
		rate, _ = ratelimit.ParseRate(def)
	}
	return rate
}

func (r *settingsReader) prefixes(name string) []netip.Prefix {
	v := r.str(name, "")
	if v == "" {
		return nil
	}
	var out []netip.Prefix
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			if a, aerr := netip.ParseAddr(part); aerr == nil {
				p = netip.PrefixFrom(a, a.BitLen())
			} else {
				r.problems = append(r.problems, fmt.Sprintf("%s: %q is not a CIDR such as 10.0.0.0/8", name, part))
				continue
			}
		}
		out = append(out, p.Masked())
	}
	return out
}

// LoadSettings reads the settings from getenv. The error has one line per bad
// setting, each naming it.
func LoadSettings(getenv func(string) string) (Settings, error) {
	r := &settingsReader{getenv: getenv}
	s := Settings{
		ListenAddr:     r.listenAddr("LISTEN_ADDR", ":8080"),
		DatabaseURL:    r.str("DATABASE_URL", "sqlite:"+defaultDatabasePath),
		MigrateOnStart: r.boolean("MIGRATE_ON_START", true),
		Debug:          r.boolean("DEBUG", false),
		EncryptionKey:  r.str("ENCRYPTION_KEY", ""),
		RedisURL:       r.str("REDIS_URL", ""),
		RateLimits: ratelimit.Rates{
			Anonymous:   r.rate("RATE_LIMIT_ANON", "100/hour"),
			User:        r.rate("RATE_LIMIT_USER", "1000/hour"),
			APIKey:      r.rate("RATE_LIMIT_API_KEY", "10000/hour"),
			APIKeyBurst: r.rate("RATE_LIMIT_API_KEY_BURST", "100/minute"),
		},
		TrustedProxies:     r.prefixes("TRUSTED_PROXIES"),
		DBPoolSize:         r.integer("DB_POOL_SIZE", 10, 1, 1000),
		DBMaxOverflow:      r.integer("DB_MAX_OVERFLOW", 20, 0, 1000),
		DBPoolRecycle:      time.Duration(r.integer("DB_POOL_RECYCLE", 300, 1, 86400)) * time.Second,
		DBStatementTimeout: r.duration("DB_STATEMENT_TIMEOUT", 5*time.Second),
		LogLevel:           r.oneOf("LOG_LEVEL", "info", "debug", "info", "warn", "error"),
		LogFormat:          r.oneOf("LOG_FORMAT", "json", "json", "text"),
		TokenTTL:           r.duration("TOKEN_TTL", 24*time.Hour),
	}
	s.RateLimitIPv6Prefix = r.integer("RATE_LIMIT_IPV6_PREFIX", httpapi.DefaultIPv6Prefix, 1, 128)
	s.WatchMax = r.integer("WATCH_MAX", watch.DefaultMaxStreams, 1, 1000000)
	s.MetricsAddr = r.listenAddr("METRICS_ADDR", "")
	if s.MetricsAddr != "" && s.MetricsAddr == s.ListenAddr && !strings.HasSuffix(s.MetricsAddr, ":0") {
		r.problems = append(r.problems, fmt.Sprintf("METRICS_ADDR: must differ from LISTEN_ADDR (%s): unset it to serve /metrics there", s.ListenAddr))
	}
	s.MigrationDatabaseURL = r.str("MIGRATION_DATABASE_URL", s.DatabaseURL)
	s.ListenDatabaseURL = r.str("LISTEN_DATABASE_URL", s.DatabaseURL)
	s.AllowSignup = r.boolean("ALLOW_SIGNUP", s.Debug)
	for i, k := range strings.Split(r.str("ENCRYPTION_KEY_PREVIOUS", ""), ",") {
		if strings.TrimSpace(k) == "" {
			continue
		}
		if _, err := keys.ParseKEK(k); err != nil {
			r.problems = append(r.problems, fmt.Sprintf("ENCRYPTION_KEY_PREVIOUS: key %d must be 64 hex characters (32 bytes); keys are separated by commas", i+1))
			continue
		}
		s.EncryptionKeyPrevious = append(s.EncryptionKeyPrevious, strings.TrimSpace(k))
	}
	s.AuditSigningKey = r.str("AUDIT_SIGNING_KEY", "")
	if s.AuditSigningKey != "" {
		if _, err := audit.NewSigner(s.AuditSigningKey); err != nil {
			r.problems = append(r.problems, "AUDIT_SIGNING_KEY: must be a signing key as `configmat keygen --audit` prints it (its first line)")
		}
	}
	if _, _, err := s.Store(); err != nil {
		r.problems = append(r.problems, err.Error())
	}
	if s.RedisURL != "" && !strings.HasPrefix(s.RedisURL, "redis://") && !strings.HasPrefix(s.RedisURL, "rediss://") {
		r.problems = append(r.problems, "REDIS_URL: must start with redis:// or rediss://")
	}
	if len(r.problems) > 0 {
		return s, errors.New(strings.Join(r.problems, "\n"))
	}
	return s, nil
}

// Store kinds selected by DATABASE_URL.
const (
	storePostgres = "postgres"
	storeSQLite   = "sqlite"
)

// Store says which store DATABASE_URL selects and its location: a PostgreSQL
// URL, or the embedded database's file path.
func (s Settings) Store() (kind, location string, err error) {
	u := s.DatabaseURL
	switch {
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		return storePostgres, u, nil
	case strings.HasPrefix(u, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(u, "sqlite:"), "//")
		if path == "" {
			return "", "", errors.New("DATABASE_URL: sqlite: needs a file path, e.g. sqlite:data/configmat.db")
		}
		return storeSQLite, path, nil
	}
	return "", "", errors.New("DATABASE_URL: must start with postgres://, postgresql:// or sqlite:")
}

package main

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadSettingsDefaults(t *testing.T) {
	s, err := LoadSettings(envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"LISTEN_ADDR", s.ListenAddr, ":8080"},
		{"DATABASE_URL", s.DatabaseURL, "sqlite:data/configmat.db"},
		{"MIGRATION_DATABASE_URL", s.MigrationDatabaseURL, "sqlite:data/configmat.db"},
		{"MIGRATE_ON_START", s.MigrateOnStart, true},
		{"DEBUG", s.Debug, false},
		{"RATE_LIMIT_ANON", s.RateLimits.Anonymous.Formatted, "100/hour"},
		{"RATE_LIMIT_USER", s.RateLimits.User.Formatted, "1000/hour"},
		{"RATE_LIMIT_API_KEY", s.RateLimits.APIKey.Formatted, "10000/hour"},
		{"RATE_LIMIT_API_KEY_BURST", s.RateLimits.APIKeyBurst.Formatted, "100/minute"},
		{"RATE_LIMIT_IPV6_PREFIX", s.RateLimitIPv6Prefix, 64},
		{"DB_POOL_SIZE", s.DBPoolSize, 10},
		{"DB_MAX_OVERFLOW", s.DBMaxOverflow, 20},
		{"DB_POOL_RECYCLE", s.DBPoolRecycle, 300 * time.Second},
		{"LOG_LEVEL", s.LogLevel, "info"},
		{"LOG_FORMAT", s.LogFormat, "json"},
		{"ALLOW_SIGNUP", s.AllowSignup, false},
		{"TOKEN_TTL", s.TokenTTL, 24 * time.Hour},
		{"DB_STATEMENT_TIMEOUT", s.DBStatementTimeout, 5 * time.Second},
		{"METRICS_ADDR", s.MetricsAddr, ""},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestLoadSettingsValues(t *testing.T) {
	s, err := LoadSettings(envOf(map[string]string{
		"DEBUG":                "true",
		"DATABASE_URL":         "postgres://app@db/configmat",
		"TRUSTED_PROXIES":      "10.0.0.0/8, 192.168.1.7",
		"DB_POOL_RECYCLE":      "60",
		"LOG_FORMAT":           "TEXT",
		"DB_STATEMENT_TIMEOUT": "750ms",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !s.AllowSignup {
		t.Error("ALLOW_SIGNUP should default to true when DEBUG=true")
	}
	if s.MigrationDatabaseURL != s.DatabaseURL || s.ListenDatabaseURL != s.DatabaseURL {
		t.Error("MIGRATION_ and LISTEN_DATABASE_URL should default to DATABASE_URL")
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.7/32")}
	if len(s.TrustedProxies) != 2 || s.TrustedProxies[0] != want[0] || s.TrustedProxies[1] != want[1] {
		t.Errorf("TRUSTED_PROXIES = %v, want %v", s.TrustedProxies, want)
	}
	if s.DBPoolRecycle != time.Minute || s.LogFormat != "text" || s.DBStatementTimeout != 750*time.Millisecond {
		t.Errorf("got recycle %v format %q statement timeout %v", s.DBPoolRecycle, s.LogFormat, s.DBStatementTimeout)
	}
	if kind, loc, _ := s.Store(); kind != storePostgres || loc != "postgres://app@db/configmat" {
		t.Errorf("Store() = %s %s", kind, loc)
	}
}

func TestLoadSettingsRefusesBadValuesOneLineEach(t *testing.T) {
	tests := []struct {
		name, value string
	}{
		{"DEBUG", "yes please"},
		{"LISTEN_ADDR", "127.0.0.1:99999"},
		{"LISTEN_ADDR", "localhost"},
		{"MIGRATE_ON_START", "maybe"},
		{"RATE_LIMIT_ANON", "100-H"},
		{"RATE_LIMIT_USER", "0/hour"},
		{"RATE_LIMIT_API_KEY", "10/week"},
		{"RATE_LIMIT_API_KEY_BURST", "many/minute"},
		{"TRUSTED_PROXIES", "not-a-cidr"},
		{"RATE_LIMIT_IPV6_PREFIX", "0"},
		{"RATE_LIMIT_IPV6_PREFIX", "129"},
		{"RATE_LIMIT_IPV6_PREFIX", "/64"},
		{"DB_POOL_SIZE", "abc"},
		{"DB_MAX_OVERFLOW", "-1"},
		{"DB_POOL_RECYCLE", "0"},
		{"LOG_LEVEL", "verbose"},
		{"LOG_FORMAT", "xml"},
		{"TOKEN_TTL", "forever"},
		{"DB_STATEMENT_TIMEOUT", "5"},
		{"DB_STATEMENT_TIMEOUT", "-1s"},
		{"DATABASE_URL", "mysql://db"},
		{"DATABASE_URL", "sqlite:"},
		{"REDIS_URL", "localhost:6379"},
		{"ALLOW_SIGNUP", "2"},
		{"METRICS_ADDR", "localhost"},
		{"METRICS_ADDR", "127.0.0.1:99999"},
		{"METRICS_ADDR", ":8080"},
	}
	all := map[string]string{}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			_, err := LoadSettings(envOf(map[string]string{tt.name: tt.value}))
			if err == nil {
				t.Fatalf("%s=%q accepted", tt.name, tt.value)
			}
			if lines := strings.Split(err.Error(), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], tt.name+":") {
				t.Errorf("error %q should be one line naming %s", err, tt.name)
			}
		})
		if tt.name != "DATABASE_URL" && tt.name != "LISTEN_ADDR" {
			all[tt.name] = tt.value
		}
	}
	_, err := LoadSettings(envOf(all))
	if err == nil || len(strings.Split(err.Error(), "\n")) != len(all) {
		t.Errorf("every bad setting should have its line:\n%v", err)
	}
}

func TestMetricsAddr(t *testing.T) {
	tests := []struct {
		name       string
		env        map[string]string
		want       string
		wantRefuse bool
	}{
		{"unset", nil, "", false},
		{"a port of its own", map[string]string{"METRICS_ADDR": "127.0.0.1:9090"}, "127.0.0.1:9090", false},
		{"both on free ports", map[string]string{"LISTEN_ADDR": "127.0.0.1:0", "METRICS_ADDR": "127.0.0.1:0"}, "127.0.0.1:0", false},
		{"the same address as LISTEN_ADDR", map[string]string{"LISTEN_ADDR": "127.0.0.1:8081", "METRICS_ADDR": "127.0.0.1:8081"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := LoadSettings(envOf(tt.env))
			if tt.wantRefuse {
				if err == nil || !strings.HasPrefix(err.Error(), "METRICS_ADDR:") {
					t.Fatalf("error %v, want one naming METRICS_ADDR", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.MetricsAddr != tt.want {
				t.Errorf("MetricsAddr = %q, want %q", s.MetricsAddr, tt.want)
			}
		})
	}
}

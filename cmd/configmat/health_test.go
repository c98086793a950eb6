package main

import (
	"context"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/configmat/configmat/core/cache"
)

// TestCacheCheck: the read cache is this process's memory whatever the rate
// limiter uses; Redis is reported as the rate-limit store, and its failure
// degrades the check.
func TestCacheCheck(t *testing.T) {
	live := cache.New(cache.Deps{})
	live.SetLive(true)
	unreachable := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 100 * time.Millisecond, MaxRetries: -1, DialerRetries: 1})
	t.Cleanup(func() { _ = unreachable.Close() })
	type check struct {
		name        string
		cache       *cache.Cache
		redis       *redis.Client
		want        map[string]any
		wantHealthy bool
	}
	tests := []check{
		{"in-process limiter", live, nil,
			map[string]any{"status": "healthy", "backend": "memory", "invalidation": "live", "rate_limit_store": "memory"}, true},
		{"change feed down", cache.New(cache.Deps{}), nil,
			map[string]any{"status": "degraded", "backend": "memory", "invalidation": "bypassed", "rate_limit_store": "memory"}, false},
		{"Redis unreachable", live, unreachable,
			map[string]any{"status": "unhealthy", "backend": "memory", "invalidation": "live", "rate_limit_store": "redis", "error": "redis unreachable"}, false},
	}
	if url := os.Getenv("CONFIGMAT_TEST_REDIS_URL"); url != "" {
		opts, err := redis.ParseURL(url)
		if err != nil {
			t.Fatal(err)
		}
		reachable := redis.NewClient(opts)
		t.Cleanup(func() { _ = reachable.Close() })
		tests = append(tests, check{"Redis reachable", live, reachable,
			map[string]any{"status": "healthy", "backend": "memory", "invalidation": "live", "rate_limit_store": "redis"}, true})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			got, healthy := cacheCheck(tt.cache, tt.redis)(ctx)
			if healthy != tt.wantHealthy || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("cache check = %v, %t; want %v, %t", got, healthy, tt.want, tt.wantHealthy)
			}
		})
	}
}

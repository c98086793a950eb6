package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// redisOptions returns the options of the test Redis, skipping the test when
// it is unreachable outside CI and failing it in CI.
func redisOptions(t *testing.T) *redis.Options {
	t.Helper()
	url := os.Getenv("CONFIGMAT_TEST_REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("CONFIGMAT_TEST_REDIS_URL: %v", err)
	}
	probe := redis.NewClient(opts)
	defer probe.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := probe.Ping(ctx).Err(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis at %s is unreachable: %v", opts.Addr, err)
		}
		t.Skipf("Redis at %s is unreachable (%v); set CONFIGMAT_TEST_REDIS_URL to run this test", opts.Addr, err)
	}
	return opts
}

func newClient(t *testing.T, opts *redis.Options) *redis.Client {
	t.Helper()
	c := redis.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// uniqueKey returns a caller key of this test run and deletes its counters
// from Redis when the test ends.
func uniqueKey(t *testing.T, c *redis.Client) string {
	t.Helper()
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	key := t.Name() + "-" + hex.EncodeToString(b)
	t.Cleanup(func() {
		var counters []string
		for _, class := range []ports.RateClass{ports.RateAnonymous, ports.RateUser, ports.RateAPIKey, burstClass} {
			counters = append(counters, KeyPrefix+":"+counterKey(class, keyDigest(key)))
		}
		if err := c.Del(context.Background(), counters...).Err(); err != nil {
			t.Errorf("cleaning up counters: %v", err)
		}
	})
	return key
}

func TestRedisSharedLimit(t *testing.T) {
	opts := redisOptions(t)
	rates := Rates{User: mustRate(t, "10/minute")}
	var limiters [2]*Limiter
	for i := range limiters {
		store, err := NewRedisStore(newClient(t, opts))
		if err != nil {
			t.Fatalf("NewRedisStore: %v", err)
		}
		limiters[i] = New(store, rates)
	}
	key := uniqueKey(t, newClient(t, opts))

	allowed := 0
	for i := 0; i < 30; i++ {
		d, err := limiters[i%2].Take(context.Background(), ports.RateUser, key)
		if err != nil {
			t.Fatalf("Take #%d: %v", i+1, err)
		}
		if d.Allowed {
			allowed++
		}
		if wantRemaining := max(int64(9-i), 0); d.Remaining != wantRemaining || d.Limit != 10 {
			t.Errorf("take #%d = %+v, want limit 10 remaining %d", i+1, d, wantRemaining)
		}
		if !d.Reset.After(time.Now()) {
			t.Errorf("take #%d: reset %s is not in the future", i+1, d.Reset)
		}
	}
	if allowed != 10 {
		t.Errorf("two limiters allowed %d requests together, want 10", allowed)
	}
}

func TestRedisStoresOnlyDigests(t *testing.T) {
	opts := redisOptions(t)
	client := newClient(t, opts)
	store, err := NewRedisStore(client)
	if err != nil {
		t.Fatalf("NewRedisStore: %v", err)
	}
	key := uniqueKey(t, client)
	rate := mustRate(t, "5/minute")
	if _, err := New(store, Rates{APIKey: rate, APIKeyBurst: rate}).Take(context.Background(), ports.RateAPIKey, key); err != nil {
		t.Fatalf("Take: %v", err)
	}
	for _, class := range []ports.RateClass{ports.RateAPIKey, burstClass} {
		name := KeyPrefix + ":" + string(class) + ":" + keyDigest(key)
		if n, err := client.Exists(context.Background(), name).Result(); err != nil || n != 1 {
			t.Errorf("counter %s: exists = %d, %v; want 1", name, n, err)
		}
	}
	if n, err := client.Exists(context.Background(), KeyPrefix+":"+string(ports.RateAPIKey)+":"+key).Result(); err != nil || n != 0 {
		t.Errorf("a counter named by the raw key exists (%d, %v)", n, err)
	}
}

func TestRedisFailureMidTest(t *testing.T) {
	opts := redisOptions(t)
	tests := []struct {
		name string
		stop func(client *redis.Client, proxy *tcpProxy)
	}{
		{"client closed", func(c *redis.Client, _ *tcpProxy) { _ = c.Close() }},
		{"server gone", func(_ *redis.Client, p *tcpProxy) { p.Close() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proxy := startProxy(t, opts.Addr)
			viaProxy := *opts
			viaProxy.Addr = proxy.Addr()
			viaProxy.MaxRetries = 1
			viaProxy.DialTimeout = time.Second
			client := newClient(t, &viaProxy)
			store, err := NewRedisStore(client)
			if err != nil {
				t.Fatalf("NewRedisStore: %v", err)
			}
			l := New(store, Rates{Anonymous: mustRate(t, "10/minute")})
			key := uniqueKey(t, newClient(t, opts))
			if _, err := l.Take(context.Background(), ports.RateAnonymous, key); err != nil {
				t.Fatalf("Take before the failure: %v", err)
			}

			tt.stop(client, proxy)
			d, err := l.Take(context.Background(), ports.RateAnonymous, key)
			if err == nil {
				t.Fatalf("Take after the failure = %+v, want an error", d)
			}
			if !domain.IsKind(err, domain.KindUnavailable) {
				t.Errorf("error kind = %q, want %q", domain.KindOf(err), domain.KindUnavailable)
			}
		})
	}
}

func TestNewRedisStoreErrors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		client *redis.Client
		kind   domain.Kind
	}{
		{"nil client", nil, domain.KindInternal},
		{"closed port", newClient(t, &redis.Options{Addr: closedAddr, MaxRetries: -1, DialTimeout: time.Second}), domain.KindUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, err := NewRedisStore(tt.client)
			if err == nil {
				t.Fatalf("NewRedisStore = %v, want an error", store)
			}
			if !domain.IsKind(err, tt.kind) {
				t.Errorf("error kind = %q, want %q", domain.KindOf(err), tt.kind)
			}
		})
	}
}

// tcpProxy forwards connections to a server until closed, then refuses
// them and cuts the open ones, as a stopped server would.
type tcpProxy struct {
	listener net.Listener
	target   string
	mu       sync.Mutex
	conns    []net.Conn
	closed   bool
}

func startProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{listener: l, target: target}
	go p.serve()
	t.Cleanup(p.Close)
	return p
}

func (p *tcpProxy) Addr() string { return p.listener.Addr().String() }

func (p *tcpProxy) serve() {
	for {
		in, err := p.listener.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = in.Close()
			continue
		}
		if !p.track(in, out) {
			return
		}
		go pipe(in, out)
		go pipe(out, in)
	}
}

func (p *tcpProxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		for _, c := range conns {
			_ = c.Close()
		}
		return false
	}
	p.conns = append(p.conns, conns...)
	return true
}

// pipe copies src to dst until either side closes, then closes dst.
func pipe(dst, src net.Conn) {
	_, _ = io.Copy(dst, src)
	_ = dst.Close()
}

// Close stops accepting and cuts every forwarded connection.
func (p *tcpProxy) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	_ = p.listener.Close()
	for _, c := range p.conns {
		_ = c.Close()
	}
}

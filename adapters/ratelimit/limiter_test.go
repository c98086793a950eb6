package ratelimit

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ulule/limiter/v3"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

func mustRate(t *testing.T, s string) limiter.Rate {
	t.Helper()
	r, err := ParseRate(s)
	if err != nil {
		t.Fatalf("ParseRate(%q): %v", s, err)
	}
	return r
}

// recordingStore remembers every counter key it is asked for.
type recordingStore struct {
	limiter.Store
	mu   sync.Mutex
	keys []string
}

func (s *recordingStore) Get(ctx context.Context, key string, rate limiter.Rate) (limiter.Context, error) {
	s.mu.Lock()
	s.keys = append(s.keys, key)
	s.mu.Unlock()
	return s.Store.Get(ctx, key, rate)
}

// failingStore fails every call.
type failingStore struct {
	limiter.Store
	err error
}

func (s failingStore) Get(context.Context, string, limiter.Rate) (limiter.Context, error) {
	return limiter.Context{}, s.err
}

func takeN(t *testing.T, l *Limiter, class ports.RateClass, key string, n int) []ports.RateDecision {
	t.Helper()
	out := make([]ports.RateDecision, n)
	for i := range out {
		d, err := l.Take(context.Background(), class, key)
		if err != nil {
			t.Fatalf("Take #%d: %v", i+1, err)
		}
		out[i] = d
	}
	return out
}

func TestTakeAllowsExactlyTheLimit(t *testing.T) {
	rates := Rates{
		Anonymous:   mustRate(t, "3/minute"),
		User:        mustRate(t, "5/minute"),
		APIKey:      mustRate(t, "7/hour"),
		APIKeyBurst: mustRate(t, "100/minute"),
	}
	tests := []struct {
		class ports.RateClass
		limit int64
	}{
		{ports.RateAnonymous, 3},
		{ports.RateUser, 5},
		{ports.RateAPIKey, 7},
	}
	for _, tt := range tests {
		t.Run(string(tt.class), func(t *testing.T) {
			l := New(NewMemoryStore(), rates)
			before := time.Now()
			decisions := takeN(t, l, tt.class, "caller", int(tt.limit)+2)
			for i, d := range decisions {
				wantAllowed := int64(i) < tt.limit
				wantRemaining := max(tt.limit-int64(i)-1, 0)
				if d.Allowed != wantAllowed || d.Remaining != wantRemaining || d.Limit != tt.limit {
					t.Errorf("take #%d = %+v, want allowed %v remaining %d limit %d", i+1, d, wantAllowed, wantRemaining, tt.limit)
				}
				if !d.Reset.After(before) {
					t.Errorf("take #%d: reset %s is not after %s", i+1, d.Reset, before)
				}
			}
		})
	}
}

func TestTakeClassesCountApart(t *testing.T) {
	rate := mustRate(t, "1/minute")
	l := New(NewMemoryStore(), Rates{Anonymous: rate, User: rate, APIKey: rate, APIKeyBurst: rate})
	for _, class := range []ports.RateClass{ports.RateAnonymous, ports.RateUser, ports.RateAPIKey} {
		if d := takeN(t, l, class, "same-key", 1)[0]; !d.Allowed {
			t.Errorf("first %s take denied: another class's count leaked in", class)
		}
	}
}

func TestTakeAPIKeyBurst(t *testing.T) {
	l := New(NewMemoryStore(), Rates{
		APIKey:      mustRate(t, "10000/hour"),
		APIKeyBurst: mustRate(t, "100/minute"),
	})
	decisions := takeN(t, l, ports.RateAPIKey, "key-a", 101)
	for i, d := range decisions[:100] {
		if !d.Allowed {
			t.Fatalf("take #%d denied, want allowed", i+1)
		}
		if d.Limit != 100 {
			t.Fatalf("take #%d reports limit %d, want the burst's 100", i+1, d.Limit)
		}
	}
	if last := decisions[100]; last.Allowed || last.Limit != 100 || last.Remaining != 0 {
		t.Errorf("take #101 = %+v, want denied by the burst limit", last)
	}
	if other := takeN(t, l, ports.RateAPIKey, "key-b", 1)[0]; !other.Allowed || other.Remaining != 99 {
		t.Errorf("another key = %+v, want allowed with 99 remaining", other)
	}
}

func TestTakeAPIKeySustained(t *testing.T) {
	l := New(NewMemoryStore(), Rates{
		APIKey:      mustRate(t, "5/hour"),
		APIKeyBurst: mustRate(t, "100/minute"),
	})
	decisions := takeN(t, l, ports.RateAPIKey, "key", 6)
	for i, d := range decisions[:5] {
		if !d.Allowed || d.Limit != 5 {
			t.Fatalf("take #%d = %+v, want allowed under the sustained limit 5", i+1, d)
		}
	}
	last := decisions[5]
	if last.Allowed || last.Limit != 5 {
		t.Errorf("take #6 = %+v, want denied by the sustained limit", last)
	}
	if min := time.Now().Add(59 * time.Minute); last.Reset.Before(min) {
		t.Errorf("reset %s is the burst window's, want the hour window's (after %s)", last.Reset, min)
	}
}

func TestTakeAPIKeyCountsBothLimits(t *testing.T) {
	store := NewMemoryStore()
	sustained, burst := mustRate(t, "50/hour"), mustRate(t, "20/minute")
	l := New(store, Rates{APIKey: sustained, APIKeyBurst: burst})
	takeN(t, l, ports.RateAPIKey, "key", 25)

	// In process a counter is named by the key itself (see Limiter.count).
	for _, c := range []struct {
		key  string
		rate limiter.Rate
	}{
		{counterKey(ports.RateAPIKey, "key"), sustained},
		{counterKey(burstClass, "key"), burst},
	} {
		got, err := store.Peek(context.Background(), c.key, c.rate)
		if err != nil {
			t.Fatalf("Peek %s: %v", c.key, err)
		}
		if used := got.Limit - got.Remaining; used != min(25, got.Limit) {
			t.Errorf("counter %s used %d, want %d", c.key, used, min(25, got.Limit))
		}
	}
}

func TestTakeNeverStoresTheRawKey(t *testing.T) {
	const raw = "cmk_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789ab123456"
	store := &recordingStore{Store: NewMemoryStore()}
	rate := mustRate(t, "10/minute")
	l := New(store, Rates{Anonymous: rate, User: rate, APIKey: rate, APIKeyBurst: rate})
	for _, class := range []ports.RateClass{ports.RateAnonymous, ports.RateUser, ports.RateAPIKey} {
		takeN(t, l, class, raw, 2)
	}
	if len(store.keys) != 8 {
		t.Fatalf("store saw %d keys, want 8", len(store.keys))
	}
	want := map[string]bool{}
	for _, class := range []ports.RateClass{ports.RateAnonymous, ports.RateUser, ports.RateAPIKey, burstClass} {
		want[string(class)+":"+keyDigest(raw)] = true
	}
	for _, k := range store.keys {
		if strings.Contains(k, raw) || strings.Contains(k, raw[:12]) {
			t.Errorf("counter key %q contains the raw key", k)
		}
		if !want[k] {
			t.Errorf("counter key %q is not class:digest", k)
		}
	}
	if d := keyDigest(raw); len(d) != 32 || d == keyDigest(raw+"x") {
		t.Errorf("digest %q: want 32 hex characters, distinct per key", d)
	}
}

func TestTakeErrors(t *testing.T) {
	cause := errors.New("connection refused")
	rate := mustRate(t, "10/minute")
	rates := Rates{Anonymous: rate, User: rate, APIKey: rate, APIKeyBurst: rate}
	tests := []struct {
		name  string
		store limiter.Store
		class ports.RateClass
		kind  domain.Kind
	}{
		{"store fails for anonymous", failingStore{err: cause}, ports.RateAnonymous, domain.KindUnavailable},
		{"store fails for a user", failingStore{err: cause}, ports.RateUser, domain.KindUnavailable},
		{"store fails for an API key", failingStore{err: cause}, ports.RateAPIKey, domain.KindUnavailable},
		{"burst counter fails", &burstFailingStore{Store: NewMemoryStore(), err: cause}, ports.RateAPIKey, domain.KindUnavailable},
		{"unknown class", NewMemoryStore(), ports.RateClass("robot"), domain.KindInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := New(tt.store, rates).Take(context.Background(), tt.class, "k")
			if err == nil {
				t.Fatalf("Take = %+v, want an error", d)
			}
			if !domain.IsKind(err, tt.kind) {
				t.Errorf("error kind = %q, want %q", domain.KindOf(err), tt.kind)
			}
			if tt.kind == domain.KindUnavailable && !errors.Is(err, cause) {
				t.Errorf("error %v does not keep its cause", err)
			}
			if d != (ports.RateDecision{}) {
				t.Errorf("decision on error = %+v, want zero", d)
			}
		})
	}
}

// burstFailingStore fails only on burst counters.
type burstFailingStore struct {
	limiter.Store
	err error
}

func (s *burstFailingStore) Get(ctx context.Context, key string, rate limiter.Rate) (limiter.Context, error) {
	if strings.HasPrefix(key, string(burstClass)+":") {
		return limiter.Context{}, s.err
	}
	return s.Store.Get(ctx, key, rate)
}

func TestMostRestrictive(t *testing.T) {
	early, late := time.Unix(1000, 0), time.Unix(5000, 0)
	sustained := func(remaining int64, allowed bool) ports.RateDecision {
		return ports.RateDecision{Limit: 10000, Remaining: remaining, Reset: late, Allowed: allowed}
	}
	burst := func(remaining int64, allowed bool) ports.RateDecision {
		return ports.RateDecision{Limit: 100, Remaining: remaining, Reset: early, Allowed: allowed}
	}
	tests := []struct {
		name      string
		a, b      ports.RateDecision
		wantLimit int64
		allowed   bool
	}{
		{"both allow, burst has fewer left", sustained(9000, true), burst(50, true), 100, true},
		{"both allow, sustained has fewer left", sustained(3, true), burst(50, true), 10000, true},
		{"burst reached", sustained(9000, true), burst(0, false), 100, false},
		{"sustained reached", sustained(0, false), burst(99, true), 10000, false},
		{"sustained reached, order swapped", burst(99, true), sustained(0, false), 10000, false},
		{"both reached: later reset", burst(0, false), sustained(0, false), 10000, false},
		{"both reached, order swapped", sustained(0, false), burst(0, false), 10000, false},
		{"equal remaining: later reset", burst(7, true), sustained(7, true), 10000, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mostRestrictive(tt.a, tt.b)
			if got.Limit != tt.wantLimit || got.Allowed != tt.allowed {
				t.Errorf("mostRestrictive = %+v, want limit %d allowed %v", got, tt.wantLimit, tt.allowed)
			}
		})
	}
}

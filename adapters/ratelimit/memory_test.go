package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ulule/limiter/v3"
	"github.com/ulule/limiter/v3/drivers/store/memory"

	"github.com/configmat/configmat/ports"
)

// memoryStep is one request to the in-process store at an offset from the
// start, with the decision it must get.
type memoryStep struct {
	at        time.Duration
	key       string
	allowed   bool
	remaining int64
	// resetAt is the offset of the window's end the decision reports (its
	// Reset is the first whole second after it).
	resetAt time.Duration
}

func TestMemoryStoreWindows(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	three := counter{ports.RateUser, limiter.Rate{Period: time.Minute, Limit: 3}}
	tests := []struct {
		name  string
		steps []memoryStep
	}{
		{"allows exactly the limit", []memoryStep{
			{0, "u", true, 2, time.Minute},
			{time.Second, "u", true, 1, time.Minute},
			{2 * time.Second, "u", true, 0, time.Minute},
			{3 * time.Second, "u", false, 0, time.Minute},
			{59 * time.Second, "u", false, 0, time.Minute},
		}},
		{"the window begins at its first request", []memoryStep{
			{10 * time.Second, "u", true, 2, 70 * time.Second},
			{50 * time.Second, "u", true, 1, 70 * time.Second},
		}},
		{"the window's end still counts in it", []memoryStep{
			{0, "u", true, 2, time.Minute},
			{time.Minute, "u", true, 1, time.Minute},
		}},
		{"a new window after the end starts from one", []memoryStep{
			{0, "u", true, 2, time.Minute},
			{time.Second, "u", true, 1, time.Minute},
			{2 * time.Second, "u", true, 0, time.Minute},
			{3 * time.Second, "u", false, 0, time.Minute},
			{time.Minute + time.Nanosecond, "u", true, 2, 2*time.Minute + time.Nanosecond},
		}},
		{"a window reached and ended allows again", []memoryStep{
			{0, "u", true, 2, time.Minute},
			{0, "u", true, 1, time.Minute},
			{0, "u", true, 0, time.Minute},
			{0, "u", false, 0, time.Minute},
			{5 * time.Minute, "u", true, 2, 6 * time.Minute},
		}},
		{"keys count apart", []memoryStep{
			{0, "a", true, 2, time.Minute},
			{0, "a", true, 1, time.Minute},
			{30 * time.Second, "b", true, 2, 90 * time.Second},
			{40 * time.Second, "a", true, 0, time.Minute},
			{40 * time.Second, "b", true, 1, 90 * time.Second},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newMemoryStore(start)
			for i, st := range tt.steps {
				now := start.Add(st.at)
				d := s.take(now, []counter{three}, st.key)
				want := ports.RateDecision{
					Limit:     3,
					Remaining: st.remaining,
					Reset:     time.Unix(start.Add(st.resetAt).Unix()+1, 0),
					Allowed:   st.allowed,
				}
				if d != want {
					t.Errorf("step %d (%s at +%s) = %+v, want %+v", i+1, st.key, st.at, d, want)
				}
			}
		})
	}
}

func TestMemoryStoreAPIKeyWindows(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	counters := []counter{
		{ports.RateAPIKey, limiter.Rate{Period: time.Hour, Limit: 5}},
		{burstClass, limiter.Rate{Period: time.Minute, Limit: 2}},
	}
	tests := []struct {
		at        time.Duration
		allowed   bool
		limit     int64
		remaining int64
	}{
		{0, true, 2, 1},
		{time.Second, true, 2, 0},
		{2 * time.Second, false, 2, 0},           // the burst binds
		{61 * time.Second, true, 5, 1},           // a new burst window, 4 of 5 sustained: a tie, the later reset
		{62 * time.Second, true, 5, 0},           // 5 of 5 sustained: it binds
		{63 * time.Second, false, 5, 0},          // both reached: the later reset, the hour's
		{time.Hour + 3*time.Second, true, 2, 1},  // both windows new
		{time.Hour + 4*time.Second, true, 2, 0},  // burst 2 of 2, sustained 2 of 5
		{time.Hour + 5*time.Second, false, 2, 0}, // burst reached
		{time.Hour + 2*time.Minute, true, 5, 1},  // a new burst window, 4 of 5 sustained: a tie
		{time.Hour + 2*time.Minute + time.Second, true, 5, 0},
	}
	s := newMemoryStore(start)
	for i, tt := range tests {
		d := s.take(start.Add(tt.at), counters, "key")
		if d.Allowed != tt.allowed || d.Limit != tt.limit || d.Remaining != tt.remaining {
			t.Errorf("take %d at +%s = %+v, want allowed %v limit %d remaining %d", i+1, tt.at, d, tt.allowed, tt.limit, tt.remaining)
		}
	}
}

func TestMemoryStoreAsLimiterStore(t *testing.T) {
	ctx := context.Background()
	rate := limiter.Rate{Period: time.Minute, Limit: 10}
	s := NewMemoryStore()
	tests := []struct {
		name      string
		do        func() (limiter.Context, error)
		remaining int64
		reached   bool
	}{
		{"peek of an unknown counter", func() (limiter.Context, error) { return s.Peek(ctx, "user:a", rate) }, 10, false},
		{"get counts one", func() (limiter.Context, error) { return s.Get(ctx, "user:a", rate) }, 9, false},
		{"increment counts n", func() (limiter.Context, error) { return s.Increment(ctx, "user:a", 4, rate) }, 5, false},
		{"peek changes nothing", func() (limiter.Context, error) { return s.Peek(ctx, "user:a", rate) }, 5, false},
		{"another class counts apart", func() (limiter.Context, error) { return s.Peek(ctx, "api_key:a", rate) }, 10, false},
		{"over the limit is reached", func() (limiter.Context, error) { return s.Increment(ctx, "user:a", 6, rate) }, 0, true},
		{"reset forgets the counter", func() (limiter.Context, error) { return s.Reset(ctx, "user:a", rate) }, 10, false},
		{"after a reset it counts from one", func() (limiter.Context, error) { return s.Get(ctx, "user:a", rate) }, 9, false},
		{"a key without a class", func() (limiter.Context, error) { return s.Get(ctx, "plain", rate) }, 9, false},
	}
	for _, tt := range tests {
		before := time.Now()
		got, err := tt.do()
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got.Limit != 10 || got.Remaining != tt.remaining || got.Reached != tt.reached {
			t.Errorf("%s = %+v, want remaining %d reached %v", tt.name, got, tt.remaining, tt.reached)
		}
		if got.Reset < before.Unix() {
			t.Errorf("%s: reset %d before now %d", tt.name, got.Reset, before.Unix())
		}
	}
	// The store and Take name a counter alike: class:key.
	l := New(s, Rates{User: rate})
	if _, err := l.Take(ctx, ports.RateUser, "a"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Peek(ctx, counterKey(ports.RateUser, "a"), rate); got.Remaining != 8 {
		t.Errorf("after Take, Peek %s = %+v, want remaining 8", counterKey(ports.RateUser, "a"), got)
	}
}

// TestMemoryStoreMatchesUlule runs the same requests, at once, through the
// in-process store and ulule/limiter's memory store it replaces.
func TestMemoryStoreMatchesUlule(t *testing.T) {
	ctx := context.Background()
	ours := NewMemoryStore()
	theirs := memory.NewStore()
	for _, rate := range []limiter.Rate{{Period: time.Minute, Limit: 1}, {Period: time.Hour, Limit: 7}} {
		for i := range 10 {
			key := fmt.Sprintf("user:%d", rate.Limit)
			a, _ := ours.Get(ctx, key, rate)
			b, _ := theirs.Get(ctx, key, rate)
			// Reset is a whole second; the two clock readings may straddle one.
			if a.Limit != b.Limit || a.Remaining != b.Remaining || a.Reached != b.Reached || a.Reset-b.Reset > 1 || b.Reset-a.Reset > 1 {
				t.Errorf("rate %d/%s, get %d: ours %+v, ulule's %+v", rate.Limit, rate.Period, i+1, a, b)
			}
		}
	}
}

func TestMemoryStoreConcurrentTakes(t *testing.T) {
	const (
		workers = 16
		each    = 200
		limit   = 1000
	)
	l := New(NewMemoryStore(), Rates{
		User:        limiter.Rate{Period: time.Hour, Limit: limit},
		APIKey:      limiter.Rate{Period: time.Hour, Limit: limit},
		APIKeyBurst: limiter.Rate{Period: time.Hour, Limit: 2 * limit},
	})
	for _, class := range []ports.RateClass{ports.RateUser, ports.RateAPIKey} {
		t.Run(string(class), func(t *testing.T) {
			var (
				wg      sync.WaitGroup
				mu      sync.Mutex
				allowed int
				seen    = map[int64]bool{}
			)
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range each {
						// Half the workers share one key; the others have their own.
						key := "shared"
						if w%2 == 1 {
							key = fmt.Sprintf("own-%d", w)
						}
						d, err := l.Take(context.Background(), class, key)
						if err != nil {
							t.Error(err)
							return
						}
						if key != "shared" {
							if !d.Allowed {
								t.Errorf("key %s refused under its limit", key)
							}
							continue
						}
						mu.Lock()
						if d.Allowed {
							allowed++
							if seen[d.Remaining] {
								t.Errorf("remaining %d reported twice", d.Remaining)
							}
							seen[d.Remaining] = true
						}
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if want := min(workers/2*each, limit); allowed != want {
				t.Errorf("shared key: %d allowed, want %d", allowed, want)
			}
		})
	}
}

func TestMemoryStoreSweep(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	minute := counter{ports.RateAnonymous, limiter.Rate{Period: time.Minute, Limit: 10}}
	hour := counter{ports.RateUser, limiter.Rate{Period: time.Hour, Limit: 10}}
	s := newMemoryStore(start)
	for i := range 100 {
		s.take(start, []counter{minute}, fmt.Sprintf("10.0.0.%d", i))
	}
	s.take(start, []counter{hour}, "user")
	tests := []struct {
		name string
		at   time.Duration
		want int
	}{
		{"nothing has ended", 30 * time.Second, 101},
		{"at the end the window still counts", time.Minute, 101},
		{"the minute windows have ended", time.Minute + time.Nanosecond, 1},
		{"the hour window has ended", 2 * time.Hour, 0},
	}
	for _, tt := range tests {
		s.sweep(start.Add(tt.at))
		if got := s.size(); got != tt.want {
			t.Errorf("%s: sweep at +%s left %d counters, want %d", tt.name, tt.at, got, tt.want)
		}
	}
}

func TestMemoryStoreSweepsOnItsOwn(t *testing.T) {
	start := time.Now()
	anon := counter{ports.RateAnonymous, limiter.Rate{Period: time.Second, Limit: 10}}
	s := newMemoryStore(start)
	for i := range 50 {
		s.take(start, []counter{anon}, fmt.Sprintf("10.0.0.%d", i))
	}
	s.take(start.Add(memorySweepInterval/2), []counter{anon}, "early")
	if got := s.size(); got != 51 {
		t.Fatalf("before the sweep is due: %d counters, want 51", got)
	}
	// The first request after the interval starts the sweep, which leaves
	// that request's own counter.
	s.take(start.Add(memorySweepInterval), []counter{anon}, "late")
	deadline := time.Now().Add(10 * time.Second)
	for s.size() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("no sweep after the interval: %d counters, want 1", s.size())
		}
		time.Sleep(time.Millisecond)
	}
	if due := s.sweepAt.Load(); due != start.Add(2*memorySweepInterval).UnixNano() {
		t.Errorf("next sweep due at %d, want one interval after the last", due)
	}
}

// BenchmarkMemoryTake measures one API-key Take (two windows) in process,
// against ulule/limiter's memory store behind the same Limiter.
func BenchmarkMemoryTake(b *testing.B) {
	rates := Rates{
		APIKey:      limiter.Rate{Period: time.Hour, Limit: 1 << 40},
		APIKeyBurst: limiter.Rate{Period: time.Minute, Limit: 1 << 40},
	}
	for _, s := range []struct {
		name  string
		store limiter.Store
	}{
		{"store=configmat", NewMemoryStore()},
		{"store=ulule", memory.NewStore()},
	} {
		b.Run(s.name, func(b *testing.B) {
			l := New(s.store, rates)
			ctx := context.Background()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := l.Take(ctx, ports.RateAPIKey, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

package sdk

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// ceilings records the upper bound of each random draw, drawing the bound
// itself (the longest delay full jitter allows).
type ceilings struct{ seen []int64 }

func (c *ceilings) draw(n int64) int64 {
	c.seen = append(c.seen, n-1)
	return n - 1
}

func TestBackoffDoublesUpToItsMaximum(t *testing.T) {
	rec := &ceilings{}
	b := backoff{base: time.Second, max: 10 * time.Second, rand: rec.draw}
	var delays []time.Duration
	for range 6 {
		delays = append(delays, b.next())
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	if !slices.Equal(delays, want) {
		t.Errorf("delays %v, want %v", delays, want)
	}
	b.reset()
	if d := b.next(); d != time.Second {
		t.Errorf("after reset: %s, want the base", d)
	}
	// Far past the point where base<<attempt overflows, it stays at max.
	b.attempt = 200
	if d := b.next(); d != 10*time.Second {
		t.Errorf("after 200 failures: %s", d)
	}
}

func TestBackoffIsFullJitter(t *testing.T) {
	b := backoff{base: 100 * time.Millisecond, max: time.Second}
	low, high := false, false
	for range 2000 {
		b.attempt = 0
		d := b.next()
		if d < 0 || d > 100*time.Millisecond {
			t.Fatalf("delay %s outside [0, base]", d)
		}
		low = low || d < 10*time.Millisecond
		high = high || d > 90*time.Millisecond
	}
	if !low || !high {
		t.Errorf("2000 draws did not cover [0, base]: some below 10ms %t, some above 90ms %t", low, high)
	}
}

func TestSleepEndsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("sleep on a canceled context: %v", err)
	}
	if err := sleep(context.Background(), time.Millisecond); err != nil {
		t.Errorf("sleep: %v", err)
	}
}

package httpapi

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
)

// saneRequestIDPattern is the rule saneRequestID implements by hand.
var saneRequestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

// TestSaneRequestIDMatchesPattern: saneRequestID agrees with the regular
// expression on every single byte, on lengths around the bound, and on
// random strings.
func TestSaneRequestIDMatchesPattern(t *testing.T) {
	ids := []string{"", "a", "abc-123_X.y", strings.Repeat("a", 127), strings.Repeat("Z", 128), strings.Repeat("9", 129),
		"abc def", "abc\n", "abc\x7f", "é", "a/b", "a+b", "a\x00"}
	for c := range 256 {
		ids = append(ids, string([]byte{byte(c)}), "ok"+string([]byte{byte(c)}))
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 5000 {
		b := make([]byte, rng.IntN(140))
		for i := range b {
			if rng.IntN(20) == 0 {
				b[i] = byte(rng.IntN(256))
			} else {
				b[i] = "aZ09._-"[rng.IntN(7)]
			}
		}
		ids = append(ids, string(b))
	}
	for _, id := range ids {
		if got, want := saneRequestID(id), saneRequestIDPattern.MatchString(id); got != want {
			t.Errorf("saneRequestID(%q) = %v, want %v", id, got, want)
		}
	}
}

// TestNewRequestIDs: generated IDs are sane and never repeat, within a
// generator or across two.
func TestNewRequestIDs(t *testing.T) {
	a, b := newRequestIDs(), newRequestIDs()
	if a.prefix == b.prefix {
		t.Fatalf("two generators share the prefix %q", a.prefix)
	}
	seen := map[string]bool{}
	for range 10000 {
		for _, id := range []string{a.newID(), b.newID()} {
			if !saneRequestID(id) || seen[id] {
				t.Fatalf("request ID %q: sane %v, seen before %v", id, saneRequestID(id), seen[id])
			}
			seen[id] = true
		}
	}
}

type testCtxKey struct{}

// TestStateContextIsItsParent: the context withNewState gives a request
// finds its state, itself and through contexts derived from it, and is its
// parent in everything else: values, deadline, cancellation and its cause.
func TestStateContextIsItsParent(t *testing.T) {
	deadline := time.Now().Add(time.Hour)
	parent, cancelDeadline := context.WithDeadline(context.WithValue(context.Background(), testCtxKey{}, "v"), deadline)
	defer cancelDeadline()
	parent, cancel := context.WithCancelCause(parent)
	r, st := withNewState(httptest.NewRequest(http.MethodGet, "/", nil).WithContext(parent))
	ctx := r.Context()
	derived, cancelDerived := context.WithTimeout(context.WithValue(ctx, testCtxKey{}, "w"), time.Hour)
	defer cancelDerived()
	for name, c := range map[string]context.Context{"its own": ctx, "derived": derived} {
		if got, ok := lookupState(c); !ok || got != st {
			t.Errorf("%s: lookupState = %p, %v; want %p", name, got, ok, st)
		}
		if got := stateFrom(c); got != st {
			t.Errorf("%s: stateFrom = %p, want %p", name, got, st)
		}
	}
	if got := ctx.Value(testCtxKey{}); got != "v" {
		t.Errorf("Value = %v, want the parent's v", got)
	}
	if got, ok := ctx.Deadline(); !ok || !got.Equal(deadline) {
		t.Errorf("Deadline = %v, %v; want %v", got, ok, deadline)
	}
	if ctx.Err() != nil || derived.Err() != nil {
		t.Fatalf("Err before the cancellation: %v, %v", ctx.Err(), derived.Err())
	}
	gone := errors.New("client gone")
	cancel(gone)
	for name, c := range map[string]context.Context{"its own": ctx, "derived": derived} {
		select {
		case <-c.Done(): // at once: the derived context found the parent's cancellation through Value
		default:
			t.Fatalf("%s: not cancelled with its parent", name)
		}
		if !errors.Is(c.Err(), context.Canceled) || !errors.Is(context.Cause(c), gone) {
			t.Errorf("%s: Err %v, Cause %v; want canceled by %v", name, c.Err(), context.Cause(c), gone)
		}
	}
	if _, ok := lookupState(context.Background()); ok {
		t.Error("lookupState found a state in a context without one")
	}
}

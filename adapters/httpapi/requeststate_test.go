package httpapi

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
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

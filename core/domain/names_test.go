package domain

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// TestNameRulesMatchTheirPatterns: each hand-written name rule agrees with
// the regular expression the contract states, on every byte in every
// position, on lengths around the bound, and on random strings.
func TestNameRulesMatchTheirPatterns(t *testing.T) {
	rules := []struct {
		name    string
		rule    nameRule
		pattern *regexp.Regexp
	}{
		{"slug", slugName, regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)},
		{"object name", objectName, regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)},
		{"key name", keyName, regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_-]{0,127}$`)},
	}
	inputs := []string{"", "a", "-", "_", "a-", "-a", "a_b", "A", "aB", "prod", "web-api", "é", "a\n", "a\x00", "a b", "a.b"}
	for _, n := range []int{62, 63, 64, 127, 128, 129} {
		inputs = append(inputs, strings.Repeat("a", n), "a"+strings.Repeat("-", n-1), strings.Repeat("_", n))
	}
	for c := range 256 {
		b := string([]byte{byte(c)})
		inputs = append(inputs, b, "a"+b, b+"a", "a"+b+"a")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	alphabet := "azAZ09_-.é\n"
	for range 20000 {
		b := make([]byte, rng.IntN(135))
		for i := range b {
			if rng.IntN(30) == 0 {
				b[i] = byte(rng.IntN(256))
			} else {
				b[i] = alphabet[rng.IntN(len(alphabet))]
			}
		}
		inputs = append(inputs, string(b))
	}
	for _, r := range rules {
		for _, in := range inputs {
			if got, want := r.rule.matches(in), r.pattern.MatchString(in); got != want {
				t.Errorf("%s %q: %v, the pattern says %v", r.name, in, got, want)
			}
		}
	}
}

// BenchmarkCheckSlug is the check every cached read makes of its slug.
func BenchmarkCheckSlug(b *testing.B) {
	p := Problems{}
	for b.Loop() {
		CheckSlug(p, "slug", "web-api-payments")
	}
}

package logging

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// slowContainsFold reports whether s contains the ASCII word sub in any
// case, window by window.
func slowContainsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// slowMayHoldCredential is mayHoldCredential as one search per substring
// (a non-ASCII byte stands for a Unicode fold of "password").
func slowMayHoldCredential(s string) bool {
	nonASCII := strings.IndexFunc(s, func(r rune) bool { return r >= 0x80 }) >= 0
	return strings.Contains(s, "cmk_") || strings.Contains(s, "cmt_") ||
		strings.Contains(s, "://") || slowContainsFold(s, "bearer") ||
		(strings.IndexByte(s, '=') >= 0 && (slowContainsFold(s, "password") || nonASCII))
}

// TestFastPathsMatchTheFullChecks: sensitiveField and mayHoldCredential answer
// what the checks without their fast paths answer, on hand-picked and random
// names and strings (Unicode case folds included: the Kelvin sign folds to
// k, the long s to s).
func TestFastPathsMatchTheFullChecks(t *testing.T) {
	inputs := []string{"", "password", "PASSWORD", "db_password", "db-Password", "api_key", "API-KEY", "api_key_id", "key", "Key",
		"token", "refresh_token", "tokens", "secret", "client_secret", "secrets", "authorization", "Authorization", "request_id",
		"status", "duration_ms", "cmk_x", "a cmt_", "cm_k", "x://y", ":/", "pass=word", "password", "=PassWord", "pa\u017fsword=1", "api_\u212aey", "pa\u017fsword", "bearer", "BeArEr x", "bear", "xbearer", "b", "é key"}
	rng := rand.New(rand.NewPCG(7, 8))
	parts := []string{"cm", "k_", "t_", ":", "//", "=", "pass", "word", "to", "ken", "k", "ey", "se", "cret", "auth", "orization", "_", "-", "id", "\u212a", "\u017f", "B", "bea", "rer", "é", "x",
		"44444444-4444-4444-8444-444444444444", "3H4MU4IYZD7U7YSQ-7", "127.0.0.1", "/api/v1/assets/{slug}/values", "R", "BEARER", "Pa\u017f\u017fword="}
	inputs = append(inputs, randomJoins(rng, parts, 20000, 6)...)
	for _, in := range inputs {
		if got, want := sensitiveField(in), sensitiveName(in); got != want {
			t.Errorf("sensitiveField(%q) = %v, the full check says %v", in, got, want)
		}
		if got, want := mayHoldCredential(in), slowMayHoldCredential(in); got != want {
			t.Errorf("mayHoldCredential(%q) = %v, the full check says %v", in, got, want)
		}
	}
}

// randomJoins returns n strings, each fewer than most parts drawn from
// parts by rng and joined.
func randomJoins(rng *rand.Rand, parts []string, n, most int) []string {
	out := make([]string, n)
	for i := range out {
		var sb strings.Builder
		for range rng.IntN(most) {
			sb.WriteString(parts[rng.IntN(len(parts))])
		}
		out[i] = sb.String()
	}
	return out
}

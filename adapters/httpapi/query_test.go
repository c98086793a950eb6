package httpapi

import (
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
)

// TestQueryValueMatchesParseQuery: queryValue answers what
// url.ParseQuery(raw).Get(name) answers, for hand-picked queries and for
// random ones built of the characters that matter.
func TestQueryValueMatchesParseQuery(t *testing.T) {
	raws := []string{
		"", "environment=prod", "environment=", "environment", "=prod", "&&environment=prod&&",
		"environment=prod&environment=stage", "a=1&environment=stage&b=2", "environment=pr%6Fd", "environment=a+b",
		"environment=%zz&environment=ok", "environment=bad%&environment=good", "env%69ronment=x", "environment%3Dx=y",
		"environment=x;y", "a=1;environment=x&environment=y", "environment=prod;", "e+nvironment=x", "environment=%2F%26",
		"environment=%E6%97%A5", "environment=%ff", "x=%zz&environment=p", "environment=p&" + strings.Repeat("a=1&", 150),
		strings.Repeat("&", 200) + "environment=late", "%=1&environment=z", "environment==p", "environment=p=q",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	parts := []string{"environment", "env", "=", "&", ";", "%", "%6", "%65", "+", "p", "%zz", "%2F"}
	for range 5000 {
		var sb strings.Builder
		for range rng.IntN(10) {
			sb.WriteString(parts[rng.IntN(len(parts))])
		}
		raws = append(raws, sb.String())
	}
	for _, raw := range raws {
		for _, name := range []string{"environment", "env", "p"} {
			q, _ := url.ParseQuery(raw)
			if got, want := queryValue(raw, name), q.Get(name); got != want {
				t.Errorf("queryValue(%q, %q) = %q, want %q", raw, name, got, want)
			}
		}
	}
}

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

// TestQueryValuesMatchesParseQuery: queryValues answers, for several names
// in one pass, what url.ParseQuery(raw).Get answers for each (names that
// repeat, that are empty, or that one key decodes to included).
func TestQueryValuesMatchesParseQuery(t *testing.T) {
	raws := []string{"", "environment=prod&wait=5", "wait=5&environment=prod", "wait=%zz&wait=3&environment=", "environment&wait",
		"env%69ronment=x&w%61it=2", "e=1&e=2", "=x&environment=y", "environment=%zz&environment=ok&wait=1;2&wait=4",
		"environment=p&wait=1&" + strings.Repeat("a=1&", 150) + "wait=2", "%zz=1&environment=a", "wait=a+b&environment=%2F"}
	rng := rand.New(rand.NewPCG(4, 9))
	parts := []string{"environment", "wait", "env", "=", "&", ";", "%", "%7", "%77", "+", "5", "%zz", "%2F", "w", "ait"}
	for range 5000 {
		var sb strings.Builder
		for range rng.IntN(12) {
			sb.WriteString(parts[rng.IntN(len(parts))])
		}
		raws = append(raws, sb.String())
	}
	nameSets := [][]string{{"environment", "wait"}, {"wait", "environment"}, {"environment", "environment"}, {"", "wait"}, {"env", "environment", "wait"}}
	for _, raw := range raws {
		for _, names := range nameSets {
			values := make([]string, len(names))
			for i := range values {
				values[i] = "stale"
			}
			queryValues(raw, names, values)
			q, _ := url.ParseQuery(raw)
			for i, name := range names {
				if want := q.Get(name); values[i] != want {
					t.Errorf("queryValues(%q, %q)[%d] = %q, url.ParseQuery says %q", raw, names, i, values[i], want)
				}
			}
		}
	}
}

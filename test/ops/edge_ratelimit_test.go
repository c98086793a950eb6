package ops

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/configmat/configmat/test/e2etest"
)

// anonymousFrom sends an anonymous request that the trusted proxy 127.0.0.1
// forwards for client, and returns its status and X-RateLimit-Remaining.
func anonymousFrom(t *testing.T, srv *e2etest.Server, client string) (int, int64) {
	t.Helper()
	resp, body := srv.Do(t, http.MethodGet, apiBase+"/openapi.json", nil, map[string]string{"X-Forwarded-For": client})
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusTooManyRequests:
		requireRateLimited(t, resp, body, 3600)
	default:
		t.Fatalf("anonymous request for %s: status %d; body %s", client, resp.StatusCode, body)
	}
	return resp.StatusCode, readRateHeaders(t, resp).remaining
}

// TestIPv6NetworkSharesOneAnonymousBudget: anonymous clients of one IPv6
// /64 (RATE_LIMIT_IPV6_PREFIX's default) count against one budget however
// many addresses they use, another /64 has its own, IPv4 counts per
// address, and an IPv4-mapped IPv6 address counts as its IPv4 address.
func TestIPv6NetworkSharesOneAnonymousBudget(t *testing.T) {
	const limit = 5
	// A network of its own per run: 2001:db8:XXXX:YYYY::/64.
	network := "2001:db8:" + randomHex(t, 2) + ":" + randomHex(t, 2)
	srv := startServer(t, e2etest.Options{Env: embeddedEnv(t, map[string]string{
		"RATE_LIMIT_ANON": strconv.Itoa(limit) + "/hour",
		"TRUSTED_PROXIES": "127.0.0.1/32",
	})})

	t.Run("seven addresses of one /64 share one budget", func(t *testing.T) {
		hosts := []string{"::1", "::2", "::dead:beef", "::1:0:7", ":ffff:ffff:ffff:ffff", "::abcd", "::9"}
		for i, host := range hosts {
			status, remaining := anonymousFrom(t, srv, network+host)
			wantStatus, wantRemaining := http.StatusOK, int64(limit-1-i)
			if i >= limit {
				wantStatus, wantRemaining = http.StatusTooManyRequests, 0
			}
			if status != wantStatus || remaining != wantRemaining {
				t.Fatalf("address %d (%s): status %d, remaining %d; want %d and %d", i+1, network+host, status, remaining, wantStatus, wantRemaining)
			}
		}
	})
	t.Run("another /64 has its own budget", func(t *testing.T) {
		other := "2001:db8:" + randomHex(t, 2) + ":" + randomHex(t, 2) + "::1"
		if status, remaining := anonymousFrom(t, srv, other); status != http.StatusOK || remaining != limit-1 {
			t.Fatalf("a client of another /64 (%s): status %d, remaining %d; want 200 and %d", other, status, remaining, limit-1)
		}
	})
	t.Run("IPv4 counts per address, an IPv4-mapped address as IPv4", func(t *testing.T) {
		octet, _ := strconv.ParseUint(randomHex(t, 1), 16, 8)
		base := "198.18." + strconv.FormatUint(octet, 10) + "."
		if status, remaining := anonymousFrom(t, srv, base+"1"); status != http.StatusOK || remaining != limit-1 {
			t.Fatalf("IPv4 %s1: status %d, remaining %d; want 200 and %d", base, status, remaining, limit-1)
		}
		if status, remaining := anonymousFrom(t, srv, base+"2"); status != http.StatusOK || remaining != limit-1 {
			t.Fatalf("IPv4 %s2, a neighbour: status %d, remaining %d; want its own budget, %d", base, status, remaining, limit-1)
		}
		if status, remaining := anonymousFrom(t, srv, "::ffff:"+base+"1"); status != http.StatusOK || remaining != limit-2 {
			t.Fatalf("IPv4-mapped ::ffff:%s1: status %d, remaining %d; want the budget of %s1, %d", base, status, remaining, base, limit-2)
		}
	})
}

// TestIPv6PrefixSetting: RATE_LIMIT_IPV6_PREFIX sets the network size, and a
// bad value stops the server with one line naming it.
func TestIPv6PrefixSetting(t *testing.T) {
	t.Run("a /48 groups two /64s", func(t *testing.T) {
		srv := startServer(t, e2etest.Options{Env: embeddedEnv(t, map[string]string{
			"RATE_LIMIT_ANON": "5/hour", "TRUSTED_PROXIES": "127.0.0.1/32", "RATE_LIMIT_IPV6_PREFIX": "48",
		})})
		network := "2001:db8:" + randomHex(t, 2) + ":"
		if _, remaining := anonymousFrom(t, srv, network+"1::1"); remaining != 4 {
			t.Fatalf("first client of the /48: remaining %d, want 4", remaining)
		}
		if _, remaining := anonymousFrom(t, srv, network+"2::1"); remaining != 3 {
			t.Fatalf("a client of another /64 of the same /48: remaining %d, want 3 (one budget)", remaining)
		}
	})
	for _, bad := range []string{"0", "129", "64bits"} {
		t.Run("RATE_LIMIT_IPV6_PREFIX="+bad, func(t *testing.T) {
			requireRefused(t, runServe(t, t.TempDir(), embeddedEnv(t, map[string]string{"RATE_LIMIT_IPV6_PREFIX": bad})),
				"RATE_LIMIT_IPV6_PREFIX: must be an integer from 1 to 128")
		})
	}
}

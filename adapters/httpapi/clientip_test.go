package httpapi

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientIP(t *testing.T) {
	trusted := trustedProxies{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:ffff::/48")}
	cases := []struct {
		name    string
		proxies trustedProxies
		peer    string
		xff     []string
		want    string
	}{
		{"no proxies: the peer", nil, "198.51.100.7:1234", []string{"203.0.113.9"}, "198.51.100.7"},
		{"an untrusted peer's header is ignored", trusted, "198.51.100.7:1234", []string{"203.0.113.9"}, "198.51.100.7"},
		{"a trusted peer without header", trusted, "10.0.0.1:1234", nil, "10.0.0.1"},
		{"a trusted peer's client", trusted, "10.0.0.1:1234", []string{"203.0.113.9"}, "203.0.113.9"},
		{"trusted hops are skipped from the right", trusted, "10.0.0.1:1234", []string{"6.6.6.6, 203.0.113.9, 10.0.0.2"}, "203.0.113.9"},
		{"several headers are one list", trusted, "10.0.0.1:1234", []string{"6.6.6.6", "203.0.113.9"}, "203.0.113.9"},
		{"all hops trusted: the leftmost", trusted, "10.0.0.1:1234", []string{"10.0.0.3, 10.0.0.2"}, "10.0.0.3"},
		{"garbage left of the client is never read", trusted, "10.0.0.1:1234", []string{"garbage, 203.0.113.9"}, "203.0.113.9"},
		{"garbage stops the walk at the last good hop", trusted, "10.0.0.1:1234", []string{"203.0.113.9, garbage"}, "10.0.0.1"},
		{"an empty hop stops the walk", trusted, "10.0.0.1:1234", []string{"203.0.113.9, "}, "10.0.0.1"},
		{"a hop with a port", trusted, "10.0.0.1:1234", []string{"203.0.113.9:5555"}, "203.0.113.9"},
		{"an IPv6 hop in brackets", trusted, "10.0.0.1:1234", []string{"[2001:db8::5]"}, "2001:db8::5"},
		{"an IPv6 peer", trusted, "[2001:db8::1]:443", nil, "2001:db8::1"},
		{"a trusted IPv6 proxy", trusted, "[2001:db8:ffff::1]:443", []string{"203.0.113.9"}, "203.0.113.9"},
		{"an IPv4-mapped peer", trusted, "[::ffff:198.51.100.7]:1", nil, "198.51.100.7"},
		{"an IPv4-mapped trusted peer", trusted, "[::ffff:10.0.0.1]:1", []string{"203.0.113.9"}, "203.0.113.9"},
		{"a zoned peer", nil, "[fe80::1%eth0]:1", nil, "fe80::1"},
		{"a peer without port", nil, "198.51.100.7", nil, "198.51.100.7"},
		{"an unparsable peer is kept as is", trusted, "@", []string{"203.0.113.9"}, "@"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.peer
			for _, h := range tc.xff {
				r.Header.Add("X-Forwarded-For", h)
			}
			if got := tc.proxies.clientIP(r); got != tc.want {
				t.Errorf("clientIP = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestAnonymousKey(t *testing.T) {
	cases := []struct {
		name   string
		ip     string
		prefix int
		want   string
	}{
		{"IPv4 counts per address", "198.51.100.7", 64, "198.51.100.7"},
		{"IPv4 ignores the IPv6 prefix", "198.51.100.7", 8, "198.51.100.7"},
		{"IPv6 counts per /64", "2001:db8:1:2:aaaa:bbbb:cccc:dddd", 64, "2001:db8:1:2::/64"},
		{"the same /64", "2001:db8:1:2::1", 64, "2001:db8:1:2::/64"},
		{"another /64", "2001:db8:1:3::1", 64, "2001:db8:1:3::/64"},
		{"a /56", "2001:db8:1:2ff::1", 56, "2001:db8:1:200::/56"},
		{"a /128 is the address", "2001:db8::5", 128, "2001:db8::5/128"},
		{"a /1", "2001:db8::5", 1, "::/1"},
		{"loopback", "::1", 64, "::/64"},
		{"not an address", "@", 64, "@"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := anonymousKey(tc.ip, tc.prefix); got != tc.want {
				t.Errorf("anonymousKey(%q, %d) = %q, want %q", tc.ip, tc.prefix, got, tc.want)
			}
		})
	}
}

// TestIPv6ClientsCountPerNetwork: anonymous requests from addresses of one
// network count under one key, whatever peer or forwarded hop they come
// from; an IPv4-mapped address counts as its IPv4 address.
func TestIPv6ClientsCountPerNetwork(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	cases := []struct {
		name   string
		prefix int
		peer   string
		xff    string
		want   string
	}{
		{"an IPv6 peer, the default /64", 0, "[2001:db8:1:2::7]:4000", "", "2001:db8:1:2::/64"},
		{"a forwarded IPv6 client", 0, "10.0.0.1:4000", "2001:db8:1:2:ffff::9", "2001:db8:1:2::/64"},
		{"a forwarded IPv6 client, /48", 48, "10.0.0.1:4000", "2001:db8:1:2::9", "2001:db8:1::/48"},
		{"an IPv4-mapped peer", 0, "[::ffff:198.51.100.7]:4000", "", "198.51.100.7"},
		{"a forwarded IPv4-mapped client", 0, "10.0.0.1:4000", "::ffff:203.0.113.9", "203.0.113.9"},
		{"an IPv4 peer", 0, "198.51.100.7:4000", "", "198.51.100.7"},
		{"over 128 counts per address", 129, "[2001:db8::7]:4000", "", "2001:db8::7/128"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newTestAPI(t, func(c *Config) { c.TrustedProxies, c.RateLimitIPv6Prefix = proxies, tc.prefix })
			r := newRequest("GET", "/api/v1/openapi.json", "")
			if tc.xff != "" {
				r.Header.Set("X-Forwarded-For", tc.xff)
			}
			r.RemoteAddr = tc.peer
			a.serve(t, r)
			if got := a.limiter.taken(); len(got) != 1 || got[0].key != tc.want {
				t.Errorf("Take calls = %v, want key %s", got, tc.want)
			}
		})
	}
}

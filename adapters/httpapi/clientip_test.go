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

package httpapi

import (
	"net/http"
	"net/netip"
	"strings"
)

// DefaultIPv6Prefix is the prefix length of the IPv6 networks anonymous
// clients are counted per, unless Config says otherwise: a /64 is what one
// subscriber holds, so counting per address would leave them unlimited.
const DefaultIPv6Prefix = 64

// anonymousKey is what an anonymous request from clientIP counts under: an
// IPv4 address itself (an IPv4-mapped IPv6 address is unmapped by clientIP),
// an IPv6 address its network of ipv6Prefix bits ("2001:db8:1:2::/64"),
// anything unparsable as it is.
func anonymousKey(clientIP string, ipv6Prefix int) string {
	addr, err := netip.ParseAddr(clientIP)
	if err != nil || !addr.Is6() {
		return clientIP
	}
	network, err := addr.Prefix(ipv6Prefix)
	if err != nil {
		return clientIP
	}
	return network.String()
}

// trustedProxies are the peers whose X-Forwarded-For is believed.
type trustedProxies []netip.Prefix

// trusts reports whether addr is inside one of the trusted prefixes.
func (t trustedProxies) trusts(addr netip.Addr) bool {
	for _, p := range t {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// clientIP returns the address requests are counted under: the socket peer,
// unless the peer is a trusted proxy, in which case X-Forwarded-For is walked
// from the right, skipping trusted proxies, to the first untrusted address.
// A client cannot spoof it: entries left of the first untrusted one are never
// read, and an unparsable entry stops the walk at the last good address.
func (t trustedProxies) clientIP(r *http.Request) string {
	peer, ok := parseAddr(r.RemoteAddr)
	if !ok {
		return r.RemoteAddr
	}
	if !t.trusts(peer) {
		return addrText(r.RemoteAddr, peer)
	}
	client := peer
	hops := forwardedFor(r.Header.Values("X-Forwarded-For"))
	for i := len(hops) - 1; i >= 0; i-- {
		hop, ok := parseAddr(hops[i])
		if !ok {
			break
		}
		client = hop
		if !t.trusts(hop) {
			break
		}
	}
	return client.String()
}

// addrText returns peer, parsed from remote, as text: for "a.b.c.d:port" the
// address as written, which is already netip's form (it refuses leading
// zeros), so that the common peer costs no formatting; else peer.String().
func addrText(remote string, peer netip.Addr) string {
	if peer.Is4() && remote != "" && remote[0] != '[' {
		if i := strings.LastIndexByte(remote, ':'); i > 0 {
			return remote[:i]
		}
	}
	return peer.String()
}

// forwardedFor splits every X-Forwarded-For header into its hops, in order.
func forwardedFor(headers []string) []string {
	var hops []string
	for _, h := range headers {
		for _, hop := range strings.Split(h, ",") {
			hops = append(hops, strings.TrimSpace(hop))
		}
	}
	return hops
}

// parseAddr reads "ip", "ip:port" or "[ipv6]:port", unmapping IPv4-in-IPv6
// and dropping any IPv6 zone.
func parseAddr(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return a.Unmap().WithZone(""), true
	}
	return netip.Addr{}, false
}

// Package clientip finds the address of the client behind trusted reverse
// proxies, for the collector and the query service alike.
package clientip

import (
	"net/netip"
	"strings"
)

// Resolve returns the socket peer, or, when the peer is a trusted proxy, the
// right-most address of X-Forwarded-For that is not a trusted proxy
// itself: the left-most entries are whatever the client chose to send.
func Resolve(peer netip.Addr, xff string, trusted []netip.Prefix) netip.Addr {
	peer = peer.Unmap()
	if xff == "" || !Trusted(peer, trusted) {
		return peer
	}
	ip := peer
	for rest := xff; rest != ""; {
		var part string
		if i := strings.LastIndexByte(rest, ','); i >= 0 {
			part, rest = rest[i+1:], rest[:i]
		} else {
			part, rest = rest, ""
		}
		a, err := netip.ParseAddr(strings.TrimSpace(part))
		if err != nil {
			return ip
		}
		ip = a.Unmap()
		if !Trusted(ip, trusted) {
			return ip
		}
	}
	return ip
}

func Trusted(ip netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// ParseProxies reads a comma-separated list of CIDRs or addresses.
func ParseProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, err
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

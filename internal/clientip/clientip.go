// Package clientip finds the address of the client behind trusted reverse
// proxies, for the collector (fasthttp) and the query service (net/http)
// alike: FromFastHTTP and FromRequest read the same rule from each stack's
// request, so a throttle, a visitor id and a log see the same client.
package clientip

import (
	"bytes"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/valyala/fasthttp"
)

// FromRequest is the client of a net/http request. A peer that is no IP
// address (a test's pipe, a Unix socket) is the invalid Addr: one client.
func FromRequest(r *http.Request, trusted []netip.Prefix) netip.Addr {
	return Resolve(peerOf(r.RemoteAddr), strings.Join(r.Header.Values("X-Forwarded-For"), ","), trusted)
}

// FromFastHTTP is the client of a fasthttp request, by the same rule.
func FromFastHTTP(ctx *fasthttp.RequestCtx, trusted []netip.Prefix) netip.Addr {
	var peer netip.Addr
	if a, ok := ctx.RemoteAddr().(*net.TCPAddr); ok {
		peer, _ = netip.AddrFromSlice(a.IP)
	}
	return Resolve(peer, forwardedFor(&ctx.Request.Header), trusted)
}

// ForwardedHTTPS reports whether a net/http request came over HTTPS: its
// own TLS, or X-Forwarded-Proto from a trusted proxy (from anyone else the
// header is whatever the client chose to send).
func ForwardedHTTPS(r *http.Request, trusted []netip.Prefix) bool {
	if r.TLS != nil {
		return true
	}
	peer := peerOf(r.RemoteAddr)
	return peer.IsValid() && Trusted(peer.Unmap(), trusted) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// peerOf reads net/http's RemoteAddr, "host:port" or a bare host.
func peerOf(remote string) netip.Addr {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, _ := netip.ParseAddr(host)
	return a
}

// forwardedFor joins every X-Forwarded-For line in order, as one list, as
// net/http's Header.Values does: a proxy may add its own line after the
// client's instead of appending to it, and the first line alone would then
// be what the client wrote.
func forwardedFor(h *fasthttp.RequestHeader) string {
	lines := h.PeekAll("X-Forwarded-For")
	if len(lines) == 1 {
		return string(lines[0])
	}
	return string(bytes.Join(lines, []byte(",")))
}

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

// Trusted reports whether ip is one of the trusted proxies.
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

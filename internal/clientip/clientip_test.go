package clientip

import (
	"crypto/tls"
	"net"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/valyala/fasthttp"
)

func TestClientIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	tests := []struct{ peer, xff, want string }{
		{"203.0.113.9", "81.65.1.2", "203.0.113.9"},
		{"10.0.0.5", "", "10.0.0.5"},
		{"10.0.0.5", "81.65.1.2", "81.65.1.2"},
		{"10.0.0.5", "6.6.6.6, 81.65.1.2, 10.0.0.7", "81.65.1.2"},
		{"10.0.0.5", "garbage", "10.0.0.5"},
		{"::1", "2a01:cb00::1", "2a01:cb00::1"},
		{"::ffff:10.0.0.5", "81.65.1.2", "81.65.1.2"},
	}
	for _, tt := range tests {
		if got := Resolve(netip.MustParseAddr(tt.peer), tt.xff, trusted); got.String() != tt.want {
			t.Errorf("Resolve(%s, %q) = %s, want %s", tt.peer, tt.xff, got, tt.want)
		}
	}
	if _, err := ParseProxies("10.0.0.0/8, 127.0.0.1, ::1"); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseProxies("10.0.0.0/33"); err == nil {
		t.Fatal("want an error for a bad CIDR")
	}
}

// TestBothStacksReadTheSameClient runs one table through the reader of
// each HTTP stack: the collector's (fasthttp) and the query service's
// (net/http) must name the same client for the same request.
func TestBothStacksReadTheSameClient(t *testing.T) {
	trusted, err := ParseProxies("10.0.0.0/8, 2001:db8:ffff::/48, 127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		peer string   // the socket's peer, host:port
		xff  []string // X-Forwarded-For lines, in order
		want string   // "" for no address
	}{
		{"direct client", "192.0.2.1:1234", nil, "192.0.2.1"},
		{"untrusted peer's header is ignored", "192.0.2.1:1234", []string{"198.51.100.7"}, "192.0.2.1"},
		{"untrusted peer spoofs a trusted proxy", "192.0.2.1:1234", []string{"198.51.100.7, 10.0.0.2"}, "192.0.2.1"},
		{"trusted proxy", "10.0.0.1:1234", []string{"198.51.100.7"}, "198.51.100.7"},
		{"the client's own entries are not believed", "10.0.0.1:1234", []string{"6.6.6.6, 198.51.100.7"}, "198.51.100.7"},
		{"a chain of trusted proxies", "10.0.0.1:1234", []string{"6.6.6.6, 198.51.100.7, 10.0.0.3, 10.0.0.2"}, "198.51.100.7"},
		{"a proxy's own line after the client's", "10.0.0.1:1234", []string{"6.6.6.6", "198.51.100.7"}, "198.51.100.7"},
		{"a spoofed line before the proxy's", "10.0.0.1:1234", []string{"198.51.100.9", "198.51.100.7, 10.0.0.2"}, "198.51.100.7"},
		{"garbage left of the client", "10.0.0.1:1234", []string{"junk, 198.51.100.7"}, "198.51.100.7"},
		{"garbage right of the client stops the walk", "10.0.0.1:1234", []string{"198.51.100.7, junk"}, "10.0.0.1"},
		{"every entry trusted: the left-most", "10.0.0.1:1234", []string{"10.0.0.9, 10.0.0.8"}, "10.0.0.9"},
		{"the proxy itself", "10.0.0.1:1234", nil, "10.0.0.1"},
		{"loopback proxy", "127.0.0.1:40000", []string{"203.0.113.50"}, "203.0.113.50"},
		{"IPv6 client", "[2001:db8::1]:1234", nil, "2001:db8::1"},
		{"IPv6 proxy, IPv6 client", "[2001:db8:ffff::1]:443", []string{"2a01:cb00:1:2::5"}, "2a01:cb00:1:2::5"},
		{"IPv6 proxy, IPv4 client", "[2001:db8:ffff::1]:443", []string{"198.51.100.7"}, "198.51.100.7"},
		{"untrusted IPv6 peer", "[2a01:cb00::9]:443", []string{"198.51.100.7"}, "2a01:cb00::9"},
		{"mapped peer unmapped and trusted", "[::ffff:10.0.0.5]:1234", []string{"198.51.100.7"}, "198.51.100.7"},
		{"mapped client unmapped", "10.0.0.1:1234", []string{"::ffff:198.51.100.7"}, "198.51.100.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.peer
			for _, l := range tt.xff {
				r.Header.Add("X-Forwarded-For", l)
			}
			var req fasthttp.Request
			for _, l := range tt.xff {
				req.Header.Add("X-Forwarded-For", l)
			}
			tcp, err := net.ResolveTCPAddr("tcp", tt.peer)
			if err != nil {
				t.Fatal(err)
			}
			var c fasthttp.RequestCtx
			c.Init(&req, tcp, nil)
			std, fast := FromRequest(r, trusted), FromFastHTTP(&c, trusted)
			if got := addrText(std); got != tt.want {
				t.Errorf("net/http: %s, want %s", got, tt.want)
			}
			if got := addrText(fast); got != tt.want {
				t.Errorf("fasthttp: %s, want %s", got, tt.want)
			}
		})
	}
}

func addrText(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

func TestPeerThatIsNoAddress(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "pipe"
	r.Header.Set("X-Forwarded-For", "198.51.100.7")
	if got := FromRequest(r, trusted); got.IsValid() {
		t.Errorf("net/http: %s, want no address (and the header ignored)", got)
	}
	var req fasthttp.Request
	req.Header.Set("X-Forwarded-For", "198.51.100.7")
	var c fasthttp.RequestCtx
	c.Init(&req, &net.UnixAddr{Name: "/run/sillage.sock", Net: "unix"}, nil)
	if got := FromFastHTTP(&c, trusted); got.IsValid() {
		t.Errorf("fasthttp: %s, want no address (and the header ignored)", got)
	}
}

func TestForwardedHTTPS(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	tests := []struct {
		name, peer, proto string
		tls               bool
		want              bool
	}{
		{"plain", "192.0.2.1:1234", "", false, false},
		{"TLS of its own", "192.0.2.1:1234", "", true, true},
		{"trusted proxy says https", "10.0.0.1:1234", "https", false, true},
		{"trusted proxy says HTTPS", "[::ffff:10.0.0.1]:1234", "HTTPS", false, true},
		{"trusted proxy says http", "10.0.0.1:1234", "http", false, false},
		{"spoofed by an untrusted peer", "192.0.2.1:1234", "https", false, false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.peer
		if tt.proto != "" {
			r.Header.Set("X-Forwarded-Proto", tt.proto)
		}
		if !tt.tls {
			r.TLS = nil
		} else {
			r.TLS = &tls.ConnectionState{}
		}
		if got := ForwardedHTTPS(r, trusted); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// BenchmarkFromFastHTTP is the collector's read of each event's client,
// behind one trusted proxy.
func BenchmarkFromFastHTTP(b *testing.B) {
	trusted := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	var req fasthttp.Request
	req.Header.Set("X-Forwarded-For", "198.51.100.7")
	var c fasthttp.RequestCtx
	c.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}, nil)
	b.ReportAllocs()
	for b.Loop() {
		if !FromFastHTTP(&c, trusted).IsValid() {
			b.Fatal("no address")
		}
	}
}

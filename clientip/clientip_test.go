package clientip

import (
	"net/netip"
	"testing"
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

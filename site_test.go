package sillage

import "testing"

func TestNormalizeDomain(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"example.fr", "example.fr"},
		{"  https://www.Example.FR/shop?x=1 ", "example.fr"},
		{"http://boutique.fr#top", "boutique.fr"},
		{"www.www.shop.fr", "shop.fr"},
		{"shop.fr.", "shop.fr"},
		{"www.shop.fr./", "shop.fr"},
		{"sub.www.shop.fr", "sub.www.shop.fr"},
		{"localhost", "localhost"},
	} {
		if got := NormalizeDomain(tt.in); got != tt.want {
			t.Errorf("NormalizeDomain(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// A site is found by the normalised form of what is asked, so normalising
// a stored domain again must give it back unchanged.
func FuzzNormalizeDomain(f *testing.F) {
	for _, s := range []string{"www.www.shop.fr", "https://www.a.fr/x", "a.fr.", "www..fr", "http://www./"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		once := NormalizeDomain(s)
		if twice := NormalizeDomain(once); twice != once {
			t.Fatalf("NormalizeDomain(%q) = %q, then %q", s, once, twice)
		}
	})
}

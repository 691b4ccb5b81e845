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
		// One name however its Unicode is typed: an accent as a mark of
		// its own, full-width letters.
		{"bu\u0308cher.de", "bücher.de"},
		{"ＢÜCHER.de", "bücher.de"},
		{"café.fr", "café.fr"},
	} {
		if got := NormalizeDomain(tt.in); got != tt.want {
			t.Errorf("NormalizeDomain(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// A site is found by the normalised form of what is asked, so normalising
// a stored domain again must give it back unchanged.
func FuzzNormalizeDomain(f *testing.F) {
	for _, s := range []string{"www.www.shop.fr", "https://www.a.fr/x", "a.fr.", "www..fr", "http://www./", "bu\u0308cher.de", "ｗｗｗ．shop.fr"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		once := NormalizeDomain(s)
		if twice := NormalizeDomain(once); twice != once {
			t.Fatalf("NormalizeDomain(%q) = %q, then %q", s, once, twice)
		}
	})
}

// A domain is shown in mail bodies, headers and file names: nothing but a
// host name gets in.
func TestValidateSite(t *testing.T) {
	for _, tt := range []struct {
		domain string
		ok     bool
	}{
		{"example.fr", true},
		{"boutique-du-coin.example.fr", true},
		{"localhost", true},
		{"xn--caf-dma.fr", true},
		{"café.fr", true},
		{"", false},
		{"nodot", false},
		{"a b.fr", false},
		{"a\x00.fr", false},
		{"a\r\nBcc: x@y.fr.fr", false},
		{"a\u0085.fr", false},
		{"a\u2028.fr", false},
		{"a\u00a0.fr", false},
		{"a\x7f.fr", false},
		{"a/b.fr", false},
		{"a?b.fr", false},
		{"a#b.fr", false},
		{"<a>.fr", false},
		{"a%0d.fr", false},
		{"a@b.fr", false},
	} {
		err := ValidateSite(tt.domain, "Europe/Paris")
		if (err == nil) != tt.ok {
			t.Errorf("ValidateSite(%q) = %v, want ok %v", tt.domain, err, tt.ok)
		}
	}
}

package idn

import "testing"

func TestTwin(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"bücher.de", "xn--bcher-kva.de"},
		{"xn--bcher-kva.de", "bücher.de"},
		{"café.fr", "xn--caf-dma.fr"},
		{"shop.xn--caf-dma.fr", "shop.café.fr"},
		{"boutique.fr", ""},
		{"", ""},
	} {
		if got := Twin(tt.in); got != tt.want {
			t.Errorf("Twin(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

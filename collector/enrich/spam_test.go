package enrich

import "testing"

// Plausible drops an event whose referrer's host is on Matomo's
// referrer-spam list, or is a subdomain of a listed domain.
func TestIsReferrerSpam(t *testing.T) {
	tests := []struct {
		referrer string
		want     bool
	}{
		{"https://semalt.com/", true},
		{"http://semalt.com", true},
		{"https://www.semalt.com/crawler", true},
		{"https://a.b.semalt.com/?x=1", true},
		{"https://SEMALT.COM/", true},
		{"https://semalt.com:8080/path", true},
		{"https://user@darodar.com/", true},
		{"https://buttons-for-website.com#top", true},
		{"https://qiwi.xyz/", true}, // listed as QIWI.xyz
		{"https://semalt.com.", true},
		{"https://notsemalt.com/", false},
		{"https://semalt.com.example.fr/", false},
		{"https://com/", false},
		{"https://www.google.fr/", false},
		{"https://atelier.fr/page", false},
		{"", false},
		{"not a url", false},
		{"android-app://com.google.android.gm/", false},
	}
	for _, tt := range tests {
		if got := IsReferrerSpam(tt.referrer); got != tt.want {
			t.Errorf("IsReferrerSpam(%q) = %v, want %v", tt.referrer, got, tt.want)
		}
	}
	if n := len(loadSpam()); n < 2300 {
		t.Fatalf("%d spam domains loaded, want the whole list", n)
	}
}

func FuzzIsReferrerSpam(f *testing.F) {
	for _, s := range []string{"https://semalt.com/", "http://a.b@c.semalt.com:1/x?y#z", "", "://", "https://.", "http://[::1]:80/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { IsReferrerSpam(s) })
}

func BenchmarkIsReferrerSpam(b *testing.B) {
	loadSpam()
	for _, bc := range []struct{ name, ref string }{
		{"google", "https://www.google.com/search?q=pain"},
		{"spam subdomain", "https://a.b.semalt.com/x"},
		{"none", ""},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				IsReferrerSpam(bc.ref)
			}
		})
	}
}

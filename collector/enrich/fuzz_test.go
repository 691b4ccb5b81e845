package enrich

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzParseURL(f *testing.F) {
	f.Add("https://www.example.fr/caf%C3%A9/?utm_source=x#/route", true, false)
	f.Add("http://[::1]:80/a%2fb%", false, true)
	f.Fuzz(func(t *testing.T, raw string, hashMode, keepQuery bool) {
		opts := URLOptions{KeepQuery: keepQuery}
		host, path, _, err := ParseURL(raw, hashMode, opts)
		if err != nil {
			return
		}
		if host == "" || strings.HasPrefix(host, "www.") || host != strings.ToLower(host) || !utf8.ValidString(host) {
			t.Errorf("hostname %q", host)
		}
		if !strings.HasPrefix(path, "/") || len(path) > maxPathBytes || !utf8.ValidString(path) {
			t.Errorf("pathname %q", path)
		}
		if strings.ContainsFunc(path, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			t.Errorf("control character in pathname %q", path)
		}
		if !keepQuery && !hashMode && strings.ContainsAny(path, "?#") {
			t.Errorf("query or fragment in pathname %q", path)
		}
		// Normalising is idempotent.
		if !keepQuery && !hashMode && len(path) < maxPathBytes-8 {
			_, again, _, err := ParseURL("https://example.fr"+path, false, opts)
			if err != nil || again != path {
				t.Errorf("pathname %q parses again as %q, %v", path, again, err)
			}
		}
	})
}

func FuzzSource(f *testing.F) {
	f.Add("https://www.google.fr/search?q=x", "example.fr")
	f.Add("android-app://com.google.android.gm/", "www.example.fr")
	f.Fuzz(func(t *testing.T, ref, site string) {
		referrer, source := Source(ref, site)
		if (referrer == "") != (source == "") {
			t.Fatalf("Source(%q, %q) = %q, %q", ref, site, referrer, source)
		}
		if referrer == "" {
			return
		}
		if strings.ContainsAny(referrer, "?#") && !strings.HasPrefix(referrer, "android-app://") || len(referrer) > maxPathBytes {
			t.Errorf("referrer %q", referrer)
		}
		if !utf8.ValidString(referrer) || !utf8.ValidString(source) {
			t.Errorf("invalid UTF-8: %q, %q", referrer, source)
		}
		if strings.HasPrefix(referrer, "android-app://") {
			return
		}
		// A site never refers to itself.
		host, _, _ := strings.Cut(referrer, "/")
		if r, s := Source(ref, host); r != "" || s != "" {
			t.Errorf("Source(%q, %q) = %q, %q; want a self-referral", ref, host, r, s)
		}
	})
}

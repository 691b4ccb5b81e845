package enrich

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		name  string
		raw   string
		hash  bool
		opts  URLOptions
		host  string
		path  string
		query url.Values
	}{
		{"root", "https://example.fr", false, URLOptions{}, "example.fr", "/", nil},
		{"root slash", "https://example.fr/", false, URLOptions{}, "example.fr", "/", nil},
		{"www, case and port", "HTTPS://WWW.Example.FR:8443/Blog/", false, URLOptions{}, "example.fr", "/Blog", nil},
		{"user info", "http://user:pw@example.fr/a", false, URLOptions{}, "example.fr", "/a", nil},
		{"IPv6", "http://[::1]:8080/a", false, URLOptions{}, "::1", "/a", nil},
		{"trailing dot host", "https://example.fr./a", false, URLOptions{}, "example.fr", "/a", nil},
		{"trailing slashes trimmed", "https://example.fr/blog///", false, URLOptions{}, "example.fr", "/blog", nil},
		{"trailing slash kept", "https://example.fr/blog/", false, URLOptions{KeepTrailingSlash: true}, "example.fr", "/blog/", nil},
		{"query dropped, values returned", "https://example.fr/a?utm_source=news&x=1&x=2", false, URLOptions{},
			"example.fr", "/a", url.Values{"utm_source": {"news"}, "x": {"1", "2"}}},
		{"query kept less tracking", "https://example.fr/a?utm_source=news&p=2&gclid=abc&q=caf%C3%A9", false, URLOptions{KeepQuery: true},
			"example.fr", "/a?p=2&q=caf%C3%A9", url.Values{"utm_source": {"news"}, "p": {"2"}, "gclid": {"abc"}, "q": {"café"}}},
		{"query of tracking only", "https://example.fr/a/?fbclid=1", false, URLOptions{KeepQuery: true}, "example.fr", "/a", url.Values{"fbclid": {"1"}}},
		{"fragment ignored", "https://example.fr/a#section", false, URLOptions{}, "example.fr", "/a", nil},
		{"hash route", "https://example.fr/app#/settings", true, URLOptions{}, "example.fr", "/app#/settings", nil},
		{"hash route trailing slashes", "https://example.fr/app/#/settings/", true, URLOptions{}, "example.fr", "/app#/settings", nil},
		{"hash root route", "https://example.fr/#/", true, URLOptions{}, "example.fr", "/#/", nil},
		{"hash route query", "https://example.fr/#/list?page=2", true, URLOptions{}, "example.fr", "/#/list", nil},
		{"empty hash", "https://example.fr/a#", true, URLOptions{}, "example.fr", "/a", nil},
		{"hash after query", "https://example.fr/a?x=1#/b", true, URLOptions{}, "example.fr", "/a#/b", url.Values{"x": {"1"}}},
		{"percent-encoded UTF-8 decoded", "https://example.fr/caf%C3%A9", false, URLOptions{}, "example.fr", "/café", nil},
		{"raw UTF-8 kept", "https://example.fr/café", false, URLOptions{}, "example.fr", "/café", nil},
		{"unreserved decoded", "https://example.fr/%7Euser/a%20b", false, URLOptions{}, "example.fr", "/~user/a b", nil},
		{"reserved stays, hex uppercased", "https://example.fr/a%2fb%3F%23%25", false, URLOptions{}, "example.fr", "/a%2Fb%3F%23%25", nil},
		{"invalid UTF-8 escape kept", "https://example.fr/%FF%C3", false, URLOptions{}, "example.fr", "/%FF%C3", nil},
		{"stray percent", "https://example.fr/100%", false, URLOptions{}, "example.fr", "/100%25", nil},
		{"control characters escaped", "https://example.fr/a\tb%0A", false, URLOptions{}, "example.fr", "/a%09b%0A", nil},
		{"invalid UTF-8 raw", "https://example.fr/\xff", false, URLOptions{}, "example.fr", "/%FF", nil},
		{"semicolon query", "https://example.fr/?a=1;b=2&c=3", false, URLOptions{}, "example.fr", "/", url.Values{"c": {"3"}}},
		{"IDN host lowercased", "https://ÉCOLE.fr/", false, URLOptions{}, "école.fr", "/", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host, path, q, err := ParseURL(tt.raw, tt.hash, tt.opts)
			if err != nil {
				t.Fatalf("ParseURL(%q): %v", tt.raw, err)
			}
			if host != tt.host || path != tt.path {
				t.Errorf("ParseURL(%q) = %q, %q; want %q, %q", tt.raw, host, path, tt.host, tt.path)
			}
			if !reflect.DeepEqual(q, tt.query) {
				t.Errorf("ParseURL(%q) query = %v, want %v", tt.raw, q, tt.query)
			}
		})
	}
}

func TestParseURLLengthCap(t *testing.T) {
	_, path, _, err := ParseURL("https://example.fr/"+strings.Repeat("é", 1500), false, URLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(path) > maxPathBytes || !utf8.ValidString(path) {
		t.Errorf("path of %d bytes, valid UTF-8 %v", len(path), utf8.ValidString(path))
	}
	_, path, _, _ = ParseURL("https://example.fr/"+strings.Repeat("a", 1997)+"%2F", false, URLOptions{})
	if strings.Contains(path[len(path)-2:], "%") {
		t.Errorf("path ends in a cut escape: %q", path[len(path)-4:])
	}
}

func TestParseURLErrors(t *testing.T) {
	for _, raw := range []string{"", "/relative", "example.fr/a", "ftp://example.fr/", "https://", "https:///a", "https://:80/", "https://exa mple.fr/", "https://[::1/", "javascript:alert(1)"} {
		_, _, _, err := ParseURL(raw, false, URLOptions{})
		if !errors.Is(err, ErrURL) {
			t.Errorf("ParseURL(%q) error = %v, want ErrURL", raw, err)
		}
	}
}

func TestCampaignFromQuery(t *testing.T) {
	tests := []struct {
		query string
		want  Campaign
	}{
		{"", Campaign{}},
		{"utm_source=newsletter&utm_medium=email&utm_campaign=spring&utm_term=shoes&utm_content=top",
			Campaign{Source: "newsletter", Medium: "email", Name: "spring", Term: "shoes", Content: "top"}},
		{"source=producthunt", Campaign{Source: "producthunt"}},
		{"ref=hn&source=ignored", Campaign{Source: "ignored"}},
		{"ref=hn", Campaign{Source: "hn"}},
		{"utm_source=+google+&ref=x", Campaign{Source: "google"}},
		{"gclid=Cj0KCQ&fbclid=IwAR", Campaign{ClickIDParam: "gclid"}},
		{"fbclid=IwAR", Campaign{ClickIDParam: "fbclid"}},
		{"sccid=1", Campaign{ClickIDParam: "ScCid"}},
		{"li_fat_id=1&twclid=2", Campaign{ClickIDParam: "li_fat_id"}},
		{"utm_source=%FF", Campaign{Source: "\uFFFD"}},
		{"utm_source=" + strings.Repeat("a", 400), Campaign{Source: strings.Repeat("a", maxTagBytes)}},
	}
	for _, tt := range tests {
		q, _ := url.ParseQuery(tt.query)
		if got := CampaignFromQuery(q); got != tt.want {
			t.Errorf("CampaignFromQuery(%q) = %+v, want %+v", tt.query, got, tt.want)
		}
	}
}

func TestClickIDPlatform(t *testing.T) {
	for param, want := range map[string]string{
		"gclid": "Google Ads", "gbraid": "Google Ads", "wbraid": "Google Ads", "dclid": "Google Ads/Display",
		"fbclid": "Facebook", "msclkid": "Microsoft Ads", "ttclid": "TikTok", "li_fat_id": "LinkedIn",
		"twclid": "X (Twitter)", "yclid": "Yandex", "ScCid": "Snapchat", "epik": "Pinterest", "utm_source": "",
	} {
		if got := ClickIDPlatform(param); got != want {
			t.Errorf("ClickIDPlatform(%q) = %q, want %q", param, got, want)
		}
	}
}

func BenchmarkParseURL(b *testing.B) {
	for _, bc := range []struct{ name, raw string }{
		{"plain", "https://www.example.fr/blog/2024/mon-article"},
		{"query", "https://www.example.fr/blog/2024/mon-article?utm_source=newsletter&utm_medium=email&utm_campaign=spring"},
		{"encoded", "https://www.example.fr/caf%C3%A9/cr%C3%A8me-br%C3%BBl%C3%A9e/"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, _, err := ParseURL(bc.raw, false, URLOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

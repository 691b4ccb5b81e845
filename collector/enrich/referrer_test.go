package enrich

import (
	"strings"
	"testing"
)

func TestSource(t *testing.T) {
	tests := []struct {
		ref, site        string
		referrer, source string
	}{
		{"https://www.google.fr/", "example.fr", "google.fr", "Google"},
		{"https://www.google.co.uk/search?q=x", "example.fr", "google.co.uk/search", "Google"},
		{"https://www.google.com.br/", "example.fr", "google.com.br", "Google"},
		{"https://l.facebook.com/l.php?u=https%3A%2F%2Fexample.fr", "example.fr", "l.facebook.com/l.php", "Facebook"},
		{"https://m.facebook.com/", "example.fr", "m.facebook.com", "Facebook"},
		{"https://l.instagram.com/", "example.fr", "l.instagram.com", "Instagram"},
		{"https://t.co/AbC123", "example.fr", "t.co/AbC123", "Twitter"},
		{"https://x.com/", "example.fr", "x.com", "Twitter"},
		{"https://www.linkedin.com/feed/", "example.fr", "linkedin.com/feed", "LinkedIn"},
		{"https://www.pinterest.fr/pin/123/", "example.fr", "pinterest.fr/pin/123", "Pinterest"},
		{"https://old.reddit.com/r/golang", "example.fr", "old.reddit.com/r/golang", "Reddit"},
		{"https://www.youtube.com/", "example.fr", "youtube.com", "Youtube"},
		{"https://bsky.app/profile/x", "example.fr", "bsky.app/profile/x", "Bluesky"},
		{"https://mastodon.social/@someone", "example.fr", "mastodon.social/@someone", "Mastodon"},
		{"https://mastodon.example.org/@someone", "example.fr", "mastodon.example.org/@someone", "Mastodon"},
		{"https://duckduckgo.com/", "example.fr", "duckduckgo.com", "DuckDuckGo"},
		{"https://www.qwant.com/", "example.fr", "qwant.com", "Qwant"},
		{"https://www.ecosia.org/", "example.fr", "ecosia.org", "Ecosia"},
		{"https://search.lilo.org/", "example.fr", "search.lilo.org", "Lilo"},
		{"https://www.startpage.com/", "example.fr", "startpage.com", "Startpage"},
		{"https://search.brave.com/", "example.fr", "search.brave.com", "Brave Search"},
		{"https://fr.search.yahoo.com/", "example.fr", "fr.search.yahoo.com", "Yahoo!"},
		{"https://yandex.ru/", "example.fr", "yandex.ru", "Yandex"},
		{"https://www.baidu.com/", "example.fr", "baidu.com", "Baidu"},
		{"https://www.bing.com/", "example.fr", "bing.com", "Bing"},
		{"https://chatgpt.com/", "example.fr", "chatgpt.com", "ChatGPT"},
		{"https://www.perplexity.ai/", "example.fr", "perplexity.ai", "Perplexity"},
		{"https://claude.ai/", "example.fr", "claude.ai", "Claude"},
		{"https://gemini.google.com/", "example.fr", "gemini.google.com", "Gemini"},
		{"https://copilot.microsoft.com/", "example.fr", "copilot.microsoft.com", "Copilot"},
		{"https://mail.google.com/mail/u/0/", "example.fr", "mail.google.com/mail/u/0", "Gmail"},
		{"https://outlook.live.com/", "example.fr", "outlook.live.com", "Outlook.com"},
		{"https://mail.proton.me/", "example.fr", "mail.proton.me", "Proton Mail"},
		{"https://webmail.sfr.fr/", "example.fr", "webmail.sfr.fr", "SFR Mail"},
		{"https://zimbra.free.fr/", "example.fr", "zimbra.free.fr", "Free Webmail"},
		{"https://mail.orange.fr/", "example.fr", "mail.orange.fr", "Orange Webmail"},
		{"https://www.orange.fr/webmail/inbox", "example.fr", "orange.fr/webmail/inbox", "Orange Webmail"},
		{"https://www.orange.fr/portail", "example.fr", "orange.fr/portail", "orange.fr"},
		{"https://webmail.laposte.net/", "example.fr", "webmail.laposte.net", "La Poste Mail"},
		{"https://www.amazon.co.uk/", "example.fr", "amazon.co.uk", "Amazon"},
		{"https://web.whatsapp.com/", "example.fr", "web.whatsapp.com", "WhatsApp"},
		{"https://t.me/channel", "example.fr", "t.me/channel", "Telegram"},
		{"https://fr.wikipedia.org/wiki/Paris", "example.fr", "fr.wikipedia.org/wiki/Paris", "Wikipedia"},
		{"android-app://com.google.android.gm/", "example.fr", "android-app://com.google.android.gm", "Gmail"},
		{"android-app://com.example.reader", "example.fr", "android-app://com.example.reader", "android-app://com.example.reader"},
		// Unknown sites are their own source, as in Plausible.
		{"https://www.someblog.fr/2024/post/?utm=x#top", "example.fr", "someblog.fr/2024/post", "someblog.fr"},
		{"https://news.ycombinator.com/item?id=1", "example.fr", "news.ycombinator.com/item", "Hacker News"},
		{"https://www.cnn.com/world", "example.fr", "cnn.com/world", "cnn.com"},
		{"HTTPS://Sub.SomeBlog.FR:443", "example.fr", "sub.someblog.fr", "sub.someblog.fr"},
		// Self-referrals and unusable referrers.
		{"https://example.fr/pricing", "example.fr", "", ""},
		{"https://www.example.fr/", "example.fr", "", ""},
		{"https://blog.example.fr/", "example.fr", "", ""},
		{"https://shop.example.fr/", "www.example.fr", "", ""},
		{"https://notexample.fr/", "example.fr", "notexample.fr", "notexample.fr"},
		{"https://example.fr.evil.com/", "example.fr", "example.fr.evil.com", "example.fr.evil.com"},
		{"http://localhost:3000/", "example.fr", "", ""},
		{"", "example.fr", "", ""},
		{"google.fr", "example.fr", "", ""},
		{"ftp://google.fr/", "example.fr", "", ""},
		{"https:///path", "example.fr", "", ""},
		{"https://bad host.fr/", "example.fr", "", ""},
	}
	for _, tt := range tests {
		ref, src := Source(tt.ref, tt.site)
		if ref != tt.referrer || src != tt.source {
			t.Errorf("Source(%q, %q) = %q, %q; want %q, %q", tt.ref, tt.site, ref, src, tt.referrer, tt.source)
		}
	}
}

func TestSourceCategory(t *testing.T) {
	tests := []struct {
		name string
		want Category
	}{
		{"Google", CategorySearch},
		{"google", CategorySearch},
		{"Facebook", CategorySocial},
		{"Youtube", CategoryVideo},
		{"Gmail", CategoryEmail},
		{"Amazon", CategoryShopping},
		{"ChatGPT", CategorySearch},
		{"Yandex Mail", CategoryEmail},
		{"Doubleclick", CategoryAds},
		{"Wikipedia", CategoryOther},
		{"m.facebook.com", CategorySocial},
		{"someblog.fr", CategoryNone},
		{"", CategoryNone},
	}
	for _, tt := range tests {
		if got := SourceCategory(tt.name); got != tt.want {
			t.Errorf("SourceCategory(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestCanonicalSource(t *testing.T) {
	for in, want := range map[string]string{
		"google": "Google", "GOOGLE": "Google", "fb": "Facebook", "ig": "Instagram", "adwords": "Google",
		"facebook.com": "Facebook", "www.linkedin.com": "LinkedIn", "newsletter": "newsletter",
		" Spring Sale ": "Spring Sale", "someblog.fr": "someblog.fr", "producthunt": "Product Hunt",
		"hackernews": "Hacker News", "yahoo": "Yahoo!", "meta": "meta",
	} {
		if got := CanonicalSource(in); got != want {
			t.Errorf("CanonicalSource(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReferrerLists(t *testing.T) {
	db := loadSources()
	if len(db.hosts) < 1500 || len(db.sources) < 300 {
		t.Errorf("only %d hosts and %d sources loaded", len(db.hosts), len(db.sources))
	}
	for _, s := range db.sources {
		if s.name == "" || strings.ContainsAny(s.name, "\t\n") {
			t.Errorf("bad source name %q", s.name)
		}
	}
	bad := newSourceDB()
	for _, data := range []string{"search\tGoogle", "weird\tX\tx.com"} {
		if err := bad.load(data, false); err == nil {
			t.Errorf("load(%q) accepted", data)
		}
	}
}

func BenchmarkSource(b *testing.B) {
	loadSources()
	for _, bc := range []struct{ name, ref string }{
		{"google", "https://www.google.fr/"},
		{"facebook", "https://l.facebook.com/l.php?u=https%3A%2F%2Fexample.fr"},
		{"unknown", "https://www.someblog.fr/2024/01/some-post/"},
		{"self", "https://www.example.fr/pricing"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Source(bc.ref, "example.fr")
			}
		})
	}
}

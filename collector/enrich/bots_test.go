package enrich

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

func TestBotReasonTable(t *testing.T) {
	tests := []struct{ name, ua, want string }{
		{"Chrome Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", ""},
		{"Firefox macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0", ""},
		{"Safari iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1", ""},
		{"Samsung Internet", "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36", ""},
		{"Edge", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", ""},
		{"Googlebot", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", BotCrawler},
		{"bingbot", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/131.0.0.0 Safari/537.36", BotCrawler},
		{"AhrefsBot", "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", BotCrawler},
		{"facebookexternalhit", "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", BotPreview},
		{"curl", "curl/8.5.0", BotHTTPClient},
		{"python-requests", "python-requests/2.32.3", BotHTTPClient},
		{"HeadlessChrome", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36", BotHeadless},
		{"Lighthouse", "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse", BotAutomation},
		// No user agent: a server-side sender (Plausible stores those).
		{"empty", "", ""},
		{"blank", "  ", ""},
		{"long browser UA past the stack buffer", strings.Repeat("Mozilla/5.0 (Windows NT 10.0) ", 40), ""},
		{"long bot UA past the stack buffer", strings.Repeat("x", 600) + " Googlebot/2.1", BotCrawler},
		{"regexp pattern", "Mozilla/5.0 (compatible; AdsBot-Google; +http://www.google.com/adsbot.html)", BotCrawler},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := BotReason(tt.ua); got != tt.want {
				t.Errorf("BotReason(%q) = %q, want %q", tt.ua, got, tt.want)
			}
		})
	}
}

// readLines reads a fixture, skipping comments.
func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

func TestBotReasonBrowsers(t *testing.T) {
	for _, ua := range readLines(t, "../testdata/useragents/browsers.txt") {
		if got := BotReason(ua); got != "" {
			t.Errorf("BotReason(%q) = %q, want a person", ua, got)
		}
	}
}

func TestBotReasonBots(t *testing.T) {
	for _, l := range readLines(t, "../testdata/useragents/bots.txt") {
		want, ua, _ := strings.Cut(l, "\t")
		if got := BotReason(ua); got != want {
			t.Errorf("BotReason(%q) = %q, want %q", ua, got, want)
		}
	}
}

// Every sample the list ships must be caught: this checks the prefilter
// never hides a pattern's match.
func TestBotReasonListInstances(t *testing.T) {
	lines := readLines(t, "testdata/crawler_instances.txt")
	if len(lines) < 1000 {
		t.Fatalf("only %d instances", len(lines))
	}
	for _, ua := range lines {
		if BotReason(ua) == "" {
			t.Errorf("BotReason(%q) = \"\", want a bot", ua)
		}
	}
}

// The prefilter must agree with running every pattern.
func TestBotMatcherAgreesWithRegexps(t *testing.T) {
	m := loadBots()
	uas := readLines(t, "../testdata/useragents/browsers.txt")
	for _, l := range readLines(t, "../testdata/useragents/bots.txt") {
		_, ua, _ := strings.Cut(l, "\t")
		uas = append(uas, ua)
	}
	uas = append(uas, readLines(t, "testdata/crawler_instances.txt")[:300]...)
	for _, ua := range uas {
		if strings.TrimSpace(ua) == "" || ua == "-" {
			continue
		}
		want := ""
		for _, r := range m.rules {
			if r.literal != "" && strings.Contains(ua, r.literal) || r.re != nil && r.re().MatchString(ua) {
				if want == "" || botRanks[r.reason] < botRanks[want] {
					want = r.reason
				}
			}
		}
		if got := m.match(ua); got != want {
			t.Errorf("match(%q) = %q, brute force %q", ua, got, want)
		}
	}
}

func TestBotMatcherLiterals(t *testing.T) {
	m := loadBots()
	if len(m.always) > 0 {
		for _, id := range m.always {
			t.Logf("no literal: %+v", m.rules[id])
		}
		t.Errorf("%d patterns run on every user agent", len(m.always))
	}
	tests := []struct {
		pattern string
		want    []string
	}{
		{`Googlebot\/`, []string{"googlebot/"}},
		{`[wW]get`, []string{"wget"}},
		{`^curl`, []string{"curl"}},
		{`(sistrix|SISTRIX) [cC]rawler`, []string{" crawler"}},
		{`AdsBot-Google([^-]|$)`, []string{"adsbot-google"}},
		{`Googlebot-(Image|Video)`, []string{"googlebot-"}},
		{`(Ahrefs|Semrush)Bot`, []string{"ahrefs", "semrush"}},
		{`x+y*`, []string{"x"}},
		{`.*`, nil},
		{`a?`, nil},
	}
	for _, tt := range tests {
		re, err := parseSimplified(tt.pattern)
		if err != nil {
			t.Fatal(err)
		}
		got := requiredLiterals(re)
		if len(tt.want) == 0 {
			if got.ok && got.score() > 0 {
				t.Errorf("requiredLiterals(%q) = %q, want none", tt.pattern, got.set)
			}
			continue
		}
		if !got.ok || strings.Join(got.set, "|") != strings.Join(tt.want, "|") {
			t.Errorf("requiredLiterals(%q) = %q (ok %v), want %q", tt.pattern, got.set, got.ok, tt.want)
		}
	}
}

func TestNewBotMatcherErrors(t *testing.T) {
	for _, list := range []string{"crawler\t(unclosed", "nonsense\tbot", "no tab"} {
		if _, err := newBotMatcher(list); err == nil {
			t.Errorf("newBotMatcher(%q) accepted", list)
		}
	}
}

func BenchmarkBotReason(b *testing.B) {
	loadBots()
	for _, bc := range []struct{ name, ua string }{
		{"chrome", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"},
		{"safari-ios", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"},
		{"facebook-inapp", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/455.0.0.39.109;FBBV/581520826;FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;FBSV/17.4;FBSS/3;FBID/phone;FBLC/fr_FR;FBOP/5;FBRV/584044553]"},
		{"googlebot", "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"},
		{"curl", "curl/8.5.0"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				BotReason(bc.ua)
			}
		})
	}
}

func BenchmarkBotMatcherBuild(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := newBotMatcher(crawlersGen); err != nil {
			b.Fatal(err)
		}
	}
}

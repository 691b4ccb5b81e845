package useragent

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// Real user agents, with the names Plausible stores for them (its
// collector names browsers and systems as Matomo's device detector does,
// then folds mobile variants into their browser and in-app browsers into
// "Mobile App"; devices are Desktop, Mobile or Tablet), so that a filter
// written for Plausible, such as visit:os is Mac, matches here.
var agents = []struct {
	ua   string
	want Agent
}{
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
		Agent{Browser: "Chrome", BrowserVersion: "131.0", OS: "Windows", OSVersion: "10", Device: "Desktop"}},
	{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
		Agent{Browser: "Safari", BrowserVersion: "18.1", OS: "Mac", OSVersion: "10.15", Device: "Desktop"}},
	{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
		Agent{Browser: "Chrome", BrowserVersion: "131.0", OS: "Mac", OSVersion: "10.15", Device: "Desktop"}},
	{"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
		Agent{Browser: "Firefox", BrowserVersion: "133.0", OS: "GNU/Linux", Device: "Desktop"}},
	{"Mozilla/5.0 (X11; Linux aarch64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
		Agent{Browser: "Chrome", BrowserVersion: "131.0", OS: "GNU/Linux", Device: "Desktop"}},
	{"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
		Agent{Browser: "Firefox", BrowserVersion: "133.0", OS: "Ubuntu", Device: "Desktop"}},
	{"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
		Agent{Browser: "Chrome", BrowserVersion: "131.0", OS: "Chrome OS", OSVersion: "14541.0", Device: "Desktop"}},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
		Agent{Browser: "Safari", BrowserVersion: "18.1", OS: "iOS", OSVersion: "18.1", Device: "Mobile"}},
	{"Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
		Agent{Browser: "Safari", BrowserVersion: "17.6", OS: "iPadOS", OSVersion: "17.6", Device: "Tablet"}},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
		Agent{Browser: "Chrome", BrowserVersion: "131.0", OS: "iOS", OSVersion: "18.1", Device: "Mobile"}},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/133.0 Mobile/15E148 Safari/605.1.15",
		Agent{Browser: "Firefox", BrowserVersion: "133.0", OS: "iOS", OSVersion: "18.1", Device: "Mobile"}},
	{"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36",
		Agent{Browser: "Chrome", BrowserVersion: "131.0", OS: "Android", OSVersion: "14", Device: "Mobile"}},
	{"Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0",
		Agent{Browser: "Firefox", BrowserVersion: "133.0", OS: "Android", OSVersion: "14", Device: "Mobile"}},
	{"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
		Agent{Browser: "Samsung Browser", BrowserVersion: "26.0", OS: "Android", OSVersion: "14", Device: "Mobile"}},
	// Android without "Mobile" is a tablet.
	{"Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
		Agent{Browser: "Chrome", BrowserVersion: "130.0", OS: "Android", OSVersion: "13", Device: "Tablet"}},
	{"Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Safari/537.36",
		Agent{Browser: "Samsung Browser", BrowserVersion: "26.0", OS: "Android", OSVersion: "14", Device: "Tablet"}},
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
		Agent{Browser: "Microsoft Edge", BrowserVersion: "131.0", OS: "Windows", OSVersion: "10", Device: "Desktop"}},
	{"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 EdgA/131.0.0.0",
		Agent{Browser: "Microsoft Edge", BrowserVersion: "131.0", OS: "Android", OSVersion: "10", Device: "Mobile"}},
	{"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 OPR/86.0.0.0",
		Agent{Browser: "Opera", BrowserVersion: "86.0", OS: "Android", OSVersion: "14", Device: "Mobile"}},
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0",
		Agent{Browser: "Opera", BrowserVersion: "115.0", OS: "Windows", OSVersion: "10", Device: "Desktop"}},
	{"Mozilla/5.0 (Windows NT 6.1; Trident/7.0; rv:11.0) like Gecko",
		Agent{Browser: "Internet Explorer", BrowserVersion: "11.0", OS: "Windows", OSVersion: "7", Device: "Desktop"}},
	{"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 DuckDuckGo/5",
		Agent{Browser: "DuckDuckGo Privacy Browser", BrowserVersion: "5", OS: "Android", OSVersion: "14", Device: "Mobile"}},
	{"Mozilla/5.0 (Linux; U; Android 12; fr-fr; Redmi Note 11 Build/SKQ1.211103.001) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/112.0.5615.136 Mobile Safari/537.36 XiaoMi/MiuiBrowser/14.9.1-gn",
		Agent{Browser: "MIUI Browser", BrowserVersion: "14.9", OS: "Android", OSVersion: "12", Device: "Mobile"}},
	// In-app browsers and web views: "Mobile App", without a version.
	{"Mozilla/5.0 (Linux; Android 13; SM-G991B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.6778.81 Mobile Safari/537.36",
		Agent{Browser: "Mobile App", OS: "Android", OSVersion: "13", Device: "Mobile"}},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/489.0.0.35.108;FBBV/1;FBDV/iPhone14,5;FBMD/iPhone;FBSN/iOS;FBSV/17.6;FBSS/3;FBCR/;FBID/phone;FBLC/fr_FR;FBOP/5]",
		Agent{Browser: "Mobile App", OS: "iOS", OSVersion: "17.6", Device: "Mobile"}},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 350.0.0.21.110 (iPhone14,5; iOS 17_6; fr_FR; fr; scale=3.00; 1170x2532; 123)",
		Agent{Browser: "Mobile App", OS: "iOS", OSVersion: "17.6", Device: "Mobile"}},
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 YaBrowser/24.12.0.0 Safari/537.36",
		Agent{Browser: "Yandex Browser", BrowserVersion: "24.12", OS: "Windows", OSVersion: "10", Device: "Desktop"}},
	// An Amazon Fire tablet: uap-go's generic spider pattern holds "silk".
	{"Mozilla/5.0 (Linux; Android 11; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/131.1.1 like Chrome/131.0.6778.135 Safari/537.36",
		Agent{Browser: "Mobile Silk", BrowserVersion: "131.1", OS: "Android", OSVersion: "11", Device: "Tablet"}},
	{"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		Agent{Browser: "Googlebot", BrowserVersion: "2.1", Device: "Bot", Spider: true}},
}

// Every name the mapping gives back is one the migration (0012) also
// writes for stored rows, and the other way round.
func TestPlausibleNamesCoverStoredNames(t *testing.T) {
	for old, want := range map[string]string{"Mac OS X": "Mac", "Linux": "GNU/Linux", "Windows": "Windows"} {
		if got := plausibleOS(old, "", ""); got != want {
			t.Errorf("plausibleOS(%q) = %q, want %q", old, got, want)
		}
	}
	for old, want := range map[string]string{"Mobile Safari": "Safari", "Chrome Mobile": "Chrome", "Chrome Mobile iOS": "Chrome",
		"Edge": "Microsoft Edge", "Samsung Internet": "Samsung Browser", "Firefox": "Firefox"} {
		if got, _ := plausibleBrowser(old, "1.0"); got != want {
			t.Errorf("plausibleBrowser(%q) = %q, want %q", old, got, want)
		}
	}
}

func TestParse(t *testing.T) {
	p, err := New(16)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range agents {
		for pass := 0; pass < 2; pass++ { // uncached, then cached
			if got := p.Parse(tt.ua); got != tt.want {
				t.Errorf("Parse(%.60q) pass %d = %+v, want %+v", tt.ua, pass, got, tt.want)
			}
		}
	}
	hits, misses := p.Stats()
	if hits != uint64(len(agents)) || misses != uint64(len(agents)) {
		t.Errorf("hits=%d misses=%d, want %d each", hits, misses, len(agents))
	}
}

func TestHostileAgent(t *testing.T) {
	p, _ := New(4)
	long := make([]byte, 1<<20)
	for i := range long {
		long[i] = 'a'
	}
	if a := p.Parse(string(long)); a.Spider {
		t.Fatalf("a string of letters is no spider: %+v", a)
	}
	_ = p.Parse("")
	_ = p.Parse("\xff\xfe\x00")
}

func BenchmarkParseCached(b *testing.B) {
	p, _ := New(0)
	for _, a := range agents {
		p.Parse(a.ua)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.Parse(agents[i%len(agents)].ua)
	}
}

func BenchmarkParseUncached(b *testing.B) {
	p, _ := New(0)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		// A distinct string each time defeats the cache, as a new agent would.
		p.Parse(fmt.Sprintf("%s %d", agents[i%len(agents)].ua, i))
	}
}

// Migration 0012 renames stored rows with the same maps: a name added here
// and not there would split a breakdown between old and new rows.
func TestMigrationHasTheSameNames(t *testing.T) {
	b, err := os.ReadFile("../../../migrations/0012_plausible_names.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	sql := string(b)
	for old, name := range browserNames {
		if !strings.Contains(sql, "'"+old+"'") || !strings.Contains(sql, "'"+name+"'") {
			t.Errorf("migration 0012 does not rename browser %q to %q", old, name)
		}
	}
	for app := range mobileApps {
		if !strings.Contains(sql, "'"+app+"'") {
			t.Errorf("migration 0012 does not make %q a Mobile App", app)
		}
	}
}

package useragent

import (
	"fmt"
	"testing"
)

// Real user agents of the browsers that make most of the traffic.
var agents = []struct {
	ua   string
	want Agent
}{
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
		Agent{Browser: "Chrome", BrowserVersion: "131.0", OS: "Windows", OSVersion: "10", Device: "Desktop"}},
	{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
		Agent{Browser: "Safari", BrowserVersion: "18.1", OS: "Mac OS X", OSVersion: "10.15", Device: "Desktop"}},
	{"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
		Agent{Browser: "Firefox", BrowserVersion: "133.0", OS: "Linux", Device: "Desktop"}},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
		Agent{Browser: "Mobile Safari", BrowserVersion: "18.1", OS: "iOS", OSVersion: "18.1", Device: "Mobile"}},
	{"Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
		Agent{Browser: "Mobile Safari", BrowserVersion: "17.6", OS: "iOS", OSVersion: "17.6", Device: "Tablet"}},
	{"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
		Agent{Browser: "Samsung Internet", BrowserVersion: "26.0", OS: "Android", OSVersion: "14", Device: "Mobile"}},
	{"Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
		Agent{Browser: "Chrome", BrowserVersion: "130.0", OS: "Android", OSVersion: "13", Device: "Tablet"}},
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
		Agent{Browser: "Edge", BrowserVersion: "131.0", OS: "Windows", OSVersion: "10", Device: "Desktop"}},
	{"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		Agent{Browser: "Googlebot", BrowserVersion: "2.1", Device: "Bot", Spider: true}},
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

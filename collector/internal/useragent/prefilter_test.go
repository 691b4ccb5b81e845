package useragent

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// reference is the parse without the prefilter: uap-go's own loops.
func (p *Parser) reference(ua string) Agent {
	b := *p.uap.ParseUserAgent(ua)
	a := agent(ua, b, *p.uap.ParseOs(ua))
	if notSpider(b.Family) {
		return a
	}
	for _, re := range p.spiders {
		if re.MatchString(ua) {
			a.Spider, a.Device = true, "Bot"
			break
		}
	}
	return a
}

// corpus is the project's test agents, tricky case and encoding variants,
// and a sample of the 100 000 real agents that ship with uap-go.
func corpus(t testing.TB, stride int) []string {
	var uas []string
	for _, f := range []string{"browsers.txt", "bots.txt"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "useragents", f))
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				uas = append(uas, l)
			}
		}
	}
	for _, a := range agents {
		uas = append(uas, a.ua)
	}
	for _, ua := range append([]string(nil), uas...) {
		uas = append(uas, strings.ToUpper(ua), strings.ToLower(ua),
			strings.ReplaceAll(ua, "k", "\u212a"), strings.ReplaceAll(ua, "s", "\u017f"), // Kelvin sign, long s
			strings.ReplaceAll(ua, "/", "\xff/"))
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/ua-parser/uap-go").Output()
	if err != nil {
		t.Logf("uap-go's agent list not found (%v): project agents only", err)
		return uas
	}
	f, err := os.Open(filepath.Join(strings.TrimSpace(string(out)), "uas"))
	if err != nil {
		t.Logf("uap-go's agent list not found (%v): project agents only", err)
		return uas
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for i := 0; sc.Scan(); i++ {
		if i%stride == 0 {
			uas = append(uas, sc.Text())
		}
	}
	return uas
}

// TestPrefilterChangesNothing: skipping the patterns that cannot match
// gives uap-go's result for every agent.
func TestPrefilterChangesNothing(t *testing.T) {
	p, err := New(16)
	if err != nil {
		t.Fatal(err)
	}
	stride := 50
	if testing.Short() {
		stride = 1000
	}
	if os.Getenv("SILLAGE_UA_ALL") != "" {
		stride = 1
	}
	uas := corpus(t, stride)
	if raceEnabled && len(uas) > 200 {
		// 20 times slower: this test is not about races. Keep 200 agents
		// spread over the whole corpus, not its head.
		step := len(uas) / 200
		picked := make([]string, 0, 200)
		for i := 0; i < len(uas) && len(picked) < 200; i += step {
			picked = append(picked, uas[i])
		}
		uas = picked
	}
	for _, ua := range uas {
		if len(ua) > maxKey {
			ua = ua[:maxKey]
		}
		if got, want := p.parse(ua), p.reference(ua); got != want {
			t.Errorf("%.100q: prefiltered %+v, uap-go %+v", ua, got, want)
		}
	}
	t.Logf("%d agents", len(uas))
}

func TestNeeds(t *testing.T) {
	for _, tt := range []struct{ re, want string }{
		{`(Firefox)/(\d+)\.(\d+)`, "[Firefox] [/] [.]"},
		{`(?i)(opera mini)/`, "[~opera mini] [~/]"},
		{`(?i)kindle|(Silk)/`, "[~kindle ~silk]"},
		{`kindle|(?i:Silk/)`, "[kindle ~silk/]"},
		{`(a|bcd)e+f?(gh){2}i*`, "[a bcd] [e] [gh]"},
		{`(ab|c?)d`, "[d]"},
		{`\bx[yz]\b`, "[x]"},
	} {
		var got []string
		for _, c := range needOf(regexp.MustCompile(tt.re)) {
			var ls []string
			for _, l := range c {
				ls = append(ls, map[bool]string{true: "~"}[l.fold]+l.s)
			}
			got = append(got, "["+strings.Join(ls, " ")+"]")
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("%s: %s, want %s", tt.re, strings.Join(got, " "), tt.want)
		}
	}
}

// TestFoldCoversEveryRune: the only non-ASCII runes that match an ASCII
// letter case-insensitively are the two fold maps.
func TestFoldCoversEveryRune(t *testing.T) {
	for r := rune(utf8.RuneSelf); r <= unicode.MaxRune; r++ {
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < utf8.RuneSelf && fold(string(r)) != strings.ToLower(string(f)) {
				t.Errorf("%U folds to %q, fold gives %q", r, f, fold(string(r)))
			}
		}
	}
	if got := fold("AbC\u212a\u017f\xffé"); got != "abcks\xffé" {
		t.Errorf("fold: %q", got)
	}
}

func FuzzPrefilter(f *testing.F) {
	p, err := New(16)
	if err != nil {
		f.Fatal(err)
	}
	for _, a := range agents {
		f.Add(a.ua)
	}
	f.Add("OPERA MINI/8 \u212aindle ſafari \xff")
	f.Fuzz(func(t *testing.T, ua string) {
		if len(ua) > maxKey {
			ua = ua[:maxKey]
		}
		if got, want := p.parse(ua), p.reference(ua); got != want {
			t.Fatalf("%q: prefiltered %+v, uap-go %+v", ua, got, want)
		}
	})
}

func BenchmarkParseUncachedReference(b *testing.B) {
	p, _ := New(0)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		p.reference(agents[i%len(agents)].ua + " " + string(rune('a'+i%26)))
	}
}

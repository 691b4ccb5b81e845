package enrich

import (
	"bytes"
	_ "embed"
	"encoding/binary"
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"sync"
)

//go:embed crawlers.txt
var crawlersGen string

// Reasons BotReason gives, from the most to the least specific.
const (
	BotHeadless   = "headless"    // a headless browser
	BotAutomation = "automation"  // browser automation, audits (Lighthouse)
	BotPreview    = "preview"     // link preview fetchers of social apps
	BotMonitor    = "monitor"     // uptime and synthetic monitoring
	BotScanner    = "scanner"     // security and vulnerability scanners
	BotHTTPClient = "http-client" // HTTP libraries and command-line tools
	BotCrawler    = "crawler"     // search engines, SEO, AI and other crawlers
)

var botRanks = map[string]uint8{
	BotHeadless: 1, BotAutomation: 2, BotPreview: 3, BotMonitor: 4,
	BotScanner: 5, BotHTTPClient: 6, BotCrawler: 7,
}

// botMarkers are Sillage's own patterns. They give a reason more precise
// than the list's tags, or cover what the list may drop.
var botMarkers = []struct{ reason, pattern string }{
	{BotHeadless, `HeadlessChrome`}, {BotHeadless, `Headless`}, {BotHeadless, `PhantomJS`},
	{BotHeadless, `SlimerJS`}, {BotHeadless, `HtmlUnit`}, {BotHeadless, `jsdom/`},
	{BotAutomation, `Puppeteer`}, {BotAutomation, `Playwright`}, {BotAutomation, `Selenium`},
	{BotAutomation, `WebDriver`}, {BotAutomation, `Cypress/`}, {BotAutomation, `Lighthouse`},
	{BotAutomation, `Google-InspectionTool`}, {BotAutomation, `Google Page Speed`},
	{BotAutomation, `GTmetrix`}, {BotAutomation, `(^| )PTST/`},
	{BotPreview, `facebookexternalhit`}, {BotPreview, `Facebot`}, {BotPreview, `Twitterbot`},
	{BotPreview, `Slackbot`}, {BotPreview, `Slack-ImgProxy`}, {BotPreview, `Discordbot`},
	{BotPreview, `TelegramBot`}, {BotPreview, `^WhatsApp/`}, {BotPreview, `LinkedInBot`},
	{BotPreview, `Pinterestbot`}, {BotPreview, `redditbot`}, {BotPreview, `SkypeUriPreview`},
	{BotPreview, `MicrosoftPreview`}, {BotPreview, `Embedly`}, {BotPreview, `Iframely`},
	{BotPreview, `vkShare`}, {BotPreview, `\(Mastodon/`}, {BotPreview, `Bluesky Cardyb`},
	{BotPreview, `Snap URL Preview`}, {BotPreview, `Google-PageRenderer`},
	{BotMonitor, `UptimeRobot`}, {BotMonitor, `[Pp]ingdom`}, {BotMonitor, `StatusCake`},
	{BotMonitor, `Site24x7`}, {BotMonitor, `Uptime-Kuma`}, {BotMonitor, `Better Uptime`},
	{BotMonitor, `Datadog`}, {BotMonitor, `NewRelicPinger`}, {BotMonitor, `Checkly`},
	{BotMonitor, `HetrixTools`}, {BotMonitor, `Freshping`}, {BotMonitor, `updown\.io`},
	{BotMonitor, `OhDear`}, {BotMonitor, `Zabbix`}, {BotMonitor, `Nagios`}, {BotMonitor, `check_http`},
	{BotHTTPClient, `^curl/`}, {BotHTTPClient, `^[Ww]get`}, {BotHTTPClient, `python-requests`},
	{BotHTTPClient, `Python-urllib`}, {BotHTTPClient, `aiohttp`}, {BotHTTPClient, `python-httpx`},
	{BotHTTPClient, `Go-http-client`}, {BotHTTPClient, `^Java/`}, {BotHTTPClient, `okhttp`},
	{BotHTTPClient, `axios/`}, {BotHTTPClient, `node-fetch`}, {BotHTTPClient, `undici`},
	{BotHTTPClient, `^node$`}, {BotHTTPClient, `libwww-perl`}, {BotHTTPClient, `Apache-HttpClient`},
	{BotHTTPClient, `PostmanRuntime`}, {BotHTTPClient, `insomnia/`}, {BotHTTPClient, `HTTPie`},
	{BotHTTPClient, `GuzzleHttp`}, {BotHTTPClient, `^Ruby`}, {BotHTTPClient, `Faraday`},
	{BotHTTPClient, `reqwest`}, {BotHTTPClient, `^Dart/`}, {BotHTTPClient, `^Deno/`},
	{BotHTTPClient, `^Bun/`}, {BotHTTPClient, `Scrapy`},
}

// BotReason tells whether a user agent is a bot's, by the public
// crawler-user-agents list and Sillage's own markers: "" for what may be a
// person, else why not (BotCrawler, BotHeadless…). It does no device
// parsing; the user-agent parser's spider family is checked elsewhere. No
// user agent at all is no bot: server-side senders often send none, and
// Plausible stores their events.
func BotReason(userAgent string) string {
	if strings.TrimSpace(userAgent) == "" {
		return ""
	}
	return loadBots().match(userAgent)
}

// botRule is one pattern. Most are plain case-sensitive substrings, checked
// with strings.Contains; the rest compile on first use, since most never
// get past the prefilter.
type botRule struct {
	reason  string
	rank    uint8
	literal string
	re      func() *regexp.Regexp
}

// botMatcher runs every pattern at once. Each pattern yields lowercased
// literals, one of which any match contains; a scan of the lowercased user
// agent finds them through a bitset of their first 4 bytes, and only
// the patterns whose literal is present are run. Patterns without a
// literal of 3 bytes or more (none in the current list) are always run.
type botMatcher struct {
	rules  []botRule
	lits   []botLit
	bits   [1 << 16 / 64]uint64 // by hash of a literal's first 4 bytes
	byKey  map[uint32][]int32   // first 4 bytes → literal ids
	short  []int32              // literals of 3 bytes
	always []int32
}

type botLit struct {
	s     string
	rules []int32
}

var loadBots = sync.OnceValue(func() *botMatcher {
	m, err := newBotMatcher(crawlersGen)
	if err != nil {
		panic(fmt.Sprintf("enrich: crawlers.txt: %v", err))
	}
	return m
})

func newBotMatcher(list string) (*botMatcher, error) {
	m := &botMatcher{byKey: map[uint32][]int32{}}
	litIDs := map[string]int32{}
	add := func(reason, pattern string) error {
		rank, ok := botRanks[reason]
		if !ok {
			return fmt.Errorf("pattern %q: unknown reason %q", pattern, reason)
		}
		parsed, err := parseSimplified(pattern)
		if err != nil {
			return fmt.Errorf("pattern %q: %w", pattern, err)
		}
		r := botRule{reason: reason, rank: rank}
		if parsed.Op == syntax.OpLiteral && parsed.Flags&syntax.FoldCase == 0 {
			r.literal = string(parsed.Rune)
		} else {
			if _, err := regexp.Compile(pattern); err != nil {
				return fmt.Errorf("pattern %q: %w", pattern, err)
			}
			r.re = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(pattern) })
		}
		id := int32(len(m.rules))
		m.rules = append(m.rules, r)
		lits := requiredLiterals(parsed)
		if lits.score() < 3 {
			m.always = append(m.always, id)
			return nil
		}
		for _, s := range lits.set {
			lid, ok := litIDs[s]
			if !ok {
				lid = int32(len(m.lits))
				litIDs[s] = lid
				m.lits = append(m.lits, botLit{s: s})
				if len(s) == 3 {
					m.short = append(m.short, lid)
				} else {
					k := binary.LittleEndian.Uint32([]byte(s))
					h := gramHash(k)
					m.bits[h>>6] |= 1 << (h & 63)
					m.byKey[k] = append(m.byKey[k], lid)
				}
			}
			m.lits[lid].rules = append(m.lits[lid].rules, id)
		}
		return nil
	}
	for _, mk := range botMarkers {
		if err := add(mk.reason, mk.pattern); err != nil {
			return nil, err
		}
	}
	for n, line := range strings.Split(list, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		reason, pattern, ok := strings.Cut(line, "\t")
		if !ok {
			return nil, fmt.Errorf("line %d: want reason<TAB>pattern", n+1)
		}
		if err := add(reason, pattern); err != nil {
			return nil, fmt.Errorf("line %d: %w", n+1, err)
		}
	}
	return m, nil
}

// parseSimplified parses a pattern as regexp.Compile does.
func parseSimplified(pattern string) (*syntax.Regexp, error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, err
	}
	return re.Simplify(), nil
}

func gramHash(k uint32) uint32 { return (k * 0x9E3779B1) >> 16 }

func (m *botMatcher) match(ua string) string {
	var buf [512]byte
	low := buf[:0]
	if len(ua) > len(buf) {
		low = make([]byte, 0, len(ua))
	}
	for i := 0; i < len(ua); i++ {
		c := ua[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		low = append(low, c)
	}

	var candBuf [16]int32
	cand := candBuf[:0]
	if len(low) >= 4 {
		k := binary.LittleEndian.Uint32(low)
		for i := 0; ; i++ {
			if h := gramHash(k); m.bits[h>>6]&(1<<(h&63)) != 0 {
				cand = m.addCandidates(cand, m.byKey[k], low[i:])
			}
			if i+4 >= len(low) {
				break
			}
			k = k>>8 | uint32(low[i+4])<<24
		}
	}
	// Three-byte literals are too few to deserve an index of their own.
	for _, lid := range m.short {
		if l := &m.lits[lid]; bytes.Contains(low, []byte(l.s)) {
			cand = appendRules(cand, l.rules)
		}
	}
	cand = append(cand, m.always...)
	if len(cand) == 0 {
		return ""
	}
	// Best rank first, so the first confirmed rule gives the reason.
	slices.SortFunc(cand, func(a, b int32) int {
		if ra, rb := m.rules[a].rank, m.rules[b].rank; ra != rb {
			return int(ra) - int(rb)
		}
		return int(a - b)
	})
	for i, id := range cand {
		if i > 0 && id == cand[i-1] {
			continue
		}
		r := &m.rules[id]
		if r.literal != "" && strings.Contains(ua, r.literal) || r.re != nil && r.re().MatchString(ua) {
			return r.reason
		}
	}
	return ""
}

func (m *botMatcher) addCandidates(cand []int32, lits []int32, at []byte) []int32 {
	for _, lid := range lits {
		l := &m.lits[lid]
		if len(at) >= len(l.s) && string(at[:len(l.s)]) == l.s {
			cand = appendRules(cand, l.rules)
		}
	}
	return cand
}

func appendRules(cand, rules []int32) []int32 {
	for _, id := range rules {
		if !slices.Contains(cand, id) {
			cand = append(cand, id)
		}
	}
	return cand
}

// litSet holds lowercased strings, one of which every match of a pattern
// contains; exact means the pattern matches exactly its single string.
type litSet struct {
	set   []string
	exact bool
	ok    bool
}

// score is how selective the set is as a prefilter: its shortest string.
func (l litSet) score() int {
	if !l.ok || len(l.set) == 0 {
		return 0
	}
	n := len(l.set[0])
	for _, s := range l.set[1:] {
		n = min(n, len(s))
	}
	return n
}

func requiredLiterals(re *syntax.Regexp) litSet {
	switch re.Op {
	case syntax.OpLiteral:
		var b strings.Builder
		for _, r := range re.Rune {
			switch {
			case r < 0x80:
				b.WriteByte(lowerByte(byte(r)))
			case re.Flags&syntax.FoldCase != 0:
				// Non-ASCII case folding would escape the ASCII-only
				// lowercasing of user agents.
				return litSet{}
			default:
				b.WriteRune(r)
			}
		}
		return litSet{set: []string{b.String()}, exact: true, ok: true}
	case syntax.OpCharClass:
		if c, ok := classByte(re.Rune); ok {
			return litSet{set: []string{string(c)}, exact: true, ok: true}
		}
	case syntax.OpCapture:
		return requiredLiterals(re.Sub[0])
	case syntax.OpPlus:
		l := requiredLiterals(re.Sub[0])
		l.exact = false
		return l
	case syntax.OpRepeat:
		if re.Min >= 1 {
			l := requiredLiterals(re.Sub[0])
			l.exact = l.exact && re.Min == 1 && re.Max == 1
			return l
		}
	case syntax.OpAlternate:
		out := litSet{ok: true}
		for _, sub := range re.Sub {
			l := requiredLiterals(sub)
			if !l.ok {
				return litSet{}
			}
			for _, s := range l.set {
				if !slices.Contains(out.set, s) {
					out.set = append(out.set, s)
				}
			}
		}
		return out
	case syntax.OpConcat:
		return concatLiterals(re.Sub)
	}
	return litSet{}
}

// concatLiterals joins runs of exact parts ("[wW]" "get" → "wget") and
// keeps the most selective candidate.
func concatLiterals(subs []*syntax.Regexp) litSet {
	var best litSet
	consider := func(l litSet) {
		if l.ok && (!best.ok || l.score() > best.score() || l.score() == best.score() && len(l.set) < len(best.set)) {
			best = litSet{set: l.set, ok: true}
		}
	}
	run, allExact := "", true
	for _, sub := range subs {
		if zeroWidth(sub.Op) {
			continue
		}
		l := requiredLiterals(sub)
		if l.exact {
			run += l.set[0]
			continue
		}
		allExact = false
		if run != "" {
			consider(litSet{set: []string{run}, ok: true})
			run = ""
		}
		consider(l)
	}
	if run != "" {
		if allExact {
			return litSet{set: []string{run}, exact: true, ok: true}
		}
		consider(litSet{set: []string{run}, ok: true})
	}
	return best
}

func zeroWidth(op syntax.Op) bool {
	switch op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return true
	}
	return false
}

// classByte reports a character class that, lowercased, is one ASCII byte,
// such as [wW].
func classByte(ranges []rune) (byte, bool) {
	var c byte
	n := 0
	for i := 0; i+1 < len(ranges); i += 2 {
		for r := ranges[i]; r <= ranges[i+1]; r++ {
			if r >= 0x80 || n > 4 {
				return 0, false
			}
			b := lowerByte(byte(r))
			if n > 0 && b != c {
				return 0, false
			}
			c = b
			n++
		}
	}
	return c, n > 0
}

func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

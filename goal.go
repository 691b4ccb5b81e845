package sillage

import (
	"regexp"
	"strings"
)

// Goal is a conversion a site counts: a pageview whose path matches
// PagePath (see PagePatternRegexp), or a custom event called EventName.
// Exactly one is set.
type Goal struct {
	ID          string
	SiteID      uint32
	EventName   string
	PagePath    string
	Currency    string // ISO 4217 code when the event carries revenue
	DisplayName string
}

// Name is how requests and results name the goal: its display name, or
// the event name, or "Visit " and the page path, as in Plausible.
func (g Goal) Name() string {
	switch {
	case g.DisplayName != "":
		return g.DisplayName
	case g.EventName != "":
		return g.EventName
	default:
		return "Visit " + g.PagePath
	}
}

// PagePatternRegexp turns a page path pattern into an anchored RE2
// expression, the same for Go's regexp and ClickHouse's match(): * matches
// within one path segment, ** across segments, the rest literally.
func PagePatternRegexp(p string) string {
	var b strings.Builder
	b.WriteByte('^')
	for p != "" {
		switch {
		case strings.HasPrefix(p, "**"):
			b.WriteString(".*")
			p = p[2:]
		case p[0] == '*':
			b.WriteString("[^/]*")
			p = p[1:]
		default:
			i := strings.IndexByte(p, '*')
			if i < 0 {
				i = len(p)
			}
			b.WriteString(regexp.QuoteMeta(p[:i]))
			p = p[i:]
		}
	}
	b.WriteByte('$')
	return b.String()
}

package sillage

import (
	"regexp"
	"strconv"
	"strings"
)

// Goal is a conversion a site counts: a pageview whose path matches
// PagePath (see PagePatternRegexp), or a custom event called EventName.
// Exactly one is set. A page goal with a ScrollThreshold (1–100) is a
// scroll-depth goal, as Plausible's: it counts the visitors whose scroll
// depth on a matching page reached that percentage.
type Goal struct {
	ID          string
	SiteID      uint32
	EventName   string
	PagePath    string
	Currency    string // ISO 4217 code when the event carries revenue
	DisplayName string
	// ScrollThreshold is the scroll depth, in percent, a page goal needs;
	// 0 for an ordinary page goal (Plausible stores -1).
	ScrollThreshold uint8
}

// Name is how requests and results name the goal: its display name, or
// the event name, or "Visit " and the page path, as in Plausible.
func (g Goal) Name() string {
	switch {
	case g.DisplayName != "":
		return g.DisplayName
	case g.EventName != "":
		return g.EventName
	case g.ScrollThreshold > 0:
		return ScrollGoalName(g.ScrollThreshold, g.PagePath)
	default:
		return "Visit " + g.PagePath
	}
}

// ScrollGoalName is the default name of a scroll-depth goal, Plausible's
// "Scroll 50% on /blog/**".
func ScrollGoalName(threshold uint8, path string) string {
	return "Scroll " + strconv.Itoa(int(threshold)) + "% on " + path
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

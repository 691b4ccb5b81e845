package stats

import (
	"slices"
	"strings"

	"github.com/sillage-analytics/sillage"
)

// dimKind says where a dimension's value lives.
type dimKind uint8

const (
	kindEvent   dimKind = iota // a column of each event (event:page…)
	kindVisit                  // a session attribute, copied onto every event and into sessions
	kindSession                // only known once a session is merged (entry and exit page)
	kindGoal                   // computed from the site's goals
	kindProp                   // event:props:<name>
	kindTime
	kindLandingHost // the host of a visit's first or last pageview: filters the engine adds, see hostnameFilters
)

// dimension is the closed list's entry for a dimension: every SQL
// expression for it is written here or in sql.go, never taken from a request.
type dimension struct {
	kind  dimKind
	col   string // column in events, and in sessions for visit/session kinds
	empty string // label shown for an empty value (and matched by "is")
	// rawGroup: the column never holds its empty label, so grouping by the
	// column is grouping by the label, and cheaper on LowCardinality (no
	// string built per row). User-set values (UTM, referrer) may hold any
	// text and keep grouping by the label.
	rawGroup bool
}

const (
	noRef  = "Direct / None"
	notSet = "(not set)"
	noProp = "(none)"
)

var dimensions = map[string]dimension{
	"event:page":            {kind: kindEvent, col: "pathname"},
	"event:hostname":        {kind: kindEvent, col: "hostname"},
	"event:name":            {kind: kindEvent, col: "name"},
	"event:goal":            {kind: kindGoal},
	"visit:entry_page":      {kind: kindSession, col: "entry_page"},
	"visit:exit_page":       {kind: kindSession, col: "exit_page"},
	"visit:source":          {kind: kindVisit, col: "referrer_source", empty: noRef, rawGroup: true},
	"visit:referrer":        {kind: kindVisit, col: "referrer", empty: noRef},
	"visit:channel":         {kind: kindVisit, col: "channel", empty: "Direct"},
	"visit:utm_source":      {kind: kindVisit, col: "utm_source", empty: notSet},
	"visit:utm_medium":      {kind: kindVisit, col: "utm_medium", empty: notSet},
	"visit:utm_campaign":    {kind: kindVisit, col: "utm_campaign", empty: notSet},
	"visit:utm_term":        {kind: kindVisit, col: "utm_term", empty: notSet},
	"visit:utm_content":     {kind: kindVisit, col: "utm_content", empty: notSet},
	"visit:country":         {kind: kindVisit, col: "country_code", empty: notSet, rawGroup: true},
	"visit:country_name":    {kind: kindVisit, col: "country_code", empty: notSet, rawGroup: true},
	"visit:region":          {kind: kindVisit, col: "region", empty: notSet, rawGroup: true},
	"visit:region_name":     {kind: kindVisit, col: "region", empty: notSet, rawGroup: true},
	"visit:city":            {kind: kindVisit, col: "city_geoname_id", rawGroup: true},
	"visit:city_name":       {kind: kindVisit, col: "city", empty: notSet, rawGroup: true},
	"visit:device":          {kind: kindVisit, col: "device", empty: notSet, rawGroup: true},
	"visit:browser":         {kind: kindVisit, col: "browser", empty: notSet, rawGroup: true},
	"visit:browser_version": {kind: kindVisit, col: "browser_version", empty: notSet, rawGroup: true},
	"visit:os":              {kind: kindVisit, col: "os", empty: notSet, rawGroup: true},
	"visit:os_version":      {kind: kindVisit, col: "os_version", empty: notSet, rawGroup: true},
	"time":                  {kind: kindTime},
	"time:hour":             {kind: kindTime},
	"time:day":              {kind: kindTime},
	"time:week":             {kind: kindTime},
	"time:month":            {kind: kindTime},
}

const propPrefix = "event:props:"

func lookupDim(key string) (dimension, bool) {
	if name, ok := strings.CutPrefix(key, propPrefix); ok {
		return dimension{kind: kindProp, col: name, empty: noProp}, name != "" && len(name) <= maxPropNameBytes
	}
	if d, ok := landingHostDims[key]; ok {
		return d, false // never a dimension or filter of a request
	}
	d, ok := dimensions[key]
	return d, ok
}

// landingHostDims are the hosts of a visit's entry and exit pages, read
// from its pageviews (col names the aggregate). Plausible filters them
// when event:hostname meets a dimension a visit takes from its landing or
// its exit (hostnameFilters).
var landingHostDims = map[string]dimension{
	"visit:entry_page_hostname": {kind: kindLandingHost, col: "argMin"},
	"visit:exit_page_hostname":  {kind: kindLandingHost, col: "argMax"},
}

// hostnameDims maps each dimension a visit takes from its landing page to
// the entry host, and the exit page to the exit host.
var hostnameDims = map[string]string{
	"visit:source":       "visit:entry_page_hostname",
	"visit:referrer":     "visit:entry_page_hostname",
	"visit:entry_page":   "visit:entry_page_hostname",
	"visit:utm_source":   "visit:entry_page_hostname",
	"visit:utm_medium":   "visit:entry_page_hostname",
	"visit:utm_campaign": "visit:entry_page_hostname",
	"visit:utm_term":     "visit:entry_page_hostname",
	"visit:utm_content":  "visit:entry_page_hostname",
	"visit:exit_page":    "visit:exit_page_hostname",
}

// hostnameFilters are the filters Plausible adds to a query with
// event:hostname filters (top-level only): the same conditions on the
// entry (or exit) host for each dimension that comes from the visit's
// landing (or exit), so that a host's sources are those of the visits
// that entered on it, not of every visit that passed by it.
func hostnameFilters(dims []string, filters []Filter) []Filter {
	var out []Filter
	for _, d := range dims {
		target, ok := hostnameDims[d]
		if !ok {
			continue
		}
		for _, f := range filters {
			if f.Dimension == "event:hostname" && !slices.ContainsFunc(out, func(g Filter) bool {
				return g.Dimension == target && g.Op == f.Op && slices.Equal(g.Values, f.Values) && g.IgnoreCase == f.IgnoreCase
			}) {
				g := f
				g.Dimension = target
				out = append(out, g)
			}
		}
	}
	return out
}

func validDimension(key string) bool {
	_, ok := lookupDim(key)
	return ok
}

func isTimeDim(key string) bool { return key == "time" || strings.HasPrefix(key, "time:") }

func kindOf(key string) dimKind {
	d, _ := lookupDim(key)
	return d.kind
}

// Goal is a conversion the site counts: a custom event or a pageview
// whose path matches a pattern (sillage.PagePatternRegexp).
type Goal = sillage.Goal

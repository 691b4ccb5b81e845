package stats

// Stage 4, SQL: a plan becomes one statement (builder.statement) and its
// parameters.
//
// All SQL of the package is generated here. Every fragment is written in
// this file or taken from the closed tables of dims.go; request values only
// ever travel as ClickHouse query parameters ({pN:Type}).

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/store"
)

// events is the events table as this plan reads it.
func (b *builder) events() string { return "events" + b.p.sampled() }

// maxSessionSpan bounds how long before a range a session that is still
// active in it may have started: the sessions scan is pruned by it.
const maxSessionSpan = 24 * time.Hour

// fctx is where a filter or dimension expression is evaluated.
type fctx uint8

const (
	ctxEvents   fctx = iota // a row of events
	ctxSessions             // a merged session (one row per session_id)
	ctxPushdown             // a raw row of sessions, before merging (s0.)
)

type builder struct {
	p      *plan
	params store.Params
	n      int
}

func newBuilder(p *plan) *builder {
	b := &builder{p: p, params: store.Params{
		"site":   p.siteID,
		"from":   p.span.from,
		"to":     p.span.to,
		"dfrom":  p.span.from.UTC().Format(dateLayout),
		"dto":    p.span.to.Add(-time.Millisecond).UTC().Format(dateLayout),
		"sfrom":  p.span.from.Add(-maxSessionSpan),
		"sdfrom": p.span.from.Add(-maxSessionSpan).UTC().Format(dateLayout),
		"sto":    p.span.to.Add(maxSessionSpan),
		"sdto":   p.span.to.Add(maxSessionSpan).UTC().Format(dateLayout),
		"tz":     p.tz,
		"wfirst": p.span.first.Format(dateLayout),
	}}
	if len(p.hidden) > 0 {
		b.params["hidden"] = p.hidden
	}
	return b
}

// arg binds a value to a fresh placeholder.
func (b *builder) arg(typ string, v any) string {
	name := "p" + strconv.Itoa(b.n)
	b.n++
	b.params[name] = v
	return "{" + name + ":" + typ + "}"
}

const (
	eventsRange = "site_id = {site:UInt32} AND toDate(ts) BETWEEN {dfrom:Date} AND {dto:Date}" +
		" AND ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')}"
	notEngagement = "name != 'engagement'"
)

// eventsRange is the events of the plan's site and range, less those of
// hidden imports.
func (b *builder) eventsRange() string {
	if len(b.p.hidden) == 0 {
		return eventsRange
	}
	return eventsRange + " AND NOT has({hidden:Array(UInt64)}, import_id)"
}

// ---- filters ----

func needsEvents(f Filter) bool {
	if f.Dimension != "" {
		k := kindOf(f.Dimension)
		return k == kindEvent || k == kindGoal || k == kindProp
	}
	if f.Op == "has_done" || f.Op == "has_not_done" {
		return true
	}
	return slices.ContainsFunc(f.Filters, needsEvents)
}

func needsMerge(f Filter) bool {
	if f.Dimension != "" {
		return kindOf(f.Dimension) == kindSession
	}
	return slices.ContainsFunc(f.Filters, needsMerge)
}

// where ANDs filters compiled for a context; "1" when there are none.
func (b *builder) where(fs []Filter, c fctx) string {
	if len(fs) == 0 {
		return "1"
	}
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = b.compile(f, c)
	}
	return strings.Join(parts, " AND ")
}

func (b *builder) compile(f Filter, c fctx) string {
	sid := "session_id"
	if c == ctxPushdown {
		sid = "s0.session_id"
	}
	// On sessions, a subtree about events becomes one semi-join, so that
	// ANDed event conditions must hold for the same event, as in Plausible.
	if c != ctxEvents && needsEvents(f) && !needsMerge(f) && f.Op != "has_done" && f.Op != "has_not_done" {
		return sid + " IN (" + b.eventSessions(f) + ")"
	}
	switch f.Op {
	case "and", "or":
		parts := make([]string, len(f.Filters))
		for i, child := range f.Filters {
			parts[i] = b.compile(child, c)
		}
		return "(" + strings.Join(parts, " "+strings.ToUpper(f.Op)+" ") + ")"
	case "not":
		return "NOT (" + b.compile(f.Filters[0], c) + ")"
	case "has_done":
		return sid + " IN (" + b.eventSessions(f.Filters[0]) + ")"
	case "has_not_done":
		return sid + " NOT IN (" + b.eventSessions(f.Filters[0]) + ")"
	}
	if c == ctxEvents && kindOf(f.Dimension) == kindSession {
		return "session_id IN (SELECT session_id FROM (" + b.merged([]string{dimensions[f.Dimension].col}, "1") +
			") AS ms WHERE " + b.leaf(f, ctxSessions) + ")"
	}
	return b.leaf(f, c)
}

// eventSessions selects the sessions with an event in range matching f.
func (b *builder) eventSessions(f Filter) string {
	return "SELECT session_id FROM " + b.events() + " WHERE " + b.eventsRange() + " AND " + b.counted([]Filter{f}, false) + " AND " + b.compile(f, ctxEvents)
}

// counted is the condition on event names that counts an event: never an
// engagement event, but for those completing a scroll-depth goal that fs
// (or the event:goal dimension, with goalDim) names. Goal leaves are ANDed
// or ORed with this, so admitting those events changes nothing where no
// leaf asks for them (is_not Scroll: (not engagement OR scroll) AND NOT scroll).
func (b *builder) counted(fs []Filter, goalDim bool) string {
	var idx []int
	add := func(is []int) {
		for _, i := range is {
			if b.p.goals[i-1].ScrollThreshold > 0 && !slices.Contains(idx, i) {
				idx = append(idx, i)
			}
		}
	}
	var walk func(Filter)
	walk = func(f Filter) {
		if f.Dimension == "event:goal" {
			add(matchGoals(b.p.goals, f))
		}
		for _, c := range f.Filters {
			walk(c)
		}
	}
	for _, f := range fs {
		walk(f)
	}
	if goalDim {
		add(b.p.dimGoals)
	}
	if len(idx) == 0 {
		return notEngagement
	}
	return "(" + notEngagement + " OR " + b.goalsCond(idx) + ")"
}

// column is a dimension's raw column in a context.
func column(d dimension, c fctx) string {
	if c == ctxPushdown {
		return "s0." + d.col
	}
	return d.col
}

func (b *builder) leaf(f Filter, c fctx) string {
	d, _ := lookupDim(f.Dimension)
	var cond string
	switch {
	case d.kind == kindGoal:
		cond = b.goalsCond(matchGoals(b.p.goals, f))
	case f.Dimension == "visit:country_name":
		cond = "has(" + b.arg("Array(String)", matchCountries(f)) + ", " + countryExpr(c) + ")"
	case f.Dimension == "visit:region_name":
		cond = "has(" + b.arg("Array(String)", matchRegions(f)) + ", toString(" + column(d, c) + "))"
	case f.Dimension == "visit:city" && baseOp(f.Op) == "is":
		ids := make([]uint32, 0, len(f.Values))
		for _, v := range f.Values {
			n, _ := strconv.ParseUint(v, 10, 32)
			ids = append(ids, uint32(n))
		}
		cond = "has(" + b.arg("Array(UInt32)", ids) + ", " + column(d, c) + ")"
	case f.Dimension == "visit:city":
		cond = b.stringCond(f, "toString("+column(d, c)+")", "")
	case d.kind == kindLandingHost:
		// The host of the session's first (argMin) or last (argMax)
		// pageview; sessions may start before the range (up to
		// maxSessionSpan) and run past its end, as entry and exit pages do.
		sid := "session_id"
		if c == ctxPushdown {
			sid = "s0.session_id"
		}
		cond = sid + " IN (SELECT session_id FROM " + b.events() + " WHERE site_id = {site:UInt32}" +
			" AND toDate(ts) BETWEEN {sdfrom:Date} AND {sdto:Date} AND ts >= {sfrom:DateTime64(3, 'UTC')} AND ts < {sto:DateTime64(3, 'UTC')}" +
			" AND session_start >= {sfrom:DateTime64(3, 'UTC')} AND session_start < {to:DateTime64(3, 'UTC')}" +
			" AND name = 'pageview' GROUP BY session_id HAVING " + b.stringCond(f, d.col+"(hostname, ts)", "") + ")"
	case d.kind == kindProp:
		key := b.arg("String", d.col)
		if baseOp(f.Op) == "is" {
			// A missing property reads as "(none)": is_not keeps events
			// without it unless "(none)" is listed, as in Plausible.
			cond = b.stringCond(f, "if(mapContains(props, "+key+"), props["+key+"], '"+noProp+"')", "")
			break
		}
		// contains(_not) and matches(_not) only match events that carry
		// the property: a missing one is not "", as in Plausible.
		cond = b.stringCond(f, "props["+key+"]", "")
		if negated(f.Op) {
			cond = "NOT (" + cond + ")"
		}
		return "(mapContains(props, " + key + ") AND " + cond + ")"
	case f.Dimension == "visit:country":
		cond = b.stringCond(f, countryExpr(c), d.empty)
	default:
		cond = b.stringCond(f, column(d, c), d.empty)
	}
	if negated(f.Op) {
		return "NOT (" + cond + ")"
	}
	return cond
}

// countryExpr reads the FixedString(2) code as a String, empty when unknown.
func countryExpr(c fctx) string {
	col := column(dimensions["visit:country"], c)
	return "if(empty(" + col + "), '', toString(" + col + "))"
}

// stringCond matches col against a leaf's values with the leaf's base
// operator. For "is", the label shown for an empty value matches the empty string.
func (b *builder) stringCond(f Filter, col, emptyLabel string) string {
	switch baseOp(f.Op) {
	case "is":
		vals := make([]string, len(f.Values))
		for i, v := range f.Values {
			if emptyLabel != "" && (v == emptyLabel || f.IgnoreCase && strings.EqualFold(v, emptyLabel)) {
				v = ""
			}
			vals[i] = v
		}
		if f.IgnoreCase {
			return "has(arrayMap(x -> lowerUTF8(x), " + b.arg("Array(String)", vals) + "), lowerUTF8(" + col + "))"
		}
		return "has(" + b.arg("Array(String)", vals) + ", " + col + ")"
	case "contains":
		fn := "multiSearchAny"
		if f.IgnoreCase {
			fn = "multiSearchAnyCaseInsensitiveUTF8"
		}
		// multiSearch functions take at most 255 needles.
		var parts []string
		for vals := range slices.Chunk(f.Values, 255) {
			parts = append(parts, fn+"("+col+", "+b.arg("Array(String)", vals)+")")
		}
		return "(" + strings.Join(parts, " OR ") + ")"
	default: // matches: RE2, validated with Go's regexp first
		parts := make([]string, len(f.Values))
		for i, v := range f.Values {
			if f.IgnoreCase {
				v = "(?i)" + v
			}
			parts[i] = "match(" + col + ", " + b.arg("String", v) + ")"
		}
		return "(" + strings.Join(parts, " OR ") + ")"
	}
}

// matchGoals returns the 1-based indexes of the goals a goal filter names.
func matchGoals(goals []Goal, f Filter) []int {
	var out []int
	match := labelMatcher(f)
	for i, g := range goals {
		if match(g.Name()) {
			out = append(out, i+1)
		}
	}
	return out
}

// labelMatcher applies a leaf's base operator to labels in Go: goal and
// country names are matched here, then sent to the engine as a list.
func labelMatcher(f Filter) func(string) bool {
	res := make([]*regexp.Regexp, len(f.Values))
	if baseOp(f.Op) == "matches" {
		for i, v := range f.Values {
			if f.IgnoreCase {
				v = "(?i)" + v
			}
			res[i], _ = regexp.Compile(v) // validated already; nil never matches
		}
	}
	return func(label string) bool {
		for i, v := range f.Values {
			switch baseOp(f.Op) {
			case "is":
				if label == v || f.IgnoreCase && strings.EqualFold(label, v) {
					return true
				}
			case "contains":
				if strings.Contains(label, v) || f.IgnoreCase && strings.Contains(strings.ToLower(label), strings.ToLower(v)) {
					return true
				}
			case "matches":
				if res[i] != nil && res[i].MatchString(label) {
					return true
				}
			}
		}
		return false
	}
}

// matchRegions lists the region codes whose ISO 3166-2 name a
// visit:region_name filter matches; a code the table lacks matches as its
// own name, as it is shown.
func matchRegions(f Filter) []string {
	codes := []string{}
	match := labelMatcher(f)
	for code, name := range regionNames {
		if match(name) {
			codes = append(codes, code)
		}
	}
	for _, v := range f.Values {
		if _, known := regionNames[v]; !known && match(v) {
			codes = append(codes, v)
		}
	}
	if match(notSet) {
		codes = append(codes, "")
	}
	slices.Sort(codes)
	return slices.Compact(codes)
}

func matchCountries(f Filter) []string {
	codes := []string{}
	match := labelMatcher(f)
	for code, name := range countryNames {
		if match(name) {
			codes = append(codes, code)
		}
	}
	if match(notSet) {
		codes = append(codes, "")
	}
	slices.Sort(codes)
	return codes
}

// goalCond is the condition for an event to complete a goal. A scroll-depth
// goal is completed by an engagement event on a matching page that reached
// its threshold, as Plausible's (depths above 100 are no reading).
func (b *builder) goalCond(g Goal) string {
	switch {
	case g.ScrollThreshold > 0:
		page := "pathname = " + b.arg("String", g.PagePath)
		if strings.Contains(g.PagePath, "*") {
			page = "match(pathname, " + b.arg("String", sillage.PagePatternRegexp(g.PagePath)) + ")"
		}
		return "(name = 'engagement' AND " + page + " AND scroll_depth BETWEEN " + strconv.Itoa(int(g.ScrollThreshold)) + " AND 100)"
	case g.EventName != "":
		return "name = " + b.arg("String", g.EventName)
	case strings.Contains(g.PagePath, "*"):
		return "(name = 'pageview' AND match(pathname, " + b.arg("String", sillage.PagePatternRegexp(g.PagePath)) + "))"
	default:
		return "(name = 'pageview' AND pathname = " + b.arg("String", g.PagePath) + ")"
	}
}

func (b *builder) goalsCond(idx []int) string {
	if len(idx) == 0 {
		return "0"
	}
	parts := make([]string, len(idx))
	for i, g := range idx {
		parts[i] = b.goalCond(b.p.goals[g-1])
	}
	return "(" + strings.Join(parts, " OR ") + ")"
}

// ---- dimensions ----

// dimExpr is the grouping expression of a dimension. Its type is the same
// in every context (String, Date or a number) so subqueries join on it.
func (b *builder) dimExpr(key string, c fctx) string {
	d, _ := lookupDim(key)
	switch d.kind {
	case kindTime:
		t := "ts"
		if c == ctxSessions {
			// A session active in the range but begun before it counts
			// in the range's first bucket.
			t = "greatest(session_start, {from:DateTime64(3, 'UTC')})"
		}
		switch key {
		case "time:hour":
			return "formatDateTime(" + t + ", '%Y-%m-%d %H:00:00', {tz:String})"
		case "time:day":
			return "toDate(" + t + ", {tz:String})"
		case "time:week":
			return "greatest(toMonday(" + t + ", {tz:String}), {wfirst:Date})"
		default:
			return "toStartOfMonth(" + t + ", {tz:String})"
		}
	case kindGoal:
		parts := make([]string, len(b.p.dimGoals))
		for i, g := range b.p.dimGoals {
			parts[i] = "if(" + b.goalCond(b.p.goals[g-1]) + ", toUInt16(" + strconv.Itoa(g) + "), toUInt16(0))"
		}
		return "arrayJoin(arrayFilter(x -> x != 0, CAST([" + strings.Join(parts, ", ") + "] AS Array(UInt16))))"
	case kindProp:
		key := b.arg("String", d.col)
		return "if(mapContains(props, " + key + "), props[" + key + "], '" + noProp + "')"
	case kindEvent, kindSession:
		return "toString(" + d.col + ")"
	}
	switch key {
	case "visit:city":
		return d.col
	case "visit:country", "visit:country_name":
		return "if(empty(country_code), '" + notSet + "', toString(country_code))"
	}
	return "if(empty(" + d.col + "), '" + d.empty + "', toString(" + d.col + "))"
}

// ---- sessions ----

// finalCol reads a column of a session merged by FINAL: the argMin/argMax
// states of entry and exit page are finalised, the rest are plain values.
func finalCol(col string) string {
	switch col {
	case "entry_page", "exit_page":
		return "finalizeAggregation(s0." + col + ")"
	}
	return "s0." + col
}

// merged selects one row per session active in the range, with cols under
// their own names. FINAL merges a session's partial rows in sort-key order
// (all of them share the key, session_start included, and the month
// partition), which was measured 2–4× cheaper than GROUP BY session_id; the
// WHERE clause applies after the merge. pushdown filters session attributes,
// which every partial row shares.
func (b *builder) merged(cols []string, pushdown string) string {
	var sel strings.Builder
	sel.WriteString("SELECT s0.session_id AS session_id")
	for _, c := range cols {
		fmt.Fprintf(&sel, ", %s AS %s", finalCol(c), c)
	}
	return sel.String() + " FROM sessions AS s0 FINAL" + b.p.sampled() + " WHERE s0.site_id = {site:UInt32}" +
		" AND toDate(s0.session_start) BETWEEN {sdfrom:Date} AND {dto:Date}" +
		" AND s0.session_start >= {sfrom:DateTime64(3, 'UTC')} AND s0.session_start < {to:DateTime64(3, 'UTC')}" +
		" AND s0.last_event >= {from:DateTime64(3, 'UTC')} AND " + b.hiddenSessions() + pushdown
}

// sessionCols lists the merged columns dimensions and filters read.
func sessionCols(dims []string, filters []Filter, base ...string) []string {
	cols := slices.Clone(base)
	add := func(key string) {
		d, _ := lookupDim(key)
		if (d.kind == kindVisit || d.kind == kindSession) && !slices.Contains(cols, d.col) {
			cols = append(cols, d.col)
		}
	}
	for _, d := range dims {
		add(d)
	}
	var walk func([]Filter)
	walk = func(fs []Filter) {
		for _, f := range fs {
			if f.Op == "has_done" || f.Op == "has_not_done" {
				continue
			}
			if f.Dimension != "" {
				add(f.Dimension)
			}
			walk(f.Filters)
		}
	}
	walk(filters)
	return cols
}

// splitPushdown separates the top-level filters that can run on raw
// sessions rows, before merging, from the rest: those on session
// attributes, and those on events (a semi-join on session_id). Both are
// equal on every row of a session, so filtering rows is exact and the
// merge has less to do.
func splitPushdown(fs []Filter) (push, rest []Filter) {
	var onlyVisit func(Filter) bool
	onlyVisit = func(f Filter) bool {
		if f.Dimension != "" {
			k := kindOf(f.Dimension)
			return k == kindVisit || k == kindLandingHost
		}
		if f.Op == "has_done" || f.Op == "has_not_done" {
			return false
		}
		for _, c := range f.Filters {
			if !onlyVisit(c) {
				return false
			}
		}
		return true
	}
	for _, f := range fs {
		if onlyVisit(f) || needsEvents(f) && !needsMerge(f) {
			push = append(push, f)
		} else {
			rest = append(rest, f)
		}
	}
	return push, rest
}

// ---- the statement ----

// settings end every statement: bounds of time and memory; no primary-key analysis of
// semi-join sets (sessions.session_id is in the sort key, and checking a
// million-id set against every granule costs more than the scan it saves);
// and FINAL merging within a partition only, since a session's rows share
// their month partition.
func settings(lim limits) string {
	s := " SETTINGS max_execution_time = " + strconv.Itoa(lim.seconds)
	if lim.memory > 0 {
		s += ", max_memory_usage = " + strconv.FormatInt(lim.memory, 10)
	}
	return s + ", use_index_for_in_with_subqueries = 0, do_not_merge_across_partitions_select_final = 1"
}

// shape says which subqueries a plan needs.
type shape struct {
	events, sessions, engagement, groupTotals bool
	countsFromSessions                        bool // visitors and pageviews read from sessions
	sessionOnlyDim                            bool // entry/exit page: events join merged sessions
	pageDim                                   bool
	goalDim                                   bool
	eventDim                                  bool // visits are counted from events' sessions
	exitRate                                  bool // pageviews per exit page, joined as x
}

func (p *plan) shape() shape {
	var s shape
	for _, d := range p.dims {
		switch kindOf(d) {
		case kindSession:
			s.sessionOnlyDim = true
		case kindGoal:
			s.goalDim = true
		}
		if d == "event:page" {
			s.pageDim = true
		}
		if strings.HasPrefix(d, "event:") {
			s.eventDim = true
		}
	}
	// The entry/exit pages report only needs sessions: count visitors and
	// pageviews there instead of joining every event to its session.
	s.countsFromSessions = s.sessionOnlyDim && !s.pageDim
	for _, m := range p.metrics {
		switch m {
		case MVisitors, MPageviews, MPercentage, MVisits, MBounceRate, MVisitDuration, MViewsPerVisit, MExitRate:
		default:
			s.countsFromSessions = false
		}
	}
	for _, m := range p.metrics {
		switch m {
		case MVisits:
			if s.eventDim {
				s.events = true // visits that saw the page (had the event): distinct sessions of its events
			} else {
				s.sessions = true
			}
		case MBounceRate, MVisitDuration, MViewsPerVisit:
			s.sessions = true
		case MVisitors, MPageviews, MPercentage:
			if s.countsFromSessions {
				s.sessions = true
			} else {
				s.events = true
			}
		case MEvents, MConversionRate, MTotalRevenue, MAverageRevenue:
			s.events = true
		case MGroupConversionRate:
			s.events, s.groupTotals = true, true
		case MScrollDepth, MTimeOnPage:
			s.engagement = true
		case MExitRate:
			s.sessions, s.exitRate = true, true
		}
	}
	// Top pages list every page seen, as Plausible's: a page without
	// engagement events keeps its row, its time on page null.
	if s.engagement && s.pageDim && !s.events && !s.sessions {
		s.events = true
	}
	return s
}

func dimAliases(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "d" + strconv.Itoa(i)
	}
	return out
}

func (b *builder) selectDims(dims []string, c fctx) string {
	var sb strings.Builder
	for i, d := range dims {
		fmt.Fprintf(&sb, "%s AS d%d, ", b.dimExpr(d, c), i)
	}
	return sb.String()
}

// groupKeys groups by the dimensions' aliases, or by their raw columns
// where that is the same grouping (see dimension.rawGroup).
func groupKeys(dims []string, c fctx) string {
	if len(dims) == 0 {
		return ""
	}
	keys := make([]string, 0, len(dims))
	for i, key := range dims {
		d, _ := lookupDim(key)
		k := "d" + strconv.Itoa(i)
		if d.rawGroup || d.kind == kindEvent && c == ctxEvents {
			k = d.col
		}
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return " GROUP BY " + strings.Join(keys, ", ")
}

func groupBy(n int) string {
	if n == 0 {
		return ""
	}
	return " GROUP BY " + strings.Join(dimAliases(n), ", ")
}

// eventsFrom is the events table, joined to merged sessions when a
// dimension only sessions know (entry/exit page) is grouped on.
func (b *builder) eventsFrom(dims []string) string {
	var cols []string
	for _, d := range dims {
		if kindOf(d) == kindSession {
			cols = append(cols, dimensions[d].col)
		}
	}
	if len(cols) == 0 {
		return b.events()
	}
	return b.events() + " INNER JOIN (" + b.merged(cols, "1") + ") AS sj USING (session_id)"
}

func withoutGoalsAndProps(fs []Filter) []Filter {
	return slices.DeleteFunc(slices.Clone(fs), func(f Filter) bool {
		k := kindOf(f.Dimension)
		return f.Dimension != "" && (k == kindGoal || k == kindProp)
	})
}

func (b *builder) eventsSub(sh shape) string {
	p := b.p
	var sel strings.Builder
	sel.WriteString("SELECT " + b.selectDims(p.dims, ctxEvents))
	fmt.Fprintf(&sel, "toUInt64(%s(visitor_id)) AS e_visitors, toUInt64(countIf(name = 'pageview')) AS e_pageviews, toUInt64(count()) AS e_events", p.uniq)
	if sh.eventDim && slices.Contains(p.metrics, MVisits) {
		fmt.Fprintf(&sel, ", toUInt64(%s(session_id)) AS e_visits", p.uniq)
	}
	if slices.Contains(p.metrics, MTotalRevenue) || slices.Contains(p.metrics, MAverageRevenue) {
		sel.WriteString(", mapApply((k, v) -> (k, toString(v)), sumMapIf(map(toString(revenue_currency), toInt64(revenue_amount * 1000)), revenue_currency != '')) AS e_rev_total" +
			", mapApply((k, v) -> (k, toString(v)), sumMapIf(map(toString(revenue_currency), toUInt64(1)), revenue_currency != '')) AS e_rev_n" +
			", toFloat64(sumIf(revenue_amount, revenue_currency != '')) AS e_rev_sum, toUInt64(countIf(revenue_currency != '')) AS e_rev_cnt")
	}
	where := b.eventsRange() + " AND " + b.counted(p.filters, sh.goalDim) + " AND " + b.where(p.filters, ctxEvents)
	if sh.goalDim {
		where += " AND " + b.goalsCond(p.dimGoals) // prunes by name, part of the sort key
	}
	return sel.String() + " FROM " + b.eventsFrom(p.dims) + " WHERE " + where + groupKeys(p.dims, ctxEvents)
}

func (b *builder) sessionsSub(sh shape) string {
	p := b.p
	base := []string{"session_start", "last_ts", "pageviews", "interactive"}
	if sh.countsFromSessions {
		base = append(base, "visitor_id")
	}
	// A page's bounce rate and visit duration are those of the visits that
	// entered on it (Plausible's definition), so sessions group by entry
	// page: no join of sessions to the pages they saw.
	bounceIf := "1"
	var pageFilters []Filter
	for _, f := range p.filters {
		if f.Dimension == "event:page" {
			pf := f
			pf.Dimension = "visit:entry_page"
			pageFilters = append(pageFilters, pf)
		}
	}
	filters := p.filters
	if sh.pageDim {
		// Entering on a page that matches the page filters implies seeing it.
		filters = slices.DeleteFunc(slices.Clone(filters), func(f Filter) bool { return f.Dimension == "event:page" })
	}
	push, rest := splitPushdown(filters)
	if len(pageFilters) > 0 || sh.pageDim {
		base = append(base, "entry_page")
	}
	if sh.pageDim {
		rest = append(rest, pageFilters...)
	} else if len(pageFilters) > 0 {
		bounceIf = b.where(pageFilters, ctxSessions)
	}
	cols := sessionCols(p.dims, rest, base...)
	for _, d := range p.dims {
		if kindOf(d) == kindSession && !slices.Contains(cols, dimensions[d].col) {
			cols = append(cols, dimensions[d].col)
		}
	}
	from := "(" + b.merged(cols, b.where(push, ctxPushdown)) + ") AS ms"
	post := b.where(rest, ctxSessions)
	dims := make([]string, len(p.dims))
	for i, d := range p.dims {
		if d == "event:page" {
			dims[i] = "toString(entry_page) AS d" + strconv.Itoa(i)
		} else {
			dims[i] = b.dimExpr(d, ctxSessions) + " AS d" + strconv.Itoa(i)
		}
	}
	var sel strings.Builder
	sel.WriteString("SELECT ")
	for _, d := range dims {
		sel.WriteString(d + ", ")
	}
	bounce := "(pageviews <= 1 AND interactive <= 1)"
	fmt.Fprintf(&sel, "toUInt64(count()) AS s_visits, toUInt64(countIf(%s AND %s)) AS s_bounces, toUInt64(countIf(%s)) AS s_entries"+
		", toUInt64(sum(pageviews)) AS s_pageviews, toUInt64(sumIf(dateDiff('millisecond', session_start, last_ts), NOT %s)) AS s_dur_ms",
		bounce, bounceIf, bounceIf, bounce)
	if sh.countsFromSessions {
		fmt.Fprintf(&sel, ", toUInt64(%s(visitor_id)) AS s_visitors", p.uniq)
	}
	return sel.String() + " FROM " + from + " WHERE " + post + groupKeys(p.dims, ctxSessions)
}

// engagementSub reads engagement events: per visitor and page, the deepest
// scroll and the summed engagement time, then their averages per group.
func (b *builder) engagementSub() string {
	p := b.p
	n := len(p.dims)
	inner := "SELECT " + b.selectDims(p.dims, ctxEvents) + "visitor_id, pathname AS pg, max(scroll_depth) AS sd, sum(engagement_ms) AS ms FROM " +
		b.eventsFrom(p.dims) + " WHERE " + b.eventsRange() + " AND name = 'engagement' AND " + b.where(p.filters, ctxEvents) +
		" GROUP BY " + strings.Join(append(dimAliases(n), "visitor_id", "pg"), ", ")
	outDims := ""
	if n > 0 {
		outDims = strings.Join(dimAliases(n), ", ") + ", "
	}
	return "SELECT " + outDims + "toFloat64(avg(sd)) AS g_scroll, toFloat64(avg(ms)) AS g_ms, toUInt64(count()) AS g_pairs FROM (" +
		inner + ")" + groupBy(n)
}

// groupTotalsSub counts visitors per group without goal and property
// filters: the denominator of group_conversion_rate.
func (b *builder) groupTotalsSub(keys []int) string {
	p := b.p
	dims := make([]string, len(keys))
	var sel strings.Builder
	sel.WriteString("SELECT ")
	for i, k := range keys {
		dims[i] = p.dims[k]
		fmt.Fprintf(&sel, "%s AS d%d, ", b.dimExpr(p.dims[k], ctxEvents), k)
	}
	fmt.Fprintf(&sel, "toUInt64(%s(visitor_id)) AS gc_visitors", p.uniq)
	gb := ""
	if len(keys) > 0 {
		names := make([]string, len(keys))
		for i, k := range keys {
			names[i] = "d" + strconv.Itoa(k)
		}
		gb = " GROUP BY " + strings.Join(names, ", ")
	}
	return sel.String() + " FROM " + b.eventsFrom(dims) + " WHERE " + b.eventsRange() + " AND " + notEngagement + " AND " +
		b.where(withoutGoalsAndProps(p.filters), ctxEvents) + gb
}

// totalVisitors is a scalar subquery: visitors over the whole range with fs.
func (b *builder) totalVisitors(fs []Filter, fromSessions bool) string {
	if fromSessions {
		push, rest := splitPushdown(fs)
		return fmt.Sprintf("(SELECT toUInt64(%s(visitor_id)) FROM (%s) AS ms WHERE %s)", b.p.uniq,
			b.merged(sessionCols(nil, rest, "visitor_id", "entry_page", "exit_page"), b.where(push, ctxPushdown)), b.where(rest, ctxSessions))
	}
	return fmt.Sprintf("(SELECT toUInt64(%s(visitor_id)) FROM %s WHERE %s AND %s AND %s)", b.p.uniq, b.events(),
		b.eventsRange(), b.counted(fs, false), b.where(fs, ctxEvents))
}

// column names a result row is scanned from.
type outCol struct {
	name   string
	metric string // for metric columns
	dim    bool
}

// metricExpr is a metric's final expression over the joined subqueries.
func (b *builder) metricExpr(m string, sh shape, total, convTotal string) string {
	visitors, pageviews := "e_visitors", "e_pageviews"
	if sh.countsFromSessions {
		visitors, pageviews = "s_visitors", "s_pageviews"
	}
	switch m {
	case MVisitors:
		return visitors
	case MPageviews:
		return pageviews
	case MEvents:
		return "e_events"
	case MVisits:
		if sh.eventDim {
			return "e_visits"
		}
		return "s_visits"
	case MViewsPerVisit:
		return "toFloat64(if(s_visits = 0, 0, round(s_pageviews / s_visits, 2)))"
	case MBounceRate:
		return "toUInt64(if(s_entries = 0, 0, round(s_bounces * 100 / s_entries)))"
	case MVisitDuration:
		return "toUInt64(if(s_visits = 0, 0, round(s_dur_ms / s_visits / 1000)))"
	case MPercentage:
		return "toFloat64(if(" + total + " = 0, 0, round(" + visitors + " * 100 / " + total + ", 1)))"
	case MConversionRate:
		return "toFloat64(if(" + convTotal + " = 0, 0, round(" + visitors + " * 100 / " + convTotal + ", 2)))"
	case MGroupConversionRate:
		return "toFloat64(if(gc_visitors = 0, 0, round(e_visitors * 100 / gc_visitors, 2)))"
	case MScrollDepth:
		return "toInt64(if(g_pairs = 0, -1, round(g_scroll)))"
	case MTimeOnPage:
		return "toInt64(if(g_pairs = 0, -1, round(g_ms / 1000)))"
	case MExitRate:
		return "toFloat64(if(x_pageviews = 0, -1, round(s_visits * 100 / x_pageviews, 1)))"
	case MTotalRevenue:
		return "e_rev_sum"
	case MAverageRevenue:
		return "if(e_rev_cnt = 0, 0, e_rev_sum / e_rev_cnt)"
	}
	panic("stats: no SQL for metric " + m)
}

// statement builds the whole query: one subquery per table the metrics
// need, joined on the dimensions, sorted and paginated.
func (b *builder) statement(lim limits) (string, []outCol) {
	p := b.p
	sh := p.shape()
	n := len(p.dims)
	type source struct{ alias, sql string }
	var sources []source
	if sh.events {
		sources = append(sources, source{"e", b.eventsSub(sh)})
	}
	if sh.sessions {
		sources = append(sources, source{"s", b.sessionsSub(sh)})
	}
	if p.imp != nil {
		for i, s := range sources {
			sources[i].sql = b.withImported(s.sql, s.alias, sh)
		}
	}
	if sh.engagement {
		sources = append(sources, source{"g", b.engagementSub()})
	}
	using := ""
	if n > 0 {
		using = " USING (" + strings.Join(dimAliases(n), ", ") + ")"
	}
	from := "(" + sources[0].sql + ") AS " + sources[0].alias
	for _, s := range sources[1:] {
		switch {
		case n == 0:
			from += " CROSS JOIN "
		case s.alias == "s" && !sh.pageDim:
			// Pages come from events: entry pages alone do not make rows.
			from += " FULL OUTER JOIN "
		default:
			from += " LEFT JOIN "
		}
		from += "(" + s.sql + ") AS " + s.alias
		if n > 0 {
			from += using
		}
	}
	if sh.exitRate {
		from += " LEFT JOIN (" + b.exitPageviewsSub() + ") AS x USING (d0)"
	}
	if sh.groupTotals {
		var keys []int
		for i, d := range p.dims {
			if kindOf(d) != kindGoal {
				keys = append(keys, i)
			}
		}
		from += " " + map[bool]string{true: "LEFT JOIN", false: "CROSS JOIN"}[len(keys) > 0] + " (" + b.groupTotalsSub(keys) + ") AS gc"
		if len(keys) > 0 {
			names := make([]string, len(keys))
			for i, k := range keys {
				names[i] = "d" + strconv.Itoa(k)
			}
			from += " USING (" + strings.Join(names, ", ") + ")"
		}
	}

	var cols []outCol
	var sel []string
	for i := range p.dims {
		sel = append(sel, fmt.Sprintf("toString(d%d) AS o%d", i, i))
		cols = append(cols, outCol{name: "o" + strconv.Itoa(i), dim: true})
	}
	total, convTotal := "0", "0"
	if slices.Contains(p.metrics, MPercentage) {
		total = b.totalVisitors(p.filters, sh.countsFromSessions)
	}
	if slices.Contains(p.metrics, MConversionRate) {
		convTotal = b.totalVisitors(withoutGoalsAndProps(p.filters), false)
		if p.imp != nil {
			convTotal = "(" + convTotal + " + " + b.importedVisitors() + ")"
		}
	}
	revenue := false
	for _, m := range p.metrics {
		switch m {
		case MTotalRevenue, MAverageRevenue:
			revenue = true
			continue
		}
		sel = append(sel, b.metricExpr(m, sh, total, convTotal)+" AS "+m)
		cols = append(cols, outCol{name: m, metric: m})
	}
	if revenue {
		sel = append(sel, "e_rev_total AS rev_total", "e_rev_n AS rev_n")
		cols = append(cols, outCol{name: "rev_total"}, outCol{name: "rev_n"})
	}
	if p.totalRows {
		sel = append(sel, "toUInt64(count() OVER ()) AS total_rows")
		cols = append(cols, outCol{name: "total_rows"})
	}

	var where []string
	for i := 0; i < n; i++ {
		if vals, ok := p.restrict[i]; ok {
			where = append(where, fmt.Sprintf("has(%s, o%d)", b.arg("Array(String)", vals), i))
		}
	}

	var order []string
	ordered := map[string]bool{}
	for _, o := range p.order {
		ordered[o.Key] = true
		dir := strings.ToUpper(o.Direction)
		if i := slices.Index(p.dims, o.Key); i >= 0 && o.Key == "visit:country_name" {
			// d is the ISO code: sort by the name shown.
			order = append(order, fmt.Sprintf("transform(d%d, %s, %s, d%d) %s", i, b.arg("Array(String)", sortedCodes), b.arg("Array(String)", sortedNames), i, dir))
		} else if i >= 0 {
			order = append(order, fmt.Sprintf("d%d %s", i, dir))
		} else if o.Key == MTotalRevenue || o.Key == MAverageRevenue {
			order = append(order, b.metricExpr(o.Key, sh, total, convTotal)+" "+dir)
		} else {
			order = append(order, o.Key+" "+dir)
		}
	}
	for i, d := range p.dims { // a stable order for ties
		if !ordered[d] {
			order = append(order, fmt.Sprintf("d%d ASC", i))
		}
	}

	q := "SELECT " + strings.Join(sel, ", ") + " FROM " + from
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	if len(order) > 0 {
		q += " ORDER BY " + strings.Join(order, ", ")
	}
	q += " LIMIT " + b.arg("UInt64", uint64(p.limit)) + " OFFSET " + b.arg("UInt64", uint64(p.offset))
	q += settings(lim)
	return q, cols
}

// exitPageviewsSub counts the pageviews of each page (d0, the exit page
// exit_rate is queried with) under the query's filters but those on the
// exit page itself, as Plausible.
func (b *builder) exitPageviewsSub() string {
	fs := slices.DeleteFunc(slices.Clone(b.p.filters), func(f Filter) bool { return f.Dimension == "visit:exit_page" })
	native := "SELECT pathname AS d0, count() AS x_pageviews FROM " + b.events() + " WHERE " + b.eventsRange() +
		" AND name = 'pageview' AND " + b.where(fs, ctxEvents) + " GROUP BY d0"
	if b.p.imp == nil {
		return native
	}
	// With imports (which then left no filter but the exit page's), the
	// pages' imported pageviews join the native ones.
	return "SELECT d0, toUInt64(sum(x_pageviews)) AS x_pageviews FROM (" + native +
		" UNION ALL SELECT pathname AS d0, i_pageviews AS x_pageviews FROM " + b.importedFrom(importedTables["pages"], false) + ") GROUP BY d0"
}

// funnel counts, per visitor, how far windowFunnel got through the steps
// within window (milliseconds), then how many visitors reached each step.
func (b *builder) funnel(steps []Goal, window time.Duration, lim limits) string {
	conds := make([]string, len(steps))
	for i, s := range steps {
		conds[i] = b.goalCond(s)
	}
	// Engagement events count for the scroll-depth steps alone.
	counted := notEngagement
	for _, s := range steps {
		if s.ScrollThreshold > 0 {
			counted += " OR " + b.goalCond(s)
		}
	}
	where := b.eventsRange() + " AND (" + counted + ") AND " + b.where(b.p.filters, ctxEvents)
	// A visitor enters by doing step 1 at all; only those who also did step
	// 2 can go further, so the per-visitor funnel runs on them alone, on the
	// events that match a step. One scan counts those who entered and all
	// visitors, beside it. The visitor test goes first (PREWHERE): it keeps
	// a few percent of the rows, and the step conditions, regular
	// expressions among them, then run on those alone.
	var levels strings.Builder
	cols := []string{"entered"}
	for i := 2; i <= len(steps); i++ {
		fmt.Fprintf(&levels, ", toUInt64(countIf(level >= %d)) AS l%d", i, i)
		cols = append(cols, "l"+strconv.Itoa(i))
	}
	cols = append(cols, "everyone")
	return "SELECT " + strings.Join(cols, ", ") + " FROM (SELECT toUInt64(" + b.p.uniq + "If(visitor_id, " + conds[0] + ")) AS entered, toUInt64(" +
		b.p.uniq + "(visitor_id)) AS everyone FROM " + b.events() + " WHERE " + where + ") AS t CROSS JOIN (SELECT 1" + levels.String() +
		" FROM (SELECT visitor_id, windowFunnel(" + b.arg("UInt64", uint64(window/time.Millisecond)) +
		")(toUInt64(toUnixTimestamp64Milli(ts)), " + strings.Join(conds, ", ") + ") AS level FROM " + b.events() +
		" PREWHERE visitor_id IN (SELECT visitor_id FROM " + b.events() + " WHERE " + where + " AND " + conds[1] + ")" +
		" WHERE " + where + " AND (" + strings.Join(conds, " OR ") + ") GROUP BY visitor_id)) AS f" + settings(lim)
}

// propKeys lists the custom property names events in range carry.
func (b *builder) propKeys(limit int, lim limits) string {
	return "SELECT DISTINCT arrayJoin(mapKeys(props)) AS k FROM events WHERE " + b.eventsRange() + " AND " + notEngagement +
		" AND " + b.where(b.p.filters, ctxEvents) + " ORDER BY k LIMIT " + strconv.Itoa(limit) + settings(lim)
}

// realtimeSQL counts the visitors with an event in [since, until).
const realtimeSQL = "SELECT toUInt64(uniqExact(visitor_id)) FROM events WHERE site_id = {site:UInt32}" +
	" AND toDate(ts) >= {day:Date} AND ts >= {since:DateTime64(3, 'UTC')} AND ts < {until:DateTime64(3, 'UTC')}"

// hiddenSessions leaves out the sessions of hidden imports: the sessions
// table has no import column, their events name them.
func (b *builder) hiddenSessions() string {
	if len(b.p.hidden) == 0 {
		return ""
	}
	return "s0.session_id NOT IN (SELECT session_id FROM events WHERE site_id = {site:UInt32} AND has({hidden:Array(UInt64)}, import_id)) AND "
}

package stats

// Imported data: daily aggregates of another tool's history (imports/,
// migration 10), added to native numbers when a query asks
// (include.imports) and its dimensions, filters and metrics can be read
// from one imported table, as Plausible does. The imported rows join the
// native subqueries by UNION ALL before the final metrics are computed, so
// rates and averages are those of the summed counts. Imported days on or
// after the site's first native day are left out: native data wins.

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sillage-analytics/sillage/store"
)

// importedTable is where a dimension's imported values live, and under
// which native column names the derived table exposes them.
type importedTable struct {
	name string
	// cols are the derived table's columns besides the counts: native
	// name → expression over the imported table.
	cols string
	// counts: visitors, pageviews, events, visits, bounces, visit duration
	// (seconds) as expressions; "" where the table lacks it.
	visitors, pageviews, events, visits, bounces, duration string
	// union: keys of the tables read together instead (goals: custom
	// events and, for page goals, pages).
	union []string
}

var importedTables = map[string]importedTable{
	"visitors": {name: "imported_visitors", cols: "'' AS pathname, '' AS name",
		visitors: "visitors", pageviews: "pageviews", events: "pageviews", visits: "visits", bounces: "bounces", duration: "visit_duration"},
	"sources": {name: "imported_sources", cols: "source AS referrer_source, channel, referrer, utm_source, utm_medium, utm_campaign, utm_content, utm_term",
		visitors: "visitors", pageviews: "pageviews", events: "pageviews", visits: "visits", bounces: "bounces", duration: "visit_duration"},
	"pages": {name: "imported_pages", cols: "hostname, page AS pathname, 'pageview' AS name, " + noImportedProps + ", toUInt8(0) AS scroll_depth",
		visitors: "visitors", pageviews: "pageviews", events: "pageviews", visits: "visits"},
	// The pages report's bounce rate and visit duration are those of the
	// visits that entered on each page (as natively): entry pages.
	"pages:sessions": {name: "imported_entry_pages", cols: "entry_page AS pathname",
		visitors: "visitors", pageviews: "pageviews", events: "pageviews", visits: "entrances", bounces: "bounces", duration: "visit_duration"},
	"entry_pages": {name: "imported_entry_pages", cols: "entry_page",
		visitors: "visitors", pageviews: "pageviews", events: "pageviews", visits: "entrances", bounces: "bounces", duration: "visit_duration"},
	"exit_pages": {name: "imported_exit_pages", cols: "exit_page",
		visitors: "visitors", pageviews: "pageviews", events: "pageviews", visits: "exits", bounces: "bounces", duration: "visit_duration"},
	// Imported custom events keep two properties, for Plausible's special
	// goals: the link of "Outbound Link: Click" and the like, the path of
	// "404" and the like.
	"custom_events": {name: "imported_custom_events", cols: "'' AS hostname, '' AS pathname, name, " +
		"mapFilter((k, v) -> v != '', map('url', link_url, 'path', path)) AS props, toUInt8(0) AS scroll_depth",
		visitors: "visitors", events: "events"},
	// Goals: custom event goals from imported custom events, page goals
	// from imported pages (their pageviews are the goal's events).
	"goals": {union: []string{"custom_events", "pages"}},
	"locations": {name: "imported_locations", cols: "country AS country_code, region, toUInt32(city) AS city_geoname_id",
		visitors: "visitors", pageviews: "pageviews", events: "pageviews", visits: "visits", bounces: "bounces", duration: "visit_duration"},
	"devices": {name: "imported_devices", cols: "device",
		visitors: "visitors", pageviews: "pageviews", events: "pageviews", visits: "visits", bounces: "bounces", duration: "visit_duration"},
	"browsers": {name: "imported_browsers", cols: "browser, browser_version",
		visitors: "visitors", pageviews: "pageviews", events: "pageviews", visits: "visits", bounces: "bounces", duration: "visit_duration"},
	"operating_systems": {name: "imported_operating_systems", cols: "operating_system AS os, operating_system_version AS os_version",
		visitors: "visitors", pageviews: "pageviews", events: "pageviews", visits: "visits", bounces: "bounces", duration: "visit_duration"},
}

const noImportedProps = "CAST(map(), 'Map(String, String)') AS props"

// Plausible's special goals whose imported custom events keep a property.
var (
	goalsWithURL  = []string{"Outbound Link: Click", "Cloaked Link: Click", "File Download"}
	goalsWithPath = []string{"404", "WP Form Completions", "Form: Submission"}
)

// importedGroup names the imported table a dimension is kept in; "" for
// one imported data lacks.
func importedGroup(dim string) string {
	switch dim {
	case "visit:source", "visit:channel", "visit:referrer", "visit:utm_source", "visit:utm_medium", "visit:utm_campaign", "visit:utm_term", "visit:utm_content":
		return "sources"
	case "visit:country", "visit:country_name", "visit:region", "visit:region_name", "visit:city":
		return "locations"
	case "visit:device":
		return "devices"
	case "visit:browser", "visit:browser_version":
		return "browsers"
	case "visit:os", "visit:os_version":
		return "operating_systems"
	case "visit:entry_page":
		return "entry_pages"
	case "visit:exit_page":
		return "exit_pages"
	case "event:page", "event:hostname":
		return "pages"
	case "event:name":
		return "custom_events"
	case "event:goal", "event:props:url", "event:props:path":
		return "goals"
	}
	return ""
}

// specialGoalFilter says whether filters hold a top-level "is" goal
// filter naming only special goals that keep the property prop (url or
// path): imported custom events keep that property for those alone.
func specialGoalFilter(fs []Filter, prop string) bool {
	special := goalsWithURL
	if prop == "path" {
		special = goalsWithPath
	}
	for _, f := range fs {
		if f.Op == "is" && f.Dimension == "event:goal" && len(f.Values) > 0 && !f.IgnoreCase &&
			!slices.ContainsFunc(f.Values, func(v string) bool { return !slices.Contains(special, v) }) {
			return true
		}
	}
	return false
}

// importPlan is how a plan reads imported data.
type importPlan struct {
	group  string // key of importedTables for the events side
	cutoff string // first native day (local): imported days before it only
}

// Skip reasons, as Plausible names them.
const (
	skipNoImports   = "no_imported_data"
	skipOutOfRange  = "out_of_range"
	skipUnsupported = "unsupported_query"
	skipInterval    = "unsupported_interval"
)

// importsMeta is what the response says about imported data.
type importsMeta struct {
	included bool
	reason   string
	warning  string
	end      string // the last imported day in the numbers, for the graph's marker
}

func filterDims(fs []Filter, out *[]string) bool {
	for _, f := range fs {
		switch f.Op {
		case "and", "or", "not":
			if !filterDims(f.Filters, out) {
				return false
			}
		case "has_done", "has_not_done":
			return false
		default:
			*out = append(*out, f.Dimension)
		}
	}
	return true
}

// Plausible's warnings, which clients may match; Sillage follows the
// first with its own reason instead of a link to Plausible's docs.
const (
	warnUnsupported = "Imported stats are not included in the results because query parameters are not supported."
	warnInterval    = "Imported stats are not included because the time dimension (i.e. the interval) is too short."
)

func importsWarning(reason, why string) string {
	if reason == skipInterval {
		return warnInterval
	}
	return warnUnsupported + " " + why
}

// importable says whether p can add imported data, and why not (a
// sentence).
func importable(p *plan) (string, string) {
	if p.sample > 0 {
		return skipUnsupported, "The range is read through a sample."
	}
	for _, m := range p.metrics {
		switch m {
		case MVisitors, MVisits, MPageviews, MViewsPerVisit, MBounceRate, MVisitDuration, MEvents:
		case MExitRate:
			// Imported exits (the exit pages' visits) over the pages'
			// imported pageviews (exitPageviewsSub).
		case MConversionRate:
			// Its denominator, every visitor of the range, comes from
			// imported visitors: no filter may narrow it.
			if len(withoutGoalsAndProps(p.filters)) > 0 {
				return skipUnsupported, "Imported data does not keep conversion rates with filters other than goals and properties."
			}
		default:
			return skipUnsupported, "Imported data does not keep the metric " + m + "."
		}
	}
	var dims []string
	for _, d := range p.dims {
		if d == "time:hour" {
			return skipInterval, ""
		}
		if !isTimeDim(d) {
			dims = append(dims, d)
		}
	}
	if !filterDims(p.filters, &dims) {
		return skipUnsupported, "Filters has_done and has_not_done cannot apply to imported data."
	}
	group := ""
	for _, d := range dims {
		g := importedGroup(d)
		if prop, ok := strings.CutPrefix(d, propPrefix); ok && g != "" && !specialGoalFilter(p.filters, prop) {
			g = ""
		}
		if g == "" {
			return skipUnsupported, "Imported data does not keep " + d + "."
		}
		if group != "" && g != group {
			return skipUnsupported, "Imported data keeps " + firstOf(dims, group) + " and " + d + " in separate tables, so they cannot be combined."
		}
		group = g
	}
	if group == "" {
		group = "visitors"
	}
	sh := p.shape()
	if sh.sessions && (group == "custom_events" || group == "goals" || group == "pages" && !sessionsFromEntryPages(p)) {
		return skipUnsupported, "Imported data does not keep bounce rate, visit duration and visits by page filter, hostname or event."
	}
	p.imp = &importPlan{group: group}
	return "", ""
}

func firstOf(dims []string, group string) string {
	for _, d := range dims {
		if importedGroup(d) == group {
			return d
		}
	}
	return group
}

// sessionsFromEntryPages: the pages report's visit metrics come from
// imported entry pages when it groups by page and filters on nothing.
func sessionsFromEntryPages(p *plan) bool {
	return slices.Contains(p.dims, "event:page") && !slices.Contains(p.dims, "event:hostname") && len(p.filters) == 0
}

// planImports decides whether imported data joins p, and reads the
// imports' range and the first native day.
func (e *Engine) planImports(ctx context.Context, p *plan) (importsMeta, error) {
	var n uint64
	var first, last string
	err := store.QueryRow(ctx, e.store(), `SELECT count(), toString(min(start_date)), toString(max(end_date)) FROM imports FINAL
		WHERE site_id = {site:UInt32} AND deleted = 0 AND status = 'completed' AND end_date > '1970-01-01'`,
		store.Params{"site": p.siteID}, &n, &first, &last)
	if err != nil {
		return importsMeta{}, fmt.Errorf("stats: imports of site %d: %w", p.siteID, err)
	}
	if n == 0 {
		return importsMeta{reason: skipNoImports}, nil
	}
	native, err := e.firstDay(ctx, p.siteID, p.loc)
	if err != nil {
		return importsMeta{}, err
	}
	cutoff := "2149-06-06"
	if !native.IsZero() {
		cutoff = native.Format(dateLayout)
	}
	from, to := p.span.first.Format(dateLayout), p.span.last.Format(dateLayout)
	if last < from || first > to || first >= cutoff || from >= cutoff {
		return importsMeta{reason: skipOutOfRange}, nil
	}
	if reason, why := importable(p); reason != "" {
		return importsMeta{reason: reason, warning: importsWarning(reason, why)}, nil
	}
	p.imp.cutoff = cutoff
	end := min(last, to)
	if c, err := parseDate(cutoff); err == nil {
		end = min(end, c.AddDate(0, 0, -1).Format(dateLayout))
	}
	return importsMeta{included: true, end: end}, nil
}

// importedFrom is the derived table of an imported table (or of the
// tables of a union): the rows of the site's completed imports in range,
// before the first native day, under the native columns' names, with ts
// the local midnight of the day. With withPageviews, as Plausible, rows
// without pageviews are left out (custom events have none to count).
func (b *builder) importedFrom(t importedTable, withPageviews bool) string {
	if len(t.union) > 0 {
		parts := make([]string, len(t.union))
		for i, k := range t.union {
			parts[i] = b.importedPart(importedTables[k], withPageviews)
		}
		return "(" + strings.Join(parts, " UNION ALL ") + ") AS imp"
	}
	return "(" + b.importedPart(t, withPageviews) + ") AS imp"
}

func (b *builder) importedPart(t importedTable, withPageviews bool) string {
	zero := func(s string) string {
		if s == "" {
			return "0"
		}
		return s
	}
	where := " WHERE site_id = {site:UInt32} AND date BETWEEN " + b.arg("Date", b.p.span.first.Format(dateLayout)) + " AND " +
		b.arg("Date", b.p.span.last.Format(dateLayout)) + " AND date < " + b.arg("Date", b.p.imp.cutoff) +
		" AND import_id IN (SELECT id FROM imports FINAL WHERE site_id = {site:UInt32} AND deleted = 0 AND status = 'completed')"
	if withPageviews && t.pageviews != "" && t.name != "imported_custom_events" {
		where += " AND " + t.pageviews + " > 0"
	}
	return "SELECT " + t.cols + ", toDateTime64(toDateTime(date, {tz:String}), 3, 'UTC') AS ts, toUInt64(" + zero(t.visitors) + ") AS i_visitors, toUInt64(" +
		zero(t.pageviews) + ") AS i_pageviews, toUInt64(" + zero(t.events) + ") AS i_events, toUInt64(" + zero(t.visits) + ") AS i_visits, toUInt64(" +
		zero(t.bounces) + ") AS i_bounces, toUInt64(" + zero(t.duration) + ") AS i_duration FROM " + t.name + where
}

// importedVisitors is the sum of imported visitors over the range: the
// denominator's share of a conversion rate (importable allows no filter
// but goals and properties then).
func (b *builder) importedVisitors() string {
	return "(SELECT toUInt64(sum(i_visitors)) FROM " + b.importedFrom(importedTables["visitors"], false) + ")"
}

// importedWhere compiles filters over the derived table: leaves only,
// on its native column names (importable refused the rest).
func (b *builder) importedWhere(fs []Filter) string {
	if len(fs) == 0 {
		return "1"
	}
	parts := make([]string, len(fs))
	for i, f := range fs {
		switch f.Op {
		case "and", "or":
			sub := make([]string, len(f.Filters))
			for j, c := range f.Filters {
				sub[j] = b.importedWhere([]Filter{c})
			}
			parts[i] = "(" + strings.Join(sub, " "+strings.ToUpper(f.Op)+" ") + ")"
		case "not":
			parts[i] = "NOT (" + b.importedWhere(f.Filters) + ")"
		default:
			parts[i] = b.leaf(f, ctxSessions)
		}
	}
	return strings.Join(parts, " AND ")
}

// importedKnown leaves out, as Plausible does, the imported rows that
// lack the value a UTM, region or city dimension groups by (a source
// without UTM tags is no row of the UTM reports), and the unknown country.
func importedKnown(dims []string) string {
	var out strings.Builder
	for _, d := range dims {
		switch d {
		// A channel not yet filled in (imports.FillChannels) is no
		// "Direct" row.
		case "visit:utm_source", "visit:utm_medium", "visit:utm_campaign", "visit:utm_term", "visit:utm_content", "visit:channel":
			out.WriteString(" AND " + dimensions[d].col + " != ''")
		case "visit:country", "visit:country_name":
			out.WriteString(" AND country_code != 'ZZ'")
		case "visit:region", "visit:region_name":
			out.WriteString(" AND region != ''")
		case "visit:city":
			out.WriteString(" AND city_geoname_id != 0")
		}
	}
	return out.String()
}

// withImported adds imported rows to a native subquery (side "e" or "s")
// and sums both per group.
func (b *builder) withImported(native, side string, sh shape) string {
	p := b.p
	key := p.imp.group
	if side == "s" && key == "pages" {
		key = "pages:sessions"
	}
	t := importedTables[key]
	n := len(p.dims)
	var sel strings.Builder
	sel.WriteString("SELECT " + b.selectDims(p.dims, ctxEvents))
	var sums []string
	switch side {
	case "e":
		sel.WriteString("toUInt64(sum(i_visitors)) AS e_visitors, toUInt64(sum(i_pageviews)) AS e_pageviews, toUInt64(sum(i_events)) AS e_events")
		sums = []string{"e_visitors", "e_pageviews", "e_events"}
		if sh.eventDim && slices.Contains(p.metrics, MVisits) {
			sel.WriteString(", toUInt64(sum(i_visits)) AS e_visits")
			sums = append(sums, "e_visits")
		}
	case "s":
		sel.WriteString("toUInt64(sum(i_visits)) AS s_visits, toUInt64(sum(i_bounces)) AS s_bounces, toUInt64(sum(i_visits)) AS s_entries" +
			", toUInt64(sum(i_pageviews)) AS s_pageviews, toUInt64(sum(i_duration) * 1000) AS s_dur_ms")
		sums = []string{"s_visits", "s_bounces", "s_entries", "s_pageviews", "s_dur_ms"}
		if sh.countsFromSessions {
			sel.WriteString(", toUInt64(sum(i_visitors)) AS s_visitors")
			sums = append(sums, "s_visitors")
		}
	}
	// As Plausible: with pageviews asked, imported rows without any (a
	// page seen only by events another tool counted) leave every count.
	withPageviews := slices.Contains(p.metrics, MPageviews) || slices.Contains(p.metrics, MViewsPerVisit)
	imported := sel.String() + " FROM " + b.importedFrom(t, withPageviews) + " WHERE " + b.importedWhere(p.filters) + importedKnown(p.dims) + groupBy(n)
	var out strings.Builder
	out.WriteString("SELECT ")
	for i := range n {
		out.WriteString("d" + strconv.Itoa(i) + ", ")
	}
	for i, s := range sums {
		if i > 0 {
			out.WriteString(", ")
		}
		fmt.Fprintf(&out, "toUInt64(sum(%s)) AS %s", s, s)
	}
	// The native side lists exactly these columns, in this order.
	cols := make([]string, 0, n+len(sums))
	for i := range n {
		cols = append(cols, "d"+strconv.Itoa(i))
	}
	cols = append(cols, sums...)
	return out.String() + " FROM (SELECT " + strings.Join(cols, ", ") + " FROM (" + native + ") UNION ALL " + imported + ")" + groupBy(n)
}

// firstImportedDay is the first day of the site's completed imports, for
// the "all" range; zero without imports.
func (e *Engine) firstImportedDay(ctx context.Context, siteID uint32) (time.Time, error) {
	var n uint64
	var first string
	if err := store.QueryRow(ctx, e.store(), `SELECT count(), toString(min(start_date)) FROM imports FINAL
		WHERE site_id = {site:UInt32} AND deleted = 0 AND status = 'completed' AND end_date > '1970-01-01'`,
		store.Params{"site": siteID}, &n, &first); err != nil {
		return time.Time{}, fmt.Errorf("stats: imports of site %d: %w", siteID, err)
	}
	if n == 0 {
		return time.Time{}, nil
	}
	return parseDate(first)
}

// hiddenImports are a site's event-level imports whose events are in the
// events table but must not count: pending or running ones (their events
// count once the import completes), and those whose events are being
// deleted (cancelled, failed or deleted in the last hour; the deletion
// runs right after the status is written).
func (e *Engine) hiddenImports(ctx context.Context, siteID uint32) ([]uint64, error) {
	rows, err := e.store().Query(ctx, `SELECT id FROM imports FINAL WHERE site_id = {site:UInt32} AND source IN ('umami', 'goatcounter')
		AND (deleted = 0 AND status IN ('pending', 'running')
			OR (deleted = 1 OR status IN ('failed', 'cancelled')) AND updated_at > now64(6, 'UTC') - INTERVAL 1 HOUR)`,
		store.Params{"site": siteID})
	if err != nil {
		return nil, fmt.Errorf("stats: imports of site %d: %w", siteID, err)
	}
	defer rows.Close()
	var ids []uint64
	for rows.Next() {
		var id uint64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("stats: imports of site %d: %w", siteID, err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

package stats

// Stage 3, plan: a valid Query resolved against a site becomes a plan:
// the date range as instants in the site's zone (resolve), "time" as a
// bucket, goals, order, and how visitors are counted or sampled from the
// range's estimated size (counting). Imported data is decided in
// imported.go (planImports); the plan goes to sql.go.

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/store"
)

// plan is a validated query resolved against a site: what sql.go turns
// into one statement.
type plan struct {
	siteID    uint32
	tz        string
	loc       *time.Location
	span      span
	dims      []string // "time" resolved to a bucket
	metrics   []string
	filters   []Filter // ANDed
	goals     []Goal
	dimGoals  []int // 1-based indexes of goals the event:goal dimension may show
	order     []OrderBy
	limit     int
	offset    int
	totalRows bool
	uniq      string           // "uniqExact" or "uniq": a closed choice, see Engine.ExactBelow
	sample    float64          // fraction of visitors read, 0 for all: see Engine.SampleAbove
	restrict  map[int][]string // dimension index → allowed output values (comparisons)
	imp       *importPlan      // imported data to add (imported.go); nil for none
	// hidden are the event-level imports whose events must not count
	// (running, or being deleted): see hiddenImports.
	hidden []uint64
}

// exactMoney: revenue is never estimated from a sample.
func (p *plan) exactMoney() bool {
	return slices.Contains(p.metrics, MTotalRevenue) || slices.Contains(p.metrics, MAverageRevenue)
}

// sampled is the SAMPLE clause of the events and sessions tables, both
// sampled by visitor_id, so a visitor's events and sessions are read or
// skipped together. The fraction is a number computed here, never input.
func (p *plan) sampled() string {
	if p.sample == 0 {
		return ""
	}
	return " SAMPLE " + strconv.FormatFloat(p.sample, 'f', 4, 64)
}

func (p *plan) samplePercent() float64 {
	return math.Round(p.sample*1e4) / 100
}

// scale turns a count read from a sample into an estimate for everyone;
// rates and averages need no scaling.
func (p *plan) scale(metric string, v any) any {
	if p.sample == 0 {
		return v
	}
	switch metric {
	case MVisitors, MVisits, MPageviews, MEvents:
		if n, ok := v.(uint64); ok {
			return uint64(math.Round(float64(n) / p.sample))
		}
	}
	return v
}

// resolve finds the site's zone, the anchor date and the range's instants.
func (e *Engine) resolve(ctx context.Context, site sillage.Site, q *Query) (*time.Location, time.Time, span, error) {
	loc, err := time.LoadLocation(site.Timezone)
	if err != nil || site.Timezone == "" {
		return nil, time.Time{}, span{}, fmt.Errorf("stats: site %d has an invalid time zone %q", site.ID, site.Timezone)
	}
	today := dateOf(e.now(), loc)
	if q.Date != "" {
		today, _ = parseDate(q.Date)
	}
	sp, err := resolveSpan(q.DateRange, today, loc, func() (time.Time, error) {
		first, err := e.firstDay(ctx, site.ID, loc)
		if err != nil || !q.Include.Imports {
			return first, err
		}
		// "all" begins with the imported history.
		imported, err := e.firstImportedDay(ctx, site.ID)
		if err == nil && !imported.IsZero() && (first.IsZero() || imported.Before(first)) {
			first = imported
		}
		return first, err
	})
	return loc, today, sp, err
}

// resolveSpan turns a validated DateRange into instants. today is the
// anchor date; allStart gives the first day with data for "all".
func resolveSpan(d DateRange, today time.Time, loc *time.Location, allStart func() (time.Time, error)) (span, error) {
	a := today
	switch d.Period {
	case "day":
		return dateSpan(a, a, loc), nil
	case "month":
		m := monthStart(a)
		return dateSpan(m, m.AddDate(0, 1, -1), loc), nil
	case "year":
		y := time.Date(a.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
		return dateSpan(y, y.AddDate(1, 0, -1), loc), nil
	case "all":
		first, err := allStart()
		if err != nil {
			return span{}, err
		}
		if first.IsZero() || first.After(a) {
			first = a
		}
		return dateSpan(first, a, loc), nil
	}
	if n, unit := relativePeriod(d.Period); n > 0 {
		m := monthStart(a)
		switch {
		// Plausible's: the N whole days, or months, before the anchor's.
		case unit == "d" && !d.endsOnDate:
			return dateSpan(a.AddDate(0, 0, -n), a.AddDate(0, 0, -1), loc), nil
		case unit == "mo" && !d.endsOnDate:
			return dateSpan(m.AddDate(0, -n, 0), m.AddDate(0, 0, -1), loc), nil
		// The Stats API v1's: ending with the anchor day, or its month.
		case unit == "d":
			return dateSpan(a.AddDate(0, 0, 1-n), a, loc), nil
		default:
			return dateSpan(m.AddDate(0, 1-n, 0), m.AddDate(0, 1, -1), loc), nil
		}
	}
	f, t, dates, err := parseRangeBounds(d.From, d.To)
	if err != nil {
		return span{}, err
	}
	if dates {
		return dateSpan(f, t, loc), nil
	}
	// Datetimes include their last second, as Plausible's do.
	end := t.Add(time.Second).Truncate(time.Second)
	if t.Nanosecond()%int(time.Second) != 0 {
		end = t.Add(time.Millisecond)
	}
	return span{from: f.UTC(), to: end.UTC(), first: dateOf(f, loc), last: dateOf(end.Add(-time.Millisecond), loc)}, nil
}

// firstDay is the local date of the site's first event, for "all"; read
// in primary key order, it touches one granule.
func (e *Engine) firstDay(ctx context.Context, siteID uint32, loc *time.Location) (time.Time, error) {
	var day string
	var n uint64
	err := store.QueryRow(ctx, e.store(), `SELECT toString(toDate(min(ts), {tz:String})), toUInt64(count()) FROM events
		WHERE site_id = {site:UInt32} AND toDate(ts) = (SELECT toDate(ts) AS d FROM events WHERE site_id = {site:UInt32} ORDER BY site_id, d LIMIT 1)`,
		store.Params{"site": siteID, "tz": loc.String()}, &day, &n)
	if err != nil {
		return time.Time{}, fmt.Errorf("stats: first day of site %d: %w", siteID, err)
	}
	if n == 0 {
		return time.Time{}, nil
	}
	return parseDate(day)
}

func (e *Engine) newPlan(ctx context.Context, site sillage.Site, loc *time.Location, goals []Goal, q *Query, sp span) (*plan, map[string]Warning, error) {
	p := &plan{
		siteID: site.ID, tz: loc.String(), loc: loc, span: sp, metrics: q.Metrics, filters: q.Filters,
		goals: goals, limit: q.Pagination.Limit, offset: q.Pagination.Offset, totalRows: q.Include.TotalRows,
	}
	var err error
	if p.hidden, err = e.hiddenImports(ctx, site.ID); err != nil {
		return nil, nil, err
	}
	for _, d := range q.Dimensions {
		if d == "time" {
			d = autoTimeDim(sp)
		}
		p.dims = append(p.dims, d)
	}
	if extra := hostnameFilters(p.dims, q.Filters); len(extra) > 0 {
		p.filters = append(slices.Clip(q.Filters), extra...)
	}
	// A goal filter must name configured goals; it also narrows the goals
	// the event:goal dimension shows, as in Plausible.
	for i, f := range q.Filters {
		if f.Dimension != "event:goal" {
			continue
		}
		if baseOp(f.Op) == "is" {
			for j, v := range f.Values {
				if !slices.ContainsFunc(goals, func(g Goal) bool {
					return g.Name() == v || f.IgnoreCase && strings.EqualFold(g.Name(), v)
				}) {
					return nil, nil, unconfiguredGoal(fmt.Sprintf("filters[%d][2][%d]", i, j), v)
				}
			}
		}
	}
	for i := range goals {
		ok := true
		for _, f := range q.Filters {
			if f.Dimension == "event:goal" && labelMatcher(f)(goals[i].Name()) == negated(f.Op) {
				ok = false
			}
		}
		if ok {
			p.dimGoals = append(p.dimGoals, i+1)
		}
	}
	p.order = q.OrderBy
	if len(p.order) == 0 {
		if i := slices.IndexFunc(p.dims, isTimeDim); i >= 0 {
			// As Plausible: time first, then the largest groups of each bucket.
			p.order = []OrderBy{{p.dims[i], "asc"}, {q.Metrics[0], "desc"}}
		} else {
			p.order = []OrderBy{{q.Metrics[0], "desc"}}
		}
	} else {
		p.order = slices.Clone(p.order)
		for i, o := range p.order {
			if o.Key == "time" {
				p.order[i].Key = p.dims[slices.IndexFunc(p.dims, isTimeDim)]
			}
		}
	}
	if err := e.counting(ctx, p); err != nil {
		return nil, nil, err
	}
	return p, map[string]Warning{}, nil
}

// autoTimeDim is what the "time" dimension means for a range: hours up to
// two days, days up to 40, weeks up to 52 weeks, months beyond, as in
// Plausible.
func autoTimeDim(s span) string {
	n := daysBetween(s.first, s.last) + 1
	switch {
	case n <= 2:
		return "time:hour"
	case n <= 40:
		return "time:day"
	case n <= 52*7:
		return "time:week"
	default:
		return "time:month"
	}
}

// timeDimOf is the time dimension among dims (at most one), or "".
func timeDimOf(dims []string) string {
	timeDim := ""
	for _, d := range dims {
		if isTimeDim(d) {
			timeDim = d
		}
	}
	return timeDim
}

// maxTimeBuckets bounds a time dimension's buckets (and time labels).
const maxTimeBuckets = 50_000

func bucketCount(dim string, s span) int {
	switch dim {
	case "time:hour":
		return int(s.to.Sub(s.from).Hours()) + 1
	case "time:day":
		return daysBetween(s.first, s.last) + 1
	case "time:week":
		return daysBetween(s.first, s.last)/7 + 2
	}
	return 0
}

type estimateKey struct {
	site       uint32
	dfrom, dto string
}

type estimate struct {
	rows    uint64
	expires time.Time
}

// estimateTTL is how long a range's size estimate is reused: sizes change
// slowly, and the estimate costs as much as a small query to plan.
const estimateTTL = 5 * time.Minute

// DefaultExactBelow keeps counts exact up to 1 M events in a range. Above
// it uniq counts: exact up to 65 536 distinct visitors per group, within
// about 1 % beyond, and 2–3× cheaper than uniqExact at 10 M events here
// (Plausible counts every range with uniq).
const DefaultExactBelow = 1_000_000

// DefaultSampleAbove is Plausible's default sampling threshold.
const DefaultSampleAbove = 10_000_000

// counting picks, from the primary index's estimate of the events in range
// (EXPLAIN ESTIMATE reads no data), how visitors are counted (p.uniq) and
// whether the range is sampled (p.sample).
func (e *Engine) counting(ctx context.Context, p *plan) error {
	exact, sample := e.ExactBelow, e.SampleAbove
	if exact == 0 {
		exact = DefaultExactBelow
	}
	if sample == 0 {
		sample = DefaultSampleAbove
	}
	p.uniq, p.sample = "uniqExact", 0
	if exact == math.MaxUint64 && (sample == math.MaxUint64 || p.exactMoney()) {
		return nil
	}
	b := newBuilder(p)
	key := estimateKey{p.siteID, b.params["dfrom"].(string), b.params["dto"].(string)}
	now := time.Now()
	e.mu.Lock()
	est, ok := e.estimates[key]
	e.mu.Unlock()
	total := est.rows
	if !ok || now.After(est.expires) {
		var err error
		if total, err = e.estimate(ctx, b); err != nil {
			return err
		}
		e.mu.Lock()
		if e.estimates == nil || len(e.estimates) >= 4096 {
			e.estimates = map[estimateKey]estimate{}
		}
		e.estimates[key] = estimate{total, now.Add(estimateTTL)}
		e.mu.Unlock()
	}
	if total >= exact {
		p.uniq = "uniq"
	}
	if total > sample && !p.exactMoney() {
		// Four decimals: the fraction is written into the statement.
		p.sample = max(math.Floor(float64(sample)/float64(total)*1e4)/1e4, 1e-4)
	}
	return nil
}

// estimate asks the primary index how many events a range holds.
func (e *Engine) estimate(ctx context.Context, b *builder) (uint64, error) {
	rows, err := e.store().Query(ctx, "EXPLAIN ESTIMATE SELECT 1 FROM events WHERE site_id = {site:UInt32} AND toDate(ts) BETWEEN {dfrom:Date} AND {dto:Date}", b.params)
	if err != nil {
		return 0, fmt.Errorf("stats: estimate range size: %w", err)
	}
	defer rows.Close()
	var total uint64
	for rows.Next() {
		var db, table string
		var parts, n, marks uint64
		if err := rows.Scan(&db, &table, &parts, &n, &marks); err != nil {
			return 0, fmt.Errorf("stats: estimate range size: %w", err)
		}
		total += n
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("stats: estimate range size: %w", err)
	}
	return total, nil
}

// comparisonSpan is the period a comparison runs over. Like Plausible,
// previous_period and year_over_year compare only the part of the range that
// has happened (up to today).
func comparisonSpan(c *Comparisons, main span, today time.Time, loc *time.Location, dateBased bool) (span, error) {
	if c.Mode == "custom" {
		return resolveSpan(*c.DateRange, today, loc, nil)
	}
	if !dateBased {
		// A datetime range shifts by its own length or by a year.
		if c.Mode == "previous_period" {
			d := main.to.Sub(main.from)
			return span{from: main.from.Add(-d), to: main.from, first: dateOf(main.from.Add(-d), loc), last: dateOf(main.from.Add(-time.Millisecond), loc)}, nil
		}
		f, t := yearBefore(main.from.In(loc)), yearBefore(main.to.In(loc))
		return span{from: f.UTC(), to: t.UTC(), first: dateOf(f, loc), last: dateOf(t.Add(-time.Millisecond), loc)}, nil
	}
	last := main.last
	if today.Before(last) && !today.Before(main.first) {
		last = today
	}
	var first time.Time
	switch c.Mode {
	case "previous_period":
		n := daysBetween(main.first, last) + 1
		first, last = main.first.AddDate(0, 0, -n), last.AddDate(0, 0, -n)
	default: // year_over_year
		first, last = yearBefore(main.first), yearBefore(last)
	}
	if c.MatchDayOfWeek {
		// As Plausible: forward to the next day with the main range's first
		// weekday, or back to the previous one when the next is the main
		// range's own first day.
		shift := (int(main.first.Weekday()) - int(first.Weekday()) + 7) % 7
		if shift > 0 && first.AddDate(0, 0, shift).Equal(main.first) {
			shift -= 7
		}
		first, last = first.AddDate(0, 0, shift), last.AddDate(0, 0, shift)
	}
	return dateSpan(first, last, loc), nil
}

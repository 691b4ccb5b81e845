package stats

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/store"
)

// Engine answers Stats API queries from the store.
type Engine struct {
	Store store.Engine
	Now   func() time.Time // default time.Now
	// ExactBelow chooses how visitors are counted: a range whose event count,
	// estimated from the primary index, is below it uses uniqExact; above
	// it, uniq (about 1% error, bounded memory). 0 means DefaultExactBelow.
	ExactBelow uint64
	// SampleAbove bounds the events a query reads: a range estimated to
	// hold more is read through SAMPLE (by visitor, so a visitor is wholly
	// in or out) and counts are scaled up; the response gives the percent.
	// 0 means DefaultSampleAbove; math.MaxUint64 never samples.
	SampleAbove uint64
	// Timeout bounds each statement (max_execution_time); 0 means 30 s.
	Timeout time.Duration
	// MaxMemory bounds the memory of each statement in bytes
	// (max_memory_usage): past it the statement fails instead of taking
	// the process's memory from everyone. 0 means DefaultMaxMemory; a
	// negative value leaves the engine's own bound.
	MaxMemory int64

	mu        sync.Mutex
	estimates map[estimateKey]estimate // range sizes, cached for estimateTTL
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

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Engine) maxSeconds() int {
	if e.Timeout <= 0 {
		return 30
	}
	return max(1, int(e.Timeout/time.Second))
}

// DefaultMaxMemory is the memory one stats statement may take: 2 GiB, far
// above what the dashboard's queries take over 10 M events (which is where
// sampling starts), so that only a runaway statement meets it.
const DefaultMaxMemory = 2 << 30

// limits bound one statement.
type limits struct {
	seconds int
	memory  int64 // bytes; 0 for the engine's own bound
}

func (e *Engine) limits() limits {
	l := limits{seconds: e.maxSeconds(), memory: e.MaxMemory}
	switch {
	case l.memory == 0:
		l.memory = DefaultMaxMemory
	case l.memory < 0:
		l.memory = 0
	}
	return l
}

// store is the engine's store with every statement in the stats lane, so
// that the engine runs account and session statements on connections that
// a long stats query never holds (see store.LaneStats).
func (e *Engine) store() store.Engine { return statsLane{e.Store} }

type statsLane struct{ store.Engine }

func (s statsLane) Exec(ctx context.Context, query string, params store.Params) error {
	return s.Engine.Exec(store.WithLane(ctx, store.LaneStats), query, params)
}

func (s statsLane) Query(ctx context.Context, query string, params store.Params) (store.Rows, error) {
	return s.Engine.Query(store.WithLane(ctx, store.LaneStats), query, params)
}

// Response is the Stats API v2 answer.
type Response struct {
	Results []Result  `json:"results"`
	Meta    Meta      `json:"meta"`
	Query   QueryEcho `json:"query"`
}

// Result is one row: dimension values, then metric values in the order
// requested. A metric value is uint64, float64, int64, *Money or nil.
type Result struct {
	Dimensions []any       `json:"dimensions"`
	Metrics    []any       `json:"metrics"`
	Comparison *Comparison `json:"comparison,omitempty"`
	raw        []string    // dimension values as SQL returned them
}

// Comparison holds a row's values over the comparison period and the change.
type Comparison struct {
	Dimensions []any `json:"dimensions"`
	Metrics    []any `json:"metrics"`
	Change     []any `json:"change"`
}

// Meta carries what Include asked for and warnings.
type Meta struct {
	TimeLabels     []string           `json:"time_labels,omitempty"`
	TotalRows      *uint64            `json:"total_rows,omitempty"`
	MetricWarnings map[string]Warning `json:"metric_warnings,omitempty"`
	// ApproximateVisitors is set when visitors were counted with uniq
	// because the range holds more events than Engine.ExactBelow.
	ApproximateVisitors bool `json:"approximate_visitors,omitempty"`
	// SamplePercent is set when the range was read through a sample of
	// its visitors (see Engine.SampleAbove); counts are scaled estimates.
	SamplePercent float64 `json:"sample_percent,omitempty"`
	// With include.imports: whether imported data is in the numbers, and
	// if not, why (Plausible's reasons) and, where the query's dimensions,
	// filters or metrics are at fault, a warning naming them.
	ImportsIncluded   *bool  `json:"imports_included,omitempty"`
	ImportsSkipReason string `json:"imports_skip_reason,omitempty"`
	ImportsWarning    string `json:"imports_warning,omitempty"`
	// ImportsEnd is the last day of imported data in the numbers (Sillage's
	// own: the dashboard marks it on the graph).
	ImportsEnd string `json:"imports_end,omitempty"`
}

// Warning explains a null metric.
type Warning struct {
	Code    string `json:"code"`
	Warning string `json:"warning"`
}

// QueryEcho is the query as it was run: relative ranges resolved to the
// site's time zone, "time" resolved to a bucket.
type QueryEcho struct {
	SiteID     string     `json:"site_id"`
	Metrics    []string   `json:"metrics"`
	DateRange  [2]string  `json:"date_range"`
	Filters    []Filter   `json:"filters"`
	Dimensions []string   `json:"dimensions"`
	OrderBy    []OrderBy  `json:"order_by"`
	Include    Include    `json:"include"`
	Pagination Pagination `json:"pagination"`
}

// Run answers q for a site. goals are the site's configured goals; a goal
// filter or dimension refers to them by name.
func (e *Engine) Run(ctx context.Context, site sillage.Site, goals []Goal, q *Query) (*Response, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	if err := q.checkExpanded(); err != nil {
		return nil, err
	}
	loc, today, sp, err := e.resolve(ctx, site, q)
	if err != nil {
		return nil, err
	}
	p, warnings, err := e.newPlan(ctx, site, loc, goals, q, sp)
	if err != nil {
		return nil, err
	}
	var imp importsMeta
	if q.Include.Imports {
		if imp, err = e.planImports(ctx, p); err != nil {
			return nil, err
		}
	}
	for _, d := range p.dims {
		if n := bucketCount(d, sp); n > maxTimeBuckets {
			return nil, qerr("dimensions", "%s over this date range makes %d buckets, more than %d: use a coarser time dimension", d, n, maxTimeBuckets)
		}
	}
	// A time series compared with another period shows every bucket,
	// empty ones too (see fillTimeseries): it is fetched whole, filled,
	// then paged here, so a page never turns another page's rows into zeros.
	filled := q.Include.Comparisons != nil && len(p.dims) == 1 && isTimeDim(p.dims[0])
	offset, limit := p.offset, p.limit
	if filled {
		p.offset, p.limit = 0, maxTimeBuckets
	}
	rows, total, err := e.execute(ctx, p, q.Metrics, warnings)
	if err != nil {
		return nil, err
	}
	resp := &Response{Results: rows}
	if q.Include.Imports {
		resp.Meta.ImportsIncluded = &imp.included
		resp.Meta.ImportsSkipReason, resp.Meta.ImportsWarning, resp.Meta.ImportsEnd = imp.reason, imp.warning, imp.end
	}
	resp.Meta.ApproximateVisitors = p.uniq != "uniqExact"
	resp.Meta.SamplePercent = p.samplePercent()
	if q.Include.TotalRows {
		resp.Meta.TotalRows = &total
	}
	timeDim := ""
	for _, d := range p.dims {
		if isTimeDim(d) {
			timeDim = d
		}
	}
	if q.Include.TimeLabels {
		resp.Meta.TimeLabels = timeLabels(timeDim, sp, loc)
	}
	if c := q.Include.Comparisons; c != nil {
		if err := e.compare(ctx, p, q, c, today, timeDim, resp, warnings); err != nil {
			return nil, err
		}
	}
	if filled {
		total = uint64(len(resp.Results))
		resp.Results = resp.Results[min(offset, len(resp.Results)):min(offset+limit, len(resp.Results))]
		p.offset, p.limit = offset, limit
	}
	if len(warnings) > 0 {
		resp.Meta.MetricWarnings = warnings
	}
	resp.Query = QueryEcho{
		SiteID: q.SiteID, Metrics: q.Metrics, Filters: q.Filters, Dimensions: p.dims, OrderBy: p.order,
		Include: q.Include, Pagination: q.Pagination,
		DateRange: [2]string{sp.from.In(loc).Format(time.RFC3339), sp.to.Add(-time.Second).In(loc).Format(time.RFC3339)},
	}
	if resp.Query.Dimensions == nil {
		resp.Query.Dimensions = []string{}
	}
	if resp.Query.Filters == nil {
		resp.Query.Filters = []Filter{}
	}
	if resp.Results == nil {
		resp.Results = []Result{}
	}
	return resp, nil
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

// execute runs a plan and turns its rows into results.
func (e *Engine) execute(ctx context.Context, p *plan, metrics []string, warnings map[string]Warning) ([]Result, uint64, error) {
	b := newBuilder(p)
	sql, cols := b.statement(e.limits())
	rows, err := e.store().Query(ctx, sql, b.params)
	if err != nil {
		return nil, 0, engineErr(err)
	}
	defer rows.Close()
	var (
		out       []Result
		totalRows uint64
		revTotals []map[string]string
		revCounts []map[string]string
	)
	dest := make([]any, len(cols))
	for rows.Next() {
		r := Result{raw: make([]string, len(p.dims)), Metrics: make([]any, len(metrics))}
		var revTotal, revN map[string]string
		vals := map[string]any{}
		for i, c := range cols {
			switch {
			case c.dim:
				dest[i] = &r.raw[i]
			case c.name == "rev_total":
				dest[i] = &revTotal
			case c.name == "rev_n":
				dest[i] = &revN
			case c.name == "total_rows":
				dest[i] = &totalRows
			default:
				v := newMetricValue(c.metric)
				vals[c.metric] = v
				dest[i] = v
			}
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, 0, fmt.Errorf("stats: scan result: %w", err)
		}
		for i, m := range metrics {
			r.Metrics[i] = p.scale(m, metricValue(vals[m]))
			if f, ok := r.Metrics[i].(float64); ok && m == MExitRate && f < 0 {
				r.Metrics[i] = nil // no pageview of the page in the range
			}
		}
		r.Dimensions = make([]any, len(p.dims))
		for i, d := range p.dims {
			r.Dimensions[i] = p.label(d, r.raw[i])
		}
		out = append(out, r)
		revTotals = append(revTotals, revTotal)
		revCounts = append(revCounts, revN)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, engineErr(err)
	}
	if slices.Contains(metrics, MTotalRevenue) || slices.Contains(metrics, MAverageRevenue) {
		p.fillRevenue(out, metrics, revTotals, revCounts, warnings)
	}
	return out, totalRows, nil
}

// engineErr turns the engine's refusal of a regular expression (RE2 is
// stricter than Go's parser in a few corners) into a QueryError.
func engineErr(err error) error {
	if msg := err.Error(); strings.Contains(msg, "CANNOT_COMPILE_REGEXP") {
		return &QueryError{Field: "filters", Message: "filters: invalid regular expression: " + msg}
	}
	return fmt.Errorf("stats: query: %w", err)
}

func newMetricValue(m string) any {
	switch m {
	case MViewsPerVisit, MPercentage, MConversionRate, MGroupConversionRate, MExitRate:
		return new(float64)
	case MScrollDepth, MTimeOnPage:
		return new(int64)
	default:
		return new(uint64)
	}
}

func metricValue(v any) any {
	switch x := v.(type) {
	case *float64:
		return *x
	case *uint64:
		return *x
	case *int64:
		if *x < 0 {
			return nil // no engagement data
		}
		return *x
	}
	return nil
}

// label turns a dimension's SQL value into the value results show.
func (p *plan) label(dim, raw string) any {
	switch dim {
	case "event:goal":
		if i, err := strconv.Atoi(raw); err == nil && i >= 1 && i <= len(p.goals) {
			return p.goals[i-1].Name()
		}
	case "visit:country_name":
		if name, ok := countryNames[raw]; ok {
			return name
		}
	case "visit:region_name":
		// ISO 3166-2 names (regions.go); a code the table lacks stays a code.
		if name, ok := regionNames[raw]; ok {
			return name
		}
	case "visit:city":
		n, _ := strconv.ParseUint(raw, 10, 32)
		return n
	}
	return raw
}

// Money is an amount in a currency, in thousandths (as the events store
// it, and as Plausible's Decimal64(3)). JSON as Plausible's:
// {"short": "€1.2K", "long": "€1,234.50", "value": 1234.5, "currency": "EUR"}.
type Money struct {
	Milli    int64
	Currency string
}

func (m *Money) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Short    string      `json:"short"`
		Long     string      `json:"long"`
		Value    json.Number `json:"value"`
		Currency string      `json:"currency"`
	}{m.Short(), m.Long(), json.Number(m.value()), m.Currency})
}

func (m *Money) float() float64 { return float64(m.Milli) / 1000 }

// String is the amount with two decimals and the currency's code.
func (m *Money) String() string { return m.amount() + " " + m.Currency }

// amount is the value with two decimals, rounded half to even.
func (m *Money) amount() string { return fixed(m.Milli, 2, "") }

// value is the exact amount, up to three decimals, as a JSON number.
func (m *Money) value() string {
	s := fixed(m.Milli, 3, "")
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// Long is Plausible's long display string: the currency's English symbol
// and its decimals, thousands grouped ("€1,234.50", "¥1,235").
func (m *Money) Long() string {
	sym, digits := currencySymbol(m.Currency)
	sign, v := "", m.Milli
	if v < 0 {
		sign, v = "-", -v
	}
	return sign + sym + fixed(v, digits, ",")
}

// Short is Plausible's short display string: one decimal, and K, M, B or
// T past a thousand ("€1.2K", "€56.0"), rounded half to even.
func (m *Money) Short() string {
	sym, _ := currencySymbol(m.Currency)
	sign, v := "", m.Milli
	if v < 0 {
		sign, v = "-", -v
	}
	den, suffix := int64(100), "" // thousandths → tenths
	for _, u := range []string{"K", "M", "B", "T"} {
		if v < den*10_000 { // below a thousand of the current unit
			break
		}
		den, suffix = den*1000, u
	}
	q := divHalfEven(v, den)
	return sign + sym + strconv.FormatInt(q/10, 10) + "." + strconv.FormatInt(q%10, 10) + suffix
}

// fixed writes a non-negative or negative amount in thousandths with
// digits decimals (0–3), rounded half to even, its whole part grouped by
// threes with sep.
func fixed(milli int64, digits int, sep string) string {
	sign := ""
	if milli < 0 {
		sign, milli = "-", -milli
	}
	pow := int64(1)
	for range digits {
		pow *= 10
	}
	q := divHalfEven(milli, 1000/pow)
	whole := strconv.FormatInt(q/pow, 10)
	if sep != "" {
		for i := len(whole) - 3; i > 0; i -= 3 {
			whole = whole[:i] + sep + whole[i:]
		}
	}
	if digits == 0 {
		return sign + whole
	}
	frac := strconv.FormatInt(q%pow+pow, 10)[1:]
	return sign + whole + "." + frac
}

// divHalfEven divides a non-negative num by den > 0, rounding half to even.
func divHalfEven(num, den int64) int64 {
	q, r := num/den, num%den
	if r*2 > den || r*2 == den && q%2 == 1 {
		q++
	}
	return q
}

// currencySymbol is a currency's symbol in English (CLDR), as Plausible's
// display strings show it, and its decimals; a code without a symbol of
// its own is written out, followed by a no-break space.
func currencySymbol(code string) (string, int) {
	digits := 2
	switch code {
	case "JPY", "KRW", "VND", "CLP", "ISK", "UGX", "PYG", "XAF", "XOF":
		digits = 0
	}
	if s, ok := currencySymbols[code]; ok {
		return s, digits
	}
	return code + "\u00a0", digits
}

var currencySymbols = map[string]string{
	"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$", "NZD": "NZ$", "HKD": "HK$",
	"MXN": "MX$", "BRL": "R$", "CNY": "CN¥", "INR": "₹", "KRW": "₩", "ILS": "₪", "TWD": "NT$", "VND": "₫",
	"XAF": "FCFA", "XOF": "F\u202fCFA", "PHP": "₱",
}

// divRound divides, rounding half away from zero.
func divRound(num, den int64) int64 {
	if den == 0 {
		return 0
	}
	if (num < 0) != (den < 0) {
		return -((abs(num)*2 + abs(den)) / (abs(den) * 2))
	}
	return (abs(num)*2 + abs(den)) / (abs(den) * 2)
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// fillRevenue picks each row's currency and sets the revenue metrics.
// Amounts are never converted: a row gets the currency of its goal, or of
// the filtered goals, or the only currency the events carry; otherwise
// revenue is null with a warning, as Plausible does for mixed currencies.
func (p *plan) fillRevenue(rows []Result, metrics []string, totals, counts []map[string]string, warnings map[string]Warning) {
	goalDim := slices.Index(p.dims, "event:goal")
	fixed, warn := "", ""
	// As Plausible: the currencies are those of the revenue goals matching
	// the top-level goal filters (all goals without one), never the
	// events' own.
	var set []string
	for _, i := range p.dimGoals {
		if c := p.goals[i-1].Currency; c != "" && !slices.Contains(set, c) {
			set = append(set, c)
		}
	}
	switch {
	case len(set) == 0:
		warn = "no_revenue_goals_matching"
	case goalDim >= 0: // each row its goal's currency
	case len(set) == 1:
		fixed = set[0]
	default:
		warn = "no_single_revenue_currency"
	}
	for i := range rows {
		cur := fixed
		if goalDim >= 0 {
			if g, err := strconv.Atoi(rows[i].raw[goalDim]); err == nil && g >= 1 && g <= len(p.goals) {
				cur = p.goals[g-1].Currency
			}
		}
		var total, n int64
		if cur != "" {
			total, _ = strconv.ParseInt(totals[i][cur], 10, 64)
			n, _ = strconv.ParseInt(counts[i][cur], 10, 64)
		}
		for j, m := range metrics {
			switch {
			case cur == "" && (m == MTotalRevenue || m == MAverageRevenue):
				rows[i].Metrics[j] = nil
			case m == MTotalRevenue:
				rows[i].Metrics[j] = &Money{Milli: total, Currency: cur}
			case m == MAverageRevenue:
				rows[i].Metrics[j] = &Money{Milli: divRound(total, n), Currency: cur}
			}
		}
	}
	if warn != "" {
		text := map[string]string{
			"no_single_revenue_currency": "Revenue metrics are null as the selected goals have several currencies.",
			"no_revenue_goals_matching":  "Revenue metrics are null as no revenue goal matches the filters.",
		}[warn]
		for _, m := range metrics {
			if m == MTotalRevenue || m == MAverageRevenue {
				warnings[m] = Warning{Code: warn, Warning: text}
			}
		}
	}
}

// compare runs the query over the comparison period and attaches to each
// row its counterpart and the change.
func (e *Engine) compare(ctx context.Context, p *plan, q *Query, c *Comparisons, today time.Time, timeDim string, resp *Response, warnings map[string]Warning) error {
	dateBased := q.DateRange.Period != "" || len(q.DateRange.From) == len(dateLayout)
	cs, err := comparisonSpan(c, p.span, today, p.loc, dateBased)
	if err != nil {
		return err
	}
	cp := *p
	cp.span = cs
	cp.offset, cp.limit, cp.totalRows = 0, 100_000, false
	cp.restrict = map[int][]string{}
	timeIdx := slices.IndexFunc(p.dims, isTimeDim)
	for i := range p.dims {
		if i == timeIdx {
			continue
		}
		vals := []string{}
		for _, r := range resp.Results {
			if !slices.Contains(vals, r.raw[i]) {
				vals = append(vals, r.raw[i])
			}
		}
		cp.restrict[i] = vals
	}
	if err := e.counting(ctx, &cp); err != nil {
		return err
	}
	crows, _, err := e.execute(ctx, &cp, q.Metrics, map[string]Warning{})
	if err != nil {
		return err
	}
	// Time buckets pair up by position: the comparison's first day with
	// the main range's first day.
	var shift map[string]string
	if timeIdx >= 0 {
		main, other := timeLabels(timeDim, p.span, p.loc), timeLabels(timeDim, cs, p.loc)
		shift = map[string]string{}
		for i, l := range main {
			if i < len(other) {
				shift[l] = other[i]
			}
		}
		if len(p.dims) == 1 {
			resp.Results = fillTimeseries(resp.Results, main, q.Metrics, p)
		}
	}
	byKey := map[string]Result{}
	for _, r := range crows {
		byKey[strings.Join(r.raw, "\x00")] = r
	}
	for i := range resp.Results {
		r := &resp.Results[i]
		key := slices.Clone(r.raw)
		dims := slices.Clone(r.Dimensions)
		if timeIdx >= 0 {
			key[timeIdx] = shift[r.raw[timeIdx]]
			dims[timeIdx] = key[timeIdx]
		}
		cmp := &Comparison{Dimensions: dims, Change: make([]any, len(q.Metrics))}
		if cr, ok := byKey[strings.Join(key, "\x00")]; ok {
			cmp.Metrics = cr.Metrics
		} else {
			cmp.Metrics = emptyMetrics(q.Metrics)
		}
		for j, m := range q.Metrics {
			cmp.Change[j] = change(m, cmp.Metrics[j], r.Metrics[j])
		}
		r.Comparison = cmp
	}
	return nil
}

// fillTimeseries adds zero rows for empty buckets, so that a comparison
// can be shown for every bucket (as Plausible does).
func fillTimeseries(rows []Result, labels, metrics []string, p *plan) []Result {
	have := map[string]bool{}
	for _, r := range rows {
		have[r.raw[0]] = true
	}
	for _, l := range labels {
		if !have[l] {
			rows = append(rows, Result{raw: []string{l}, Dimensions: []any{l}, Metrics: emptyMetrics(metrics)})
		}
	}
	if p.order[0].Key == p.dims[0] {
		desc := p.order[0].Direction == "desc"
		slices.SortStableFunc(rows, func(a, b Result) int {
			if desc {
				return strings.Compare(b.raw[0], a.raw[0])
			}
			return strings.Compare(a.raw[0], b.raw[0])
		})
	}
	return rows
}

func emptyMetrics(metrics []string) []any {
	out := make([]any, len(metrics))
	for i, m := range metrics {
		out[i] = metricValue(newMetricValue(m))
		switch m {
		case MScrollDepth, MTimeOnPage, MTotalRevenue, MAverageRevenue, MExitRate:
			out[i] = nil
		}
	}
	return out
}

// change is how a metric moved: points for rates, percent otherwise.
func change(m string, old, cur any) any {
	o, ok1 := number(old)
	n, ok2 := number(cur)
	if !ok1 || !ok2 {
		return nil
	}
	switch m {
	case MBounceRate:
		if o == 0 {
			return nil
		}
		return n - o
	case MConversionRate, MGroupConversionRate:
		return math.Round((n-o)*100) / 100
	case MExitRate: // points, as Plausible
		return math.Round((n-o)*10) / 10
	}
	switch {
	case o == 0 && n > 0:
		return float64(100)
	case o == 0:
		return float64(0)
	}
	return math.Round((n - o) / o * 100)
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case uint64:
		return float64(x), true
	case int64:
		return float64(x), true
	case float64:
		return x, true
	case *Money:
		if x == nil {
			return 0, false
		}
		return x.float(), true
	}
	return 0, false
}

package stats

// Stage 6, shape: rows become the Response that marshals as Plausible's:
// dimension labels, metric values (revenue as Money with its display
// strings), comparisons and their change, meta and the query echo.

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

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

// divTrunc divides, dropping what is past the last digit (toward zero), as
// Plausible's Decimal64(3) division does: 201.200 / 3 is 67.066.
func divTrunc(num, den int64) int64 {
	if den == 0 {
		return 0
	}
	return num / den
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
				rows[i].Metrics[j] = &Money{Milli: divTrunc(total, n), Currency: cur}
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

// change is how a metric moved, as Plausible writes it: points for the
// bounce rate and conversion_rate (one decimal), percent otherwise, even
// for group_conversion_rate and percentage.
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
	case MConversionRate:
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

// respond completes a response of p's rows: what Include asked for, the
// warnings, and the query echoed as it was run.
func (p *plan) respond(resp *Response, q *Query, imp importsMeta, total uint64, warnings map[string]Warning) {
	if q.Include.Imports {
		resp.Meta.ImportsIncluded = &imp.included
		resp.Meta.ImportsSkipReason, resp.Meta.ImportsWarning, resp.Meta.ImportsEnd = imp.reason, imp.warning, imp.end
	}
	resp.Meta.ApproximateVisitors = p.uniq != "uniqExact"
	resp.Meta.SamplePercent = p.samplePercent()
	if q.Include.TotalRows {
		resp.Meta.TotalRows = &total
	}
	if q.Include.TimeLabels {
		resp.Meta.TimeLabels = timeLabels(timeDimOf(p.dims), p.span, p.loc)
	}
	if len(warnings) > 0 {
		resp.Meta.MetricWarnings = warnings
	}
	sp, loc := p.span, p.loc
	// The offset is always written out (+00:00, never Z), as Plausible
	// echoes the range of a site in UTC.
	const echoLayout = "2006-01-02T15:04:05-07:00"
	resp.Query = QueryEcho{
		SiteID: q.SiteID, Metrics: q.Metrics, Filters: q.Filters, Dimensions: p.dims, OrderBy: p.order,
		Include: q.Include, Pagination: q.Pagination,
		DateRange: [2]string{sp.from.In(loc).Format(echoLayout), sp.to.Add(-time.Second).In(loc).Format(echoLayout)},
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
}

// attachComparison gives each row its counterpart among the comparison's
// rows crows (over span cs) and the change.
func attachComparison(resp *Response, crows []Result, p *plan, cs span, metrics []string, timeDim string) {
	timeIdx := slices.IndexFunc(p.dims, isTimeDim)
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
			resp.Results = fillTimeseries(resp.Results, main, metrics, p)
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
		cmp := &Comparison{Dimensions: dims, Change: make([]any, len(metrics))}
		if cr, ok := byKey[strings.Join(key, "\x00")]; ok {
			cmp.Metrics = cr.Metrics
		} else {
			cmp.Metrics = emptyMetrics(metrics)
		}
		for j, m := range metrics {
			cmp.Change[j] = change(m, cmp.Metrics[j], r.Metrics[j])
		}
		r.Comparison = cmp
	}
}

package stats

import (
	"context"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sillage-analytics/sillage"
)

// The Stats API v1 (GET /api/v1/stats/aggregate, timeseries, breakdown),
// which Plausible's WordPress plugin, Grafana panels and many scripts
// still read. A v1 request is translated into a v2 Query and run by the
// same engine: v1 has no numbers of its own, only its parameters, its
// validation rules and the shape of its answers.

// V1 endpoints.
const (
	V1Aggregate  = "aggregate"
	V1Timeseries = "timeseries"
	V1Breakdown  = "breakdown"
)

// V1Query is a v1 request translated: the v2 Query the engine runs and
// what the answer needs to take v1's shape again.
type V1Query struct {
	Endpoint string
	Metrics  []string // as asked: the keys of the answer, in v1 names
	Property string   // breakdown: the v1 property
	Query    *Query
}

// V1Response marshals as {"results": …}: an object of metrics for
// aggregate, a list of rows for timeseries and breakdown.
type V1Response struct {
	Results any `json:"results"`
}

// v1Periods are the periods v1 accepts; "custom" takes its dates from the
// date parameter.
var v1Periods = []string{"day", "7d", "30d", "month", "6mo", "12mo", "custom"}

// Breakdown limits, as v1 defines them.
const (
	V1DefaultLimit = 100
	V1MaxLimit     = 1000
	maxV1Filter    = 64 << 10 // bytes of a filters parameter
)

// ParseV1Params splits a v1 request's query string. Unlike
// url.ParseQuery it keeps ";" in values: v1 joins filters with it
// (filters=visit:browser==Firefox;visit:os==Linux), and clients send it
// unescaped, which url.ParseQuery refuses and URL.Query drops silently,
// filter and all.
func ParseV1Params(raw string) (url.Values, error) {
	vals := url.Values{}
	for pair := range strings.SplitSeq(raw, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return nil, qerr("query", "invalid escape in parameter %s", clipString(k))
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			return nil, qerr("query", "invalid escape in the value of %s: %s", clipString(key), clipString(v))
		}
		vals[key] = append(vals[key], val)
	}
	return vals, nil
}

// ParseV1 reads the query string of a v1 endpoint and translates it. Its
// errors are *QueryError (a 400). site_id is copied as given: the caller
// resolves and authorizes the site.
func ParseV1(endpoint string, params url.Values) (*V1Query, error) {
	switch endpoint {
	case V1Aggregate, V1Timeseries, V1Breakdown:
	default:
		return nil, qerr("endpoint", "unknown v1 endpoint %s", clipString(endpoint))
	}
	get := func(k string) (string, bool) {
		v, ok := params[k]
		if !ok || len(v) == 0 {
			return "", false
		}
		return v[0], true
	}
	q := &Query{}
	q.SiteID, _ = get("site_id")
	if q.SiteID == "" {
		return nil, qerr("site_id", "required: the domain of the site, as configured")
	}

	period, ok := get("period")
	if !ok {
		period = "30d"
	}
	if !slices.Contains(v1Periods, period) {
		return nil, ruleErr("period", "Error parsing `period` parameter: invalid period `"+period+"`. Please find accepted values in our docs: https://plausible.io/docs/stats-api#time-periods")
	}
	date, hasDate := get("date")
	var first, last time.Time // custom range, for the default interval
	if period == "custom" {
		if !hasDate {
			return nil, ruleErr("date", "The `date` parameter is required when using a custom period. See https://plausible.io/docs/stats-api#time-periods")
		}
		from, to, found := strings.Cut(date, ",")
		var err1, err2 error
		first, err1 = parseDate(strings.TrimSpace(from))
		last, err2 = parseDate(strings.TrimSpace(to))
		if !found || err1 != nil || err2 != nil {
			return nil, ruleErr("date", "Invalid format for `date` parameter. When using a custom period, please include two ISO-8601 formatted dates joined by a comma. See https://plausible.io/docs/stats-api#time-periods")
		}
		q.DateRange = DateRange{From: first.Format(dateLayout), To: last.Format(dateLayout)}
	} else {
		// v1's periods end with their anchor day (or month), unlike v2's.
		q.DateRange = DateRange{Period: period, endsOnDate: true}
		if hasDate {
			d, err := parseDate(date)
			if err != nil {
				return nil, ruleErr("date", "Error parsing `date` parameter: "+isoDateFault(date)+". Please specify a valid date in ISO-8601 format.")
			}
			q.Date = d.Format(dateLayout)
		}
	}

	v := &V1Query{Endpoint: endpoint, Query: q}
	var dims []string // the v1 query's dimensions, for its rules (timeseries: none)
	if endpoint == V1Breakdown {
		p, ok := get("property")
		if !ok || p == "" {
			return nil, ruleErr("property", "The `property` parameter is required. Please provide at least one property to show a breakdown by.")
		}
		if !validDimension(p) || isTimeDim(p) {
			return nil, ruleErr("property", "Invalid property '"+p+"'. Please provide a valid property for the breakdown endpoint: https://plausible.io/docs/stats-api#properties")
		}
		v.Property = p
		dims = []string{p}
	}

	if f, ok := get("filters"); ok {
		fs, err := ParseV1Filters(f)
		if err != nil {
			return nil, err
		}
		q.Filters = fs
	}

	ms, ok := get("metrics")
	if !ok {
		ms = MVisitors
	}
	for m := range strings.SplitSeq(ms, ",") {
		v.Metrics = append(v.Metrics, strings.TrimSpace(m))
	}
	if err := v1CheckMetrics(v.Metrics, dims, q.Filters); err != nil {
		return nil, err
	}

	if imp, _ := get("with_imported"); imp == "true" {
		q.Include.Imports = true
	}
	compare, hasCompare := get("compare")
	if hasCompare && compare != "" {
		switch compare {
		case "previous_period", "year_over_year":
		default:
			return nil, qerr("compare", "invalid value %s, expected previous_period or year_over_year", clipString(compare))
		}
	}

	switch endpoint {
	case V1Aggregate:
		q.Metrics = slices.Clone(v.Metrics)
		if compare != "" {
			q.Include.Comparisons = &Comparisons{Mode: compare}
		}
	case V1Timeseries:
		interval, ok := get("interval")
		var dim string
		switch {
		case !ok:
			dim = v1DefaultInterval(period, first, last)
		case interval == "date" || interval == "day":
			dim = "time:day"
		case interval == "month":
			dim = "time:month"
		default:
			return nil, ruleErr("interval", "Error parsing `interval` parameter: invalid interval `"+interval+"`. Valid intervals are `day`, `month`")
		}
		// Within a bucket a conversion rate is the bucket's own.
		for _, m := range v.Metrics {
			q.Metrics = append(q.Metrics, v1BucketMetric(m))
		}
		q.Dimensions = []string{dim}
		q.Include.TimeLabels = true
		// Every bucket is listed: a page of v2 rows would turn the days
		// past it into empty ones.
		q.Pagination.Limit, q.maxLimit = maxTimeBuckets, maxTimeBuckets
	case V1Breakdown:
		limit, page := V1DefaultLimit, 1
		if s, ok := get("limit"); ok {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > V1MaxLimit {
				return nil, ruleErr("limit", "Please provide limit as a number between 1 and "+strconv.Itoa(V1MaxLimit)+".")
			}
			limit = n
		}
		if s, ok := get("page"); ok {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > MaxLimit {
				return nil, qerr("page", "expected a number between 1 and %d (pages start at 1), got %s", MaxLimit, clipString(s))
			}
			page = n
		}
		v1Breakdown(v, limit, page)
		if compare != "" {
			q.Include.Comparisons = &Comparisons{Mode: compare}
		}
	}
	if err := q.Validate(); err != nil {
		return nil, err
	}
	return v, nil
}

// v1DefaultInterval is v1's bucket when none is asked: hours for a day,
// months for 6 and 12 months, days otherwise; a custom range gets months
// once it spans a whole month, hours within a day.
func v1DefaultInterval(period string, first, last time.Time) string {
	switch period {
	case "day":
		return "time:hour"
	case "6mo", "12mo":
		return "time:month"
	case "custom":
		months := (last.Year()-first.Year())*12 + int(last.Month()) - int(first.Month())
		if last.Day() < first.Day() {
			months--
		}
		switch {
		case months > 0:
			return "time:month"
		case last.After(first):
			return "time:day"
		}
		return "time:hour"
	}
	return "time:day"
}

func v1BucketMetric(m string) string {
	if m == MConversionRate {
		return MGroupConversionRate
	}
	return m
}

// v1Breakdown fills the v2 query of a breakdown: its dimensions, metrics,
// order, pagination and the filters that leave out unknown values.
func v1Breakdown(v *V1Query, limit, page int) {
	q, p := v.Query, v.Property
	switch p {
	case "visit:browser_version":
		q.Dimensions = []string{"visit:browser", p}
	case "visit:os_version":
		q.Dimensions = []string{"visit:os", p}
	default:
		q.Dimensions = []string{p}
	}
	orderBy := ""
	for _, m := range v.Metrics {
		// A conversion rate per page or source is that group's own; per
		// goal or property value, of all visitors.
		if m == MConversionRate && p != "event:goal" && !strings.HasPrefix(p, propPrefix) {
			m = MGroupConversionRate
		}
		q.Metrics = append(q.Metrics, m)
		if orderBy == "" && m != MTimeOnPage {
			orderBy = m
		}
	}
	if orderBy == "" {
		// Only time on page: the rows still go by visitors, which the
		// answer leaves out.
		orderBy = MVisitors
		q.Metrics = append(q.Metrics, MVisitors)
	}
	q.OrderBy = []OrderBy{{Key: orderBy, Direction: "desc"}}
	if p != "event:goal" {
		q.OrderBy = append(q.OrderBy, OrderBy{Key: p, Direction: "asc"})
	}
	q.Pagination = Pagination{Limit: limit, Offset: (page - 1) * limit}
	// As v1: a breakdown by these leaves out visits whose value is unknown.
	switch p {
	case "visit:city":
		q.Filters = append(q.Filters, Filter{Op: "is_not", Dimension: p, Values: []string{"0"}})
	case "visit:country", "visit:region", "visit:utm_source", "visit:utm_medium", "visit:utm_campaign",
		"visit:utm_term", "visit:utm_content":
		q.Filters = append(q.Filters, Filter{Op: "is_not", Dimension: p, Values: []string{notSet}})
	case "visit:entry_page", "visit:exit_page":
		q.Filters = append(q.Filters, Filter{Op: "is_not", Dimension: p, Values: []string{""}})
	}
}

// eventOnly are the properties a session metric cannot go with in v1.
func eventOnly(d string) bool {
	return d == "event:name" || d == "event:goal" || strings.HasPrefix(d, propPrefix)
}

// v1CheckMetrics applies v1's rules on metrics, which are stricter than
// v2's: dims are the breakdown's property (none for aggregate and
// timeseries), filters the v1 filters.
func v1CheckMetrics(metrics, dims []string, filters []Filter) error {
	filtered := func(pred func(string) bool) string {
		for _, f := range filters {
			if pred(f.Dimension) {
				return f.Dimension
			}
		}
		return ""
	}
	is := func(d string) func(string) bool { return func(x string) bool { return x == d } }
	for i, m := range metrics {
		if slices.Contains(metrics[:i], m) {
			return ruleErr("metrics", "Metrics cannot be queried multiple times.")
		}
		switch m {
		case MVisitors, MPageviews, MEvents:
		case MTimeOnPage:
			switch {
			case filtered(is("event:goal")) != "" || filtered(is("event:name")) != "":
				return ruleErr("metrics", "Metric `time_on_page` cannot be queried when filtering by `"+filtered(func(d string) bool { return d == "event:goal" || d == "event:name" })+"`")
			case slices.Equal(dims, []string{"event:page"}):
			case len(dims) > 0:
				return ruleErr("metrics", "Metric `time_on_page` is not supported in breakdown queries (except `event:page` breakdown)")
			case filtered(is("event:page")) == "":
				return ruleErr("metrics", "Metric `time_on_page` can only be queried in a page breakdown or with a page filter.")
			}
		case MConversionRate:
			if !slices.Equal(dims, []string{"event:goal"}) && filtered(is("event:goal")) == "" {
				return ruleErr("metrics", "Metric `conversion_rate` can only be queried in a goal breakdown or with a goal filter")
			}
		case MViewsPerVisit, MVisits, MBounceRate, MVisitDuration:
			if m == MViewsPerVisit {
				if filtered(is("event:page")) != "" {
					return ruleErr("metrics", "Metric `views_per_visit` cannot be queried with a filter on `event:page`.")
				}
				if len(dims) > 0 {
					return ruleErr("metrics", "Metric `views_per_visit` is not supported in breakdown queries.")
				}
			}
			if len(dims) == 1 && eventOnly(dims[0]) {
				return ruleErr("metrics", "Session metric `"+m+"` cannot be queried for breakdown by `"+dims[0]+"`.")
			}
			if d := filtered(eventOnly); d != "" {
				return ruleErr("metrics", "Session metric `"+m+"` cannot be queried when using a filter on `"+d+"`.")
			}
		default:
			return ruleErr("metrics", "The metric `"+m+"` is not recognized. Find valid metrics from the documentation: https://plausible.io/docs/stats-api#metrics")
		}
	}
	return nil
}

// ParseV1Filters reads v1's filter expression: conditions joined by ";",
// all of which must hold. A condition is a property, an operator and a
// value:
//
//	==  is             visit:browser==Firefox
//	!=  is not         visit:country!=FR
//	~   contains       event:page~blog          (Sillage; Plausible's v1 has no contains)
//	!~  contains not   event:page!~/admin
//
// A value may list alternatives with "|" (visit:source==Github|Twitter;
// "\|" is a literal "|"). With == and !=, a value with "*" is a wildcard
// ("*" and "**" match any characters, "/" included, the value anchored at
// both ends): event:page==/blog/**. Goals are matched by name, never as
// wildcards (a page goal is named "Visit /blog/**"), and never negated.
// The result is a list of v2 filters, ANDed; its errors are *QueryError.
func ParseV1Filters(expr string) ([]Filter, error) {
	if len(expr) > maxV1Filter {
		return nil, qerr("filters", "longer than %d bytes", maxV1Filter)
	}
	var out []Filter
	for cond := range strings.SplitSeq(expr, ";") {
		cond = strings.TrimSpace(cond)
		if cond == "" {
			continue // a trailing ";"
		}
		f, err := parseV1Condition(cond)
		if err != nil {
			return nil, err
		}
		if len(out) == maxFilterLeaves {
			return nil, qerr("filters", "more than %d filters", maxFilterLeaves)
		}
		out = append(out, f)
	}
	return out, nil
}

// v1Ops are the operators of a condition; at each position the longer
// ones are tried first.
var v1Ops = []struct{ tok, op string }{{"==", "is"}, {"!=", "is_not"}, {"!~", "contains_not"}, {"~", "contains"}}

func parseV1Condition(cond string) (Filter, error) {
	key, op, raw := "", "", ""
	for i := 0; i < len(cond) && op == ""; i++ {
		// Skip to the next byte that may start an operator.
		j := strings.IndexAny(cond[i:], "=!~")
		if j < 0 {
			break
		}
		i += j
		for _, o := range v1Ops {
			if strings.HasPrefix(cond[i:], o.tok) {
				key, op, raw = strings.TrimSpace(cond[:i]), o.op, strings.TrimSpace(cond[i+len(o.tok):])
				break
			}
		}
	}
	if op == "" || key == "" {
		return Filter{}, qerr("filters", "invalid filter %s, expected <property><operator><value> such as visit:browser==Firefox (operators ==, !=, ~, !~)", clipString(cond))
	}
	if !validDimension(key) || isTimeDim(key) {
		return Filter{}, ruleErr("filters", "Invalid filter property '"+key+"'. Please provide a valid filter property: https://plausible.io/docs/stats-api#properties")
	}
	values := v1Members(raw)
	for _, v := range values {
		if v == "" {
			return Filter{}, qerr("filters", "filter %s has an empty value", clipString(cond))
		}
	}
	if key == "event:goal" && (op == "is_not" || op == "contains_not") {
		// As v1 documents: a negated goal would count the visitors with
		// any other event, which is never what was meant.
		return Filter{}, qerr("filters", "event:goal takes == or ~, not != or !~, in %s", clipString(cond))
	}
	f := Filter{Op: op, Dimension: key, Values: values}
	if key == "visit:country" && (op == "is" || op == "is_not") {
		for _, v := range values {
			if len(v) != 2 {
				return Filter{}, qerr("filters", "invalid country code %s in %s, expected ISO 3166-1 alpha-2 such as FR", clipString(v), clipString(cond))
			}
		}
	}
	if key == "event:goal" || op == "contains" || op == "contains_not" {
		return f, nil
	}
	wild := false
	for _, v := range values {
		wild = wild || strings.Contains(v, "*")
	}
	if wild {
		f.Op = map[string]string{"is": "matches", "is_not": "matches_not"}[op]
		for i, v := range values {
			f.Values[i] = v1Wildcard(v)
		}
	}
	return f, nil
}

// v1Members splits a value on the "|" not escaped with a backslash.
func v1Members(raw string) []string {
	var out []string
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		switch {
		case raw[i] == '\\' && i+1 < len(raw) && raw[i+1] == '|':
			b.WriteByte('|')
			i++
		case raw[i] == '|':
			out = append(out, b.String())
			b.Reset()
		default:
			b.WriteByte(raw[i])
		}
	}
	return append(out, b.String())
}

// v1Wildcard turns a wildcard value into an anchored RE2 expression where
// each run of "*" matches any characters.
func v1Wildcard(v string) string {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(v); {
		if v[i] == '*' {
			b.WriteString(".*")
			for i < len(v) && v[i] == '*' {
				i++
			}
			continue
		}
		j := strings.IndexByte(v[i:], '*')
		if j < 0 {
			j = len(v) - i
		}
		b.WriteString(regexp.QuoteMeta(v[i : i+j]))
		i += j
	}
	b.WriteString("$")
	return b.String()
}

// v1Key is a property's key in breakdown rows: its name without the
// prefix ("visit:source" → "source", "event:props:plan" → "plan").
func v1Key(dim string) string {
	if name, ok := strings.CutPrefix(dim, propPrefix); ok {
		return name
	}
	_, name, _ := strings.Cut(dim, ":")
	return name
}

// RunV1 runs a translated v1 request and shapes the answer as v1 does.
func (e *Engine) RunV1(ctx context.Context, site sillage.Site, goals []Goal, v *V1Query) (*V1Response, error) {
	if err := v1UnconfiguredGoal(goals, v.Query.Filters); err != nil {
		return nil, err
	}
	resp, err := e.Run(ctx, site, goals, v.Query)
	if err != nil {
		return nil, err
	}
	switch v.Endpoint {
	case V1Aggregate:
		return &V1Response{Results: v1Aggregate(v, resp)}, nil
	case V1Timeseries:
		return &V1Response{Results: v1Timeseries(v, resp)}, nil
	default:
		return &V1Response{Results: v1BreakdownRows(v, resp)}, nil
	}
}

func v1Aggregate(v *V1Query, resp *Response) map[string]map[string]any {
	row := Result{Metrics: emptyMetrics(v.Query.Metrics)}
	if len(resp.Results) > 0 {
		row = resp.Results[0]
	}
	out := make(map[string]map[string]any, len(v.Metrics))
	for i, m := range v.Metrics {
		entry := map[string]any{"value": row.Metrics[i]}
		if c := row.Comparison; c != nil {
			entry["comparison_value"], entry["change"] = c.Metrics[i], v1Change(m, c, i, row.Metrics[i])
		}
		out[m] = entry
	}
	return out
}

// v1Timeseries lists every bucket of the range, empty ones with zeros, as
// v1 does.
func v1Timeseries(v *V1Query, resp *Response) []map[string]any {
	byLabel := make(map[string][]any, len(resp.Results))
	for _, r := range resp.Results {
		if l, ok := r.Dimensions[0].(string); ok {
			byLabel[l] = r.Metrics
		}
	}
	empty := emptyMetrics(v.Query.Metrics)
	out := make([]map[string]any, 0, len(resp.Meta.TimeLabels))
	for _, l := range resp.Meta.TimeLabels {
		ms, ok := byLabel[l]
		if !ok {
			ms = empty
		}
		row := make(map[string]any, len(v.Metrics)+1)
		row["date"] = l
		for i, m := range v.Metrics {
			row[m] = ms[i]
		}
		out = append(out, row)
	}
	return out
}

// v1Change is the change of v1's metric m, the i-th of a row worth cur:
// v1's conversion_rate may have run as v2's group_conversion_rate, whose
// change is in percent; v1's is in points, as conversion_rate's.
func v1Change(m string, c *Comparison, i int, cur any) any {
	if m == MConversionRate {
		return change(MConversionRate, c.Metrics[i], cur)
	}
	return c.Change[i]
}

func v1BreakdownRows(v *V1Query, resp *Response) []map[string]any {
	out := make([]map[string]any, 0, len(resp.Results))
	for _, r := range resp.Results {
		row := make(map[string]any, len(r.Dimensions)+len(v.Metrics)+1)
		for i, d := range v.Query.Dimensions {
			row[v1Key(d)] = r.Dimensions[i]
		}
		for i, m := range v.Metrics {
			row[m] = r.Metrics[i]
		}
		if c := r.Comparison; c != nil {
			cmp := make(map[string]any, len(v.Metrics)+1)
			change := make(map[string]any, len(v.Metrics))
			for i, m := range v.Metrics {
				cmp[m], change[m] = c.Metrics[i], v1Change(m, c, i, r.Metrics[i])
			}
			cmp["change"] = change
			row["comparison"] = cmp
		}
		out = append(out, row)
	}
	return out
}

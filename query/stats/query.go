package stats

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// QueryError is a request the engine refuses (HTTP 400). Message names the
// field at fault and the value, as Plausible's errors do.
type QueryError struct {
	Field   string // "metrics", "filters[1][2]", "date_range"…
	Message string
}

func (e *QueryError) Error() string { return e.Message }

// PathMessage is the message as Plausible's v2 words it: prefixed with the
// JSON path of the field at fault ("#/filters/0/2/1: …" for Field
// "filters[0][2][1]"), so that clients which parse that path keep working.
func (e *QueryError) PathMessage() string {
	rest, ok := strings.CutPrefix(e.Message, e.Field+": ")
	if e.Field == "" || !ok {
		return e.Message
	}
	return JSONPath(e.Field) + ": " + rest
}

// JSONPath turns a field as QueryError names it ("filters[0][2]",
// "include.comparisons.mode") into Plausible's JSON path
// ("#/filters/0/2", "#/include/comparisons/mode").
func JSONPath(field string) string {
	r := strings.NewReplacer("[", "/", "]", "", ".", "/")
	return "#/" + r.Replace(field)
}

func qerr(field, format string, args ...any) *QueryError {
	return &QueryError{Field: field, Message: field + ": " + fmt.Sprintf(format, args...)}
}

// Query is a Stats API v2 request. Build it with ParseQuery, or by hand and
// then Validate it; Run validates again, so a hand-built Query is held to
// the same rules as a JSON one.
type Query struct {
	SiteID     string     `json:"site_id"`
	Metrics    []string   `json:"metrics"`
	DateRange  DateRange  `json:"date_range"`
	Date       string     `json:"date,omitempty"` // anchor for relative ranges; default today in the site's zone
	Dimensions []string   `json:"dimensions"`
	Filters    []Filter   `json:"filters"`
	OrderBy    []OrderBy  `json:"order_by,omitempty"`
	Include    Include    `json:"include"`
	Pagination Pagination `json:"pagination"`

	maxLimit int // 0 means MaxLimit; Export reads more rows per report
}

// DateRange is a named period ("7d") or a pair of dates or ISO 8601
// datetimes, both ends included.
type DateRange struct {
	Period   string
	From, To string

	// endsOnDate gives "Nd" and "Nmo" the meaning of the Stats API v1:
	// they end with the anchor day (its month), which they include.
	endsOnDate bool
}

// Periods are the named date ranges: besides these, any "Nd" (1 to 5000
// days) and "Nmo" (1 to 100 months), as Plausible accepts.
var Periods = []string{"day", "7d", "28d", "30d", "91d", "month", "6mo", "12mo", "year", "all"}

// Relative ranges' bounds, Plausible's.
const (
	maxRelativeDays   = 5000
	maxRelativeMonths = 100
)

// relativePeriod reads "Nd" or "Nmo": the count and the unit ("d" or
// "mo"); n is 0 when the name is neither.
func relativePeriod(p string) (n int, unit string) {
	digits := strings.TrimRight(p, "dmo")
	unit = p[len(digits):]
	if unit != "d" && unit != "mo" || digits == "" || digits[0] == '0' || len(digits) > 4 ||
		strings.ContainsFunc(digits, func(r rune) bool { return r < '0' || r > '9' }) {
		return 0, ""
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n < 1 || unit == "d" && n > maxRelativeDays || unit == "mo" && n > maxRelativeMonths {
		return 0, ""
	}
	return n, unit
}

func validPeriod(p string) bool {
	if slices.Contains(Periods, p) {
		return true
	}
	n, _ := relativePeriod(p)
	return n > 0
}

func (d DateRange) MarshalJSON() ([]byte, error) {
	if d.Period != "" {
		return json.Marshal(d.Period)
	}
	return json.Marshal([2]string{d.From, d.To})
}

func (d *DateRange) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*d = DateRange{Period: s}
		return nil
	}
	var pair []string
	if err := json.Unmarshal(b, &pair); err != nil || len(pair) != 2 {
		return errors.New("expected a period name or a pair of dates")
	}
	*d = DateRange{From: pair[0], To: pair[1]}
	return nil
}

// OrderBy sorts results by a queried metric or dimension; JSON
// ["visitors", "desc"].
type OrderBy struct {
	Key, Direction string
}

func (o OrderBy) MarshalJSON() ([]byte, error) { return json.Marshal([2]string{o.Key, o.Direction}) }

func (o *OrderBy) UnmarshalJSON(b []byte) error {
	var pair []string
	if err := json.Unmarshal(b, &pair); err != nil || len(pair) != 2 {
		return errors.New(`expected [metric_or_dimension, "asc"|"desc"]`)
	}
	*o = OrderBy{Key: pair[0], Direction: pair[1]}
	return nil
}

// Include asks for extras in the response.
type Include struct {
	TimeLabels  bool         `json:"time_labels,omitempty"`
	TotalRows   bool         `json:"total_rows,omitempty"`
	Imports     bool         `json:"imports,omitempty"` // add imported data where the query allows (imported.go)
	Comparisons *Comparisons `json:"comparisons,omitempty"`
}

// Comparisons adds the same query over another period to every row.
type Comparisons struct {
	Mode           string     `json:"mode"` // previous_period, year_over_year, custom
	DateRange      *DateRange `json:"date_range,omitempty"`
	MatchDayOfWeek bool       `json:"match_day_of_week,omitempty"`
}

// Pagination bounds the rows returned.
type Pagination struct {
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

// Limits of a request.
const (
	DefaultLimit     = 10_000
	MaxLimit         = 10_000
	maxRegexLen      = 1000
	maxFilterDepth   = 8
	maxFilterLeaves  = 100
	maxFilterValues  = 1000
	maxPropNameBytes = 300
	maxBodyBytes     = 4 << 20
)

// Metric names.
const (
	MVisitors            = "visitors"
	MVisits              = "visits"
	MPageviews           = "pageviews"
	MViewsPerVisit       = "views_per_visit"
	MBounceRate          = "bounce_rate"
	MVisitDuration       = "visit_duration"
	MEvents              = "events"
	MPercentage          = "percentage"
	MConversionRate      = "conversion_rate"
	MGroupConversionRate = "group_conversion_rate"
	MTotalRevenue        = "total_revenue"
	MAverageRevenue      = "average_revenue"
	MScrollDepth         = "scroll_depth"
	MTimeOnPage          = "time_on_page"
	MExitRate            = "exit_rate"
)

// Metrics lists every metric, in the order of the documentation.
var Metrics = []string{MVisitors, MVisits, MPageviews, MViewsPerVisit, MBounceRate, MVisitDuration, MEvents,
	MPercentage, MConversionRate, MGroupConversionRate, MTotalRevenue, MAverageRevenue, MScrollDepth, MTimeOnPage, MExitRate}

// sessionMetrics come from the sessions table.
var sessionMetrics = []string{MVisits, MBounceRate, MVisitDuration, MViewsPerVisit}

func isSessionMetric(m string) bool { return slices.Contains(sessionMetrics, m) }

// ParseQuery reads and validates a Stats API v2 request body.
func ParseQuery(body []byte) (*Query, error) {
	if len(body) > maxBodyBytes {
		return nil, qerr("body", "larger than %d bytes", maxBodyBytes)
	}
	var raw struct {
		SiteID     *string         `json:"site_id"`
		Metrics    json.RawMessage `json:"metrics"`
		DateRange  json.RawMessage `json:"date_range"`
		Date       json.RawMessage `json:"date"`
		Dimensions json.RawMessage `json:"dimensions"`
		Filters    json.RawMessage `json:"filters"`
		OrderBy    json.RawMessage `json:"order_by"`
		Include    json.RawMessage `json:"include"`
		Pagination json.RawMessage `json:"pagination"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, qerr("body", "invalid JSON at byte %d: %v", se.Offset, err)
		}
		if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
			name := strings.TrimPrefix(msg, "json: unknown field ")
			if name == `""` {
				return nil, qerr("body", "unknown field %s", name)
			}
			return nil, schemaErr(strings.Trim(name, `"`), noExtra)
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, qerr(te.Field, "expected %s", te.Type)
		}
		if errors.As(err, &te) {
			return nil, qerr("body", "expected a JSON object")
		}
		return nil, qerr("body", "invalid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, qerr("body", "unexpected data after the JSON object")
	}
	q := &Query{}
	if raw.SiteID == nil {
		return nil, qerr("site_id", "required")
	}
	q.SiteID = *raw.SiteID
	if raw.Metrics == nil {
		return nil, ruleErr("metrics", "#: Required property metrics was not present.")
	}
	if err := strictUnmarshal(raw.Metrics, &q.Metrics); err != nil {
		return nil, schemaErr("metrics", typeMismatch("Array", raw.Metrics))
	}
	if raw.DateRange == nil {
		return nil, ruleErr("date_range", "#: Required property date_range was not present.")
	}
	if err := json.Unmarshal(raw.DateRange, &q.DateRange); err != nil {
		return nil, schemaErr("date_range", "Invalid date range "+inspect(raw.DateRange))
	}
	if raw.Date != nil && string(raw.Date) != "null" {
		if err := json.Unmarshal(raw.Date, &q.Date); err != nil {
			return nil, qerr("date", "expected a date string such as 2026-01-31")
		}
	}
	if raw.Dimensions != nil {
		if err := strictUnmarshal(raw.Dimensions, &q.Dimensions); err != nil {
			return nil, schemaErr("dimensions", typeMismatch("Array", raw.Dimensions))
		}
	}
	if raw.Filters != nil {
		var list []json.RawMessage
		if err := json.Unmarshal(raw.Filters, &list); err != nil {
			return nil, schemaErr("filters", typeMismatch("Array", raw.Filters))
		}
		leaves := 0
		for i, f := range list {
			parsed, err := parseFilter(f, fmt.Sprintf("filters[%d]", i), 1, &leaves)
			if err == nil {
				n := 0
				err = validateFilter(&parsed, fmt.Sprintf("filters[%d]", i), 1, &n)
			}
			if err != nil {
				return nil, plausibleFilterErr(i, f, err)
			}
			q.Filters = append(q.Filters, parsed)
		}
	}
	if raw.OrderBy != nil && string(raw.OrderBy) != "null" {
		var list []json.RawMessage
		if err := json.Unmarshal(raw.OrderBy, &list); err != nil {
			return nil, qerr("order_by", "expected a list of [metric_or_dimension, direction] pairs")
		}
		for i, e := range list {
			var o OrderBy
			if err := json.Unmarshal(e, &o); err != nil {
				return nil, qerr(fmt.Sprintf("order_by[%d]", i), "invalid entry %s: %v", clip(e), err)
			}
			q.OrderBy = append(q.OrderBy, o)
		}
	}
	if raw.Include != nil && string(raw.Include) != "null" {
		if err := strictUnmarshal(raw.Include, &q.Include); err != nil {
			return nil, objectErr("include", raw.Include, err)
		}
	}
	if raw.Pagination != nil && string(raw.Pagination) != "null" {
		if err := strictUnmarshal(raw.Pagination, &q.Pagination); err != nil {
			return nil, objectErr("pagination", raw.Pagination, err)
		}
	}
	if err := q.Validate(); err != nil {
		return nil, err
	}
	return q, nil
}

func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// clip shows at most 80 bytes of a raw value in an error message.
func clip(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "…"
	}
	return string(b)
}

func clipString(s string) string {
	if len(s) > 80 {
		return strconv.Quote(s[:80]) + "…"
	}
	return strconv.Quote(s)
}

// Validate applies the Stats API's rules to q and fills defaults.
func (q *Query) Validate() error {
	if len(q.Metrics) == 0 {
		return schemaErr("metrics", minItems(1, 0))
	}
	for i, m := range q.Metrics {
		if !slices.Contains(Metrics, m) {
			return schemaErr(fmt.Sprintf("metrics[%d]", i), "Invalid metric "+inspectString(m))
		}
		if slices.Contains(q.Metrics[:i], m) {
			return schemaErr("metrics", notUnique)
		}
	}
	if err := validateDateRange(q.DateRange, "date_range"); err != nil {
		return err
	}
	if q.Date != "" {
		if d, err := parseDate(q.Date); err != nil || !inDateBounds(d) {
			return qerr("date", "invalid date %s, expected YYYY-MM-DD between %s and %s", clipString(q.Date), minDate, maxDate)
		}
	}
	timeDims := 0
	for i, d := range q.Dimensions {
		if !validDimension(d) {
			return schemaErr(fmt.Sprintf("dimensions[%d]", i), "Invalid dimension "+inspectString(d))
		}
		if slices.Contains(q.Dimensions[:i], d) {
			return schemaErr("dimensions", notUnique)
		}
		if isTimeDim(d) {
			timeDims++
		}
	}
	if timeDims > 1 {
		return qerr("dimensions", "at most one time dimension is allowed")
	}
	leaves := 0
	for i := range q.Filters {
		if err := validateFilter(&q.Filters[i], fmt.Sprintf("filters[%d]", i), 1, &leaves); err != nil {
			return err
		}
	}
	if err := q.validateMetrics(); err != nil {
		return err
	}
	for i, o := range q.OrderBy {
		field := fmt.Sprintf("order_by[%d]", i)
		if o.Direction != "asc" && o.Direction != "desc" {
			return qerr(field, "invalid direction %s, expected \"asc\" or \"desc\"", clipString(o.Direction))
		}
		if !slices.Contains(Metrics, o.Key) && !validDimension(o.Key) {
			return schemaErr(field+"[0]", "Invalid value in order_by "+inspectString(o.Key))
		}
		if !slices.Contains(q.Metrics, o.Key) && !slices.Contains(q.Dimensions, o.Key) {
			return orderByNotQueried(field, o)
		}
	}
	if q.Include.TimeLabels && timeDims == 0 {
		return ruleErr("include.time_labels", "Invalid include.time_labels: requires a time dimension.")
	}
	if c := q.Include.Comparisons; c != nil {
		switch c.Mode {
		case "previous_period", "year_over_year":
			if c.DateRange != nil {
				return schemaErr("include.comparisons", noneMatch)
			}
		case "custom":
			if c.DateRange == nil || c.DateRange.Period != "" {
				return schemaErr("include.comparisons", noneMatch)
			}
			if err := validateDateRange(*c.DateRange, "include.comparisons.date_range"); err != nil {
				return err
			}
		default:
			return schemaErr("include.comparisons", noneMatch)
		}
	}
	if q.Pagination.Limit == 0 {
		q.Pagination.Limit = DefaultLimit
	}
	limit := MaxLimit
	if q.maxLimit > 0 {
		limit = q.maxLimit
	}
	if q.Pagination.Limit < 0 || q.Pagination.Limit > limit {
		return schemaErr("pagination.limit", schemaBound(q.Pagination.Limit, 1, limit))
	}
	if q.Pagination.Offset < 0 {
		return schemaErr("pagination.offset", "Expected the value to be >= 0")
	}
	return nil
}

func (q *Query) validateMetrics() error {
	hasDim := func(d string) bool { return slices.Contains(q.Dimensions, d) }
	var eventDims []string
	for _, d := range q.Dimensions {
		if strings.HasPrefix(d, "event:") {
			eventDims = append(eventDims, d)
		}
	}
	// event:page goes with session metrics (those of the visits that
	// entered on the page), unless another event dimension comes with it.
	if len(eventDims) == 1 && eventDims[0] == "event:page" {
		eventDims = nil
	}
	// has_done and has_not_done pick visitors: what they test is not a
	// filter of the rows counted (as in Plausible).
	goalFiltered := filtersUse(withoutBehavioural(q.Filters), func(d string) bool { return d == "event:goal" })
	pageFiltered := filtersUse(withoutBehavioural(q.Filters), func(d string) bool { return d == "event:page" })
	// Each metric's own rule first, then the metrics against the
	// dimensions, in Plausible's order and words.
	for _, m := range q.Metrics {
		switch m {
		case MConversionRate, MGroupConversionRate:
			if !hasDim("event:goal") && !goalFiltered {
				return ruleErr("metrics", "Metric `"+m+"` can only be queried with event:goal filters or dimensions.")
			}
		case MViewsPerVisit:
			if pageFiltered {
				return ruleErr("metrics", "Metric `views_per_visit` cannot be queried with a filter on `event:page`.")
			}
			// Sillage allows it with visit and time dimensions; not with
			// event ones, as Plausible with any.
			if slices.ContainsFunc(q.Dimensions, func(d string) bool { return strings.HasPrefix(d, "event:") }) {
				return ruleErr("metrics", "Metric `views_per_visit` cannot be queried with `dimensions`.")
			}
		case MExitRate:
			// As Plausible: exits per page need the exit page alone, and
			// its pageviews every pageview of the page.
			if len(q.Dimensions) != 1 || q.Dimensions[0] != "visit:exit_page" {
				return ruleErr("metrics", "Metric `exit_rate` requires a `\"visit:exit_page\"` dimension. No other dimensions are allowed.")
			}
			if filtersUse(withoutBehavioural(q.Filters), func(d string) bool { k := kindOf(d); return k == kindEvent || k == kindGoal || k == kindProp }) {
				return ruleErr("metrics", "Metric `exit_rate` cannot be queried when filtering on event dimensions.")
			}
			var events []string
			for _, o := range q.Metrics {
				if o != MExitRate && !isSessionMetric(o) && o != MVisitors && o != MPercentage {
					events = append(events, o)
				}
			}
			if len(events) > 0 {
				return ruleErr("metrics", "Event metric(s) "+backticked(events)+" cannot be queried along with session dimension(s) `visit:exit_page`")
			}
		case MScrollDepth, MTimeOnPage:
			if hasDim("event:goal") {
				return qerr("metrics", "metric %s cannot be queried with the event:goal dimension", m)
			}
		}
	}
	var session []string
	for _, m := range q.Metrics {
		// Visits go with event dimensions: the sessions that had the event.
		if isSessionMetric(m) && m != MVisits {
			session = append(session, m)
		}
	}
	if len(session) > 0 && len(eventDims) > 0 {
		return ruleErr("metrics", "Session metric(s) "+backticked(session)+" cannot be queried along with event dimension(s) "+backticked(eventDims))
	}
	return nil
}

func validateDateRange(d DateRange, field string) error {
	if d.Period != "" {
		if !validPeriod(d.Period) {
			return invalidPeriod(field, d.Period)
		}
		return nil
	}
	from, to, dates, err := parseRangeBounds(d.From, d.To)
	if err != nil {
		return invalidRangePair(field, d.From, d.To)
	}
	if to.Before(from) || dates && from.After(to) {
		return qerr(field, "invalid date_range [%s, %s]: the end is before the start", d.From, d.To)
	}
	if !inDateBounds(from) || !inDateBounds(to) {
		return qerr(field, "invalid date_range [%s, %s]: dates must lie between %s and %s", clipString(d.From), clipString(d.To), minDate, maxDate)
	}
	return nil
}

// The engine's Date type spans 1970 to 2149; a day of margin either side
// leaves room for time zones and the sessions look-back.
const minDate, maxDate = "1970-01-03", "2148-12-31"

func inDateBounds(t time.Time) bool {
	lo, _ := parseDate(minDate)
	hi, _ := parseDate(maxDate)
	return !t.Before(lo) && t.Before(hi.AddDate(0, 0, 1))
}

// withoutBehavioural drops the has_done and has_not_done subtrees.
func withoutBehavioural(fs []Filter) []Filter {
	var out []Filter
	for _, f := range fs {
		switch {
		case f.Op == "has_done" || f.Op == "has_not_done":
		case len(f.Filters) > 0:
			g := f
			g.Filters = withoutBehavioural(f.Filters)
			out = append(out, g)
		default:
			out = append(out, f)
		}
	}
	return out
}

// filtersUse reports whether any filter, at any depth, is on a dimension
// satisfying pred.
func filtersUse(fs []Filter, pred func(string) bool) bool {
	for _, f := range fs {
		if f.Dimension != "" && pred(f.Dimension) || filtersUse(f.Filters, pred) {
			return true
		}
	}
	return false
}

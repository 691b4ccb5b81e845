package stats

// Stage 1, parse: a request's JSON becomes a Query (ParseQuery), with the
// types of the request and its closed lists of metrics and periods. Every
// refusal is a QueryError naming the field at fault; ParseQuery ends with
// the next stage, Validate (validate.go).

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
)

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
	var raw rawQuery
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return nil, decodeErr(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, qerr("body", "unexpected data after the JSON object")
	}
	return raw.query()
}

// ParseQueryObject is ParseQuery for a request already decoded into the
// fields of a JSON object, as a service holds one it completed (a site_id
// set, defaults added). It answers as ParseQuery answers the object
// encoded with json.Marshal, without encoding it: keys in sorted order,
// matched to fields regardless of case, the first fault reported, values
// compacted with <, > and & escaped (as messages quote them).
func ParseQueryObject(m map[string]json.RawMessage) (*Query, error) {
	var raw rawQuery
	fields := map[string]*json.RawMessage{
		"metrics": &raw.Metrics, "date_range": &raw.DateRange, "date": &raw.Date, "dimensions": &raw.Dimensions,
		"filters": &raw.Filters, "order_by": &raw.OrderBy, "include": &raw.Include, "pagination": &raw.Pagination,
	}
	keys := slices.Sorted(maps.Keys(m))
	vals := make([][]byte, len(keys))
	size := len("{}") + max(len(keys)-1, 0) // braces and commas
	for i, k := range keys {
		var compact, escaped bytes.Buffer
		if err := json.Compact(&compact, m[k]); err != nil {
			return nil, qerr("body", "invalid JSON in %s: %v", clipString(k), err)
		}
		json.HTMLEscape(&escaped, compact.Bytes())
		vals[i] = escaped.Bytes()
		name, _ := json.Marshal(k)
		size += len(name) + len(":") + len(vals[i])
	}
	if size > maxBodyBytes {
		return nil, qerr("body", "larger than %d bytes", maxBodyBytes)
	}
	for i, k := range keys {
		if strings.EqualFold(k, "site_id") {
			if err := json.Unmarshal(vals[i], &raw.SiteID); err != nil {
				var te *json.UnmarshalTypeError
				if errors.As(err, &te) {
					te.Field = "site_id"
				}
				return nil, decodeErr(err)
			}
			continue
		}
		dst := fields[k]
		for f, p := range fields {
			if dst == nil && strings.EqualFold(k, f) {
				dst = p
			}
		}
		if dst == nil {
			return nil, decodeErr(fmt.Errorf("json: unknown field %q", k))
		}
		*dst = vals[i]
	}
	return raw.query()
}

// rawQuery is a request's fields, each still JSON.
type rawQuery struct {
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

// decodeErr turns a failure to decode a request object into a QueryError.
func decodeErr(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return qerr("body", "invalid JSON at byte %d: %v", se.Offset, err)
	}
	if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
		name := strings.TrimPrefix(msg, "json: unknown field ")
		if name == `""` {
			return qerr("body", "unknown field %s", name)
		}
		return schemaErr(strings.Trim(name, `"`), noExtra)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return qerr(te.Field, "expected %s", te.Type)
	}
	if errors.As(err, &te) {
		return qerr("body", "expected a JSON object")
	}
	return qerr("body", "invalid JSON: %v", err)
}

// query reads and validates the fields of a request.
func (raw *rawQuery) query() (*Query, error) {
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

// parseFilter reads one filter of a request; field names its place in the
// request for error messages.
func parseFilter(b json.RawMessage, field string, depth int, leaves *int) (Filter, error) {
	if depth > maxFilterDepth {
		return Filter{}, qerr(field, "filters are nested deeper than %d levels", maxFilterDepth)
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(b, &parts); err != nil || len(parts) < 2 {
		return Filter{}, qerr(field, "invalid filter %s, expected [operator, dimension, values]", clip(b))
	}
	var f Filter
	if err := json.Unmarshal(parts[0], &f.Op); err != nil {
		return Filter{}, qerr(field+"[0]", "invalid operator %s", clip(parts[0]))
	}
	switch {
	case f.Op == "and" || f.Op == "or":
		if len(parts) != 2 {
			return Filter{}, qerr(field, "%q takes one list of filters", f.Op)
		}
		var list []json.RawMessage
		if err := json.Unmarshal(parts[1], &list); err != nil || len(list) == 0 {
			return Filter{}, qerr(field+"[1]", "%q takes a non-empty list of filters", f.Op)
		}
		for i, c := range list {
			child, err := parseFilter(c, fmt.Sprintf("%s[1][%d]", field, i), depth+1, leaves)
			if err != nil {
				return Filter{}, err
			}
			f.Filters = append(f.Filters, child)
		}
		return f, nil
	case f.Op == "not" || f.Op == "has_done" || f.Op == "has_not_done":
		if len(parts) != 2 {
			return Filter{}, qerr(field, "%q takes one filter", f.Op)
		}
		child, err := parseFilter(parts[1], field+"[1]", depth+1, leaves)
		if err != nil {
			return Filter{}, err
		}
		f.Filters = []Filter{child}
		return f, nil
	case isLeafOp(f.Op):
	default:
		return Filter{}, qerr(field+"[0]", "unknown operator %s", clipString(f.Op))
	}
	*leaves++
	if *leaves > maxFilterLeaves {
		return Filter{}, qerr(field, "more than %d filters", maxFilterLeaves)
	}
	if len(parts) != 3 && len(parts) != 4 {
		return Filter{}, qerr(field, "invalid filter %s, expected [operator, dimension, values, modifiers?]", clip(b))
	}
	if err := json.Unmarshal(parts[1], &f.Dimension); err != nil {
		return Filter{}, qerr(field+"[1]", "invalid dimension %s", clip(parts[1]))
	}
	var values []json.RawMessage
	if err := json.Unmarshal(parts[2], &values); err != nil {
		return Filter{}, qerr(field+"[2]", "expected a list of values, got %s", clip(parts[2]))
	}
	for i, v := range values {
		var s string
		if err := json.Unmarshal(v, &s); err == nil {
			f.Values = append(f.Values, s)
			continue
		}
		var n json.Number
		if (f.Dimension == "visit:city" || f.Dimension == SegmentDim) && json.Unmarshal(v, &n) == nil {
			f.Values = append(f.Values, n.String())
			continue
		}
		return Filter{}, qerr(fmt.Sprintf("%s[2][%d]", field, i), "invalid value %s, expected a string", clip(v))
	}
	if len(parts) == 4 {
		var mods map[string]json.RawMessage
		if err := json.Unmarshal(parts[3], &mods); err != nil {
			return Filter{}, qerr(field+"[3]", "expected an object of modifiers, got %s", clip(parts[3]))
		}
		for k, v := range mods {
			if k != "case_sensitive" {
				return Filter{}, qerr(field+"[3]", "unknown modifier %s", clipString(k))
			}
			var cs bool
			if err := json.Unmarshal(v, &cs); err != nil {
				return Filter{}, qerr(field+"[3].case_sensitive", "expected true or false")
			}
			f.IgnoreCase = !cs
		}
	}
	return f, nil
}

package stats

// Stage 2, validate: the rules that refuse a query (Query.Validate), with
// messages that name the field at fault as Plausible's do. They hold for a
// Query built in Go as for a parsed one: Run validates again.

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
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

func validPeriod(p string) bool {
	if slices.Contains(Periods, p) {
		return true
	}
	n, _ := relativePeriod(p)
	return n > 0
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

// validateFilter checks a filter tree built by ParseQuery or by hand;
// leaves counts the leaf filters of the whole request.
func validateFilter(f *Filter, field string, depth int, leaves *int) error {
	return validateNode(f, field, depth, depth == 1, leaves)
}

// validateNode checks one node; top is true at the top level and directly
// under has_done/has_not_done, where goal and hostname filters may appear.
func validateNode(f *Filter, field string, depth int, top bool, leaves *int) error {
	if depth > maxFilterDepth {
		return qerr(field, "filters are nested deeper than %d levels", maxFilterDepth)
	}
	switch f.Op {
	case "and", "or":
		if len(f.Filters) == 0 {
			return qerr(field+"[1]", "%q takes a non-empty list of filters", f.Op)
		}
		for i := range f.Filters {
			if err := validateNode(&f.Filters[i], fmt.Sprintf("%s[1][%d]", field, i), depth+1, false, leaves); err != nil {
				return err
			}
		}
		return nil
	case "not", "has_done", "has_not_done":
		if len(f.Filters) != 1 {
			return qerr(field, "%q takes one filter", f.Op)
		}
		// Nesting is refused first, as Plausible does.
		if f.Op != "not" && hasBehavioural(f.Filters) {
			return ruleErr(field+"[1]", "Invalid filters. Behavioral filters (has_done, has_not_done) cannot be nested.")
		}
		if f.Op != "not" && filtersUse(f.Filters, func(d string) bool { return !strings.HasPrefix(d, "event:") }) {
			return ruleErr(field+"[1]", "Invalid filters. Behavioral filters (has_done, has_not_done) can only be used with event dimension filters.")
		}
		return validateNode(&f.Filters[0], field+"[1]", depth+1, top && f.Op != "not", leaves)
	}
	if !isLeafOp(f.Op) {
		return qerr(field+"[0]", "unknown operator %s", clipString(f.Op))
	}
	*leaves++
	if *leaves > maxFilterLeaves {
		return qerr(field, "more than %d filters", maxFilterLeaves)
	}
	if f.Dimension == SegmentDim {
		return validateSegmentFilter(f, field, depth)
	}
	if !validDimension(f.Dimension) || isTimeDim(f.Dimension) {
		return qerr(field+"[1]", "unknown filter dimension %s", clipString(f.Dimension))
	}
	if (f.Dimension == "event:goal" || f.Dimension == "event:hostname") && !top {
		return ruleErr(field+"[1]", "Invalid filters. Dimension `"+f.Dimension+"` can only be filtered at the top level.")
	}
	if len(f.Values) == 0 {
		return qerr(field+"[2]", "expected a non-empty list of values")
	}
	if len(f.Values) > maxFilterValues {
		return qerr(field+"[2]", "more than %d values", maxFilterValues)
	}
	for i, v := range f.Values {
		vf := fmt.Sprintf("%s[2][%d]", field, i)
		if !utf8.ValidString(v) {
			return qerr(vf, "value is not valid UTF-8")
		}
		switch {
		case baseOp(f.Op) == "matches":
			if len(v) > maxRegexLen {
				return qerr(vf, "regular expression longer than %d bytes", maxRegexLen)
			}
			if _, err := regexp.Compile(v); err != nil {
				return qerr(vf, "invalid regular expression %s: %v", clipString(v), strings.TrimPrefix(err.Error(), "error parsing regexp: "))
			}
		case f.Dimension == "visit:city":
			if _, err := strconv.ParseUint(v, 10, 32); err != nil {
				return qerr(vf, "invalid visit:city %s, expected a GeoNames id", clipString(v))
			}
		case f.Dimension == "visit:country" && baseOp(f.Op) == "is":
			if len(v) != 2 && v != notSet {
				return ruleErr(vf, "Invalid visit:country filter, visit:country needs to be a valid 2-letter country code.")
			}
		}
	}
	return nil
}

package stats

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/store"
)

// SegmentDim is the pseudo-dimension of a saved segment's filter,
// ["is", "segment", [id]] as in Plausible: the caller's service replaces
// it with the segment's own filters (ExpandSegments) before the query
// runs, once it knows who asks and whether they may see the segment.
const SegmentDim = "segment"

// validateSegmentFilter checks ["is", "segment", [ids]]: top level only,
// "is" only, ids as positive integers.
func validateSegmentFilter(f *Filter, field string, depth int) error {
	if depth != 1 {
		return qerr(field+"[1]", "a segment filter can only be used at the top level")
	}
	if f.Op != "is" {
		return qerr(field+"[0]", "a segment filter only takes the operator \"is\"")
	}
	if len(f.Values) == 0 {
		return qerr(field+"[2]", "expected a non-empty list of segment ids")
	}
	if len(f.Values) > maxSegmentsPerFilter {
		return ruleErr(field+"[2]", "Invalid filters. You can only use up to "+strconv.Itoa(maxSegmentsPerFilter)+" segment filters in a query.")
	}
	for i, v := range f.Values {
		if _, err := SegmentID(v); err != nil {
			return qerr(fmt.Sprintf("%s[2][%d]", field, i), "invalid segment id %s, expected a number", clipString(v))
		}
	}
	return nil
}

// maxSegmentsPerFilter bounds ["is", "segment", [ids…]].
const maxSegmentsPerFilter = 10

// SegmentID reads a segment id, a positive integer.
func SegmentID(s string) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 || s[0] == '0' {
		return 0, fmt.Errorf("segment id %q: expected a positive integer", s)
	}
	return n, nil
}

// SegmentIDs lists the segments a query's filters name, in order, each once.
func (q *Query) SegmentIDs() []uint64 {
	var out []uint64
	for _, f := range q.Filters {
		if f.Dimension != SegmentDim {
			continue
		}
		for _, v := range f.Values {
			if id, err := SegmentID(v); err == nil && !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}

// ExpandSegments replaces every segment filter of q with the filters of
// its segments, which lookup returns (a *QueryError for a segment the
// caller may not use), and validates the result. One segment's filters
// join the query's own at the top level, so that its goal and hostname
// filters keep their meaning; several ids are an "or" of their segments.
func (q *Query) ExpandSegments(lookup func(id uint64) ([]Filter, error)) error {
	var out []Filter
	for i, f := range q.Filters {
		if f.Dimension != SegmentDim {
			out = append(out, f)
			continue
		}
		var alts []Filter
		for j, v := range f.Values {
			id, err := SegmentID(v)
			if err != nil {
				return qerr(fmt.Sprintf("filters[%d][2][%d]", i, j), "invalid segment id %s, expected a number", clipString(v))
			}
			fs, err := lookup(id)
			if err != nil {
				return err
			}
			if filtersUse(fs, func(d string) bool { return d == SegmentDim }) {
				return qerr(fmt.Sprintf("filters[%d]", i), "segment %d contains another segment", id)
			}
			alts = append(alts, Filter{Op: "and", Filters: fs})
		}
		if len(alts) == 1 {
			out = append(out, alts[0].Filters...)
		} else {
			out = append(out, Filter{Op: "or", Filters: alts})
		}
	}
	q.Filters = out
	return q.Validate()
}

// checkExpanded refuses a query whose segment filters were not expanded:
// the engine has no segments, only filters.
func (q *Query) checkExpanded() error {
	for i, f := range q.Filters {
		if f.Dimension == SegmentDim {
			return qerr(fmt.Sprintf("filters[%d]", i), "segment filters are not available here")
		}
	}
	return nil
}

// ParseFilters reads and validates a list of filters as the Stats API v2
// reads a query's "filters", for a saved segment: a segment cannot hold
// another segment.
func ParseFilters(raw json.RawMessage) ([]Filter, error) {
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, qerr("filters", "expected a list of filters")
	}
	if len(list) == 0 {
		return nil, qerr("filters", "expected a non-empty list of filters")
	}
	leaves := 0
	out := make([]Filter, 0, len(list))
	for i, b := range list {
		f, err := parseFilter(b, fmt.Sprintf("filters[%d]", i), 1, &leaves)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	leaves = 0
	for i := range out {
		if out[i].Dimension == SegmentDim || filtersUse(out[i].Filters, func(d string) bool { return d == SegmentDim }) {
			return nil, qerr(fmt.Sprintf("filters[%d]", i), "a segment cannot contain another segment")
		}
		if err := validateFilter(&out[i], fmt.Sprintf("filters[%d]", i), 1, &leaves); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SessionsMatching returns a statement that selects the ids of a site's
// sessions with an event (engagement aside) that matches filters, over
// all the stored time, and its parameters: what a segment selects, for
// the raw export. filters are held to the Stats API's rules.
func SessionsMatching(site sillage.Site, goals []Goal, filters []Filter) (string, store.Params, error) {
	q := &Query{SiteID: site.Domain, Metrics: []string{MVisitors}, DateRange: DateRange{From: minDate, To: maxDate}, Filters: filters}
	if err := q.Validate(); err != nil {
		return "", nil, err
	}
	if err := q.checkExpanded(); err != nil {
		return "", nil, err
	}
	from, _ := parseDate(minDate)
	last, _ := parseDate(maxDate)
	sp := span{from: from, to: last.AddDate(0, 0, 1), first: from, last: last}
	b := newBuilder(&plan{siteID: site.ID, tz: "UTC", loc: time.UTC, span: sp, filters: filters, goals: goals, metrics: q.Metrics})
	return "SELECT session_id FROM events WHERE " + eventsRange + " AND " + notEngagement + " AND " + b.where(filters, ctxEvents), b.params, nil
}

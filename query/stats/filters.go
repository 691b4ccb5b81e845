package stats

import (
	"encoding/json"
	"slices"
	"strings"
)

// Filter is one node of a Stats API v2 filter tree:
//
//	[op, dimension, [values], {"case_sensitive": false}]  op: is, is_not, contains, contains_not, matches, matches_not
//	["and"|"or", [filters]]
//	["not", filter]
//	["has_done"|"has_not_done", filter]
type Filter struct {
	Op         string
	Dimension  string   // leaf filters
	Values     []string // leaf filters; visit:city ids as decimal strings
	IgnoreCase bool     // {"case_sensitive": false}
	Filters    []Filter // children: several for and/or, one for not/has_done/has_not_done
}

var leafOps = []string{"is", "is_not", "contains", "contains_not", "matches", "matches_not"}

func isLeafOp(op string) bool { return slices.Contains(leafOps, op) }

// negated reports whether a leaf operator is the negation of its base.
func negated(op string) bool { return strings.HasSuffix(op, "_not") }

func baseOp(op string) string { return strings.TrimSuffix(op, "_not") }

func (f Filter) MarshalJSON() ([]byte, error) {
	switch {
	case isLeafOp(f.Op):
		var values any = f.Values
		if f.Dimension == "visit:city" || f.Dimension == SegmentDim {
			ids := make([]json.Number, len(f.Values))
			for i, v := range f.Values {
				ids[i] = json.Number(v)
			}
			values = ids
		}
		if f.Values == nil {
			values = []string{}
		}
		if f.IgnoreCase {
			return json.Marshal([]any{f.Op, f.Dimension, values, map[string]bool{"case_sensitive": false}})
		}
		return json.Marshal([]any{f.Op, f.Dimension, values})
	case f.Op == "and" || f.Op == "or":
		children := f.Filters
		if children == nil {
			children = []Filter{}
		}
		return json.Marshal([]any{f.Op, children})
	default:
		var child any
		if len(f.Filters) > 0 {
			child = f.Filters[0]
		}
		return json.Marshal([]any{f.Op, child})
	}
}

// UnmarshalJSON reads a filter as a request's, without the rules that
// Validate applies.
func (f *Filter) UnmarshalJSON(b []byte) error {
	leaves := 0
	g, err := parseFilter(b, "filter", 1, &leaves)
	if err != nil {
		return err
	}
	*f = g
	return nil
}

func hasBehavioural(fs []Filter) bool {
	for _, f := range fs {
		if f.Op == "has_done" || f.Op == "has_not_done" || hasBehavioural(f.Filters) {
			return true
		}
	}
	return false
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

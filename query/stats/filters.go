package stats

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
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

func hasBehavioural(fs []Filter) bool {
	for _, f := range fs {
		if f.Op == "has_done" || f.Op == "has_not_done" || hasBehavioural(f.Filters) {
			return true
		}
	}
	return false
}

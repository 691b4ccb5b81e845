package stats

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Plausible's Stats API v2 words its refusals in two ways, and clients
// match on both: a schema error names the JSON path of the value at fault
// ("#/metrics/1: Invalid metric \"baa\""), a rule about the query as a
// whole is a sentence with no path ("Metric `conversion_rate` can only be
// queried with event:goal filters or dimensions."). These helpers build
// each kind, so every refusal that has a Plausible equivalent says it in
// Plausible's words.

// schemaErr is a refusal of the value at field, as Plausible's schema
// check words it: PathMessage prefixes the JSON path.
func schemaErr(field, text string) *QueryError {
	return &QueryError{Field: field, Message: field + ": " + text}
}

// ruleErr is a refusal of the query as a whole: the message has no path,
// as Plausible's. Field still names the part at fault for Go callers.
func ruleErr(field, text string) *QueryError {
	return &QueryError{Field: field, Message: text}
}

// Texts of Plausible's schema check, for the mistakes Sillage refuses too.
const (
	notUnique = "Expected items to be unique but they were not."
	noneMatch = "Expected exactly one of the schemata to match, but none of them did."
	noExtra   = "Schema does not allow additional properties."
)

func minItems(n, got int) string {
	return "Expected a minimum of " + strconv.Itoa(n) + " items but got " + strconv.Itoa(got) + "."
}

// inspect writes a JSON value as Plausible's messages show a request's
// value: the way Elixir prints the decoded term (["is", "event:page",
// ["/"]], %{"case_sensitive" => false}, nil for null). A value that is
// not JSON is shown as it came.
func inspect(raw []byte) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return string(raw)
	}
	var b strings.Builder
	inspectValue(&b, v)
	return b.String()
}

func inspectValue(b *strings.Builder, v any) {
	switch v := v.(type) {
	case nil:
		b.WriteString("nil")
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case json.Number:
		b.WriteString(v.String())
	case string:
		b.WriteString(inspectString(v))
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			inspectValue(b, e)
		}
		b.WriteByte(']')
	case map[string]any:
		// Elixir prints a small map's keys in sorted order.
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("%{")
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(inspectString(k))
			b.WriteString(" => ")
			inspectValue(b, v[k])
		}
		b.WriteByte('}')
	}
}

// inspectString quotes s as Elixir prints a string: backslash escapes for
// the quote, the backslash and control characters, the rest as is.
func inspectString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 {
				b.WriteString(`\x` + strconv.FormatInt(int64(r)|0x100, 16)[1:])
				continue
			}
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	// Elixir escapes the start of an interpolation, "#{", and no other #.
	return strings.ReplaceAll(b.String(), "#{", `\#{`)
}

// backticked lists names as Plausible's sentences do: `a`, `b`.
func backticked(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "`" + n + "`"
	}
	return strings.Join(q, ", ")
}

// typeMismatch is the schema's refusal of a value of the wrong JSON type.
func typeMismatch(want string, raw []byte) string {
	return "Type mismatch. Expected " + want + " but got " + jsonType(raw) + "."
}

// jsonType names the type of a JSON value as Plausible's schema check does.
func jsonType(raw []byte) string {
	s := bytes.TrimSpace(raw)
	if len(s) == 0 {
		return "Null"
	}
	switch s[0] {
	case '"':
		return "String"
	case '[':
		return "Array"
	case '{':
		return "Object"
	case 't', 'f':
		return "Boolean"
	case 'n':
		return "Null"
	}
	if bytes.ContainsAny(s, ".eE") {
		return "Number"
	}
	return "Integer"
}

// Plausible's schema lets through a count of days or months of any size
// and a datetime without its zone; its parser refuses them after, in
// other words.
var (
	relativeShape = regexp.MustCompile(`^[0-9]+(d|mo)$`)
	zonelessShape = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$`)
)

// invalidPeriod refuses a named date range.
func invalidPeriod(field, p string) *QueryError {
	if relativeShape.MatchString(p) {
		return ruleErr(field, "Invalid date_range "+inspectString(p))
	}
	return schemaErr(field, "Invalid date range "+inspectString(p))
}

// invalidRangePair refuses a pair of bounds that are neither two dates
// nor two datetimes with their zones.
func invalidRangePair(field, from, to string) *QueryError {
	pair := "[" + inspectString(from) + ", " + inspectString(to) + "]"
	if zonelessShape.MatchString(from) && zonelessShape.MatchString(to) {
		return ruleErr(field, "Invalid date_range '"+pair+"'.")
	}
	return schemaErr(field, "Invalid date range "+pair)
}

// filterShapeFaults are the phrases of Sillage's refusals of a filter's
// shape (operator, arity, dimension, values, modifiers): Plausible's
// schema refuses those as a whole, naming the top-level filter.
var filterShapeFaults = []string{
	"invalid filter ", "takes one", "takes a non-empty list", "invalid operator", "unknown operator",
	"invalid dimension", "expected a list of values", "expected an object of modifiers", "unknown modifier",
	"expected true or false", "unknown filter dimension", "expected a non-empty list of values",
}

// plausibleFilterErr words the refusal of the request's i-th filter, raw,
// as Plausible's v2 does. Sillage's own bounds (depth, counts, regular
// expressions) and the rules already in Plausible's words pass through.
func plausibleFilterErr(i int, raw json.RawMessage, err error) error {
	var qe *QueryError
	if !errors.As(err, &qe) {
		return err
	}
	field := fmt.Sprintf("filters[%d]", i)
	if strings.Contains(qe.Message, "expected a string") {
		// Plausible's schema takes numbers as values; its parser then
		// refuses the leaf filter holding one (all but cities').
		leaf := strings.TrimPrefix(qe.Field, field)
		if k := strings.LastIndex(leaf, "[2]["); k >= 0 {
			if v := rawAt(raw, leaf[:k]); v != nil && jsonType(rawAt(raw, leaf)) != "Integer" {
				return schemaErr(field, "Invalid filter "+inspect(raw))
			} else if v != nil {
				return ruleErr(qe.Field, "Invalid filter '"+inspect(v)+"'.")
			}
		}
		return schemaErr(field, "Invalid filter "+inspect(raw))
	}
	for _, p := range filterShapeFaults {
		if strings.Contains(qe.Message, p) {
			return schemaErr(field, "Invalid filter "+inspect(raw))
		}
	}
	return err
}

// rawAt is the JSON value at path ("[1][0]": the first element of the
// second) inside raw, or nil.
func rawAt(raw json.RawMessage, path string) json.RawMessage {
	for path != "" {
		end := strings.IndexByte(path, ']')
		if path[0] != '[' || end < 0 {
			return nil
		}
		var n int
		if _, err := fmt.Sscanf(path[1:end], "%d", &n); err != nil {
			return nil
		}
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) != nil || n < 0 || n >= len(list) {
			return nil
		}
		raw, path = list[n], path[end+1:]
	}
	return raw
}

// objectErr words the refusal of the object at field (include,
// pagination) that did not decode into its Go type, as Plausible's
// schema: the wrong type, an unknown key, or a key of the wrong type.
func objectErr(field string, raw []byte, err error) *QueryError {
	if t := jsonType(raw); t != "Object" {
		return schemaErr(field, typeMismatch("Object", raw))
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return schemaErr(field+"."+strings.Trim(name, `"`), noExtra)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return schemaErr(field+"."+te.Field, "Type mismatch. Expected "+schemaType(te.Type)+" but got "+goValueType(te.Value)+".")
	}
	return schemaErr(field, "Invalid "+field+" "+inspect(raw))
}

// schemaType names a Go type as the schema names the JSON type it takes.
func schemaType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "Boolean"
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Uint64:
		return "Integer"
	case reflect.Float64, reflect.Float32:
		return "Number"
	case reflect.String:
		return "String"
	case reflect.Slice, reflect.Array:
		return "Array"
	}
	return "Object"
}

// goValueType names the JSON value encoding/json found ("string",
// "number 1.5", "bool"…) as the schema does.
func goValueType(v string) string {
	switch {
	case v == "string":
		return "String"
	case v == "bool":
		return "Boolean"
	case v == "array":
		return "Array"
	case v == "object":
		return "Object"
	case strings.HasPrefix(v, "number"):
		if strings.ContainsAny(v, ".eE") {
			return "Number"
		}
		return "Integer"
	}
	return "Null"
}

// orderByNotQueried refuses an order_by entry on a metric or dimension
// the query does not ask for; Plausible shows the parsed entry, a metric
// and the direction as atoms, a dimension as a string.
func orderByNotQueried(field string, o OrderBy) *QueryError {
	key := inspectString(o.Key)
	if slices.Contains(Metrics, o.Key) {
		key = ":" + o.Key
	}
	return ruleErr(field, "Invalid order_by entry '{"+key+", :"+o.Direction+"}'. Entry is not a queried metric or dimension.")
}

// schemaBound is the schema's refusal of n outside lo..hi.
func schemaBound(n, lo, hi int) string {
	if n < lo {
		return "Expected the value to be >= " + strconv.Itoa(lo)
	}
	return "Expected the value to be <= " + strconv.Itoa(hi)
}

// unconfiguredGoal refuses a goal filter naming a goal the site does not
// have, in the words (and with the documentation link) Plausible's
// clients know.
func unconfiguredGoal(field, name string) *QueryError {
	return ruleErr(field, "Invalid filters. The goal `"+name+"` is not configured for this site. "+
		"Find out how to configure goals here: https://plausible.io/docs/stats-api#filtering-by-goals")
}

// isoDateFault names what is wrong with a date that did not parse, as
// Elixir's Date.from_iso8601 does in Plausible's v1 messages.
func isoDateFault(s string) string {
	if regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`).MatchString(s) {
		return "invalid_date"
	}
	return "invalid_format"
}

// v1UnconfiguredGoal refuses a v1 goal filter (is) naming a goal the site
// lacks, in Plausible's v1 words: a page goal by its path.
func v1UnconfiguredGoal(goals []Goal, filters []Filter) error {
	for _, f := range filters {
		if f.Dimension != "event:goal" || baseOp(f.Op) != "is" {
			continue
		}
		for _, v := range f.Values {
			if slices.ContainsFunc(goals, func(g Goal) bool { return g.Name() == v }) {
				continue
			}
			msg := "The goal `" + v + "` is not configured for this site. "
			if path, ok := strings.CutPrefix(v, "Visit "); ok {
				msg = "The pageview goal for the pathname `" + path + "` is not configured for this site. "
			}
			return ruleErr("filters", msg+"Find out how to configure goals here: https://plausible.io/docs/stats-api#filtering-by-goals")
		}
	}
	return nil
}

package store

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// FormatParam renders a parameter value in the text form ClickHouse parses
// for a {name:Type} placeholder. Strings are escaped, not quoted, at the top
// level; inside arrays and maps they are quoted.
func FormatParam(v any) (string, error) {
	return formatValue(v, false)
}

func formatValue(v any, nested bool) (string, error) {
	switch x := v.(type) {
	case string:
		if nested {
			return quote(x), nil
		}
		return escape(x), nil
	case []byte:
		return formatValue(string(x), nested)
	case bool:
		if x {
			return "1", nil
		}
		return "0", nil
	case int:
		return strconv.FormatInt(int64(x), 10), nil
	case int8:
		return strconv.FormatInt(int64(x), 10), nil
	case int16:
		return strconv.FormatInt(int64(x), 10), nil
	case int32:
		return strconv.FormatInt(int64(x), 10), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case uint:
		return strconv.FormatUint(uint64(x), 10), nil
	case uint8:
		return strconv.FormatUint(uint64(x), 10), nil
	case uint16:
		return strconv.FormatUint(uint64(x), 10), nil
	case uint32:
		return strconv.FormatUint(uint64(x), 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case time.Time:
		// Whole seconds parse as DateTime and DateTime64; a fraction only
		// as DateTime64. Placeholders name the time zone. Pass a Date as a
		// "2006-01-02" string.
		layout := "2006-01-02 15:04:05"
		if x.Nanosecond() != 0 {
			layout = "2006-01-02 15:04:05.000000"
		}
		s := x.UTC().Format(layout)
		if nested {
			return "'" + s + "'", nil
		}
		return s, nil
	case []string:
		parts := make([]string, len(x))
		for i, s := range x {
			parts[i] = quote(s)
		}
		return "[" + strings.Join(parts, ",") + "]", nil
	case []uint32:
		parts := make([]string, len(x))
		for i, n := range x {
			parts[i] = strconv.FormatUint(uint64(n), 10)
		}
		return "[" + strings.Join(parts, ",") + "]", nil
	case []uint64:
		parts := make([]string, len(x))
		for i, n := range x {
			parts[i] = strconv.FormatUint(n, 10)
		}
		return "[" + strings.Join(parts, ",") + "]", nil
	case map[string]string:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = quote(k) + ":" + quote(x[k])
		}
		return "{" + strings.Join(parts, ",") + "}", nil
	default:
		return "", fmt.Errorf("unsupported query parameter type %T", v)
	}
}

// FormatParams renders every parameter, sorted by name.
func FormatParams(p Params) (names, values []string, err error) {
	names = make([]string, 0, len(p))
	for k := range p {
		names = append(names, k)
	}
	sort.Strings(names)
	values = make([]string, len(names))
	for i, k := range names {
		if values[i], err = FormatParam(p[k]); err != nil {
			return nil, nil, fmt.Errorf("query parameter %s: %w", k, err)
		}
	}
	return names, values, nil
}

var escaper = strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`, "\x00", `\0`, "\b", `\b`, "\f", `\f`)

func escape(s string) string { return escaper.Replace(s) }

var quoter = strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\t", `\t`, "\n", `\n`, "\r", `\r`, "\x00", `\0`, "\b", `\b`, "\f", `\f`)

func quote(s string) string { return "'" + quoter.Replace(s) + "'" }

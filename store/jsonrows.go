package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// JSONFormat is the output format the embedded engine answers in; JSONRows
// reads it. Names and types come first, so Scan can honour time zones.
const JSONFormat = "JSONCompactEachRowWithNamesAndTypes"

// JSONRows reads a JSONFormat result.
type JSONRows struct {
	columns []string
	types   []string
	lines   [][]byte
	pos     int
	row     []json.RawMessage
	err     error
}

// NewJSONRows parses the header of a JSONFormat result.
func NewJSONRows(data []byte) (*JSONRows, error) {
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	r := &JSONRows{}
	if len(data) == 0 {
		return r, nil
	}
	if len(lines) < 2 {
		return nil, fmt.Errorf("malformed engine result: %d header lines", len(lines))
	}
	if err := json.Unmarshal(lines[0], &r.columns); err != nil {
		return nil, fmt.Errorf("malformed engine result column names: %w", err)
	}
	if err := json.Unmarshal(lines[1], &r.types); err != nil {
		return nil, fmt.Errorf("malformed engine result column types: %w", err)
	}
	r.lines = lines[2:]
	return r, nil
}

func (r *JSONRows) Columns() []string { return r.columns }
func (r *JSONRows) Err() error        { return r.err }
func (r *JSONRows) Close() error      { r.lines = nil; return r.err }

func (r *JSONRows) Next() bool {
	if r.err != nil || r.pos >= len(r.lines) {
		return false
	}
	r.row = r.row[:0]
	if err := json.Unmarshal(r.lines[r.pos], &r.row); err != nil {
		r.err = fmt.Errorf("malformed engine result row %d: %w", r.pos, err)
		return false
	}
	r.pos++
	return true
}

func (r *JSONRows) Scan(dest ...any) error {
	if len(dest) != len(r.row) {
		return fmt.Errorf("scan: %d destinations for %d columns", len(dest), len(r.row))
	}
	for i, d := range dest {
		if err := scanValue(r.row[i], r.types[i], d); err != nil {
			return fmt.Errorf("scan column %s (%s): %w", r.columns[i], r.types[i], err)
		}
	}
	return nil
}

func unquote(raw json.RawMessage) string {
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	}
	return string(raw)
}

func scanValue(raw json.RawMessage, typ string, dest any) error {
	switch d := dest.(type) {
	case *string:
		*d = unquote(raw)
	case *bool:
		s := unquote(raw)
		*d = s == "true" || s == "1"
	case *int:
		n, err := strconv.ParseInt(unquote(raw), 10, 64)
		*d = int(n)
		return err
	case *int8, *int16, *int32, *int64:
		n, err := strconv.ParseInt(unquote(raw), 10, 64)
		if err != nil {
			return err
		}
		reflect.ValueOf(d).Elem().SetInt(n)
	case *uint8, *uint16, *uint32, *uint64, *uint:
		n, err := strconv.ParseUint(unquote(raw), 10, 64)
		if err != nil {
			return err
		}
		reflect.ValueOf(d).Elem().SetUint(n)
	case *float64:
		f, err := parseFloat(unquote(raw))
		*d = f
		return err
	case *float32:
		f, err := parseFloat(unquote(raw))
		*d = float32(f)
		return err
	case *time.Time:
		t, err := parseTime(unquote(raw), typ)
		*d = t
		return err
	default:
		return json.Unmarshal(raw, dest)
	}
	return nil
}

func parseFloat(s string) (float64, error) {
	switch s {
	case "nan", "null":
		return math.NaN(), nil
	case "inf", "+inf":
		return math.Inf(1), nil
	case "-inf":
		return math.Inf(-1), nil
	}
	return strconv.ParseFloat(s, 64)
}

// parseTime reads Date, DateTime and DateTime64 values in the column's time
// zone, as the server engine's driver does.
func parseTime(s, typ string) (time.Time, error) {
	loc := time.UTC
	if i := strings.Index(typ, "'"); i >= 0 {
		if j := strings.LastIndex(typ, "'"); j > i {
			l, err := time.LoadLocation(typ[i+1 : j])
			if err != nil {
				return time.Time{}, err
			}
			loc = l
		}
	}
	layout := "2006-01-02 15:04:05.999999999"
	if len(s) == len("2006-01-02") {
		layout = "2006-01-02"
	}
	return time.ParseInLocation(layout, s, loc)
}

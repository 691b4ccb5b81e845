package imports

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// colType is how a CSV column is checked and written.
type colType uint8

const (
	tString colType = iota
	tUInt64
	tUInt32
	tNullUInt64 // empty means NULL (imported_pages.scroll_depth)
)

type column struct {
	name string
	typ  colType
}

// Table is one imported_* table: its CSV columns in Plausible's order
// (the order its export writes and its CSV-import documentation lists),
// after date.
type Table struct {
	Name    string
	Columns []column
}

func cols(spec string) []column {
	var out []column
	for _, f := range strings.Split(spec, ",") {
		name, typ, _ := strings.Cut(strings.TrimSpace(f), " ")
		c := column{name: name}
		switch typ {
		case "String":
			c.typ = tString
		case "UInt64":
			c.typ = tUInt64
		case "UInt32":
			c.typ = tUInt32
		case "Nullable(UInt64)":
			c.typ = tNullUInt64
		default:
			panic("imports: column type " + typ)
		}
		out = append(out, c)
	}
	return out
}

// Tables are the ten tables of Plausible's CSV format, by name.
var Tables = []Table{
	{"imported_visitors", cols("visitors UInt64, pageviews UInt64, bounces UInt64, visits UInt64, visit_duration UInt64")},
	{"imported_sources", cols("source String, referrer String, utm_source String, utm_medium String, utm_campaign String, utm_content String, utm_term String, pageviews UInt64, visitors UInt64, visits UInt64, visit_duration UInt64, bounces UInt32")},
	{"imported_pages", cols("hostname String, page String, visits UInt64, visitors UInt64, pageviews UInt64, exits UInt64, time_on_page UInt64, scroll_depth Nullable(UInt64), pageleave_visitors UInt64")},
	{"imported_entry_pages", cols("entry_page String, visitors UInt64, entrances UInt64, visit_duration UInt64, bounces UInt32, pageviews UInt64")},
	{"imported_exit_pages", cols("exit_page String, visitors UInt64, visit_duration UInt64, exits UInt64, bounces UInt32, pageviews UInt64")},
	{"imported_custom_events", cols("name String, link_url String, path String, visitors UInt64, events UInt64")},
	{"imported_locations", cols("country String, region String, city UInt64, visitors UInt64, visits UInt64, visit_duration UInt64, bounces UInt32, pageviews UInt64")},
	{"imported_devices", cols("device String, visitors UInt64, visits UInt64, visit_duration UInt64, bounces UInt32, pageviews UInt64")},
	{"imported_browsers", cols("browser String, browser_version String, visitors UInt64, visits UInt64, visit_duration UInt64, bounces UInt32, pageviews UInt64")},
	{"imported_operating_systems", cols("operating_system String, operating_system_version String, visitors UInt64, visits UInt64, visit_duration UInt64, bounces UInt32, pageviews UInt64")},
}

// TableNames lists the tables, in Tables' order.
func TableNames() []string {
	out := make([]string, len(Tables))
	for i, t := range Tables {
		out[i] = t.Name
	}
	return out
}

func lookupTable(name string) (*Table, bool) {
	for i := range Tables {
		if Tables[i].Name == name {
			return &Tables[i], true
		}
	}
	return nil, false
}

// ColumnNames is date and the table's columns, as its CSV header.
func (t *Table) ColumnNames() []string {
	out := []string{"date"}
	for _, c := range t.Columns {
		out = append(out, c.name)
	}
	return out
}

// fileName matches Plausible's names: imported_devices_20230209_20240123.csv,
// devices_20230209_20240123.csv, or without the dates.
var fileName = regexp.MustCompile(`^(?:imported_)?([a-z_]+?)(?:_(\d{8})_(\d{8}))?\.csv$`)

// TableOfFile names the table a CSV file of a Plausible export fills, from
// its base name; ok is false for a file that is none of them.
func TableOfFile(name string) (*Table, bool) {
	m := fileName.FindStringSubmatch(path.Base(name))
	if m == nil {
		return nil, false
	}
	return lookupTable("imported_" + m[1])
}

// InputError is bad input: the file, line and column at fault.
type InputError struct {
	File   string
	Line   int // 1-based; 0 when the file as a whole is at fault
	Column int // 1-based; 0 when the line as a whole is at fault
	Msg    string
}

func (e *InputError) Error() string {
	switch {
	case e.Line == 0:
		return e.File + ": " + e.Msg
	case e.Column == 0:
		return fmt.Sprintf("%s: line %d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: line %d, column %d: %s", e.File, e.Line, e.Column, e.Msg)
}

// MaxRecordBytes bounds one line of a CSV file (a quoted field spans
// lines): a line of Plausible's export is a few hundred bytes, and the CSV
// reader holds a record whole, so a file that never ends its line (a zip
// bomb) must be refused before it fills the memory.
const MaxRecordBytes = 1 << 20

// rowReader reads one CSV file of a Plausible export and writes its rows
// as TabSeparated lines of (site_id, import_id, date, columns...) for the
// engine. Columns are found by header name, in any order; a column the
// header lacks is written as 0 or empty (Plausible's format makes every
// column optional); columns it does not know are skipped.
type rowReader struct {
	file  string
	table *Table
	r     *csv.Reader
	lim   *recordLimit
	pos   []int // for each table column, its index in the record or -1
	date  int
	line  int // line of the last record read
	// prefix is "site\timport\t", written before each row.
	prefix []byte
	// MinDate and MaxDate of the rows read, as YYYY-MM-DD.
	minDate, maxDate string
	pageviews        uint64 // sum of pageviews, for imported_visitors
}

func newRowReader(file string, table *Table, r io.Reader, site uint32, importID uint64) (*rowReader, error) {
	lim := &recordLimit{r: r}
	cr := csv.NewReader(lim)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	rr := &rowReader{file: file, table: table, r: cr, lim: lim, date: -1,
		prefix: []byte(strconv.FormatUint(uint64(site), 10) + "\t" + strconv.FormatUint(importID, 10) + "\t")}
	header, err := rr.read()
	if err == io.EOF {
		return nil, &InputError{File: file, Msg: "empty file: expected a header line"}
	}
	if err != nil {
		return nil, csvError(file, err)
	}
	rr.pos = make([]int, len(table.Columns))
	for i := range rr.pos {
		rr.pos[i] = -1
	}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if h == "date" {
			rr.date = i
			continue
		}
		if j := slices.IndexFunc(table.Columns, func(c column) bool { return c.name == h }); j >= 0 {
			if rr.pos[j] >= 0 {
				return nil, &InputError{File: file, Line: 1, Column: i + 1, Msg: fmt.Sprintf("column %q appears twice", h)}
			}
			rr.pos[j] = i
		}
	}
	if rr.date < 0 {
		return nil, &InputError{File: file, Line: 1, Msg: fmt.Sprintf("no \"date\" column in the header (expected %s)", strings.Join(table.ColumnNames(), ","))}
	}
	return rr, nil
}

// errRecordTooLong is a line longer than MaxRecordBytes.
var errRecordTooLong = fmt.Errorf("a line is longer than %d bytes: not a file of Plausible's export", MaxRecordBytes)

// recordLimit fails a read once more than MaxRecordBytes were read since
// the last record ended. The CSV reader's buffer reads ahead a few KB, so
// the bound holds to within that.
type recordLimit struct {
	r io.Reader
	n int
}

func (l *recordLimit) Read(p []byte) (int, error) {
	left := MaxRecordBytes - l.n
	if left <= 0 {
		return 0, errRecordTooLong
	}
	n, err := l.r.Read(p[:min(len(p), left)])
	l.n += n
	return n, err
}

// read reads the next record, each within the bound.
func (rr *rowReader) read() ([]string, error) {
	rec, err := rr.r.Read()
	rr.lim.n = 0
	return rec, err
}

func csvError(file string, err error) error {
	if errors.Is(err, errRecordTooLong) {
		return &InputError{File: file, Msg: errRecordTooLong.Error()}
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &InputError{File: file, Line: pe.Line, Column: pe.Column, Msg: pe.Err.Error()}
	}
	return fmt.Errorf("%s: %w", file, err)
}

// skip reads n records without writing them: a resumed import skips what
// it already stored.
func (rr *rowReader) skip(n int) error {
	for range n {
		if _, err := rr.read(); err != nil {
			if err == io.EOF {
				return fmt.Errorf("%s: the file ends before row %d, where the import stopped: it changed since", rr.file, n)
			}
			return csvError(rr.file, err)
		}
	}
	return nil
}

// next appends the next row to b; io.EOF at the end.
func (rr *rowReader) next(b []byte) ([]byte, error) {
	rec, err := rr.read()
	if err != nil {
		if err == io.EOF {
			return b, io.EOF
		}
		return b, csvError(rr.file, err)
	}
	line, _ := rr.r.FieldPos(0)
	rr.line = line
	fail := func(col int, format string, args ...any) error {
		return &InputError{File: rr.file, Line: line, Column: col + 1, Msg: fmt.Sprintf(format, args...)}
	}
	if rr.date >= len(rec) {
		return b, &InputError{File: rr.file, Line: line, Msg: fmt.Sprintf("%d fields, the header has more", len(rec))}
	}
	d := strings.TrimSpace(rec[rr.date])
	if !validDate(d) {
		return b, fail(rr.date, "date %q is not a date (YYYY-MM-DD)", clip(d))
	}
	if rr.minDate == "" || d < rr.minDate {
		rr.minDate = d
	}
	if d > rr.maxDate {
		rr.maxDate = d
	}
	b = append(b, rr.prefix...)
	b = append(b, d...)
	for j, c := range rr.table.Columns {
		b = append(b, '\t')
		i := rr.pos[j]
		v := ""
		if i >= 0 {
			if i >= len(rec) {
				return b, &InputError{File: rr.file, Line: line, Msg: fmt.Sprintf("%d fields, the header has more", len(rec))}
			}
			v = rec[i]
		}
		switch c.typ {
		case tString:
			b = appendTSV(b, v)
		case tNullUInt64:
			v = strings.TrimSpace(v)
			if v == "" {
				b = append(b, `\N`...)
				continue
			}
			fallthrough
		default:
			v = strings.TrimSpace(v)
			if v == "" {
				b = append(b, '0')
				continue
			}
			bits := 64
			if c.typ == tUInt32 {
				bits = 32
			}
			n, err := strconv.ParseUint(v, 10, bits)
			if err != nil {
				return b, fail(i, "%s %q is not a whole number from 0 to %d", c.name, clip(v), uint64(1)<<bits-1)
			}
			if c.name == "pageviews" && rr.table.Name == "imported_visitors" {
				rr.pageviews += n
			}
			b = strconv.AppendUint(b, n, 10)
		}
	}
	return append(b, '\n'), nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// validDate accepts YYYY-MM-DD for a day that exists, within the engine's
// Date type (1970 to 2149).
func validDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	num := func(p string) int {
		n := 0
		for i := 0; i < len(p); i++ {
			if p[i] < '0' || p[i] > '9' {
				return -1
			}
			n = n*10 + int(p[i]-'0')
		}
		return n
	}
	y, m, d := num(s[:4]), num(s[5:7]), num(s[8:])
	if y < 1970 || y > 2148 || m < 1 || m > 12 || d < 1 {
		return false
	}
	days := [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m-1]
	if m == 2 && (y%4 == 0 && y%100 != 0 || y%400 == 0) {
		days = 29
	}
	return d <= days
}

// appendTSV escapes a string for TabSeparated.
func appendTSV(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, '\\', '\\')
		case '\t':
			b = append(b, '\\', 't')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case 0:
			b = append(b, '\\', '0')
		default:
			b = append(b, c)
		}
	}
	return b
}

package store

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/sillage-analytics/sillage"
)

// Column is one column of the events table and the Event field that holds
// it. Events is the one description of the event's columns: the server
// engine's batch append, the collector's write-ahead log records and its
// session restore are loops over it, the embedded engine's RowBinary rows
// are written out from it (rowbinary_gen.go, go generate), and a test
// checks it against the migrated table (system.columns), so a new column
// is one line here, one field of sillage.Event, one migration (and a
// record version, see collector/README.md).
type Column struct {
	Name string
	// Type is the column's type as system.columns names it; its Kind
	// follows from it.
	Type string
	// Visit marks an attribute of the visit (a field of sillage.Visit):
	// copied from a session's first event, restored with a live session.
	Visit bool
	// Imported marks a column only imports set (migration 0013): the
	// collector writes its zero value, so its write-ahead log records do
	// not carry it and record version 1 stays as released.
	Imported bool
	// Field returns a pointer to the column's field of e: *string,
	// *uint8, *uint16, *uint32, *uint64, *int64 (Decimal, in thousandths),
	// *bool, *time.Time or *map[string]string, as Kind says. A pointer in
	// an interface does not allocate.
	Field func(e *sillage.Event) any

	// Kind and Size are derived from Type. Size is a FixedString's
	// length in bytes.
	Kind Kind
	Size int

	// offset is where Field points, from the start of the event.
	offset uintptr
}

// The typed accessors below reach a column's field by its offset, which
// described checked against Field and Kind. Field itself is a call through a
// func value, which makes the event escape to the heap: the write-ahead
// log's decoder would allocate every event it reads.

func (c *Column) at(e *sillage.Event) unsafe.Pointer { return unsafe.Add(unsafe.Pointer(e), c.offset) }

// Text is the field of a KindString or KindFixedString column.
func (c *Column) Text(e *sillage.Event) *string { return (*string)(c.at(e)) }

// Uint8 is the field of a KindUInt8 column.
func (c *Column) Uint8(e *sillage.Event) *uint8 { return (*uint8)(c.at(e)) }

// Uint16 is the field of a KindUInt16 column.
func (c *Column) Uint16(e *sillage.Event) *uint16 { return (*uint16)(c.at(e)) }

// Uint32 is the field of a KindUInt32 column.
func (c *Column) Uint32(e *sillage.Event) *uint32 { return (*uint32)(c.at(e)) }

// Uint64 is the field of a KindUInt64 column.
func (c *Column) Uint64(e *sillage.Event) *uint64 { return (*uint64)(c.at(e)) }

// Time is the field of a KindDateTime64 column.
func (c *Column) Time(e *sillage.Event) *time.Time { return (*time.Time)(c.at(e)) }

// Milli is the field of a KindDecimal column, in thousandths.
func (c *Column) Milli(e *sillage.Event) *int64 { return (*int64)(c.at(e)) }

// Bool is the field of a KindBool column.
func (c *Column) Bool(e *sillage.Event) *bool { return (*bool)(c.at(e)) }

// Map is the field of a KindMap column.
func (c *Column) Map(e *sillage.Event) *map[string]string { return (*map[string]string)(c.at(e)) }

// Kind is how a column's value is written, derived from its Type.
type Kind uint8

// Kinds of column.
const (
	KindString      Kind = iota + 1 // String, LowCardinality(String): *string
	KindFixedString                 // FixedString(N), padded with NUL bytes: *string
	KindUInt8                       // *uint8
	KindUInt16                      // *uint16
	KindUInt32                      // *uint32
	KindUInt64                      // *uint64
	KindDateTime64                  // DateTime64(3, 'UTC'): *time.Time
	KindDecimal                     // Decimal(18, 3), in thousandths: *int64
	KindBool                        // *bool
	KindMap                         // Map(LowCardinality(String), String): *map[string]string
)

// Events are the events table's columns, in the order InsertEvents writes
// them (EventColumns).
var Events = described([]Column{
	{Name: "site_id", Type: "UInt32", Field: func(e *sillage.Event) any { return &e.SiteID }},
	{Name: "ts", Type: "DateTime64(3, 'UTC')", Field: func(e *sillage.Event) any { return &e.Timestamp }},
	{Name: "name", Type: "LowCardinality(String)", Field: func(e *sillage.Event) any { return &e.Name }},
	{Name: "visitor_id", Type: "UInt64", Field: func(e *sillage.Event) any { return &e.VisitorID }},
	{Name: "session_id", Type: "UInt64", Field: func(e *sillage.Event) any { return &e.SessionID }},
	{Name: "session_start", Type: "DateTime64(3, 'UTC')", Field: func(e *sillage.Event) any { return &e.SessionStart }},
	{Name: "hostname", Type: "LowCardinality(String)", Field: func(e *sillage.Event) any { return &e.Hostname }},
	{Name: "pathname", Type: "String", Field: func(e *sillage.Event) any { return &e.Pathname }},
	{Name: "referrer", Type: "String", Visit: true, Field: func(e *sillage.Event) any { return &e.Referrer }},
	{Name: "referrer_source", Type: "LowCardinality(String)", Visit: true, Field: func(e *sillage.Event) any { return &e.ReferrerSource }},
	{Name: "channel", Type: "LowCardinality(String)", Visit: true, Field: func(e *sillage.Event) any { return &e.Channel }},
	{Name: "utm_source", Type: "LowCardinality(String)", Visit: true, Field: func(e *sillage.Event) any { return &e.UTMSource }},
	{Name: "utm_medium", Type: "LowCardinality(String)", Visit: true, Field: func(e *sillage.Event) any { return &e.UTMMedium }},
	{Name: "utm_campaign", Type: "LowCardinality(String)", Visit: true, Field: func(e *sillage.Event) any { return &e.UTMCampaign }},
	{Name: "utm_term", Type: "LowCardinality(String)", Visit: true, Field: func(e *sillage.Event) any { return &e.UTMTerm }},
	{Name: "utm_content", Type: "LowCardinality(String)", Visit: true, Field: func(e *sillage.Event) any { return &e.UTMContent }},
	{Name: "click_id_param", Type: "LowCardinality(String)", Visit: true, Field: func(e *sillage.Event) any { return &e.ClickIDParam }},
	{Name: "country_code", Type: "LowCardinality(FixedString(2))", Visit: true, Field: func(e *sillage.Event) any { return &e.CountryCode }},
	{Name: "region", Type: "LowCardinality(String)", Visit: true, Field: func(e *sillage.Event) any { return &e.Region }},
	{Name: "city", Type: "LowCardinality(String)", Visit: true, Field: func(e *sillage.Event) any { return &e.City }},
	{Name: "city_geoname_id", Type: "UInt32", Visit: true, Field: func(e *sillage.Event) any { return &e.CityGeonameID }},
	{Name: "browser", Type: "LowCardinality(String)", Visit: true, Field: func(e *sillage.Event) any { return &e.Browser }},
	{Name: "browser_version", Type: "LowCardinality(String)", Visit: true, Field: func(e *sillage.Event) any { return &e.BrowserVersion }},
	{Name: "os", Type: "LowCardinality(String)", Visit: true, Field: func(e *sillage.Event) any { return &e.OS }},
	{Name: "os_version", Type: "LowCardinality(String)", Visit: true, Field: func(e *sillage.Event) any { return &e.OSVersion }},
	{Name: "device", Type: "LowCardinality(String)", Visit: true, Field: func(e *sillage.Event) any { return &e.Device }},
	{Name: "props", Type: "Map(LowCardinality(String), String)", Field: func(e *sillage.Event) any { return &e.Props }},
	{Name: "revenue_amount", Type: "Decimal(18, 3)", Field: func(e *sillage.Event) any { return &e.RevenueMilli }},
	{Name: "revenue_currency", Type: "LowCardinality(FixedString(3))", Field: func(e *sillage.Event) any { return &e.RevenueCurrency }},
	{Name: "interactive", Type: "Bool", Field: func(e *sillage.Event) any { return &e.Interactive }},
	{Name: "scroll_depth", Type: "UInt8", Field: func(e *sillage.Event) any { return &e.ScrollDepth }},
	{Name: "engagement_ms", Type: "UInt32", Field: func(e *sillage.Event) any { return &e.EngagementMS }},
	{Name: "retention_days", Type: "UInt16", Field: func(e *sillage.Event) any { return &e.RetentionDays }},
	{Name: "import_id", Type: "UInt64", Imported: true, Field: func(e *sillage.Event) any { return &e.ImportID }},
})

// EventColumns are the columns InsertEvents writes, in order.
var EventColumns = func() string {
	names := make([]string, len(Events))
	for i := range Events {
		names[i] = Events[i].Name
	}
	return strings.Join(names, ", ")
}()

// EventColumn returns the events table's column of that name.
func EventColumn(name string) (*Column, bool) {
	for i := range Events {
		if Events[i].Name == name {
			return &Events[i], true
		}
	}
	return nil, false
}

// described derives each column's Kind, Size and offset, and checks that
// its Field is of the Go type its Kind needs. A package variable rather
// than init, so that the variables built from Events see it complete.
func described(cols []Column) []Column {
	var e sillage.Event
	for i := range cols {
		c := &cols[i]
		c.Kind, c.Size = kindOf(c.Type)
		if c.Kind == 0 {
			panic(fmt.Sprintf("store.Events: column %s has type %s, which no kind describes", c.Name, c.Type))
		}
		f := reflect.ValueOf(c.Field(&e))
		if want := fieldType(c.Kind); f.Type().String() != want {
			panic(fmt.Sprintf("store.Events: column %s of type %s needs a %s field, has %s", c.Name, c.Type, want, f.Type()))
		}
		c.offset = f.Pointer() - uintptr(unsafe.Pointer(&e))
		if c.offset+f.Type().Elem().Size() > unsafe.Sizeof(e) {
			panic(fmt.Sprintf("store.Events: column %s: Field points outside the event", c.Name))
		}
	}
	return cols
}

// kindOf reads a column type; 0 when no kind describes it.
func kindOf(typ string) (Kind, int) {
	if inner, ok := strings.CutPrefix(typ, "LowCardinality("); ok {
		typ = strings.TrimSuffix(inner, ")")
	}
	switch typ {
	case "String":
		return KindString, 0
	case "UInt8":
		return KindUInt8, 0
	case "UInt16":
		return KindUInt16, 0
	case "UInt32":
		return KindUInt32, 0
	case "UInt64":
		return KindUInt64, 0
	case "DateTime64(3, 'UTC')":
		return KindDateTime64, 0
	case "Decimal(18, 3)":
		return KindDecimal, 0
	case "Bool":
		return KindBool, 0
	case "Map(LowCardinality(String), String)":
		return KindMap, 0
	}
	if n, ok := strings.CutPrefix(typ, "FixedString("); ok {
		if size, err := strconv.Atoi(strings.TrimSuffix(n, ")")); err == nil && size > 0 {
			return KindFixedString, size
		}
	}
	return 0, 0
}

// fieldType is the Go type of a kind's Field, as %T prints it.
func fieldType(k Kind) string {
	return map[Kind]string{
		KindString: "*string", KindFixedString: "*string", KindUInt8: "*uint8", KindUInt16: "*uint16",
		KindUInt32: "*uint32", KindUInt64: "*uint64", KindDateTime64: "*time.Time",
		KindDecimal: "*int64", KindBool: "*bool", KindMap: "*map[string]string",
	}[k]
}

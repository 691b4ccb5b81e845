package store

import (
	"reflect"
	"testing"
	"unsafe"

	"github.com/sillage-analytics/sillage"
)

// Every field of the event is one column of Events, and Visit marks
// exactly the fields of sillage.Visit: a field added to the event without
// a column would never be stored, nor carried by the write-ahead log.
func TestEventsCoverTheEvent(t *testing.T) {
	var e sillage.Event
	base := uintptr(unsafe.Pointer(&e))
	visitFrom := base + unsafe.Offsetof(e.Visit)
	visitTo := visitFrom + unsafe.Sizeof(e.Visit)
	byOffset := map[uintptr]string{}
	for _, c := range Events {
		p := reflect.ValueOf(c.Field(&e)).Pointer()
		if p < base || p >= base+unsafe.Sizeof(e) {
			t.Fatalf("column %s: Field points outside the event", c.Name)
		}
		if other, dup := byOffset[p]; dup {
			t.Errorf("columns %s and %s are the same field", other, c.Name)
		}
		byOffset[p] = c.Name
		if inVisit := p >= visitFrom && p < visitTo; inVisit != c.Visit {
			t.Errorf("column %s: Visit is %v, its field is in sillage.Visit: %v", c.Name, c.Visit, inVisit)
		}
	}
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				walk(v.Field(i))
				continue
			}
			if _, ok := byOffset[v.Field(i).Addr().Pointer()]; !ok {
				t.Errorf("field %s of the event has no column in store.Events", f.Name)
			}
		}
	}
	walk(reflect.ValueOf(&e).Elem())
}

func TestKindOf(t *testing.T) {
	for typ, want := range map[string]Kind{
		"String": KindString, "LowCardinality(String)": KindString, "LowCardinality(FixedString(2))": KindFixedString,
		"FixedString(3)": KindFixedString, "UInt8": KindUInt8, "UInt16": KindUInt16, "UInt32": KindUInt32,
		"UInt64": KindUInt64, "DateTime64(3, 'UTC')": KindDateTime64, "Decimal(18, 3)": KindDecimal, "Bool": KindBool,
		"Map(LowCardinality(String), String)": KindMap,
		"Int32":                               0, "DateTime": 0, "FixedString(0)": 0, "Nullable(String)": 0,
	} {
		if got, _ := kindOf(typ); got != want {
			t.Errorf("kindOf(%q) = %d, want %d", typ, got, want)
		}
	}
	if _, n := kindOf("LowCardinality(FixedString(2))"); n != 2 {
		t.Errorf("FixedString(2) has size %d", n)
	}
}

// The typed accessors reach the field Field points to.
func TestAccessorsReachField(t *testing.T) {
	var e sillage.Event
	for i := range Events {
		c := &Events[i]
		var got uintptr
		switch c.Kind {
		case KindString, KindFixedString:
			got = uintptr(unsafe.Pointer(c.Text(&e)))
		case KindUInt8:
			got = uintptr(unsafe.Pointer(c.Uint8(&e)))
		case KindUInt16:
			got = uintptr(unsafe.Pointer(c.Uint16(&e)))
		case KindUInt32:
			got = uintptr(unsafe.Pointer(c.Uint32(&e)))
		case KindUInt64:
			got = uintptr(unsafe.Pointer(c.Uint64(&e)))
		case KindDateTime64:
			got = uintptr(unsafe.Pointer(c.Time(&e)))
		case KindDecimal:
			got = uintptr(unsafe.Pointer(c.Milli(&e)))
		case KindBool:
			got = uintptr(unsafe.Pointer(c.Bool(&e)))
		case KindMap:
			got = uintptr(unsafe.Pointer(c.Map(&e)))
		}
		if want := reflect.ValueOf(c.Field(&e)).Pointer(); got != want {
			t.Errorf("column %s: accessor reaches %#x, Field %#x", c.Name, got, want)
		}
	}
}

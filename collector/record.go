package collector

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/store"
)

// A WAL record is one enriched event in a compact binary form: it holds no
// IP address and no user agent, only what the store keeps. Its first byte
// is its version. Events wait in the log across an upgrade, so a release
// reads every version ever written (decodeEvent) and writes only the
// latest (encodeEvent); testdata/wal-v* holds a segment of each, replayed
// by TestGoldenLog. Every version begins, after its version byte, with the
// site id (uvarint) and the time (varint Unix ms): an erasure finds its
// records by them, even those of a newer release after a downgrade.
const recordVersion = 1

var errTruncated = errors.New("truncated event record")

// newerRecordError is a record written by a later release than this one
// (after a downgrade): it is kept in the log, never dropped, until a
// release that reads it delivers it.
type newerRecordError struct{ version byte }

func (e *newerRecordError) Error() string {
	return fmt.Sprintf("event record version %d was written by a newer release; this one reads versions 1 to %d",
		e.version, recordVersion)
}

// recordColumns are the columns of each record version, in the order the
// record holds them, named as in store.Events: each is written as its kind
// says (appendValue). A version's list never changes once released; a
// release that adds a column adds a version with a list of its own, and
// TestRecordColumnsCoverTheTable fails until it does. A column's kind
// decides its bytes in every version: changing the type of a column an
// old version holds means giving that version its own reader, which
// TestGoldenLog demands. Version 1: the event's identity (site, time,
// visitor, session, session start), then every text column, then the
// rest, each group in table order.
var recordColumns = map[byte][]string{
	1: {
		"site_id", "ts", "visitor_id", "session_id", "session_start",
		"name", "hostname", "pathname", "referrer", "referrer_source", "channel",
		"utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "click_id_param",
		"country_code", "region", "city", "browser", "browser_version", "os", "os_version", "device",
		"revenue_currency",
		"city_geoname_id", "props", "revenue_amount", "interactive", "scroll_depth", "engagement_ms", "retention_days",
	},
}

// recordLayout resolves recordColumns against store.Events once; it is
// indexed by version (a slice: decodeEvent looks it up for every record).
var recordLayout = func() [][]*store.Column {
	m := make([][]*store.Column, recordVersion+1)
	for v, names := range recordColumns {
		if v > recordVersion {
			panic(fmt.Sprintf("record version %d has columns, but recordVersion is %d", v, recordVersion))
		}
		for _, n := range names {
			c, ok := store.EventColumn(n)
			if !ok {
				panic(fmt.Sprintf("record version %d names column %s, which store.Events lacks", v, n))
			}
			m[v] = append(m[v], c)
		}
	}
	return m
}()

// currentLayout is the layout encodeEvent writes.
var currentLayout = recordLayout[recordVersion]

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// encodeEvent appends e's record to b.
func encodeEvent(b []byte, e *sillage.Event) []byte {
	b = append(b, recordVersion)
	for _, c := range currentLayout {
		b = appendValue(b, c, e)
	}
	return b
}

// appendValue writes one column of a record: unsigned integers as
// uvarints but for the 64-bit ids (fixed, they are hashes), times as
// varint Unix milliseconds, amounts as varints, texts length-prefixed,
// one byte for a UInt8 or a Bool, props as a count and pairs in key order.
func appendValue(b []byte, c *store.Column, e *sillage.Event) []byte {
	switch c.Kind {
	case store.KindString, store.KindFixedString:
		return appendString(b, *c.Text(e))
	case store.KindUInt8:
		return append(b, *c.Uint8(e))
	case store.KindUInt16:
		return binary.AppendUvarint(b, uint64(*c.Uint16(e)))
	case store.KindUInt32:
		return binary.AppendUvarint(b, uint64(*c.Uint32(e)))
	case store.KindUInt64:
		return binary.LittleEndian.AppendUint64(b, *c.Uint64(e))
	case store.KindDateTime64:
		return binary.AppendVarint(b, c.Time(e).UnixMilli())
	case store.KindDecimal:
		return binary.AppendVarint(b, *c.Milli(e))
	case store.KindBool:
		if *c.Bool(e) {
			return append(b, 1)
		}
		return append(b, 0)
	case store.KindMap:
		return appendProps(b, *c.Map(e))
	}
	panic(fmt.Sprintf("column %s: no record form for its kind", c.Name))
}

// appendProps writes the props in key order, so an event has one
// encoding: the golden test compares bytes.
func appendProps(b []byte, props map[string]string) []byte {
	b = binary.AppendUvarint(b, uint64(len(props)))
	if len(props) == 1 {
		for k, v := range props {
			b = appendString(appendString(b, k), v)
		}
	} else if len(props) > 1 {
		keys := make([]string, 0, 16) // on the stack for most events
		for k := range props {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			b = appendString(appendString(b, k), props[k])
		}
	}
	return b
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errTruncated
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errTruncated
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) fixed64() uint64 {
	if r.err != nil || len(r.b) < 8 {
		r.err = errTruncated
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

func (r *reader) byte() byte {
	if r.err != nil || len(r.b) < 1 {
		r.err = errTruncated
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) string() string {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.err = errTruncated
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// decodeEvent reads a record of any version this release knows. A record
// of a later version returns a *newerRecordError.
func decodeEvent(b []byte) (sillage.Event, error) {
	if len(b) == 0 {
		return sillage.Event{}, errTruncated
	}
	switch v := b[0]; {
	case v > recordVersion:
		return sillage.Event{}, &newerRecordError{version: v}
	case recordLayout[v] != nil: // v <= recordVersion here
		// Every version ever released keeps its column list; see
		// "Record versions" in README.md.
		return decodeColumns(b[1:], recordLayout[v])
	default:
		return sillage.Event{}, fmt.Errorf("unknown event record version %d", v)
	}
}

// decodeColumns reads the body of a record whose columns are cols.
func decodeColumns(b []byte, cols []*store.Column) (sillage.Event, error) {
	r := &reader{b: b}
	var e sillage.Event
	for _, c := range cols {
		switch c.Kind {
		case store.KindString, store.KindFixedString:
			*c.Text(&e) = r.string()
		case store.KindUInt8:
			*c.Uint8(&e) = r.byte()
		case store.KindUInt16:
			*c.Uint16(&e) = uint16(r.uvarint())
		case store.KindUInt32:
			*c.Uint32(&e) = uint32(r.uvarint())
		case store.KindUInt64:
			*c.Uint64(&e) = r.fixed64()
		case store.KindDateTime64:
			*c.Time(&e) = time.UnixMilli(r.varint()).UTC()
		case store.KindDecimal:
			*c.Milli(&e) = r.varint()
		case store.KindBool:
			*c.Bool(&e) = r.byte() == 1
		case store.KindMap:
			n := r.uvarint()
			if n > 1000 {
				return sillage.Event{}, fmt.Errorf("event record claims %d props", n)
			}
			if n > 0 {
				props := make(map[string]string, n)
				for i := uint64(0); i < n && r.err == nil; i++ {
					k := r.string()
					props[k] = r.string()
				}
				*c.Map(&e) = props
			}
		default:
			return sillage.Event{}, fmt.Errorf("column %s: no record form for its kind", c.Name)
		}
	}
	if r.err != nil {
		return sillage.Event{}, r.err
	}
	return e, nil
}

package collector

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sillage-analytics/sillage"
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

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// encodeEvent appends e's record to b.
func encodeEvent(b []byte, e *sillage.Event) []byte {
	b = append(b, recordVersion)
	b = binary.AppendUvarint(b, uint64(e.SiteID))
	b = binary.AppendVarint(b, e.Timestamp.UnixMilli())
	b = binary.LittleEndian.AppendUint64(b, e.VisitorID)
	b = binary.LittleEndian.AppendUint64(b, e.SessionID)
	b = binary.AppendVarint(b, e.SessionStart.UnixMilli())
	for _, s := range [...]string{
		e.Name, e.Hostname, e.Pathname, e.Referrer, e.ReferrerSource, e.Channel,
		e.UTMSource, e.UTMMedium, e.UTMCampaign, e.UTMTerm, e.UTMContent, e.ClickIDParam,
		e.CountryCode, e.Region, e.City, e.Browser, e.BrowserVersion, e.OS, e.OSVersion, e.Device,
		e.RevenueCurrency,
	} {
		b = appendString(b, s)
	}
	b = binary.AppendUvarint(b, uint64(e.CityGeonameID))
	b = binary.AppendUvarint(b, uint64(len(e.Props)))
	if len(e.Props) == 1 {
		for k, v := range e.Props {
			b = appendString(appendString(b, k), v)
		}
	} else if len(e.Props) > 1 {
		// In key order, so an event has one encoding: the golden test
		// compares bytes. A stack buffer holds the keys of most events.
		keys := make([]string, 0, 16)
		for k := range e.Props {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			b = appendString(appendString(b, k), e.Props[k])
		}
	}
	b = binary.AppendVarint(b, e.RevenueMilli)
	var flags byte
	if e.Interactive {
		flags = 1
	}
	b = append(b, flags, e.ScrollDepth)
	b = binary.AppendUvarint(b, uint64(e.EngagementMS))
	return binary.AppendUvarint(b, uint64(e.RetentionDays))
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
	case v == 1:
		return decodeV1(b[1:])
	// A release that adds a field adds a case here for its version and
	// keeps every older one; see "Record versions" in README.md.
	case v > recordVersion:
		return sillage.Event{}, &newerRecordError{version: v}
	default:
		return sillage.Event{}, fmt.Errorf("unknown event record version %d", v)
	}
}

// decodeV1 reads the body of a version 1 record (the first release's).
func decodeV1(b []byte) (sillage.Event, error) {
	r := &reader{b: b}
	var e sillage.Event
	e.SiteID = uint32(r.uvarint())
	e.Timestamp = time.UnixMilli(r.varint()).UTC()
	e.VisitorID = r.fixed64()
	e.SessionID = r.fixed64()
	e.SessionStart = time.UnixMilli(r.varint()).UTC()
	for _, p := range [...]*string{
		&e.Name, &e.Hostname, &e.Pathname, &e.Referrer, &e.ReferrerSource, &e.Channel,
		&e.UTMSource, &e.UTMMedium, &e.UTMCampaign, &e.UTMTerm, &e.UTMContent, &e.ClickIDParam,
		&e.CountryCode, &e.Region, &e.City, &e.Browser, &e.BrowserVersion, &e.OS, &e.OSVersion, &e.Device,
		&e.RevenueCurrency,
	} {
		*p = r.string()
	}
	e.CityGeonameID = uint32(r.uvarint())
	n := r.uvarint()
	if n > 1000 {
		return sillage.Event{}, fmt.Errorf("event record claims %d props", n)
	}
	if n > 0 {
		e.Props = make(map[string]string, n)
		for i := uint64(0); i < n && r.err == nil; i++ {
			k := r.string()
			e.Props[k] = r.string()
		}
	}
	e.RevenueMilli = r.varint()
	e.Interactive = r.byte() == 1
	e.ScrollDepth = r.byte()
	e.EngagementMS = uint32(r.uvarint())
	e.RetentionDays = uint16(r.uvarint())
	if r.err != nil {
		return sillage.Event{}, r.err
	}
	return e, nil
}

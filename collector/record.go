package collector

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/sillage-analytics/sillage"
)

// A WAL record is one enriched event in a compact binary form: it holds no
// IP address and no user agent, only what the store keeps.
const recordVersion = 1

var errTruncated = errors.New("truncated event record")

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
	for k, v := range e.Props {
		b = appendString(appendString(b, k), v)
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

// decodeEvent reads a record written by encodeEvent.
func decodeEvent(b []byte) (sillage.Event, error) {
	r := &reader{b: b}
	if v := r.byte(); r.err == nil && v != recordVersion {
		return sillage.Event{}, fmt.Errorf("unknown event record version %d", v)
	}
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

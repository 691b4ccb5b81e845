package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
)

// rbReader decodes what AppendEventRowBinary writes, independently of it.
type rbReader struct {
	b   []byte
	err error
}

func (r *rbReader) take(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b) {
		r.err = errors.New("short row")
		return make([]byte, max(n, 0))
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *rbReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errors.New("bad varint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *rbReader) str() string   { return string(r.take(int(r.uvarint()))) }
func (r *rbReader) u8() uint8     { return r.take(1)[0] }
func (r *rbReader) u16() uint16   { return binary.LittleEndian.Uint16(r.take(2)) }
func (r *rbReader) u32() uint32   { return binary.LittleEndian.Uint32(r.take(4)) }
func (r *rbReader) u64() uint64   { return binary.LittleEndian.Uint64(r.take(8)) }
func (r *rbReader) ms() time.Time { return time.UnixMilli(int64(r.u64())).UTC() }
func (r *rbReader) fixed(n int) string {
	return strings.TrimRight(string(r.take(n)), "\x00")
}

func decodeRowBinary(b []byte) (sillage.Event, []string, error) {
	r := &rbReader{b: b}
	var e sillage.Event
	e.SiteID = r.u32()
	e.Timestamp = r.ms()
	e.Name = r.str()
	e.VisitorID = r.u64()
	e.SessionID = r.u64()
	e.SessionStart = r.ms()
	for _, p := range []*string{&e.Hostname, &e.Pathname, &e.Referrer, &e.ReferrerSource, &e.Channel,
		&e.UTMSource, &e.UTMMedium, &e.UTMCampaign, &e.UTMTerm, &e.UTMContent, &e.ClickIDParam} {
		*p = r.str()
	}
	e.CountryCode = r.fixed(2)
	e.Region = r.str()
	e.City = r.str()
	e.CityGeonameID = r.u32()
	for _, p := range []*string{&e.Browser, &e.BrowserVersion, &e.OS, &e.OSVersion, &e.Device} {
		*p = r.str()
	}
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		return e, nil, errors.New("bad map size")
	}
	e.Props = map[string]string{}
	var keys []string
	for range n {
		k := r.str()
		e.Props[k] = r.str()
		keys = append(keys, k)
	}
	e.RevenueMilli = int64(r.u64())
	e.RevenueCurrency = r.fixed(3)
	switch r.u8() {
	case 0:
	case 1:
		e.Interactive = true
	default:
		return e, nil, errors.New("bad Bool")
	}
	e.ScrollDepth = r.u8()
	e.EngagementMS = r.u32()
	e.RetentionDays = r.u16()
	e.ImportID = r.u64()
	if r.err == nil && len(r.b) > 0 {
		r.err = fmt.Errorf("%d bytes left", len(r.b))
	}
	return e, keys, r.err
}

// decodeJSON reads what AppendEventJSON writes, the previous format.
func decodeJSON(t testing.TB, line []byte) sillage.Event {
	var m map[string]any
	d := json.NewDecoder(strings.NewReader(string(line)))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		t.Fatalf("JSON row %q: %v", line, err)
	}
	str := func(k string) string { return m[k].(string) }
	num := func(k string) uint64 {
		n, err := strconv.ParseUint(string(m[k].(json.Number)), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	ts := func(k string) time.Time {
		v, err := time.Parse("2006-01-02 15:04:05.000", str(k))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	rev := strings.Replace(str("revenue_amount"), ".", "", 1)
	milli, err := strconv.ParseInt(rev, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	e := sillage.Event{
		SiteID: uint32(num("site_id")), Timestamp: ts("ts"), Name: str("name"), VisitorID: num("visitor_id"),
		SessionID: num("session_id"), SessionStart: ts("session_start"), Hostname: str("hostname"),
		Pathname: str("pathname"), Visit: sillage.Visit{Referrer: str("referrer"), ReferrerSource: str("referrer_source"),
			Channel: str("channel"), UTMSource: str("utm_source"), UTMMedium: str("utm_medium"),
			UTMCampaign: str("utm_campaign"), UTMTerm: str("utm_term"), UTMContent: str("utm_content"),
			ClickIDParam: str("click_id_param"), CountryCode: str("country_code"), Region: str("region"),
			City: str("city"), CityGeonameID: uint32(num("city_geoname_id")), Browser: str("browser"),
			BrowserVersion: str("browser_version"), OS: str("os"), OSVersion: str("os_version"), Device: str("device")},
		Props: map[string]string{}, RevenueMilli: milli, RevenueCurrency: str("revenue_currency"),
		Interactive: m["interactive"].(bool), ScrollDepth: uint8(num("scroll_depth")),
		EngagementMS: uint32(num("engagement_ms")), RetentionDays: uint16(num("retention_days")),
		ImportID: num("import_id"),
	}
	for k, v := range m["props"].(map[string]any) {
		e.Props[k] = v.(string)
	}
	return e
}

// valid is the reference for invalid UTF-8: U+FFFD for each bad byte.
func valid(s string) string { return string([]rune(s)) }

func sampleEvent() sillage.Event {
	return sillage.Event{
		SiteID: 7, Timestamp: time.Date(2026, 11, 20, 9, 30, 1, 234_567_890, time.UTC), Name: "pageview",
		VisitorID: 0xdeadbeef, SessionID: 42, SessionStart: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC),
		Hostname: "example.fr", Pathname: "/blog/été", Visit: sillage.Visit{Referrer: "google.com/", ReferrerSource: "Google",
			Channel: "Organic Search", UTMSource: "nl", CountryCode: "FR", Region: "FR-IDF", City: "Paris",
			CityGeonameID: 2988507, Browser: "Firefox", BrowserVersion: "133.0", OS: "Linux", Device: "Desktop"},
		Props: map[string]string{"plan": "pro", "author": "Zoé", "a": ""}, RevenueMilli: -29_900,
		RevenueCurrency: "EUR", Interactive: true, ScrollDepth: 80, EngagementMS: 12_000, RetentionDays: 400,
		ImportID: 1<<53 - 1,
	}
}

func equalEvents(a, b sillage.Event) bool {
	pa, pb := a.Props, b.Props
	a.Props, b.Props = nil, nil
	ta, tb := a.Timestamp, b.Timestamp
	sa, sb := a.SessionStart, b.SessionStart
	a.Timestamp, b.Timestamp, a.SessionStart, b.SessionStart = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	return reflect.DeepEqual(a, b) && maps.Equal(pa, pb) && ta.Equal(tb) && sa.Equal(sb)
}

func TestRowBinaryRoundTrip(t *testing.T) {
	e := sampleEvent()
	b, err := AppendEventRowBinary(nil, &e)
	if err != nil {
		t.Fatal(err)
	}
	got, keys, err := decodeRowBinary(b)
	if err != nil {
		t.Fatal(err)
	}
	want := e
	want.Timestamp = e.Timestamp.Truncate(time.Millisecond)
	if !equalEvents(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	if strings.Join(keys, ",") != "a,author,plan" {
		t.Fatalf("props in order %v, want sorted keys", keys)
	}
	if js := decodeJSON(t, AppendEventJSON(nil, &e)); !equalEvents(got, js) {
		t.Fatalf("RowBinary %+v\nJSON %+v", got, js)
	}
}

func TestRowBinaryRefuses(t *testing.T) {
	for name, mod := range map[string]func(*sillage.Event){
		"country of 3 bytes":     func(e *sillage.Event) { e.CountryCode = "FRA" },
		"currency of 4 bytes":    func(e *sillage.Event) { e.RevenueCurrency = "EURO" },
		"currency long in UTF-8": func(e *sillage.Event) { e.RevenueCurrency = "€1" },
		"revenue of 19 digits":   func(e *sillage.Event) { e.RevenueMilli = math.MinInt64 },
		"year 10000":             func(e *sillage.Event) { e.SessionStart = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) },
		"year 0":                 func(e *sillage.Event) { e.Timestamp = time.Date(0, 12, 31, 23, 59, 59, 999e6, time.UTC) },
	} {
		e := sampleEvent()
		mod(&e)
		if _, err := AppendEventRowBinary(nil, &e); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// FuzzAppendEventRowBinary checks the encoder against an independent
// decoder and against the JSON encoder it replaces: same values for any
// strings, numbers and times.
func FuzzAppendEventRowBinary(f *testing.F) {
	f.Add("pageview", "/été", "FR", "EUR", "k", "v", int64(29_900), int64(1_763_600_000_123_456_789), uint64(1), true)
	f.Add("", "", "", "", "", "", int64(0), int64(0), uint64(0), false)
	f.Add("\xff", "a\x00\"\\\n", "\xc3", "US", "\xed\xa0\x80", "🎉", int64(-999_999_999_999_999_999), int64(math.MinInt64), uint64(math.MaxUint64), true)
	f.Fuzz(func(t *testing.T, name, path, country, currency, key, value string, milli, unixNano int64, visitor uint64, inter bool) {
		e := sampleEvent()
		e.Name, e.Pathname, e.CountryCode, e.RevenueCurrency = name, path, country, currency
		e.Props = map[string]string{key: value, key + "2": value + value}
		e.RevenueMilli, e.VisitorID, e.Interactive = milli, visitor, inter
		e.Timestamp = time.Unix(0, unixNano).UTC()
		b, err := AppendEventRowBinary(nil, &e)
		tooLong := len(valid(country)) > 2 || len(valid(currency)) > 3 ||
			milli <= -maxDecimal64 || milli >= maxDecimal64 || e.Timestamp.Year() < 1 || e.Timestamp.Year() > 9999
		if tooLong != (err != nil) {
			t.Fatalf("error %v for country %q currency %q revenue %d ts %v", err, country, currency, milli, e.Timestamp)
		}
		if err != nil {
			return
		}
		got, _, err := decodeRowBinary(b)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		want := e
		want.Timestamp = time.UnixMilli(floorDiv(unixNano, 1e6)).UTC()
		want.Name, want.Pathname = valid(name), valid(path)
		want.CountryCode = strings.TrimRight(valid(country), "\x00")
		want.RevenueCurrency = strings.TrimRight(valid(currency), "\x00")
		want.Props = map[string]string{valid(key): valid(value)}
		want.Props[valid(key+"2")] = valid(value + value)
		if !equalEvents(got, want) {
			t.Fatalf("got %+v\nwant %+v", got, want)
		}
		js := decodeJSON(t, AppendEventJSON(nil, &e))
		js.CountryCode = strings.TrimRight(js.CountryCode, "\x00")
		js.RevenueCurrency = strings.TrimRight(js.RevenueCurrency, "\x00")
		if !equalEvents(got, js) {
			t.Fatalf("RowBinary %+v\nJSON %+v", got, js)
		}
	})
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func BenchmarkAppendEventRowBinary(b *testing.B) {
	e := sampleEvent()
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = AppendEventRowBinary(buf[:0], &e)
	}
}

func BenchmarkAppendEventJSON(b *testing.B) {
	e := sampleEvent()
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendEventJSON(buf[:0], &e)
	}
}

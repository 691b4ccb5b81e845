package embedded_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/embedded"
	"github.com/sillage-analytics/sillage/store/storetest"
)

// edgeEvents covers every column with edge values: empty strings, unicode,
// invalid UTF-8, control bytes, the collector's maximum lengths, empty and
// full props maps, the extremes of each number and of DateTime64.
func edgeEvents() []sillage.Event {
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	full := map[string]string{}
	for i := range 30 { // the collector's MaxProps, key and value at their maximum lengths
		full[fmt.Sprintf("%03d%s", i, strings.Repeat("k", 297))] = strings.Repeat(string(rune('a'+i%26)), 2000)
	}
	long := "/" + strings.Repeat("ü", 999) // 1999 bytes of two-byte runes
	evs := []sillage.Event{
		{Timestamp: day, SessionStart: day}, // zero values, nil props
		{
			SiteID: math.MaxUint32, Timestamp: day.Add(123456789 * time.Nanosecond), Name: "pageview",
			VisitorID: 1, SessionID: math.MaxUint64, SessionStart: day.Add(-time.Nanosecond),
			Hostname: "exämple.fr", Pathname: long, Visit: sillage.Visit{Referrer: "news.ycombinator.com/item",
				ReferrerSource: "Hacker News", Channel: "Referral", UTMSource: "newsletter 🎉", UTMMedium: "e\"mail\\",
				UTMCampaign: "tab\there", UTMTerm: "new\nline", UTMContent: "nul\x00byte", ClickIDParam: "gclid",
				CountryCode: "FR", Region: "FR-IDF", City: "Saint-Étienne", CityGeonameID: math.MaxUint32,
				Browser: "Chrome", BrowserVersion: "131.0", OS: "Windows", OSVersion: "10", Device: "Desktop"},
			Props: full, RevenueMilli: 999_999_999_999_999_999, RevenueCurrency: "EUR",
			Interactive: true, ScrollDepth: math.MaxUint8, EngagementMS: math.MaxUint32, RetentionDays: math.MaxUint16,
		},
		{
			VisitorID: 2, Timestamp: day, SessionStart: day, Name: "Purchase",
			Pathname: "bad\xffutf8\xc3", Visit: sillage.Visit{Referrer: "\xed\xa0\x80surrogate", City: "東京",
				CountryCode: "F", Browser: strings.Repeat("x", 512)}, RevenueCurrency: "", RevenueMilli: -999_999_999_999_999_999,
			Props: map[string]string{},
		},
		{
			VisitorID: 3, Timestamp: day, SessionStart: day, Name: strings.Repeat("n", 120),
			Props: map[string]string{"": "", "k": "", "é\xff": "v\xfe", "z": "last"}, RevenueMilli: 1, RevenueCurrency: "US",
		},
		// DateTime64's displayed range; before 1970 the milliseconds round down.
		{VisitorID: 4, Timestamp: time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), SessionStart: time.Date(1969, 12, 31, 23, 59, 59, 999_500_000, time.UTC)},
		{VisitorID: 5, Timestamp: time.Date(2299, 12, 31, 23, 59, 59, 999_999_999, time.UTC), SessionStart: time.Date(1970, 1, 1, 0, 0, 0, 500_000, time.UTC)},
		// Outside DateTime64's displayed range, the engine keeps the value.
		{VisitorID: 7, Timestamp: time.Time{}, SessionStart: time.Date(1899, 12, 31, 23, 59, 59, 999e6, time.UTC)},
		{VisitorID: 8, Timestamp: time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC), SessionStart: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)},
		{VisitorID: 6, Timestamp: time.Date(2026, 3, 29, 3, 30, 0, 1e6, time.FixedZone("CEST", 7200)), SessionStart: day},
	}
	return evs
}

// randomEvents are arbitrary but valid events from a fixed seed.
func randomEvents(n int) []sillage.Event {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "Z", "/", "é", "🎉", "\"", "\\", "\n", "\x00", "\xff", " ", "東"}
	str := func(max int) string {
		var b strings.Builder
		for range r.IntN(max + 1) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	fixed := func(n int) string {
		s := ""
		for range r.IntN(n + 1) {
			s += string(rune('A' + r.IntN(26)))
		}
		return s
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	evs := make([]sillage.Event, n)
	for i := range evs {
		ts := base.Add(time.Duration(r.Int64N(int64(365 * 24 * time.Hour))))
		props := map[string]string{}
		for range r.IntN(5) {
			props[str(8)] = str(20)
		}
		evs[i] = sillage.Event{
			SiteID: r.Uint32(), Timestamp: ts, Name: str(10), VisitorID: 100 + uint64(i), SessionID: r.Uint64(),
			SessionStart: ts.Add(-time.Duration(r.Int64N(int64(time.Hour)))),
			Hostname:     str(10), Pathname: str(40), Visit: sillage.Visit{Referrer: str(20), ReferrerSource: str(5), Channel: str(5),
				UTMSource: str(5), UTMMedium: str(5), UTMCampaign: str(5), UTMTerm: str(5), UTMContent: str(5), ClickIDParam: str(5),
				CountryCode: fixed(2), Region: str(5), City: str(10), CityGeonameID: r.Uint32(),
				Browser: str(5), BrowserVersion: str(5), OS: str(5), OSVersion: str(5), Device: str(5)}, Props: props,
			RevenueMilli: r.Int64N(2*1e15) - 1e15, RevenueCurrency: fixed(3),
			Interactive: r.IntN(2) == 0, ScrollDepth: uint8(r.Uint32()), EngagementMS: r.Uint32(), RetentionDays: uint16(r.IntN(3)) * 10_000,
		}
	}
	return evs
}

// dump reads back every stored column of events and of the sessions view,
// in a canonical text form (props sorted: JSON inserts them in Go's map
// order).
func dump(t *testing.T, e store.Engine) []string {
	t.Helper()
	var out []string
	for _, q := range []string{
		`SELECT formatRowNoNewline('JSONEachRow', *) FROM (
			SELECT * REPLACE (mapSort(props) AS props) FROM events ORDER BY visitor_id, ts, name)`,
		`SELECT formatRowNoNewline('JSONEachRow', *) FROM (
			SELECT * EXCEPT (entry_page, exit_page), finalizeAggregation(entry_page) AS entry, finalizeAggregation(exit_page) AS exit
			FROM sessions ORDER BY site_id, session_start, visitor_id, session_id)`,
	} {
		rows, err := e.Query(context.Background(), q, nil)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return out
}

// TestRowBinaryStoresWhatJSONStores inserts the same events as RowBinary
// and as JSONEachRow (the previous format) into two databases, and reads
// back every column of both tables.
func TestRowBinaryStoresWhatJSONStores(t *testing.T) {
	ctx := context.Background()
	events := append(edgeEvents(), randomEvents(500)...)
	rb, js := storetest.Migrated(t), storetest.Migrated(t)
	if err := rb.InsertEvents(ctx, "rb-1", events); err != nil {
		t.Fatal(err)
	}
	if err := js.InsertEventsJSON(ctx, "rb-1", events); err != nil {
		t.Fatal(err)
	}
	got, want := dump(t, rb), dump(t, js)
	if len(got) != len(want) || len(got) < len(events) {
		t.Fatalf("%d rows as RowBinary, %d as JSON, %d events", len(got), len(want), len(events))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d:\nRowBinary %.600s\nJSON      %.600s", i, got[i], want[i])
		}
	}
	// Spot checks against the Go values, beyond agreeing with JSON.
	var props, path, country string
	var n uint64
	var rev int64
	var ts time.Time
	if err := store.QueryRow(ctx, rb, `SELECT length(props), props['000`+strings.Repeat("k", 297)+`'], pathname,
			toString(country_code), toInt64(toDecimal128(revenue_amount, 3) * 1000), ts FROM events WHERE visitor_id = 1`, nil,
		&n, &props, &path, &country, &rev, &ts); err != nil {
		t.Fatal(err)
	}
	if n != 30 || props != strings.Repeat("a", 2000) || path != events[1].Pathname || country != "FR" ||
		rev != events[1].RevenueMilli || !ts.Equal(events[1].Timestamp.Truncate(time.Millisecond)) {
		t.Fatalf("visitor 1: %d props, path %.20q, country %q, revenue %d, ts %v", n, path, country, rev, ts)
	}
	if err := store.QueryRow(ctx, rb, `SELECT pathname, toString(country_code) FROM events WHERE visitor_id = 2`, nil, &path, &country); err != nil {
		t.Fatal(err)
	}
	if path != "bad\ufffdutf8\ufffd" || country != "F" {
		t.Fatalf("visitor 2: path %q country %q", path, country)
	}
}

// TestRowBinaryRefusesWhatJSONRefuses: values outside the columns' types
// fail the batch in both formats instead of being stored wrong.
func TestRowBinaryRefusesWhatJSONRefuses(t *testing.T) {
	ctx := context.Background()
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	e := storetest.Migrated(t)
	for name, ev := range map[string]sillage.Event{
		"country code of 3 bytes":       {Timestamp: day, SessionStart: day, Visit: sillage.Visit{CountryCode: "FRA"}},
		"currency of 4 bytes":           {Timestamp: day, SessionStart: day, RevenueCurrency: "EURO"},
		"currency made long by U+FFFD":  {Timestamp: day, SessionStart: day, RevenueCurrency: "E\xff"},
		"revenue of 19 digits":          {Timestamp: day, SessionStart: day, RevenueMilli: 1e18},
		"year 10000":                    {Timestamp: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), SessionStart: day},
		"negative revenue of 19 digits": {Timestamp: day, SessionStart: day, RevenueMilli: -1e18},
	} {
		errRB := e.InsertEvents(ctx, "", []sillage.Event{ev})
		errJS := e.InsertEventsJSON(ctx, "", []sillage.Event{ev})
		if errRB == nil || errJS == nil {
			t.Errorf("%s: RowBinary error %v, JSON error %v; want both refused", name, errRB, errJS)
		}
	}
	var n uint64
	if err := store.QueryRow(ctx, e, "SELECT count() FROM events", nil, &n); err != nil || n != 0 {
		t.Fatalf("%d events stored, err %v", n, err)
	}
}

func BenchmarkInsertEvents10kJSON(b *testing.B) {
	benchmarkInsert(b, storetest.Migrated(b), (*embedded.Engine).InsertEventsJSON)
}

// The Null engine keeps nothing: these two measure the format alone, the
// writing in Go and the reading in the engine.
func BenchmarkInsertEvents10kNullTable(b *testing.B) {
	benchmarkInsert(b, nullEvents(b), (*embedded.Engine).InsertEvents)
}

func BenchmarkInsertEvents10kNullTableJSON(b *testing.B) {
	benchmarkInsert(b, nullEvents(b), (*embedded.Engine).InsertEventsJSON)
}

func nullEvents(b *testing.B) *embedded.Engine {
	e := storetest.Embedded(b)
	ctx := context.Background()
	m := storetest.Migrated(b)
	var ddl string
	if err := store.QueryRow(ctx, m, "SELECT create_table_query FROM system.tables WHERE database = currentDatabase() AND name = 'events'", nil, &ddl); err != nil {
		b.Fatal(err)
	}
	cols := ddl[strings.Index(ddl, "("):strings.Index(ddl, "ENGINE")]
	if err := e.Exec(ctx, "CREATE TABLE events "+cols+" ENGINE = Null", nil); err != nil {
		b.Fatal(err)
	}
	return e
}

// benchmarkInsert reports rows/s and the process's CPU time per batch,
// which depends less than elapsed time on what else runs on the machine.
func benchmarkInsert(b *testing.B, e *embedded.Engine, insert func(*embedded.Engine, context.Context, string, []sillage.Event) error) {
	base := storetest.Fixture(time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC))
	batch := make([]sillage.Event, 10_000)
	for i := range batch {
		batch[i] = base[i%len(base)]
		batch[i].VisitorID = uint64(i)
	}
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := insert(e, context.Background(), "", batch); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(len(batch)*b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

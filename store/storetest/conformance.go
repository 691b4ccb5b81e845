package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/store"
)

// Conformance runs the behaviour every engine must share on a migrated,
// empty database returned by open.
func Conformance(t *testing.T, open func(t *testing.T) store.Engine) {
	t.Run("events table is store.Events", func(t *testing.T) { testEventsTable(t, open(t)) })
	t.Run("params round trip", func(t *testing.T) { testParams(t, open(t)) })
	t.Run("scan types", func(t *testing.T) { testScan(t, open(t)) })
	t.Run("insert events and read aggregates", func(t *testing.T) { testInsertAndAggregate(t, open(t)) })
	t.Run("insert token deduplicates", func(t *testing.T) { testDedup(t, open(t)) })
	t.Run("engine error", func(t *testing.T) { testEngineError(t, open(t)) })
	t.Run("insert formatted rows", func(t *testing.T) { testInsertFormatted(t, open(t)) })
}

// testEventsTable checks the one description of the event, store.Events,
// against the migrated table: every column of one is in the other, with
// the same type, so no insert leaves a column to its default and no
// column is written as another type.
func testEventsTable(t *testing.T, e store.Engine) {
	rows, err := e.Query(context.Background(), `SELECT name, type FROM system.columns
		WHERE database = currentDatabase() AND table = 'events' ORDER BY position`, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	table := map[string]string{}
	var order []string
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			t.Fatal(err)
		}
		table[name] = typ
		order = append(order, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(table) == 0 {
		t.Fatal("no events table in system.columns")
	}
	for _, c := range store.Events {
		typ, ok := table[c.Name]
		if !ok {
			t.Errorf("store.Events has column %s (%s), the events table has not", c.Name, c.Type)
		} else if typ != c.Type {
			t.Errorf("column %s is %s in the events table, %s in store.Events", c.Name, typ, c.Type)
		}
	}
	for _, name := range order {
		if _, ok := store.EventColumn(name); !ok {
			t.Errorf("the events table has column %s (%s), store.Events has not", name, table[name])
		}
	}
}

func testParams(t *testing.T, e store.Engine) {
	ctx := context.Background()
	hostile := []string{
		"plain", "O'Hara", `back\slash`, "tab\there", "new\nline", "{x:String}", "'; DROP TABLE events; --",
		"ünïcødé 🎉", strings.Repeat("a", 100_000), "\x00nul",
	}
	for _, s := range hostile {
		var got string
		if err := store.QueryRow(ctx, e, "SELECT {s:String}", store.Params{"s": s}, &got); err != nil {
			t.Fatalf("param %.40q: %v", s, err)
		}
		if got != s {
			t.Fatalf("param %.40q came back as %.40q", s, got)
		}
	}
	var n uint64
	if err := store.QueryRow(ctx, e, "SELECT length({xs:Array(String)})", store.Params{"xs": hostile}, &n); err != nil || n != uint64(len(hostile)) {
		t.Fatalf("array param: n=%d err=%v", n, err)
	}
	var v string
	m := map[string]string{"k'1": "v\\1", "k2": "v2"}
	if err := store.QueryRow(ctx, e, "SELECT {m:Map(String,String)}['k''1']", store.Params{"m": m}, &v); err != nil || v != `v\1` {
		t.Fatalf("map param: v=%q err=%v", v, err)
	}
	ts := time.Date(2026, 3, 29, 1, 30, 0, 123e6, time.UTC)
	var back time.Time
	if err := store.QueryRow(ctx, e, "SELECT {t:DateTime64(3, 'UTC')}", store.Params{"t": ts}, &back); err != nil || !back.Equal(ts) {
		t.Fatalf("time param: %v err=%v", back, err)
	}
}

func testScan(t *testing.T, e store.Engine) {
	ctx := context.Background()
	var (
		u64   uint64
		i64   int64
		f64   float64
		s     string
		b     bool
		ts    time.Time
		paris time.Time
		day   time.Time
		arr   []string
		m     map[string]string
		u32   uint32
	)
	err := store.QueryRow(ctx, e, `SELECT
		toUInt64(18446744073709551615), toInt64(-5), toFloat64(0.25), 'x', true,
		toDateTime64('2026-01-02 03:04:05.678', 3, 'UTC'),
		toDateTime('2026-07-01 12:00:00', 'Europe/Paris'),
		toDate('2026-02-03'), ['a', 'b'], map('k', 'v'), toUInt32(7)`, nil,
		&u64, &i64, &f64, &s, &b, &ts, &paris, &day, &arr, &m, &u32)
	if err != nil {
		t.Fatal(err)
	}
	if u64 != 18446744073709551615 || i64 != -5 || f64 != 0.25 || s != "x" || !b || u32 != 7 {
		t.Fatalf("scalars: %d %d %v %q %v %d", u64, i64, f64, s, b, u32)
	}
	if !ts.Equal(time.Date(2026, 1, 2, 3, 4, 5, 678e6, time.UTC)) {
		t.Fatalf("DateTime64: %v", ts)
	}
	if !paris.Equal(time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("DateTime in Europe/Paris: %v", paris)
	}
	if day.Format("2006-01-02") != "2026-02-03" {
		t.Fatalf("Date: %v", day)
	}
	if len(arr) != 2 || arr[1] != "b" || m["k"] != "v" {
		t.Fatalf("array %v map %v", arr, m)
	}
}

// Fixture returns a small day of traffic for site 1: three sessions, one of
// them a bounce, one with a non-interactive engagement event.
func Fixture(day time.Time) []sillage.Event {
	at := func(h, m int) time.Time { return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	ev := func(visitor, session uint64, start time.Time, ts time.Time, name, path string) sillage.Event {
		return sillage.Event{
			SiteID: 1, Timestamp: ts, Name: name, VisitorID: visitor, SessionID: session, SessionStart: start,
			Hostname: "example.fr", Pathname: path, Visit: sillage.Visit{ReferrerSource: "Google", Channel: "Organic Search",
				CountryCode: "FR", Browser: "Firefox", OS: "Linux", Device: "Desktop"},
			Interactive: name != sillage.EventEngagement, Props: map[string]string{},
		}
	}
	s1, s2, s3 := at(9, 0), at(10, 0), at(11, 0)
	events := []sillage.Event{
		// visitor 1: two pageviews, 5 minutes apart
		ev(1, 11, s1, s1, "pageview", "/"),
		ev(1, 11, s1, at(9, 5), "pageview", "/prix"),
		// visitor 2: a bounce, even with an engagement event after it
		ev(2, 21, s2, s2, "pageview", "/blog"),
		ev(2, 21, s2, at(10, 2), "engagement", "/blog"),
		// visitor 1 again, later: a pageview and a purchase with revenue
		ev(1, 12, s3, s3, "pageview", "/panier"),
		ev(1, 12, s3, at(11, 1), "Purchase", "/panier"),
	}
	events[5].RevenueMilli, events[5].RevenueCurrency = 29_900, "EUR"
	events[5].Props = map[string]string{"plan": "pro"}
	return events
}

func testInsertAndAggregate(t *testing.T, e store.Engine) {
	ctx := context.Background()
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	if err := e.InsertEvents(ctx, "", Fixture(day)); err != nil {
		t.Fatal(err)
	}
	var visitors, pageviews uint64
	var revenue int64
	if err := store.QueryRow(ctx, e, `SELECT uniq(visitor_id), countIf(name = 'pageview'), toInt64(sum(revenue_amount) * 1000)
		FROM events WHERE site_id = {site:UInt32} AND ts >= {from:DateTime64(3, 'UTC')}`,
		store.Params{"site": uint32(1), "from": day}, &visitors, &pageviews, &revenue); err != nil {
		t.Fatal(err)
	}
	if visitors != 2 || pageviews != 4 || revenue != 29_900 {
		t.Fatalf("visitors=%d pageviews=%d revenue=%d, want 2 4 29900", visitors, pageviews, revenue)
	}
	var plan string
	if err := store.QueryRow(ctx, e, `SELECT props['plan'] FROM events WHERE name = 'Purchase'`, nil, &plan); err != nil || plan != "pro" {
		t.Fatalf("props: %q %v", plan, err)
	}

	rows, err := e.Query(ctx, `SELECT session_id, sum(pageviews), sum(interactive), argMinMerge(entry_page), argMaxMerge(exit_page),
			toUInt32(dateDiff('second', min(session_start), max(last_ts)))
		FROM sessions WHERE site_id = {site:UInt32} GROUP BY session_id ORDER BY session_id`, store.Params{"site": uint32(1)})
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	type session struct {
		id               uint64
		pageviews, inter uint64
		entry, exit      string
		durationSeconds  uint32
	}
	want := []session{
		{11, 2, 2, "/", "/prix", 300},
		{12, 1, 2, "/panier", "/panier", 60},
		{21, 1, 1, "/blog", "/blog", 120},
	}
	var got []session
	for rows.Next() {
		var s session
		if err := rows.Scan(&s.id, &s.pageviews, &s.inter, &s.entry, &s.exit, &s.durationSeconds); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("sessions: got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("session %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

func testDedup(t *testing.T, e store.Engine) {
	ctx := context.Background()
	events := Fixture(time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC))
	for i := 0; i < 2; i++ {
		if err := e.InsertEvents(ctx, "batch-42", events); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.InsertEvents(ctx, "batch-43", events[:1]); err != nil {
		t.Fatal(err)
	}
	var n uint64
	if err := store.QueryRow(ctx, e, "SELECT count() FROM events", nil, &n); err != nil {
		t.Fatal(err)
	}
	if n != uint64(len(events))+1 {
		t.Fatalf("count = %d after a repeated batch, want %d", n, len(events)+1)
	}
	var sessions uint64
	if err := store.QueryRow(ctx, e, "SELECT sum(events) FROM sessions", nil, &sessions); err != nil {
		t.Fatal(err)
	}
	if sessions != n {
		t.Fatalf("sessions view counted %d events, events table holds %d", sessions, n)
	}
}

func testEngineError(t *testing.T, e store.Engine) {
	err := e.Exec(context.Background(), "SELECT * FROM no_such_table", nil)
	if err == nil || !strings.Contains(err.Error(), "no_such_table") {
		t.Fatalf("want an error naming the missing table, got %v", err)
	}
}

// execOnly hides an engine's Inserter, so store.InsertFormatted takes its
// other way: the rows inline after FORMAT.
type execOnly struct{ store.Engine }

// testInsertFormatted writes TabSeparated rows (escapes included) through
// store.InsertFormatted both ways, with the import's settings, and checks
// that a repeated token is kept once.
func testInsertFormatted(t *testing.T, e store.Engine) {
	ctx := context.Background()
	if err := e.Exec(ctx, "CREATE TABLE IF NOT EXISTS insert_formatted (id UInt32, s String) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 10", nil); err != nil {
		t.Fatal(err)
	}
	const q = "INSERT INTO insert_formatted (id, s) SETTINGS input_format_parallel_parsing = 0, insert_deduplication_token = '"
	for _, c := range []struct {
		e     store.Engine
		token string
	}{{e, "a"}, {e, "a"}, {execOnly{e}, "b"}, {execOnly{e}, "b"}} {
		if err := store.InsertFormatted(ctx, c.e, q+c.token+"'", "TabSeparated", []byte("1\ta\\tb\n2\tx\\\\y\n")); err != nil {
			t.Fatalf("token %s: %v", c.token, err)
		}
	}
	rows, err := e.Query(ctx, "SELECT id, s, count() FROM insert_formatted GROUP BY id, s ORDER BY id", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var id uint32
		var s string
		var n uint64
		if err := rows.Scan(&id, &s, &n); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d %q %d", id, s, n))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{`1 "a\tb" 2`, `2 "x\\y" 2`}
	if !slices.Equal(got, want) {
		t.Fatalf("rows = %q, want %q (each batch once per token, escapes read back)", got, want)
	}
}

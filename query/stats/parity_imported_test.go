package stats

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/storetest"
)

// Imported data in Stats API v2 queries (include.imports), case by case as
// Plausible's own tests describe it: native events and imported daily rows
// with known numbers, a query, the numbers and what meta says about the
// imports.
//
// Plausible's cases put imported rows and native events on the same day;
// Plausible cuts an import at the site's first native day when it is made,
// Sillage when it reads (native data wins, query/README.md). The imported
// rows here are therefore on the day before the native events, which is
// what a real import leaves.

// impRow is one row of an imported_* table: its day and its columns.
type impRow struct {
	table string
	day   string
	kv    []any // column, value, column, value…
}

func imp(table, day string, kv ...any) impRow { return impRow{table: table, day: day, kv: kv} }

// impQuery is one request and the answer expected: rows as render shows
// them, and meta: "included", "absent" (imports not asked), or the skip
// reason; warning is a part of imports_warning ("=" first: all of it,
// "" none).
type impQuery struct {
	body    string
	want    []string
	meta    string
	warning string
}

type impCase struct {
	name     string
	goals    []Goal
	native   []sillage.Event
	imported []impRow
	noImport bool      // the site has no import at all
	importTo string    // the import's last day, default the last imported row's
	now      time.Time // default impNow
	queries  []impQuery
}

// impNow is "today" for these cases; the native day is impDay, the
// imported rows the day before.
var (
	impNow = time.Date(2023, 1, 10, 12, 0, 0, 0, time.UTC)
	impDay = time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
)

const impPrev = "2022-12-31"

// lone is one event of a visitor and session of its own at impDay plus
// after, as Plausible's factories make them (a random user each).
type loneEvents struct {
	site uint32
	next uint64
}

func (l *loneEvents) ev(after time.Duration, name, path string, mods ...func(*sillage.Event)) sillage.Event {
	l.next++
	ts := impDay.Add(after)
	e := sillage.Event{SiteID: l.site, VisitorID: l.next, SessionID: l.next, SessionStart: ts, Timestamp: ts, Name: name,
		Hostname: "example.fr", Pathname: path, Interactive: true, Props: map[string]string{}}
	for _, m := range mods {
		m(&e)
	}
	return e
}

func withVisit(f func(*sillage.Visit)) func(*sillage.Event) {
	return func(e *sillage.Event) { f(&e.Visit) }
}

// insertImport writes a completed import of site with its rows.
func insertImport(t *testing.T, st store.Engine, site uint32, from, to string, rows []impRow) {
	t.Helper()
	ctx := context.Background()
	id := uint64(site) * 10
	if err := st.Exec(ctx, `INSERT INTO imports (id, site_id, source, start_date, end_date, status, updated_at, deleted)
		VALUES ({id:UInt64}, {site:UInt32}, 'plausible', {from:Date}, {to:Date}, 'completed', now64(6, 'UTC'), 0)`,
		store.Params{"id": id, "site": site, "from": from, "to": to}); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		cols := []string{"site_id", "import_id", "date"}
		vals := []string{"{site:UInt32}", "{id:UInt64}", "{day:Date}"}
		params := store.Params{"site": site, "id": id, "day": r.day}
		for i := 0; i+1 < len(r.kv); i += 2 {
			name := "c" + strconv.Itoa(i)
			cols = append(cols, r.kv[i].(string))
			switch v := r.kv[i+1].(type) {
			case string:
				vals = append(vals, "{"+name+":String}")
			case int:
				vals = append(vals, "{"+name+":UInt64}")
				r.kv[i+1] = uint64(v)
			default:
				t.Fatalf("value %v of %T", v, v)
			}
			params[name] = r.kv[i+1]
		}
		q := "INSERT INTO " + r.table + " (" + strings.Join(cols, ", ") + ") VALUES (" + strings.Join(vals, ", ") + ")"
		if err := st.Exec(ctx, q, params); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func runImportCases(t *testing.T, cases []impCase) {
	st := storetest.Migrated(t)
	ctx := context.Background()
	for i, c := range cases {
		site := sillage.Site{ID: uint32(100 + i), Domain: "example.fr", Timezone: "UTC"}
		for j := range c.native {
			c.native[j].SiteID = site.ID
		}
		if len(c.native) > 0 {
			if err := st.InsertEvents(ctx, "", c.native); err != nil {
				t.Fatal(err)
			}
		}
		if !c.noImport {
			from, to := "2005-01-01", c.importTo
			for _, r := range c.imported {
				to = max(to, r.day)
			}
			insertImport(t, st, site.ID, from, to, c.imported)
		}
		now := c.now
		if now.IsZero() {
			now = impNow
		}
		e := &Engine{Store: st, Now: func() time.Time { return now }}
		for k, qc := range c.queries {
			t.Run(fmt.Sprintf("%s/%d", c.name, k), func(t *testing.T) {
				q, err := ParseQuery([]byte(qc.body))
				if err != nil {
					t.Fatalf("parse: %v", err)
				}
				resp, err := e.Run(ctx, site, c.goals, q)
				if err != nil {
					t.Fatalf("run: %v", err)
				}
				if got := render(resp); strings.Join(got, "\n") != strings.Join(qc.want, "\n") {
					t.Errorf("got\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(qc.want, "\n\t"))
				}
				m := resp.Meta
				meta := "absent"
				switch {
				case m.ImportsIncluded != nil && *m.ImportsIncluded:
					meta = "included"
				case m.ImportsIncluded != nil:
					meta = m.ImportsSkipReason
				}
				if meta != qc.meta {
					t.Errorf("meta %q (%+v), want %q", meta, m, qc.meta)
				}
				w := qc.warning
				switch exact, whole := strings.CutPrefix(w, "="); {
				case w == "":
					if m.ImportsWarning != "" {
						t.Errorf("warning %q, want none", m.ImportsWarning)
					}
				case whole:
					if m.ImportsWarning != exact {
						t.Errorf("warning %q, want %q", m.ImportsWarning, exact)
					}
				case !strings.Contains(m.ImportsWarning, w):
					t.Errorf("warning %q, want it to hold %q", m.ImportsWarning, w)
				}
			})
		}
	}
}

// impQ builds a request; extra fields follow the metrics.
func impQ(rng, metrics, extra string) string {
	return `{"site_id":"example.fr","date_range":` + rng + `,"metrics":[` + metrics + `]` + extra + `,"include":{"imports":true}}`
}

const (
	allTime = `"all"`
	// Plausible's sentence for a query imported data cannot answer; Sillage
	// names the dimension, filter or metric at fault after it.
	unsupportedWarning = "Imported stats are not included in the results because query parameters are not supported."
	intervalWarning    = "=Imported stats are not included because the time dimension (i.e. the interval) is too short."
)

func TestImportedParity(t *testing.T) {
	n := func(site uint32) *loneEvents { return &loneEvents{site: site} }
	var l *loneEvents
	pv := func(after time.Duration, path string, mods ...func(*sillage.Event)) sillage.Event {
		return l.ev(after, "pageview", path, mods...)
	}
	cases := []impCase{}
	add := func(c impCase) { cases = append(cases, c) }

	l = n(0)
	add(impCase{name: "imported stats only when asked",
		native:   []sillage.Event{pv(0, "/")},
		imported: []impRow{imp("imported_visitors", impPrev, "visitors", 1, "pageviews", 1, "visits", 1)},
		queries: []impQuery{
			{body: `{"site_id":"example.fr","date_range":"all","metrics":["pageviews"]}`, want: []string{" | 1"}, meta: "absent"},
			{body: impQ(allTime, `"pageviews"`, ``), want: []string{" | 2"}, meta: "included"},
		}})

	// Plausible's case puts both on one day and counts 2: it cuts imports
	// at the first native day when they are made, Sillage when it reads
	// (query/README.md), so a row written on a native day is left out.
	l = n(0)
	add(impCase{name: "an imported row on a native day",
		native:   []sillage.Event{pv(0, "/")},
		imported: []impRow{imp("imported_visitors", "2023-01-01", "visitors", 1, "pageviews", 1, "visits", 1)},
		queries:  []impQuery{{body: impQ(allTime, `"pageviews"`, ``), want: []string{" | 1"}, meta: "included"}}})

	l = n(0)
	add(impCase{name: "page is",
		native: []sillage.Event{pv(0, "/blog"), pv(0, "/blog"), pv(0, "/blog/post/1"), pv(0, "/about")},
		imported: []impRow{
			imp("imported_pages", impPrev, "page", "/blog", "pageviews", 5, "visitors", 3),
			imp("imported_pages", impPrev, "page", "/blog/post/1", "pageviews", 2, "visitors", 2),
		},
		queries: []impQuery{{body: impQ(allTime, `"visitors","pageviews"`, `,"filters":[["is","event:page",["/blog"]]]`),
			want: []string{" | 5 7"}, meta: "included"}}})

	l = n(0)
	add(impCase{name: "page is, ignoring case",
		native: []sillage.Event{pv(0, "/BLOG"), pv(0, "/blog"), pv(0, "/blog/post/1"), pv(0, "/about")},
		imported: []impRow{
			imp("imported_pages", impPrev, "page", "/BLOG", "pageviews", 5, "visitors", 3),
			imp("imported_pages", impPrev, "page", "/blog/post/1", "pageviews", 2, "visitors", 2),
		},
		queries: []impQuery{{body: impQ(allTime, `"visitors","pageviews"`, `,"filters":[["is","event:page",["/blOG"],{"case_sensitive":false}]]`),
			want: []string{" | 5 7"}, meta: "included"}}})

	l = n(0)
	add(impCase{name: "page contains",
		native: []sillage.Event{pv(0, "/blog"), pv(0, "/blog/post/1"), pv(0, "/blog/post/2"), pv(0, "/about")},
		imported: []impRow{
			imp("imported_pages", impPrev, "page", "/blog", "pageviews", 5, "visitors", 3),
			imp("imported_pages", impPrev, "page", "/blog/post/1", "pageviews", 2, "visitors", 2),
			imp("imported_pages", impPrev, "page", "/blog/POST/2", "pageviews", 3, "visitors", 1),
		},
		queries: []impQuery{{body: impQ(allTime, `"visitors","pageviews"`, `,"filters":[["contains","event:page",["blog/post"]]]`),
			want: []string{" | 4 4"}, meta: "included"}}})

	l = n(0)
	add(impCase{name: "page contains, ignoring case",
		native: []sillage.Event{pv(0, "/BLOG/post/1"), pv(0, "/blog/POST/2"), pv(0, "/about")},
		imported: []impRow{
			imp("imported_pages", impPrev, "page", "/BLOG/POST/1", "pageviews", 5, "visitors", 3),
			imp("imported_pages", impPrev, "page", "/blog/post/2", "pageviews", 2, "visitors", 2),
		},
		queries: []impQuery{{body: impQ(allTime, `"visitors","pageviews"`, `,"filters":[["contains","event:page",["blog/POST"],{"case_sensitive":false}]]`),
			want: []string{" | 7 9"}, meta: "included"}}})

	l = n(0)
	goalFilter := func(f string) string { return impQ(allTime, `"visitors","events"`, `,"filters":[`+f+`]`) }
	add(impCase{name: "custom event goal, is and contains",
		goals:  []Goal{{ID: "p", EventName: "Purchase"}},
		native: []sillage.Event{l.ev(0, "Purchase", "/"), l.ev(0, "Purchase", "/"), l.ev(0, "Signup", "/")},
		imported: []impRow{
			imp("imported_custom_events", impPrev, "name", "Purchase", "visitors", 3, "events", 5),
			imp("imported_custom_events", impPrev, "name", "Signup", "visitors", 2, "events", 2),
		},
		queries: []impQuery{
			{body: goalFilter(`["is","event:goal",["Purchase"]]`), want: []string{" | 5 7"}, meta: "included"},
			{body: goalFilter(`["contains","event:goal",["Purch","sign"]]`), want: []string{" | 5 7"}, meta: "included"},
			{body: goalFilter(`["is","event:goal",["purchase"],{"case_sensitive":false}]`), want: []string{" | 5 7"}, meta: "included"},
			{body: goalFilter(`["contains","event:goal",["PURCH"],{"case_sensitive":false}]`), want: []string{" | 5 7"}, meta: "included"},
		}})

	sessionMetrics := `"visitors","visits","pageviews","bounce_rate","visit_duration"`
	l = n(0)
	add(impCase{name: "referrers",
		native: []sillage.Event{
			pv(0, "/", withVisit(func(v *sillage.Visit) { v.Referrer, v.ReferrerSource = "site.com", "site.com" })),
			pv(0, "/", withVisit(func(v *sillage.Visit) { v.Referrer, v.ReferrerSource = "site.com/1", "site.com" })),
		},
		imported: []impRow{
			imp("imported_sources", impPrev, "source", "site.com", "referrer", "site.com", "visitors", 2, "visits", 2, "pageviews", 2, "bounces", 1, "visit_duration", 120),
			imp("imported_sources", impPrev, "source", "site.com", "referrer", "site.com/2", "visitors", 2, "visits", 2, "pageviews", 2, "bounces", 2, "visit_duration", 0),
			imp("imported_sources", impPrev, "visitors", 10, "visits", 11, "pageviews", 50, "bounces", 0, "visit_duration", 1100),
		},
		queries: []impQuery{{body: impQ(allTime, sessionMetrics, `,"dimensions":["visit:referrer"]`),
			want: []string{"Direct / None | 10 11 50 0 100", "site.com | 3 3 3 67 40", "site.com/2 | 2 2 2 100 0", "site.com/1 | 1 1 1 100 0"},
			meta: "included"}}})

	l = n(0)
	add(impCase{name: "UTM sources",
		native: []sillage.Event{
			pv(0, "/", withVisit(func(v *sillage.Visit) { v.UTMSource = "SomeUTMSource" })),
			pv(0, "/", withVisit(func(v *sillage.Visit) { v.UTMSource = "SomeUTMSource-1" })),
		},
		imported: []impRow{
			imp("imported_sources", impPrev, "utm_source", "SomeUTMSource", "visitors", 2, "visits", 2, "pageviews", 2, "bounces", 1, "visit_duration", 120),
			imp("imported_sources", impPrev, "utm_source", "SomeUTMSource-2", "visitors", 2, "visits", 2, "pageviews", 2, "bounces", 2, "visit_duration", 0),
			imp("imported_sources", impPrev, "visitors", 10, "visits", 11, "pageviews", 50, "bounces", 0, "visit_duration", 1100),
		},
		queries: []impQuery{{body: impQ(allTime, sessionMetrics, `,"dimensions":["visit:utm_source"]`),
			want: []string{"SomeUTMSource | 3 3 3 67 40", "SomeUTMSource-2 | 2 2 2 100 0", "SomeUTMSource-1 | 1 1 1 100 0"},
			meta: "included"}}})

	l = n(0)
	add(impCase{name: "regions and cities leave out imported rows without one",
		native: []sillage.Event{pv(0, "/", withVisit(func(v *sillage.Visit) {
			v.CountryCode, v.Region, v.CityGeonameID, v.City = "DE", "DE-BE", 2950159, "Berlin"
		}))},
		imported: []impRow{
			imp("imported_locations", impPrev, "country", "DE", "region", "DE-BE", "city", 2950159, "visitors", 2),
			imp("imported_locations", impPrev, "country", "DE", "visitors", 5),
		},
		queries: []impQuery{
			{body: impQ(allTime, `"visitors"`, `,"dimensions":["visit:region"]`), want: []string{"DE-BE | 3"}, meta: "included"},
			{body: impQ(allTime, `"visitors"`, `,"dimensions":["visit:city"]`), want: []string{"2950159 | 3"}, meta: "included"},
			{body: impQ(allTime, `"visitors"`, `,"dimensions":["visit:country"]`), want: []string{"DE | 8"}, meta: "included"},
		}})

	l = n(0)
	add(impCase{name: "top pages leave out imported pages without pageviews",
		native: []sillage.Event{pv(0, "/"), pv(25*time.Minute, "/"), pv(0, "/plausible.io")},
		imported: []impRow{
			imp("imported_pages", impPrev, "page", "/skip-me", "visitors", 1, "pageviews", 0),
			imp("imported_pages", impPrev, "page", "/include-me", "visitors", 1, "pageviews", 1),
		},
		// Plausible leaves the order of ties open; Sillage sorts them by the dimension.
		queries: []impQuery{{body: impQ(allTime, `"pageviews"`, `,"dimensions":["event:page"]`),
			want: []string{"/ | 2", "/include-me | 1", "/plausible.io | 1"}, meta: "included"}}})
	l = n(0)
	add(impCase{name: "imported rows without pageviews leave the pageviews totals",
		native: []sillage.Event{pv(0, "/")},
		imported: []impRow{
			imp("imported_pages", impPrev, "page", "/skip-me", "visitors", 4, "pageviews", 0),
			imp("imported_pages", impPrev, "page", "/include-me", "visitors", 1, "pageviews", 1),
		},
		queries: []impQuery{
			{body: impQ(allTime, `"visitors","pageviews"`, `,"filters":[["contains","event:page",["me"]]]`), want: []string{" | 1 1"}, meta: "included"},
			{body: impQ(allTime, `"visitors"`, `,"filters":[["contains","event:page",["me"]]]`), want: []string{" | 5"}, meta: "included"},
		}})

	l = n(0)
	exitSession := func() []sillage.Event {
		a := pv(0, "/a")
		b := pv(25*time.Minute, "/a")
		c := b
		c.Timestamp, c.Pathname = b.Timestamp.Add(10*time.Minute), "/b"
		return []sillage.Event{a, b, c}
	}
	add(impCase{name: "exit pages",
		native:   exitSession(),
		imported: []impRow{imp("imported_exit_pages", impPrev, "exit_page", "/b", "exits", 3, "visitors", 2, "pageviews", 5)},
		queries: []impQuery{{body: impQ(allTime, `"visits"`, `,"dimensions":["visit:exit_page"]`),
			want: []string{"/b | 4", "/a | 1"}, meta: "included"}}})

	// Channels from imported sources (Sillage's own case; Plausible's
	// imported sources keep a channel too); one not filled in yet is no row.
	l = n(0)
	add(impCase{name: "channels",
		native: []sillage.Event{pv(0, "/")},
		imported: []impRow{
			imp("imported_sources", impPrev, "source", "Google", "channel", "Organic Search", "visitors", 3, "visits", 3, "pageviews", 4),
			imp("imported_sources", impPrev, "source", "Qwant", "channel", "Organic Search", "visitors", 2, "visits", 2, "pageviews", 2),
			imp("imported_sources", impPrev, "source", "Newsletter", "channel", "", "visitors", 7, "visits", 7, "pageviews", 7),
		},
		queries: []impQuery{{body: impQ(allTime, `"visitors"`, `,"dimensions":["visit:channel"],"filters":[["is","visit:channel",["Organic Search"]]]`),
			want: []string{"Organic Search | 5"}, meta: "included"}}})

	// The exit rate of the summed counts: native and imported exits over
	// native and imported pageviews of the page (Sillage's own case).
	l = n(0)
	add(impCase{name: "exit rate",
		native: exitSession(),
		imported: []impRow{
			imp("imported_exit_pages", impPrev, "exit_page", "/b", "exits", 3, "visitors", 2, "pageviews", 5),
			imp("imported_pages", impPrev, "page", "/b", "visitors", 4, "pageviews", 5),
			imp("imported_pages", impPrev, "page", "/a", "visitors", 5, "pageviews", 6),
		},
		queries: []impQuery{{body: impQ(allTime, `"visits","exit_rate"`, `,"dimensions":["visit:exit_page"]`),
			want: []string{"/b | 4 66.7", "/a | 1 12.5"}, meta: "included"}}})

	l = n(0)
	add(impCase{name: "devices filtered by device",
		native:   []sillage.Event{pv(time.Second, "/", withVisit(func(v *sillage.Visit) { v.Device = "Mobile" }))},
		imported: []impRow{imp("imported_devices", impPrev, "device", "Mobile", "visitors", 3, "pageviews", 5)},
		queries: []impQuery{{body: impQ(allTime, `"visitors","pageviews"`, `,"dimensions":["visit:device"],"filters":[["is","visit:device",["Mobile"]]]`),
			want: []string{"Mobile | 4 6"}, meta: "included"}}})

	l = n(0)
	add(impCase{name: "custom event and page goals with conversion rates",
		goals:  []Goal{{ID: "p", EventName: "Purchase"}, {ID: "t", PagePath: "/test"}},
		native: []sillage.Event{pv(time.Second, "/test"), l.ev(3*time.Second, "Purchase", "/"), l.ev(3*time.Second, "Purchase", "/")},
		imported: []impRow{
			imp("imported_custom_events", impPrev, "name", "Purchase", "visitors", 3, "events", 5),
			imp("imported_pages", impPrev, "page", "/test", "visitors", 2, "pageviews", 2),
			imp("imported_visitors", impPrev, "visitors", 5),
		},
		queries: []impQuery{{body: impQ(allTime, `"visitors","events","pageviews","conversion_rate"`, `,"dimensions":["event:goal"]`),
			want: []string{"Purchase | 5 7 0 62.5", "Visit /test | 3 3 3 37.5"}, meta: "included"}}})

	var firstOf []impQuery
	for _, d := range []struct{ dim, first string }{
		{"visit:browser", "Chrome"}, {"visit:device", "Desktop"}, {"visit:country", "EE"},
		{"visit:os", "Mac"}, {"event:page", "/test"}, {"visit:source", "Google"},
	} {
		firstOf = append(firstOf, impQuery{body: impQ(`["2022-12-31","2022-12-31"]`, `"events"`, `,"dimensions":["`+d.dim+`"]`),
			want: []string{d.first + " | 1"}, meta: "included"})
	}
	add(impCase{name: "imported pageviews are the events of every report but custom events",
		imported: []impRow{
			imp("imported_browsers", impPrev, "browser", "Chrome", "visitors", 1, "pageviews", 1),
			imp("imported_devices", impPrev, "device", "Desktop", "visitors", 1, "pageviews", 1),
			imp("imported_entry_pages", impPrev, "entry_page", "/test", "visitors", 1, "pageviews", 1),
			imp("imported_exit_pages", impPrev, "exit_page", "/test", "visitors", 1, "pageviews", 1),
			imp("imported_locations", impPrev, "country", "EE", "visitors", 1, "pageviews", 1),
			imp("imported_operating_systems", impPrev, "operating_system", "Mac", "visitors", 1, "pageviews", 1),
			imp("imported_pages", impPrev, "page", "/test", "visitors", 1, "pageviews", 1),
			imp("imported_sources", impPrev, "source", "Google", "visitors", 1, "pageviews", 1),
		},
		queries: firstOf})

	l = n(0)
	add(impCase{name: "daily series",
		native:   []sillage.Event{pv(0, "/"), pv(10*time.Minute, "/"), pv(23*time.Hour+59*time.Minute, "/")},
		imported: []impRow{imp("imported_visitors", impPrev, "visitors", 5)},
		queries: []impQuery{
			{body: impQ(`["2022-12-31","2023-01-01"]`, `"visitors"`, `,"dimensions":["time:day"]`),
				want: []string{"2022-12-31 | 5", "2023-01-01 | 3"}, meta: "included"},
			// Plausible's case has both on one day: the same sum in one bucket.
			{body: impQ(`["2022-12-31","2023-01-01"]`, `"visitors"`, `,"dimensions":["time:month"]`),
				want: []string{"2022-12-01 | 5", "2023-01-01 | 3"}, meta: "included"},
			{body: impQ(`["2022-12-31","2023-01-01"]`, `"visitors"`, ``), want: []string{" | 8"}, meta: "included"},
		}})

	for _, g := range []struct{ goal, prop, col, one, two string }{
		{"Outbound Link: Click", "url", "link_url", "https://one.com", "https://two.com"},
		{"Cloaked Link: Click", "url", "link_url", "https://one.com", "https://two.com"},
		{"File Download", "url", "link_url", "https://one.com", "https://two.com"},
		{"404", "path", "path", "/one", "/two"},
		{"WP Form Completions", "path", "path", "/one", "/two"},
		{"Form: Submission", "path", "path", "/one", "/two"},
	} {
		l = n(0)
		add(impCase{name: g.prop + " of " + g.goal,
			goals:  []Goal{{ID: "s", EventName: g.goal}},
			native: []sillage.Event{l.ev(0, g.goal, "/", props(g.prop, g.one))},
			imported: []impRow{
				imp("imported_custom_events", impPrev, "name", g.goal, "visitors", 2, "events", 5, g.col, g.one),
				imp("imported_custom_events", impPrev, "name", g.goal, "visitors", 5, "events", 10, g.col, g.two),
				imp("imported_custom_events", impPrev, "name", "some goal", "visitors", 5, "events", 10),
				imp("imported_visitors", impPrev, "visitors", 9),
			},
			queries: []impQuery{{body: impQ(allTime, `"visitors","events","conversion_rate"`,
				`,"dimensions":["event:props:`+g.prop+`"],"filters":[["is","event:goal",["`+g.goal+`"]]]`),
				want: []string{g.two + " | 5 10 50", g.one + " | 3 6 30"}, meta: "included"}}})
	}

	// Sillage's own guards around the special goals and conversion rates.
	l = n(0)
	add(impCase{name: "goal rules of imported data",
		goals: []Goal{{ID: "o", EventName: "Outbound Link: Click"}, {ID: "p", EventName: "Purchase"},
			{ID: "s", PagePath: "/test", ScrollThreshold: 50}},
		native: []sillage.Event{
			l.ev(0, "Outbound Link: Click", "/", props("url", "https://one.com")),
			l.ev(0, "Purchase", "/", props("url", "https://one.com"), withVisit(func(v *sillage.Visit) { v.ReferrerSource = "Google" })),
		},
		imported: []impRow{
			imp("imported_custom_events", impPrev, "name", "Outbound Link: Click", "visitors", 2, "events", 5, "link_url", "https://one.com"),
			imp("imported_custom_events", impPrev, "name", "Purchase", "visitors", 3, "events", 4),
			imp("imported_visitors", impPrev, "visitors", 8),
		},
		queries: []impQuery{
			// The url of other goals is not imported.
			{body: impQ(allTime, `"visitors"`, `,"dimensions":["event:props:url"],"filters":[["is","event:goal",["Purchase"]]]`),
				want: []string{"https://one.com | 1"}, meta: "unsupported_query", warning: "event:props:url"},
			// A conversion rate over a narrower set of visitors than imported visitors.
			{body: impQ(allTime, `"visitors","conversion_rate"`, `,"filters":[["is","event:goal",["Purchase"]],["is","visit:source",["Google"]]]`),
				want: []string{" | 1 100"}, meta: "unsupported_query", warning: "conversion rates"},
			// A scroll-depth goal has no imported events, and does not stop the others'.
			{body: impQ(allTime, `"visitors","events","conversion_rate"`, `,"dimensions":["event:goal"]`),
				want: []string{"Purchase | 4 5 40", "Outbound Link: Click | 3 6 30"}, meta: "included"},
		}})

	l = n(0)
	add(impCase{name: "search queries are not imported",
		goals:  []Goal{{ID: "w", EventName: "WP Search Queries"}},
		native: []sillage.Event{l.ev(0, "WP Search Queries", "/", props("search_query", "some phrase", "result_count", "12"))},
		imported: []impRow{
			imp("imported_custom_events", impPrev, "name", "view_search_results", "visitors", 100, "events", 200),
			imp("imported_visitors", impPrev, "visitors", 9),
		},
		queries: []impQuery{{body: impQ(allTime, `"visitors","events","conversion_rate"`,
			`,"dimensions":["event:props:search_query"],"filters":[["is","event:goal",["WP Search Queries"]]]`),
			want: []string{"some phrase | 1 1 100"}, meta: "unsupported_query", warning: unsupportedWarning}}})

	l = n(0)
	add(impCase{name: "hourly series leave imports out",
		native:   []sillage.Event{pv(0, "/"), pv(10*time.Minute, "/"), pv(23*time.Hour+59*time.Minute, "/")},
		imported: []impRow{imp("imported_visitors", impPrev, "visitors", 5)},
		queries: []impQuery{{body: impQ(`["2022-12-31","2023-01-01"]`, `"visitors"`, `,"dimensions":["time:hour"]`),
			want: []string{"2023-01-01 00:00:00 | 2", "2023-01-01 23:00:00 | 1"}, meta: "unsupported_interval", warning: intervalWarning}}})

	packageQuery := func(rng string) string {
		return impQ(rng, `"visitors"`, `,"dimensions":["event:props:package"],"filters":[["is","event:goal",["Signup"]]]`)
	}
	l = n(0)
	add(impCase{name: "custom properties are not imported",
		goals:    []Goal{{ID: "s", EventName: "Signup"}},
		native:   []sillage.Event{l.ev(0, "Signup", "/", props("package", "large"))},
		imported: []impRow{imp("imported_visitors", impPrev, "visitors", 9)},
		queries:  []impQuery{{body: packageQuery(allTime), want: []string{"large | 1"}, meta: "unsupported_query", warning: unsupportedWarning}}})

	l = n(0)
	add(impCase{name: "no import, no warning",
		goals:    []Goal{{ID: "s", EventName: "Signup"}},
		native:   []sillage.Event{l.ev(0, "Signup", "/", props("package", "large"))},
		noImport: true,
		queries:  []impQuery{{body: packageQuery(allTime), want: []string{"large | 1"}, meta: "no_imported_data"}}})

	l = n(0)
	today := l.ev(0, "Signup", "/", props("package", "large"))
	today.Timestamp, today.SessionStart = impNow, impNow
	add(impCase{name: "an import out of range, no warning",
		goals:    []Goal{{ID: "s", EventName: "Signup"}},
		native:   []sillage.Event{today},
		imported: []impRow{imp("imported_visitors", "2023-01-07", "visitors", 9)},
		queries:  []impQuery{{body: packageQuery(`"day"`), want: []string{"large | 1"}, meta: "out_of_range"}}})

	add(impCase{name: "several filters on one imported table",
		imported: []impRow{
			imp("imported_sources", "2023-01-10", "source", "Google", "utm_medium", "organic", "utm_term", "one", "visitors", 1),
			imp("imported_sources", "2023-01-10", "source", "Twitter", "utm_medium", "organic", "utm_term", "two", "visitors", 1),
			imp("imported_sources", "2023-01-10", "source", "Facebook", "utm_medium", "something_else", "utm_term", "one", "visitors", 1),
		},
		queries: []impQuery{{body: impQ(`"day"`, `"visitors"`, `,"dimensions":["visit:source"],"filters":[["is","visit:utm_medium",["organic"]],["is","visit:utm_term",["one"]]]`),
			want: []string{"Google | 1"}, meta: "included"}}})

	add(impCase{name: "a filter and a dimension in different imported tables",
		imported: []impRow{
			imp("imported_sources", "2023-01-10", "source", "Google", "visitors", 1),
			imp("imported_devices", "2023-01-10", "device", "Desktop", "visitors", 1),
		},
		queries: []impQuery{{body: impQ(`"day"`, `"visitors"`, `,"dimensions":["visit:source"],"filters":[["is","visit:device",["Desktop"]]]`),
			want: []string{}, meta: "unsupported_query", warning: unsupportedWarning}}})

	l = n(0)
	geo := func(country, region string, id uint32, city string) func(*sillage.Event) {
		return withVisit(func(v *sillage.Visit) { v.CountryCode, v.Region, v.CityGeonameID, v.City = country, region, id, city })
	}
	var places []impQuery
	for _, d := range []struct{ dim, native, imported string }{
		{"visit:country", "DE", "EE"}, {"visit:region", "DE-BE", "EE-37"}, {"visit:city", "2950159", "588409"},
		{"visit:country_name", "Germany", "Estonia"}, {"visit:region_name", "Berlin", "Harjumaa"},
	} {
		places = append(places, impQuery{body: impQ(allTime, `"visitors"`, `,"dimensions":["`+d.dim+`"]`),
			want: []string{d.imported + " | 34", d.native + " | 2"}, meta: "included"})
	}
	add(impCase{name: "countries, regions and cities",
		native: []sillage.Event{
			pv(15*time.Minute, "/", geo("DE", "DE-BE", 2950159, "Berlin")),
			pv(15*time.Minute, "/", geo("DE", "DE-BE", 2950159, "Berlin")),
			pv(15*time.Minute, "/", geo("EE", "EE-37", 588409, "Tallinn")),
		},
		imported: []impRow{imp("imported_locations", impPrev, "country", "EE", "region", "EE-37", "city", 588409, "visitors", 33)},
		queries:  places})

	// Imported cities are GeoNames ids; Sillage has no GeoNames names to
	// give them (query/README.md), so a query on city names leaves imports
	// out, where Plausible names them: London 35, then London of the United
	// Kingdom 34 and of Canada 1; with the filter, London (United Kingdom)
	// 34, Tallinn 3, Kärdla 2.
	cityQueries := []impQuery{{body: impQ(allTime, `"visitors"`, `,"dimensions":["visit:city_name"]`),
		want: []string{"Berlin | 2", "Tallinn | 1"}, meta: "unsupported_query", warning: "visit:city_name"}}
	add(impCase{name: "city names of imported cities",
		native: []sillage.Event{
			pv(15*time.Minute, "/", geo("DE", "DE-BE", 2950159, "Berlin")),
			pv(15*time.Minute, "/", geo("DE", "DE-BE", 2950159, "Berlin")),
			pv(15*time.Minute, "/", geo("EE", "EE-37", 588409, "Tallinn")),
		},
		imported: []impRow{imp("imported_locations", impPrev, "country", "EE", "region", "EE-37", "city", 588409, "visitors", 33)},
		queries:  cityQueries})
	l = n(0)
	londons := []sillage.Event{pv(0, "/", geo("GB", "", 2643743, "London")), pv(0, "/", geo("CA", "", 6058560, "London"))}
	add(impCase{name: "city and country names",
		native: londons,
		imported: []impRow{
			imp("imported_locations", impPrev, "country", "EE", "city", 588409, "visitors", 3),
			imp("imported_locations", impPrev, "country", "EE", "city", 591632, "visitors", 2),
			imp("imported_locations", impPrev, "country", "GB", "city", 2643743, "visitors", 33),
		},
		queries: []impQuery{
			{body: impQ(allTime, `"visitors"`, `,"dimensions":["visit:city_name"]`), want: []string{"London | 2"}, meta: "unsupported_query", warning: "visit:city_name"},
			{body: impQ(allTime, `"visitors"`, `,"dimensions":["visit:city_name","visit:country_name"]`),
				want: []string{"London Canada | 1", "London United Kingdom | 1"}, meta: "unsupported_query", warning: "visit:city_name"},
			{body: impQ(allTime, `"visitors"`, `,"dimensions":["visit:city_name","visit:country_name"],"filters":[["or",[["and",[["is","visit:city_name",["London"]],["not",["is","visit:country_name",["Canada"]]]]],["is","visit:country_name",["Estonia"]]]]]`),
				want: []string{"London United Kingdom | 1"}, meta: "unsupported_query", warning: "visit:city_name"},
		}})

	l = n(0)
	add(impCase{name: "pagination keeps the imported rows of a page",
		native:   []sillage.Event{pv(0, "/99")},
		imported: manyPages(100),
		queries: []impQuery{{body: impQ(allTime, `"pageviews"`, `,"dimensions":["event:page"],"pagination":{"limit":1}`),
			want: []string{"/99 | 2"}, meta: "included"}}})
	l = n(0)
	add(impCase{name: "pagination over many imported pages",
		native:   []sillage.Event{pv(0, "/99")},
		imported: manyPages(200),
		// Plausible allows 1 or 2 here (it paginates imported pages apart); Sillage sums first.
		queries: []impQuery{{body: impQ(allTime, `"pageviews"`, `,"dimensions":["event:page"],"pagination":{"limit":1}`),
			want: []string{"/99 | 2"}, meta: "included"}}})

	l = n(0)
	behavioural := []sillage.Event{pv(0, "/"), pv(0, "/"), l.ev(0, "Conversion", "/")}
	add(impCase{name: "has_done leaves imports out",
		native:   behavioural,
		imported: []impRow{imp("imported_pages", impPrev, "page", "/blog", "pageviews", 5, "visitors", 3)},
		queries: []impQuery{
			{body: impQ(allTime, `"visitors"`, `,"filters":[["has_done",["is","event:name",["pageview"]]]]`),
				want: []string{" | 2"}, meta: "unsupported_query", warning: unsupportedWarning},
			{body: impQ(allTime, `"visitors"`, `,"dimensions":["event:goal"],"filters":[["has_not_done",["is","event:name",["pageview"]]]]`),
				want: []string{}, meta: "unsupported_query", warning: unsupportedWarning},
		}})

	runImportCases(t, cases)
}

func manyPages(n int) []impRow {
	rows := make([]impRow, n)
	for i := range rows {
		rows[i] = imp("imported_pages", impPrev, "page", "/"+strconv.Itoa(i+1), "pageviews", 1, "visitors", 1)
	}
	return rows
}

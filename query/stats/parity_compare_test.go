package stats

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/store"
)

// Comparisons and time zones as Plausible's Stats API v2 answers them,
// written from the cases of its own tests: pageviews at known instants,
// a query, the answer. Each pageview is its own visitor and visit, as
// Plausible's test events are when they name no user.

// pageviewsAt makes one single-pageview visit per RFC 3339 instant, with
// visitor and session ids from base upward.
func pageviewsAt(site uint32, base uint64, mod func(*sillage.Event), ts ...string) []sillage.Event {
	var out []sillage.Event
	for i, s := range ts {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		out = append(out, newVisit(site, base+uint64(i), base+uint64(i), t, mod).pv(0, "/").events...)
	}
	return out
}

func browser(name string) func(*sillage.Event) { return func(e *sillage.Event) { e.Browser = name } }

// siteCase is one query on a site, with the rows it must answer.
type siteCase struct {
	name string
	site sillage.Site
	now  time.Time // the engine's clock; zero: 2026-01-01
	body string
	want []string
}

func runSiteCases(t *testing.T, st store.Engine, cases []siteCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			now := c.now
			if now.IsZero() {
				now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			}
			e := &Engine{Store: st, Now: func() time.Time { return now }}
			got := render(runOn(t, e, c.site, c.body))
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("got\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(c.want, "\n\t"))
			}
		})
	}
}

// TestComparisonParity: Plausible's comparison cases of the v2 query
// (previous period over an aggregate, a daily series and a paginated
// breakdown with percentages).
func TestComparisonParity(t *testing.T) {
	agg := sillage.Site{ID: 41, Domain: "agg.example", Timezone: "UTC"}
	series := sillage.Site{ID: 42, Domain: "series.example", Timezone: "UTC"}
	browsers := sillage.Site{ID: 43, Domain: "browsers.example", Timezone: "UTC"}
	var events []sillage.Event
	events = append(events, pageviewsAt(41, 4100, nil,
		"2021-01-01T00:00:00Z", "2021-01-01T00:25:00Z", "2021-01-02T00:00:00Z", "2021-01-07T00:00:00Z")...)
	events = append(events, pageviewsAt(42, 4200, nil,
		"2021-01-01T00:00:00Z", "2021-01-01T00:25:00Z", "2021-01-06T00:00:00Z", "2021-01-07T00:00:00Z", "2021-01-08T00:00:00Z")...)
	// The week of 7-13 January: Chrome 3, Firefox 2, Safari 1; the week
	// before (1 January): Firefox 4, Safari 3, Chrome 1.
	for i, b := range []struct {
		name string
		ts   []string
	}{
		{"Firefox", []string{"2021-01-01T00:00:00Z", "2021-01-01T00:00:00Z", "2021-01-01T00:00:00Z", "2021-01-01T00:00:00Z", "2021-01-07T00:00:00Z", "2021-01-07T00:00:00Z"}},
		{"Safari", []string{"2021-01-01T00:00:00Z", "2021-01-01T00:00:00Z", "2021-01-01T00:00:00Z", "2021-01-08T00:00:00Z"}},
		{"Chrome", []string{"2021-01-01T00:00:00Z", "2021-01-07T00:00:00Z", "2021-01-07T00:00:00Z", "2021-01-07T00:00:00Z"}},
	} {
		events = append(events, pageviewsAt(43, uint64(4300+100*i), browser(b.name), b.ts...)...)
	}
	e := loaded(t, events, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))

	week := func(site, metrics, extra string) string {
		return `{"site_id":"` + site + `","metrics":[` + metrics + `],"date_range":["2021-01-07","2021-01-13"]` + extra +
			`,"include":{"comparisons":{"mode":"previous_period"}}}`
	}
	runSiteCases(t, e.Store, []siteCase{
		{"an aggregate against the week before", agg, time.Time{}, week("agg.example", `"pageviews"`, ``),
			[]string{" | 1 ~  | 3 Δ -67"}},
		{"a daily series lists every day, each against its day a week before", series, time.Time{},
			week("series.example", `"pageviews"`, `,"dimensions":["time:day"]`),
			[]string{
				"2021-01-07 | 1 ~ 2020-12-31 | 0 Δ 100",
				"2021-01-08 | 1 ~ 2021-01-01 | 2 Δ -50",
				"2021-01-09 | 0 ~ 2021-01-02 | 0 Δ 0",
				"2021-01-10 | 0 ~ 2021-01-03 | 0 Δ 0",
				"2021-01-11 | 0 ~ 2021-01-04 | 0 Δ 0",
				"2021-01-12 | 0 ~ 2021-01-05 | 0 Δ 0",
				"2021-01-13 | 0 ~ 2021-01-06 | 1 Δ -100",
			}},
		// The compared percentages are shares of the whole week before, not
		// of the rows on the page.
		{"a breakdown's first page", browsers, time.Time{},
			week("browsers.example", `"visitors","percentage"`, `,"dimensions":["visit:browser"],"pagination":{"limit":2}`),
			[]string{"Chrome | 3 50 ~ Chrome | 1 12.5 Δ 200 300", "Firefox | 2 33.3 ~ Firefox | 4 50 Δ -50 -33"}},
		{"a breakdown's second page", browsers, time.Time{},
			week("browsers.example", `"visitors","percentage"`, `,"dimensions":["visit:browser"],"pagination":{"limit":2,"offset":2}`),
			[]string{"Safari | 1 16.7 ~ Safari | 3 37.5 Δ -67 -55"}},
	})

	// The range is echoed in the site's zone, its last second included.
	resp := runOn(t, e, agg, week("agg.example", `"pageviews"`, ``))
	if got := resp.Query.DateRange; got != [2]string{"2021-01-07T00:00:00+00:00", "2021-01-13T23:59:59+00:00"} {
		t.Errorf("date_range echo %v", got)
	}
}

// TestComparisonWithImports: Plausible's breakdown compared with a period
// an import holds: the compared rows and their percentages count the
// imported visitors too. Plausible's case imports the very day of the
// site's first native pageview; Sillage leaves out imported days on or
// after the first native day (native data wins), so Plausible's numbers
// are checked with the import a day earlier, and its own case keeps
// Sillage's answer. Plausible's case also asks for percentage, which
// Sillage does not compute from imported data (the import is then left
// out, unsupported_query): visitors alone here.
func TestComparisonWithImports(t *testing.T) {
	before := sillage.Site{ID: 44, Domain: "imported.example", Timezone: "UTC"}
	same := sillage.Site{ID: 45, Domain: "same-day.example", Timezone: "UTC"}
	var events []sillage.Event
	for _, id := range []uint32{44, 45} {
		base := uint64(id) * 100
		events = append(events, pageviewsAt(id, base, browser("Chrome"), "2021-01-01T00:00:00Z", "2021-01-07T00:00:00Z", "2021-01-07T00:00:00Z")...)
		events = append(events, pageviewsAt(id, base+10, browser("Firefox"), "2021-01-07T00:00:00Z")...)
	}
	e := loaded(t, events, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	importDay(t, e.Store, 1, 44, "2020-12-31")
	importDay(t, e.Store, 2, 45, "2021-01-01")
	body := func(site string) string {
		return `{"site_id":"` + site + `","metrics":["visitors"],"date_range":["2021-01-07","2021-01-13"],
		"dimensions":["visit:browser"],"include":{"imports":true,"comparisons":{"mode":"previous_period"}},"pagination":{"limit":2}}`
	}
	runSiteCases(t, e.Store, []siteCase{
		{"imported and native visitors of the week before", before, time.Time{}, body("imported.example"),
			[]string{"Chrome | 2 ~ Chrome | 40 Δ -95", "Firefox | 1 ~ Firefox | 50 Δ -98"}},
		{"imported data in the main range, none before it", before, time.Time{},
			`{"site_id":"imported.example","metrics":["visitors"],"date_range":["2020-12-31","2021-01-06"],"dimensions":["visit:browser"],
			"include":{"imports":true,"comparisons":{"mode":"previous_period"}},"pagination":{"limit":2}}`,
			[]string{"Firefox | 50 ~ Firefox | 0 Δ 100", "Chrome | 40 ~ Chrome | 0 Δ 100"}},
		{"an imported day with native data is left out", same, time.Time{}, body("same-day.example"),
			[]string{"Chrome | 2 ~ Chrome | 1 Δ 100", "Firefox | 1 ~ Firefox | 0 Δ 100"}},
	})
	// meta speaks of the main range, which no imported day reaches.
	if r := runOn(t, e, before, body("imported.example")); r.Meta.ImportsIncluded == nil || *r.Meta.ImportsIncluded || r.Meta.ImportsSkipReason != "out_of_range" {
		t.Errorf("meta %+v", r.Meta)
	}
}

// importDay stores a completed import of one day for site: Plausible's
// case of 99 visitors, 50 on Firefox, 39 on Chrome and 10 on Safari.
func importDay(t *testing.T, st store.Engine, id uint64, site uint32, day string) {
	t.Helper()
	ctx := context.Background()
	p := store.Params{"id": id, "site": site, "day": day}
	for _, q := range []string{
		`INSERT INTO imports (id, site_id, source, start_date, end_date, status, created_at, updated_at, deleted)
			VALUES ({id:UInt64}, {site:UInt32}, 'plausible', {day:Date}, {day:Date}, 'completed', now64(3), now64(6), 0)`,
		`INSERT INTO imported_visitors (site_id, import_id, date, visitors, pageviews, bounces, visits, visit_duration)
			VALUES ({site:UInt32}, {id:UInt64}, {day:Date}, 99, 99, 0, 99, 0)`,
		`INSERT INTO imported_browsers (site_id, import_id, date, browser, browser_version, visitors, visits, visit_duration, bounces, pageviews)
			VALUES ({site:UInt32}, {id:UInt64}, {day:Date}, 'Firefox', '121', 50, 50, 0, 0, 50),
			({site:UInt32}, {id:UInt64}, {day:Date}, 'Chrome', '99', 39, 39, 0, 0, 39),
			({site:UInt32}, {id:UInt64}, {day:Date}, 'Safari', '99', 10, 10, 0, 0, 10)`,
	} {
		if err := st.Exec(ctx, q, p); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

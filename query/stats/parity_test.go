package stats

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
)

// Behaviours of Plausible's Stats API v2, written from its documentation
// and its own test cases, over the scenario day (see fixture_test.go).

// TestPropertyNegations: a custom property's negated filters. In
// Plausible, `is_not` reads a missing property as "(none)" (so an event
// without it passes unless "(none)" is listed), while `contains_not` and
// `matches_not` only match events that carry the property.
func TestPropertyNegations(t *testing.T) {
	e := loaded(t, scenario(), at(20, 0))
	runCases(t, e, []queryCase{
		// plan: pro (S1 Signup), free (S6 Signup; S5's Subscribe falls on the next
		// day); the 12 other events of the day lack it.
		{"is_not keeps events without the property", day(`"events"`, `,"filters":[["is_not","event:props:plan",["pro"]]]`),
			[]string{" | 13"}},
		{"is_not with (none) leaves them out", day(`"events"`, `,"filters":[["is_not","event:props:plan",["pro","(none)"]]]`),
			[]string{" | 1"}},
		{"contains_not leaves out events without the property", day(`"visitors","events"`, `,"filters":[["contains_not","event:props:plan",["pr"]]]`),
			[]string{" | 1 1"}},
		{"contains_not ignoring case", day(`"events"`, `,"filters":[["contains_not","event:props:plan",["PR"],{"case_sensitive":false}]]`),
			[]string{" | 1"}},
		{"matches_not leaves out events without the property", day(`"visitors","events"`, `,"filters":[["matches_not","event:props:plan",["^f"]]]`),
			[]string{" | 1 1"}},
		{"matches_not on sessions", day(`"visits"`, `,"filters":[["matches_not","event:props:plan",["^f"]]]`),
			[]string{" | 1"}},
		{"not contains keeps its plain negation", day(`"events"`, `,"filters":[["not",["contains","event:props:plan",["pr"]]]]`),
			[]string{" | 13"}},
		{"breakdown under contains_not", day(`"visitors"`, `,"dimensions":["event:props:plan"],"filters":[["contains_not","event:props:plan",["pr"]]]`),
			[]string{"free | 1"}},
	})
}

// TestRelativeRanges: Plausible resolves "Nd" to the N whole days before
// the anchor date (today when none is given), the anchor left out, and
// "Nmo" to the N whole months before the anchor's month. The scenario's
// events fall on 2026-06-10 and, for one session, 2026-06-11.
func TestRelativeRanges(t *testing.T) {
	e := loaded(t, scenario(), at(20, 0))
	on := func(rng, date, extra string) string {
		return `{"site_id":"example.fr","date_range":"` + rng + `","date":"` + date + `","metrics":["visitors","pageviews"]` + extra + `}`
	}
	runCases(t, e, []queryCase{
		{"7d ends the day before its date", on("7d", "2026-06-11", ""), []string{" | 6 9"}},
		{"7d leaves its date out", on("7d", "2026-06-10", ""), []string{" | 0 0"}},
		{"1d is the day before", on("1d", "2026-06-12", ""), []string{" | 1 1"}},
		{"28d", on("28d", "2026-07-08", ""), []string{" | 6 10"}},
		{"28d, a day short", on("28d", "2026-07-09", ""), []string{" | 1 1"}},
		{"30d", on("30d", "2026-07-10", ""), []string{" | 6 10"}},
		{"91d", on("91d", "2026-09-09", ""), []string{" | 6 10"}},
		{"91d, a day short", on("91d", "2026-09-10", ""), []string{" | 1 1"}},
		{"1mo is the month before", on("1mo", "2026-07-01", ""), []string{" | 6 10"}},
		{"6mo leaves the current month out", on("6mo", "2026-06-30", ""), []string{" | 0 0"}},
		{"12mo", on("12mo", "2027-06-01", ""), []string{" | 6 10"}},
		{"7d by day lists its own days", on("7d", "2026-06-12", `,"dimensions":["time:day"],"include":{"time_labels":true}`),
			[]string{"2026-06-10 | 6 9", "2026-06-11 | 1 1"}},
		{"7d against the 7 days before", on("7d", "2026-06-18", `,"include":{"comparisons":{"mode":"previous_period"}}`),
			[]string{" | 1 1 ~  | 6 9 Δ -83 -89"}},
	})
	for _, bad := range []string{"0d", "5001d", "0mo", "101mo", "7days", "-7d", "d", "mo", "24h"} {
		if _, err := ParseQuery([]byte(on(bad, "2026-06-10", ""))); err == nil {
			t.Errorf("date_range %q accepted", bad)
		}
	}
}

func onHost(h string) func(*sillage.Event) { return func(e *sillage.Event) { e.Hostname = h } }

// TestHostnameFilterOnVisits: with an event:hostname filter, Plausible
// keeps the sessions that have an event on the host and, for the
// dimensions a visit takes from its landing (source, referrer, UTM, entry
// page), those that entered on that host; for the exit page, those that
// left from it. Other dimensions and metrics keep the event rule alone.
func TestHostnameFilterOnVisits(t *testing.T) {
	noAttrs := func(source string) func(*sillage.Event) {
		return func(e *sillage.Event) {
			e.ReferrerSource = source
			e.CountryCode = "FR"
		}
	}
	s1 := newVisit(1, 1, 101, at(9, 0), noAttrs("Google")).
		event(0, "pageview", "/", onHost("shop.example.fr")).event(time.Minute, "pageview", "/a", onHost("example.fr"))
	s2 := newVisit(1, 2, 201, at(10, 0), noAttrs("Facebook")).
		event(0, "pageview", "/", onHost("example.fr"))
	s3 := newVisit(1, 3, 301, at(11, 0), noAttrs("")).
		event(0, "pageview", "/x", onHost("shop.example.fr")).event(time.Minute, "pageview", "/y", onHost("example.fr"))
	e := loaded(t, join(s1, s2, s3), at(20, 0))
	host := func(h string) string { return `,"filters":[["is","event:hostname",["` + h + `"]]]` }
	runCases(t, e, []queryCase{
		{"sources of the visits that entered on the host", day(`"visitors","visits"`, host("example.fr")+`,"dimensions":["visit:source"]`),
			[]string{"Facebook | 1 1"}},
		{"entry pages on the host", day(`"visits","bounce_rate"`, host("example.fr")+`,"dimensions":["visit:entry_page"]`),
			[]string{"/ | 1 100"}},
		{"entry pages on the other host", day(`"visits"`, host("shop.example.fr")+`,"dimensions":["visit:entry_page"]`),
			[]string{"/ | 1", "/x | 1"}},
		{"exit pages left from the host", day(`"visits"`, host("shop.example.fr")+`,"dimensions":["visit:exit_page"]`),
			[]string{}},
		{"exit pages, the other host", day(`"visits"`, host("example.fr")+`,"dimensions":["visit:exit_page"]`+`,"order_by":[["visit:exit_page","asc"]]`),
			[]string{"/ | 1", "/a | 1", "/y | 1"}},
		{"contains on the entry host", day(`"visits"`, `,"filters":[["contains","event:hostname",["shop"]]],"dimensions":["visit:source"]`+`,"order_by":[["visit:source","asc"]]`),
			[]string{"Direct / None | 1", "Google | 1"}},
		{"other dimensions keep the event rule", day(`"visitors","visits"`, host("example.fr")+`,"dimensions":["visit:country"]`),
			[]string{"FR | 3 3"}},
		{"no dimension: the event rule", day(`"visitors","visits","bounce_rate"`, host("shop.example.fr")),
			[]string{" | 2 2 0"}},
	})
}

// TestRevenueWarnings: as Plausible, the revenue metrics take their
// currency from the revenue goals that match the top-level goal filters
// (all goals without one); with none of them, revenue is null with the
// warning no_revenue_goals_matching, with a goal dimension too.
func TestRevenueWarnings(t *testing.T) {
	e := loaded(t, scenario(), at(20, 0))
	noRevenueGoals := []Goal{{ID: "g1", EventName: "Signup"}, {ID: "g4", PagePath: "/blog/**"}}
	oneCurrency := []Goal{{ID: "g1", EventName: "Signup"}, {ID: "g2", EventName: "Purchase", Currency: "EUR"}}
	cases := []struct {
		name  string
		goals []Goal
		body  string
		want  []string
		warn  string
	}{
		{"a goal filter on a goal without revenue", scenarioGoals, day(`"visitors","total_revenue"`, `,"filters":[["is","event:goal",["Signup"]]]`),
			[]string{" | 2 null"}, "no_revenue_goals_matching"},
		{"a goal dimension over goals without revenue", scenarioGoals, day(`"visitors","total_revenue"`, `,"dimensions":["event:goal"],"filters":[["is","event:goal",["Signup"]]]`),
			[]string{"Signup | 2 null"}, "no_revenue_goals_matching"},
		{"no goal filter, no revenue goal", noRevenueGoals, day(`"visitors","total_revenue"`, ``),
			[]string{" | 6 null"}, "no_revenue_goals_matching"},
		{"no goal filter, the revenue goals' one currency", oneCurrency, day(`"total_revenue","average_revenue"`, ``),
			[]string{" | 150.00 EUR 75.00 EUR"}, ""},
		{"a goal dimension with a revenue goal", scenarioGoals, day(`"total_revenue"`, `,"dimensions":["event:goal"],"filters":[["is","event:goal",["Signup","Purchase"]]]`),
			[]string{"Purchase | 150.00 EUR", "Signup | null"}, ""},
		{"several currencies", scenarioGoals, day(`"total_revenue"`, ``),
			[]string{" | null"}, "no_single_revenue_currency"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q, err := ParseQuery([]byte(c.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := e.Run(context.Background(), scenarioSite, c.goals, q)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(render(resp), "\n"); got != strings.Join(c.want, "\n") {
				t.Errorf("got\n\t%s\nwant\n\t%s", got, strings.Join(c.want, "\n\t"))
			}
			if got := resp.Meta.MetricWarnings[MTotalRevenue].Code; got != c.warn {
				t.Errorf("warning %q, want %q", got, c.warn)
			}
		})
	}
}

// TestExitRate: Plausible's exit_rate, with the visit:exit_page dimension
// alone: the visits that left from a page ÷ the page's pageviews in the
// range, %, 1 decimal; null for a page without pageviews in the range.
func TestExitRate(t *testing.T) {
	e := loaded(t, scenario(), at(20, 0))
	runCases(t, e, []queryCase{
		// S5 left from /docs after midnight: no pageview of /docs on the 10th.
		{"exit pages", day(`"visits","exit_rate"`, `,"dimensions":["visit:exit_page"],"order_by":[["visit:exit_page","asc"]]`),
			[]string{"/blog/hello | 2 100", "/checkout | 2 100", "/docs | 1 null", "/docs/api | 1 100", "/pricing | 1 50"}},
		{"sorted by exit rate", day(`"exit_rate"`, `,"dimensions":["visit:exit_page"],"order_by":[["exit_rate","asc"],["visit:exit_page","asc"]],"pagination":{"limit":2}`),
			[]string{"/docs | null", "/pricing | 50"}},
		{"with a visit filter", day(`"visits","exit_rate"`, `,"dimensions":["visit:exit_page"],"filters":[["is","visit:source",["Google"]]],"order_by":[["visit:exit_page","asc"]]`),
			[]string{"/checkout | 2 100", "/docs/api | 1 100", "/pricing | 1 50"}},
	})
	// A change of exit rate is in percent, as Plausible's compare.ex
	// writes every metric but the bounce and conversion rates; none
	// without both values.
	if got := change(MExitRate, 20.0, 25.0); got != 25.0 {
		t.Errorf("exit_rate change 20 → 25 = %v, want 25 (%%)", got)
	}
	if got := change(MExitRate, nil, 25.0); got != nil {
		t.Errorf("exit_rate change from null = %v, want null", got)
	}
	for _, bad := range []string{
		day(`"exit_rate"`, ``),
		day(`"exit_rate"`, `,"dimensions":["visit:exit_page","visit:source"]`),
		day(`"exit_rate"`, `,"dimensions":["visit:exit_page"],"filters":[["is","event:page",["/"]]]`),
		day(`"exit_rate","pageviews"`, `,"dimensions":["visit:exit_page"]`),
	} {
		if _, err := ParseQuery([]byte(bad)); err == nil {
			t.Errorf("accepted: %s", bad)
		}
	}
}

// TestScrollGoals: Plausible's scroll-depth goals. A page goal with a
// scroll threshold counts the visitors whose engagement events on a
// matching page reached the threshold (a depth above 100 is no reading);
// its events are those engagement events. Conversion rates take every
// visitor of the range as their denominator, as for any goal.
func TestScrollGoals(t *testing.T) {
	google := attrs("Google", "Organic Search", "FR", "FR-IDF", "Paris", 2988507, "Firefox", "Linux", "Desktop")
	// Beside the scenario (v1 scrolled /pricing to 80 %, v2 /blog/hello to
	// 50 %): v8 scrolls /blog/deep to 40 % then 95 %, v9's depth on
	// /blog/other is unknown (255).
	s9 := newVisit(1, 8, 801, at(16, 0), google).pv(0, "/blog/deep").
		engage(time.Minute, "/blog/deep", 10_000, 40).engage(3*time.Minute, "/blog/deep", 20_000, 95)
	s10 := newVisit(1, 9, 901, at(17, 0), google).pv(0, "/blog/other").engage(time.Minute, "/blog/other", 5_000, 255)
	e := loaded(t, append(scenario(), join(s9, s10)...), at(20, 0))
	goals := append(slices.Clone(scenarioGoals),
		Goal{ID: "g6", PagePath: "/blog/**", ScrollThreshold: 50},
		Goal{ID: "g7", PagePath: "/pricing", ScrollThreshold: 90},
		Goal{ID: "g8", PagePath: "/pricing", ScrollThreshold: 75, DisplayName: "Read pricing"})
	const scroll = `"Scroll 50% on /blog/**"`
	cases := []queryCase{
		{"the goal's name", day(`"visitors"`, `,"dimensions":["event:goal"],"filters":[["contains","event:goal",["Scroll"]]]`),
			[]string{"Scroll 50% on /blog/** | 2"}},
		{"conversions beside a page goal", day(`"visitors","events","conversion_rate"`,
			`,"dimensions":["event:goal"],"filters":[["is","event:goal",[`+scroll+`,"Visit /blog/**","Read pricing","Scroll 90% on /pricing"]]]`),
			[]string{"Visit /blog/** | 4 4 50", "Scroll 50% on /blog/** | 2 2 25", "Read pricing | 1 1 12.5"}},
		{"a goal filter alone", day(`"visitors","events","conversion_rate","pageviews"`, `,"filters":[["is","event:goal",[`+scroll+`]]]`),
			[]string{" | 2 2 25 0"}},
		{"by source", day(`"visitors"`, `,"dimensions":["visit:source"],"filters":[["is","event:goal",[`+scroll+`]]]`),
			[]string{"Direct / None | 1", "Google | 1"}},
		{"visits that did it", day(`"visits","bounce_rate"`, `,"filters":[["has_done",["is","event:goal",[`+scroll+`]]]]`),
			[]string{" | 2 100"}},
		{"is_not leaves engagement out", day(`"events"`, `,"filters":[["is_not","event:goal",[`+scroll+`]]]`),
			[]string{" | 16"}},
		{"the threshold not reached", day(`"visitors"`, `,"filters":[["is","event:goal",["Scroll 90% on /pricing"]]]`),
			[]string{" | 0"}},
		{"by day", day(`"visitors"`, `,"dimensions":["time:day"],"filters":[["is","event:goal",[`+scroll+`]]]`),
			[]string{"2026-06-10 | 2"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q, err := ParseQuery([]byte(c.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := e.Run(context.Background(), scenarioSite, goals, q)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(render(resp), "\n"); got != strings.Join(c.want, "\n") {
				t.Errorf("got\n\t%s\nwant\n\t%s", got, strings.Join(c.want, "\n\t"))
			}
		})
	}
	t.Run("funnel", func(t *testing.T) {
		q, err := ParseQuery([]byte(day(`"visitors"`, ``)))
		if err != nil {
			t.Fatal(err)
		}
		f, err := e.Funnel(context.Background(), scenarioSite, []Goal{goals[3], goals[5]}, 0, q, goals...)
		if err != nil {
			t.Fatal(err)
		}
		if got := []uint64{f.EnteringVisitors, f.Steps[0].Visitors, f.Steps[1].Visitors}; !slices.Equal(got, []uint64{4, 4, 2}) {
			t.Errorf("entering, steps %v, want [4 4 2]", got)
		}
	})
}

// TestMoneyDisplay: revenue values as Plausible's: value in thousandths
// (its Decimal64(3)), long with the currency's decimals and short with one
// decimal and K/M/B, both rounded half to even, with the English symbol.
func TestMoneyDisplay(t *testing.T) {
	cases := []struct {
		milli int64
		cur   string
		want  string
	}{
		{112_000, "EUR", `{"short":"€112.0","long":"€112.00","value":112,"currency":"EUR"}`},
		{56_000, "EUR", `{"short":"€56.0","long":"€56.00","value":56,"currency":"EUR"}`},
		{166_733_566_748, "EUR", `{"short":"€166.7M","long":"€166,733,566.75","value":166733566.748,"currency":"EUR"}`},
		{500_200_700_250, "EUR", `{"short":"€500.2M","long":"€500,200,700.25","value":500200700.25,"currency":"EUR"}`},
		{1_999_980, "USD", `{"short":"$2.0K","long":"$1,999.98","value":1999.98,"currency":"USD"}`},
		{149_995, "EUR", `{"short":"€150.0","long":"€150.00","value":149.995,"currency":"EUR"}`},
		{125, "GBP", `{"short":"£0.1","long":"£0.12","value":0.125,"currency":"GBP"}`},
		{-5_000, "EUR", `{"short":"-€5.0","long":"-€5.00","value":-5,"currency":"EUR"}`},
		{10_500, "CHF", "{\"short\":\"CHF\u00a010.5\",\"long\":\"CHF\u00a010.50\",\"value\":10.5,\"currency\":\"CHF\"}"},
		{1_234_500_000, "JPY", `{"short":"¥1.2M","long":"¥1,234,500","value":1234500,"currency":"JPY"}`},
		{2_500_000_000_000, "CAD", `{"short":"CA$2.5B","long":"CA$2,500,000,000.00","value":2500000000,"currency":"CAD"}`},
	}
	for _, c := range cases {
		b, err := json.Marshal(&Money{Milli: c.milli, Currency: c.cur})
		if err != nil || string(b) != c.want {
			t.Errorf("%d %s: %s (%v), want %s", c.milli, c.cur, b, err, c.want)
		}
	}
}

// TestRegionNames: visit:region_name is the subdivision's ISO 3166-2 name
// (Debian's iso-codes, regions.go), as Plausible gives a name; filters on
// it match names, and visit:region keeps the code.
func TestRegionNames(t *testing.T) {
	e := loaded(t, scenario(), at(20, 0))
	runCases(t, e, []queryCase{
		{"names", day(`"visitors"`, `,"dimensions":["visit:region_name"],"pagination":{"limit":2}`),
			[]string{"Île-de-France | 2", "Brussels Hoofdstedelijk Gewest | 1"}},
		{"codes", day(`"visitors"`, `,"dimensions":["visit:region"],"pagination":{"limit":1}`),
			[]string{"FR-IDF | 2"}},
		{"is a name", day(`"visitors"`, `,"filters":[["is","visit:region_name",["Auvergne-Rhône-Alpes","New York"]]]`),
			[]string{" | 2"}},
		{"contains, ignoring case", day(`"visitors"`, `,"filters":[["contains","visit:region_name",["de-france"],{"case_sensitive":false}]]`),
			[]string{" | 2"}},
		{"is_not", day(`"visitors"`, `,"filters":[["is_not","visit:region_name",["Île-de-France"]]]`),
			[]string{" | 4"}},
		{"a name and a code by region", day(`"visitors"`, `,"dimensions":["visit:region","visit:region_name"],"filters":[["is","visit:country",["DE"]]]`),
			[]string{"DE-BE Berlin | 1"}},
	})
}

// BenchmarkMoneyJSON: a revenue value with its display strings, as every
// revenue cell of a response writes it.
func BenchmarkMoneyJSON(b *testing.B) {
	m := &Money{Milli: 166_733_566_748, Currency: "EUR"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.MarshalJSON(); err != nil {
			b.Fatal(err)
		}
	}
}

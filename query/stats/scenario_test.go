package stats

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
)

// render shows results one row a line: "dims | metrics".
func render(resp *Response) []string {
	out := []string{}
	for _, r := range resp.Results {
		out = append(out, renderRow(r.Dimensions, r.Metrics))
		if c := r.Comparison; c != nil {
			out[len(out)-1] += " ~ " + renderRow(c.Dimensions, c.Metrics) + " Δ " + renderVals(c.Change)
		}
	}
	return out
}

func renderRow(dims, metrics []any) string {
	return renderVals(dims) + " | " + renderVals(metrics)
}

func renderVals(vs []any) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		switch x := v.(type) {
		case nil:
			parts[i] = "null"
		case *Money:
			parts[i] = x.String()
		default:
			parts[i] = fmt.Sprint(x)
		}
	}
	return strings.Join(parts, " ")
}

type queryCase struct {
	name string
	body string
	want []string
}

func runCases(t *testing.T, e *Engine, cases []queryCase) {
	t.Helper()
	runSiteCases(t, e, scenarioSite, scenarioGoals, cases)
}

// runSiteCases runs cases for a site and its goals.
func runSiteCases(t *testing.T, e *Engine, site sillage.Site, goals []Goal, cases []queryCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q, err := ParseQuery([]byte(c.body))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			resp, err := e.Run(context.Background(), site, goals, q)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if got := render(resp); strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("got\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(c.want, "\n\t"))
			}
		})
	}
}

// day wraps metrics and extra fields into a request over 2026-06-10.
func day(metrics string, extra string) string {
	return `{"site_id":"example.fr","date_range":"day","date":"2026-06-10","metrics":[` + metrics + `]` + extra + `}`
}

func TestScenario(t *testing.T) {
	e := loaded(t, scenario(), at(20, 0))
	runCases(t, e, []queryCase{
		{"top stats", day(`"visitors","visits","pageviews","views_per_visit","bounce_rate","visit_duration","events"`, ``),
			[]string{" | 6 7 9 1.43 29 240 14"}},
		{"next day counts the session crossing midnight",
			`{"site_id":"example.fr","date_range":["2026-06-11","2026-06-11"],"metrics":["visitors","visits","pageviews","bounce_rate","visit_duration"]}`,
			[]string{" | 1 1 1 0 960"}},
		{"two days count each visitor and visit once",
			`{"site_id":"example.fr","date_range":["2026-06-10","2026-06-11"],"metrics":["visitors","visits","pageviews"]}`,
			[]string{" | 6 7 10"}},
		{"daily series: a visit counts on the day it started",
			`{"site_id":"example.fr","date_range":["2026-06-10","2026-06-11"],"metrics":["visitors","visits","pageviews"],"dimensions":["time:day"]}`,
			[]string{"2026-06-10 | 6 7 9", "2026-06-11 | 1 0 1"}},
		{"top pages", day(`"visitors","pageviews","bounce_rate","time_on_page","scroll_depth","visits"`, `,"dimensions":["event:page"]`),
			[]string{
				"/ | 2 2 0 null null 2",
				"/blog/hello | 2 2 100 90 50 2",
				"/checkout | 2 2 0 null null 2",
				"/docs/api | 1 1 0 null null 1",
				"/pricing | 1 2 0 30 80 2",
			}},
		{"entry pages", day(`"visitors","visits","bounce_rate","visit_duration"`, `,"dimensions":["visit:entry_page"]`),
			[]string{
				"/ | 2 2 0 690",
				"/blog/hello | 2 2 100 0",
				"/checkout | 1 1 0 60",
				"/docs/api | 1 1 0 60",
				"/pricing | 1 1 0 180",
			}},
		{"exit pages", day(`"visitors","visits"`, `,"dimensions":["visit:exit_page"]`),
			[]string{"/blog/hello | 2 2", "/checkout | 2 2", "/docs | 1 1", "/docs/api | 1 1", "/pricing | 1 1"}},
		{"entry pages with revenue join events to sessions", day(`"visitors","total_revenue"`, `,"dimensions":["visit:entry_page"],"filters":[["is","event:goal",["Purchase"]]]`),
			[]string{"/checkout | 1 100.00 EUR", "/pricing | 1 49.99 EUR"}},
		{"sources", day(`"visitors","visits","bounce_rate","percentage"`, `,"dimensions":["visit:source"]`),
			[]string{"Google | 3 4 0 50", "Bing | 1 1 0 16.7", "Direct / None | 1 1 100 16.7", "Facebook | 1 1 100 16.7"}},
		{"channels", day(`"visitors"`, `,"dimensions":["visit:channel"]`),
			[]string{"Organic Search | 3", "Direct | 1", "Organic Social | 1", "Paid Search | 1"}},
		{"utm campaigns", day(`"visitors"`, `,"dimensions":["visit:utm_campaign"]`),
			[]string{"(not set) | 4", "brand | 1", "summer | 1"}},
		{"countries", day(`"visitors"`, `,"dimensions":["visit:country_name","visit:country"]`),
			[]string{"France FR | 3", "Belgium BE | 1", "Germany DE | 1", "United States US | 1"}},
		{"visits by goal: the sessions that converted", day(`"visitors","visits","events"`, `,"dimensions":["event:goal"]`),
			[]string{"Signup | 2 2 2", "Purchase | 2 2 2", "Visit /blog/** | 2 2 2", "Visit /docs/* | 1 1 1"}},
		{"visits by event name", day(`"visitors","visits"`, `,"dimensions":["event:name"]`),
			[]string{"pageview | 6 7", "Purchase | 2 2", "Signup | 2 2", "Outbound Link: Click | 1 1"}},
		{"views per visit of the visitors who saw a page (has_done)", day(`"visitors","views_per_visit"`, `,"filters":[["has_done",["is","event:page",["/pricing"]]]]`),
			[]string{" | 1 2"}},
		{"countries sorted by name", day(`"visitors"`, `,"dimensions":["visit:country_name"],"order_by":[["visit:country_name","asc"]]`),
			[]string{"Belgium | 1", "France | 3", "Germany | 1", "United States | 1"}},
		{"cities", day(`"visitors","visits"`, `,"dimensions":["visit:city","visit:city_name"],"filters":[["is","visit:country",["FR"]]]`),
			[]string{"2988507 Paris | 2 3", "2996944 Lyon | 1 1"}},
		{"goals over two days", `{"site_id":"example.fr","date_range":["2026-06-10","2026-06-11"],"metrics":["visitors","events","conversion_rate","total_revenue","average_revenue"],"dimensions":["event:goal"]}`,
			[]string{
				"Signup | 2 2 33.33 null null",
				"Purchase | 2 2 33.33 150.00 EUR 75.00 EUR",
				"Visit /blog/** | 2 2 33.33 null null",
				"Subscribe | 1 1 16.67 20.00 USD 20.00 USD",
				"Visit /docs/* | 1 1 16.67 null null",
			}},
		{"goal filter", day(`"visitors","events","conversion_rate","total_revenue"`, `,"filters":[["is","event:goal",["Purchase"]]]`),
			[]string{" | 2 2 33.33 150.00 EUR"}}, // 49.990 + 100.005, half away from zero
		{"revenue in two currencies is null", `{"site_id":"example.fr","date_range":["2026-06-10","2026-06-11"],"metrics":["total_revenue"]}`,
			[]string{" | null"}},
		{"goal filter with contains", day(`"visitors","conversion_rate"`, `,"filters":[["contains","event:goal",["sign","purch"],{"case_sensitive":false}]]`),
			[]string{" | 3 50"}}, // v1, v5, v7
		{"group conversion rate", day(`"visitors","group_conversion_rate"`, `,"dimensions":["visit:source","event:goal"],"order_by":[["visit:source","asc"],["event:goal","asc"]]`),
			[]string{
				"Direct / None Visit /blog/** | 1 100",
				"Facebook Visit /blog/** | 1 100",
				"Google Signup | 2 66.67",
				"Google Purchase | 2 66.67",
				"Google Visit /docs/* | 1 33.33",
			}},
		{"source filter", day(`"visitors","visits","pageviews","bounce_rate"`, `,"filters":[["is","visit:source",["Google"]]]`),
			[]string{" | 3 4 6 0"}},
		{"direct filter", day(`"visitors","visits","bounce_rate"`, `,"filters":[["is","visit:source",["Direct / None"]]]`),
			[]string{" | 1 1 100"}},
		{"direct filter, case-insensitive", day(`"visitors","visits","bounce_rate"`, `,"filters":[["is","visit:source",["direct / none"],{"case_sensitive":false}]]`),
			[]string{" | 1 1 100"}},
		{"country (not set) filter: every visitor here has a country", day(`"visitors"`, `,"filters":[["is","visit:country",["(not set)"]]]`),
			[]string{" | 0"}},
		{"(not set) filter, case-insensitive", day(`"visitors"`, `,"filters":[["is","visit:utm_campaign",["(Not Set)"],{"case_sensitive":false}]]`),
			[]string{" | 4"}},
		{"page filter: visits that saw it, bounce rate of visits that entered there", day(`"visitors","visits","pageviews","bounce_rate"`, `,"filters":[["is","event:page",["/pricing"]]]`),
			[]string{" | 1 2 2 0"}},
		{"page filter on a bounce page", day(`"visitors","visits","bounce_rate","visit_duration"`, `,"filters":[["is","event:page",["/blog/hello"]]]`),
			[]string{" | 2 2 100 0"}},
		{"contains, case-insensitive", day(`"visitors"`, `,"filters":[["contains","event:page",["BLOG"],{"case_sensitive":false}]]`),
			[]string{" | 2"}},
		{"contains is case-sensitive by default", day(`"visitors"`, `,"filters":[["contains","event:page",["BLOG"]]]`),
			[]string{" | 0"}},
		{"matches", day(`"visitors","pageviews"`, `,"filters":[["matches","event:page",["^/docs"]]]`),
			[]string{" | 1 1"}},
		{"matches_not", day(`"visitors"`, `,"filters":[["matches_not","event:page",["^/(blog|docs)"]],["is","event:name",["pageview"]]]`),
			[]string{" | 3"}},
		{"not", day(`"visitors","visits"`, `,"filters":[["not",["is","visit:country",["FR"]]]]`),
			[]string{" | 3 3"}},
		{"or", day(`"visitors","visits"`, `,"filters":[["or",[["is","visit:browser",["Safari"]],["is","visit:device",["Desktop"]]]]]`),
			[]string{" | 5 6"}},
		{"city id", day(`"visitors","visits"`, `,"filters":[["is","visit:city",[2988507]]]`),
			[]string{" | 2 3"}},
		{"country name", day(`"visitors"`, `,"filters":[["is","visit:country_name",["germany","Belgium"],{"case_sensitive":false}]]`),
			[]string{" | 2"}},
		{"entry page filter", day(`"visitors","visits","pageviews"`, `,"filters":[["is","visit:entry_page",["/"]]]`),
			[]string{" | 2 2 3"}},
		{"has_done", day(`"visitors","visits","pageviews"`, `,"filters":[["has_done",["is","event:goal",["Signup"]]]]`),
			[]string{" | 2 2 3"}},
		{"has_not_done", day(`"visitors","visits"`, `,"filters":[["has_not_done",["is","event:name",["Signup"]]]]`),
			[]string{" | 5 5"}},
		{"event filters on sessions hold for one event", day(`"visits"`, `,"filters":[["is","event:page",["/pricing"]],["is","event:name",["Signup"]]]`),
			[]string{" | 1"}},
		{"custom property breakdown", day(`"visitors","events"`, `,"dimensions":["event:props:plan"]`),
			[]string{"(none) | 6 12", "free | 1 1", "pro | 1 1"}},
		{"custom property filter with (none)", day(`"visitors","events"`, `,"filters":[["is","event:props:plan",["pro","(none)"]]]`),
			[]string{" | 6 13"}},
		{"custom property is_not", day(`"events"`, `,"filters":[["is_not","event:props:plan",["pro"]]]`),
			[]string{" | 13"}},
		{"views per visit by source", day(`"visits","views_per_visit"`, `,"dimensions":["visit:source"]`),
			[]string{"Google | 4 1.5", "Bing | 1 2", "Direct / None | 1 1", "Facebook | 1 1"}},
		{"pagination and total rows", day(`"visitors"`, `,"dimensions":["event:page"],"pagination":{"limit":2,"offset":1},"include":{"total_rows":true}`),
			[]string{"/blog/hello | 2", "/checkout | 2"}},
		{"order by dimension", day(`"visitors"`, `,"dimensions":["visit:browser"],"order_by":[["visit:browser","desc"]]`),
			[]string{"Safari | 1", "Firefox | 1", "Edge | 1", "Chrome | 3"}},
		{"hostname", day(`"visitors","events"`, `,"dimensions":["event:hostname"]`),
			[]string{"example.fr | 6 14"}},
		{"comparison with the previous day", `{"site_id":"example.fr","date_range":"day","date":"2026-06-11","metrics":["visitors","visits","bounce_rate"],"include":{"comparisons":{"mode":"previous_period"}}}`,
			[]string{" | 1 1 0 ~  | 6 7 29 Δ -83 -86 -29"}},
		{"comparison of a breakdown", `{"site_id":"example.fr","date_range":"day","date":"2026-06-11","metrics":["visitors"],"dimensions":["visit:source"],"include":{"comparisons":{"mode":"custom","date_range":["2026-06-10","2026-06-10"]}}}`,
			[]string{"Bing | 1 ~ Bing | 1 Δ 0"}},
	})
}

func TestTotalRows(t *testing.T) {
	e := loaded(t, scenario(), at(20, 0))
	q, err := ParseQuery([]byte(day(`"visitors"`, `,"dimensions":["event:page"],"pagination":{"limit":2},"include":{"total_rows":true}`)))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := e.Run(context.Background(), scenarioSite, scenarioGoals, q)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Meta.TotalRows == nil || *resp.Meta.TotalRows != 5 || len(resp.Results) != 2 {
		t.Fatalf("total_rows %v, %d rows; want 5 and 2", resp.Meta.TotalRows, len(resp.Results))
	}
}

// A compared time series shows every day, empty ones too, and pages over
// them all: a page holds the days it should, with their own numbers.
func TestComparedSeriesPages(t *testing.T) {
	e := loaded(t, scenario(), at(20, 0))
	cases := []struct {
		offset int
		want   []string
	}{
		{0, []string{"2026-06-05 0", "2026-06-06 0"}},
		{4, []string{"2026-06-09 0", "2026-06-10 6"}},
		{6, []string{"2026-06-11 1"}},
	}
	for _, c := range cases {
		q, err := ParseQuery([]byte(fmt.Sprintf(`{"site_id":"example.fr","date_range":["2026-06-05","2026-06-11"],"metrics":["visitors"],
			"dimensions":["time:day"],"pagination":{"limit":2,"offset":%d},"include":{"total_rows":true,"comparisons":{"mode":"previous_period"}}}`, c.offset)))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := e.Run(context.Background(), scenarioSite, scenarioGoals, q)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range resp.Results {
			got = append(got, fmt.Sprint(r.Dimensions[0], " ", r.Metrics[0]))
			if r.Comparison == nil {
				t.Errorf("offset %d: %v has no comparison", c.offset, r.Dimensions)
			}
		}
		if resp.Meta.TotalRows == nil || *resp.Meta.TotalRows != 7 {
			t.Errorf("offset %d: total_rows %v, want 7", c.offset, resp.Meta.TotalRows)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("offset %d: %q, want %q", c.offset, got, c.want)
		}
	}
}

// A session whose only event of a day is an engagement event (its page
// left just after midnight) is no visit of that day: engagement joins a
// session without extending it.
func TestEngagementAloneMakesNoVisit(t *testing.T) {
	v := newVisit(1, 901, 9001, at(23, 50), attrs("Google", "Organic Search", "FR", "FR-IDF", "Paris", 2988507, "Firefox", "Linux", "Desktop")).
		pv(0, "/").engage(15*time.Minute, "/", 60000, 80)
	e := loaded(t, v.events, at(23, 50).Add(24*time.Hour))
	runCases(t, e, []queryCase{
		{"the day it started", day(`"visitors","visits"`, ``), []string{" | 1 1"}},
		{"the next day", `{"site_id":"example.fr","date_range":["2026-06-11","2026-06-11"],"metrics":["visitors","visits"]}`,
			[]string{" | 0 0"}},
		{"sources of the next day", `{"site_id":"example.fr","date_range":["2026-06-11","2026-06-11"],"metrics":["visitors","visits"],"dimensions":["visit:source"]}`,
			[]string{}},
	})
}

func TestRealtime(t *testing.T) {
	e := loaded(t, scenario(), at(14, 4))
	n, err := e.Realtime(context.Background(), scenarioSite)
	if err != nil || n != 1 {
		t.Fatalf("realtime at 14:04 = %d, %v; want 1 (S4's visitor)", n, err)
	}
	e.Now = func() time.Time { return at(10, 3) }
	n, err = e.Realtime(context.Background(), scenarioSite)
	if err != nil || n != 1 {
		t.Fatalf("realtime at 10:03 = %d, %v; want 1 (the engagement event at 10:02)", n, err)
	}
	e.Now = func() time.Time { return at(18, 0) }
	if n, err = e.Realtime(context.Background(), scenarioSite); err != nil || n != 0 {
		t.Fatalf("realtime at 18:00 = %d, %v; want 0", n, err)
	}
}

func TestFunnel(t *testing.T) {
	e := loaded(t, scenario(), at(20, 0))
	steps := []Goal{{PagePath: "/"}, {PagePath: "/pricing"}, {EventName: "Purchase"}}
	q := &Query{DateRange: DateRange{Period: "day"}, Date: "2026-06-10"}
	cases := []struct {
		window time.Duration
		counts []uint64
	}{
		// v1: / 09:00 → /pricing 09:05 → Purchase 14:03; v4 only enters.
		{24 * time.Hour, []uint64{2, 1, 1}},
		// Within an hour of 09:00, v1 does not reach the purchase.
		{time.Hour, []uint64{2, 1, 0}},
	}
	for _, c := range cases {
		res, err := e.Funnel(context.Background(), scenarioSite, steps, c.window, q)
		if err != nil {
			t.Fatal(err)
		}
		if res.AllVisitors != 6 || res.EnteringVisitors != 2 || res.NeverEnteringVisitors != 4 {
			t.Fatalf("window %v: all %d entering %d never %d", c.window, res.AllVisitors, res.EnteringVisitors, res.NeverEnteringVisitors)
		}
		if len(res.Steps) != len(c.counts) {
			t.Fatalf("window %v: %d steps, want %d", c.window, len(res.Steps), len(c.counts))
		}
		for i, s := range res.Steps {
			if s.Visitors != c.counts[i] {
				t.Errorf("window %v step %d (%s): %d visitors, want %d", c.window, i, s.Label, s.Visitors, c.counts[i])
			}
		}
	}
	res, err := e.Funnel(context.Background(), scenarioSite, steps, 24*time.Hour, q)
	if err != nil {
		t.Fatal(err)
	}
	want := []FunnelStep{
		{Label: "Visit /", Visitors: 2, ConversionRate: 100, ConversionRateStep: 100},
		{Label: "Visit /pricing", Visitors: 1, ConversionRate: 50, ConversionRateStep: 50, DropOff: 1, DropOffPercentage: 50},
		{Label: "Purchase", Visitors: 1, ConversionRate: 50, ConversionRateStep: 100},
	}
	for i := range want {
		if res.Steps[i] != want[i] {
			t.Errorf("step %d: %+v, want %+v", i, res.Steps[i], want[i])
		}
	}
	if res.ConversionRate != 50 {
		t.Errorf("conversion rate %v, want 50", res.ConversionRate)
	}
	// Visit filters narrow the visitors; event filters are refused.
	q.Filters = []Filter{{Op: "is", Dimension: "visit:country", Values: []string{"US"}}}
	if res, err := e.Funnel(context.Background(), scenarioSite, steps, 0, q); err != nil || res.AllVisitors != 1 || res.Steps[0].Visitors != 1 || res.Steps[1].Visitors != 0 {
		t.Fatalf("US funnel: %+v %v", res, err)
	}
	q.Filters = []Filter{{Op: "is", Dimension: "event:page", Values: []string{"/"}}}
	if _, err := e.Funnel(context.Background(), scenarioSite, steps, 0, q); !isQueryError(err) {
		t.Fatalf("event filter on a funnel: %v, want a QueryError", err)
	}
	if _, err := e.Funnel(context.Background(), scenarioSite, steps[:1], 0, q); !isQueryError(err) {
		t.Fatalf("one-step funnel: %v, want a QueryError", err)
	}
}

func isQueryError(err error) bool {
	_, ok := err.(*QueryError)
	return ok
}

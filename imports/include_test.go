package imports

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/query/stats"
)

// Imported days before the first native day add to the numbers; from that
// day on, native data wins; what imported data cannot answer says so.
func TestIncludeImports(t *testing.T) {
	ctx := context.Background()
	m, e := newManager(t)
	site := sillage.Site{ID: 5, Domain: "x.fr", Timezone: "Europe/Paris"}
	se := &stats.Engine{Store: e, Now: func() time.Time { return time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC) }}
	run := func(q stats.Query) *stats.Response {
		t.Helper()
		q.Pagination.Limit = 100
		resp, err := se.Run(ctx, site, nil, &q)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	q := stats.Query{Metrics: []string{"visitors", "pageviews"}, DateRange: stats.DateRange{From: "2025-03-01", To: "2025-03-06"},
		Dimensions: []string{"time:day"}, Include: stats.Include{Imports: true}}
	if r := run(q); r.Meta.ImportsIncluded == nil || *r.Meta.ImportsIncluded || r.Meta.ImportsSkipReason != "no_imported_data" {
		t.Fatalf("without imports: %+v", r.Meta)
	}
	// Native events on March 4 and 5 (Paris), one visitor each day.
	for i, day := range []int{4, 5} {
		ts := time.Date(2025, 3, day, 10, 0, 0, 0, time.UTC)
		ev := sillage.Event{SiteID: 5, Timestamp: ts, SessionStart: ts, Name: "pageview", VisitorID: uint64(100 + i), SessionID: uint64(200 + i),
			Hostname: "x.fr", Pathname: "/", Props: map[string]string{}}
		if err := e.InsertEvents(ctx, "", []sillage.Event{ev}); err != nil {
			t.Fatal(err)
		}
	}
	csv := "date,visitors,pageviews,bounces,visits,visit_duration\n" +
		"2025-03-02,10,20,5,12,600\n2025-03-03,30,40,10,31,900\n2025-03-04,50,60,1,50,100\n2025-03-05,70,80,1,70,100\n"
	j, _, err := m.Submit(ctx, 5, SourcePlausible, "imported_visitors_20250302_20250305.csv", strings.NewReader(csv), "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Process(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	r := run(q)
	if r.Meta.ImportsIncluded == nil || !*r.Meta.ImportsIncluded {
		t.Fatalf("meta %+v", r.Meta)
	}
	got := map[string][2]float64{}
	for _, row := range r.Results {
		got[row.Dimensions[0].(string)] = [2]float64{num(row.Metrics[0]), num(row.Metrics[1])}
	}
	want := map[string][2]float64{"2025-03-02": {10, 20}, "2025-03-03": {30, 40}, "2025-03-04": {1, 1}, "2025-03-05": {1, 1}}
	for d, w := range want {
		if got[d] != w {
			t.Errorf("%s: %v, want %v (all %v)", d, got[d], w, got)
		}
	}
	// Without the flag, native only.
	if r.Meta.ImportsEnd != "2025-03-03" {
		t.Errorf("imports end %q, want the day before the first native day", r.Meta.ImportsEnd)
	}
	q2 := q
	q2.Include.Imports = false
	if r := run(q2); len(r.Results) != 2 || r.Meta.ImportsIncluded != nil {
		t.Errorf("without include: %d rows, meta %+v", len(r.Results), r.Meta)
	}
	// Bounce rate and duration of the totals: (5+10)/(12+31) bounces over
	// imported visits, plus the native visits.
	tot := run(stats.Query{Metrics: []string{"visits", "bounce_rate"}, DateRange: q.DateRange, Include: stats.Include{Imports: true}})
	if v := num(tot.Results[0].Metrics[0]); v != 12+31+2 {
		t.Errorf("visits %v, want 45", v)
	}
	if b := num(tot.Results[0].Metrics[1]); b != 38 { // (5+10+2)/45 = 37.8 %
		t.Errorf("bounce rate %v, want 38", b)
	}
	// What imported data does not keep is named.
	for _, c := range []struct {
		q      stats.Query
		reason string
		names  string
	}{
		{stats.Query{Metrics: []string{"visitors"}, Dimensions: []string{"event:props:author"}}, "unsupported_query", "event:props:author"},
		{stats.Query{Metrics: []string{"visitors"}, Dimensions: []string{"visit:source"}, Filters: []stats.Filter{{Op: "is", Dimension: "visit:country", Values: []string{"FR"}}}},
			"unsupported_query", "visit:source and visit:country"},
		{stats.Query{Metrics: []string{"visitors"}, Dimensions: []string{"time:hour"}}, "unsupported_interval", "the time dimension (i.e. the interval) is too short"},
		{stats.Query{Metrics: []string{"scroll_depth"}, Dimensions: []string{"event:page"}}, "unsupported_query", "scroll_depth"},
	} {
		c.q.DateRange, c.q.Include.Imports = stats.DateRange{From: "2025-03-01", To: "2025-03-03"}, true
		r := run(c.q)
		if r.Meta.ImportsIncluded == nil || *r.Meta.ImportsIncluded || r.Meta.ImportsSkipReason != c.reason || !strings.Contains(r.Meta.ImportsWarning, c.names) {
			t.Errorf("%v: meta %+v", c.q.Dimensions, r.Meta)
		}
	}
	// An import outside the range says so, without a warning.
	out := run(stats.Query{Metrics: []string{"visitors"}, DateRange: stats.DateRange{From: "2024-01-01", To: "2024-01-31"}, Include: stats.Include{Imports: true}})
	if out.Meta.ImportsSkipReason != "out_of_range" || out.Meta.ImportsWarning != "" {
		t.Errorf("out of range: %+v", out.Meta)
	}
	// "all" begins with the imported history.
	all := run(stats.Query{Metrics: []string{"visitors"}, DateRange: stats.DateRange{Period: "all"}, Include: stats.Include{Imports: true}})
	if !strings.HasPrefix(all.Query.DateRange[0], "2025-03-02") || num(all.Results[0].Metrics[0]) != 42 {
		t.Errorf("all: %v %v", all.Query.DateRange, all.Results)
	}
}

func num(v any) float64 {
	switch x := v.(type) {
	case uint64:
		return float64(x)
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return -1
}

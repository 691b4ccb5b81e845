package stats

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/store/storetest"
)

// TestSampling reads a large range through a sample and checks the
// estimates against the exact numbers of the same store.
func TestSampling(t *testing.T) {
	end := time.Date(2026, 6, 30, 12, 0, 0, 0, time.UTC)
	st := storetest.Migrated(t)
	// 200 000 events: sessions of 4 events, 3 sessions per visitor, visitor
	// ids spread over all of UInt64 like the collector's hashes.
	insert := fmt.Sprintf(`INSERT INTO events (site_id, ts, name, visitor_id, session_id, session_start, hostname, pathname,
		referrer_source, channel, revenue_amount, revenue_currency, interactive)
	SELECT 1, start + toIntervalSecond((number %% 4) * 60 * (cityHash64(intDiv(number, 4)) %% 2)) AS ts,
		if(number %% 20 = 3, 'Purchase', 'pageview') AS name,
		cityHash64(intDiv(number, 12)) AS visitor_id, intDiv(number, 4) AS session_id,
		toDateTime64('%s', 3, 'UTC') - toIntervalSecond(cityHash64(intDiv(number, 4)) %% (20 * 86400)) AS start,
		'example.com', concat('/page/', toString(number %% 7)),
		['', 'Google', 'Bing'][cityHash64(intDiv(number, 4), 2) %% 3 + 1], 'Organic Search',
		if(name = 'Purchase', toDecimal64(12.5, 2), 0), if(name = 'Purchase', 'EUR', ''), true
	FROM numbers(200000)`, end.Format("2006-01-02 15:04:05"))
	if err := st.Exec(context.Background(), insert, nil); err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return end }
	exact := &Engine{Store: st, Now: now, SampleAbove: math.MaxUint64}
	sampled := &Engine{Store: st, Now: now, SampleAbove: 50_000}
	site := sillage.Site{ID: 1, Domain: "example.com", Timezone: "UTC"}
	goals := []Goal{{EventName: "Purchase", Currency: "EUR"}}
	run := func(e *Engine, body string) *Response {
		t.Helper()
		q, err := ParseQuery([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := e.Run(context.Background(), site, goals, q)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	near := func(what string, got, want any, tolerance float64) {
		t.Helper()
		g, w := toFloat(got), toFloat(want)
		if math.Abs(g-w) > tolerance*w {
			t.Errorf("%s: sampled %v, exact %v: more than %.0f%% apart", what, got, want, tolerance*100)
		}
	}

	top := `{"site_id":"example.com","date_range":"30d","metrics":["visitors","visits","pageviews","bounce_rate","visit_duration"]}`
	e, s := run(exact, top), run(sampled, top)
	if e.Meta.SamplePercent != 0 || s.Meta.SamplePercent < 20 || s.Meta.SamplePercent > 30 {
		t.Fatalf("sample percent: exact %v, sampled %v (want about 25)", e.Meta.SamplePercent, s.Meta.SamplePercent)
	}
	if fmt.Sprint(s.Results[0].Metrics) == fmt.Sprint(e.Results[0].Metrics) {
		t.Fatalf("sampled and exact answers are identical (%v): the sample read everything", s.Results[0].Metrics)
	}
	for i, m := range []string{"visitors", "visits", "pageviews", "bounce_rate", "visit_duration"} {
		near(m, s.Results[0].Metrics[i], e.Results[0].Metrics[i], 0.1)
	}
	if again := run(sampled, top); fmt.Sprint(again.Results) != fmt.Sprint(s.Results) {
		t.Errorf("a sample is not stable: %v then %v", s.Results, again.Results)
	}

	// Breakdowns: every group scaled; the sessions and events of a visitor
	// are sampled together, so bounce rates stay in line.
	bySource := `{"site_id":"example.com","date_range":"30d","metrics":["visitors","bounce_rate"],"dimensions":["visit:source"],"order_by":[["visit:source","asc"]]}`
	e, s = run(exact, bySource), run(sampled, bySource)
	if len(e.Results) != 3 || len(s.Results) != 3 {
		t.Fatalf("sources: exact %v, sampled %v", e.Results, s.Results)
	}
	for i := range e.Results {
		near(fmt.Sprint(e.Results[i].Dimensions, " visitors"), s.Results[i].Metrics[0], e.Results[i].Metrics[0], 0.15)
		near(fmt.Sprint(e.Results[i].Dimensions, " bounce rate"), s.Results[i].Metrics[1], e.Results[i].Metrics[1], 0.15)
	}

	// Money is never estimated.
	revenue := `{"site_id":"example.com","date_range":"30d","metrics":["visitors","total_revenue"],"filters":[["is","event:goal",["Purchase"]]]}`
	e, s = run(exact, revenue), run(sampled, revenue)
	if s.Meta.SamplePercent != 0 || fmt.Sprint(s.Results) != fmt.Sprint(e.Results) {
		t.Errorf("revenue was sampled: %v (%v%%), exact %v", s.Results, s.Meta.SamplePercent, e.Results)
	}

	fq, err := ParseQuery([]byte(`{"site_id":"example.com","date_range":"30d","metrics":["visitors"]}`))
	if err != nil {
		t.Fatal(err)
	}
	steps := []Goal{{PagePath: "/page/0"}, {EventName: "Purchase"}}
	fe, err := exact.Funnel(context.Background(), site, steps, time.Hour, fq)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := sampled.Funnel(context.Background(), site, steps, time.Hour, fq)
	if err != nil {
		t.Fatal(err)
	}
	if fs.SamplePercent == 0 {
		t.Fatal("the funnel was not sampled")
	}
	near("funnel visitors", fs.AllVisitors, fe.AllVisitors, 0.1)
	if len(fe.Steps) != len(steps) || len(fs.Steps) != len(steps) {
		t.Fatalf("%d and %d funnel steps, want %d", len(fe.Steps), len(fs.Steps), len(steps))
	}
	for i := range fe.Steps {
		near(fmt.Sprint("funnel step ", i), fs.Steps[i].Visitors, fe.Steps[i].Visitors, 0.15)
	}
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case uint64:
		return float64(x)
	case int64:
		return float64(x)
	case float64:
		return x
	}
	panic(fmt.Sprintf("not a number: %T", v))
}

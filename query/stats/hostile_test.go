package stats

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/embedded"
	"github.com/sillage-analytics/sillage/store/storetest"
)

// TestHostileFilters proves request values never reach SQL as text: each
// one gets a result or a QueryError, fast, and never an engine error.
func TestHostileFilters(t *testing.T) {
	tricky := `/it's {x:String} \ "q" ; DROP TABLE events; --`
	events := scenario()
	events = append(events, newVisit(1, 9, 901, at(13, 0), nil).pv(0, tricky).
		event(time.Minute, "Signup", tricky, props(`k'}{\`, `v"'\`)).events...)
	e := loaded(t, events, at(20, 0))
	ctx := context.Background()

	values := []string{
		`'`, `"`, `\`, `\'`, `''`, `{`, `}`, `{x:String}`, `{site:UInt32}`, `{p0:String}`, `}}{{`,
		`'); DROP TABLE events; --`, `1 OR 1=1`, `UNION SELECT * FROM system.tables`, `%`, `_`, `%_\%`,
		"nul\x00byte", "new\nline\ttab", "\xff\xfe invalid utf-8", "é 🎉 中文",
		strings.Repeat("a", 100_000), strings.Repeat(`'\{`, 30_000), tricky,
		`(a+)+$`, `(a|aa)*b`, `(.*a){20}`, `((a+)*)+$`, `^(\w+\s?)*$`, `[[:alpha:]]+`, `\p{L}+`, `(?i)BLOG`,
		`a{1000}`, `(a{100}){100}`, `\C`, `(?P<n>x)`, `(?<n>x)`, `[`, `*`, `\`, `a\`,
	}
	dims := []string{"event:page", "event:name", "event:hostname", "visit:source", "visit:entry_page", "visit:exit_page",
		"visit:country_name", "visit:utm_campaign", "visit:browser", "event:props:plan", `event:props:k'}{\`, "event:goal"}
	ops := []string{"is", "is_not", "contains", "contains_not", "matches", "matches_not"}

	var slowest time.Duration
	check := func(name string, q *Query) {
		t.Helper()
		start := time.Now()
		_, err := e.Run(ctx, scenarioSite, scenarioGoals, q)
		if d := time.Since(start); d > slowest {
			slowest = d
		}
		var qe *QueryError
		if err != nil && !errors.As(err, &qe) {
			t.Errorf("%s: engine error %v", name, err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s: took %v", name, d)
		}
	}
	// One query per operator and value ORs a leaf on every dimension, so
	// each reaches SQL in the events and the sessions contexts.
	for _, op := range ops {
		for i, v := range values {
			var leaves []Filter
			for _, dim := range dims {
				if dim != "event:goal" {
					leaves = append(leaves, Filter{Op: op, Dimension: dim, Values: []string{v, "x"}, IgnoreCase: i%2 == 0})
				}
			}
			check(fmt.Sprintf("%s %.30q", op, v), &Query{SiteID: "example.fr", Metrics: []string{MVisitors, MVisits, MBounceRate},
				DateRange: DateRange{Period: "day"}, Date: "2026-06-10", Filters: []Filter{{Op: "or", Filters: leaves}}})
			// Goals are matched by name in Go: a hostile name matches none.
			if op == "contains" || op == "matches" {
				check(fmt.Sprintf("goal %s %.30q", op, v), &Query{SiteID: "example.fr", Metrics: []string{MVisitors, MConversionRate},
					DateRange: DateRange{Period: "day"}, Date: "2026-06-10", Filters: []Filter{{Op: op, Dimension: "event:goal", Values: []string{v}}}})
			}
		}
	}
	// Hostile property names as dimensions, hostile values through JSON.
	for _, v := range values {
		if len(v) > 300 {
			continue
		}
		q := &Query{SiteID: "example.fr", Metrics: []string{MVisitors, MEvents}, DateRange: DateRange{Period: "day"},
			Date: "2026-06-10", Dimensions: []string{"event:props:" + v}}
		check(fmt.Sprintf("props dimension %.30q", v), q)
		body, _ := json.Marshal(map[string]any{"site_id": "example.fr", "metrics": []string{"visitors"}, "date_range": "day",
			"filters": [][]any{{"contains", "visit:referrer", []string{v}}, {"is_not", "visit:city", []any{json.Number("2988507")}}}})
		if q, err := ParseQuery(body); err == nil {
			check(fmt.Sprintf("json %.30q", v), q)
		}
	}
	// Many values in one filter.
	many := make([]string, maxFilterValues)
	for i := range many {
		many[i] = fmt.Sprintf(`v%d'"\{}`, i)
	}
	for _, op := range ops {
		if baseOp(op) == "matches" {
			continue
		}
		check("1000 values "+op, &Query{SiteID: "example.fr", Metrics: []string{MVisitors}, DateRange: DateRange{Period: "day"},
			Date: "2026-06-10", Filters: []Filter{{Op: op, Dimension: "event:page", Values: many}}})
	}
	t.Logf("slowest hostile query: %v", slowest)

	// The tricky path round-trips exactly through parameters.
	for _, f := range []Filter{
		{Op: "is", Dimension: "event:page", Values: []string{tricky}},
		{Op: "contains", Dimension: "event:page", Values: []string{`{x:String} \ "q"`}},
		{Op: "is", Dimension: `event:props:k'}{\`, Values: []string{`v"'\`}},
	} {
		q := &Query{SiteID: "example.fr", Metrics: []string{MVisitors}, DateRange: DateRange{Period: "day"}, Date: "2026-06-10", Filters: []Filter{f}}
		resp, err := e.Run(ctx, scenarioSite, scenarioGoals, q)
		if err != nil || len(resp.Results) != 1 || resp.Results[0].Metrics[0] != uint64(1) {
			t.Errorf("filter %v: %v %v", f, render(resp), err)
		}
	}
	// A century of hours is refused before it reaches the engine.
	_, err := e.Run(ctx, scenarioSite, nil, &Query{Metrics: []string{MVisitors}, DateRange: DateRange{From: "1971-01-01", To: "2148-12-31"},
		Dimensions: []string{"time:hour"}, Include: Include{TimeLabels: true}})
	if !isQueryError(err) {
		t.Fatalf("hourly buckets over 178 years: %v", err)
	}
	// Extreme but valid ranges are answered.
	for _, dr := range []DateRange{{From: "1970-01-03", To: "1970-01-03"}, {From: "2148-12-31", To: "2148-12-31"}, {From: "1970-01-03", To: "2148-12-31"}} {
		if _, err := e.Run(ctx, scenarioSite, nil, &Query{Metrics: []string{MVisitors, MVisits}, DateRange: dr, Dimensions: []string{"time:month"}}); err != nil {
			t.Errorf("range %v: %v", dr, err)
		}
	}
	// The events table is still there.
	q := &Query{SiteID: "example.fr", Metrics: []string{MVisitors}, DateRange: DateRange{Period: "day"}, Date: "2026-06-10"}
	if resp, err := e.Run(ctx, sillage.Site{ID: 1, Timezone: "Europe/Paris"}, nil, q); err != nil || resp.Results[0].Metrics[0] != uint64(7) {
		t.Fatalf("after the hostile queries: %v %v", resp, err)
	}
}

func TestStatementsBoundTheirTimeAndMemory(t *testing.T) {
	p := &plan{siteID: 1, tz: "UTC", span: dateSpan(scenarioDay, scenarioDay, paris), uniq: "uniqExact",
		metrics: []string{MVisitors, MVisits}, limit: 10}
	b := newBuilder(p)
	lim := limits{seconds: 7, memory: 1 << 20}
	const want = "SETTINGS max_execution_time = 7, max_memory_usage = 1048576,"
	if sql, _ := b.statement(lim); !strings.Contains(sql, want) {
		t.Fatalf("statement does not bound its time and memory: %s", sql)
	}
	if sql := b.funnel(scenarioGoals[:2], time.Hour, lim); !strings.Contains(sql, want) {
		t.Fatalf("funnel does not bound its time and memory: %s", sql)
	}
	if sql := b.propKeys(10, lim); !strings.Contains(sql, want) {
		t.Fatalf("property keys do not bound their time and memory: %s", sql)
	}
	if got := (&Engine{Timeout: 2500 * time.Millisecond}).maxSeconds(); got != 2 {
		t.Fatalf("maxSeconds = %d", got)
	}
	for _, tt := range []struct {
		set, want int64
	}{{0, DefaultMaxMemory}, {-1, 0}, {5 << 20, 5 << 20}} {
		if got := (&Engine{MaxMemory: tt.set}).limits().memory; got != tt.want {
			t.Errorf("MaxMemory %d: statements get max_memory_usage %d, want %d", tt.set, got, tt.want)
		}
	}
}

// The memory bound reaches the engine: a statement over it fails there,
// and the same query runs under the default bound.
func TestMemoryBoundReachesEngine(t *testing.T) {
	e := loaded(t, scenario(), at(20, 0))
	q := &Query{SiteID: "example.fr", Metrics: []string{MVisitors}, DateRange: DateRange{Period: "day"}, Date: "2026-06-10",
		Dimensions: []string{"event:page"}}
	site := sillage.Site{ID: 1, Timezone: "Europe/Paris"}
	if _, err := e.Run(context.Background(), site, nil, q); err != nil {
		t.Fatalf("under the default bound: %v", err)
	}
	e.MaxMemory = 1024
	_, err := e.Run(context.Background(), site, nil, q)
	if err == nil || !strings.Contains(err.Error(), "MEMORY_LIMIT_EXCEEDED") {
		t.Fatalf("under a 1 KiB bound: want the engine's memory limit error, got %v", err)
	}
}

// Stats statements run in the engine's stats lane: with every stats
// connection held by a long statement, a query waits (here until its
// deadline) while an account statement still runs.
func TestStatementsUseStatsLane(t *testing.T) {
	e := loaded(t, scenario(), at(20, 0))
	done := storetest.StartSlowStats(t, e.Store, embedded.DefaultStatsConns)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	q := &Query{SiteID: "example.fr", Metrics: []string{MVisitors}, DateRange: DateRange{Period: "day"}, Date: "2026-06-10"}
	if _, err := e.Run(ctx, sillage.Site{ID: 1, Timezone: "Europe/Paris"}, nil, q); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("with the stats lane full: want a wait until the deadline, got %v", err)
	}
	var n uint64
	if err := store.QueryRow(context.Background(), e.Store, "SELECT count() FROM users", nil, &n); err != nil {
		t.Fatal(err)
	}
	storetest.StillRunning(t, done, "the account statement")
}

package stats

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
)

// hits makes one single-pageview session per instant, each its own visitor.
func hits(site uint32, ts ...string) []sillage.Event {
	var out []sillage.Event
	for i, s := range ts {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		out = append(out, newVisit(site, uint64(100+i), uint64(1000+i), t, nil).pv(0, "/").events...)
	}
	return out
}

func runOn(t *testing.T, e *Engine, site sillage.Site, body string) *Response {
	t.Helper()
	q, err := ParseQuery([]byte(body))
	if err != nil {
		t.Fatalf("parse %s: %v", body, err)
	}
	resp, err := e.Run(context.Background(), site, nil, q)
	if err != nil {
		t.Fatalf("run %s: %v", body, err)
	}
	return resp
}

func TestParisDST(t *testing.T) {
	site := sillage.Site{ID: 2, Domain: "paris.example", Timezone: "Europe/Paris"}
	e := loaded(t, hits(2,
		// 2026-03-29: clocks go from 02:00 CET to 03:00 CEST; the day lasts 23 h.
		"2026-03-28T22:30:00Z", // 23:30 on the 28th
		"2026-03-28T23:10:00Z", // 00:10
		"2026-03-29T00:30:00Z", // 01:30 CET
		"2026-03-29T01:30:00Z", // 03:30 CEST
		"2026-03-29T21:59:00Z", // 23:59 CEST
		"2026-03-29T22:01:00Z", // 00:01 on the 30th
		// 2026-10-25: clocks go from 03:00 CEST back to 02:00 CET; the day lasts 25 h.
		"2026-10-24T21:59:00Z", // 23:59 on the 24th
		"2026-10-24T22:00:00Z", // 00:00
		"2026-10-25T00:30:00Z", // 02:30 CEST
		"2026-10-25T01:30:00Z", // 02:30 CET, the same wall-clock hour
		"2026-10-25T22:59:00Z", // 23:59 CET
		"2026-10-25T23:00:00Z", // 00:00 on the 26th
	), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))

	spring := runOn(t, e, site, `{"site_id":"paris.example","date_range":"day","date":"2026-03-29","metrics":["visitors","visits"],"dimensions":["time:hour"],"include":{"time_labels":true}}`)
	if got := strings.Join(render(spring), "\n"); got != strings.Join([]string{
		"2026-03-29 00:00:00 | 1 1", "2026-03-29 01:00:00 | 1 1", "2026-03-29 03:00:00 | 1 1", "2026-03-29 23:00:00 | 1 1",
	}, "\n") {
		t.Errorf("spring hours:\n%s", got)
	}
	labels := spring.Meta.TimeLabels
	if len(labels) != 23 || labels[1] != "2026-03-29 01:00:00" || labels[2] != "2026-03-29 03:00:00" || labels[22] != "2026-03-29 23:00:00" {
		t.Errorf("spring labels (%d): %v", len(labels), labels)
	}
	if got := spring.Query.DateRange; got != [2]string{"2026-03-29T00:00:00+01:00", "2026-03-29T23:59:59+02:00"} {
		t.Errorf("spring date_range echo %v", got)
	}

	autumn := runOn(t, e, site, `{"site_id":"paris.example","date_range":"day","date":"2026-10-25","metrics":["visitors","visits"],"dimensions":["time"],"include":{"time_labels":true}}`)
	if got := strings.Join(render(autumn), "\n"); got != strings.Join([]string{
		"2026-10-25 00:00:00 | 1 1", "2026-10-25 02:00:00 | 2 2", "2026-10-25 23:00:00 | 1 1",
	}, "\n") {
		t.Errorf("autumn hours:\n%s", got)
	}
	if n := len(autumn.Meta.TimeLabels); n != 24 {
		t.Errorf("autumn: %d labels, want 24 (02:00 listed once)", n)
	}
	if autumn.Query.Dimensions[0] != "time:hour" {
		t.Errorf(`"time" over a day resolved to %s`, autumn.Query.Dimensions[0])
	}

	days := runOn(t, e, site, `{"site_id":"paris.example","date_range":["2026-03-28","2026-03-30"],"metrics":["visitors"],"dimensions":["time:day"]}`)
	if got := strings.Join(render(days), "\n"); got != "2026-03-28 | 1\n2026-03-29 | 4\n2026-03-30 | 1" {
		t.Errorf("spring days:\n%s", got)
	}
	days = runOn(t, e, site, `{"site_id":"paris.example","date_range":["2026-10-24","2026-10-26"],"metrics":["visitors","visits"],"dimensions":["time:day"]}`)
	if got := strings.Join(render(days), "\n"); got != "2026-10-24 | 1 1\n2026-10-25 | 4 4\n2026-10-26 | 1 1" {
		t.Errorf("autumn days:\n%s", got)
	}
	// Datetime ranges are instants; their last second is included.
	r := runOn(t, e, site, `{"site_id":"paris.example","date_range":["2026-10-25T02:00:00+02:00","2026-10-25T02:30:00+01:00"],"metrics":["visitors"]}`)
	if got := strings.Join(render(r), "\n"); got != " | 2" {
		t.Errorf("datetime range: %s", got)
	}
}

func TestNewYork(t *testing.T) {
	site := sillage.Site{ID: 3, Domain: "ny.example", Timezone: "America/New_York"}
	e := loaded(t, hits(3,
		"2026-03-01T04:30:00Z", // Feb 28, 23:30 EST
		"2026-03-01T05:30:00Z", // Mar 1, 00:30 EST
		"2026-03-08T04:59:00Z", // Mar 7, 23:59 EST
		"2026-03-08T05:00:00Z", // Mar 8, 00:00 EST; clocks jump at 02:00 that night
		"2026-03-09T03:59:00Z", // Mar 8, 23:59 EDT
		"2026-03-09T04:00:00Z", // Mar 9, 00:00 EDT
	), time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC))
	cases := []queryCase{
		{"days", `{"site_id":"ny.example","date_range":["2026-03-07","2026-03-09"],"metrics":["visitors"],"dimensions":["time:day"]}`,
			[]string{"2026-03-07 | 1", "2026-03-08 | 2", "2026-03-09 | 1"}},
		{"weeks start on Monday, the first clamped to the range", `{"site_id":"ny.example","date_range":["2026-03-04","2026-03-16"],"metrics":["visitors","visits"],"dimensions":["time:week"],"include":{"time_labels":true}}`,
			[]string{"2026-03-04 | 3 3", "2026-03-09 | 1 1"}},
		{"months", `{"site_id":"ny.example","date_range":["2026-02-15","2026-03-10"],"metrics":["visitors"],"dimensions":["time:month"]}`,
			[]string{"2026-02-01 | 1", "2026-03-01 | 5"}},
		{"7d before the 9th: March 2 to 8", `{"site_id":"ny.example","date_range":"7d","date":"2026-03-09","metrics":["visitors"]}`,
			[]string{" | 3"}},
		{"month", `{"site_id":"ny.example","date_range":"month","date":"2026-03-08","metrics":["visitors"]}`,
			[]string{" | 5"}},
		{"all", `{"site_id":"ny.example","date_range":"all","metrics":["visitors"],"dimensions":["time:month"]}`,
			[]string{"2026-02-01 | 1", "2026-03-01 | 5"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := runOn(t, e, site, c.body)
			if got := strings.Join(render(resp), "\n"); got != strings.Join(c.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", got, strings.Join(c.want, "\n"))
			}
			if strings.Contains(c.body, "time_labels") && strings.Join(resp.Meta.TimeLabels, ",") != "2026-03-04,2026-03-09,2026-03-16" {
				t.Errorf("week labels %v", resp.Meta.TimeLabels)
			}
		})
	}
	all := runOn(t, e, site, `{"site_id":"ny.example","date_range":"all","metrics":["visitors"]}`)
	if all.Query.DateRange[0] != "2026-02-28T00:00:00-05:00" || all.Query.DateRange[1] != "2026-03-20T23:59:59-04:00" {
		t.Errorf(`"all" starts on the first day with data: %v`, all.Query.DateRange)
	}
}

func TestTimeLabels(t *testing.T) {
	sp := dateSpan(time.Date(2026, 1, 28, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), paris)
	if got := strings.Join(timeLabels("time:month", sp, paris), ","); got != "2026-01-01,2026-02-01,2026-03-01" {
		t.Errorf("months %s", got)
	}
	if got := strings.Join(timeLabels("time:week", sp, paris), ","); got != "2026-01-28,2026-02-02,2026-02-09,2026-02-16,2026-02-23,2026-03-02" {
		t.Errorf("weeks %s", got)
	}
	if n := len(timeLabels("time:day", sp, paris)); n != 34 {
		t.Errorf("%d days", n)
	}
	if got := autoTimeDim(sp); got != "time:day" {
		t.Errorf("auto over 34 days: %s", got)
	}
	if got := autoTimeDim(dateSpan(sp.first, sp.first.AddDate(0, 0, 40), paris)); got != "time:week" {
		t.Errorf("auto over 41 days: %s", got)
	}
	if got := autoTimeDim(dateSpan(sp.first, sp.first.AddDate(0, 0, 52*7), paris)); got != "time:month" {
		t.Errorf("auto over 52 weeks and a day: %s", got)
	}
	// A datetime range off the hour lists each hour it touches.
	hours := span{from: time.Date(2026, 6, 10, 6, 30, 0, 0, time.UTC), to: time.Date(2026, 6, 10, 9, 15, 0, 0, time.UTC)}
	if got := strings.Join(timeLabels("time:hour", hours, paris), ","); got != "2026-06-10 08:00:00,2026-06-10 09:00:00,2026-06-10 10:00:00,2026-06-10 11:00:00" {
		t.Errorf("hours of 08:30-11:15 in Paris: %s", got)
	}
}

package stats

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/store/storetest"
)

// syntheticEvents makes about n events for site 1 over the 30 days before
// end: sessions of 1–6 pageviews with Zipf-distributed pages, a few
// engagement and goal events, attributes from small vocabularies.
func syntheticEvents(n int, end time.Time) []sillage.Event {
	rng := rand.New(rand.NewPCG(1, 2))
	pages := rand.NewZipf(rng, 1.2, 1, 499)
	sources := []string{"", "Google", "Google", "Bing", "Facebook", "t.co", "news.ycombinator.com"}
	countries := []string{"FR", "FR", "FR", "DE", "BE", "US", "GB", "ES", "IT", "CH"}
	browsers := []string{"Chrome", "Chrome", "Firefox", "Safari", "Edge"}
	devices := []string{"Desktop", "Desktop", "Mobile", "Tablet"}
	var out []sillage.Event
	for s := uint64(1); len(out) < n; s++ {
		start := end.Add(-time.Duration(rng.Int64N(int64(30 * 24 * time.Hour))))
		v := newVisit(1, rng.Uint64N(uint64(n/6)+1), s, start, func(e *sillage.Event) {
			e.ReferrerSource = sources[rng.IntN(len(sources))]
			e.Channel = map[bool]string{true: "Direct", false: "Organic Search"}[e.ReferrerSource == ""]
			e.CountryCode = countries[rng.IntN(len(countries))]
			e.Browser, e.Device, e.OS = browsers[rng.IntN(len(browsers))], devices[rng.IntN(len(devices))], "Linux"
		})
		at := time.Duration(0)
		for i, k := 0, 1+rng.IntN(6); i < k; i++ {
			path := "/page/" + strconv.FormatUint(pages.Uint64(), 10)
			v.pv(at, path)
			if rng.IntN(3) == 0 {
				v.engage(at+20*time.Second, path, uint32(rng.IntN(120_000)), uint8(rng.IntN(101)))
			}
			at += time.Duration(10+rng.IntN(300)) * time.Second
		}
		if rng.IntN(20) == 0 {
			v.event(at, "Purchase", "/checkout", revenue(int64(1000+rng.IntN(100_000)), "EUR"))
		}
		out = append(out, v.events...)
	}
	return out
}

var benchQueries = []struct{ name, body string }{
	{"top_stats", `{"site_id":"b","date_range":"30d","metrics":["visitors","visits","pageviews","views_per_visit","bounce_rate","visit_duration"]}`},
	{"timeseries", `{"site_id":"b","date_range":"30d","metrics":["visitors","visits","pageviews","bounce_rate"],"dimensions":["time:day"]}`},
	{"top_pages", `{"site_id":"b","date_range":"30d","metrics":["visitors","pageviews","bounce_rate"],"dimensions":["event:page"],"pagination":{"limit":10}}`},
	{"sources", `{"site_id":"b","date_range":"30d","metrics":["visitors","bounce_rate","visit_duration"],"dimensions":["visit:source"],"pagination":{"limit":10}}`},
	{"entry_pages", `{"site_id":"b","date_range":"30d","metrics":["visitors","visits","bounce_rate"],"dimensions":["visit:entry_page"],"pagination":{"limit":10}}`},
	{"goals", `{"site_id":"b","date_range":"30d","metrics":["visitors","events","conversion_rate","total_revenue"],"dimensions":["event:goal"]}`},
	{"filtered_top_stats", `{"site_id":"b","date_range":"30d","metrics":["visitors","visits","bounce_rate"],"filters":[["contains","event:page",["/page/1"]],["is","visit:country",["FR"]]]}`},
	{"exit_pages", `{"site_id":"b","date_range":"30d","metrics":["visitors","visits","exit_rate"],"dimensions":["visit:exit_page"],"pagination":{"limit":10}}`},
	{"sources_of_a_host", `{"site_id":"b","date_range":"30d","metrics":["visitors","bounce_rate"],"dimensions":["visit:source"],"filters":[["is","event:hostname",["example.fr"]]],"pagination":{"limit":10}}`},
}

func runBenchQueries(b *testing.B, e *Engine) {
	site := sillage.Site{ID: 1, Domain: "b", Timezone: "Europe/Paris"}
	goals := []Goal{{EventName: "Purchase", Currency: "EUR"}, {PagePath: "/page/1*"}}
	for _, bq := range benchQueries {
		q, err := ParseQuery([]byte(bq.body))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bq.name, func(b *testing.B) {
			c0 := cpuTime()
			for b.Loop() {
				if _, err := e.Run(context.Background(), site, goals, q); err != nil {
					b.Fatal(err)
				}
			}
			// CPU time is steadier than wall time on a shared machine.
			b.ReportMetric(float64((cpuTime()-c0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
}

// cpuTime is the process's user and system CPU time, the engine's
// threads included.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRun runs the dashboard's queries over 100 k events.
func BenchmarkRun(b *testing.B) {
	end := time.Date(2026, 6, 30, 12, 0, 0, 0, time.UTC)
	st := storetest.Migrated(b)
	events := syntheticEvents(100_000, end)
	for i := 0; i < len(events); i += 10_000 {
		if err := st.InsertEvents(context.Background(), "", events[i:min(i+10_000, len(events))]); err != nil {
			b.Fatal(err)
		}
	}
	runBenchQueries(b, &Engine{Store: st, Now: func() time.Time { return end }})
}

// BenchmarkRunLarge does the same over SILLAGE_STATS_BENCH_EVENTS events
// (e.g. 10000000) generated inside the engine; skipped when unset.
func BenchmarkRunLarge(b *testing.B) {
	n, _ := strconv.Atoi(os.Getenv("SILLAGE_STATS_BENCH_EVENTS"))
	if n <= 0 {
		b.Skip("set SILLAGE_STATS_BENCH_EVENTS to run")
	}
	end := time.Date(2026, 6, 30, 12, 0, 0, 0, time.UTC)
	st := storetest.Migrated(b)
	// Sessions of 4 events 0–5 minutes apart, 3 sessions per visitor, over
	// 30 days; 1 event in 20 is a Purchase, 1 in 4 an engagement.
	insert := fmt.Sprintf(`INSERT INTO events (site_id, ts, name, visitor_id, session_id, session_start, hostname, pathname,
		referrer_source, channel, country_code, browser, device, os, revenue_amount, revenue_currency, interactive, engagement_ms, scroll_depth)
	SELECT 1, start + toIntervalSecond((number %% 4) * (cityHash64(number) %% 300)) AS ts,
		multiIf(number %% 20 = 3, 'Purchase', number %% 4 = 2, 'engagement', 'pageview') AS name,
		cityHash64(intDiv(number, 12)) AS visitor_id, intDiv(number, 4) AS session_id,
		toDateTime64('%s', 3, 'UTC') - toIntervalSecond(cityHash64(intDiv(number, 4)) %% (30 * 86400)) AS start,
		'example.com', concat('/page/', toString(toUInt32(pow(cityHash64(number, 1) %% 1000000 / 1000000, 3) * 500))),
		['', 'Google', 'Google', 'Bing', 'Facebook', 't.co'][cityHash64(intDiv(number, 4), 2) %% 6 + 1],
		if(cityHash64(intDiv(number, 4), 2) %% 6 = 0, 'Direct', 'Organic Search'),
		['FR', 'FR', 'DE', 'BE', 'US', 'GB'][cityHash64(intDiv(number, 4), 3) %% 6 + 1],
		['Chrome', 'Firefox', 'Safari'][cityHash64(intDiv(number, 4), 4) %% 3 + 1], 'Desktop', 'Linux',
		if(name = 'Purchase', toDecimal64(cityHash64(number) %% 10000, 2), 0), if(name = 'Purchase', 'EUR', ''),
		name != 'engagement', if(name = 'engagement', cityHash64(number) %% 60000, 0), if(name = 'engagement', cityHash64(number) %% 101, 0)
	FROM numbers(%d)`, end.Format("2006-01-02 15:04:05"), n)
	start := time.Now()
	if err := st.Exec(context.Background(), insert, nil); err != nil {
		b.Fatal(err)
	}
	if err := st.Exec(context.Background(), "OPTIMIZE TABLE sessions FINAL", nil); err != nil {
		b.Fatal(err)
	}
	b.Logf("inserted %d events in %v", n, time.Since(start))
	runBenchQueries(b, &Engine{Store: st, Now: func() time.Time { return end }})
}

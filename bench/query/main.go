// Command query times the dashboard's queries on the embedded engine: it
// fills a site with `sillage demo` traffic (Zipf pages and sources, real
// browser mix, sessions of 1–10 pageviews) over 30 days, then runs each
// query of the dashboard's first screen several times and reports the
// median.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"sort"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/internal/demo"
	"github.com/sillage-analytics/sillage/migrations"
	"github.com/sillage-analytics/sillage/query/stats"
	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/embedded"
)

func main() {
	data := flag.String("data", "", "data folder (kept between runs; default: a temporary one)")
	events := flag.Uint64("events", 10_000_000, "events of the site")
	runs := flag.Int("runs", 10, "runs per query")
	merged := flag.Bool("merged", false, "merge the sessions table's parts first (OPTIMIZE … FINAL), as background merges do over time on a live server")
	sampleAbove := flag.Uint64("sample-above", stats.DefaultSampleAbove, "sample ranges holding more events than this, as serve --sample-above")
	flag.Parse()
	ctx := context.Background()
	dir := *data
	if dir == "" {
		d, err := os.MkdirTemp("", "sillage-bench-query-")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(d)
		dir = d
	}
	eng, err := embedded.Open(ctx, embedded.Config{Dir: dir, LibPath: os.Getenv("SILLAGE_CHDB_LIB")})
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close()
	m, err := migrations.New(ctx, eng, migrations.Target{}, nil)
	if err != nil {
		log.Fatal(err)
	}
	if err := m.Up(); err != nil {
		log.Fatal(err)
	}
	site := sillage.Site{ID: 4242, Domain: "bench.example.fr", Timezone: "Europe/Paris"}
	var have uint64
	if err := store.QueryRow(ctx, eng, "SELECT count() FROM events WHERE site_id = {s:UInt32}", store.Params{"s": site.ID}, &have); err != nil {
		log.Fatal(err)
	}
	if have < *events*9/10 {
		start := time.Now()
		n, err := demo.Generate(ctx, eng, demo.Options{SiteID: site.ID, Hostname: site.Domain, Events: *events - have, Days: 30, Seed: 7})
		if err != nil {
			log.Fatal(err)
		}
		have += n
		fmt.Printf("generated %d events in %s\n", n, time.Since(start).Round(time.Millisecond))
	}
	if *merged {
		start := time.Now()
		if err := eng.Exec(ctx, "OPTIMIZE TABLE sessions FINAL", nil); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("sessions merged in %s\n", time.Since(start).Round(time.Millisecond))
	}
	fmt.Printf("site with %d events over 30 days; sampling above %d events; median of %d runs per query (first run discarded)\n\n", have, *sampleAbove, *runs)

	e := &stats.Engine{Store: eng, Now: time.Now, SampleAbove: *sampleAbove}
	goals := []stats.Goal{
		{ID: "g1", PagePath: "/produits/**", DisplayName: "Visit products"},
		{ID: "g2", PagePath: "/panier", DisplayName: "Visit cart"},
		{ID: "g3", EventName: "Purchase", Currency: "EUR", DisplayName: "Purchase"},
	}
	queries := []struct{ name, body string }{
		{"top stats with comparison", `{"metrics":["visitors","visits","pageviews","views_per_visit","bounce_rate","visit_duration"],"date_range":"30d","include":{"comparisons":{"mode":"previous_period"}}}`},
		{"daily timeseries", `{"metrics":["visitors","pageviews"],"date_range":"30d","dimensions":["time:day"],"include":{"time_labels":true}}`},
		{"top pages", `{"metrics":["visitors","pageviews"],"date_range":"30d","dimensions":["event:page"],"pagination":{"limit":10}}`},
		{"sources", `{"metrics":["visitors","bounce_rate"],"date_range":"30d","dimensions":["visit:source"],"pagination":{"limit":10}}`},
		{"countries", `{"metrics":["visitors"],"date_range":"30d","dimensions":["visit:country"],"pagination":{"limit":10}}`},
		{"devices", `{"metrics":["visitors"],"date_range":"30d","dimensions":["visit:device"],"pagination":{"limit":10}}`},
	}
	for _, q := range queries {
		parsed, err := stats.ParseQuery([]byte(`{"site_id":"bench.example.fr",` + q.body[1:]))
		if err != nil {
			log.Fatalf("%s: %v", q.name, err)
		}
		report(q.name, *runs, func() error { _, err := e.Run(ctx, site, goals, parsed); return err })
	}
	fq, _ := stats.ParseQuery([]byte(`{"site_id":"bench.example.fr","metrics":["visitors"],"date_range":"30d"}`))
	report("3-step funnel", *runs, func() error { _, err := e.Funnel(ctx, site, goals, 24*time.Hour, fq); return err })
}

func report(name string, runs int, run func() error) {
	var times []time.Duration
	for i := 0; i <= runs; i++ {
		start := time.Now()
		if err := run(); err != nil {
			log.Fatalf("%s: %v", name, err)
		}
		if i > 0 {
			times = append(times, time.Since(start))
		}
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	fmt.Printf("  %-28s p50 %7.1f ms   min %7.1f ms   max %7.1f ms\n", name,
		ms(times[len(times)/2]), ms(times[0]), ms(times[len(times)-1]))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

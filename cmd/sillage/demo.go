package main

import (
	"context"
	"fmt"
	"io"
	"time"
)

func runDemo(ctx context.Context, args []string, out io.Writer) error {
	var ef engineFlags
	var site string
	var events, days int
	f := newFlags("demo", `Usage: sillage demo --site DOMAIN [--events N] [--days D] [flags]

Adds realistic synthetic traffic to a site (it must exist): sessions of 1 to
10 pageviews, Zipf-distributed pages and sources, campaigns, countries,
devices, custom events with revenue. For trying Sillage out and for
benchmarks; never on a site with real data.`)
	ef.register(f)
	f.stringVar(&site, "site", "SILLAGE_DEMO_SITE", "", "domain of the site to fill")
	f.intVar(&events, "events", "SILLAGE_DEMO_EVENTS", 100_000, "about how many events to add")
	f.intVar(&days, "days", "SILLAGE_DEMO_DAYS", 30, "spread over the last D days")
	if err := f.parse(args); err != nil {
		return err
	}
	if site == "" {
		return fmt.Errorf("--site is required")
	}
	if events < 1 {
		return fmt.Errorf("--events must be positive")
	}
	log := cliLogger()
	ops, where, done, err := ef.ops(ctx, log)
	if err != nil {
		return err
	}
	defer done()
	start := time.Now()
	n, err := ops.Demo(ctx, site, uint64(events), days)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "added %d demo events to %s over %d days in %s through %s\n", n, site, days, time.Since(start).Round(time.Millisecond), where)
	return err
}

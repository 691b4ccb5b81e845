package main

import (
	"flag"
	"os"

	"github.com/sillage-analytics/sillage/query"
	"github.com/sillage-analytics/sillage/query/admit"
	"github.com/sillage-analytics/sillage/store/embedded"
)

// The knobs of fair engine time, apart so that the same program can be
// run on a version without them (see BENCHMARKS.md) by replacing this file
// with one that returns its arguments.
var (
	statsConns = flag.Int("stats-connections", 0, "the embedded engine's stats lane (0: its default)")
	noLimits   = flag.Bool("no-limits", false, "no per-caller limits: measure the lanes alone")
)

func engineConfig(dir string) embedded.Config {
	return embedded.Config{Dir: dir, LibPath: os.Getenv("SILLAGE_CHDB_LIB"), StatsConns: *statsConns}
}

func queryOptions(o query.Options) query.Options {
	if *noLimits {
		free := admit.Limit{Concurrent: 64, Queue: 64, Budget: 0}
		o.Limits = query.Limits{Member: free, APIKey: free, SharedLink: free}
	}
	return o
}

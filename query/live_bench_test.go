package query

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/internal/demo"
	"github.com/sillage-analytics/sillage/query/api"
	"github.com/sillage-analytics/sillage/query/internal/live"
	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/storetest"
)

// countingEngine counts, at the engine interface, the statements that
// read events (the live view's) and the others (accounts, sessions, keys).
type countingEngine struct {
	store.Engine
	events, other atomic.Int64
}

func (c *countingEngine) Query(ctx context.Context, q string, p store.Params) (store.Rows, error) {
	if strings.Contains(q, "FROM events") {
		c.events.Add(1)
	} else {
		c.other.Add(1)
	}
	return c.Engine.Query(ctx, q, p)
}

// BenchmarkLiveViews is a load generator on 127.0.0.1 that stops by
// itself: 20 open live views of one site, each polling every 5 s as the
// dashboard does, for SILLAGE_LIVE_BENCH_SECONDS (60 by default), over the
// real HTTP handler and the embedded engine. It reports the engine
// statements per minute: shared (the default TTL) against a cache that
// shares nothing (a TTL of 1 ns), which is what twenty views would cost
// without it. Run it once: -benchtime=1x.
func BenchmarkLiveViews(b *testing.B) {
	secs := 60
	if s := os.Getenv("SILLAGE_LIVE_BENCH_SECONDS"); s != "" {
		secs, _ = strconv.Atoi(s)
	}
	const views, poll = 20, 5 * time.Second
	for _, c := range []struct {
		name string
		ttl  time.Duration
	}{{"shared", live.DefaultTTL}, {"unshared", time.Nanosecond}} {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			base := storetest.Migrated(b)
			acc := accounts.New(base)
			u, err := acc.AddUser(ctx, "owner@example.fr", "long enough password")
			if err != nil {
				b.Fatal(err)
			}
			site, err := acc.AddSiteWithOwner(ctx, u.ID, "boutique.fr", "Europe/Paris")
			if err != nil {
				b.Fatal(err)
			}
			if _, err := demo.Generate(ctx, base, demo.Options{SiteID: site.ID, Hostname: site.Domain, Events: 100_000, Days: 1, Seed: 3}); err != nil {
				b.Fatal(err)
			}
			_, key, err := acc.CreateAPIKey(ctx, u.ID, "bench", []uint32{site.ID})
			if err != nil {
				b.Fatal(err)
			}
			eng := &countingEngine{Engine: base}
			acc = accounts.New(eng)
			a := api.New(api.Options{Accounts: acc, Engine: eng, Secret: bytes.Repeat([]byte("k"), 32),
				Live: live.New(eng, live.Options{TTL: c.ttl})})
			s, err := New(Options{Engine: eng, Accounts: acc, API: a,
				Dashboard: fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}}})
			if err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(s.Handler())
			defer srv.Close()
			b.ResetTimer()
			for range b.N {
				eng.events.Store(0)
				eng.other.Store(0)
				var requests, failures atomic.Int64
				stop := time.Now().Add(time.Duration(secs) * time.Second)
				var wg sync.WaitGroup
				for v := range views {
					wg.Go(func() {
						// The views opened one after another, not in step.
						time.Sleep(time.Duration(v) * poll / views)
						for t := time.Now(); t.Before(stop); t = t.Add(poll) {
							time.Sleep(time.Until(t))
							req, _ := http.NewRequest("GET", srv.URL+"/api/sites/boutique.fr/live", nil)
							req.Header.Set("Authorization", "Bearer "+key)
							resp, err := http.DefaultClient.Do(req)
							requests.Add(1)
							if err != nil {
								failures.Add(1)
								continue
							}
							io.Copy(io.Discard, resp.Body)
							resp.Body.Close()
							if resp.StatusCode != 200 {
								failures.Add(1)
							}
						}
					})
				}
				wg.Wait()
				if failures.Load() > 0 {
					b.Fatalf("%d of %d requests failed", failures.Load(), requests.Load())
				}
				perMin := func(n int64) float64 { return float64(n) * 60 / float64(secs) }
				b.ReportMetric(perMin(requests.Load()), "requests/min")
				b.ReportMetric(perMin(eng.events.Load()), "live-statements/min")
				b.ReportMetric(perMin(eng.other.Load()), "account-statements/min")
				fmt.Fprintf(os.Stderr, "%s: %d views, %d requests, %d live statements, %d account statements in %d s\n",
					c.name, views, requests.Load(), eng.events.Load(), eng.other.Load(), secs)
			}
		})
	}
}

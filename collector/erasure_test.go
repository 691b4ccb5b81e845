package collector

import (
	"bytes"
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/storetest"
)

// walHolds reports whether a file of the collector's folder (log segments,
// segments kept aside, the batch intent) contains s.
func walHolds(t *testing.T, dir, s string) bool {
	t.Helper()
	found := false
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		found = found || bytes.Contains(b, []byte(s))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func pageview(domain, path string) string {
	return `{"n":"pageview","u":"https://` + domain + path + `","d":"` + domain + `"}`
}

// After "delete data" or "delete site", run by the query service (another
// process: only the store links them), the site's events are gone from the
// collector's write-ahead log, flushed and pending alike, and the pending
// ones accepted before the erasure are never stored; the other site's stay.
func TestErasureReachesWriteAheadLog(t *testing.T) {
	tests := []struct {
		name  string
		erase func(acc *accounts.Service, ctx context.Context, site uint32) error
		// whether the site still takes events after the erasure
		siteStays bool
	}{
		{"delete data", (*accounts.Service).DeleteSiteData, true},
		{"delete site", (*accounts.Service).DeleteSite, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			eng := storetest.Embedded(t)
			e := newEnv(t, eng, func(c *Config) { c.FlushInterval = time.Hour })
			bakery, studio := e.sites["boulangerie.fr"].ID, e.sites["atelier.fr"].ID
			dir := e.c.cfg.Dir
			countSite := func(id uint32) uint64 {
				return e.count("site_id = {s:UInt32}", store.Params{"s": id})
			}

			e.send(request{body: pageview("boulangerie.fr", "/flushed-before-erasure")})
			e.flush()
			e.send(request{body: pageview("boulangerie.fr", "/pending-before-erasure"), peer: "81.65.1.3"})
			e.send(request{body: pageview("atelier.fr", "/other-site"), peer: "81.65.1.4"})
			for _, p := range []string{"/flushed-before-erasure", "/pending-before-erasure", "/other-site"} {
				if !walHolds(t, dir, p) {
					t.Fatalf("the log does not hold %s before the erasure", p)
				}
			}

			e.clock.advance(time.Second)
			acc := accounts.New(eng)
			acc.Now = e.clock.now
			if err := tt.erase(acc, ctx, bakery); err != nil {
				t.Fatal(err)
			}
			e.clock.advance(siteRefreshEvery)
			e.flush()
			if n := countSite(bakery); n != 0 {
				t.Errorf("%d events of the erased site stored", n)
			}
			if n := countSite(studio); n != 1 {
				t.Errorf("%d events of the other site stored, want 1", n)
			}
			for _, p := range []string{"/flushed-before-erasure", "/pending-before-erasure"} {
				if walHolds(t, dir, p) {
					t.Errorf("the log still holds %s after the erasure", p)
				}
			}

			want := uint64(0)
			if tt.siteStays { // what comes after the erasure is kept
				e.send(request{body: pageview("boulangerie.fr", "/after-erasure"), peer: "81.65.1.5"})
				e.flush()
				want = 1
				if n := countSite(bakery); n != want {
					t.Fatalf("%d events of the site after its erasure, want %d", n, want)
				}
			}

			// A restart on the same folder brings nothing back.
			if err := e.c.Close(ctx); err != nil {
				t.Fatal(err)
			}
			e.closed = true
			cfg := e.c.cfg
			cfg.Registerer = nil
			c, err := New(ctx, cfg, eng, acc)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close(ctx)
			e.c = c
			e.flush()
			if n := countSite(bakery); n != want {
				t.Fatalf("%d events of the erased site after a restart, want %d", n, want)
			}
		})
	}
}

// The collector learns of an erasure when it next reads the store, up to
// siteRefreshEvery later; a batch it stored in between, after the erasure's
// DELETE, may hold events accepted before it. Once it knows, it deletes
// those again.
func TestErasureLearntLate(t *testing.T) {
	ctx := context.Background()
	eng := storetest.Embedded(t)
	e := newEnv(t, eng, func(c *Config) { c.FlushInterval = time.Hour })
	bakery := e.sites["boulangerie.fr"].ID
	if err := e.c.flushOnce(ctx); err != nil { // reads the erasures: none yet
		t.Fatal(err)
	}
	e.send(request{body: pageview("boulangerie.fr", "/pending-before-erasure")})
	acc := accounts.New(eng)
	acc.Now = func() time.Time { return e.clock.now().Add(time.Second) }
	if err := acc.DeleteSiteData(ctx, bakery); err != nil {
		t.Fatal(err)
	}
	e.flush() // before the collector reads the erasure
	if n := e.count("site_id = {s:UInt32}", store.Params{"s": bakery}); n != 1 {
		t.Fatalf("%d events stored before the collector read the erasure, want the one it did not know to drop", n)
	}
	e.clock.advance(siteRefreshEvery)
	if err := e.c.flushOnce(ctx); err != nil { // nothing to flush; erasures are read
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for n := e.count("site_id = {s:UInt32}", store.Params{"s": bakery}); n != 0; n = e.count("site_id = {s:UInt32}", store.Params{"s": bakery}) {
		if time.Now().After(deadline) {
			t.Fatalf("%d events accepted before the erasure are still stored", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// BenchmarkBatchFilter: what a batch of 10 000 events pays before its
// insert to leave out events of deleted sites ("before": the filter as it
// was) and, now, of erased data too, and to note what it stores ("after"),
// with five erasures known and no event of the batch hit by them (the
// steady state). Records replaced in the log are tested as they are read.
func BenchmarkBatchFilter(b *testing.B) {
	base := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	c := &Collector{sites: newSiteCache(nil, time.Now, slog.New(slog.DiscardHandler)), erase: newErasures(nil)}
	c.metrics = newMetrics(prometheus.NewRegistry(), c)
	live := map[uint32]bool{}
	for s := uint32(1); s <= 50; s++ {
		live[s*100] = true
	}
	c.sites.liveIDs.Store(&live)
	for s := uint32(1); s <= 5; s++ {
		c.erase.known[s*1000] = base
	}
	c.erase.latest = base
	recs := make([][]byte, 10_000)
	events := make([]sillage.Event, len(recs))
	for i := range recs {
		events[i] = sillage.Event{SiteID: uint32(i%50+1) * 100, Timestamp: base.Add(time.Duration(i) * time.Millisecond), Name: "pageview", Pathname: "/p"}
		recs[i] = encodeEvent(nil, &events[i])
	}
	b.Run("before", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			n := len(events)
			kept := slices.DeleteFunc(events, func(e sillage.Event) bool { return c.sites.deleted(e.SiteID) })
			if len(kept) != n {
				b.Fatal("an event dropped")
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(events)), "ns/event")
	})
	b.Run("after", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, rec := range recs {
				if blankRecord(rec) {
					b.Fatal("an event record taken for a blank one")
				}
			}
			if kept := c.keepStorable(events); len(kept) != len(events) {
				b.Fatal("an event dropped")
			}
			c.erase.noteStored(events)
			clear(c.erase.stored)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(events)), "ns/event")
	})
}

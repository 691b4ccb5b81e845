package collector

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/store/storetest"
)

// countingLister counts the reads of the real site list.
type countingLister struct {
	*accounts.Service
	reads atomic.Int64
}

func (l *countingLister) Sites(ctx context.Context) ([]sillage.Site, error) {
	l.reads.Add(1)
	return l.Service.Sites(ctx)
}

// sendConcurrently sends each of n clients' events at once and returns the
// answers that did not count the event.
func sendConcurrently(e *env, domain string, clients, each int) []string {
	var mu sync.Mutex
	var lost []string
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				r := e.send(request{body: fmt.Sprintf(`{"n":"pageview","u":"https://%s/%d/%d","d":"%s"}`, domain, c, i, domain),
					peer: fmt.Sprintf("81.65.2.%d", c+1)})
				if r.StatusCode() != 202 || len(r.Header.Peek(DroppedHeader)) != 0 {
					mu.Lock()
					lost = append(lost, fmt.Sprintf("client %d event %d: %d %q", c, i, r.StatusCode(), r.Header.Peek(DroppedHeader)))
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return lost
}

// A site added by another process (the query service, the command line)
// counts the events sent at once after, from 8 clients at the same time:
// the collector has no notice of it, only the store.
func TestNewSiteCountsFirstEventsFromAnotherProcess(t *testing.T) {
	eng := storetest.Embedded(t)
	e := newEnv(t, eng)
	elsewhere := accounts.New(eng) // another process's accounts: no hook into this collector
	if _, err := elsewhere.AddSite(context.Background(), "tout-neuf.fr", "Europe/Paris"); err != nil {
		t.Fatal(err)
	}
	if lost := sendConcurrently(e, "tout-neuf.fr", 8, 3); len(lost) > 0 {
		t.Fatalf("%d of 24 first events not counted: %v", len(lost), lost)
	}
	e.flush()
	if n := e.count("pathname LIKE '/%/%'", nil); n != 24 {
		t.Fatalf("%d events stored, want 24", n)
	}
}

// A domain found unknown is answered at once for a few seconds. Another
// process adding its site is seen once that time is over; this process
// adding it (SitesChanged) is seen at once.
func TestUnknownDomainCacheAndSitesChanged(t *testing.T) {
	eng := storetest.Embedded(t)
	e := newEnv(t, eng)
	body := func(d string) string { return `{"n":"pageview","u":"https://` + d + `/","d":"` + d + `"}` }
	for _, d := range []string{"avant.fr", "ici.fr"} {
		if r := e.send(request{body: body(d)}); string(r.Header.Peek(DroppedHeader)) != "unknown-domain" {
			t.Fatalf("%s before it is added: %q", d, r.Header.Peek(DroppedHeader))
		}
	}
	elsewhere := accounts.New(eng)
	if _, err := elsewhere.AddSite(context.Background(), "avant.fr", "Europe/Paris"); err != nil {
		t.Fatal(err)
	}
	if r := e.send(request{body: body("avant.fr")}); string(r.Header.Peek(DroppedHeader)) != "unknown-domain" {
		t.Fatalf("within %v of being found unknown, the store was asked again: %q", siteUnknownTTL, r.Header.Peek(DroppedHeader))
	}
	e.clock.advance(siteUnknownTTL)
	if r := e.send(request{body: body("avant.fr")}); len(r.Header.Peek(DroppedHeader)) != 0 {
		t.Fatalf("%v later, a site added elsewhere is still unknown: %q", siteUnknownTTL, r.Header.Peek(DroppedHeader))
	}

	here := accounts.New(eng)
	here.SitesChanged = e.c.SitesChanged
	if r := e.send(request{body: body("ici.fr")}); string(r.Header.Peek(DroppedHeader)) != "unknown-domain" {
		t.Fatalf("ici.fr before it is added: %q", r.Header.Peek(DroppedHeader))
	}
	if _, err := here.AddSite(context.Background(), "ici.fr", "Europe/Paris"); err != nil {
		t.Fatal(err)
	}
	if r := e.send(request{body: body("ici.fr")}); len(r.Header.Peek(DroppedHeader)) != 0 {
		t.Fatalf("a site added in this process is not counted at once: %q", r.Header.Peek(DroppedHeader))
	}
}

// A flood of made-up domains reads the store at most once per siteMissGap,
// one read at a time, and a domain already found unknown not at all.
func TestUnknownDomainFloodIsBounded(t *testing.T) {
	eng := storetest.Embedded(t)
	l := &countingLister{Service: accounts.New(eng)}
	e := newEnv(t, eng)
	e.c.sites.lister = l
	start := time.Now()
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				d := fmt.Sprintf("faux-%d-%d.example", g, i)
				if r := e.send(request{body: `{"n":"pageview","u":"https://` + d + `/","d":"` + d + `"}`}); string(r.Header.Peek(DroppedHeader)) != "unknown-domain" {
					t.Errorf("%s: %d %q", d, r.StatusCode(), r.Header.Peek(DroppedHeader))
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	reads := l.reads.Load()
	if limit := int64(elapsed/siteMissGap) + 2; reads > limit {
		t.Fatalf("320 made-up domains in %v read the store %d times, want at most %d", elapsed, reads, limit)
	}
	t.Logf("320 made-up domains from 16 clients: %d reads of the store in %v", reads, elapsed)
	before := l.reads.Load()
	for range 100 {
		e.send(request{body: `{"n":"pageview","u":"https://faux-0-0.example/","d":"faux-0-0.example"}`})
	}
	if n := l.reads.Load() - before; n != 0 {
		t.Fatalf("a domain found unknown read the store %d more times", n)
	}
}

// BenchmarkSiteLookup: a registered domain, and a domain found unknown a
// moment ago (what a flood of one made-up domain costs).
func BenchmarkSiteLookup(b *testing.B) {
	eng := storetest.Embedded(b)
	storetest.MustMigrate(b, eng)
	acc := accounts.New(eng)
	if _, err := acc.AddSite(context.Background(), "atelier.fr", "Europe/Paris"); err != nil {
		b.Fatal(err)
	}
	frozen := time.Now()
	c := newSiteCache(acc, func() time.Time { return frozen }, slog.New(slog.DiscardHandler))
	c.refresh(context.Background())
	ctx := context.Background()
	if _, ok, err := c.lookup(ctx, "inconnu.fr"); ok || err != nil {
		b.Fatal(ok, err)
	}
	for _, bc := range []struct{ name, domain string }{{"known", "atelier.fr"}, {"unknown", "inconnu.fr"}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					c.lookup(ctx, bc.domain)
				}
			})
		})
	}
}

// An internationalised domain is one site however the event spells it: a
// page without data-domain sends location.hostname, which browsers give in
// its ASCII form (xn--…), and data-domain may be written either way.
func TestInternationalDomainEitherSpelling(t *testing.T) {
	eng := storetest.Embedded(t)
	e := newEnv(t, eng)
	acc := accounts.New(eng)
	for _, d := range []string{"bücher.de", "xn--caf-dma.fr"} {
		if _, err := acc.AddSite(context.Background(), d, "Europe/Paris"); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"xn--bcher-kva.de", "bücher.de", "café.fr", "xn--caf-dma.fr"} {
		r := e.send(request{body: fmt.Sprintf(`{"n":"pageview","u":"https://%s/idn","d":"%s"}`, d, d), peer: "81.65.2.9"})
		if r.StatusCode() != 202 || len(r.Header.Peek(DroppedHeader)) != 0 {
			t.Errorf("an event for %s: %d %q, want it counted", d, r.StatusCode(), r.Header.Peek(DroppedHeader))
		}
	}
	e.flush()
	if n := e.count("pathname = '/idn'", nil); n != 4 {
		t.Fatalf("%d events stored, want 4", n)
	}
}

type fixedLister []sillage.Site

func (l fixedLister) Sites(context.Context) ([]sillage.Site, error) { return l, nil }

// The xn-- spelling of a domain belongs to its oldest site. A site stored
// under another Unicode spelling of the same name (before those were
// refused) sorts first by its bytes, yet must not take the older site's
// visitors.
func TestTwinGoesToTheOldestSite(t *testing.T) {
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	victim := sillage.Site{ID: 1, Domain: "bücher.de", CreatedAt: day}
	later := sillage.Site{ID: 2, Domain: "bu\u0308cher.de", CreatedAt: day.AddDate(0, 1, 0)}
	c := newSiteCache(fixedLister{later, victim}, time.Now, slog.New(slog.DiscardHandler))
	c.refresh(context.Background())
	for _, d := range []string{"xn--bcher-kva.de", "bücher.de"} {
		s, ok, err := c.lookup(context.Background(), d)
		if err != nil || !ok || s.ID != victim.ID {
			t.Errorf("%s: site %d (%v, %v), want the oldest, %d", d, s.ID, ok, err, victim.ID)
		}
	}
	// Alone, a site stored under the other spelling takes the events of
	// every spelling (an event's domain is normalised).
	c = newSiteCache(fixedLister{later}, time.Now, slog.New(slog.DiscardHandler))
	c.refresh(context.Background())
	for _, d := range []string{"xn--bcher-kva.de", "bücher.de", later.Domain} {
		if s, ok, err := c.lookup(context.Background(), d); err != nil || !ok || s.ID != later.ID {
			t.Errorf("%s alone: site %d (%v, %v), want %d", d, s.ID, ok, err, later.ID)
		}
	}
}

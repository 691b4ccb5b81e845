package live_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/query/internal/live"
	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// counting counts the statements that read events, at the engine
// interface.
type counting struct {
	store.Engine
	n atomic.Int64
}

func (c *counting) Query(ctx context.Context, q string, p store.Params) (store.Rows, error) {
	if strings.Contains(q, "FROM events") {
		c.n.Add(1)
	}
	return c.Engine.Query(ctx, q, p)
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func ev(site uint32, ts time.Time, name string, visitor uint64, path, source, country string) sillage.Event {
	return sillage.Event{SiteID: site, Timestamp: ts, Name: name, VisitorID: visitor, SessionID: visitor, SessionStart: ts,
		Hostname: "a.fr", Pathname: path, Interactive: name != "engagement",
		Visit: sillage.Visit{ReferrerSource: source, CountryCode: country}}
}

func TestSnapshot(t *testing.T) {
	eng := storetest.Migrated(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 16, 30, 20, 0, time.UTC)
	events := []sillage.Event{
		// 31 minutes ago: outside the window.
		ev(1, now.Add(-31*time.Minute), "pageview", 9, "/old", "Google", "DE"),
		// Minute 16:01 (the first bucket): two visitors.
		ev(1, time.Date(2026, 12, 7, 16, 1, 5, 0, time.UTC), "pageview", 1, "/", "Google", "FR"),
		ev(1, time.Date(2026, 12, 7, 16, 1, 50, 0, time.UTC), "pageview", 2, "/prix", "", "FR"),
		// 16:20: visitor 1 again, a custom event.
		ev(1, time.Date(2026, 12, 7, 16, 20, 0, 0, time.UTC), "Signup", 1, "/prix", "Google", "FR"),
		// The last 5 minutes: visitor 3's pageview, visitor 2's engagement.
		ev(1, time.Date(2026, 12, 7, 16, 27, 0, 0, time.UTC), "pageview", 3, "/", "Qwant", "BE"),
		ev(1, time.Date(2026, 12, 7, 16, 30, 10, 0, time.UTC), "engagement", 2, "/prix", "", "FR"),
		// Another site's visitor.
		ev(2, time.Date(2026, 12, 7, 16, 29, 0, 0, time.UTC), "pageview", 7, "/", "", "FR"),
	}
	if err := eng.InsertEvents(ctx, "", events); err != nil {
		t.Fatal(err)
	}
	c := live.New(eng, live.Options{Now: func() time.Time { return now }})
	s, err := c.Get(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if s.Current != 2 || s.Visitors != 3 || s.Pageviews != 3 {
		t.Errorf("current, visitors, pageviews = %d, %d, %d; want 2, 3, 3", s.Current, s.Visitors, s.Pageviews)
	}
	if len(s.Minutes) != 30 || !s.Minutes[0].Time.Equal(time.Date(2026, 12, 7, 16, 1, 0, 0, time.UTC)) ||
		!s.Minutes[29].Time.Equal(time.Date(2026, 12, 7, 16, 30, 0, 0, time.UTC)) {
		t.Fatalf("minutes %d, from %v to %v; want 30 from 16:01 to 16:30", len(s.Minutes), s.Minutes[0].Time, s.Minutes[len(s.Minutes)-1].Time)
	}
	want := map[int]live.Minute{0: {Visitors: 2, Pageviews: 2}, 19: {Visitors: 1}, 26: {Visitors: 1, Pageviews: 1}, 29: {Visitors: 1}}
	for i, m := range s.Minutes {
		w := want[i]
		if m.Visitors != w.Visitors || m.Pageviews != w.Pageviews {
			t.Errorf("minute %s: %d visitors, %d pageviews; want %d, %d", m.Time.Format("15:04"), m.Visitors, m.Pageviews, w.Visitors, w.Pageviews)
		}
	}
	eq := func(what string, got []live.Row, want ...live.Row) {
		t.Helper()
		if len(got) != len(want) {
			t.Errorf("%s = %v, want %v", what, got, want)
			return
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s = %v, want %v", what, got, want)
				return
			}
		}
	}
	eq("pages", s.Pages, live.Row{"/", 2}, live.Row{"/prix", 1})
	eq("sources", s.Sources, live.Row{"Direct / None", 1}, live.Row{"Google", 1}, live.Row{"Qwant", 1})
	eq("countries", s.Countries, live.Row{"FR", 2}, live.Row{"BE", 1})
}

// TestShared: twenty viewers of one site polling together cost one
// statement per TTL; a new one after the TTL.
func TestShared(t *testing.T) {
	eng := &counting{Engine: storetest.Migrated(t)}
	ctx := context.Background()
	clk := &clock{t: time.Now().UTC()}
	if err := eng.InsertEvents(ctx, "", []sillage.Event{ev(1, clk.Now().Add(-time.Minute), "pageview", 1, "/", "", "FR")}); err != nil {
		t.Fatal(err)
	}
	c := live.New(eng, live.Options{Now: clk.Now, TTL: 5 * time.Second})
	poll := func() {
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				s, err := c.Get(ctx, 1)
				if err != nil || s.Current != 1 {
					t.Errorf("Get = %+v, %v; want 1 current visitor", s, err)
				}
			})
		}
		wg.Wait()
	}
	poll()
	if n := eng.n.Load(); n != 1 {
		t.Fatalf("20 viewers at once: %d statements, want 1", n)
	}
	clk.add(4 * time.Second)
	poll()
	if n := eng.n.Load(); n != 1 {
		t.Fatalf("within the TTL: %d statements, want 1", n)
	}
	clk.add(time.Second)
	poll()
	if n := eng.n.Load(); n != 2 {
		t.Fatalf("after the TTL: %d statements, want 2", n)
	}
	// A viewer who leaves does not cancel the statement of the others.
	clk.add(5 * time.Second)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.Get(cctx, 1); err == nil {
		t.Fatal("a cancelled viewer got an answer")
	}
	poll()
}

// TestBounded: the snapshots kept stay under MaxSites.
func TestBounded(t *testing.T) {
	eng := &counting{Engine: storetest.Migrated(t)}
	now := time.Now()
	c := live.New(eng, live.Options{Now: func() time.Time { return now }, MaxSites: 3})
	for site := range uint32(5) {
		if _, err := c.Get(context.Background(), site+1); err != nil {
			t.Fatal(err)
		}
	}
	if n := c.Len(); n != 3 {
		t.Fatalf("%d snapshots kept, want 3", n)
	}
	// The most recent survive, the first was evicted and costs a statement.
	before := eng.n.Load()
	c.Get(context.Background(), 5)
	if eng.n.Load() != before {
		t.Error("site 5 was recomputed within its TTL")
	}
	c.Get(context.Background(), 1)
	if eng.n.Load() != before+1 {
		t.Error("site 1 was not evicted")
	}
}

// BenchmarkGetFresh is the path of every poll but one per TTL: a fresh
// snapshot from the cache, under concurrent viewers.
func BenchmarkGetFresh(b *testing.B) {
	eng := &counting{Engine: storetest.Migrated(b)}
	now := time.Now()
	c := live.New(eng, live.Options{Now: func() time.Time { return now }})
	if _, err := c.Get(context.Background(), 1); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Get(context.Background(), 1); err != nil {
				b.Error(err)
				return
			}
		}
	})
	if n := eng.n.Load(); n != 1 {
		b.Fatalf("%d statements, want 1", n)
	}
}

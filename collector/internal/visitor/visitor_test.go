package visitor

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func TestIDDependsOnEveryInput(t *testing.T) {
	s1, s2 := randomSalt(), randomSalt()
	ua := "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
	base := ID(s1, 1, "81.65.1.2", ua)
	if base != ID(s1, 1, "81.65.1.2", ua) {
		t.Fatal("ID is not deterministic")
	}
	for name, other := range map[string]uint64{
		"salt": ID(s2, 1, "81.65.1.2", ua), "site": ID(s1, 2, "81.65.1.2", ua),
		"ip": ID(s1, 1, "81.65.1.3", ua), "user agent": ID(s1, 1, "81.65.1.2", ua+" "),
		"boundary": ID(s1, 1, "81.65.1.2M", "ozilla"),
	} {
		if other == base {
			t.Errorf("changing the %s does not change the id", name)
		}
	}
}

func TestSaltRotationAcrossMidnight(t *testing.T) {
	ctx := context.Background()
	e := storetest.Migrated(t)
	// Days around the real date: the salts table's TTL deletes rows two
	// days after their day by the engine's clock, whatever the test's.
	day := time.Now().UTC().Truncate(24 * time.Hour)
	c := &clock{t: day.Add(23*time.Hour + 50*time.Minute)}
	a := NewSalts(e, c.now, slog.Default())
	b := NewSalts(e, c.now, slog.Default()) // a second collector

	todayA, yA := a.Current(ctx)
	todayB, _ := b.Current(ctx)
	if *todayA != *todayB {
		t.Fatal("two collectors disagree on the day's salt")
	}
	if yA != nil {
		t.Fatal("no salt existed yesterday")
	}

	c.set(day.Add(24*time.Hour + 10*time.Minute))
	newA, prevA := a.Current(ctx)
	newB, prevB := b.Current(ctx)
	if *newA == *todayA {
		t.Fatal("salt did not rotate at midnight UTC")
	}
	if *newA != *newB || prevA == nil || prevB == nil || *prevA != *todayA || *prevB != *todayA {
		t.Fatal("after midnight, both collectors must share today's salt and keep yesterday's")
	}
	// A collector started after midnight still finds yesterday's salt.
	late := NewSalts(e, c.now, slog.Default())
	_, prevLate := late.Current(ctx)
	if prevLate == nil || *prevLate != *todayA {
		t.Fatal("a collector started after midnight lacks yesterday's salt")
	}

	// Two days later the first salt is gone from the store.
	c.set(day.Add(48*time.Hour + time.Minute))
	a.Current(ctx)
	var n uint64
	if err := store.QueryRow(ctx, e, "SELECT count() FROM salts WHERE day = {d:Date}", store.Params{"d": day.Format(time.DateOnly)}, &n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("salt of %s still stored two days later: %d rows", day.Format(time.DateOnly), n)
	}
}

// Two collectors whose first writes of the day cross: B's candidate was
// stamped before A's but landed after A read back its own. Both settle on
// the earliest candidate within the first rechecks.
func TestSaltsSettleOnTheEarliest(t *testing.T) {
	ctx := context.Background()
	e := storetest.Migrated(t)
	day := time.Now().UTC().Truncate(24 * time.Hour)
	c := &clock{t: day.Add(9 * time.Hour)}
	a := NewSalts(e, c.now, slog.New(slog.DiscardHandler))
	saltA, _ := a.Current(ctx)
	// B's insert, stamped a second before A's, lands now.
	if err := e.Exec(ctx, "INSERT INTO salts (day, salt, created_at) VALUES ({d:Date}, unhex({salt:String}), {at:DateTime64(6, 'UTC')})",
		store.Params{"d": day.Format(time.DateOnly), "salt": strings.Repeat("ab", SaltSize), "at": c.now().Add(-time.Second)}); err != nil {
		t.Fatal(err)
	}
	b := NewSalts(e, c.now, slog.New(slog.DiscardHandler))
	saltB, _ := b.Current(ctx)
	if *saltA == *saltB {
		t.Fatal("the test did not make the collectors disagree")
	}
	c.set(c.now().Add(11 * time.Second))
	if got, _ := a.Current(ctx); *got != *saltB {
		t.Fatal("11 s later, the first collector still uses its own salt, not the earliest")
	}
}

func TestSaltsWithoutStore(t *testing.T) {
	e := storetest.Embedded(t) // no tables: every store call fails
	c := &clock{t: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	s := NewSalts(e, c.now, slog.New(slog.DiscardHandler))
	t1, _ := s.Current(context.Background())
	t2, _ := s.Current(context.Background())
	if t1 == nil || *t1 != *t2 {
		t.Fatal("without a store, a local salt must be used consistently")
	}
}

func BenchmarkID(b *testing.B) {
	salt := randomSalt()
	ua := "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ID(salt, 42, "2a01:cb00:1234:5678::1", ua)
	}
}

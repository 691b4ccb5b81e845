package reports_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage/reports"
)

// A spike alerts each chosen member once, then stays silent for its
// cool-down; its check runs at most every SpikeEvery.
func TestSpikeCooldown(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, "Europe/Paris", at(t, "2026-12-09T15:00:00Z"))
	if err := f.svc.SetAlerts(ctx, f.site.ID, reports.AlertSettings{SpikeVisitors: 3, CooldownHours: 2,
		Recipients: []string{f.owner.ID, f.viewer.ID}, Lang: "en"}); err != nil {
		t.Fatal(err)
	}
	sc := reports.NewScheduler(f.svc)
	tick := func() []sent {
		t.Helper()
		if err := sc.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		return f.out.take()
	}
	f.crowd(2, f.clock.Now().Add(-time.Minute))
	if got := tick(); len(got) != 0 {
		t.Fatalf("2 current visitors, threshold 3: sent %v", keys(got))
	}
	// A third visitor a minute later: the next check is not due yet.
	f.clock.Add(time.Minute)
	f.crowd(1, f.clock.Now().Add(-10*time.Second))
	st := f.eng.stats.Load()
	if got := tick(); len(got) != 0 {
		t.Fatalf("between checks: sent %v", keys(got))
	}
	if n := f.eng.stats.Load() - st; n != 0 {
		t.Errorf("between checks: %d stats statements", n)
	}
	f.clock.Add(reports.SpikeEvery)
	f.crowd(3, f.clock.Now().Add(-time.Minute))
	got := tick()
	var to []string
	for _, m := range got {
		to = append(to, m.msg.To[0])
		if m.msg.Subject != "Traffic spike on a.fr: 3 current visitors" {
			t.Errorf("subject %q", m.msg.Subject)
		}
	}
	slices.Sort(to)
	if !slices.Equal(to, []string{"owner@a.fr", "viewer@a.fr"}) {
		t.Fatalf("spike sent to %v", to)
	}
	// Still a crowd, within the cool-down: silence.
	for range 4 {
		f.clock.Add(20 * time.Minute)
		f.crowd(5, f.clock.Now().Add(-time.Minute))
		if got := tick(); len(got) != 0 {
			t.Fatalf("within the cool-down: sent %v", keys(got))
		}
	}
	// Another process (a new scheduler) respects the cool-down too.
	sc = reports.NewScheduler(f.svc)
	if got := tick(); len(got) != 0 {
		t.Fatalf("another process within the cool-down: sent %v", keys(got))
	}
	f.clock.Add(time.Hour) // 2 h 25 min after the alert
	f.crowd(4, f.clock.Now().Add(-time.Minute))
	if got := tick(); len(got) != 2 {
		t.Fatalf("after the cool-down: sent %v", keys(got))
	}
}

// A finished day under half the median of the same weekday over the 4
// weeks before is told once, from SendHour the day after, in French too.
func TestDropAlert(t *testing.T) {
	ctx := context.Background()
	paris, _ := time.LoadLocation("Europe/Paris")
	f := newFixture(t, "Europe/Paris", time.Date(2026, 12, 9, 6, 59, 0, 0, paris))
	if err := f.svc.SetAlerts(ctx, f.site.ID, reports.AlertSettings{Drop: true, CooldownHours: 48,
		Recipients: []string{f.viewer.ID}, Lang: "fr"}); err != nil {
		t.Fatal(err)
	}
	day := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, paris) }
	// Tuesdays: 10, 17 and 24 November, 1 December, then 8 December.
	f.crowd(20, day(10, 12))
	f.crowd(14, day(17, 12))
	f.crowd(12, day(24, 12))
	f.crowd(12, day(31, 12)) // 1 December
	// Late on Tuesday 8 December in Paris (Wednesday in UTC+2 zones).
	f.crowd(6, time.Date(2026, 12, 8, 23, 50, 0, 0, paris))
	// Wednesdays: 20 each, then none on 9 December.
	for _, d := range []int{11, 18, 25, 32} {
		f.crowd(20, day(d, 12))
	}
	sc := reports.NewScheduler(f.svc)
	tick := func() []sent {
		t.Helper()
		if err := sc.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		return f.out.take()
	}
	st := f.eng.stats.Load()
	if got := tick(); len(got) != 0 {
		t.Fatalf("06:59: sent %v", keys(got))
	}
	if n := f.eng.stats.Load() - st; n != 0 {
		t.Errorf("06:59: %d stats statements before the check is due", n)
	}
	f.clock.Add(time.Minute)
	got := tick()
	if len(got) != 1 || got[0].msg.To[0] != "viewer@a.fr" ||
		got[0].msg.Subject != "Baisse de trafic sur a.fr : 6 visiteurs le mardi 8 décembre" {
		t.Fatalf("07:00: sent %+v", got)
	}
	f.clock.Add(time.Hour)
	if got := tick(); len(got) != 0 {
		t.Fatalf("08:00: sent again %v", keys(got))
	}
	// Thursday: Wednesday had 0 against 20, but the 48 h cool-down runs.
	f.clock.Add(24 * time.Hour)
	if got := tick(); len(got) != 0 {
		t.Fatalf("Thursday, within the cool-down: sent %v", keys(got))
	}
}

func TestIsDrop(t *testing.T) {
	for _, c := range []struct {
		visitors uint64
		usual    float64
		want     bool
	}{
		{6, 13, true},
		{7, 13, false},
		{0, 10, true},
		{0, 9.5, false}, // too quiet to tell
		{50, 200, true},
		{100, 200, false},
	} {
		if got := reports.IsDrop(c.visitors, c.usual); got != c.want {
			t.Errorf("IsDrop(%d, %v) = %v", c.visitors, c.usual, got)
		}
	}
}

package session

import (
	"testing"
	"time"
)

func TestSessionBoundaries(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	attrs := func() *Attrs { return &Attrs{ReferrerSource: "Google"} }
	tests := []struct {
		name    string
		gap     time.Duration
		sameSes bool
	}{
		{"29 minutes later: same session", 29 * time.Minute, true},
		{"29m59s later: same session", 29*time.Minute + 59*time.Second, true},
		{"30 minutes later: new session", 30 * time.Minute, false},
		{"31 minutes later: new session", 31 * time.Minute, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := NewTracker(Config{})
			first, _ := tr.Touch(1, 42, 1, t0, true, attrs)
			second, _ := tr.Touch(1, 42, 1, t0.Add(tt.gap), true, func() *Attrs { return &Attrs{ReferrerSource: "Bing"} })
			if (first.ID == second.ID) != tt.sameSes {
				t.Fatalf("same session = %v, want %v", first.ID == second.ID, tt.sameSes)
			}
			if tt.sameSes && (second.Attrs.ReferrerSource != "Google" || !second.Start.Equal(t0)) {
				t.Fatalf("a continued session keeps its first attributes and start: %+v", second)
			}
			if !tt.sameSes && (second.Attrs.ReferrerSource != "Bing" || !second.Start.Equal(t0.Add(tt.gap))) {
				t.Fatalf("a new session takes the new attributes and start: %+v", second)
			}
		})
	}
}

func TestActivityKeepsSessionAlive(t *testing.T) {
	tr := NewTracker(Config{})
	t0 := time.Date(2026, 11, 26, 23, 40, 0, 0, time.UTC)
	a := func() *Attrs { return &Attrs{} }
	s, _ := tr.Touch(1, 7, 1, t0, true, a)
	for i := 1; i <= 4; i++ { // every 20 minutes, across midnight
		got, _ := tr.Touch(1, 7, 1, t0.Add(time.Duration(i)*20*time.Minute), true, a)
		if got.ID != s.ID {
			t.Fatalf("event %d started a new session", i)
		}
	}
}

func TestNonExtendingEvents(t *testing.T) {
	tr := NewTracker(Config{})
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	a := func() *Attrs { return &Attrs{} }
	if _, ok := tr.Touch(1, 7, 1, t0, false, a); ok {
		t.Fatal("an engagement event must not start a session")
	}
	s, _ := tr.Touch(1, 7, 1, t0, true, a)
	if got, ok := tr.Touch(1, 7, 1, t0.Add(20*time.Minute), false, a); !ok || got.ID != s.ID {
		t.Fatal("an engagement event joins the live session")
	}
	if tr.Active(1, 7, t0.Add(35*time.Minute)) {
		t.Fatal("an engagement event must not keep the session alive")
	}
}

func TestSitesAndVisitorsAreSeparate(t *testing.T) {
	tr := NewTracker(Config{})
	t0 := time.Now()
	a := func() *Attrs { return &Attrs{} }
	x, _ := tr.Touch(1, 7, 1, t0, true, a)
	y, _ := tr.Touch(2, 7, 1, t0, true, a)
	z, _ := tr.Touch(1, 8, 1, t0, true, a)
	if x.ID == y.ID || x.ID == z.ID {
		t.Fatal("sessions leak across sites or visitors")
	}
}

func TestRestoreAndExpire(t *testing.T) {
	tr := NewTracker(Config{})
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	tr.Restore(1, 7, Session{ID: 99, Start: t0, Last: t0.Add(10 * time.Minute), Attrs: &Attrs{Channel: "Direct"}}, 2)
	got, _ := tr.Touch(1, 7, 1, t0.Add(20*time.Minute), true, func() *Attrs { return &Attrs{} })
	if got.ID != 99 || got.Attrs.Channel != "Direct" {
		t.Fatalf("a restored session is not continued: %+v", got)
	}
	tr.Restore(1, 8, Session{ID: 5, Start: t0, Last: t0, Attrs: &Attrs{}}, 1)
	if left := tr.Expire(t0.Add(45 * time.Minute)); left != 1 {
		t.Fatalf("%d sessions left after expiry, want 1", left)
	}
}

// BenchmarkTouch is the hot path without eviction: 50 000 live visitors,
// each from its own network, under the default budget.
func BenchmarkTouch(b *testing.B) {
	tr := NewTracker(Config{})
	t0 := time.Now()
	a := &Attrs{}
	attrs := func() *Attrs { return a }
	b.RunParallel(func(pb *testing.PB) {
		i := uint64(0)
		for pb.Next() {
			i++
			v := i % 50_000
			tr.Touch(1, v, v+1, t0, true, attrs)
		}
	})
}

package admit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newLimiter() (*Limiter, *clock) {
	c := &clock{t: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)}
	return New(c.now), c
}

// waiting is how many of key's queries wait for their turn.
func (l *Limiter) waitingOf(key string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c := l.callers[key]; c != nil {
		return len(c.waiting)
	}
	return 0
}

// untilWaiting polls until key has n queries waiting.
func untilWaiting(t *testing.T, l *Limiter, key string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for l.waitingOf(key) != n {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d waiting, want %d", key, l.waitingOf(key), n)
		}
		time.Sleep(time.Millisecond)
	}
}

type result struct {
	release func()
	err     error
}

func acquireAsync(l *Limiter, ctx context.Context, key string, lim Limit) <-chan result {
	ch := make(chan result, 1)
	go func() {
		r, err := l.Acquire(ctx, key, lim)
		ch <- result{r, err}
	}()
	return ch
}

func wantBusy(t *testing.T, err error, reason string, retry time.Duration) {
	t.Helper()
	var b *Busy
	if !errors.As(err, &b) {
		t.Fatalf("want a refusal (%s), got %v", reason, err)
	}
	if b.Reason != reason || b.RetryAfter != retry {
		t.Fatalf("refusal %s after %s, want %s after %s", b.Reason, b.RetryAfter, reason, retry)
	}
}

// A caller over its concurrency waits in its queue; past the queue it is
// refused at once; another caller is let in meanwhile.
func TestConcurrencyAndQueue(t *testing.T) {
	l, _ := newLimiter()
	ctx := context.Background()
	lim := Limit{Concurrent: 1, Queue: 1}
	first, err := l.Acquire(ctx, "link:a", lim)
	if err != nil {
		t.Fatal(err)
	}
	second := acquireAsync(l, ctx, "link:a", lim)
	untilWaiting(t, l, "link:a", 1)
	_, err = l.Acquire(ctx, "link:a", lim)
	wantBusy(t, err, ReasonQueue, time.Second)

	other, err := l.Acquire(ctx, "user:b", lim)
	if err != nil {
		t.Fatalf("another caller: %v", err)
	}
	other()

	select {
	case r := <-second:
		t.Fatalf("the queued query ran before the first ended: %v", r.err)
	default:
	}
	first()
	r := <-second
	if r.err != nil {
		t.Fatal(r.err)
	}
	r.release()
	r.release() // twice is harmless
	again, err := l.Acquire(ctx, "link:a", lim)
	if err != nil {
		t.Fatalf("after both ended: %v", err)
	}
	again()
}

// A caller that spent its budget is refused until the debt is paid back,
// and is told how long that takes.
func TestBudget(t *testing.T) {
	l, clk := newLimiter()
	ctx := context.Background()
	lim := Limit{Concurrent: 2, Queue: 4, Budget: 10 * time.Second}
	release, err := l.Acquire(ctx, "key:k", lim)
	if err != nil {
		t.Fatal(err)
	}
	clk.advance(15 * time.Second) // a full budget earns nothing more: 5 s of debt
	release()
	_, err = l.Acquire(ctx, "key:k", lim)
	// 5 s of debt at 10 s per minute: 30 s, and a second more to be above zero.
	wantBusy(t, err, ReasonBudget, 31*time.Second)
	if _, err := l.Acquire(ctx, "user:u", lim); err != nil {
		t.Fatalf("another caller: %v", err)
	}
	clk.advance(30 * time.Second)
	_, err = l.Acquire(ctx, "key:k", lim)
	wantBusy(t, err, ReasonBudget, time.Second)
	clk.advance(time.Second)
	release, err = l.Acquire(ctx, "key:k", lim)
	if err != nil {
		t.Fatalf("after the debt was paid back: %v", err)
	}
	release()
}

// Queued queries whose caller ran out of budget meanwhile are refused when
// their turn comes, not run.
func TestQueuedRefusedWhenBudgetRunsOut(t *testing.T) {
	l, clk := newLimiter()
	ctx := context.Background()
	lim := Limit{Concurrent: 1, Queue: 2, Budget: time.Second}
	release, err := l.Acquire(ctx, "link:a", lim)
	if err != nil {
		t.Fatal(err)
	}
	a := acquireAsync(l, ctx, "link:a", lim)
	untilWaiting(t, l, "link:a", 1)
	b := acquireAsync(l, ctx, "link:a", lim)
	untilWaiting(t, l, "link:a", 2)
	clk.advance(2 * time.Second)
	release()
	for _, ch := range []<-chan result{a, b} {
		r := <-ch
		var busy *Busy
		if !errors.As(r.err, &busy) || busy.Reason != ReasonBudget {
			t.Fatalf("want a budget refusal, got %v", r.err)
		}
	}
	l.mu.Lock()
	running := l.callers["link:a"].running
	l.mu.Unlock()
	if running != 0 {
		t.Fatalf("%d running after every query ended", running)
	}
}

// A query whose request ends while it waits leaves the queue.
func TestWaitEndsWithContext(t *testing.T) {
	l, _ := newLimiter()
	lim := Limit{Concurrent: 1, Queue: 1}
	release, err := l.Acquire(context.Background(), "user:u", lim)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch := acquireAsync(l, ctx, "user:u", lim)
	untilWaiting(t, l, "user:u", 1)
	cancel()
	if r := <-ch; !errors.Is(r.err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", r.err)
	}
	if n := l.waitingOf("user:u"); n != 0 {
		t.Fatalf("%d still waiting", n)
	}
	release()
	release, err = l.Acquire(context.Background(), "user:u", lim)
	if err != nil {
		t.Fatal(err)
	}
	release()
}

// Idle callers with their whole budget are forgotten.
func TestSweep(t *testing.T) {
	l, clk := newLimiter()
	lim := Limit{Concurrent: 1, Budget: 10 * time.Second}
	for i := range 100 {
		release, err := l.Acquire(context.Background(), fmt.Sprint("link:", i), lim)
		if err != nil {
			t.Fatal(err)
		}
		clk.advance(100 * time.Millisecond)
		release()
	}
	clk.advance(2 * Window)
	release, err := l.Acquire(context.Background(), "user:u", lim)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if n := l.Callers(); n != 1 {
		t.Fatalf("%d callers remembered, want the one running", n)
	}
}

// A remembered refusal refuses the same fingerprint until its time is up,
// counting down, and no other fingerprint.
func TestRememberRecall(t *testing.T) {
	l, clk := newLimiter()
	if b := l.Recall("fp1"); b != nil {
		t.Fatalf("nothing remembered yet: %v", b)
	}
	l.Remember("fp1", &Busy{Reason: ReasonBudget, RetryAfter: 10 * time.Second})
	clk.advance(3500 * time.Millisecond)
	wantBusy(t, l.Recall("fp1"), ReasonRecalled, 7*time.Second)
	if b := l.Recall("fp2"); b != nil {
		t.Fatalf("another fingerprint: %v", b)
	}
	clk.advance(6500 * time.Millisecond)
	if b := l.Recall("fp1"); b != nil {
		t.Fatalf("after its time: %v", b)
	}
	for i := range maxRefused + 10 {
		l.Remember(fmt.Sprint("flood", i), &Busy{Reason: ReasonQueue, RetryAfter: time.Second})
	}
	l.mu.Lock()
	n := len(l.refused)
	l.mu.Unlock()
	if n > maxRefused {
		t.Fatalf("%d refusals remembered, bound %d", n, maxRefused)
	}
	clk.advance(2 * time.Second)
	l.Remember("late", &Busy{Reason: ReasonQueue, RetryAfter: time.Second})
	wantBusy(t, l.Recall("late"), ReasonRecalled, time.Second)
}

func TestParseLimit(t *testing.T) {
	tests := []struct {
		in   string
		want Limit
		ok   bool
	}{
		{"2,16,60s", Limit{2, 16, time.Minute}, true},
		{" 1 , 0 , 0 ", Limit{1, 0, 0}, true},
		{"1,4,1m30s", Limit{1, 4, 90 * time.Second}, true},
		{"0,4,1s", Limit{}, false},
		{"1,-1,1s", Limit{}, false},
		{"1,1,-1s", Limit{}, false},
		{"1,1", Limit{}, false},
		{"1,1,1s,1", Limit{}, false},
		{"a,1,1s", Limit{}, false},
		{"1,1,60", Limit{}, false},
		{"", Limit{}, false},
	}
	for _, tt := range tests {
		got, err := ParseLimit(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseLimit(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func FuzzParseLimit(f *testing.F) {
	for _, s := range []string{"2,16,60s", "1,0,0", "1,4,1m30s", ",,", "9999999999999999999,1,1s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLimit(s)
		if err != nil {
			return
		}
		if l.Concurrent < 1 || l.Queue < 0 || l.Budget < 0 {
			t.Fatalf("ParseLimit(%q) accepted %v", s, l)
		}
		back, err := ParseLimit(l.String())
		if err != nil || back != l {
			t.Fatalf("round trip of %v: %v, %v", l, back, err)
		}
	})
}

// BenchmarkAcquire is the cost admission adds to every stats request.
func BenchmarkAcquire(b *testing.B) {
	l := New(nil)
	lim := Limit{Concurrent: 2, Queue: 16, Budget: time.Hour}
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			release, err := l.Acquire(ctx, fmt.Sprint("user:", i%64), lim)
			if err != nil {
				b.Fatal(err)
			}
			release()
			i++
		}
	})
}

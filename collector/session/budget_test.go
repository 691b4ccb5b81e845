package session

import (
	"fmt"
	"net/netip"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// floodAttrs are a new session's attributes as a flood makes them: a
// referrer and campaign of its own, so no two sessions share their text.
func floodAttrs(i int) func() *Attrs {
	return func() *Attrs {
		return &Attrs{
			Referrer:       fmt.Sprintf("https://spam-%d.example.net/%s", i, strings.Repeat("x", 120)),
			ReferrerSource: "spam.example.net", Channel: "Referral",
			UTMCampaign: fmt.Sprintf("campaign-%d", i),
			Browser:     "Chrome", BrowserVersion: "131.0", OS: "Windows", OSVersion: "10", Device: "Desktop",
		}
	}
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// A flood of one-event sessions, each from its own network (as unique IPv6
// addresses make them), must not hold more memory than the budget: the
// oldest sessions are evicted past it, and the budget is what the heap
// really holds, not an estimate that undercounts.
func TestBudgetBoundsMemory(t *testing.T) {
	const budget = 4 << 20
	const n = 100_000
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	before := heapInUse()
	tr := NewTracker(Config{MaxBytes: budget})
	for i := range n {
		tr.Touch(1, uint64(i)+1, uint64(i)+1, t0.Add(time.Duration(i)*time.Millisecond), true, floodAttrs(i))
	}
	grown := int64(heapInUse()) - int64(before)
	st := tr.Stats()
	runtime.KeepAlive(tr)
	t.Logf("%d sessions touched: %d live, %d bytes charged, heap grew %d bytes (%.0f per live session, %.0f charged)",
		n, st.Sessions, st.Bytes, grown, float64(grown)/float64(max(st.Sessions, 1)), float64(st.Bytes)/float64(max(st.Sessions, 1)))
	if grown > budget*5/4 {
		t.Fatalf("heap grew %d bytes for a budget of %d", grown, budget)
	}
	if st.Bytes > budget {
		t.Fatalf("%d bytes charged for a budget of %d", st.Bytes, budget)
	}
	if st.Sessions == 0 || st.Sessions >= n {
		t.Fatalf("%d live sessions of %d touched", st.Sessions, n)
	}
	if st.Evicted[EvictedBudget] != uint64(n-st.Sessions) {
		t.Fatalf("%d evictions counted, want %d", st.Evicted[EvictedBudget], n-st.Sessions)
	}
}

// A flood of new user agents from one address fills that network's share
// of sessions and no more, and a visitor from another network keeps one
// session throughout, even one who had a single pageview before the flood.
func TestFloodFromOneNetworkLeavesOthersWhole(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	tr := NewTracker(Config{PerNetwork: 500})
	const flooder, visitorNet = 1001, 2002
	a := func() *Attrs { return &Attrs{Channel: "Direct"} }
	one, _ := tr.Touch(1, 7, visitorNet, t0, true, a)     // a visitor who viewed one page
	first, _ := tr.Touch(1, 8, visitorNet+1, t0, true, a) // a visitor who browses on
	for i := range 20_000 {
		now := t0.Add(time.Duration(i) * 50 * time.Millisecond)
		tr.Touch(1, uint64(100+i), flooder, now, true, floodAttrs(i))
		if i%2000 == 0 {
			if s, _ := tr.Touch(1, 8, visitorNet+1, now, true, a); s.ID != first.ID {
				t.Fatalf("after %d flood events the browsing visitor's session was split", i)
			}
		}
	}
	now := t0.Add(20 * time.Minute)
	if s, _ := tr.Touch(1, 7, visitorNet, now, true, a); s.ID != one.ID {
		t.Fatal("the one-page visitor's session was split by another network's flood")
	}
	st := tr.Stats()
	if st.Sessions > 500+2 {
		t.Fatalf("%d live sessions: the flooding network holds more than its 500", st.Sessions)
	}
	if st.Evicted[EvictedNetwork] != 20_000-500 {
		t.Fatalf("%d sessions evicted for the network cap, want %d", st.Evicted[EvictedNetwork], 20_000-500)
	}
}

// Past the budget, sessions of a single event go first: a flood of unique
// networks evicts its own sessions, not those of visitors with two events
// or more, nor those restored with two events or more.
func TestBudgetEvictsOneEventSessionsFirst(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	tr := NewTracker(Config{MaxBytes: 1 << 20})
	a := func() *Attrs { return &Attrs{Channel: "Direct"} }
	ids := map[uint64]uint64{}
	for v := uint64(1); v <= 100; v++ {
		s, _ := tr.Touch(1, v, 1_000_000+v, t0, true, a)
		tr.Touch(1, v, 1_000_000+v, t0.Add(time.Second), true, a)
		ids[v] = s.ID
	}
	tr.Restore(1, 500, Session{ID: 77, Start: t0, Last: t0, Attrs: &Attrs{}}, 3)
	for i := range 50_000 {
		tr.Touch(1, uint64(1000+i), uint64(1000+i), t0.Add(time.Minute+time.Duration(i)*time.Millisecond), true, floodAttrs(i))
	}
	if st := tr.Stats(); st.Evicted[EvictedBudget] == 0 || st.Bytes > 1<<20 {
		t.Fatalf("no eviction or over budget: %+v", st)
	}
	now := t0.Add(10 * time.Minute)
	for v, id := range ids {
		if s, _ := tr.Touch(1, v, 1_000_000+v, now, true, a); s.ID != id {
			t.Fatalf("visitor %d's session was evicted by the flood", v)
		}
	}
	if s, _ := tr.Touch(1, 500, 9, now, true, a); s.ID != 77 {
		t.Fatal("a restored session of three events was evicted by the flood")
	}
}

// The network key groups an IPv4 address, or an IPv6 /64, and nothing wider.
func TestNetworkKey(t *testing.T) {
	tr := NewTracker(Config{})
	key := func(s string) uint64 { return tr.Network(netip.MustParseAddr(s)) }
	tests := []struct {
		a, b string
		same bool
	}{
		{"81.65.1.2", "81.65.1.2", true},
		{"81.65.1.2", "81.65.1.3", false},
		{"81.65.1.2", "::ffff:81.65.1.2", true},
		{"2a01:cb00:1:2::1", "2a01:cb00:1:2:ffff:1234:5678:9abc", true},
		{"2a01:cb00:1:2::1", "2a01:cb00:1:3::1", false},
		{"0.0.0.0", "::", false},
	}
	for _, tt := range tests {
		if ka, kb := key(tt.a), key(tt.b); (ka == kb) != tt.same || ka == 0 || kb == 0 {
			t.Errorf("%s → %x, %s → %x: same = %v, want %v (and never 0)", tt.a, ka, tt.b, kb, ka == kb, tt.same)
		}
	}
	if tr.Network(netip.Addr{}) != 0 {
		t.Error("no address must give the unknown network 0")
	}
	if other := NewTracker(Config{}); other.Network(netip.MustParseAddr("81.65.1.2")) == key("81.65.1.2") {
		t.Error("two trackers share a network key: the key must be random per process")
	}
}

// Restored sessions arrive in any order and still expire on time, and a
// session restored as newer replaces the live one.
func TestRestoreOutOfOrderExpires(t *testing.T) {
	tr := NewTracker(Config{})
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	for i, min := range []int{20, 5, 25, 1, 15} {
		last := t0.Add(time.Duration(min) * time.Minute)
		tr.Restore(1, uint64(i+1), Session{ID: uint64(i + 1), Start: t0, Last: last, Attrs: &Attrs{}}, 1)
	}
	// At 40 minutes, those last seen at 1 and 5 minutes are gone.
	if left := tr.Expire(t0.Add(40 * time.Minute)); left != 3 {
		t.Fatalf("%d sessions left, want 3", left)
	}
	if left := tr.Expire(t0.Add(56 * time.Minute)); left != 0 {
		t.Fatalf("%d sessions left, want 0", left)
	}
	if st := tr.Stats(); st.Bytes != 0 {
		t.Fatalf("%d bytes still charged with no session", st.Bytes)
	}
}

// BenchmarkTouchFlood is the hot path under a flood: every event starts a
// session from a new network past the budget, so each one evicts another.
func BenchmarkTouchFlood(b *testing.B) {
	tr := NewTracker(Config{MaxBytes: 1 << 20})
	t0 := time.Now()
	a := &Attrs{Referrer: "https://example.net/", Browser: "Chrome"}
	attrs := func() *Attrs { return a }
	b.ReportAllocs()
	var seq atomic.Uint64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			v := seq.Add(1)
			tr.Touch(1, v, v, t0, true, attrs)
		}
	})
}

// BenchmarkTouchFloodOneNetwork: every event a new user agent from one
// address, so each one evicts another session of that network.
func BenchmarkTouchFloodOneNetwork(b *testing.B) {
	tr := NewTracker(Config{})
	t0 := time.Now()
	a := &Attrs{Referrer: "https://example.net/", Browser: "Chrome"}
	attrs := func() *Attrs { return a }
	b.ReportAllocs()
	var seq atomic.Uint64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			v := seq.Add(1)
			tr.Touch(1, v, 42, t0, true, attrs)
		}
	})
}

package api

import (
	"net/netip"
	"sync"
	"time"
)

// Login throttling: this many failures per key within the window, then the
// key waits until the oldest of them leaves the window.
const (
	throttleLimit  = 5
	throttleWindow = 15 * time.Minute
)

// throttle counts recent failures per key (an email, a client network, a
// shared link) in memory. Each process counts alone: behind N query
// processes an attacker gets N times the budget, still tiny against
// argon2id.
type throttle struct {
	now    func() time.Time
	limit  int
	window time.Duration

	mu        sync.Mutex
	fails     map[string][]time.Time // at most limit entries, oldest first
	lastSweep time.Time
}

func newThrottle(now func() time.Time, limit int, window time.Duration) *throttle {
	return &throttle{now: now, limit: limit, window: window, fails: map[string][]time.Time{}}
}

// take starts an attempt for keys: it returns how long to wait when a key
// is throttled, or records the attempt as a failure up front and returns
// zero. Counting first means a burst of parallel guesses cannot all pass
// the check before the first of them fails; forgive takes a success back.
func (t *throttle) take(keys ...string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	t.sweep(now)
	var longest time.Duration
	for _, k := range keys {
		f := t.recent(k, now)
		if len(f) >= t.limit {
			longest = max(longest, f[len(f)-t.limit].Add(t.window).Sub(now))
		}
	}
	if longest > 0 {
		return longest
	}
	for _, k := range keys {
		f := append(t.recent(k, now), now)
		if len(f) > t.limit {
			f = f[len(f)-t.limit:]
		}
		t.fails[k] = f
	}
	return 0
}

// forgive takes back the newest attempt of each key.
func (t *throttle) forgive(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		if f := t.fails[k]; len(f) > 1 {
			t.fails[k] = f[:len(f)-1]
		} else {
			delete(t.fails, k)
		}
	}
}

// reset forgets a key's failures (after a success).
func (t *throttle) reset(key string) {
	t.mu.Lock()
	delete(t.fails, key)
	t.mu.Unlock()
}

// recent drops a key's failures that left the window.
func (t *throttle) recent(key string, now time.Time) []time.Time {
	f := t.fails[key]
	i := 0
	for i < len(f) && !f[i].Add(t.window).After(now) {
		i++
	}
	if i == len(f) {
		delete(t.fails, key)
		return nil
	}
	f = f[i:]
	t.fails[key] = f
	return f
}

// sweep forgets idle keys once per window, so memory follows the recent
// failure rate rather than every address ever seen.
func (t *throttle) sweep(now time.Time) {
	if now.Sub(t.lastSweep) < t.window {
		return
	}
	t.lastSweep = now
	for k := range t.fails {
		t.recent(k, now)
	}
}

// networkKey groups an address with its neighbours that one client is
// likely to control: itself for IPv4, its /64 for IPv6.
func networkKey(ip netip.Addr) string {
	if ip.Is6() && !ip.Is4In6() {
		p, _ := ip.Prefix(64)
		return "net:" + p.String()
	}
	return "net:" + ip.Unmap().String()
}

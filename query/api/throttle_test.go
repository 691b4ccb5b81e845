package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage/accounts"
)

func TestThrottle(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	th := newThrottle(func() time.Time { return now }, 3, 10*time.Minute)
	steps := []struct {
		name    string
		advance time.Duration
		do      func() time.Duration
		want    time.Duration
	}{
		{"1st", 0, func() time.Duration { return th.take("a") }, 0},
		{"2nd", time.Minute, func() time.Duration { return th.take("a") }, 0},
		{"3rd", time.Minute, func() time.Duration { return th.take("a") }, 0},
		{"4th waits for the 1st to leave the window", time.Minute, func() time.Duration { return th.take("a") }, 7 * time.Minute},
		{"refused attempts do not count", 0, func() time.Duration { return th.take("a") }, 7 * time.Minute},
		{"another key is free", 0, func() time.Duration { return th.take("b") }, 0},
		{"any throttled key blocks", 0, func() time.Duration { return th.take("b", "a") }, 7 * time.Minute},
		{"the 1st left", 7 * time.Minute, func() time.Duration { return th.take("a") }, 0},
		{"full again", 0, func() time.Duration { return th.take("a") }, time.Minute},
		{"forgiven", 0, func() time.Duration { th.forgive("a"); return th.take("a") }, 0},
		{"reset", 0, func() time.Duration { th.reset("a"); return th.take("a") }, 0},
	}
	for _, s := range steps {
		now = now.Add(s.advance)
		if got := s.do(); got != s.want {
			t.Fatalf("%s: wait %v, want %v", s.name, got, s.want)
		}
	}
	// Idle keys are swept.
	now = now.Add(time.Hour)
	th.take("c")
	if len(th.fails) != 1 {
		t.Fatalf("%d keys kept after a sweep: %v", len(th.fails), th.fails)
	}
}

func TestSlowdown(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := newSlowdown(func() time.Time { return now }, 3, 100*time.Millisecond, time.Second, 10*time.Minute)
	steps := []struct {
		name    string
		advance time.Duration
		do      func() time.Duration
		want    time.Duration
	}{
		{"1st", 0, func() time.Duration { return s.take("a") }, 0},
		{"2nd", time.Minute, func() time.Duration { return s.take("a") }, 0},
		{"3rd", time.Minute, func() time.Duration { return s.take("a") }, 0},
		{"4th waits the base delay", 0, func() time.Duration { return s.take("a") }, 100 * time.Millisecond},
		{"5th twice as long", 0, func() time.Duration { return s.take("a") }, 200 * time.Millisecond},
		{"6th", 0, func() time.Duration { return s.take("a") }, 400 * time.Millisecond},
		{"7th", 0, func() time.Duration { return s.take("a") }, 800 * time.Millisecond},
		{"8th reaches the cap", 0, func() time.Duration { return s.take("a") }, time.Second},
		{"never more than the cap", 0, func() time.Duration { return s.take("a") }, time.Second},
		{"still never refused", 0, func() time.Duration { s.take("a"); s.take("a"); return s.take("a") }, time.Second},
		{"another key is free", 0, func() time.Duration { return s.take("b") }, 0},
		{"a forgiven success does not count", 0, func() time.Duration { s.forgive("b"); s.take("b"); s.forgive("b"); return s.take("b") }, 0},
		{"failures leave the window", 10 * time.Minute, func() time.Duration { return s.take("a") }, 0},
	}
	for _, st := range steps {
		now = now.Add(st.advance)
		if got := st.do(); got != st.want {
			t.Fatalf("%s: delay %v, want %v", st.name, got, st.want)
		}
	}
	// A key keeps no more failures than the cap needs.
	if n := len(s.t.fails["a"]); n > s.t.limit {
		t.Fatalf("%d failures kept, limit %d", n, s.t.limit)
	}
}

func TestSlowdownDelay(t *testing.T) {
	s := newSlowdown(time.Now, slowdownFree, slowdownBase, slowdownMax, throttleWindow)
	tests := []struct {
		failures int
		want     time.Duration
	}{
		{0, 0}, {slowdownFree - 1, 0},
		{slowdownFree, slowdownBase}, {slowdownFree + 1, 2 * slowdownBase},
		{slowdownFree + 4, slowdownMax}, {s.t.limit, slowdownMax}, {1 << 20, slowdownMax},
	}
	for _, tt := range tests {
		if got := s.delay(tt.failures); got != tt.want {
			t.Errorf("delay(%d) = %v, want %v", tt.failures, got, tt.want)
		}
	}
}

func TestWaitEndsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := wait(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("wait = %v", err)
	}
	if err := wait(ctx, 0); err != nil {
		t.Fatalf("no wait = %v", err)
	}
}

func TestNetworkKey(t *testing.T) {
	tests := []struct{ a, b string }{
		{"192.0.2.1", "192.0.2.1"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"2001:db8:1:2::1", "2001:db8:1:2:ffff::9"},
	}
	for _, tt := range tests {
		if networkKey(netip.MustParseAddr(tt.a)) != networkKey(netip.MustParseAddr(tt.b)) {
			t.Errorf("%s and %s differ", tt.a, tt.b)
		}
	}
	if networkKey(netip.MustParseAddr("192.0.2.1")) == networkKey(netip.MustParseAddr("192.0.2.2")) ||
		networkKey(netip.MustParseAddr("2001:db8:1:2::1")) == networkKey(netip.MustParseAddr("2001:db8:1:3::1")) {
		t.Error("distinct networks share a key")
	}
}

func TestClientIP(t *testing.T) {
	a := &API{proxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	tests := []struct {
		remote, xff, want string
	}{
		{"192.0.2.1:1234", "", "192.0.2.1"},
		{"192.0.2.1:1234", "198.51.100.7", "192.0.2.1"},             // untrusted peer: header ignored
		{"10.0.0.1:1234", "198.51.100.7", "198.51.100.7"},           // trusted proxy
		{"10.0.0.1:1234", "6.6.6.6, 198.51.100.7", "198.51.100.7"},  // the client's own entries are not trusted
		{"10.0.0.1:1234", "198.51.100.7, 10.0.0.2", "198.51.100.7"}, // a chain of trusted proxies
		{"10.0.0.1:1234", "junk, 198.51.100.7", "198.51.100.7"},     // garbage left of the real client
		{"[::ffff:192.0.2.9]:1234", "", "192.0.2.9"},                // mapped addresses unmapped
		{"10.0.0.1:1234", "", "10.0.0.1"},                           // the proxy itself
		{"[2001:db8::1]:1234", "", "2001:db8::1"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.remote
		if tt.xff != "" {
			r.Header.Set("X-Forwarded-For", tt.xff)
		}
		if got := a.clientIP(r).String(); got != tt.want {
			t.Errorf("%s + %q: %s, want %s", tt.remote, tt.xff, got, tt.want)
		}
	}
}

func TestStatus(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{unauthenticated("x"), http.StatusUnauthorized},
		{fmt.Errorf("wrapped: %w", forbidden("x")), http.StatusForbidden},
		{notFound("x"), http.StatusNotFound},
		{fmt.Errorf("site x: %w", accounts.ErrNotFound), http.StatusNotFound},
		{fmt.Errorf("x: %w", accounts.ErrExists), http.StatusConflict},
		{accounts.ErrLastOwner, http.StatusConflict},
		{fmt.Errorf("x: %w", accounts.ErrInUse), http.StatusConflict},
		{badRequest("x"), http.StatusBadRequest},
		{errors.New("engine on fire"), http.StatusInternalServerError},
	}
	for _, tt := range tests {
		if got := Status(tt.err); got != tt.want {
			t.Errorf("Status(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
	if !errors.Is(forbidden("x"), ErrForbidden) || !errors.Is(unauthenticated("x"), ErrUnauthenticated) || !errors.Is(notFound("x"), ErrNotFound) {
		t.Error("errors do not wrap their sentinels")
	}
	rec := httptest.NewRecorder()
	WriteError(rec, nil, httptest.NewRequest("GET", "/", nil), errors.New("SELECT secret FROM table"))
	if rec.Code != 500 || rec.Body.String() != "{\"error\":\"internal error\"}\n" {
		t.Fatalf("500 body %q", rec.Body.String())
	}
}

// BenchmarkGuess is the throttle's share of every password or code check:
// the network's count, the account's slowdown, and taking a success back.
func BenchmarkGuess(b *testing.B) {
	now := time.Now()
	logins := newThrottle(func() time.Time { return now }, throttleLimit, throttleWindow)
	slow := newSlowdown(func() time.Time { return now }, slowdownFree, slowdownBase, slowdownMax, throttleWindow)
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = networkKey(netip.AddrFrom4([4]byte{198, 51, byte(i >> 8), byte(i)}))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		k := keys[i%len(keys)]
		i++
		if logins.take(k) == 0 {
			slow.take("email:claire@example.fr")
			logins.forgive(k)
			slow.forgive("email:claire@example.fr")
		}
	}
}

package api

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/sillage-analytics/sillage/accounts"
)

// Login throttling has two halves, so that a stranger cannot turn it
// against an account's owner:
//
//   - a network (an IPv4 address, an IPv6 /64) that failed throttleLimit
//     times within throttleWindow, over any accounts, is refused (429 with
//     Retry-After) until its oldest failure leaves the window;
//   - an account is never refused: once it has slowdownFree recent
//     failures, from wherever, each attempt on it waits before its check,
//     twice as long per further failure, up to slowdownMax.
//
// So the right password from a network that has not been guessing always
// logs in, at worst slowdownMax later; a botnet spraying one account gets
// throttleLimit guesses per network per window, each one slowdownMax long
// and an argon2id check besides.
const (
	throttleLimit  = 5
	throttleWindow = 15 * time.Minute

	// CodeLimit is the hard limit of wrong second-factor codes per
	// account per throttleWindow, over every network: only someone who
	// holds the password (or a session) can spend it.
	CodeLimit = 10

	// UnknownCredentialLimit is how many unknown credentials (session
	// cookies, API keys, shared-link slugs) a network may present per
	// unknownWindow before its requests that carry one get 429 unlooked-up.
	UnknownCredentialLimit = 50
	unknownWindow          = 5 * time.Minute

	slowdownFree = 5
	slowdownBase = 250 * time.Millisecond
	slowdownMax  = 4 * time.Second
)

// throttle counts recent failures per key (a client network, an account,
// a shared link) in memory. Each process counts alone: behind N query
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
		t.add(k, now)
	}
	return 0
}

// record counts an attempt for key up front, whatever came before, and
// returns how many recent failures it already had (at most limit).
func (t *throttle) record(key string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	t.sweep(now)
	n := len(t.recent(key, now))
	t.add(key, now)
	return n
}

func (t *throttle) add(key string, now time.Time) {
	f := append(t.recent(key, now), now)
	if len(f) > t.limit {
		f = f[len(f)-t.limit:]
	}
	t.fails[key] = f
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

// slowdown delays the attempts on a key that failed often, and never
// refuses one: the key is something a stranger can name (an account's
// email, a shared link's slug), so a refusal would be theirs to impose on
// the owner.
type slowdown struct {
	t    *throttle
	free int
	base time.Duration
	max  time.Duration
}

func newSlowdown(now func() time.Time, free int, base, most, window time.Duration) *slowdown {
	// Keep just enough failures per key to reach the longest delay.
	steps := 0
	for d := base; d < most; d *= 2 {
		steps++
	}
	return &slowdown{t: newThrottle(now, free+steps+1, window), free: free, base: base, max: most}
}

// take records an attempt on key as a failure up front (forgive takes a
// success back) and returns how long it waits before its check.
func (s *slowdown) take(key string) time.Duration {
	return s.delay(s.t.record(key))
}

// delay after n recent failures.
func (s *slowdown) delay(n int) time.Duration {
	if n < s.free {
		return 0
	}
	d := s.base
	for i := s.free; i < n && d < s.max; i++ {
		d *= 2
	}
	return min(d, s.max)
}

func (s *slowdown) forgive(key string) { s.t.forgive(key) }

// wait sleeps for d unless ctx ends first.
func wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
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

// guarded runs check, a guess at a secret (a password, a code), under
// both halves of the throttle: the client's network may be refused (429),
// accountKey is only slowed down. It returns check's error; only the
// errors that wrong calls a wrong guess count as failures, so a success or
// an engine error costs nobody anything.
func (a *API) guarded(ctx context.Context, w http.ResponseWriter, r *http.Request, accountKey string, check func() error, wrong func(error) bool) error {
	netKey := networkKey(a.clientIP(r))
	if d := a.logins.take(netKey); d > 0 {
		// No address or account in the log: it would be personal data kept
		// for no use once the window has passed.
		a.log.Info("guess throttled", "retry_after", d.Round(time.Second).String())
		return throttled(w, d)
	}
	err := a.wait(ctx, a.slow.take(accountKey))
	if err != nil {
		err = fmt.Errorf("wait before checking a secret: %w", err)
	} else {
		err = check()
	}
	if err == nil || !wrong(err) {
		a.logins.forgive(netKey)
		a.slow.forgive(accountKey)
	}
	return err
}

// guardedCode runs check, a guess at an account's second-factor code,
// under guarded and under a hard limit per account (CodeLimit): the
// network throttle alone lets whoever knows the password spread guesses
// over many networks. The attempt is counted before the check, as take
// does, so parallel guesses cannot all pass; only a wrong code
// (isBadCode) stays counted. A refusal here is the owner's too, which only
// someone holding the password can cause.
func (a *API) guardedCode(ctx context.Context, w http.ResponseWriter, r *http.Request, userID string, check func() error, wrong func(error) bool) error {
	key := "totp:" + userID
	if d := a.codes.take(key); d > 0 {
		a.log.Info("second-factor codes throttled", "user", userID, "retry_after", d.Round(time.Second).String())
		return throttled(w, d)
	}
	err := a.guarded(ctx, w, r, key, check, wrong)
	if !isBadCode(err) {
		a.codes.forgive(key)
	}
	return err
}

// throttledError is a 429 whose wait WriteError puts in Retry-After, for
// the refusals decided where the response is not at hand.
type throttledError struct {
	wait time.Duration
	msg  string // "": ErrThrottled's
}

func (e *throttledError) Error() string {
	if e.msg != "" {
		return e.msg
	}
	return ErrThrottled.Error()
}

func (e *throttledError) Unwrap() error { return ErrThrottled }

// TooBusy is a refusal with its message, answered 429 with wait as
// Retry-After (whole seconds, rounded up).
func TooBusy(msg string, wait time.Duration) error { return &throttledError{wait: wait, msg: msg} }

// lookup runs find, the look-up of credential (a session cookie, an API
// key, a shared link's slug) that the client presented, under its
// network's budget of unknown credentials. Anyone may make credentials
// up, and each look-up holds the engine's interactive connection, which
// logins wait for: a network past UnknownCredentialLimit gets 429 before
// any statement. The attempt is counted first, as take does, and taken
// back unless find says unknown, so valid callers spend nothing. An
// unknown credential is remembered for a while (a browser sends its
// expired session cookie again and again): its repeats are answered
// without a look-up and count no more.
func (a *API) lookup(r *http.Request, credential string, find func() error, unknown func(error) bool) error {
	if err := a.unknownSeen.get(credential); err != nil {
		return err
	}
	key := networkKey(a.clientIP(r))
	if d := a.unknown.take(key); d > 0 {
		// No address in the log, as for guesses.
		a.log.Info("unknown credentials throttled", "retry_after", d.Round(time.Second).String())
		return &throttledError{wait: d}
	}
	err := find()
	if unknown(err) {
		a.unknownSeen.put(credential, err)
	} else {
		a.unknown.forgive(key)
	}
	return err
}

// negativeCache remembers unknown credentials by hash, never the secrets
// themselves, with the error their look-up gave (a sentinel, nothing
// secret). A credential unknown now stays so: sessions, keys and slugs
// are drawn at random when they are made.
type negativeCache struct {
	now func() time.Time
	ttl time.Duration
	max int

	mu      sync.Mutex
	entries map[[32]byte]negativeEntry
}

type negativeEntry struct {
	err     error
	expires time.Time
}

// negativeTTL and negativeMax bound the cache: an expired cookie is sent
// with each request of a dashboard left open, and a flood of made-up
// credentials is throttled long before it fills the cache.
const (
	negativeTTL = time.Minute
	negativeMax = 10000
)

func newNegativeCache(now func() time.Time, ttl time.Duration, most int) *negativeCache {
	return &negativeCache{now: now, ttl: ttl, max: most, entries: map[[32]byte]negativeEntry{}}
}

func (c *negativeCache) get(credential string) error {
	h := sha256.Sum256([]byte(credential))
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[h]
	if !ok {
		return nil
	}
	if !c.now().Before(e.expires) {
		delete(c.entries, h)
		return nil
	}
	return e.err
}

func (c *negativeCache) put(credential string, err error) {
	h := sha256.Sum256([]byte(credential))
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if len(c.entries) >= c.max {
		for k, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= c.max {
			// Still full: forget everything rather than grow; the
			// network throttle still holds.
			clear(c.entries)
		}
	}
	c.entries[h] = negativeEntry{err: err, expires: now.Add(c.ttl)}
}

func isNotFound(err error) bool { return errors.Is(err, accounts.ErrNotFound) }

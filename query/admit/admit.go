// Package admit queues each caller's stats queries so that no caller can
// take the engine from the others. A caller (a logged-in user, an API key,
// a shared link: the query service decides) runs at most Limit.Concurrent
// queries at once, waits in a queue of at most Limit.Queue more, and spends
// engine time from a budget that refills at Limit.Budget per minute. Past
// the queue or the budget it is refused at once with a *Busy error that
// says when to come back: a 429 with Retry-After, not a stall.
package admit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Window is the period a Budget refills over.
const Window = time.Minute

// Limit bounds one caller.
type Limit struct {
	// Concurrent is how many of the caller's queries run at once (1 or more).
	Concurrent int
	// Queue is how many more may wait for one of those; past it a query is
	// refused. The dashboard asks for about ten panels at once.
	Queue int
	// Budget is the time the caller's queries may hold their turn per
	// Window, and also the most it may spend in one burst. A query is let
	// in while any is left and charged what it took when it ends, so the
	// last one may overdraw; the caller then waits until the debt is
	// paid back. 0 means no budget.
	Budget time.Duration
}

// ParseLimit reads "CONCURRENT,QUEUE,BUDGET", e.g. "2,16,60s".
func ParseLimit(s string) (Limit, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return Limit{}, fmt.Errorf("limit %q: want CONCURRENT,QUEUE,BUDGET, e.g. 2,16,60s", s)
	}
	var l Limit
	var err error
	if l.Concurrent, err = strconv.Atoi(strings.TrimSpace(parts[0])); err != nil || l.Concurrent < 1 {
		return Limit{}, fmt.Errorf("limit %q: concurrent queries must be a whole number of at least 1", s)
	}
	if l.Queue, err = strconv.Atoi(strings.TrimSpace(parts[1])); err != nil || l.Queue < 0 {
		return Limit{}, fmt.Errorf("limit %q: queue length must be a whole number of at least 0", s)
	}
	if l.Budget, err = time.ParseDuration(strings.TrimSpace(parts[2])); err != nil || l.Budget < 0 {
		return Limit{}, fmt.Errorf("limit %q: budget must be a duration such as 60s, or 0 for none", s)
	}
	return l, nil
}

func (l Limit) String() string {
	b := l.Budget.String()
	if l.Budget%time.Second == 0 {
		b = fmt.Sprintf("%ds", l.Budget/time.Second) // 60s rather than 1m0s
	}
	return fmt.Sprintf("%d,%d,%s", l.Concurrent, l.Queue, b)
}

// Reasons a query is refused.
const (
	ReasonQueue    = "queue" // the caller's queue is full
	ReasonBudget   = "budget"
	ReasonRecalled = "recalled" // refused moments ago, and told when to come back
)

// Busy refuses a query: the caller is over one of its limits.
type Busy struct {
	Reason     string        // ReasonQueue or ReasonBudget
	RetryAfter time.Duration // whole seconds, at least one
}

func (b *Busy) Error() string {
	if b.Reason == ReasonRecalled {
		return fmt.Sprintf("this caller is over its limits; retry in %d s", int(b.RetryAfter/time.Second))
	}
	if b.Reason == ReasonBudget {
		return fmt.Sprintf("this caller has used its engine time for now; retry in %d s", int(b.RetryAfter/time.Second))
	}
	return fmt.Sprintf("too many queries from this caller at once; retry in %d s", int(b.RetryAfter/time.Second))
}

// Limiter admits queries; one serves every caller of a process.
type Limiter struct {
	now func() time.Time

	mu        sync.Mutex
	callers   map[string]*caller
	lastSweep time.Time
	refused   map[string]time.Time // Remember: until when a request is refused
}

// maxRefused bounds Remember's memory: past it, refusals are not
// remembered (they are still refused, only after the full check).
const maxRefused = 10_000

type caller struct {
	limit   Limit
	running int
	waiting []*waiter
	balance time.Duration // budget left; negative is debt
	at      time.Time     // when balance was last refilled
}

// waiter is a queued query; it receives its turn (the time it was given)
// or its refusal on ch.
type waiter struct{ ch chan turn }

type turn struct {
	at  time.Time
	err error
}

// New returns a Limiter that reads the time from now (time.Now if nil).
func New(now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{now: now, callers: map[string]*caller{}, refused: map[string]time.Time{}}
}

// Acquire waits for the caller's turn under lim: it returns a release
// function to call when the query ends, a *Busy error if the caller is over
// its queue or its budget, or ctx's error if ctx ends while it waits.
func (l *Limiter) Acquire(ctx context.Context, key string, lim Limit) (release func(), err error) {
	if lim.Concurrent < 1 {
		return nil, errors.New("admit: a limit needs Concurrent of at least 1")
	}
	l.mu.Lock()
	now := l.now()
	l.sweep(now)
	c := l.callers[key]
	if c == nil {
		c = &caller{balance: lim.Budget, at: now}
		l.callers[key] = c
	}
	c.limit = lim
	c.refill(now)
	if busy := c.overBudget(); busy != nil {
		l.mu.Unlock()
		return nil, busy
	}
	if c.running < lim.Concurrent && len(c.waiting) == 0 {
		c.running++
		l.mu.Unlock()
		return l.releaser(c, now), nil
	}
	if len(c.waiting) >= lim.Queue {
		l.mu.Unlock()
		return nil, &Busy{Reason: ReasonQueue, RetryAfter: time.Second}
	}
	w := &waiter{ch: make(chan turn, 1)}
	c.waiting = append(c.waiting, w)
	l.mu.Unlock()

	select {
	case t := <-w.ch:
		if t.err != nil {
			return nil, t.err
		}
		return l.releaser(c, t.at), nil
	case <-ctx.Done():
	}
	l.mu.Lock()
	for i, o := range c.waiting {
		if o == w {
			c.waiting = append(c.waiting[:i], c.waiting[i+1:]...)
			l.mu.Unlock()
			return nil, ctx.Err()
		}
	}
	l.mu.Unlock()
	// The turn came as ctx ended: pass it on, uncharged.
	if t := <-w.ch; t.err == nil {
		l.release(c, t.at, true)
	}
	return nil, ctx.Err()
}

func (l *Limiter) releaser(c *caller, at time.Time) func() {
	var once sync.Once
	return func() { once.Do(func() { l.release(c, at, false) }) }
}

// release charges a query that had its turn since at, then gives the turn
// to the next waiter the budget still allows, refusing the others.
func (l *Limiter) release(c *caller, at time.Time, free bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	c.refill(now)
	if !free && c.limit.Budget > 0 {
		c.balance -= now.Sub(at)
	}
	for len(c.waiting) > 0 {
		w := c.waiting[0]
		c.waiting = c.waiting[1:]
		if busy := c.overBudget(); busy != nil {
			w.ch <- turn{err: busy}
			continue
		}
		w.ch <- turn{at: now}
		return // the turn passes on: running stays the same
	}
	c.running--
}

// refill adds the budget earned since the last refill, up to the budget.
func (c *caller) refill(now time.Time) {
	if c.limit.Budget <= 0 {
		c.balance, c.at = 0, now
		return
	}
	if d := now.Sub(c.at); d > 0 {
		earned := time.Duration(float64(d) * float64(c.limit.Budget) / float64(Window))
		c.balance = min(c.limit.Budget, c.balance+earned)
		c.at = now
	}
}

// overBudget refuses a query when the caller has no budget left, saying
// when the debt will be paid back.
func (c *caller) overBudget() *Busy {
	if c.limit.Budget <= 0 || c.balance > 0 {
		return nil
	}
	// The time for the refill to bring the balance above zero.
	wait := time.Duration(float64(-c.balance+time.Millisecond) * float64(Window) / float64(c.limit.Budget))
	secs := max(1, math.Ceil(wait.Seconds()))
	return &Busy{Reason: ReasonBudget, RetryAfter: time.Duration(secs) * time.Second}
}

// sweep forgets, once per Window, the callers that are idle and whose
// budget is whole again, so memory follows the recent callers only.
func (l *Limiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < Window {
		return
	}
	l.lastSweep = now
	l.purgeRefused(now)
	for k, c := range l.callers {
		if c.running > 0 || len(c.waiting) > 0 {
			continue
		}
		c.refill(now)
		if c.limit.Budget <= 0 || c.balance >= c.limit.Budget {
			delete(l.callers, k)
		}
	}
}

// Remember keeps a refusal for its RetryAfter under a request's
// fingerprint (a hash of the credentials it presented), so that Recall
// refuses the same caller's next requests before anything is looked up:
// a client that ignores Retry-After then costs no statement of the
// interactive lane. Only a fingerprint that was authenticated and refused
// is remembered, so nobody can get another caller refused this way.
func (l *Limiter) Remember(fingerprint string, b *Busy) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.refused) >= maxRefused {
		l.purgeRefused(l.now())
		if len(l.refused) >= maxRefused {
			return
		}
	}
	l.refused[fingerprint] = l.now().Add(b.RetryAfter)
}

func (l *Limiter) purgeRefused(now time.Time) {
	for k, until := range l.refused {
		if !until.After(now) {
			delete(l.refused, k)
		}
	}
}

// Recall returns the refusal Remember kept for a fingerprint, with the
// time left, or nil.
func (l *Limiter) Recall(fingerprint string) *Busy {
	l.mu.Lock()
	defer l.mu.Unlock()
	until, ok := l.refused[fingerprint]
	if !ok {
		return nil
	}
	left := until.Sub(l.now())
	if left <= 0 {
		delete(l.refused, fingerprint)
		return nil
	}
	return &Busy{Reason: ReasonRecalled, RetryAfter: time.Duration(math.Ceil(left.Seconds())) * time.Second}
}

// Callers is how many callers the Limiter remembers (for tests).
func (l *Limiter) Callers() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.callers)
}

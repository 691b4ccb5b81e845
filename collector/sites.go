package collector

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/internal/idn"
)

// siteCache maps domains to sites. An event is judged against a list read
// after it arrived: a domain missing from the list waits for the next read
// of the store (all such waits share one read), so a site added a moment
// ago, in this process or another, counts its first event. Against a flood
// of made-up domains, reads triggered by misses are at most one at a time
// and siteMissGap apart, and a domain the store did not know is answered
// at once for siteUnknownTTL (unless this process hears of a new site).
// Hits never wait: the list is read again in the background every
// siteRefreshEvery.
type siteCache struct {
	lister SiteLister
	now    func() time.Time
	log    *slog.Logger

	byDomain atomic.Pointer[map[string]sillage.Site]
	liveIDs  atomic.Pointer[map[uint32]bool] // nil until the list came from the store

	mu        sync.Mutex
	started   uint64               // reads started
	done      uint64               // reads finished (in order: one at a time)
	running   chan struct{}        // closed when the read in flight ends; nil if none
	lastStart time.Time            // by c.now, for siteRefreshEvery
	lastMono  time.Time            // by the monotonic clock, for siteMissGap
	lastErr   error                // of the last read
	stale     bool                 // told the list changed: read again at the next event
	unknown   map[string]time.Time // domain → when a read did not find it
}

const (
	siteRefreshEvery = 10 * time.Second
	// siteMissGap spaces the reads that misses trigger: under a flood of
	// made-up domains, the store sees at most 1/siteMissGap list reads a
	// second, and each waiting event at most siteMissGap more latency.
	siteMissGap = 200 * time.Millisecond
	// siteUnknownTTL is how long a domain the store did not know is
	// answered "unknown" without asking again; another process that adds
	// the site cannot tell this one, so it is also the longest a site that
	// already sent events before it was added waits to be counted here.
	siteUnknownTTL = 5 * time.Second
	// maxUnknownDomains bounds the negative cache's memory; past it, it
	// starts again empty.
	maxUnknownDomains = 100_000
)

func newSiteCache(l SiteLister, now func() time.Time, log *slog.Logger) *siteCache {
	c := &siteCache{lister: l, now: now, log: log, unknown: map[string]time.Time{}}
	empty := map[string]sillage.Site{}
	c.byDomain.Store(&empty)
	return c
}

// refresh reads the list now (at start), after any read in flight.
func (c *siteCache) refresh(ctx context.Context) {
	c.mu.Lock()
	target := c.nextTarget()
	c.mu.Unlock()
	c.waitRead(ctx, target, 0)
}

// nextTarget is the number of the first read that starts after now. c.mu
// is held.
func (c *siteCache) nextTarget() uint64 {
	if c.running != nil {
		return c.started + 1
	}
	return c.done + 1
}

// waitRead returns once read number target has finished, starting reads
// as needed (one at a time, gap apart), or ctx ended.
func (c *siteCache) waitRead(ctx context.Context, target uint64, gap time.Duration) error {
	for {
		c.mu.Lock()
		if c.done >= target {
			err := c.lastErr
			c.mu.Unlock()
			return err
		}
		if ch := c.running; ch != nil {
			c.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		ch := make(chan struct{})
		c.running = ch
		c.started++
		n := c.started
		wait := gap - time.Since(c.lastMono)
		c.mu.Unlock()

		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done(): // the read still happens, for the others waiting
			}
			t.Stop()
		}
		c.mu.Lock()
		c.lastStart, c.lastMono = c.now(), time.Now()
		c.stale = false
		c.mu.Unlock()
		// The read is shared: one caller's end must not cancel it.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		err := c.read(rctx)
		cancel()
		c.mu.Lock()
		c.done, c.lastErr, c.running = n, err, nil
		c.mu.Unlock()
		close(ch)
	}
}

func (c *siteCache) read(ctx context.Context) error {
	sites, err := c.lister.Sites(ctx)
	if err != nil {
		c.log.Warn("cannot refresh the site list; keeping the last one", "error", err)
		return fmt.Errorf("read the site list: %w", err)
	}
	m := make(map[string]sillage.Site, len(sites))
	ids := make(map[uint32]bool, len(sites))
	for _, s := range sites { // oldest first for a domain: the one to keep
		if _, dup := m[s.Domain]; !dup {
			m[s.Domain] = s
		}
		ids[s.ID] = true
	}
	// An event may spell an internationalised domain the other way (a
	// browser's location.hostname is the xn-- form); a site added with
	// that very spelling keeps it, and otherwise the oldest site whose
	// twin it is, whatever order the list came in.
	byAge := slices.Clone(sites)
	slices.SortStableFunc(byAge, func(a, b sillage.Site) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	for _, s := range byAge {
		// A site an earlier release stored under another Unicode spelling
		// gets the events of its normalised form too.
		for _, d := range []string{sillage.NormalizeDomain(s.Domain), idn.Twin(s.Domain)} {
			if _, taken := m[d]; d != "" && !taken {
				m[d] = s
			}
		}
	}
	c.byDomain.Store(&m)
	c.liveIDs.Store(&ids)
	return nil
}

// changed tells the cache that a site was added, changed or deleted in
// this process: the next event reads the list again, and domains found
// unknown before are asked again.
func (c *siteCache) changed() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stale = true
	clear(c.unknown)
}

// loaded reports whether the list ever came from the store.
func (c *siteCache) loaded() bool { return c.liveIDs.Load() != nil }

// deleted reports whether a site is gone from the store's list; false while
// no list has loaded yet (an event is only accepted for a listed site, so a
// site missing from a later list was deleted).
func (c *siteCache) deleted(id uint32) bool {
	ids := c.liveIDs.Load()
	return ids != nil && !(*ids)[id]
}

// lookup returns the site of a normalised domain. A domain missing from
// the list waits for a read of the store that started after it arrived,
// unless that domain was found unknown within siteUnknownTTL; the error is
// that of the read (the store is down: the caller asks for a retry).
func (c *siteCache) lookup(ctx context.Context, domain string) (sillage.Site, bool, error) {
	if s, ok := (*c.byDomain.Load())[domain]; ok {
		c.refreshInBackground()
		return s, true, nil
	}
	c.mu.Lock()
	now := c.now()
	if at, ok := c.unknown[domain]; ok && now.Sub(at) < siteUnknownTTL {
		c.mu.Unlock()
		return sillage.Site{}, false, nil
	}
	target := c.nextTarget()
	c.mu.Unlock()
	if err := c.waitRead(ctx, target, siteMissGap); err != nil {
		return sillage.Site{}, false, err
	}
	if s, ok := (*c.byDomain.Load())[domain]; ok {
		return s, true, nil
	}
	c.mu.Lock()
	if len(c.unknown) >= maxUnknownDomains {
		clear(c.unknown)
	}
	c.unknown[domain] = c.now()
	c.mu.Unlock()
	return sillage.Site{}, false, nil
}

// refreshInBackground reads the list again when it is older than
// siteRefreshEvery, or was said to have changed, without making the
// caller wait.
func (c *siteCache) refreshInBackground() {
	c.mu.Lock()
	due := c.running == nil && (c.stale || c.now().Sub(c.lastStart) >= siteRefreshEvery)
	var target uint64
	if due {
		target = c.nextTarget()
	}
	c.mu.Unlock()
	if due {
		go c.waitRead(context.Background(), target, 0)
	}
}

package collector

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sillage-analytics/sillage"
)

// siteCache maps domains to sites. It refreshes every 10 s, and at most once
// a second when an unknown domain arrives, so a site added a moment ago is
// accepted at once while junk domains cannot hammer the store.
type siteCache struct {
	lister SiteLister
	now    func() time.Time
	log    *slog.Logger

	byDomain    atomic.Pointer[map[string]sillage.Site]
	liveIDs     atomic.Pointer[map[uint32]bool] // nil until the list came from the store
	mu          sync.Mutex
	lastRefresh time.Time
}

const (
	siteRefreshEvery     = 10 * time.Second
	siteMissRefreshEvery = time.Second
)

func newSiteCache(l SiteLister, now func() time.Time, log *slog.Logger) *siteCache {
	c := &siteCache{lister: l, now: now, log: log}
	empty := map[string]sillage.Site{}
	c.byDomain.Store(&empty)
	return c
}

func (c *siteCache) refresh(ctx context.Context) {
	sites, err := c.lister.Sites(ctx)
	if err != nil {
		c.log.Warn("cannot refresh the site list; keeping the last one", "error", err)
		return
	}
	m := make(map[string]sillage.Site, len(sites))
	ids := make(map[uint32]bool, len(sites))
	for _, s := range sites { // oldest first for a domain: the one to keep
		if _, dup := m[s.Domain]; !dup {
			m[s.Domain] = s
		}
		ids[s.ID] = true
	}
	c.byDomain.Store(&m)
	c.liveIDs.Store(&ids)
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

// lookup returns the site of a normalised domain.
func (c *siteCache) lookup(ctx context.Context, domain string) (sillage.Site, bool) {
	if s, ok := (*c.byDomain.Load())[domain]; ok {
		c.maybeRefresh(ctx, siteRefreshEvery)
		return s, true
	}
	if c.maybeRefresh(ctx, siteMissRefreshEvery) {
		s, ok := (*c.byDomain.Load())[domain]
		return s, ok
	}
	return sillage.Site{}, false
}

// maybeRefresh refreshes when the list is older than every; only one
// caller does it, the others go on with the current list.
func (c *siteCache) maybeRefresh(ctx context.Context, every time.Duration) bool {
	if !c.mu.TryLock() {
		return false
	}
	defer c.mu.Unlock()
	now := c.now()
	if now.Sub(c.lastRefresh) < every {
		return false
	}
	c.lastRefresh = now
	c.refresh(ctx)
	return true
}

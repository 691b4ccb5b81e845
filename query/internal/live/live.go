// Package live answers the dashboard's live view: the visitors of a site
// in the last 30 minutes, minute by minute, with their pages, sources and
// countries, and the "current visitors" of the last 5 minutes.
//
// Every open live view of a site polls every few seconds. A Cache computes
// each site's snapshot with one statement at most once per TTL, shared by
// every view of that site: concurrent requests for a stale site wait for
// the one statement in flight (singleflight), and the snapshots of sites
// nobody watches are evicted (an LRU of bounded size).
package live

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"

	"github.com/sillage-analytics/sillage/store"
)

const (
	// Window is how far back the live view looks.
	Window = 30 * time.Minute
	// CurrentWindow is how far back a visitor counts as current: the
	// definition of Plausible's realtime visitors, and of the Stats API
	// v1's realtime/visitors, which reads the same snapshot.
	CurrentWindow = 5 * time.Minute
	// TopN is the length of the pages, sources and countries lists.
	TopN = 10

	// DefaultTTL is how long a snapshot serves before it is recomputed:
	// the dashboard polls at this pace.
	DefaultTTL = 5 * time.Second
	// DefaultMaxSites bounds the snapshots kept (a few KiB each).
	DefaultMaxSites = 4096
	// DefaultTimeout bounds the shared statement, which no single
	// viewer's leaving cancels.
	DefaultTimeout = 15 * time.Second

	// slack admits events from collectors whose clocks run a little ahead.
	slack = 5 * time.Second
)

// Snapshot is a site's live view at one moment.
type Snapshot struct {
	// UpdatedAt is when the engine was asked: what the numbers are as of.
	UpdatedAt time.Time `json:"updated_at"`
	// Current counts the visitors with an event in the last 5 minutes,
	// engagement events included (the page is still open).
	Current uint64 `json:"current_visitors"`
	// Visitors and Pageviews cover the 30 minutes.
	Visitors  uint64   `json:"visitors"`
	Pageviews uint64   `json:"pageviews"`
	Minutes   []Minute `json:"minutes"` // 30, oldest first; the last one is the running minute
	Pages     []Row    `json:"pages"`
	Sources   []Row    `json:"sources"`
	Countries []Row    `json:"countries"`
	// RefreshSeconds is how often a viewer may poll usefully.
	RefreshSeconds int `json:"refresh_seconds"`
}

// Minute is one minute of the graph.
type Minute struct {
	Time      time.Time `json:"time"` // its start, UTC
	Visitors  uint64    `json:"visitors"`
	Pageviews uint64    `json:"pageviews"`
}

// Row is one entry of a top list: visitors in the 30 minutes.
type Row struct {
	Name     string `json:"name"`
	Visitors uint64 `json:"visitors"`
}

// Options configure a Cache; zero fields take their defaults.
type Options struct {
	TTL      time.Duration
	MaxSites int
	Timeout  time.Duration
	Now      func() time.Time
}

// Cache computes and shares the sites' snapshots.
type Cache struct {
	store store.Engine
	o     Options

	entries *lru.Cache[uint32, *Snapshot]
	flight  singleflight.Group
}

// New returns a cache over the engine.
func New(eng store.Engine, o Options) *Cache {
	if o.TTL <= 0 {
		o.TTL = DefaultTTL
	}
	if o.MaxSites <= 0 {
		o.MaxSites = DefaultMaxSites
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	entries, err := lru.New[uint32, *Snapshot](o.MaxSites)
	if err != nil {
		panic("live: " + err.Error()) // only for a size below 1, ruled out above
	}
	return &Cache{store: eng, o: o, entries: entries}
}

// TTL is how long a snapshot serves.
func (c *Cache) TTL() time.Duration { return c.o.TTL }

// Get returns the site's snapshot, at most TTL old. The snapshot is
// shared: callers must not change it.
func (c *Cache) Get(ctx context.Context, siteID uint32) (*Snapshot, error) {
	now := c.o.Now()
	if s, ok := c.entries.Get(siteID); ok && now.Sub(s.UpdatedAt) < c.o.TTL && !s.UpdatedAt.After(now) {
		return s, nil
	}
	ch := c.flight.DoChan(strconv.FormatUint(uint64(siteID), 10), func() (any, error) {
		// A request that came in while another computed may find the
		// fresh snapshot already there.
		now := c.o.Now()
		if s, ok := c.entries.Get(siteID); ok && now.Sub(s.UpdatedAt) < c.o.TTL && !s.UpdatedAt.After(now) {
			return s, nil
		}
		// The statement serves every viewer of the site: the first
		// one's leaving must not cancel it for the others.
		qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.o.Timeout)
		defer cancel()
		s, err := c.compute(qctx, siteID, now)
		if err != nil {
			return nil, err
		}
		c.entries.Add(siteID, s)
		return s, nil
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*Snapshot), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// liveSQL is the whole snapshot in one statement: one scan of the last 30
// minutes per part, the parts told apart by their kind.
const liveSQL = "WITH recent AS (SELECT ts, name, visitor_id, pathname, referrer_source, country_code FROM events" +
	" WHERE site_id = {site:UInt32} AND toDate(ts) >= {day:Date} AND ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')})" +
	" SELECT 'minute' AS kind, toString(toUnixTimestamp(toStartOfMinute(ts))) AS key, toUInt64(uniqExact(visitor_id)) AS visitors," +
	" toUInt64(countIf(name = 'pageview')) AS pageviews FROM recent GROUP BY key" +
	" UNION ALL SELECT 'total', '', toUInt64(uniqExact(visitor_id)), toUInt64(countIf(name = 'pageview')) FROM recent" +
	" UNION ALL SELECT 'current', '', toUInt64(uniqExact(visitor_id)), toUInt64(0) FROM recent WHERE ts >= {current:DateTime64(3, 'UTC')}" +
	" UNION ALL SELECT * FROM (SELECT 'page', pathname, toUInt64(uniqExact(visitor_id)) AS v, toUInt64(count()) FROM recent" +
	" WHERE name = 'pageview' GROUP BY pathname ORDER BY v DESC, pathname LIMIT {top:UInt32})" +
	" UNION ALL SELECT * FROM (SELECT 'source', if(referrer_source = '', 'Direct / None', toString(referrer_source)) AS s," +
	" toUInt64(uniqExact(visitor_id)) AS v, toUInt64(0) FROM recent WHERE name != 'engagement' GROUP BY s ORDER BY v DESC, s LIMIT {top:UInt32})" +
	" UNION ALL SELECT * FROM (SELECT 'country', if(country_code = '', '', toString(country_code)) AS c," +
	" toUInt64(uniqExact(visitor_id)) AS v, toUInt64(0) FROM recent WHERE name != 'engagement' GROUP BY c ORDER BY v DESC, c LIMIT {top:UInt32})"

// compute asks the engine for a site's snapshot as of now.
func (c *Cache) compute(ctx context.Context, siteID uint32, now time.Time) (*Snapshot, error) {
	now = now.UTC()
	first := now.Truncate(time.Minute).Add(-Window + time.Minute)
	rows, err := c.store.Query(ctx, liveSQL, store.Params{
		"site": siteID, "day": first.Format(time.DateOnly), "from": first, "to": now.Add(slack),
		"current": now.Add(-CurrentWindow), "top": uint32(TopN),
	})
	if err != nil {
		return nil, fmt.Errorf("live: site %d: %w", siteID, err)
	}
	defer rows.Close()
	s := &Snapshot{UpdatedAt: now, RefreshSeconds: int(c.o.TTL.Round(time.Second) / time.Second),
		Minutes: make([]Minute, Window/time.Minute), Pages: []Row{}, Sources: []Row{}, Countries: []Row{}}
	if s.RefreshSeconds < 1 {
		s.RefreshSeconds = 1
	}
	for i := range s.Minutes {
		s.Minutes[i].Time = first.Add(time.Duration(i) * time.Minute)
	}
	for rows.Next() {
		var kind, key string
		var visitors, pageviews uint64
		if err := rows.Scan(&kind, &key, &visitors, &pageviews); err != nil {
			return nil, fmt.Errorf("live: site %d: %w", siteID, err)
		}
		switch kind {
		case "minute":
			sec, err := strconv.ParseInt(key, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("live: site %d: minute %q: %w", siteID, key, err)
			}
			// Events stamped a few seconds ahead belong to no bucket yet.
			if i := int(time.Unix(sec, 0).Sub(first) / time.Minute); i >= 0 && i < len(s.Minutes) {
				s.Minutes[i].Visitors, s.Minutes[i].Pageviews = visitors, pageviews
			}
		case "total":
			s.Visitors, s.Pageviews = visitors, pageviews
		case "current":
			s.Current = visitors
		case "page":
			s.Pages = append(s.Pages, Row{key, visitors})
		case "source":
			s.Sources = append(s.Sources, Row{key, visitors})
		case "country":
			s.Countries = append(s.Countries, Row{key, visitors})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("live: site %d: %w", siteID, err)
	}
	// The parts of a UNION ALL arrive in any order.
	for _, l := range [][]Row{s.Pages, s.Sources, s.Countries} {
		slices.SortFunc(l, func(a, b Row) int {
			if a.Visitors != b.Visitors {
				return cmp.Compare(b.Visitors, a.Visitors)
			}
			return cmp.Compare(a.Name, b.Name)
		})
	}
	return s, nil
}

// Len is how many snapshots the cache holds.
func (c *Cache) Len() int { return c.entries.Len() }

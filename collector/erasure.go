package collector

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/sillage-analytics/sillage"
)

// Eraser tells the collector about erasures of a site's data ("delete
// data", "delete site"), which may be made by another process: the store is
// the only link. The SiteLister given to New may implement it, as
// accounts.Service does; without it erasures reach only the store.
type Eraser interface {
	// Erasures returns the time of each site's latest erasure.
	Erasures(ctx context.Context) (map[uint32]time.Time, error)
	// EraseSiteDataUntil deletes a site's stored events up to a time.
	EraseSiteDataUntil(ctx context.Context, siteID uint32, until time.Time) error
}

func eraserOf(l SiteLister) Eraser {
	if e, ok := l.(Eraser); ok {
		return e
	}
	return nil
}

// lateEraseWindow: at start, erasures this recent are applied to the store
// again, for a previous run that may have stored a batch after one without
// having learnt of it yet (it learns within siteRefreshEvery, plus the time
// an insert takes).
const lateEraseWindow = time.Hour

// erasures is the collector's view of erasures. Only the batcher (under
// flushMu) touches it.
type erasures struct {
	src    Eraser
	loaded bool
	read   time.Time            // when they were last read
	known  map[uint32]time.Time // per site: events until then are not stored
	latest time.Time            // the latest of known: most events are after it
	purged map[uint32]time.Time // per site: the log holds none of its events until then
	stored map[uint32]time.Time // per site: earliest event sent to the store since the last read
}

func newErasures(src Eraser) *erasures {
	return &erasures{src: src, known: map[uint32]time.Time{}, purged: map[uint32]time.Time{}, stored: map[uint32]time.Time{}}
}

// erased reports whether an event belongs to data its site has erased.
func (x *erasures) erased(e *sillage.Event) bool {
	if e.Timestamp.After(x.latest) {
		return false
	}
	at, ok := x.known[e.SiteID]
	return ok && !e.Timestamp.After(at)
}

// noteStored records the sites of a batch sent to the store, for an erasure
// learnt of only later (see applyErasures).
func (x *erasures) noteStored(events []sillage.Event) {
	var site uint32
	var earliest time.Time
	for i := range events {
		e := &events[i]
		if i > 0 && e.SiteID == site && !e.Timestamp.Before(earliest) {
			continue // a run of one site's events, in time order: the common case
		}
		site, earliest = e.SiteID, e.Timestamp
		if t, ok := x.stored[site]; ok && !e.Timestamp.Before(t) {
			earliest = t
			continue
		}
		x.stored[site] = e.Timestamp
	}
}

// applyErasures reads the erasures from the store every siteRefreshEvery
// and applies the new ones: events of the site accepted until the erasure
// are not stored any more; those this collector stored since it last read
// the erasures (possibly after the erasure's DELETE) are deleted again; and
// the site's records are erased from the write-ahead log. It fails only
// when no erasure could ever be read, or a DELETE failed: storing events
// then could bring erased data back.
func (c *Collector) applyErasures(ctx context.Context) error {
	x := c.erase
	if x.src == nil {
		return nil
	}
	now := c.cfg.Now()
	if x.loaded && now.Sub(x.read) < siteRefreshEvery {
		return nil
	}
	all, err := x.src.Erasures(ctx)
	if err != nil {
		if !x.loaded {
			return fmt.Errorf("read erasures: %w", err)
		}
		c.log.Warn("cannot read erasures; retrying at the next batch", "error", err)
		return nil
	}
	for site, at := range all {
		if !at.After(x.known[site]) {
			continue
		}
		since, stored := x.stored[site]
		if !x.loaded {
			// A previous run may have stored some after the erasure.
			since, stored = time.Time{}, now.Sub(at) < lateEraseWindow
		}
		if stored && !since.After(at) {
			if err := x.src.EraseSiteDataUntil(ctx, site, at); err != nil {
				return fmt.Errorf("erase events of site %d stored after its erasure: %w", site, err)
			}
			c.log.Info("deleted again events stored before the erasure was known", "site_id", site, "erased_at", at)
		}
		x.known[site] = at
		if at.After(x.latest) {
			x.latest = at
		}
	}
	x.loaded, x.read = true, now
	clear(x.stored)

	var behind bool
	for site, at := range x.known {
		if x.purged[site].Before(at) {
			behind = true
		}
	}
	if !behind {
		return nil
	}
	target := make(map[uint32]time.Time, len(x.known))
	for site, at := range x.known {
		target[site] = at
	}
	n, err := c.wal.Erase(ctx, func(rec []byte) bool {
		site, ms, ok := peekSiteTime(rec)
		if !ok {
			return false
		}
		at, hit := target[site]
		return hit && ms <= at.UnixMilli()
	})
	if err != nil {
		// The events are not stored meanwhile (known); the log is
		// purged at the next read.
		c.log.Error("cannot erase events from the write-ahead log; retrying", "error", err)
		return nil
	}
	for site, at := range target {
		x.purged[site] = at
	}
	if n > 0 {
		c.log.Info("erased events of erased sites from the write-ahead log", "events", n)
	}
	return nil
}

// keepStorable removes from a batch the events that must not be stored:
// those of a site deleted since they were accepted would outlive its data,
// and those accepted before their site's data was erased would bring it
// back. One pass, and no copy until the first removal.
func (c *Collector) keepStorable(events []sillage.Event) []sillage.Event {
	var deleted, erased int
	kept := events[:0]
	for i := range events {
		e := &events[i]
		switch {
		case c.sites.deleted(e.SiteID):
			deleted++
		case c.erase.erased(e):
			erased++
		case len(kept) == i:
			kept = kept[:i+1]
		default:
			kept = append(kept, *e)
		}
	}
	if deleted > 0 {
		c.metrics.dropped.WithLabelValues("deleted_site").Add(float64(deleted))
	}
	if erased > 0 {
		c.metrics.dropped.WithLabelValues("erased").Add(float64(erased))
	}
	return kept
}

// peekSiteTime reads the site and time (Unix ms) of an event record
// without decoding the rest. Every record version begins with them, a
// newer one than this release reads too.
func peekSiteTime(rec []byte) (uint32, int64, bool) {
	if len(rec) == 0 || rec[0] == 0 {
		return 0, 0, false
	}
	site, n := binary.Uvarint(rec[1:])
	if n <= 0 {
		return 0, 0, false
	}
	ms, m := binary.Varint(rec[1+n:])
	if m <= 0 {
		return 0, 0, false
	}
	return uint32(site), ms, true
}

// blankRecord reports a record the log replaced: a placeholder for one lost
// to damage (empty) or an erased one (zeros). An event record starts with
// its version, never 0.
func blankRecord(rec []byte) bool {
	if len(rec) == 0 {
		return true
	}
	if rec[0] != 0 {
		return false
	}
	for _, b := range rec {
		if b != 0 {
			return false
		}
	}
	return true
}

package accounts

import (
	"context"
	"fmt"
	"time"

	"github.com/sillage-analytics/sillage/store"
)

// recordErasure writes that a site's visitor data is erased as of now. It is
// written before the data is deleted: a collector, possibly in another
// process, reads it to purge the site from its write-ahead log and to drop
// the site's events it accepted before erased_at but has not stored yet.
func (s *Service) recordErasure(ctx context.Context, siteID uint32) error {
	err := s.Engine.Exec(ctx, "INSERT INTO erasures (site_id, erased_at) VALUES ({id:UInt32}, {at:DateTime64(3, 'UTC')})",
		store.Params{"id": siteID, "at": s.Now().UTC().Truncate(time.Millisecond)})
	if err != nil {
		return fmt.Errorf("record erasure of site %d: %w", siteID, err)
	}
	return nil
}

// Erasures returns the time of each site's latest erasure.
func (s *Service) Erasures(ctx context.Context) (map[uint32]time.Time, error) {
	rows, err := s.Engine.Query(ctx, "SELECT site_id, max(erased_at) FROM erasures GROUP BY site_id", nil)
	if err != nil {
		return nil, fmt.Errorf("list erasures: %w", err)
	}
	defer rows.Close()
	out := map[uint32]time.Time{}
	for rows.Next() {
		var id uint32
		var at time.Time
		if err := rows.Scan(&id, &at); err != nil {
			return nil, fmt.Errorf("list erasures: %w", err)
		}
		out[id] = at
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list erasures: %w", err)
	}
	return out, nil
}

// EraseSiteDataUntil deletes a site's events up to a time, and its partial
// session rows that end by then. A collector calls it for an erasure it
// learnt of late: a batch it stored after the erasure's DELETE may hold
// events accepted before it.
func (s *Service) EraseSiteDataUntil(ctx context.Context, siteID uint32, until time.Time) error {
	for _, d := range []struct{ table, column string }{{"events", "ts"}, {"sessions", "last_ts"}} {
		local, err := s.localTable(d.table)
		if err != nil {
			return fmt.Errorf("delete %s of site %d up to %s: %w", d.table, siteID, until.Format(time.RFC3339Nano), err)
		}
		q := "DELETE FROM " + local + " WHERE site_id = {id:UInt32} AND " + d.column + " <= {until:DateTime64(3, 'UTC')}"
		if err := s.Engine.Exec(ctx, q, store.Params{"id": siteID, "until": until}); err != nil {
			return fmt.Errorf("delete %s of site %d up to %s: %w", d.table, siteID, until.Format(time.RFC3339Nano), err)
		}
	}
	return nil
}

package accounts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/store"
)

// AdoptStoredSite registers domain under the site id its stored events
// already carry, when events of that hostname exist under an id that no
// site has ever had: a data folder filled straight into the engine, as the
// query benchmark does, or a sites table restored from an older backup
// than the events. Registering the domain anew would give it a new id and
// leave those events unreachable. The site's creation date is its first
// event's, so "all time" covers them. It fails with ErrExists when the
// domain is a site already and ErrNotFound when no such events exist.
func (s *Service) AdoptStoredSite(ctx context.Context, domain, timezone string) (sillage.Site, error) {
	s.writes.Lock()
	defer s.writes.Unlock()
	domain = sillage.NormalizeDomain(domain)
	if err := s.validateSite(ctx, domain, timezone); err != nil {
		return sillage.Site{}, err
	}
	if err := s.refuseTaken(ctx, domain); err != nil {
		return sillage.Site{}, err
	}
	// The inner query reads only site_id, the first column of the primary
	// key; the hostname is then read for the candidate ids alone. Every id
	// ever written to sites counts, deleted ones too: site ids are never
	// reused.
	var id uint32
	var first time.Time
	err := store.QueryRow(ctx, s.Engine, `SELECT site_id, min(ts) FROM events
		WHERE site_id IN (SELECT DISTINCT site_id FROM events WHERE site_id NOT IN (SELECT id FROM sites))
			AND hostname = {d:String}
		GROUP BY site_id ORDER BY count() DESC, site_id LIMIT 1`,
		store.Params{"d": domain}, &id, &first)
	if errors.Is(err, store.ErrNoRows) {
		return sillage.Site{}, fmt.Errorf("stored events of %s: %w", domain, ErrNotFound)
	}
	if err != nil {
		return sillage.Site{}, fmt.Errorf("find stored events of %s: %w", domain, err)
	}
	site := sillage.Site{ID: id, Domain: domain, Timezone: timezone, CreatedAt: first.UTC().Truncate(time.Millisecond)}
	err = s.Engine.Exec(ctx, `INSERT INTO sites (id, domain, timezone, retention_days, created_at, updated_at, deleted)
		VALUES ({id:UInt32}, {domain:String}, {tz:String}, 0, {created:DateTime64(3, 'UTC')}, {now:DateTime64(6, 'UTC')}, 0)`,
		store.Params{"id": id, "domain": domain, "tz": timezone, "created": site.CreatedAt, "now": s.stamp()})
	if err != nil {
		return sillage.Site{}, fmt.Errorf("adopt site %s (id %d): %w", domain, id, err)
	}
	s.sitesChanged()
	return site, nil
}

// EnsureOwner makes userID an owner of a site that has none and reports
// whether it did; a site with an owner is left as it is. The account must
// have been made by the command line or setup (ErrInviteFirst): one made
// by accepting an invitation link may be held by whoever had the link.
func (s *Service) EnsureOwner(ctx context.Context, siteID uint32, userID string) (bool, error) {
	s.writes.Lock()
	defer s.writes.Unlock()
	if _, err := s.UserByID(ctx, userID); err != nil {
		return false, err
	}
	switch direct, err := s.MadeDirectly(ctx, userID); {
	case err != nil:
		return false, err
	case !direct:
		return false, ErrInviteFirst
	}
	n, err := s.ownerCount(ctx, siteID)
	if err != nil || n > 0 {
		return false, err
	}
	if err := s.setMembership(ctx, siteID, userID, sillage.RoleOwner, false); err != nil {
		return false, err
	}
	return true, nil
}

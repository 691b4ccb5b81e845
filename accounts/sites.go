package accounts

import (
	"context"
	"fmt"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/migrations"
	"github.com/sillage-analytics/sillage/store"
)

// MaxRetentionDays bounds a site's retention (about 100 years; the column
// is a UInt16).
const MaxRetentionDays = 36500

// Retentions in days that never keep an event longer than 13 or 25
// calendar months (which last 393 to 397 and 758 to 762 days). The CNIL
// exempts audience measurement from consent when, among its conditions,
// the data collected are kept 25 months at most.
const (
	Retention13Months = 393
	Retention25Months = 758
)

// DefaultRetentionDays is a new site's retention: the CNIL's 25 months.
// Sites stored before keep theirs.
const DefaultRetentionDays = Retention25Months

// SiteByID finds a site by its id.
func (s *Service) SiteByID(ctx context.Context, id uint32) (sillage.Site, error) {
	rows, err := s.Engine.Query(ctx, "SELECT "+siteColumns+" FROM sites FINAL WHERE deleted = 0 AND id = {id:UInt32}",
		store.Params{"id": id})
	if err != nil {
		return sillage.Site{}, fmt.Errorf("find site %d: %w", id, err)
	}
	sites, err := scanSites(rows)
	if err != nil {
		return sillage.Site{}, fmt.Errorf("find site %d: %w", id, err)
	}
	if len(sites) == 0 {
		return sillage.Site{}, fmt.Errorf("site %d: %w", id, ErrNotFound)
	}
	return sites[0], nil
}

// AddSiteWithOwner registers a domain and makes the user who added it its
// owner.
func (s *Service) AddSiteWithOwner(ctx context.Context, ownerID, domain, timezone string) (sillage.Site, error) {
	if _, err := s.UserByID(ctx, ownerID); err != nil {
		return sillage.Site{}, err
	}
	site, err := s.AddSite(ctx, domain, timezone)
	if err != nil {
		return sillage.Site{}, err
	}
	if err := s.setMembership(ctx, site.ID, ownerID, sillage.RoleOwner, false); err != nil {
		return sillage.Site{}, err
	}
	return site, nil
}

// SiteUpdate holds the settings to change; nil fields stay as they are.
type SiteUpdate struct {
	Timezone      *string
	RetentionDays *uint16
}

// UpdateSite changes a site's time zone and retention. A new retention is
// also written into the site's stored events and sessions, whose TTL reads
// it: a background mutation rewrites that column, and the next merges drop
// what is now too old.
func (s *Service) UpdateSite(ctx context.Context, siteID uint32, u SiteUpdate) (sillage.Site, error) {
	s.writes.Lock()
	defer s.writes.Unlock()
	site, err := s.SiteByID(ctx, siteID)
	if err != nil {
		return sillage.Site{}, err
	}
	if u.Timezone != nil {
		site.Timezone = *u.Timezone
	}
	retentionChanged := u.RetentionDays != nil && *u.RetentionDays != site.RetentionDays
	if u.RetentionDays != nil {
		if *u.RetentionDays > MaxRetentionDays {
			return sillage.Site{}, invalidf("retention must be 0 (forever) to %d days", MaxRetentionDays)
		}
		site.RetentionDays = *u.RetentionDays
	}
	if err := s.validateSite(ctx, site.Domain, site.Timezone); err != nil {
		return sillage.Site{}, err
	}
	err = s.Engine.Exec(ctx, `INSERT INTO sites (id, domain, timezone, retention_days, created_at, updated_at, deleted)
		VALUES ({id:UInt32}, {domain:String}, {tz:String}, {ret:UInt16}, {created:DateTime64(3, 'UTC')}, {now:DateTime64(6, 'UTC')}, 0)`,
		store.Params{"id": site.ID, "domain": site.Domain, "tz": site.Timezone, "ret": site.RetentionDays,
			"created": site.CreatedAt, "now": s.stamp()})
	if err != nil {
		return sillage.Site{}, fmt.Errorf("update site %s: %w", site.Domain, err)
	}
	s.sitesChanged()
	if retentionChanged {
		for _, table := range siteDataTables {
			// Asynchronous: rewriting a column of a large table can take
			// minutes, and nothing waits for it. New events already carry
			// the new retention once the collector refreshes its site list.
			local, err := s.localTable(table)
			if err != nil {
				return site, fmt.Errorf("apply retention of site %s to %s: %w", site.Domain, table, err)
			}
			q := "ALTER TABLE " + local + " UPDATE retention_days = {ret:UInt16} WHERE site_id = {id:UInt32}"
			if err := s.Engine.Exec(ctx, q, store.Params{"ret": site.RetentionDays, "id": site.ID}); err != nil {
				return site, fmt.Errorf("apply retention of site %s to %s: %w", site.Domain, table, err)
			}
		}
	}
	return site, nil
}

// siteDataTables hold per-site visitor data with a site_id and a
// retention_days column. A table added later that copies events (a
// pre-aggregate) belongs here too, so that deleting a site's data and
// changing its retention reach it.
var siteDataTables = []string{"events", "sessions"}

// localTable names a data table for a mutation: on a cluster, mutations go
// to the local tables of every node (a Distributed table takes none).
func (s *Service) localTable(table string) (string, error) {
	return migrations.Target{Cluster: s.Cluster}.MutationTable(table)
}

// DeleteSiteData deletes every stored event and session of a site, at once
// for readers (a lightweight DELETE masks the rows; merges reclaim the
// space later). The site and its settings stay. The erasure is recorded
// first, for the collectors' write-ahead logs.
func (s *Service) DeleteSiteData(ctx context.Context, siteID uint32) error {
	if err := s.recordErasure(ctx, siteID); err != nil {
		return err
	}
	for _, table := range siteDataTables {
		local, err := s.localTable(table)
		if err != nil {
			return fmt.Errorf("delete %s of site %d: %w", table, siteID, err)
		}
		if err := s.Engine.Exec(ctx, "DELETE FROM "+local+" WHERE site_id = {id:UInt32}",
			store.Params{"id": siteID}); err != nil {
			return fmt.Errorf("delete %s of site %d: %w", table, siteID, err)
		}
	}
	return nil
}

// DeleteSite removes a site with its members, goals, funnels, shared links,
// segments and stored data. API keys keep the id in their scope, but it no longer
// names a site, and site ids are never reused.
func (s *Service) DeleteSite(ctx context.Context, siteID uint32) error {
	s.writes.Lock()
	defer s.writes.Unlock()
	site, err := s.SiteByID(ctx, siteID)
	if err != nil {
		return err
	}
	// The site row goes first: once it is a tombstone nothing can reach the
	// rest, so a failure half-way leaves orphans, never a half-visible site.
	err = s.Engine.Exec(ctx, `INSERT INTO sites (id, domain, timezone, retention_days, created_at, updated_at, deleted)
		VALUES ({id:UInt32}, {domain:String}, {tz:String}, {ret:UInt16}, {created:DateTime64(3, 'UTC')}, {now:DateTime64(6, 'UTC')}, 1)`,
		store.Params{"id": site.ID, "domain": site.Domain, "tz": site.Timezone, "ret": site.RetentionDays,
			"created": site.CreatedAt, "now": s.stamp()})
	if err != nil {
		return fmt.Errorf("delete site %s: %w", site.Domain, err)
	}
	s.sitesChanged()
	tombstones := []struct{ table, columns string }{
		{"memberships", "site_id, user_id, role"},
		{"goals", "site_id, id, event_name, page_path, currency, display_name"},
		{"funnels", "site_id, id, name, steps, window_seconds"},
		{"shared_links", "site_id, id, slug, name, password_hash"},
		{"annotations", "site_id, id, day_from, day_to, text, category, author, created_at"},
		{"segments", "site_id, id, owner_id, name, filters, shared, created_at"},
	}
	for _, t := range tombstones {
		q := "INSERT INTO " + t.table + " (" + t.columns + ", updated_at, deleted) SELECT " + t.columns +
			", " + tombstoneStamp + ", 1 FROM " + t.table + " FINAL WHERE site_id = {id:UInt32} AND deleted = 0"
		if err := s.Engine.Exec(ctx, q, store.Params{"id": site.ID, "now": s.stamp()}); err != nil {
			return fmt.Errorf("delete %s of site %s: %w", t.table, site.Domain, err)
		}
	}
	return s.DeleteSiteData(ctx, site.ID)
}

// EventsBeyondRetention counts a site's stored events that a retention of
// days would delete: those whose date plus days is today or earlier, as
// the events table's TTL reads it (UTC dates). 0 keeps everything.
func (s *Service) EventsBeyondRetention(ctx context.Context, siteID uint32, days uint16) (uint64, error) {
	if days == 0 {
		return 0, nil
	}
	// Written on ts itself, not on its date, so the primary key prunes.
	today := s.Now().UTC().Truncate(24 * time.Hour)
	cutoff := today.AddDate(0, 0, 1-int(days))
	var n uint64
	err := store.QueryRow(ctx, s.Engine, `SELECT count() FROM events WHERE site_id = {site:UInt32} AND ts < {cutoff:DateTime64(3, 'UTC')}`,
		store.Params{"site": siteID, "cutoff": cutoff}, &n)
	if err != nil {
		return 0, fmt.Errorf("count events of site %d older than %d days: %w", siteID, days, err)
	}
	return n, nil
}

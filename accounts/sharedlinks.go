package accounts

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/sillage-analytics/sillage/store"
)

// SharedLink gives read access to one site's dashboard to whoever has its
// slug, and the password when it has one.
type SharedLink struct {
	ID     string
	SiteID uint32
	Slug   string
	Name   string

	passwordHash string
}

// HasPassword reports whether the link asks for a password.
func (l SharedLink) HasPassword() bool { return l.passwordHash != "" }

// CheckPassword reports whether password opens the link; a link without a
// password opens with any.
func (l SharedLink) CheckPassword(password string) bool {
	if l.passwordHash == "" {
		return true
	}
	return CheckPassword(l.passwordHash, password)
}

// slugBytes of randomness: 128 bits, so a slug cannot be guessed, in 22
// URL-safe characters.
const slugBytes = 16

// MaxSharedLinks is how many links a site may have, for the same reason
// as MaxAPIKeys.
const MaxSharedLinks = 100

// AddSharedLink creates a link to a site's dashboard with a random slug,
// protected by password unless it is empty.
func (s *Service) AddSharedLink(ctx context.Context, siteID uint32, name, password string) (SharedLink, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		name = "Shared link"
	}
	if err := checkName("link name", name, maxNameLength); err != nil {
		return SharedLink{}, err
	}
	if _, err := s.SiteByID(ctx, siteID); err != nil {
		return SharedLink{}, err
	}
	var live uint64
	if err := store.QueryRow(ctx, s.Engine, `SELECT count() FROM shared_links FINAL
		WHERE deleted = 0 AND site_id = {site:UInt32}`, store.Params{"site": siteID}, &live); err != nil {
		return SharedLink{}, fmt.Errorf("count shared links of site %d: %w", siteID, err)
	}
	if live >= MaxSharedLinks {
		return SharedLink{}, invalidf("a site has at most %d shared links: delete one you no longer use first", MaxSharedLinks)
	}
	l := SharedLink{ID: uuid.NewString(), SiteID: siteID, Name: name}
	if password != "" {
		h, err := HashPassword(password)
		if err != nil {
			return SharedLink{}, err
		}
		l.passwordHash = h
	}
	slug, err := randomToken(slugBytes)
	if err != nil {
		return SharedLink{}, err
	}
	l.Slug = slug
	return l, s.writeSharedLink(ctx, l, false)
}

func (s *Service) writeSharedLink(ctx context.Context, l SharedLink, deleted bool) error {
	err := s.Engine.Exec(ctx, `INSERT INTO shared_links (site_id, id, slug, name, password_hash, updated_at, deleted)
		VALUES ({site:UInt32}, {id:UUID}, {slug:String}, {name:String}, {hash:String}, {now:DateTime64(6, 'UTC')}, {del:UInt8})`,
		store.Params{"site": l.SiteID, "id": l.ID, "slug": l.Slug, "name": l.Name, "hash": l.passwordHash,
			"now": s.stamp(), "del": deleted})
	if err != nil {
		return fmt.Errorf("write shared link of site %d: %w", l.SiteID, err)
	}
	return nil
}

const sharedLinkColumns = "site_id, toString(id), slug, name, password_hash"

func scanSharedLinks(rows store.Rows) ([]SharedLink, error) {
	defer rows.Close()
	var out []SharedLink
	for rows.Next() {
		var l SharedLink
		if err := rows.Scan(&l.SiteID, &l.ID, &l.Slug, &l.Name, &l.passwordHash); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// SharedLinks lists a site's shared links by name.
func (s *Service) SharedLinks(ctx context.Context, siteID uint32) ([]SharedLink, error) {
	rows, err := s.Engine.Query(ctx, "SELECT "+sharedLinkColumns+` FROM shared_links FINAL
		WHERE deleted = 0 AND site_id = {site:UInt32} ORDER BY name, id`, store.Params{"site": siteID})
	if err != nil {
		return nil, fmt.Errorf("list shared links of site %d: %w", siteID, err)
	}
	links, err := scanSharedLinks(rows)
	if err != nil {
		return nil, fmt.Errorf("list shared links of site %d: %w", siteID, err)
	}
	return links, nil
}

// SharedLinkBySlug finds a link by its slug, whatever its site.
func (s *Service) SharedLinkBySlug(ctx context.Context, slug string) (SharedLink, error) {
	if slug == "" || len(slug) > 64 {
		return SharedLink{}, fmt.Errorf("shared link: %w", ErrNotFound)
	}
	rows, err := s.Engine.Query(ctx, "SELECT "+sharedLinkColumns+` FROM shared_links FINAL
		WHERE deleted = 0 AND slug = {slug:String}`, store.Params{"slug": slug})
	if err != nil {
		return SharedLink{}, fmt.Errorf("find shared link: %w", err)
	}
	links, err := scanSharedLinks(rows)
	if err != nil {
		return SharedLink{}, fmt.Errorf("find shared link: %w", err)
	}
	if len(links) == 0 {
		return SharedLink{}, fmt.Errorf("shared link: %w", ErrNotFound)
	}
	return links[0], nil
}

// DeleteSharedLink revokes a link of a site.
func (s *Service) DeleteSharedLink(ctx context.Context, siteID uint32, id string) error {
	links, err := s.SharedLinks(ctx, siteID)
	if err != nil {
		return err
	}
	for _, l := range links {
		if l.ID == id {
			return s.writeSharedLink(ctx, l, true)
		}
	}
	return fmt.Errorf("shared link %s: %w", id, ErrNotFound)
}

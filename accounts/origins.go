package accounts

import (
	"context"
	"errors"
	"fmt"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/store"
)

// An account's origin decides whether the command line may give it a site
// directly: an account made by accepting an invitation link belongs to
// whoever held the link, who may not be the person its email names (an
// admin of any site can invite an email and accept the link itself).
const (
	// OriginFirst is the instance's first account (first-run setup or
	// --bootstrap-user).
	OriginFirst = "first"
	// OriginDirect is an account made with a password by setup, the
	// command line or --bootstrap-user.
	OriginDirect = "direct"
	// OriginInvitation is an account made by accepting an invitation link.
	OriginInvitation = "invitation"
)

func (s *Service) setOrigin(ctx context.Context, userID, origin string) error {
	err := s.Engine.Exec(ctx, `INSERT INTO account_origins (user_id, origin, updated_at)
		VALUES ({user:UUID}, {origin:String}, {now:DateTime64(6, 'UTC')})`,
		store.Params{"user": userID, "origin": origin, "now": s.stamp()})
	if err != nil {
		return fmt.Errorf("record the origin of account %s: %w", userID, err)
	}
	return nil
}

// Origin returns how an account was made: OriginFirst, OriginDirect,
// OriginInvitation, or "" for an account older than the record.
func (s *Service) Origin(ctx context.Context, userID string) (string, error) {
	var origin string
	err := store.QueryRow(ctx, s.Engine, `SELECT origin FROM account_origins FINAL WHERE user_id = {user:UUID}`,
		store.Params{"user": userID}, &origin)
	if errors.Is(err, store.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("find the origin of account %s: %w", userID, err)
	}
	return origin, nil
}

// MadeDirectly reports whether an account was made with a password by
// first-run setup, the command line or --bootstrap-user: the command line
// may give such an account a site without an invitation. An account made
// by an invitation link, or older than the record, is not.
func (s *Service) MadeDirectly(ctx context.Context, userID string) (bool, error) {
	origin, err := s.Origin(ctx, userID)
	return origin == OriginFirst || origin == OriginDirect, err
}

// ErrInviteFirst refuses to give a site directly to an account that
// neither the command line nor setup made: invite it instead.
var ErrInviteFirst = errors.New("this account was not made from the command line: invite it to the site instead")

// markAdoptable records whether the first account may adopt a site (one
// added without owner from the command line), or no longer may (its owner
// was invited).
func (s *Service) markAdoptable(ctx context.Context, siteID uint32, adoptable bool) error {
	err := s.Engine.Exec(ctx, `INSERT INTO adoptable_sites (site_id, updated_at, deleted)
		VALUES ({site:UInt32}, {now:DateTime64(6, 'UTC')}, {del:UInt8})`,
		store.Params{"site": siteID, "now": s.stamp(), "del": !adoptable})
	if err != nil {
		return fmt.Errorf("mark site %d adoptable=%v: %w", siteID, adoptable, err)
	}
	return nil
}

// AddOwnerlessSite registers a domain added from the command line without
// an owner: the first account adopts it at its next login, unless an
// owner is invited first.
func (s *Service) AddOwnerlessSite(ctx context.Context, domain, timezone string) (sillage.Site, error) {
	site, err := s.AddSite(ctx, domain, timezone)
	if err != nil {
		return site, err
	}
	return site, s.MarkAdoptable(ctx, site.ID)
}

// MarkAdoptable lets the first account adopt a site that --bootstrap-site
// registered without an owner.
func (s *Service) MarkAdoptable(ctx context.Context, siteID uint32) error {
	s.writes.Lock()
	defer s.writes.Unlock()
	return s.markAdoptable(ctx, siteID, true)
}

package accounts

import (
	"context"
	"errors"
	"fmt"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/store"
)

// ErrLastOwner refuses to leave a site without an owner.
var ErrLastOwner = errors.New("a site needs at least one owner")

// ValidRole reports whether r is one of the three roles.
func ValidRole(r sillage.Role) bool {
	return r == sillage.RoleOwner || r == sillage.RoleAdmin || r == sillage.RoleViewer
}

// RoleRank orders roles: viewer 1 < admin 2 < owner 3; anything else is 0.
func RoleRank(r sillage.Role) int {
	switch r {
	case sillage.RoleOwner:
		return 3
	case sillage.RoleAdmin:
		return 2
	case sillage.RoleViewer:
		return 1
	}
	return 0
}

// SiteWithRole is a site seen by one of its members.
type SiteWithRole struct {
	sillage.Site
	Role sillage.Role
}

// Member is a user's membership of a site.
type Member struct {
	UserID string
	Email  string
	Role   sillage.Role
}

func (s *Service) setMembership(ctx context.Context, siteID uint32, userID string, role sillage.Role, deleted bool) error {
	err := s.Engine.Exec(ctx, `INSERT INTO memberships (site_id, user_id, role, updated_at, deleted)
		VALUES ({site:UInt32}, {user:UUID}, {role:String}, {now:DateTime64(6, 'UTC')}, {del:UInt8})`,
		store.Params{"site": siteID, "user": userID, "role": string(role), "now": s.stamp(), "del": deleted})
	if err != nil {
		return fmt.Errorf("write membership of user %s on site %d: %w", userID, siteID, err)
	}
	return nil
}

// SitesForUser lists the sites a user is a member of, by domain.
func (s *Service) SitesForUser(ctx context.Context, userID string) ([]SiteWithRole, error) {
	rows, err := s.Engine.Query(ctx, `SELECT s.id, s.domain, s.timezone, s.retention_days, s.created_at, m.role
		FROM sites AS s FINAL
		INNER JOIN (SELECT site_id, role FROM memberships FINAL WHERE deleted = 0 AND user_id = {user:UUID}) AS m
			ON m.site_id = s.id
		WHERE s.deleted = 0
		ORDER BY s.domain`, store.Params{"user": userID})
	if err != nil {
		return nil, fmt.Errorf("list sites of user %s: %w", userID, err)
	}
	defer rows.Close()
	var out []SiteWithRole
	for rows.Next() {
		var sr SiteWithRole
		var role string
		if err := rows.Scan(&sr.ID, &sr.Domain, &sr.Timezone, &sr.RetentionDays, &sr.CreatedAt, &role); err != nil {
			return nil, fmt.Errorf("list sites of user %s: %w", userID, err)
		}
		sr.Role = sillage.Role(role)
		out = append(out, sr)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sites of user %s: %w", userID, err)
	}
	return out, nil
}

// RoleOf returns a user's role on a site, or ErrNotFound when the user is
// not a member.
func (s *Service) RoleOf(ctx context.Context, userID string, siteID uint32) (sillage.Role, error) {
	var role string
	err := store.QueryRow(ctx, s.Engine, `SELECT role FROM memberships FINAL
		WHERE deleted = 0 AND site_id = {site:UInt32} AND user_id = {user:UUID}`,
		store.Params{"site": siteID, "user": userID}, &role)
	if errors.Is(err, store.ErrNoRows) {
		return "", fmt.Errorf("membership of user %s on site %d: %w", userID, siteID, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("find role of user %s on site %d: %w", userID, siteID, err)
	}
	return sillage.Role(role), nil
}

// Members lists the members of a site, by email.
func (s *Service) Members(ctx context.Context, siteID uint32) ([]Member, error) {
	rows, err := s.Engine.Query(ctx, `SELECT toString(u.id), u.email, m.role
		FROM users AS u FINAL
		INNER JOIN (SELECT user_id, role FROM memberships FINAL WHERE deleted = 0 AND site_id = {site:UInt32}) AS m
			ON m.user_id = u.id
		WHERE u.deleted = 0
		ORDER BY u.email`, store.Params{"site": siteID})
	if err != nil {
		return nil, fmt.Errorf("list members of site %d: %w", siteID, err)
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		var m Member
		var role string
		if err := rows.Scan(&m.UserID, &m.Email, &role); err != nil {
			return nil, fmt.Errorf("list members of site %d: %w", siteID, err)
		}
		m.Role = sillage.Role(role)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list members of site %d: %w", siteID, err)
	}
	return out, nil
}

func (s *Service) ownerCount(ctx context.Context, siteID uint32) (uint64, error) {
	var n uint64
	err := store.QueryRow(ctx, s.Engine, `SELECT count() FROM memberships FINAL
		WHERE deleted = 0 AND site_id = {site:UInt32} AND role = 'owner'`, store.Params{"site": siteID}, &n)
	if err != nil {
		return 0, fmt.Errorf("count owners of site %d: %w", siteID, err)
	}
	return n, nil
}

// AddMember gives the account with this email a role on a site, or changes
// its role when it is a member already. The account must exist
// (ErrNotFound). Demoting the last owner fails with ErrLastOwner.
func (s *Service) AddMember(ctx context.Context, siteID uint32, email string, role sillage.Role) (Member, error) {
	s.writes.Lock()
	defer s.writes.Unlock()
	return s.addMember(ctx, siteID, email, role)
}

// addMember is AddMember under s.writes.
func (s *Service) addMember(ctx context.Context, siteID uint32, email string, role sillage.Role) (Member, error) {
	if !ValidRole(role) {
		return Member{}, invalidf("invalid role %q: expected owner, admin or viewer", role)
	}
	if _, err := s.SiteByID(ctx, siteID); err != nil {
		return Member{}, err
	}
	u, err := s.UserByEmail(ctx, email)
	if err != nil {
		return Member{}, err
	}
	current, err := s.RoleOf(ctx, u.ID, siteID)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return Member{}, err
	case current == role:
		return Member{UserID: u.ID, Email: u.Email, Role: role}, nil
	case current == sillage.RoleOwner:
		if err := s.keepAnOwner(ctx, siteID); err != nil {
			return Member{}, err
		}
	}
	if err := s.setMembership(ctx, siteID, u.ID, role, false); err != nil {
		return Member{}, err
	}
	return Member{UserID: u.ID, Email: u.Email, Role: role}, nil
}

// keepAnOwner fails unless the site has another owner besides the one
// about to go. Two owners demoting each other at the same instant can both
// pass: the store has no transactions; an operator can repair it with
// AddMember from the command line.
func (s *Service) keepAnOwner(ctx context.Context, siteID uint32) error {
	n, err := s.ownerCount(ctx, siteID)
	if err != nil {
		return err
	}
	if n <= 1 {
		return ErrLastOwner
	}
	return nil
}

// RemoveMember takes a user's access to a site away. Removing the last
// owner fails with ErrLastOwner.
func (s *Service) RemoveMember(ctx context.Context, siteID uint32, email string) error {
	s.writes.Lock()
	defer s.writes.Unlock()
	u, err := s.UserByEmail(ctx, email)
	if err != nil {
		return err
	}
	role, err := s.RoleOf(ctx, u.ID, siteID)
	if err != nil {
		return err
	}
	if role == sillage.RoleOwner {
		if err := s.keepAnOwner(ctx, siteID); err != nil {
			return err
		}
	}
	return s.setMembership(ctx, siteID, u.ID, role, true)
}

// AdoptOrphanSites makes the instance's first account (the one made by
// first-run setup or --bootstrap-user, recorded as OriginFirst) owner of
// every site added without owner from the command line (site add without
// --owner, --bootstrap-site) that still has none and never had an owner
// invitation. A site whose owner invitation lapsed or was declined stays
// without owner until an operator invites again. For any other account it
// does nothing. It returns the adopted sites.
func (s *Service) AdoptOrphanSites(ctx context.Context, userID string) ([]sillage.Site, error) {
	origin, err := s.Origin(ctx, userID)
	if err != nil || origin != OriginFirst {
		return nil, err
	}
	rows, err := s.Engine.Query(ctx, "SELECT "+siteColumns+` FROM sites FINAL WHERE deleted = 0
		AND id IN (SELECT site_id FROM adoptable_sites FINAL WHERE deleted = 0)
		AND id NOT IN (SELECT site_id FROM memberships FINAL WHERE deleted = 0 AND role = 'owner')
		ORDER BY domain`, nil)
	if err != nil {
		return nil, fmt.Errorf("find sites without owner: %w", err)
	}
	orphans, err := scanSites(rows)
	if err != nil {
		return nil, fmt.Errorf("find sites without owner: %w", err)
	}
	for _, site := range orphans {
		if err := s.setMembership(ctx, site.ID, userID, sillage.RoleOwner, false); err != nil {
			return nil, err
		}
	}
	return orphans, nil
}

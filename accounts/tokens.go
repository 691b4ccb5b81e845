package accounts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/store"
)

// Invitations and password resets are single-use, expiring links. The
// link carries a random token of 256 bits; the store keeps its SHA-256
// only (tokenHash), so a copy of the table opens nothing. A token is used
// under s.writes: within one query service, two requests with the same
// link cannot both pass.

const (
	// InvitationLifetime is how long an invitation link can be accepted.
	InvitationLifetime = 7 * 24 * time.Hour
	// ResetLifetime is how long a password reset link works.
	ResetLifetime = 24 * time.Hour

	kindInvitation = "invitation"
	kindReset      = "reset"
)

var (
	// ErrBadToken is the one answer to an unknown, used, revoked or
	// expired link.
	ErrBadToken = errors.New("this link is invalid, expired or already used")
	// ErrWrongAccount refuses an invitation accepted by an account with
	// another email than the invited one.
	ErrWrongAccount = errors.New("this invitation is for another email: log in as the invited account")
	// ErrOwnerInvited refuses to replace a pending owner invitation on
	// behalf of an inviter who is not an owner.
	ErrOwnerInvited = errors.New("this email has a pending owner invitation: only an owner can replace or revoke it")
)

// Invitation is an offer of a role on a site to an email, waiting for the
// invitee.
type Invitation struct {
	ID        string
	Email     string
	SiteID    uint32
	Domain    string
	Role      sillage.Role
	InviterID string
	CreatedAt time.Time
	ExpiresAt time.Time
	// HasAccount tells whether the email has an account (the invitee logs
	// in and accepts) or not (the invitee chooses a password).
	HasAccount bool
}

// token is one row of account_tokens.
type token struct {
	hash, id, kind, email, userID, role, inviterID string
	siteID                                         uint32
	created                                        time.Time
	expires                                        time.Time
}

const tokenColumns = "token_hash, toString(id), kind, email, toString(user_id), site_id, role, toString(inviter_id), created_at, expires_at"

func scanTokens(rows store.Rows) ([]token, error) {
	defer rows.Close()
	var out []token
	for rows.Next() {
		var t token
		if err := rows.Scan(&t.hash, &t.id, &t.kind, &t.email, &t.userID, &t.siteID, &t.role, &t.inviterID, &t.created, &t.expires); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func (s *Service) nowSecond() time.Time { return s.Now().UTC().Truncate(time.Second) }

// writeToken writes a version of a token's row: used, or deleted (revoked,
// declined, replaced).
func (s *Service) writeToken(ctx context.Context, t token, used, deleted bool) error {
	userID, inviterID := t.userID, t.inviterID
	if userID == "" {
		userID = uuid.Nil.String()
	}
	if inviterID == "" {
		inviterID = uuid.Nil.String()
	}
	err := s.Engine.Exec(ctx, `INSERT INTO account_tokens (token_hash, id, kind, email, user_id, site_id, role, inviter_id,
			created_at, expires_at, used, updated_at, deleted)
		VALUES ({h:String}, {id:UUID}, {kind:String}, {email:String}, {user:UUID}, {site:UInt32}, {role:String}, {inviter:UUID},
			{created:DateTime64(3, 'UTC')}, {exp:DateTime('UTC')}, {used:UInt8}, {now:DateTime64(6, 'UTC')}, {del:UInt8})`,
		store.Params{"h": t.hash, "id": t.id, "kind": t.kind, "email": t.email, "user": userID, "site": t.siteID,
			"role": t.role, "inviter": inviterID, "created": t.created, "exp": t.expires, "used": used, "now": s.stamp(), "del": deleted})
	if err != nil {
		return fmt.Errorf("write %s token %s: %w", t.kind, t.id, err)
	}
	return nil
}

// newToken draws a token and the row that stores its hash.
func (s *Service) newToken(kind string, lifetime time.Duration) (string, token, error) {
	secret, err := randomToken(32)
	if err != nil {
		return "", token{}, err
	}
	now := s.Now().UTC()
	return secret, token{hash: tokenHash(secret), id: uuid.NewString(), kind: kind,
		created: now.Truncate(time.Millisecond), expires: now.Add(lifetime).Truncate(time.Second)}, nil
}

// liveToken finds a token that is neither used, revoked nor expired.
func (s *Service) liveToken(ctx context.Context, secret, kind string) (token, error) {
	if secret == "" || len(secret) > 100 {
		return token{}, ErrBadToken
	}
	rows, err := s.Engine.Query(ctx, "SELECT "+tokenColumns+` FROM account_tokens FINAL
		WHERE deleted = 0 AND used = 0 AND token_hash = {h:String} AND kind = {kind:String} AND expires_at > {now:DateTime('UTC')}`,
		store.Params{"h": tokenHash(secret), "kind": kind, "now": s.nowSecond()})
	if err != nil {
		return token{}, fmt.Errorf("find %s token: %w", kind, err)
	}
	ts, err := scanTokens(rows)
	if err != nil {
		return token{}, fmt.Errorf("find %s token: %w", kind, err)
	}
	if len(ts) == 0 {
		return token{}, ErrBadToken
	}
	return ts[0], nil
}

// pending lists the live tokens matching where (written in this package).
func (s *Service) pending(ctx context.Context, where string, params store.Params) ([]token, error) {
	// A pending token was written once, so its version orders tokens made
	// in the same millisecond (or under a stopped clock) as they were made.
	params["now"] = s.nowSecond()
	rows, err := s.Engine.Query(ctx, "SELECT "+tokenColumns+` FROM account_tokens FINAL
		WHERE deleted = 0 AND used = 0 AND expires_at > {now:DateTime('UTC')} AND `+where+`
		ORDER BY created_at, updated_at, id`, params)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	ts, err := scanTokens(rows)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return ts, nil
}

func (s *Service) toInvitation(ctx context.Context, t token) (Invitation, error) {
	inv := Invitation{ID: t.id, Email: t.email, SiteID: t.siteID, Role: sillage.Role(t.role), InviterID: t.inviterID,
		CreatedAt: t.created, ExpiresAt: t.expires}
	site, err := s.SiteByID(ctx, t.siteID)
	if errors.Is(err, ErrNotFound) {
		return Invitation{}, ErrBadToken // the site was deleted since
	}
	if err != nil {
		return Invitation{}, err
	}
	inv.Domain = site.Domain
	switch _, err := s.UserByEmail(ctx, t.email); {
	case err == nil:
		inv.HasAccount = true
	case !errors.Is(err, ErrNotFound):
		return Invitation{}, err
	}
	return inv, nil
}

// CreateInvitation invites an email to a site with a role, on behalf of
// inviterID (a member allowed to: the caller checks roles). It returns the
// invitation and its secret token, which only the link carries; a new
// invitation of the same email to the same site replaces the pending one.
// An email that is already a member fails with ErrExists: change its role
// with AddMember instead.
func (s *Service) CreateInvitation(ctx context.Context, siteID uint32, email string, role sillage.Role, inviterID string) (Invitation, string, error) {
	return s.createInvitation(ctx, siteID, email, role, inviterID, true)
}

// CreateInvitationKeepingOwners is CreateInvitation for an inviter who is
// not an owner of the site: while the email has a pending owner
// invitation, which a new one would replace, it fails with
// ErrOwnerInvited. Checked under the same lock as the replacement.
func (s *Service) CreateInvitationKeepingOwners(ctx context.Context, siteID uint32, email string, role sillage.Role, inviterID string) (Invitation, string, error) {
	return s.createInvitation(ctx, siteID, email, role, inviterID, false)
}

func (s *Service) createInvitation(ctx context.Context, siteID uint32, email string, role sillage.Role, inviterID string, replaceOwners bool) (Invitation, string, error) {
	if !ValidRole(role) {
		return Invitation{}, "", invalidf("invalid role %q: expected owner, admin or viewer", role)
	}
	email, err := normalizeEmail(email)
	if err != nil {
		return Invitation{}, "", err
	}
	s.writes.Lock()
	defer s.writes.Unlock()
	if _, err := s.SiteByID(ctx, siteID); err != nil {
		return Invitation{}, "", err
	}
	if u, err := s.UserByEmail(ctx, email); err == nil {
		if _, err := s.RoleOf(ctx, u.ID, siteID); err == nil {
			return Invitation{}, "", fmt.Errorf("%s is a member of this site already: %w", email, ErrExists)
		} else if !errors.Is(err, ErrNotFound) {
			return Invitation{}, "", err
		}
	} else if !errors.Is(err, ErrNotFound) {
		return Invitation{}, "", err
	}
	earlier, err := s.pending(ctx, "kind = 'invitation' AND site_id = {site:UInt32} AND email = {email:String}",
		store.Params{"site": siteID, "email": email})
	if err != nil {
		return Invitation{}, "", err
	}
	for _, t := range earlier {
		if t.role == string(sillage.RoleOwner) && !replaceOwners {
			return Invitation{}, "", fmt.Errorf("%s: %w", email, ErrOwnerInvited)
		}
	}
	for _, t := range earlier {
		if err := s.writeToken(ctx, t, false, true); err != nil {
			return Invitation{}, "", err
		}
	}
	if role == sillage.RoleOwner {
		// The site waits for its invitee, or for another invitation, even
		// if this one lapses: the first account no longer adopts it.
		if err := s.markAdoptable(ctx, siteID, false); err != nil {
			return Invitation{}, "", err
		}
	}
	secret, t, err := s.newToken(kindInvitation, InvitationLifetime)
	if err != nil {
		return Invitation{}, "", err
	}
	t.email, t.siteID, t.role, t.inviterID = email, siteID, string(role), inviterID
	if err := s.writeToken(ctx, t, false, false); err != nil {
		return Invitation{}, "", err
	}
	inv, err := s.toInvitation(ctx, t)
	if err != nil {
		return Invitation{}, "", err
	}
	return inv, secret, nil
}

// Invitations lists a site's pending invitations, oldest first.
func (s *Service) Invitations(ctx context.Context, siteID uint32) ([]Invitation, error) {
	ts, err := s.pending(ctx, "kind = 'invitation' AND site_id = {site:UInt32}", store.Params{"site": siteID})
	if err != nil {
		return nil, fmt.Errorf("list invitations of site %d: %w", siteID, err)
	}
	out := make([]Invitation, 0, len(ts))
	for _, t := range ts {
		inv, err := s.toInvitation(ctx, t)
		if err != nil {
			return nil, err
		}
		out = append(out, inv)
	}
	return out, nil
}

// RevokeInvitation withdraws a site's pending invitation by id; its link
// stops working. ErrNotFound when there is no such pending invitation.
func (s *Service) RevokeInvitation(ctx context.Context, siteID uint32, id string) error {
	if _, err := uuid.Parse(id); err != nil {
		return fmt.Errorf("invitation %q: %w", id, ErrNotFound)
	}
	s.writes.Lock()
	defer s.writes.Unlock()
	ts, err := s.pending(ctx, "kind = 'invitation' AND site_id = {site:UInt32} AND id = {id:UUID}",
		store.Params{"site": siteID, "id": id})
	if err != nil {
		return err
	}
	if len(ts) == 0 {
		return fmt.Errorf("invitation %s: %w", id, ErrNotFound)
	}
	return s.writeToken(ctx, ts[0], false, true)
}

// InvitationByToken reads a live invitation by its link's token
// (ErrBadToken otherwise), for the page that asks the invitee to accept.
func (s *Service) InvitationByToken(ctx context.Context, secret string) (Invitation, error) {
	t, err := s.liveToken(ctx, secret, kindInvitation)
	if err != nil {
		return Invitation{}, err
	}
	return s.toInvitation(ctx, t)
}

// AcceptInvitation makes the logged-in account userID a member of the
// invitation's site, once: the account's email must be the invited one
// (ErrWrongAccount). Someone who is a member already keeps the higher of
// the two roles.
func (s *Service) AcceptInvitation(ctx context.Context, secret, userID string) (Invitation, error) {
	s.writes.Lock()
	defer s.writes.Unlock()
	t, err := s.liveToken(ctx, secret, kindInvitation)
	if err != nil {
		return Invitation{}, err
	}
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return Invitation{}, err
	}
	if u.Email != t.email {
		return Invitation{}, ErrWrongAccount
	}
	inv, err := s.toInvitation(ctx, t)
	if err != nil {
		return Invitation{}, err
	}
	// Used first: a failure after this loses the invitation, never lets a
	// link serve twice.
	if err := s.writeToken(ctx, t, true, false); err != nil {
		return Invitation{}, err
	}
	current, err := s.RoleOf(ctx, u.ID, t.siteID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Invitation{}, err
	}
	if RoleRank(current) < RoleRank(inv.Role) {
		if _, err := s.addMember(ctx, t.siteID, u.Email, inv.Role); err != nil {
			return Invitation{}, err
		}
	} else {
		inv.Role = current
	}
	return inv, nil
}

// AcceptInvitationNewAccount creates the invited email's account with the
// password the invitee chose, and makes it a member of the site, once. If
// the email has an account by now, it fails with ErrExists: the invitee
// logs in and accepts with AcceptInvitation.
func (s *Service) AcceptInvitationNewAccount(ctx context.Context, secret, password string) (sillage.User, Invitation, error) {
	hash, err := HashPassword(password)
	if err != nil {
		return sillage.User{}, Invitation{}, err
	}
	s.writes.Lock()
	defer s.writes.Unlock()
	t, err := s.liveToken(ctx, secret, kindInvitation)
	if err != nil {
		return sillage.User{}, Invitation{}, err
	}
	inv, err := s.toInvitation(ctx, t)
	if err != nil {
		return sillage.User{}, Invitation{}, err
	}
	if inv.HasAccount {
		return sillage.User{}, Invitation{}, fmt.Errorf("%s has an account: log in to accept: %w", t.email, ErrExists)
	}
	if err := s.writeToken(ctx, t, true, false); err != nil {
		return sillage.User{}, Invitation{}, err
	}
	u, err := s.addUser(ctx, t.email, hash, OriginInvitation)
	if err != nil {
		return sillage.User{}, Invitation{}, err
	}
	if _, err := s.addMember(ctx, t.siteID, u.Email, inv.Role); err != nil {
		return sillage.User{}, Invitation{}, err
	}
	inv.HasAccount = true
	return u, inv, nil
}

// DeclineInvitation refuses an invitation of the logged-in account userID;
// its link stops working.
func (s *Service) DeclineInvitation(ctx context.Context, secret, userID string) error {
	s.writes.Lock()
	defer s.writes.Unlock()
	t, err := s.liveToken(ctx, secret, kindInvitation)
	if err != nil {
		return err
	}
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	if u.Email != t.email {
		return ErrWrongAccount
	}
	return s.writeToken(ctx, t, false, true)
}

// CreatePasswordReset makes a single-use link that sets a new password for
// an account, valid for ResetLifetime; earlier reset links of the account
// stop working. It returns the link's secret token, which only the link
// carries.
func (s *Service) CreatePasswordReset(ctx context.Context, userID string) (string, time.Time, error) {
	s.writes.Lock()
	defer s.writes.Unlock()
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return "", time.Time{}, err
	}
	earlier, err := s.pending(ctx, "kind = 'reset' AND user_id = {user:UUID}", store.Params{"user": u.ID})
	if err != nil {
		return "", time.Time{}, err
	}
	for _, t := range earlier {
		if err := s.writeToken(ctx, t, false, true); err != nil {
			return "", time.Time{}, err
		}
	}
	secret, t, err := s.newToken(kindReset, ResetLifetime)
	if err != nil {
		return "", time.Time{}, err
	}
	t.email, t.userID = u.Email, u.ID
	if err := s.writeToken(ctx, t, false, false); err != nil {
		return "", time.Time{}, err
	}
	return secret, t.expires, nil
}

// PasswordResetByToken returns the account of a live reset link and when
// the link expires (ErrBadToken otherwise).
func (s *Service) PasswordResetByToken(ctx context.Context, secret string) (sillage.User, time.Time, error) {
	t, err := s.liveToken(ctx, secret, kindReset)
	if err != nil {
		return sillage.User{}, time.Time{}, err
	}
	u, err := s.UserByID(ctx, t.userID)
	if errors.Is(err, ErrNotFound) {
		return sillage.User{}, time.Time{}, ErrBadToken
	}
	return u, t.expires, err
}

// ResetPassword sets a new password with a reset link, once, ends every
// session of the account and revokes its API keys: whoever knew the old
// password, or held a session, is out, with any key they made meanwhile.
// (Plausible keeps keys across a reset; but the reset link is how an
// account is taken back, and whoever takes it back cannot tell which keys
// they made themselves.)
func (s *Service) ResetPassword(ctx context.Context, secret, password string) (sillage.User, error) {
	hash, err := HashPassword(password)
	if err != nil {
		return sillage.User{}, err
	}
	s.writes.Lock()
	defer s.writes.Unlock()
	t, err := s.liveToken(ctx, secret, kindReset)
	if err != nil {
		return sillage.User{}, err
	}
	u, err := s.UserByID(ctx, t.userID)
	if errors.Is(err, ErrNotFound) {
		return sillage.User{}, ErrBadToken
	}
	if err != nil {
		return sillage.User{}, err
	}
	if err := s.writeToken(ctx, t, true, false); err != nil {
		return sillage.User{}, err
	}
	if err := s.setPasswordHash(ctx, u, hash); err != nil {
		return sillage.User{}, err
	}
	if err := s.DeleteUserSessions(ctx, u.ID); err != nil {
		return sillage.User{}, err
	}
	if _, err := s.RevokeUserAPIKeys(ctx, u.ID); err != nil {
		return sillage.User{}, err
	}
	return u, nil
}

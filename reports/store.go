package reports

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/store"
)

// ErrBadToken is the one answer to an unknown or expired unsubscribe link.
var ErrBadToken = errors.New("this unsubscribe link is invalid or expired")

// UnsubscribeLifetime is how long the link of a sent report works.
const UnsubscribeLifetime = 365 * 24 * time.Hour

const nilUUID = "00000000-0000-0000-0000-000000000000"

// Subscription is one recipient of one kind of report of a site.
type Subscription struct {
	SiteID uint32
	Kind   Kind
	Email  string // the address mail goes to
	UserID string // the member's account; empty for an address an owner added
	Lang   string // "en" or "fr"
	// SegmentID restricts the report to a saved segment of the site (a
	// shared one, or the member's own); 0 reports the whole site.
	SegmentID uint64
}

// Lang normalises a language to one the reports are written in.
func Lang(l string) string {
	if strings.HasPrefix(strings.ToLower(l), "fr") {
		return "fr"
	}
	return "en"
}

// stamp returns the version (updated_at) of a row written now; versions
// from one Service strictly increase.
func (s *Service) stamp() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.now().UTC().Truncate(time.Microsecond)
	if !t.After(s.lastStamp) {
		t = s.lastStamp.Add(time.Microsecond)
	}
	s.lastStamp = t
	return t
}

// setSubscription writes (or, deleted, ends) a subscription: a member's
// by userID, or an address's by email.
func (s *Service) setSubscription(ctx context.Context, sub Subscription, deleted bool) error {
	if !ValidKind(sub.Kind) {
		return fmt.Errorf("%w: unknown report kind %q", accounts.ErrInvalid, sub.Kind)
	}
	user, email := sub.UserID, sub.Email
	if user == "" {
		user = nilUUID
		e, err := accounts.NormalizeEmail(email)
		if err != nil {
			return err
		}
		email = e
	} else {
		email = "" // a member's address is the account's, read at send time
	}
	now := s.stamp()
	err := s.Engine.Exec(ctx, `INSERT INTO report_subscriptions (site_id, kind, email, user_id, lang, created_at, updated_at, deleted)
		VALUES ({site:UInt32}, {kind:String}, {email:String}, {user:UUID}, {lang:String}, {now:DateTime64(3, 'UTC')}, {now:DateTime64(6, 'UTC')}, {del:UInt8})`,
		store.Params{"site": sub.SiteID, "kind": string(sub.Kind), "email": email, "user": user, "lang": Lang(sub.Lang), "now": now, "del": deleted})
	if err != nil {
		return fmt.Errorf("write %s report subscription of site %d: %w", sub.Kind, sub.SiteID, err)
	}
	seg := sub.SegmentID
	if deleted {
		seg = 0
	}
	err = s.Engine.Exec(ctx, `INSERT INTO report_segments (site_id, kind, email, user_id, segment_id, updated_at)
		VALUES ({site:UInt32}, {kind:String}, {email:String}, {user:UUID}, {seg:UInt64}, {now:DateTime64(6, 'UTC')})`,
		store.Params{"site": sub.SiteID, "kind": string(sub.Kind), "email": email, "user": user, "seg": seg, "now": now})
	if err != nil {
		return fmt.Errorf("write the segment of the %s report subscription of site %d: %w", sub.Kind, sub.SiteID, err)
	}
	return nil
}

// SegmentUses lists a site's live subscriptions whose reports are
// restricted to a segment.
func (s *Service) SegmentUses(ctx context.Context, siteID uint32, segmentID uint64) ([]Subscription, error) {
	subs, err := s.Subscriptions(ctx, siteID)
	if err != nil {
		return nil, err
	}
	var out []Subscription
	for _, sub := range subs {
		if sub.SegmentID == segmentID {
			out = append(out, sub)
		}
	}
	return out, nil
}

// Subscribe adds a subscription, or changes its language.
func (s *Service) Subscribe(ctx context.Context, sub Subscription) error {
	return s.setSubscription(ctx, sub, false)
}

// Unsubscribe removes a subscription; removing one that does not exist is
// not an error.
func (s *Service) Unsubscribe(ctx context.Context, sub Subscription) error {
	return s.setSubscription(ctx, sub, true)
}

// Subscriptions lists a site's live subscriptions (siteID 0: every site's),
// members' with their current address. A member's subscription lapses
// with the membership.
func (s *Service) Subscriptions(ctx context.Context, siteID uint32) ([]Subscription, error) {
	rows, err := s.Engine.Query(ctx, `SELECT r.site_id, r.kind, if(r.user_id = toUUID({nil:String}), r.email, u.email), 
			if(r.user_id = toUUID({nil:String}), '', toString(r.user_id)), r.lang, ifNull(g.segment_id, 0)
		FROM report_subscriptions AS r FINAL
		LEFT JOIN (SELECT site_id, kind, email, user_id, segment_id FROM report_segments FINAL) AS g
			ON g.site_id = r.site_id AND g.kind = r.kind AND g.email = r.email AND g.user_id = r.user_id
		LEFT JOIN (SELECT id, email FROM users FINAL WHERE deleted = 0) AS u ON u.id = r.user_id
		LEFT JOIN (SELECT site_id, user_id, 1 AS live FROM memberships FINAL WHERE deleted = 0) AS m
			ON m.user_id = r.user_id AND m.site_id = r.site_id
		WHERE r.deleted = 0 AND ({site:UInt32} = 0 OR r.site_id = {site:UInt32})
			AND (r.user_id = toUUID({nil:String}) OR (m.live = 1 AND u.email != ''))
		ORDER BY r.site_id, r.kind, 3`, store.Params{"site": siteID, "nil": nilUUID})
	if err != nil {
		return nil, fmt.Errorf("list report subscriptions: %w", err)
	}
	defer rows.Close()
	var out []Subscription
	for rows.Next() {
		var sub Subscription
		var kind string
		if err := rows.Scan(&sub.SiteID, &kind, &sub.Email, &sub.UserID, &sub.Lang, &sub.SegmentID); err != nil {
			return nil, fmt.Errorf("list report subscriptions: %w", err)
		}
		sub.Kind = Kind(kind)
		out = append(out, sub)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list report subscriptions: %w", err)
	}
	return out, nil
}

// UnsubscribeToken draws the token of a sent report's unsubscribe link and
// stores its hash.
func (s *Service) UnsubscribeToken(ctx context.Context, sub Subscription) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random token: %w", err)
	}
	tok := base64.RawURLEncoding.EncodeToString(b)
	user, email := sub.UserID, ""
	if user == "" {
		user, email = nilUUID, sub.Email
	}
	err := s.Engine.Exec(ctx, `INSERT INTO report_unsubscribe_tokens (token_hash, site_id, kind, user_id, email, expires_at, updated_at)
		VALUES ({h:String}, {site:UInt32}, {kind:String}, {user:UUID}, {email:String}, {exp:DateTime('UTC')}, {now:DateTime64(6, 'UTC')})`,
		store.Params{"h": tokenHash(tok), "site": sub.SiteID, "kind": string(sub.Kind), "user": user, "email": email,
			"exp": s.now().Add(UnsubscribeLifetime).UTC().Truncate(time.Second), "now": s.stamp()})
	if err != nil {
		return "", fmt.Errorf("store unsubscribe token: %w", err)
	}
	return tok, nil
}

func tokenHash(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// Unsubscription is what an unsubscribe link ends.
type Unsubscription struct {
	Domain string `json:"domain"`
	Kind   Kind   `json:"kind"`
	// Email is the address, partly hidden: the link may be forwarded.
	Email string `json:"email"`
	sub   Subscription
}

// LookupUnsubscribe finds what an unsubscribe link ends, without ending it.
func (s *Service) LookupUnsubscribe(ctx context.Context, tok string) (Unsubscription, error) {
	if tok == "" || len(tok) > 100 {
		return Unsubscription{}, ErrBadToken
	}
	rows, err := s.Engine.Query(ctx, `SELECT site_id, kind, if(user_id = toUUID({nil:String}), '', toString(user_id)), email
		FROM report_unsubscribe_tokens FINAL WHERE token_hash = {h:String} AND expires_at > {now:DateTime('UTC')}`,
		store.Params{"h": tokenHash(tok), "nil": nilUUID, "now": s.now().UTC().Truncate(time.Second)})
	if err != nil {
		return Unsubscription{}, fmt.Errorf("find unsubscribe token: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return Unsubscription{}, fmt.Errorf("find unsubscribe token: %w", err)
		}
		return Unsubscription{}, ErrBadToken
	}
	var u Unsubscription
	var kind string
	if err := rows.Scan(&u.sub.SiteID, &kind, &u.sub.UserID, &u.sub.Email); err != nil {
		return Unsubscription{}, fmt.Errorf("find unsubscribe token: %w", err)
	}
	u.sub.Kind, u.Kind = Kind(kind), Kind(kind)
	site, err := s.Accounts.SiteByID(ctx, u.sub.SiteID)
	if err != nil {
		return Unsubscription{}, fmt.Errorf("find unsubscribe token: %w", err)
	}
	u.Domain = site.Domain
	addr := u.sub.Email
	if u.sub.UserID != "" {
		if user, err := s.Accounts.UserByID(ctx, u.sub.UserID); err == nil {
			addr = user.Email
		}
	}
	u.Email = MaskEmail(addr)
	return u, nil
}

// UnsubscribeByToken ends the subscription an unsubscribe link names. The
// link keeps working until it expires: a second click, or a mail client's
// one-click POST after the user's, ends nothing more and is not an error.
func (s *Service) UnsubscribeByToken(ctx context.Context, tok string) (Unsubscription, error) {
	u, err := s.LookupUnsubscribe(ctx, tok)
	if err != nil {
		return Unsubscription{}, err
	}
	return u, s.Unsubscribe(ctx, u.sub)
}

// MaskEmail keeps the first letter of the local part and the domain.
func MaskEmail(e string) string {
	local, domain, ok := strings.Cut(e, "@")
	if !ok || local == "" {
		return ""
	}
	return local[:1] + "…@" + domain
}

// Delivery is the last send of one subscription's report.
type Delivery struct {
	Kind   Kind      `json:"kind"`
	Email  string    `json:"email"`
	Period string    `json:"period"` // the first day of the period reported
	At     time.Time `json:"at"`
	Error  string    `json:"error,omitempty"`
}

func (s *Service) recordDelivery(ctx context.Context, key string, sub Subscription, p Period, sendErr error) error {
	msg := ""
	if sendErr != nil {
		msg = sendErr.Error()
	}
	err := s.Engine.Exec(ctx, `INSERT INTO report_deliveries (send_key, site_id, kind, email, period, error, updated_at)
		VALUES ({key:String}, {site:UInt32}, {kind:String}, {email:String}, {period:Date}, {err:String}, {now:DateTime64(6, 'UTC')})`,
		store.Params{"key": key, "site": sub.SiteID, "kind": string(sub.Kind), "email": sub.Email, "period": p.From.String(),
			"err": msg, "now": s.stamp()})
	if err != nil {
		return fmt.Errorf("record delivery %s: %w", key, err)
	}
	return nil
}

// delivered returns which of keys were sent without error.
func (s *Service) delivered(ctx context.Context, keys []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(keys) == 0 {
		return out, nil
	}
	rows, err := s.Engine.Query(ctx, `SELECT send_key FROM report_deliveries FINAL WHERE send_key IN {keys:Array(String)} AND error = ''`,
		store.Params{"keys": keys})
	if err != nil {
		return nil, fmt.Errorf("read deliveries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("read deliveries: %w", err)
		}
		out[k] = true
	}
	return out, rows.Err()
}

// Deliveries returns the last send of each of a site's recipients and
// kinds, newest first.
func (s *Service) Deliveries(ctx context.Context, siteID uint32) ([]Delivery, error) {
	rows, err := s.Engine.Query(ctx, `SELECT kind, email, toString(argMax(period, updated_at)), max(updated_at), argMax(error, updated_at)
		FROM report_deliveries FINAL WHERE site_id = {site:UInt32}
		GROUP BY kind, email ORDER BY max(updated_at) DESC LIMIT 100`, store.Params{"site": siteID})
	if err != nil {
		return nil, fmt.Errorf("read deliveries of site %d: %w", siteID, err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var d Delivery
		var kind string
		if err := rows.Scan(&kind, &d.Email, &d.Period, &d.At, &d.Error); err != nil {
			return nil, fmt.Errorf("read deliveries of site %d: %w", siteID, err)
		}
		d.Kind = Kind(kind)
		out = append(out, d)
	}
	return out, rows.Err()
}

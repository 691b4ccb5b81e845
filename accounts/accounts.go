// Package accounts keeps sites, users and memberships in the store.
package accounts

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/internal/idn"
	"github.com/sillage-analytics/sillage/store"
)

// Service reads and writes account data.
type Service struct {
	Engine store.Engine
	Now    func() time.Time
	// Cluster names the ClickHouse cluster of a sharded deployment (as in
	// migrations.Target); mutations of events and sessions then go to the
	// local tables ON CLUSTER. Empty on one node.
	Cluster string
	// SitesChanged, when set, is called after a site is added, changed or
	// deleted: a collector in this process then counts a new site's first
	// event at once. Set it before the Service is used.
	SitesChanged func()

	mu        sync.Mutex
	lastStamp time.Time

	// writes serialises this process's changes that check before they
	// write: a domain, an email, a goal or funnel name stays unique, a site
	// keeps an owner, an update cannot bring back a deleted site. The
	// tables have no unique keys or transactions; one query service per
	// database gets this guarantee (see deploy/README.md).
	writes sync.Mutex
}

// New returns a Service on an engine with the real clock.
func New(e store.Engine) *Service { return &Service{Engine: e, Now: time.Now} }

var (
	ErrExists   = errors.New("already exists")
	ErrNotFound = errors.New("not found")
	// ErrInvalid marks input that breaks a rule; the error's own message
	// says which, ready to show to the user.
	ErrInvalid = errors.New("invalid input")
)

type invalidError struct{ msg string }

func (e *invalidError) Error() string        { return e.msg }
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

func invalidf(format string, args ...any) error {
	return &invalidError{fmt.Sprintf(format, args...)}
}

// invalid marks err as ErrInvalid and keeps its message.
func invalid(err error) error { return &invalidError{err.Error()} }

// validateSite checks a site's settings, its time zone against the
// engine's own list too: Go knows names the engine cannot load (right/UTC,
// localtime), and a site with one would fail every query by day.
func (s *Service) validateSite(ctx context.Context, domain, timezone string) error {
	if err := sillage.ValidateSite(domain, timezone); err != nil {
		return invalid(err)
	}
	var known uint64
	if err := store.QueryRow(ctx, s.Engine, "SELECT count() FROM system.time_zones WHERE time_zone = {tz:String}",
		store.Params{"tz": timezone}, &known); err != nil {
		return fmt.Errorf("check time zone %s: %w", timezone, err)
	}
	if known == 0 {
		return invalidf("invalid time zone %q: the engine does not know it", timezone)
	}
	return nil
}

// AddSite registers a domain with its time zone, keeping its events
// DefaultRetentionDays (25 months).
func (s *Service) AddSite(ctx context.Context, domain, timezone string) (sillage.Site, error) {
	s.writes.Lock()
	defer s.writes.Unlock()
	domain = sillage.NormalizeDomain(domain)
	if timezone == "" {
		timezone = "Etc/UTC"
	}
	if err := s.validateSite(ctx, domain, timezone); err != nil {
		return sillage.Site{}, err
	}
	if err := s.refuseTaken(ctx, domain); err != nil {
		return sillage.Site{}, err
	}
	id, err := s.newSiteID(ctx)
	if err != nil {
		return sillage.Site{}, err
	}
	now := s.stamp()
	site := sillage.Site{ID: id, Domain: domain, Timezone: timezone, RetentionDays: DefaultRetentionDays, CreatedAt: now.Truncate(time.Millisecond)}
	err = s.Engine.Exec(ctx, `INSERT INTO sites (id, domain, timezone, retention_days, created_at, updated_at, deleted)
		VALUES ({id:UInt32}, {domain:String}, {tz:String}, {ret:UInt16}, {created:DateTime64(3, 'UTC')}, {now:DateTime64(6, 'UTC')}, 0)`,
		store.Params{"id": id, "domain": domain, "tz": timezone, "ret": site.RetentionDays, "created": site.CreatedAt, "now": now})
	if err != nil {
		return sillage.Site{}, fmt.Errorf("add site %s: %w", domain, err)
	}
	s.sitesChanged()
	return site, nil
}

// refuseTaken fails with ErrExists when a site holds the normalised
// domain or its twin: an internationalised domain is one site however it
// is spelt (a browser reports bücher.de as xn--bcher-kva.de), and whoever
// held the other spelling would receive the site's visitors. Stored
// domains are compared normalised, so a spelling an earlier release kept
// as typed counts too; sites are few, and added rarely.
func (s *Service) refuseTaken(ctx context.Context, domain string) error {
	sites, err := s.Sites(ctx)
	if err != nil {
		return err
	}
	twin := idn.Twin(domain)
	for _, site := range sites {
		if d := sillage.NormalizeDomain(site.Domain); d == domain || twin != "" && d == twin {
			return fmt.Errorf("site %s: %w", site.Domain, ErrExists)
		}
	}
	return nil
}

func (s *Service) sitesChanged() {
	if s.SitesChanged != nil {
		s.SitesChanged()
	}
}

// stamp returns the version (updated_at) of a row written now. Versions
// from one Service strictly increase, so two writes of one row in the same
// microsecond (or under a stopped test clock) still order as written.
func (s *Service) stamp() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.Now().UTC().Truncate(time.Microsecond)
	if !t.After(s.lastStamp) {
		t = s.lastStamp.Add(time.Microsecond)
	}
	s.lastStamp = t
	return t
}

// newSiteID draws a random 31-bit id that no site uses; ids need no
// coordination between processes this way.
func (s *Service) newSiteID(ctx context.Context) (uint32, error) {
	for range 8 {
		var b [4]byte
		if _, err := rand.Read(b[:]); err != nil {
			return 0, fmt.Errorf("read random site id: %w", err)
		}
		id := binary.LittleEndian.Uint32(b[:])&0x7fffffff | 1
		var n uint64
		if err := store.QueryRow(ctx, s.Engine, "SELECT count() FROM sites WHERE id = {id:UInt32}", store.Params{"id": id}, &n); err != nil {
			return 0, fmt.Errorf("check site id: %w", err)
		}
		if n == 0 {
			return id, nil
		}
	}
	return 0, errors.New("could not draw a free site id")
}

const siteColumns = "id, domain, timezone, retention_days, created_at"

func scanSites(rows store.Rows) ([]sillage.Site, error) {
	defer rows.Close()
	var out []sillage.Site
	for rows.Next() {
		var st sillage.Site
		if err := rows.Scan(&st.ID, &st.Domain, &st.Timezone, &st.RetentionDays, &st.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// Sites lists every site, by domain.
func (s *Service) Sites(ctx context.Context) ([]sillage.Site, error) {
	rows, err := s.Engine.Query(ctx, "SELECT "+siteColumns+" FROM sites FINAL WHERE deleted = 0 ORDER BY domain, created_at, id", nil)
	if err != nil {
		return nil, fmt.Errorf("list sites: %w", err)
	}
	sites, err := scanSites(rows)
	if err != nil {
		return nil, fmt.Errorf("list sites: %w", err)
	}
	return sites, nil
}

// SiteByDomain finds a site by its domain: the oldest, should two query
// services have added it at once (the collector keeps the same one).
//
// A site stored before domains took IDNA's Unicode form (an accent typed
// as a mark of its own) is found by its stored spelling too, after a site
// of the normalised form.
func (s *Service) SiteByDomain(ctx context.Context, domain string) (sillage.Site, error) {
	rows, err := s.Engine.Query(ctx, "SELECT "+siteColumns+" FROM sites FINAL WHERE deleted = 0 AND domain IN ({d:String}, {asStored:String}) "+
		"ORDER BY domain != {d:String}, created_at, id LIMIT 1",
		store.Params{"d": sillage.NormalizeDomain(domain), "asStored": strings.ToLower(strings.TrimSpace(domain))})
	if err != nil {
		return sillage.Site{}, fmt.Errorf("find site %s: %w", domain, err)
	}
	sites, err := scanSites(rows)
	if err != nil {
		return sillage.Site{}, fmt.Errorf("find site %s: %w", domain, err)
	}
	if len(sites) == 0 {
		return sillage.Site{}, fmt.Errorf("site %s: %w", domain, ErrNotFound)
	}
	return sites[0], nil
}

// AddUser creates an account with an argon2id password hash. The
// instance's first account becomes its operator.
func (s *Service) AddUser(ctx context.Context, email, password string) (sillage.User, error) {
	email, err := normalizeEmail(email)
	if err != nil {
		return sillage.User{}, err
	}
	// Hashing takes a while: done before the lock, not under it.
	hash, err := HashPassword(password)
	if err != nil {
		return sillage.User{}, err
	}
	s.writes.Lock()
	defer s.writes.Unlock()
	return s.addUser(ctx, email, hash, OriginDirect)
}

// NormalizeEmail checks an address and lowercases it (ErrInvalid).
func NormalizeEmail(email string) (string, error) { return normalizeEmail(email) }

// normalizeEmail checks an address and lowercases it.
func normalizeEmail(email string) (string, error) {
	addr, err := mail.ParseAddress(strings.TrimSpace(email))
	if err != nil || addr.Name != "" {
		return "", invalidf("invalid email %q", email)
	}
	return strings.ToLower(addr.Address), nil
}

// addUser creates an account with a password hash already made, under
// s.writes, and records its origin (OriginDirect or OriginInvitation). The
// first account of the instance becomes its operator, of origin
// OriginFirst.
func (s *Service) addUser(ctx context.Context, email, hash, origin string) (sillage.User, error) {
	if _, err := s.UserByEmail(ctx, email); err == nil {
		return sillage.User{}, fmt.Errorf("user %s: %w", email, ErrExists)
	} else if !errors.Is(err, ErrNotFound) {
		return sillage.User{}, err
	}
	first, err := s.HasUsers(ctx)
	if err != nil {
		return sillage.User{}, err
	}
	first = !first
	now := s.stamp()
	u := sillage.User{ID: uuid.NewString(), Email: email, CreatedAt: now.Truncate(time.Millisecond)}
	err = s.Engine.Exec(ctx, `INSERT INTO users (id, email, password_hash, created_at, updated_at, deleted)
		VALUES ({id:UUID}, {email:String}, {hash:String}, {created:DateTime64(3, 'UTC')}, {now:DateTime64(6, 'UTC')}, 0)`,
		store.Params{"id": u.ID, "email": email, "hash": hash, "created": u.CreatedAt, "now": now})
	if err != nil {
		return sillage.User{}, fmt.Errorf("add user %s: %w", email, err)
	}
	if first {
		origin = OriginFirst
	}
	// Before the operator row: an account whose origin failed to record
	// is only treated as unknown (given sites through invitations).
	if err := s.setOrigin(ctx, u.ID, origin); err != nil {
		return u, err
	}
	if first {
		if err := s.setOperator(ctx, u.ID, true); err != nil {
			return u, fmt.Errorf("make the first account operator: %w", err)
		}
	}
	return u, nil
}

// UserByEmail finds an account by email.
func (s *Service) UserByEmail(ctx context.Context, email string) (sillage.User, error) {
	u, _, err := s.userWithHash(ctx, email)
	return u, err
}

func (s *Service) userWithHash(ctx context.Context, email string) (sillage.User, string, error) {
	return s.findUser(ctx, "email = {key:String}", strings.ToLower(strings.TrimSpace(email)), email)
}

// findUser reads the live account matching where (a condition written in
// this package, on {key:String}) and its password hash; who names it in
// errors.
func (s *Service) findUser(ctx context.Context, where, key, who string) (sillage.User, string, error) {
	var u sillage.User
	var hash string
	err := store.QueryRow(ctx, s.Engine, `SELECT toString(id), email, password_hash, created_at FROM users FINAL
		WHERE deleted = 0 AND `+where, store.Params{"key": key}, &u.ID, &u.Email, &hash, &u.CreatedAt)
	if errors.Is(err, store.ErrNoRows) {
		return u, "", fmt.Errorf("user %s: %w", who, ErrNotFound)
	}
	if err != nil {
		return u, "", fmt.Errorf("find user %s: %w", who, err)
	}
	return u, hash, nil
}

// ErrBadCredentials is the one answer to a wrong email or a wrong password.
var ErrBadCredentials = errors.New("wrong email or password")

// Authenticate checks an email and password.
func (s *Service) Authenticate(ctx context.Context, email, password string) (sillage.User, error) {
	u, hash, err := s.userWithHash(ctx, email)
	if errors.Is(err, ErrNotFound) {
		// Same cost as a real check, so timing does not reveal accounts.
		CheckPassword(dummyHash(), password)
		return sillage.User{}, ErrBadCredentials
	}
	if err != nil {
		return sillage.User{}, err
	}
	if !CheckPassword(hash, password) {
		return sillage.User{}, ErrBadCredentials
	}
	return u, nil
}

// dummyHash is made on first use, at the cost in force then (a test's
// TestMain may have lowered it), so it costs what real hashes cost.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("not a real password")
	return h
})

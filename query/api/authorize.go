package api

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/accounts"
)

// Via says how a request was authenticated.
type Via int

const (
	ViaSession    Via = iota + 1 // dashboard login cookie
	ViaAPIKey                    // Authorization: Bearer
	ViaSharedLink                // shared link slug
)

func (v Via) String() string {
	switch v {
	case ViaSession:
		return "session"
	case ViaAPIKey:
		return "api key"
	case ViaSharedLink:
		return "shared link"
	}
	return "none"
}

// Access is what Authorize granted on one site.
type Access struct {
	Via          Via
	UserID       string       // the logged-in user or the key's owner; empty for a shared link
	Role         sillage.Role // the user's role on the site; viewer for a shared link
	APIKeyID     string
	SharedLinkID string
}

// CanManage reports whether the access may change the site's settings.
func (x Access) CanManage() bool {
	return x.Via != ViaSharedLink && accounts.RoleRank(x.Role) >= accounts.RoleRank(sillage.RoleAdmin)
}

const (
	// SharedLinkHeader names a shared link's slug.
	SharedLinkHeader = "X-Shared-Link"
	// ShareCookiePrefix starts the cookie, one per link, that proves its
	// password was given.
	ShareCookiePrefix = "sillage_share_"
	// ShareCookieLifetime is how long a shared link's password is
	// remembered.
	ShareCookieLifetime = 24 * time.Hour
	maxShareCookies     = 16
)

// bearerToken returns the token of an Authorization header; present is
// true for any Authorization header, so a malformed one is refused rather
// than ignored in favour of a cookie.
func bearerToken(r *http.Request) (token string, present bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", false
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", true
	}
	return strings.TrimSpace(token), true
}

// Authorize decides whether a request may read a site's stats. It accepts,
// in this order:
//   - Authorization: Bearer <API key>: the key must be scoped to the site
//     and its owner still a member of it; nothing else is looked at;
//   - the dashboard session cookie of a member of the site, any role;
//   - a shared link of this site, by X-Shared-Link header or by its
//     cookie; a link with a password needs the cookie that
//     POST /api/share/{slug}/auth sets.
//
// Errors wrap ErrUnauthenticated (no or bad credentials: 401), ErrNotFound
// (no such site, or one these credentials do not open, alike: 404) or
// ErrForbidden (a key whose owner left the site: 403); anything else is
// an engine failure (500). Use Status or WriteError to answer. Credentials are checked before the site, so an
// anonymous request cannot probe which domains exist. Reads change
// nothing, so no CSRF token is asked; a handler that changes state must
// not rely on Authorize alone.
func (a *API) Authorize(r *http.Request, domain string) (sillage.Site, Access, error) {
	ctx := r.Context()
	if tok, ok := bearerToken(r); ok {
		return a.authorizeKey(r, tok, domain)
	}
	var sess *session
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		u, err := a.sessionUser(r, c.Value)
		switch {
		case err == nil:
			sess = &session{user: u, token: c.Value}
		case !errors.Is(err, accounts.ErrNotFound):
			return sillage.Site{}, Access{}, err
		}
	}
	links, linkErr := a.presentedLinks(r)
	if linkErr != nil && !errors.Is(linkErr, ErrUnauthenticated) {
		return sillage.Site{}, Access{}, linkErr
	}
	if sess == nil && len(links) == 0 {
		if linkErr != nil {
			return sillage.Site{}, Access{}, linkErr
		}
		return sillage.Site{}, Access{}, unauthenticated("log in, or use an API key or a shared link")
	}
	site, err := a.site(ctx, domain)
	if err != nil {
		return sillage.Site{}, Access{}, err
	}
	if sess != nil {
		role, err := a.acc.RoleOf(ctx, sess.user.ID, site.ID)
		if err == nil {
			return site, Access{Via: ViaSession, UserID: sess.user.ID, Role: role}, nil
		}
		if !errors.Is(err, accounts.ErrNotFound) {
			return sillage.Site{}, Access{}, err
		}
	}
	for _, l := range links {
		if l.SiteID == site.ID {
			return site, Access{Via: ViaSharedLink, Role: sillage.RoleViewer, SharedLinkID: l.ID}, nil
		}
	}
	if sess == nil && linkErr != nil {
		return sillage.Site{}, Access{}, linkErr
	}
	return sillage.Site{}, Access{}, noSite(site.Domain)
}

func (a *API) authorizeKey(r *http.Request, token, domain string) (sillage.Site, Access, error) {
	ctx := r.Context()
	k, err := a.key(r, token)
	if err != nil {
		return sillage.Site{}, Access{}, err
	}
	if a.mustTOTP {
		// A key acts for its owner, who is held to the instance's rule
		// like their sessions are, keys made before the rule included.
		st, err := a.acc.TOTPStatus(ctx, k.UserID)
		if err != nil {
			return sillage.Site{}, Access{}, err
		}
		if !st.Enabled {
			return sillage.Site{}, Access{}, forbidden("this instance requires two-factor authentication: the owner of this API key must set it up before the key works again")
		}
	}
	site, err := a.site(ctx, domain)
	if err != nil {
		return sillage.Site{}, Access{}, err
	}
	if !slices.Contains(k.SiteIDs, site.ID) {
		return sillage.Site{}, Access{}, noSite(site.Domain)
	}
	// A key acts for its owner: someone removed from a site loses it
	// through their keys too.
	role, err := a.acc.RoleOf(ctx, k.UserID, site.ID)
	if errors.Is(err, accounts.ErrNotFound) {
		return sillage.Site{}, Access{}, forbidden("the owner of this API key is no longer a member of " + site.Domain)
	}
	if err != nil {
		return sillage.Site{}, Access{}, err
	}
	return site, Access{Via: ViaAPIKey, UserID: k.UserID, Role: role, APIKeyID: k.ID}, nil
}

// site finds a site by the domain of a URL.
func (a *API) site(ctx context.Context, domain string) (sillage.Site, error) {
	s, err := a.acc.SiteByDomain(ctx, domain)
	if errors.Is(err, accounts.ErrNotFound) {
		return s, noSite(sillage.NormalizeDomain(domain))
	}
	return s, err
}

// noSite answers a site the caller may not see as one nobody added: on an
// instance of many tenants, an account, key or link of one site must not
// learn which other domains are there.
func noSite(domain string) error { return notFound("no site " + domain) }

// presentedLinks returns the usable shared links of a request: the one its
// X-Shared-Link header names, and those its share cookies prove. An
// unknown slug in the header, or one whose password was not given, is a
// 401.
func (a *API) presentedLinks(r *http.Request) ([]accounts.SharedLink, error) {
	ctx := r.Context()
	var links []accounts.SharedLink
	var headerErr error
	if slug := r.Header.Get(SharedLinkHeader); slug != "" {
		var l accounts.SharedLink
		err := a.lookup(r, "link\x00"+slug, func() error {
			var err error
			l, err = a.acc.SharedLinkBySlug(ctx, slug)
			return err
		}, isNotFound)
		switch {
		case errors.Is(err, accounts.ErrNotFound):
			headerErr = unauthenticated("unknown shared link")
		case err != nil:
			return nil, err
		case l.HasPassword() && !a.shareCookieValid(r, slug):
			headerErr = unauthenticated("this shared link needs its password")
		default:
			links = append(links, l)
		}
	}
	n := 0
	for _, c := range r.Cookies() {
		slug, ok := strings.CutPrefix(c.Name, ShareCookiePrefix)
		if !ok || slug == r.Header.Get(SharedLinkHeader) {
			continue
		}
		if n++; n > maxShareCookies {
			break
		}
		if !a.shareCookieValid(r, slug) {
			continue
		}
		l, err := a.acc.SharedLinkBySlug(ctx, slug)
		if errors.Is(err, accounts.ErrNotFound) {
			continue // deleted since
		}
		if err != nil {
			return nil, err
		}
		links = append(links, l)
	}
	return links, headerErr
}

// shareCookie signs a link's slug and an expiry: proof, for a while, that
// this browser gave the link's password.
func (a *API) shareCookie(slug string, expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	return exp + "." + a.shareMAC(slug, exp)
}

func (a *API) shareMAC(slug, exp string) string {
	m := hmac.New(sha256.New, a.shareKey)
	fmt.Fprintf(m, "%s\n%s", slug, exp)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (a *API) shareCookieValid(r *http.Request, slug string) bool {
	c, err := r.Cookie(ShareCookiePrefix + slug)
	if err != nil {
		return false
	}
	exp, mac, ok := strings.Cut(c.Value, ".")
	if !ok {
		return false
	}
	unix, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || !time.Unix(unix, 0).After(a.now()) {
		return false
	}
	return hmac.Equal([]byte(mac), []byte(a.shareMAC(slug, exp)))
}

// manage authorizes a change to a site's settings: a member with at least
// role min, by session (with its CSRF token) or, where keys is true, by an
// API key of such a member. Shared links never change anything.
func (a *API) manage(r *http.Request, min sillage.Role, keys bool) (sillage.Site, Access, error) {
	ctx := r.Context()
	domain := r.PathValue("domain")
	var site sillage.Site
	var acc Access
	if tok, ok := bearerToken(r); ok && keys {
		var err error
		if site, acc, err = a.authorizeKey(r, tok, domain); err != nil {
			return sillage.Site{}, Access{}, err
		}
	} else {
		s, err := a.requireSession(r)
		if err != nil {
			return sillage.Site{}, Access{}, err
		}
		if site, err = a.site(ctx, domain); err != nil {
			return sillage.Site{}, Access{}, err
		}
		role, err := a.acc.RoleOf(ctx, s.user.ID, site.ID)
		if errors.Is(err, accounts.ErrNotFound) {
			return sillage.Site{}, Access{}, noSite(site.Domain)
		}
		if err != nil {
			return sillage.Site{}, Access{}, err
		}
		acc = Access{Via: ViaSession, UserID: s.user.ID, Role: role}
	}
	if accounts.RoleRank(acc.Role) < accounts.RoleRank(min) {
		return sillage.Site{}, Access{}, forbidden(fmt.Sprintf("this needs the %s role on %s; you are %s", min, site.Domain, acc.Role))
	}
	return site, acc, nil
}

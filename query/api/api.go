// Package api serves the JSON API of the dashboard under /api/: first-run
// setup, login sessions, sites and their members, goals, funnels, shared
// links and API keys. It also decides who may read a site's stats
// (Authorize), for the stats endpoints that live elsewhere.
//
// Who is who: a dashboard user carries the sillage_session cookie (and, on
// every state-changing request, the X-CSRF-Token header); a program carries
// "Authorization: Bearer sk_live_…"; a visitor of a shared dashboard carries
// the link's slug (X-Shared-Link header or its sillage_share_<slug> cookie).
package api

import (
	"context"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/clientip"
	"github.com/sillage-analytics/sillage/store"
)

// Options configure the API.
type Options struct {
	Accounts *accounts.Service
	Engine   store.Engine
	// Secret keys the CSRF tokens and shared-link cookies. Keep it stable
	// across restarts and equal on every query process; when empty, a random
	// one is drawn, and open dashboards must fetch a new CSRF token after a
	// restart.
	Secret []byte
	// SecureCookies marks cookies Secure on every response; without it they
	// are Secure on HTTPS requests and on those a trusted proxy forwarded
	// from HTTPS.
	SecureCookies bool
	// TrustedProxies may set X-Forwarded-For and X-Forwarded-Proto; from
	// anyone else those headers are ignored.
	TrustedProxies []netip.Prefix
	Now            func() time.Time
	Logger         *slog.Logger

	// RequireTOTP makes two-factor authentication mandatory: a session of
	// an account without it may only enrol (or log out).
	RequireTOTP bool
}

// API is the dashboard's JSON API.
type API struct {
	acc     *accounts.Service
	engine  store.Engine
	secure  bool
	proxies []netip.Prefix
	now     func() time.Time
	log     *slog.Logger

	csrfKey  []byte
	shareKey []byte

	pendingKey []byte // signs the tokens of logins that await a second factor
	mustTOTP   bool

	logins *throttle     // failed guesses per client network (and password changes per account)
	slow   *slowdown     // failed guesses per account and shared link
	setup  sync.Mutex    // one first-run setup at a time
	hashes chan struct{} // bounds concurrent argon2id checks (19 MiB each)
	cop    *http.CrossOriginProtection
	mux    *http.ServeMux
}

// New builds the API.
func New(o Options) *API {
	a := &API{
		acc: o.Accounts, engine: o.Engine, secure: o.SecureCookies, proxies: o.TrustedProxies,
		now: o.Now, log: o.Logger, mustTOTP: o.RequireTOTP,
		hashes: make(chan struct{}, 4),
		cop:    http.NewCrossOriginProtection(),
		mux:    http.NewServeMux(),
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.engine == nil && a.acc != nil {
		a.engine = a.acc.Engine
	}
	secret := o.Secret
	if len(secret) == 0 {
		secret = make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			panic("crypto/rand: " + err.Error())
		}
		a.log.Warn("no API secret configured: CSRF tokens and shared-link cookies last until the next restart")
	} else if len(secret) < 32 {
		a.log.Warn("the API secret is shorter than 32 bytes")
	}
	// One secret, separate keys per purpose: a CSRF token can never pass
	// for a shared-link cookie signature.
	a.csrfKey = deriveKey(secret, "sillage api csrf token")
	a.shareKey = deriveKey(secret, "sillage api shared link cookie")
	a.pendingKey = deriveKey(secret, "sillage api pending login")
	a.logins = newThrottle(a.now, throttleLimit, throttleWindow)
	a.slow = newSlowdown(a.now, slowdownFree, slowdownBase, slowdownMax, throttleWindow)
	a.routes()
	return a
}

func deriveKey(secret []byte, purpose string) []byte {
	k, err := hkdf.Key(sha256.New, secret, nil, purpose, 32)
	if err != nil {
		panic("hkdf: " + err.Error()) // only for absurd key lengths
	}
	return k
}

// Handler serves the routes; mount it for /api/ (the stats query and event
// endpoints are served by others).
func (a *API) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		// Browsers say where a request comes from (Sec-Fetch-Site, Origin):
		// a state-changing request from another site is refused before any
		// handler runs. A Bearer request carries no ambient credential, so
		// where it comes from does not matter.
		if _, ok := bearerToken(r); !ok {
			if err := a.cop.Check(r); err != nil {
				WriteError(w, a.log, r, forbidden("cross-origin request refused"))
				return
			}
		}
		a.mux.ServeHTTP(w, r)
	})
}

// handlerFunc is a route that returns its error instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (a *API) handle(pattern string, h handlerFunc) {
	a.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			WriteError(w, a.log, r, err)
		}
	})
}

func (a *API) routes() {
	a.handle("GET /api/auth/setup", a.getSetup)
	a.handle("POST /api/auth/setup", a.postSetup)
	a.handle("POST /api/auth/login", a.login)
	a.handle("POST /api/auth/logout", a.logout)
	a.handle("GET /api/auth/me", a.me)
	a.handle("POST /api/auth/password", a.changePassword)
	a.handle("POST /api/auth/login/totp", a.loginTOTP)
	a.handle("GET /api/auth/totp", a.getTOTP)
	a.handle("POST /api/auth/totp/enrol", a.enrolTOTP)
	a.handle("POST /api/auth/totp/confirm", a.confirmTOTP)
	a.handle("POST /api/auth/totp/disable", a.disableTOTP)

	a.handle("GET /api/sites", a.listSites)
	a.handle("POST /api/sites", a.createSite)
	a.handle("GET /api/sites/{domain}", a.getSite)
	a.handle("PATCH /api/sites/{domain}", a.updateSite)
	a.handle("DELETE /api/sites/{domain}", a.deleteSite)
	a.handle("POST /api/sites/{domain}/delete-data", a.deleteSiteData)
	a.handle("GET /api/sites/{domain}/status", a.siteStatus)

	a.handle("GET /api/sites/{domain}/members", a.listMembers)
	a.handle("POST /api/sites/{domain}/members", a.addMember)
	a.handle("DELETE /api/sites/{domain}/members/{email}", a.removeMember)

	a.handle("GET /api/sites/{domain}/goals", a.listGoals)
	a.handle("POST /api/sites/{domain}/goals", a.addGoal)
	a.handle("DELETE /api/sites/{domain}/goals/{id}", a.deleteGoal)
	a.handle("GET /api/sites/{domain}/funnels", a.listFunnels)
	a.handle("POST /api/sites/{domain}/funnels", a.addFunnel)
	a.handle("DELETE /api/sites/{domain}/funnels/{id}", a.deleteFunnel)

	a.handle("GET /api/sites/{domain}/shared-links", a.listSharedLinks)
	a.handle("POST /api/sites/{domain}/shared-links", a.addSharedLink)
	a.handle("DELETE /api/sites/{domain}/shared-links/{id}", a.deleteSharedLink)
	a.handle("GET /api/share/{slug}", a.sharedLinkInfo)
	a.handle("POST /api/share/{slug}/auth", a.sharedLinkAuth)

	a.handle("GET /api/keys", a.listKeys)
	a.handle("POST /api/keys", a.createKey)
	a.handle("DELETE /api/keys/{id}", a.revokeKey)
}

// clientIP is the client's address behind the trusted proxies.
func (a *API) clientIP(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return netip.IPv6Unspecified()
	}
	return clientip.Resolve(peer, strings.Join(r.Header.Values("X-Forwarded-For"), ","), a.proxies)
}

func (a *API) trusted(ip netip.Addr) bool { return clientip.Trusted(ip, a.proxies) }

// secureRequest reports whether cookies of this response get the Secure
// flag.
func (a *API) secureRequest(r *http.Request) bool {
	if a.secure || r.TLS != nil {
		return true
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	peer, err := netip.ParseAddr(host)
	return err == nil && a.trusted(peer.Unmap()) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// slowCheck runs an argon2id computation under the concurrency bound, so
// a burst of logins queues instead of allocating 19 MiB each.
func (a *API) slowCheck(ctx context.Context, check func()) error {
	select {
	case a.hashes <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-a.hashes }()
	check()
	return nil
}

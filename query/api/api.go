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
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/imports"
	"github.com/sillage-analytics/sillage/internal/clientip"
	"github.com/sillage-analytics/sillage/internal/mail"
	"github.com/sillage-analytics/sillage/query/internal/live"
	"github.com/sillage-analytics/sillage/query/stats"
	"github.com/sillage-analytics/sillage/reports"
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

	// Imports runs the site's import jobs; nil answers 503 on the
	// imports routes.
	Imports *imports.Manager

	// RequireTOTP makes two-factor authentication mandatory: a session of
	// an account without it may only enrol (or log out).
	RequireTOTP bool

	// Mail sends invitations, password resets and the settings' test
	// email; nil, or an outbox without SMTP server, sends nothing.
	Mail *mail.Outbox
	// PublicURL is the address users open the dashboard at
	// (https://stats.example.fr), for links in emails; "forgot password"
	// needs it.
	PublicURL string
	// Reports keeps email reports and alerts; nil answers their routes 404.
	Reports *reports.Service

	// Live shares the sites' live snapshots; nil makes one with the
	// defaults over Engine.
	Live *live.Cache

	// Stats answers the property names of a site's events, under the
	// operator's sampling and memory bounds; nil makes one with the
	// defaults over Engine.
	Stats *stats.Engine
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

	logins *throttle // failed guesses per client network (and password changes per account)
	slow   *slowdown // failed guesses per account and shared link
	// wait sleeps out a slowdown; tests record the delay instead.
	wait  func(ctx context.Context, d time.Duration) error
	codes *throttle // wrong second-factor codes per account, hard
	// unknown counts the unknown credentials presented per client network.
	unknown     *throttle
	unknownSeen *negativeCache // unknown credentials of the last minute, by hash
	setup       sync.Mutex     // one first-run setup at a time
	hashes      chan struct{}  // bounds concurrent argon2id checks (19 MiB each)
	cop         *http.CrossOriginProtection
	mux         *http.ServeMux

	mail      *mail.Outbox
	publicURL string
	forgot    *throttle // reset emails per address
	reports   *reports.Service
	live      *live.Cache
	stats     *stats.Engine
	imports   *imports.Manager
	admission Admission // nil: the live view and property names wait for nobody
}

// New builds the API.
func New(o Options) *API {
	a := &API{
		acc: o.Accounts, engine: o.Engine, secure: o.SecureCookies, proxies: o.TrustedProxies,
		now: o.Now, log: o.Logger, mustTOTP: o.RequireTOTP, imports: o.Imports,
		hashes: make(chan struct{}, 4),
		cop:    http.NewCrossOriginProtection(),
		mux:    http.NewServeMux(),

		mail: o.Mail, publicURL: normalizePublicURL(o.PublicURL),
		reports: o.Reports, live: o.Live, stats: o.Stats,
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
	if a.live == nil {
		a.live = live.New(a.engine, live.Options{Now: a.now})
	}
	if a.stats == nil {
		a.stats = &stats.Engine{Store: a.engine, Now: a.now}
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
	a.wait = wait
	a.codes = newThrottle(a.now, CodeLimit, throttleWindow)
	a.unknown = newThrottle(a.now, UnknownCredentialLimit, unknownWindow)
	a.unknownSeen = newNegativeCache(a.now, negativeTTL, negativeMax)
	a.forgot = newThrottle(a.now, forgotPerEmail, throttleWindow)
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

// routes is the table of who may do what: each route with the need
// checked before its handler (roles.go). Keep query/api/API.md's table in
// step with it.
func (a *API) routes() {
	a.serve("GET /api/auth/setup", public, a.getSetup)
	a.serve("POST /api/auth/setup", public, a.postSetup)
	a.serve("POST /api/auth/login", public, a.login)
	a.serve("POST /api/auth/logout", account, a.logout)
	a.serve("GET /api/auth/me", account, a.me)
	a.serve("POST /api/auth/password", account, a.changePassword)
	a.serve("GET /api/auth/reset/{token}", public, a.getReset)
	a.serve("POST /api/auth/reset", public, a.postReset)
	a.serve("POST /api/auth/login/totp", public, a.loginTOTP)
	a.serve("POST /api/auth/forgot", public, a.forgotPassword)
	a.serve("GET /api/auth/totp", account, a.getTOTP)
	a.serve("POST /api/auth/totp/enrol", account, a.enrolTOTP)
	a.serve("POST /api/auth/totp/confirm", account, a.confirmTOTP)
	a.serve("POST /api/auth/totp/disable", account, a.disableTOTP)

	a.serve("GET /api/instance", operator, a.getInstance)
	a.serve("PATCH /api/instance", operator, a.patchInstance)
	a.serve("GET /api/settings/mail", operator, a.getMailSettings)
	a.serve("POST /api/settings/mail/test", operator, a.sendTestMail)

	a.serve("GET /api/sites", account, a.listSites)
	// Operators, or any account when the instance allows it (checked by
	// the handler: it is an instance setting, not a role).
	a.serve("POST /api/sites", account, a.createSite)
	a.serve("GET /api/sites/{domain}", siteRead, a.getSite)
	// Admins; shortening the retention takes an owner and a typed
	// confirmation (the handler compares the old and new values).
	a.serve("PATCH /api/sites/{domain}", siteAdmin, a.updateSite)
	a.serve("DELETE /api/sites/{domain}", siteOwner, a.deleteSite)
	a.serve("POST /api/sites/{domain}/delete-data", siteOwner, a.deleteSiteData)
	a.serve("GET /api/sites/{domain}/status", siteRead, a.siteStatus)
	a.serve("GET /api/sites/{domain}/script", siteRead, a.getSiteScript)
	a.serve("PUT /api/sites/{domain}/script", siteAdminOrKey, a.putSiteScript)

	// Admins manage viewers and admins; owners are made, unmade and
	// invited by owners only (checked by the handlers, on the roles named).
	a.serve("GET /api/sites/{domain}/members", siteAdmin, a.listMembers)
	a.serve("POST /api/sites/{domain}/members", siteAdmin, a.addMember)
	a.serve("DELETE /api/sites/{domain}/members/{email}", siteAdmin, a.removeMember)
	a.serve("GET /api/sites/{domain}/invitations", siteAdmin, a.listInvitations)
	a.serve("DELETE /api/sites/{domain}/invitations/{id}", siteAdmin, a.revokeInvitation)
	a.serve("GET /api/invitations/{token}", public, a.getInvitation)
	a.serve("POST /api/invitations/{token}/accept", public, a.acceptInvitation)
	a.serve("POST /api/invitations/{token}/decline", account, a.declineInvitation)

	a.serve("GET /api/sites/{domain}/goals", siteRead, a.listGoals)
	a.serve("POST /api/sites/{domain}/goals", siteAdminOrKey, a.addGoal)
	a.serve("DELETE /api/sites/{domain}/goals/{id}", siteAdminOrKey, a.deleteGoal)
	a.serve("GET /api/sites/{domain}/funnels", siteRead, a.listFunnels)
	a.serve("POST /api/sites/{domain}/funnels", siteAdminOrKey, a.addFunnel)
	a.serve("DELETE /api/sites/{domain}/funnels/{id}", siteAdminOrKey, a.deleteFunnel)

	a.serve("GET /api/sites/{domain}/shared-links", siteAdmin, a.listSharedLinks)
	a.serve("POST /api/sites/{domain}/shared-links", siteAdmin, a.addSharedLink)
	a.serve("DELETE /api/sites/{domain}/shared-links/{id}", siteAdmin, a.deleteSharedLink)
	a.serve("GET /api/share/{slug}", public, a.sharedLinkInfo)
	a.serve("POST /api/share/{slug}/auth", public, a.sharedLinkAuth)

	// Imports of history: admins and owners (query/api/imports.go).
	a.serve("GET /api/sites/{domain}/imports", siteAdmin, a.listImports)
	a.serve("POST /api/sites/{domain}/imports", siteAdmin, a.uploadImport)
	a.serve("POST /api/sites/{domain}/imports/{id}/cancel", siteAdmin, a.cancelImport)
	a.serve("DELETE /api/sites/{domain}/imports/{id}", siteAdmin, a.deleteImport)
	// Google Analytics 4 (query/api/ga4.go): a key or the OAuth flow.
	a.serve("POST /api/sites/{domain}/imports/ga4", siteAdmin, a.startGA4Import)
	a.serve("GET /api/sites/{domain}/imports/ga4/connect", siteAdmin, a.connectGA4)
	a.serve("GET /api/sites/{domain}/imports/ga4/properties", siteAdmin, a.ga4Properties)
	a.serve("GET /api/imports/ga4/callback", public, a.ga4OAuthCallback)
	// Exports: the aggregates in Plausible's format for admins, every
	// stored event and session for owners.
	a.serve("GET /api/sites/{domain}/export/plausible", siteAdmin, a.exportPlausible)
	a.serve("GET /api/sites/{domain}/export/raw", siteOwner, a.exportRaw)

	// Keys belong to the account that made them.
	a.serve("GET /api/keys", account, a.listKeys)
	a.serve("POST /api/keys", account, a.createKey)
	a.serve("DELETE /api/keys/{id}", account, a.revokeKey)

	a.reportRoutes()
	a.liveRoutes()
	a.annotationRoutes()
	a.segmentRoutes()
}

// clientIP is the client's address behind the trusted proxies.
func (a *API) clientIP(r *http.Request) netip.Addr { return clientip.FromRequest(r, a.proxies) }

// secureRequest reports whether cookies of this response get the Secure
// flag.
func (a *API) secureRequest(r *http.Request) bool {
	return a.secure || clientip.ForwardedHTTPS(r, a.proxies)
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

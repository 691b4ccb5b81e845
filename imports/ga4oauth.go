package imports

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// The OAuth flow of a GA4 import: an admin of a site asks to connect
// (GA4AuthURL), Google sends the browser back with a code and the state
// (GA4Callback), which becomes a connection: a refresh token, for the one
// account and site that asked, for an hour, to list the properties it may
// read and start imports. The connection is stored sealed (ga4store.go),
// so it outlives a restart; an import started with it keeps its own copy
// until it ends. The states (the minutes on Google's consent screen) are
// held in memory: a restart then asks the admin to connect again.

// ga4ConnectionTTL bounds how long a connection (and a pending state)
// is kept.
const ga4ConnectionTTL = time.Hour

// ga4StateTTL bounds the time spent on Google's consent screen.
const ga4StateTTL = 15 * time.Minute

// ga4MaxPending bounds the states and connections held in memory.
const ga4MaxPending = 10_000

type ga4Pending struct {
	site     uint32
	domain   string
	user     string
	redirect string
	expires  time.Time
}

// Errors of the OAuth flow.
var (
	ErrGA4State      = errors.New("this Google sign-in is unknown or expired: connect again from the site's settings")
	ErrGA4Connection = errors.New("no such Google connection: connect again from the site's settings")
)

func randomID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}

// GA4OAuthConfigured tells whether ops configured an OAuth client.
func (m *Manager) GA4OAuthConfigured() bool { return m.GA4.OAuth != nil }

func (m *Manager) prunePending(now time.Time) {
	for k, p := range m.ga4Pending {
		if now.After(p.expires) {
			delete(m.ga4Pending, k)
		}
	}
}

// GA4AuthURL starts the OAuth flow for an account and a site: the URL of
// Google's consent screen, whose answer comes back to redirect.
func (m *Manager) GA4AuthURL(siteID uint32, domain, userID, redirect string) (string, error) {
	m.init()
	if m.GA4.OAuth == nil {
		return "", ErrGA4NotConfigured
	}
	if _, err := m.ga4Box(); err != nil {
		return "", err
	}
	state := randomID()
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.prunePending(now)
	if len(m.ga4Pending) >= ga4MaxPending {
		return "", errors.New("too many Google sign-ins under way: try again in a few minutes")
	}
	m.ga4Pending["state:"+state] = &ga4Pending{site: siteID, domain: domain, user: userID, redirect: redirect, expires: now.Add(ga4StateTTL)}
	conf := *m.GA4.OAuth
	conf.RedirectURL = redirect
	if len(conf.Scopes) == 0 {
		conf.Scopes = []string{GA4Scope}
	}
	// offline: a refresh token, for an import that outlasts the hour of
	// an access token; consent: Google sends one again on a reconnect.
	return conf.AuthCodeURL(state, oauth2.AccessTypeOffline, oauth2.SetAuthURLParam("prompt", "consent")), nil
}

// GA4StateUser is the account that started the sign-in of state, which
// stays pending: the callback checks the browser that comes back is
// logged in as it before the state is used.
func (m *Manager) GA4StateUser(state string) (userID string, ok bool) {
	m.init()
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.ga4Pending["state:"+state]
	if p == nil || state == "" || m.now().After(p.expires) {
		return "", false
	}
	return p.user, true
}

// GA4Callback ends the OAuth flow: the state is used once, the code is
// exchanged for a token, and the connection's id is returned with the
// site's domain it was made for.
func (m *Manager) GA4Callback(ctx context.Context, state, code string) (connection, domain string, err error) {
	m.init()
	if m.GA4.OAuth == nil {
		return "", "", ErrGA4NotConfigured
	}
	m.mu.Lock()
	p := m.ga4Pending["state:"+state]
	delete(m.ga4Pending, "state:"+state)
	m.mu.Unlock()
	if p == nil || state == "" || m.now().After(p.expires) {
		return "", "", ErrGA4State
	}
	conf := *m.GA4.OAuth
	conf.RedirectURL = p.redirect
	tok, err := conf.Exchange(m.GA4.httpCtx(ctx), code)
	if err != nil {
		return "", p.domain, fmt.Errorf("the Google sign-in was refused: %w", err)
	}
	if tok.RefreshToken == "" {
		return "", p.domain, errors.New("no refresh token came from Google: remove Sillage's access in your Google account's connections and connect again")
	}
	if err := m.pruneGA4Connections(ctx); err != nil {
		m.Log.Warn("ga4: expired connections left", "err", err)
	}
	id := randomID()
	if err := m.storeGA4Token(ctx, p.site, id, p.user, 0, tok.RefreshToken, m.now().Add(ga4ConnectionTTL)); err != nil {
		return "", p.domain, err
	}
	return id, p.domain, nil
}

// GA4Connection is the token of a connection, for the account and site
// that made it only, within the hour after the sign-in.
func (m *Manager) GA4Connection(ctx context.Context, id string, siteID uint32, userID string) (*oauth2.Token, error) {
	m.init()
	if id == "" || len(id) > 64 || userID == "" || strings.HasPrefix(id, "import-") {
		return nil, ErrGA4Connection
	}
	return m.ga4Token(ctx, siteID, id, userID)
}

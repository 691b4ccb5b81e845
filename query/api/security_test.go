package api_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/imports"
	"github.com/sillage-analytics/sillage/imports/ga4fake"
	"github.com/sillage-analytics/sillage/query/api"
)

// Attacks on the API by someone who holds one account, a shared link, a
// key or nothing; each test was seen failing before its fix.

// TestStateChangesNeedCSRFToken: every route that changes state by a
// session asks for the session's CSRF token, whatever its need; the
// routes that a member's session reaches through Authorize (segments,
// the member's own reports) did not.
func TestStateChangesNeedCSRFToken(t *testing.T) {
	// POST routes that only read: a stats query and a funnel's report.
	reads := map[string]bool{
		"POST /api/v2/query":                           true,
		"POST /api/sites/{domain}/funnels/{id}/report": true,
	}
	f := newMatrixFixture(t)
	for _, row := range matrixRows() {
		method, _, _ := strings.Cut(row.pattern, " ")
		// Public routes carry their own credential (a password, a token
		// in the path); only the owner's successful requests are tried.
		if method == http.MethodGet || reads[row.pattern] || row.want[asAnonymous] != http.StatusUnauthorized ||
			row.want[asOwner] >= 300 {
			continue
		}
		t.Run(row.name(), func(t *testing.T) {
			f.reset()
			path := strings.TrimPrefix(row.pattern, method+" ")
			if row.path != nil {
				path = row.path(f)
			}
			var b any
			if row.body != nil {
				b = row.body(f)
			}
			cl := *f.clients[asOwner]
			cl.cookies = maps.Clone(cl.cookies)
			cl.csrf = ""
			r := cl.do(method, path, b)
			if r.status != http.StatusForbidden || !strings.Contains(r.String(), api.CSRFHeader) {
				t.Errorf("without %s: %d %.200s, want 403 naming the header", api.CSRFHeader, r.status, r)
			}
		})
	}
	f.reset()
}

// TestGA4CallbackTakesTheAccountThatConnected: the state of Google's
// redirect is bound to the account that pressed "connect", and the
// browser that comes back must be logged in as that account. Otherwise an
// admin of one site sends the consent URL of their own connection to the
// admin of another tenant, who signs in with their Google account, and
// the first lists and imports the second's GA4 properties.
func TestGA4CallbackTakesTheAccountThatConnected(t *testing.T) {
	ctx := context.Background()
	f := ga4fake.New(t)
	e := newEnv(t)
	m := &imports.Manager{Engine: e.acc.Engine, Dir: t.TempDir(), Secret: []byte("a test secret of thirty-two bytes"), GA4: imports.GA4Config{DataURL: f.Srv.URL, AdminURL: f.Srv.URL,
		HTTPClient: f.Srv.Client(), OAuth: &oauth2.Config{ClientID: "client-1", ClientSecret: "secret-1",
			Endpoint: oauth2.Endpoint{AuthURL: f.Srv.URL + "/auth", TokenURL: f.Srv.URL + "/token"}}}}
	e.serve(api.Options{Imports: m})
	eve, victim := e.user("eve@e.fr"), e.user("owner@a.fr")
	for _, s := range []struct {
		u      sillage.User
		domain string
	}{{eve, "e.fr"}, {victim, "a.fr"}} {
		if _, err := e.acc.AddSiteWithOwner(ctx, s.u.ID, s.domain, "Europe/Paris"); err != nil {
			t.Fatal(err)
		}
	}
	attacker := e.as(eve)
	state := func() string {
		t.Helper()
		r := attacker.do("GET", "/api/sites/e.fr/imports/ga4/connect", nil)
		var connect struct{ URL string }
		if r.status != 200 || json.Unmarshal(r.body, &connect) != nil {
			t.Fatalf("connect: %d %s", r.status, r.body)
		}
		u, err := url.Parse(connect.URL)
		if err != nil {
			t.Fatal(err)
		}
		return u.Query().Get("state")
	}
	// The browser Google sends back, with the cookies it holds.
	callback := func(c *client, state string) (int, string) {
		t.Helper()
		req, err := http.NewRequest("GET", e.srv.URL+"/api/imports/ga4/callback?state="+url.QueryEscape(state)+"&code=code-1", nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, ck := range c.cookies {
			req.AddCookie(ck)
		}
		noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Location")
	}
	s := state()
	for _, c := range []struct {
		name string
		cl   *client
	}{{"another tenant's logged-in browser", e.as(victim)}, {"a browser logged in to nothing", e.client()}} {
		if status, loc := callback(c.cl, s); status != http.StatusForbidden {
			t.Errorf("%s: %d %s, want 403 and no connection", c.name, status, loc)
		}
	}
	// The account that connected finishes it in its own browser.
	status, loc := callback(attacker, s)
	u, _ := url.Parse(loc)
	if status != http.StatusSeeOther || u == nil || u.Query().Get("ga4") == "" {
		t.Fatalf("the account that connected: %d %s", status, loc)
	}
}

// TestAnotherTenantsSiteIsNotFound: an account, an API key or a shared
// link of one site learns nothing of another tenant's site, not even that
// it exists: its answer is the one for a domain nobody added (as
// Plausible's 404 for a site one has no access to).
func TestAnotherTenantsSiteIsNotFound(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	_, keySecret, err := w.acc.CreateAPIKey(ctx, w.outsider.ID, "k", []uint32{w.b.ID})
	if err != nil {
		t.Fatal(err)
	}
	link, err := w.acc.AddSharedLink(ctx, w.b.ID, "press", "")
	if err != nil {
		t.Fatal(err)
	}
	session := w.as(w.outsider)
	key := w.client()
	key.bearer = keySecret
	shared := w.client()
	shared.header.Set(api.SharedLinkHeader, link.Slug)
	routes := []struct{ method, path string }{
		{"GET", "/stats/%s"}, // Authorize, as the stats endpoints call it
		{"GET", "/api/sites/%s"},
		{"GET", "/api/sites/%s/live"},
		{"PATCH", "/api/sites/%s"},
		{"POST", "/api/sites/%s/goals"},
		{"DELETE", "/api/sites/%s/members/viewer@a.fr"},
	}
	for _, c := range []struct {
		name string
		cl   *client
	}{{"another site's owner", session}, {"another site's API key", key}, {"another site's shared link", shared}} {
		for _, rt := range routes {
			var b any
			if rt.method != "GET" && rt.method != "DELETE" {
				b = map[string]string{"event_name": "X"}
			}
			there := c.cl.do(rt.method, strings.ReplaceAll(rt.path, "%s", "a.fr"), b)
			missing := c.cl.do(rt.method, strings.ReplaceAll(rt.path, "%s", "nowhere.fr"), b)
			if there.status != missing.status || strings.ReplaceAll(there.String(), "a.fr", "nowhere.fr") != missing.String() {
				t.Errorf("%s, %s %s: a.fr answers %d %s; a missing site %d %s", c.name, rt.method, rt.path,
					there.status, strings.TrimSpace(there.String()), missing.status, strings.TrimSpace(missing.String()))
			}
		}
	}
}

// TestPasswordResetRevokesAPIKeys: a reset by emailed link is how an
// account is taken back from whoever had its password or a session; an
// API key they made meanwhile must not keep reading (and changing) the
// account's sites afterwards.
func TestPasswordResetRevokesAPIKeys(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	_, secret, err := w.acc.CreateAPIKey(ctx, w.owner.ID, "made by an intruder", []uint32{w.a.ID})
	if err != nil {
		t.Fatal(err)
	}
	_, otherSecret, err := w.acc.CreateAPIKey(ctx, w.outsider.ID, "another account's", []uint32{w.b.ID})
	if err != nil {
		t.Fatal(err)
	}
	key, other := w.client(), w.client()
	key.bearer, other.bearer = secret, otherSecret
	wantStatus(t, "the key before the reset", key.do("GET", "/stats/a.fr", nil), http.StatusOK)
	token, _, err := w.acc.CreatePasswordReset(ctx, w.owner.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "reset", w.client().do("POST", "/api/auth/reset", map[string]string{"token": token, "password": "a brand new password"}), http.StatusNoContent)
	wantStatus(t, "the key after the reset", key.do("GET", "/stats/a.fr", nil), http.StatusUnauthorized)
	if keys, err := w.acc.APIKeys(ctx, w.owner.ID); err != nil || len(keys) != 0 {
		t.Errorf("keys left to the account: %v %v", keys, err)
	}
	wantStatus(t, "another account's key", other.do("GET", "/stats/b.fr", nil), http.StatusOK)
}

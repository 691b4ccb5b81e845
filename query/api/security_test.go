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
	m := &imports.Manager{Engine: e.acc.Engine, Dir: t.TempDir(), GA4: imports.GA4Config{DataURL: f.Srv.URL, AdminURL: f.Srv.URL,
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

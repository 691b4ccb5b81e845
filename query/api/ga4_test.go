package api_test

import (
	"context"
	"encoding/json"
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

// The OAuth flow of a GA4 import, end to end against a server that
// answers like Google: the connect button's URL, Google's redirect back
// (its state used once), the property picker, and the import; the token
// is never answered, and a connection serves only the account that made
// it. A service account's key starts an import too, and is not answered.
func TestGA4ImportThroughTheAPI(t *testing.T) {
	ctx := context.Background()
	f := ga4fake.New(t)
	e := newEnv(t)
	m := &imports.Manager{Engine: e.acc.Engine, Dir: t.TempDir(), Secret: []byte("a test secret of thirty-two bytes"), GA4: imports.GA4Config{DataURL: f.Srv.URL, AdminURL: f.Srv.URL,
		HTTPClient: f.Srv.Client(), OAuth: &oauth2.Config{ClientID: "client-1", ClientSecret: "secret-1",
			Endpoint: oauth2.Endpoint{AuthURL: f.Srv.URL + "/auth", TokenURL: f.Srv.URL + "/token"}}}}
	e.serve(api.Options{Imports: m})
	owner, admin := e.user("owner@a.fr"), e.user("admin@a.fr")
	site, err := e.acc.AddSiteWithOwner(ctx, owner.ID, "a.fr", "Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.acc.AddMember(ctx, site.ID, admin.Email, sillage.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	c := e.as(owner)
	if r := c.do("GET", "/api/sites/a.fr/imports", nil); r.status != 200 || !strings.Contains(string(r.body), `"ga4_oauth":true`) {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	r := c.do("GET", "/api/sites/a.fr/imports/ga4/connect", nil)
	var connect struct{ URL string }
	if r.status != 200 || json.Unmarshal(r.body, &connect) != nil {
		t.Fatalf("connect: %d %s", r.status, r.body)
	}
	u, err := url.Parse(connect.URL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if !strings.HasPrefix(connect.URL, f.Srv.URL+"/auth?") || q.Get("client_id") != "client-1" || q.Get("access_type") != "offline" ||
		q.Get("scope") != imports.GA4Scope || !strings.HasSuffix(q.Get("redirect_uri"), "/api/imports/ga4/callback") || q.Get("state") == "" {
		t.Fatalf("consent URL: %s", connect.URL)
	}
	// Google sends the browser back, with its session cookie (SameSite=Lax
	// comes along on a top-level GET).
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	callback := func(state string) *http.Response {
		t.Helper()
		req, err := http.NewRequest("GET", e.srv.URL+"/api/imports/ga4/callback?state="+url.QueryEscape(state)+"&code=code-1&scope="+url.QueryEscape(imports.GA4Scope), nil)
		if err != nil {
			t.Fatal(err)
		}
		req.AddCookie(c.cookies[api.SessionCookie])
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp := callback(q.Get("state"))
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != 303 || loc == nil || loc.Path != "/a.fr/settings/imports" || loc.Query().Get("ga4") == "" {
		t.Fatalf("callback: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	conn := loc.Query().Get("ga4")
	if resp := callback(q.Get("state")); resp.StatusCode != 400 {
		t.Fatalf("the same state twice: %d", resp.StatusCode)
	}
	r = c.do("GET", "/api/sites/a.fr/imports/ga4/properties?connection="+conn, nil)
	if r.status != 200 || !strings.Contains(string(r.body), `"property":"properties/123456789"`) || !strings.Contains(string(r.body), `"name":"boulangerie.fr"`) {
		t.Fatalf("properties: %d %s", r.status, r.body)
	}
	// Another admin of the site may not use the owner's connection.
	if r := e.as(admin).do("GET", "/api/sites/a.fr/imports/ga4/properties?connection="+conn, nil); r.status != 404 {
		t.Fatalf("another account's connection: %d %s", r.status, r.body)
	}
	r = c.do("POST", "/api/sites/a.fr/imports/ga4", map[string]string{"property": "properties/123456789", "connection": conn,
		"start_date": "2024-03-01", "end_date": "2024-03-05"})
	if r.status != 201 || len(f.RefreshTokens()) != 1 || strings.Contains(string(r.body), f.RefreshTokens()[0]) || strings.Contains(string(r.body), "ya29.") {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	var started struct{ Import imports.Job }
	if err := json.Unmarshal(r.body, &started); err != nil {
		t.Fatal(err)
	}
	if err := m.Process(ctx, started.Import.ID); err != nil {
		t.Fatal(err)
	}
	r = c.do("GET", "/api/sites/a.fr/imports", nil)
	if !strings.Contains(string(r.body), `"status":"completed"`) || !strings.Contains(string(r.body), `"source":"ga4"`) ||
		!strings.Contains(string(r.body), `"file_name":"properties/123456789"`) {
		t.Fatalf("list: %s", r.body)
	}
	// The same property again is the same import.
	key := f.ServiceAccountKey()
	r = c.do("POST", "/api/sites/a.fr/imports/ga4", map[string]any{"property": "123456789", "credentials": json.RawMessage(key)})
	if r.status != 200 || !strings.Contains(string(r.body), `"existed":true`) {
		t.Fatalf("again: %d %s", r.status, r.body)
	}
	// A key for another property: queued, and the key is not answered.
	r = c.do("POST", "/api/sites/a.fr/imports/ga4", map[string]any{"property": "987", "credentials": json.RawMessage(key)})
	if r.status != 201 || strings.Contains(string(r.body), "PRIVATE KEY") {
		t.Fatalf("key: %d %s", r.status, r.body)
	}
	for body, want := range map[string]string{
		`{"property":"UA-1-1","credentials":{"type":"service_account"}}`: "not a GA4 property id",
		`{"property":"1"}`:                     "needs a service account's JSON key",
		`{"property":"1","connection":"nope"}`: "no such Google connection",
	} {
		r := c.do("POST", "/api/sites/a.fr/imports/ga4", body)
		if r.status != 400 && r.status != 404 || !strings.Contains(string(r.body), want) {
			t.Errorf("%s: %d %s", body, r.status, r.body)
		}
	}
}

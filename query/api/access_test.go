package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/query/api"
)

// route is one endpoint with a body that would succeed.
type route struct {
	method, path string
	body         any
}

// privateRoutes need a login, an API key or a shared link.
func privateRoutes(goalID, funnelID, linkID, keyID string) []route {
	return []route{
		{"POST", "/api/auth/logout", nil},
		{"GET", "/api/auth/me", nil},
		{"POST", "/api/auth/password", map[string]string{"current": password, "new": "brand new password"}},
		{"GET", "/api/sites", nil},
		{"POST", "/api/sites", map[string]string{"domain": "new.fr", "timezone": "Europe/Paris"}},
		{"GET", "/api/sites/a.fr", nil},
		{"PATCH", "/api/sites/a.fr", map[string]any{"retention_days": 30}},
		{"DELETE", "/api/sites/a.fr", map[string]string{"confirm": "a.fr"}},
		{"POST", "/api/sites/a.fr/delete-data", map[string]string{"confirm": "a.fr"}},
		{"GET", "/api/sites/a.fr/status", nil},
		{"GET", "/api/sites/a.fr/members", nil},
		{"POST", "/api/sites/a.fr/members", map[string]string{"email": "new@a.fr", "role": "viewer"}},
		{"DELETE", "/api/sites/a.fr/members/viewer@a.fr", nil},
		{"GET", "/api/sites/a.fr/goals", nil},
		{"POST", "/api/sites/a.fr/goals", map[string]string{"event_name": "Other"}},
		{"DELETE", "/api/sites/a.fr/goals/" + goalID, nil},
		{"GET", "/api/sites/a.fr/funnels", nil},
		{"POST", "/api/sites/a.fr/funnels", map[string]any{"name": "F2", "steps": []string{goalID, goalID}}},
		{"DELETE", "/api/sites/a.fr/funnels/" + funnelID, nil},
		{"GET", "/api/sites/a.fr/shared-links", nil},
		{"POST", "/api/sites/a.fr/shared-links", map[string]string{"name": "x"}},
		{"DELETE", "/api/sites/a.fr/shared-links/" + linkID, nil},
		{"GET", "/api/keys", nil},
		{"POST", "/api/keys", map[string]any{"name": "k", "sites": []string{"a.fr"}}},
		{"DELETE", "/api/keys/" + keyID, nil},
		{"GET", "/stats/a.fr", nil},
	}
}

// fixtures adds a goal, a funnel, a shared link and an API key on a.fr.
func (w *world) fixtures() (goalID, funnelID, linkID, keyID string) {
	w.t.Helper()
	ctx := context.Background()
	g1, err := w.acc.AddGoal(ctx, accounts.Goal{SiteID: w.a.ID, EventName: "Signup"})
	if err != nil {
		w.t.Fatal(err)
	}
	g2, err := w.acc.AddGoal(ctx, accounts.Goal{SiteID: w.a.ID, PagePath: "/merci"})
	if err != nil {
		w.t.Fatal(err)
	}
	f, err := w.acc.AddFunnel(ctx, accounts.Funnel{SiteID: w.a.ID, Name: "F", Steps: []string{g1.ID, g2.ID}})
	if err != nil {
		w.t.Fatal(err)
	}
	l, err := w.acc.AddSharedLink(ctx, w.a.ID, "press", "")
	if err != nil {
		w.t.Fatal(err)
	}
	k, _, err := w.acc.CreateAPIKey(ctx, w.owner.ID, "k", []uint32{w.a.ID})
	if err != nil {
		w.t.Fatal(err)
	}
	return g1.ID, f.ID, l.ID, k.ID
}

func TestEveryRouteNeedsCredentials(t *testing.T) {
	w := newWorld(t)
	routes := privateRoutes(w.fixtures())
	owner := w.as(w.owner)
	expired := w.client()
	expired.cookies[api.SessionCookie] = &http.Cookie{Name: api.SessionCookie, Value: "k2l7lQ2K9Yx2gJ0m9Wm2f8b2m2B0S6a8eXqk3hYb2Qk"}
	expired.csrf = "whatever"
	badKey := w.client()
	badKey.bearer = "sk_live_" + "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrst"
	basic := w.client()
	basic.header.Set("Authorization", "Basic b3duZXJAYS5mcjpjb3JyZWN0")
	basic.cookies = owner.cookies // an Authorization header is never ignored in favour of a cookie
	basic.csrf = owner.csrf
	unknownLink := w.client()
	unknownLink.header.Set(api.SharedLinkHeader, "no-such-link")
	clients := map[string]*client{
		"no credentials": w.client(), "unknown session": expired, "bad API key": badKey,
		"malformed Authorization": basic, "unknown shared link": unknownLink,
	}
	for name, c := range clients {
		for _, rt := range routes {
			wantStatus(t, name+": "+rt.method+" "+rt.path, c.do(rt.method, rt.path, rt.body), 401)
		}
	}
	// Nothing changed.
	if _, err := w.acc.SiteByDomain(context.Background(), "a.fr"); err != nil {
		t.Fatal(err)
	}
	// Credentials come before the site: strangers cannot probe domains.
	wantStatus(t, "unknown site, no credentials", w.client().do("GET", "/stats/nope.fr", nil), 401)
	wantStatus(t, "unknown site, logged in", owner.do("GET", "/stats/nope.fr", nil), 404)
	wantStatus(t, "unknown site, PATCH", owner.do("PATCH", "/api/sites/nope.fr", map[string]int{"retention_days": 1}), 404)
}

func TestRoles(t *testing.T) {
	w := newWorld(t)
	goalID, funnelID, linkID, _ := w.fixtures()
	clients := map[sillage.Role]*client{
		sillage.RoleOwner: w.as(w.owner), sillage.RoleAdmin: w.as(w.admin), sillage.RoleViewer: w.as(w.viewer),
	}
	outsider := w.as(w.outsider)
	const (
		viewer = iota
		admin
		owner
	)
	tests := []struct {
		route
		min  int // lowest role allowed
		want int // status for allowed roles
	}{
		{route{"GET", "/api/sites/a.fr", nil}, viewer, 200},
		{route{"GET", "/api/sites/a.fr/status", nil}, viewer, 200},
		{route{"GET", "/api/sites/a.fr/goals", nil}, viewer, 200},
		{route{"GET", "/api/sites/a.fr/funnels", nil}, viewer, 200},
		{route{"GET", "/stats/a.fr", nil}, viewer, 200},
		{route{"PATCH", "/api/sites/a.fr", map[string]any{"timezone": "Europe/Berlin"}}, admin, 200},
		{route{"GET", "/api/sites/a.fr/members", nil}, admin, 200},
		{route{"POST", "/api/sites/a.fr/members", map[string]string{"email": "invitee@a.fr", "role": "viewer"}}, admin, 0},
		{route{"GET", "/api/sites/a.fr/shared-links", nil}, admin, 200},
		{route{"POST", "/api/sites/a.fr/shared-links", map[string]string{}}, admin, 201},
		{route{"DELETE", "/api/sites/a.fr/shared-links/" + linkID, nil}, admin, 0},
		{route{"POST", "/api/sites/a.fr/goals", map[string]string{"page_path": "/**"}}, admin, 0},
		{route{"DELETE", "/api/sites/a.fr/funnels/" + funnelID, nil}, admin, 0},
		{route{"DELETE", "/api/sites/a.fr/goals/" + goalID, nil}, admin, 0},
		{route{"POST", "/api/sites/a.fr/funnels", map[string]any{"name": "x", "steps": []string{goalID, goalID}}}, admin, 0},
		{route{"POST", "/api/sites/a.fr/delete-data", map[string]string{"confirm": "wrong.fr"}}, owner, 400},
		{route{"DELETE", "/api/sites/a.fr/members/nobody@a.fr", nil}, admin, 404},
	}
	for _, tt := range tests {
		for role, c := range clients {
			r := c.do(tt.method, tt.path, tt.body)
			allowed := accounts.RoleRank(role)-1 >= tt.min
			name := string(role) + ": " + tt.method + " " + tt.path
			switch {
			case !allowed:
				wantStatus(t, name, r, 403)
			case tt.want != 0:
				wantStatus(t, name, r, tt.want)
			case r.status == 401 || r.status == 403 || r.status >= 500:
				t.Fatalf("%s: refused or failed (%d %s)", name, r.status, r)
			}
		}
		// A member of another site gets nothing here.
		wantStatus(t, "outsider: "+tt.method+" "+tt.path, outsider.do(tt.method, tt.path, tt.body), 404)
	}

	// Only an owner deletes a site or its data; admins and viewers cannot.
	for _, role := range []sillage.Role{sillage.RoleAdmin, sillage.RoleViewer} {
		wantStatus(t, string(role)+" deletes data", clients[role].do("POST", "/api/sites/a.fr/delete-data", map[string]string{"confirm": "a.fr"}), 403)
		wantStatus(t, string(role)+" deletes site", clients[role].do("DELETE", "/api/sites/a.fr", map[string]string{"confirm": "a.fr"}), 403)
	}
	wantStatus(t, "outsider deletes site", outsider.do("DELETE", "/api/sites/a.fr", map[string]string{"confirm": "a.fr"}), 404)
	wantStatus(t, "owner deletes data", clients[sillage.RoleOwner].do("POST", "/api/sites/a.fr/delete-data", map[string]string{"confirm": "A.fr"}), 204)
	// The domain typed again is the confirmation; without it, the answer
	// says what to send, and the site stays.
	r := clients[sillage.RoleOwner].do("DELETE", "/api/sites/a.fr", nil)
	wantStatus(t, "owner deletes site unconfirmed", r, 400)
	if !strings.Contains(r.String(), `{\"confirm\": \"a.fr\"}`) {
		t.Fatalf("unconfirmed deletion: %s", r)
	}
	wantStatus(t, "owner deletes site, another domain typed", clients[sillage.RoleOwner].do("DELETE", "/api/sites/a.fr", map[string]string{"confirm": "b.fr"}), 400)
	wantStatus(t, "site still there", clients[sillage.RoleViewer].do("GET", "/api/sites/a.fr", nil), 200)
	wantStatus(t, "owner deletes site", clients[sillage.RoleOwner].do("DELETE", "/api/sites/a.fr", map[string]string{"confirm": "A.fr"}), 204)
	wantStatus(t, "site gone", clients[sillage.RoleViewer].do("GET", "/api/sites/a.fr", nil), 404)
	wantStatus(t, "other site stays", outsider.do("GET", "/api/sites/b.fr", nil), 200)
}

func TestMembers(t *testing.T) {
	w := newWorld(t)
	owner, admin := w.as(w.owner), w.as(w.admin)
	type memberResp struct {
		Member *struct {
			UserID, Email string
			Role          sillage.Role
		}
		Invitation *struct{ Email, Role string }
		Link       string
	}
	// An existing account is invited, and joins once it accepts.
	r := admin.do("POST", "/api/sites/a.fr/members", map[string]string{"email": "owner@b.fr", "role": "viewer"})
	wantStatus(t, "invite existing account", r, 201)
	var m memberResp
	if r.json(t, &m); m.Member != nil || m.Invitation == nil || m.Invitation.Email != "owner@b.fr" ||
		!strings.HasPrefix(m.Link, w.srv.URL+"/invite/") {
		t.Fatalf("invited %s", r)
	}
	outsider := w.as(w.outsider)
	wantStatus(t, "invitee before accepting", outsider.do("GET", "/stats/a.fr", nil), 404)
	tok := m.Link[strings.LastIndex(m.Link, "/")+1:]
	wantStatus(t, "accept", outsider.do("POST", "/api/invitations/"+tok+"/accept", map[string]string{}), 200)
	wantStatus(t, "new member reads", outsider.do("GET", "/stats/a.fr", nil), 200)
	// A new email: the invitee chooses a password and is logged in.
	r = admin.do("POST", "/api/sites/a.fr/members", map[string]string{"email": "New@A.fr", "role": "admin"})
	wantStatus(t, "invite new email", r, 201)
	if r.json(t, &m); m.Invitation == nil || m.Invitation.Email != "new@a.fr" {
		t.Fatalf("invited %s", r)
	}
	invitee := w.client()
	tok = m.Link[strings.LastIndex(m.Link, "/")+1:]
	wantStatus(t, "accept as a new account", invitee.do("POST", "/api/invitations/"+tok+"/accept", map[string]string{"password": "my own password"}), 201)
	wantStatus(t, "new account reads", invitee.do("GET", "/stats/a.fr", nil), 200)
	if u, err := w.acc.Authenticate(context.Background(), "new@a.fr", "my own password"); err != nil {
		t.Fatalf("the invitee's password: %v", err)
	} else if role, _ := w.acc.RoleOf(context.Background(), u.ID, w.a.ID); role != sillage.RoleAdmin {
		t.Fatalf("role = %q", role)
	}
	// Role change answers 200.
	wantStatus(t, "promote", admin.do("POST", "/api/sites/a.fr/members", map[string]string{"email": "viewer@a.fr", "role": "admin"}), 200)

	tests := []struct {
		name string
		c    *client
		rt   route
		want int
	}{
		{"bad role", admin, route{"POST", "/api/sites/a.fr/members", map[string]string{"email": "x@a.fr", "role": "god"}}, 400},
		{"bad email", admin, route{"POST", "/api/sites/a.fr/members", map[string]string{"email": "nope", "role": "viewer"}}, 400},
		{"admin makes an owner", admin, route{"POST", "/api/sites/a.fr/members", map[string]string{"email": "viewer@a.fr", "role": "owner"}}, 403},
		{"admin demotes the owner", admin, route{"POST", "/api/sites/a.fr/members", map[string]string{"email": "owner@a.fr", "role": "viewer"}}, 403},
		{"admin removes the owner", admin, route{"DELETE", "/api/sites/a.fr/members/owner@a.fr", nil}, 403},
		{"owner removes the last owner", owner, route{"DELETE", "/api/sites/a.fr/members/owner@a.fr", nil}, 409},
		{"owner demotes the last owner", owner, route{"POST", "/api/sites/a.fr/members", map[string]string{"email": "owner@a.fr", "role": "admin"}}, 409},
		{"not a member", owner, route{"DELETE", "/api/sites/a.fr/members/nobody@x.fr", nil}, 404},
		{"admin removes a viewer", admin, route{"DELETE", "/api/sites/a.fr/members/owner@b.fr", nil}, 204},
		{"owner makes an owner", owner, route{"POST", "/api/sites/a.fr/members", map[string]string{"email": "admin@a.fr", "role": "owner"}}, 200},
		{"owner steps down, another remains", owner, route{"POST", "/api/sites/a.fr/members", map[string]string{"email": "owner@a.fr", "role": "viewer"}}, 200},
	}
	for _, tt := range tests {
		wantStatus(t, tt.name, tt.c.do(tt.rt.method, tt.rt.path, tt.rt.body), tt.want)
	}
	wantStatus(t, "removed member", w.as(w.outsider).do("GET", "/stats/a.fr", nil), 404)
	r = admin.do("GET", "/api/sites/a.fr/members", nil)
	var list struct {
		Members []struct {
			Email string
			Role  sillage.Role
		}
	}
	r.json(t, &list)
	got := map[string]sillage.Role{}
	for _, m := range list.Members {
		got[m.Email] = m.Role
	}
	want := map[string]sillage.Role{"admin@a.fr": "owner", "new@a.fr": "admin", "owner@a.fr": "viewer", "viewer@a.fr": "admin"}
	if len(got) != len(want) {
		t.Fatalf("members = %s", r)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("members = %s", r)
		}
	}
}

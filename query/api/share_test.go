package api_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/query/api"
)

type linkResp struct {
	ID, Slug, Name string
	HasPassword    bool `json:"has_password"`
}

func TestGoalsAndFunnels(t *testing.T) {
	w := newWorld(t)
	admin, viewer := w.as(w.admin), w.as(w.viewer)
	var ids []string
	for _, body := range []map[string]string{
		{"event_name": "Signup"},
		{"page_path": "/merci/**", "display_name": "Merci"},
		{"event_name": "Purchase", "currency": "EUR"},
	} {
		r := admin.do("POST", "/api/sites/a.fr/goals", body)
		wantStatus(t, "add goal", r, 201)
		var g struct{ ID string }
		r.json(t, &g)
		ids = append(ids, g.ID)
	}
	wantStatus(t, "duplicate goal", admin.do("POST", "/api/sites/a.fr/goals", map[string]string{"event_name": "Signup", "display_name": "x"}), 409)
	wantStatus(t, "both kinds", admin.do("POST", "/api/sites/a.fr/goals", map[string]string{"event_name": "x", "page_path": "/x"}), 400)

	r := viewer.do("GET", "/api/sites/a.fr/goals", nil)
	var goals struct {
		Goals []struct {
			ID          string
			DisplayName string `json:"display_name"`
			PagePath    string `json:"page_path"`
		}
	}
	r.json(t, &goals)
	if len(goals.Goals) != 3 || goals.Goals[0].DisplayName != "Merci" || goals.Goals[0].PagePath != "/merci/**" {
		t.Fatalf("goals = %s", r)
	}

	funnels := []struct {
		name string
		body map[string]any
		want int
	}{
		{"ok", map[string]any{"name": "Achat", "steps": ids, "window_seconds": 3600}, 201},
		{"one step", map[string]any{"name": "x", "steps": ids[:1]}, 400},
		{"another site's goal", map[string]any{"name": "x", "steps": []string{ids[0], "00000000-0000-0000-0000-000000000001"}}, 400},
		{"same name", map[string]any{"name": "achat", "steps": ids[:2]}, 409},
	}
	var funnelID string
	for _, f := range funnels {
		r := admin.do("POST", "/api/sites/a.fr/funnels", f.body)
		wantStatus(t, "funnel "+f.name, r, f.want)
		if f.want == 201 {
			var out struct{ ID string }
			r.json(t, &out)
			funnelID = out.ID
		}
	}
	r = viewer.do("GET", "/api/sites/a.fr/funnels", nil)
	var fl struct {
		Funnels []struct {
			Name          string
			Steps         []string
			WindowSeconds uint32 `json:"window_seconds"`
		}
	}
	if r.json(t, &fl); len(fl.Funnels) != 1 || len(fl.Funnels[0].Steps) != 3 || fl.Funnels[0].WindowSeconds != 3600 {
		t.Fatalf("funnels = %s", r)
	}

	// Ids of one site mean nothing on another.
	b := w.as(w.outsider)
	wantStatus(t, "goal through another site", b.do("DELETE", "/api/sites/b.fr/goals/"+ids[0], nil), 404)
	wantStatus(t, "funnel through another site", b.do("DELETE", "/api/sites/b.fr/funnels/"+funnelID, nil), 404)
	wantStatus(t, "goal in a funnel", admin.do("DELETE", "/api/sites/a.fr/goals/"+ids[0], nil), 409)
	wantStatus(t, "delete funnel", admin.do("DELETE", "/api/sites/a.fr/funnels/"+funnelID, nil), 204)
	wantStatus(t, "delete goal", admin.do("DELETE", "/api/sites/a.fr/goals/"+ids[0], nil), 204)
	wantStatus(t, "delete goal again", admin.do("DELETE", "/api/sites/a.fr/goals/"+ids[0], nil), 404)
	wantStatus(t, "malformed id", admin.do("DELETE", "/api/sites/a.fr/goals/x';DROP", nil), 404)
}

func TestSharedLinks(t *testing.T) {
	w := newWorld(t)
	admin := w.as(w.admin)
	create := func(site string, body map[string]string) linkResp {
		t.Helper()
		c := admin
		if site == "b.fr" {
			c = w.as(w.outsider)
		}
		r := c.do("POST", "/api/sites/"+site+"/shared-links", body)
		wantStatus(t, "create link", r, 201)
		var l linkResp
		r.json(t, &l)
		return l
	}
	open := create("a.fr", map[string]string{"name": "Presse"})
	locked := create("a.fr", map[string]string{"name": "Client", "password": "mot de passe du client"})
	locked2 := create("a.fr", map[string]string{"name": "Autre client", "password": "un autre mot de passe"})
	onB := create("b.fr", map[string]string{})
	if open.HasPassword || !locked.HasPassword || len(open.Slug) < 22 {
		t.Fatalf("links %+v %+v", open, locked)
	}
	r := admin.do("GET", "/api/sites/a.fr/shared-links", nil)
	var list struct {
		SharedLinks []linkResp `json:"shared_links"`
	}
	if r.json(t, &list); len(list.SharedLinks) != 3 {
		t.Fatalf("links = %s", r)
	}

	visitor := func(slug string) *client {
		c := w.client()
		if slug != "" {
			c.header.Set(api.SharedLinkHeader, slug)
		}
		return c
	}
	// An open link reads its site, only its site, and changes nothing.
	r = visitor(open.Slug).do("GET", "/stats/a.fr", nil)
	wantStatus(t, "open link", r, 200)
	var acc struct{ Via, Role, Link string }
	if r.json(t, &acc); acc.Via != "shared link" || acc.Role != "viewer" || acc.Link != open.ID {
		t.Fatalf("access = %s", r)
	}
	reads := []string{"/api/sites/a.fr", "/api/sites/a.fr/goals", "/api/sites/a.fr/funnels", "/api/sites/a.fr/status"}
	for _, p := range reads {
		wantStatus(t, "link reads "+p, visitor(open.Slug).do("GET", p, nil), 200)
	}
	wantStatus(t, "link on another site", visitor(open.Slug).do("GET", "/stats/b.fr", nil), 404)
	wantStatus(t, "b's link on a", visitor(onB.Slug).do("GET", "/stats/a.fr", nil), 404)
	wantStatus(t, "unknown slug", visitor("nope").do("GET", "/stats/a.fr", nil), 401)
	for _, rt := range []route{
		{"PATCH", "/api/sites/a.fr", map[string]int{"retention_days": 1}},
		{"POST", "/api/sites/a.fr/goals", map[string]string{"event_name": "x"}},
		{"GET", "/api/sites/a.fr/members", nil},
		{"GET", "/api/sites/a.fr/shared-links", nil},
		{"GET", "/api/sites", nil},
	} {
		wantStatus(t, "link on "+rt.method+" "+rt.path, visitor(open.Slug).do(rt.method, rt.path, rt.body), 401)
	}

	// A password-protected link needs its cookie.
	v := visitor(locked.Slug)
	wantStatus(t, "locked link without password", v.do("GET", "/stats/a.fr", nil), 401)
	var info struct {
		Domain           string
		PasswordRequired bool `json:"password_required"`
		Authenticated    bool
	}
	r = v.do("GET", "/api/share/"+locked.Slug, nil)
	if r.json(t, &info); !info.PasswordRequired || info.Authenticated || info.Domain != "" {
		t.Fatalf("info before password = %s", r)
	}
	wantStatus(t, "wrong password", v.do("POST", "/api/share/"+locked.Slug+"/auth", map[string]string{"password": "guess"}), 401)
	wantStatus(t, "unknown link auth", v.do("POST", "/api/share/nope/auth", map[string]string{"password": "guess"}), 404)
	r = v.do("POST", "/api/share/"+locked.Slug+"/auth", map[string]string{"password": "mot de passe du client"})
	wantStatus(t, "right password", r, 200)
	ck := r.cookie(api.ShareCookiePrefix + locked.Slug)
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.MaxAge != int(api.ShareCookieLifetime.Seconds()) {
		t.Fatalf("share cookie %+v", ck)
	}
	wantStatus(t, "locked link with cookie", v.do("GET", "/stats/a.fr", nil), 200)
	r = v.do("GET", "/api/share/"+locked.Slug, nil)
	if r.json(t, &info); !info.Authenticated || info.Domain != "a.fr" {
		t.Fatalf("info after password = %s", r)
	}
	cookieOnly := w.client()
	cookieOnly.cookies = v.cookies
	wantStatus(t, "cookie alone", cookieOnly.do("GET", "/stats/a.fr", nil), 200)
	wantStatus(t, "cookie on another site", cookieOnly.do("GET", "/stats/b.fr", nil), 404)

	// The cookie is bound to its link, signed and short-lived.
	forged := visitor(locked.Slug)
	exp := strconv.FormatInt(w.clock.Now().Add(time.Hour).Unix(), 10)
	forged.cookies[api.ShareCookiePrefix+locked.Slug] = &http.Cookie{Name: api.ShareCookiePrefix + locked.Slug, Value: exp + ".AAAA"}
	wantStatus(t, "forged cookie", forged.do("GET", "/stats/a.fr", nil), 401)
	moved := visitor(locked.Slug)
	moved.cookies[api.ShareCookiePrefix+locked.Slug] = &http.Cookie{Name: api.ShareCookiePrefix + locked.Slug, Value: ck.Value}
	wantStatus(t, "cookie moved to another browser still opens (it is the proof)", moved.do("GET", "/stats/a.fr", nil), 200)
	otherLink := visitor(locked2.Slug)
	otherLink.cookies[api.ShareCookiePrefix+locked2.Slug] = &http.Cookie{Name: api.ShareCookiePrefix + locked2.Slug, Value: ck.Value}
	wantStatus(t, "a link's cookie renamed for another link", otherLink.do("GET", "/stats/a.fr", nil), 401)
	w.clock.Advance(api.ShareCookieLifetime + time.Second)
	wantStatus(t, "expired cookie", v.do("GET", "/stats/a.fr", nil), 401)

	// A deleted link opens nothing.
	wantStatus(t, "viewer cannot delete links", w.as(w.viewer).do("DELETE", "/api/sites/a.fr/shared-links/"+open.ID, nil), 403)
	wantStatus(t, "delete link", admin.do("DELETE", "/api/sites/a.fr/shared-links/"+open.ID, nil), 204)
	wantStatus(t, "deleted link", visitor(open.Slug).do("GET", "/stats/a.fr", nil), 401)

	// Password guesses are throttled per address; the link itself is only
	// slowed down, so a stranger's guesses never shut out its visitors.
	auth := func(c *client, pw string) response {
		return c.do("POST", "/api/share/"+locked.Slug+"/auth", map[string]string{"password": pw})
	}
	guesser := w.client()
	guesser.header.Set("X-Forwarded-For", "198.51.100.1")
	for range 5 {
		wantStatus(t, "guess", auth(guesser, "guess"), 401)
	}
	r = auth(guesser, "mot de passe du client")
	wantStatus(t, "guesser throttled", r, 429)
	if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra <= 0 || ra > 900 {
		t.Fatalf("Retry-After = %q", r.header.Get("Retry-After"))
	}
	for i := range 3 {
		c := w.client()
		c.header.Set("X-Forwarded-For", "198.51.100."+strconv.Itoa(10+i))
		wantStatus(t, "guess from elsewhere", auth(c, "guess"), 401)
	}
	client := w.client()
	client.header.Set("X-Forwarded-For", "203.0.113.9")
	wantStatus(t, "the link's visitor after a stranger's guesses", auth(client, "mot de passe du client"), 200)
}

func TestAPIKeys(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	// The owner of a.fr is also a viewer of b.fr; the key only covers a.fr.
	if _, err := w.acc.AddMember(ctx, w.b.ID, w.owner.Email, "viewer"); err != nil {
		t.Fatal(err)
	}
	owner := w.as(w.owner)
	r := owner.do("POST", "/api/keys", map[string]any{"name": "Export", "sites": []string{"a.fr"}})
	wantStatus(t, "create key", r, 201)
	var k struct {
		ID, Name, Prefix, Key string
		Sites                 []string
	}
	r.json(t, &k)
	if len(k.Key) != 60 || k.Prefix != k.Key[:12] || len(k.Sites) != 1 || k.Sites[0] != "a.fr" {
		t.Fatalf("key = %s", r)
	}
	r = owner.do("GET", "/api/keys", nil)
	var list struct {
		Keys []map[string]any
	}
	if r.json(t, &list); len(list.Keys) != 1 || list.Keys[0]["key"] != nil || list.Keys[0]["prefix"] != k.Prefix {
		t.Fatalf("keys = %s", r)
	}
	wantStatus(t, "key for an unknown site", owner.do("POST", "/api/keys", map[string]any{"name": "x", "sites": []string{"c.fr"}}), 404)
	wantStatus(t, "key for a foreign site", w.as(w.viewer).do("POST", "/api/keys", map[string]any{"name": "x", "sites": []string{"b.fr"}}), 404)
	wantStatus(t, "key without sites", owner.do("POST", "/api/keys", map[string]any{"name": "x", "sites": []string{}}), 400)

	prog := w.client()
	prog.bearer = k.Key
	r = prog.do("GET", "/stats/a.fr", nil)
	wantStatus(t, "key reads its site", r, 200)
	var acc struct{ Via, Key, User string }
	if r.json(t, &acc); acc.Via != "api key" || acc.Key != k.ID || acc.User != w.owner.ID {
		t.Fatalf("access = %s", r)
	}
	wantStatus(t, "key reads another site its owner sees", prog.do("GET", "/stats/b.fr", nil), 404)
	wantStatus(t, "key on an unknown site", prog.do("GET", "/stats/nope.fr", nil), 404)
	// A key needs no CSRF token and may come from anywhere; it manages
	// goals as its owner would, and nothing that takes a login.
	prog.header.Set("Sec-Fetch-Site", "cross-site")
	wantStatus(t, "key adds a goal", prog.do("POST", "/api/sites/a.fr/goals", map[string]string{"event_name": "Signup"}), 201)
	for _, rt := range []route{
		{"PATCH", "/api/sites/a.fr", map[string]int{"retention_days": 1}},
		{"DELETE", "/api/sites/a.fr", map[string]string{"confirm": "a.fr"}},
		{"GET", "/api/sites/a.fr/members", nil},
		{"GET", "/api/keys", nil},
		{"POST", "/api/keys", map[string]any{"name": "x", "sites": []string{"a.fr"}}},
		{"GET", "/api/auth/me", nil},
		{"GET", "/api/sites", nil},
	} {
		wantStatus(t, "key on "+rt.method+" "+rt.path, prog.do(rt.method, rt.path, rt.body), 403)
	}
	// A cookie next to a key does not add rights.
	both := w.client()
	both.bearer = k.Key
	both.cookies = owner.cookies
	both.csrf = owner.csrf
	wantStatus(t, "key plus cookie on b", both.do("GET", "/stats/b.fr", nil), 404)

	// A viewer's key reads but does not manage.
	_, viewerKey, err := w.acc.CreateAPIKey(ctx, w.viewer.ID, "v", []uint32{w.a.ID})
	if err != nil {
		t.Fatal(err)
	}
	vk := w.client()
	vk.bearer = viewerKey
	wantStatus(t, "viewer key reads", vk.do("GET", "/api/sites/a.fr/goals", nil), 200)
	wantStatus(t, "viewer key adds a goal", vk.do("POST", "/api/sites/a.fr/goals", map[string]string{"event_name": "x"}), 403)
	// Removing the member disables their keys on that site.
	if err := w.acc.RemoveMember(ctx, w.a.ID, w.viewer.Email); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "removed member's key", vk.do("GET", "/stats/a.fr", nil), 403)

	// Revocation is immediate and only by the key's owner.
	wantStatus(t, "someone else revokes", w.as(w.admin).do("DELETE", "/api/keys/"+k.ID, nil), 404)
	wantStatus(t, "revoke", owner.do("DELETE", "/api/keys/"+k.ID, nil), 204)
	prog.header.Del("Sec-Fetch-Site")
	wantStatus(t, "revoked key", prog.do("GET", "/stats/a.fr", nil), 401)
	if _, err := w.acc.KeyByToken(ctx, k.Key); !errors.Is(err, accounts.ErrBadKey) {
		t.Fatalf("KeyByToken after revoke: %v", err)
	}
}

// TestScrollGoalsAPI: a page goal with scroll_threshold is a scroll-depth
// goal, named as Plausible names it; the threshold is a percentage of a
// page goal, and the same page may be a goal at several thresholds.
func TestScrollGoalsAPI(t *testing.T) {
	w := newWorld(t)
	admin := w.as(w.admin)
	cases := []struct {
		name string
		body map[string]any
		want int
		goal string // display name answered
	}{
		{"scroll goal", map[string]any{"page_path": "/blog/**", "scroll_threshold": 50}, 201, "Scroll 50% on /blog/**"},
		{"same page, another threshold", map[string]any{"page_path": "/blog/**", "scroll_threshold": 90}, 201, "Scroll 90% on /blog/**"},
		{"same page without threshold", map[string]any{"page_path": "/blog/**", "scroll_threshold": -1}, 201, "Visit /blog/**"},
		{"named", map[string]any{"page_path": "/prix", "scroll_threshold": 75, "display_name": "Lu les prix"}, 201, "Lu les prix"},
		{"same threshold twice", map[string]any{"page_path": "/blog/**", "scroll_threshold": 50, "display_name": "Other"}, 409, ""},
		{"above 100", map[string]any{"page_path": "/x", "scroll_threshold": 101}, 400, ""},
		{"below -1", map[string]any{"page_path": "/x", "scroll_threshold": -2}, 400, ""},
		{"on an event goal", map[string]any{"event_name": "Signup", "scroll_threshold": 50}, 400, ""},
	}
	for _, c := range cases {
		r := admin.do("POST", "/api/sites/a.fr/goals", c.body)
		wantStatus(t, c.name, r, c.want)
		if c.want == 201 {
			var g struct {
				DisplayName     string `json:"display_name"`
				ScrollThreshold int    `json:"scroll_threshold"`
			}
			r.json(t, &g)
			if g.DisplayName != c.goal || g.ScrollThreshold != max(c.body["scroll_threshold"].(int), 0) {
				t.Errorf("%s: got %s", c.name, r)
			}
		}
	}
	var list struct {
		Goals []struct {
			DisplayName     string `json:"display_name"`
			ScrollThreshold int    `json:"scroll_threshold"`
		}
	}
	admin.do("GET", "/api/sites/a.fr/goals", nil).json(t, &list)
	var got []string
	for _, g := range list.Goals {
		got = append(got, fmt.Sprintf("%s=%d", g.DisplayName, g.ScrollThreshold))
	}
	if want := "Lu les prix=75 Scroll 50% on /blog/**=50 Scroll 90% on /blog/**=90 Visit /blog/**=0"; strings.Join(got, " ") != want {
		t.Errorf("goals %v, want %s", got, want)
	}
}

package api_test

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/query/api"
)

func TestSetup(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// A site added from the command line before anyone logged in.
	cli, err := e.acc.AddOwnerlessSite(ctx, "cli.fr", "Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	c := e.client()
	var needed map[string]bool
	r := c.do("GET", "/api/auth/setup", nil)
	wantStatus(t, "setup needed", r, 200)
	if r.json(t, &needed); !needed["needed"] {
		t.Fatalf("needed = %s", r)
	}
	wantStatus(t, "unknown field", c.do("POST", "/api/auth/setup", `{"email":"a@b.fr","password":"long enough pass","admin":true}`), 400)
	wantStatus(t, "short password", c.do("POST", "/api/auth/setup", map[string]string{"email": "a@b.fr", "password": "short"}), 400)

	r = c.do("POST", "/api/auth/setup", map[string]string{"email": "First@Example.fr", "password": password})
	wantStatus(t, "setup", r, 201)
	var s struct {
		User      struct{ ID, Email string }
		CSRFToken string `json:"csrf_token"`
	}
	r.json(t, &s)
	if s.User.Email != "first@example.fr" || s.CSRFToken == "" || r.cookie(api.SessionCookie) == nil {
		t.Fatalf("setup answer %s, cookies %v", r, r.header["Set-Cookie"])
	}
	c.csrf = s.CSRFToken
	wantStatus(t, "me after setup", c.do("GET", "/api/auth/me", nil), 200)

	// The first account owns the command line's site.
	var sites struct {
		Sites []struct {
			ID     uint32
			Domain string
			Role   string
		}
	}
	r = c.do("GET", "/api/sites", nil)
	wantStatus(t, "sites", r, 200)
	if r.json(t, &sites); len(sites.Sites) != 1 || sites.Sites[0].ID != cli.ID || sites.Sites[0].Role != "owner" {
		t.Fatalf("sites after setup = %s", r)
	}

	r = c.do("GET", "/api/auth/setup", nil)
	if r.json(t, &needed); needed["needed"] {
		t.Fatalf("setup still needed: %s", r)
	}
	for _, who := range []*client{e.client(), c} {
		wantStatus(t, "second setup", who.do("POST", "/api/auth/setup", map[string]string{"email": "evil@example.fr", "password": password}), 403)
	}
	if _, err := e.acc.UserByEmail(ctx, "evil@example.fr"); err == nil {
		t.Fatal("a refused setup created an account")
	}
}

func TestLoginLogout(t *testing.T) {
	e := newEnv(t)
	u := e.user("claire@example.fr")
	c := e.client()
	wantStatus(t, "wrong password", c.login("claire@example.fr", "wrong password!"), 401)
	wantStatus(t, "unknown account", c.login("nobody@example.fr", password), 401)
	wantStatus(t, "empty", c.login("", ""), 400)

	r := c.login(" Claire@Example.FR ", password)
	wantStatus(t, "login", r, 200)
	ck := r.cookie(api.SessionCookie)
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure ||
		ck.MaxAge != int(accounts.SessionLifetime.Seconds()) || len(ck.Value) < 43 {
		t.Fatalf("session cookie %+v", ck)
	}
	var me struct {
		User      struct{ ID, Email string }
		CSRFToken string `json:"csrf_token"`
	}
	r = c.do("GET", "/api/auth/me", nil)
	wantStatus(t, "me", r, 200)
	if r.json(t, &me); me.User.ID != u.ID || me.User.Email != u.Email || me.CSRFToken != c.csrf {
		t.Fatalf("me = %s", r)
	}

	// A second login is a second session with its own token.
	other := e.client()
	wantStatus(t, "second login", other.login("claire@example.fr", password), 200)
	if other.cookies[api.SessionCookie].Value == c.cookies[api.SessionCookie].Value || other.csrf == c.csrf {
		t.Fatal("two logins share a token")
	}

	old := *c.cookies[api.SessionCookie]
	csrf := c.csrf
	c.csrf = ""
	wantStatus(t, "logout without CSRF token", c.do("POST", "/api/auth/logout", nil), 403)
	c.csrf = csrf
	r = c.do("POST", "/api/auth/logout", nil)
	wantStatus(t, "logout", r, 204)
	if ck := r.cookie(api.SessionCookie); ck == nil || ck.MaxAge >= 0 {
		t.Fatalf("logout does not clear the cookie: %v", r.header["Set-Cookie"])
	}
	replay := e.client()
	replay.cookies[api.SessionCookie] = &old
	wantStatus(t, "old cookie after logout", replay.do("GET", "/api/auth/me", nil), 401)
	wantStatus(t, "other session survives", other.do("GET", "/api/auth/me", nil), 200)

	// Logging in again over a live session replaces it.
	prev := *other.cookies[api.SessionCookie]
	wantStatus(t, "login over a session", other.login("claire@example.fr", password), 200)
	replay.cookies[api.SessionCookie] = &prev
	wantStatus(t, "session replaced by a new login", replay.do("GET", "/api/auth/me", nil), 401)
}

func TestSessionExpiry(t *testing.T) {
	e := newEnv(t)
	c := e.as(e.user("claire@example.fr"))
	e.clock.Advance(accounts.SessionLifetime + time.Second)
	wantStatus(t, "after 30 days", c.do("GET", "/api/auth/me", nil), 401)
}

func TestSecureCookie(t *testing.T) {
	e := newEnv(t)
	e.user("claire@example.fr")
	proxy := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	tests := []struct {
		name     string
		opts     api.Options
		remote   string
		tls      bool
		proto    string
		wantSafe bool
	}{
		{"plain HTTP", api.Options{}, "192.0.2.1:5000", false, "", false},
		{"option", api.Options{SecureCookies: true}, "192.0.2.1:5000", false, "", true},
		{"TLS", api.Options{}, "192.0.2.1:5000", true, "", true},
		{"trusted proxy says https", api.Options{TrustedProxies: proxy}, "10.1.2.3:5000", false, "https", true},
		{"untrusted peer says https", api.Options{TrustedProxies: proxy}, "192.0.2.1:5000", false, "https", false},
		{"trusted proxy says http", api.Options{TrustedProxies: proxy}, "10.1.2.3:5000", false, "http", false},
	}
	for _, tt := range tests {
		o := tt.opts
		o.Accounts, o.Now, o.Secret = e.acc, e.clock.Now, []byte("a test secret of thirty-two bytes")
		h := api.New(o).Handler()
		req := httptest.NewRequest("POST", "/api/auth/login", strings.NewReader(`{"email":"claire@example.fr","password":"`+password+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.RemoteAddr = tt.remote
		if tt.tls {
			req.TLS = &tls.ConnectionState{}
		}
		if tt.proto != "" {
			req.Header.Set("X-Forwarded-Proto", tt.proto)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		r := response{rec.Code, rec.Header(), rec.Body.Bytes()}
		wantStatus(t, tt.name, r, 200)
		if ck := r.cookie(api.SessionCookie); ck == nil || ck.Secure != tt.wantSafe {
			t.Errorf("%s: cookie %+v, want Secure=%v", tt.name, ck, tt.wantSafe)
		}
	}
}

func TestLoginThrottle(t *testing.T) {
	e := newEnv(t)
	e.user("claire@example.fr")
	from := func(ip string) *client {
		c := e.client()
		c.header.Set("X-Forwarded-For", ip)
		return c
	}
	wantRetryAfter := func(name string, r response) {
		t.Helper()
		wantStatus(t, name, r, 429)
		if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra <= 0 || ra > 900 {
			t.Fatalf("%s: Retry-After = %q", name, r.header.Get("Retry-After"))
		}
	}

	// A stranger's six wrong passwords throttle the stranger's address,
	// not the account: its owner logs in from elsewhere.
	stranger := from("198.51.100.1")
	for range 5 {
		wantStatus(t, "stranger's failure", stranger.login("claire@example.fr", "wrong password"), 401)
	}
	wantRetryAfter("stranger's sixth attempt", stranger.login("claire@example.fr", "wrong password"))
	wantRetryAfter("stranger with the right password", stranger.login("claire@example.fr", password))
	wantStatus(t, "owner from another address", from("203.0.113.9").login("claire@example.fr", password), 200)

	// A botnet: one failure from each of many addresses still lets the
	// owner in from a fresh one (slowed down, not refused).
	for i := range 3 {
		wantStatus(t, "botnet failure", from("198.51.100."+strconv.Itoa(10+i)).login("claire@example.fr", "wrong password"), 401)
	}
	e.slowedBy()
	wantStatus(t, "owner during a spray", from("203.0.113.10").login("claire@example.fr", password), 200)
	if w := e.slowedBy(); len(w) != 1 || w[0] <= 0 {
		t.Fatalf("owner during a spray: slowed down by %v, want one positive delay", w)
	}

	// The stranger's address waits out the window, then may try again.
	e.clock.Advance(15 * time.Minute)
	wantStatus(t, "stranger after the window", stranger.login("claire@example.fr", "wrong password"), 401)

	// Per network: five failures over five accounts throttle the whole
	// IPv6 /64, not the others.
	attacker := from("2001:db8:1:2::7")
	for i := range 5 {
		wantStatus(t, "spray", attacker.login("user"+strconv.Itoa(i)+"@example.fr", "guess guess"), 401)
	}
	wantRetryAfter("spray, same /64", from("2001:db8:1:2::8").login("claire@example.fr", password))
	wantStatus(t, "another network", from("2001:db8:1:3::7").login("claire@example.fr", password), 200)

	// Successes do not count against a network.
	for range 8 {
		wantStatus(t, "repeated success", from("192.0.2.2").login("claire@example.fr", password), 200)
	}
}

func TestChangePassword(t *testing.T) {
	e := newEnv(t)
	u := e.user("claire@example.fr")
	c := e.client()
	wantStatus(t, "login", c.login(u.Email, password), 200)
	elsewhere := e.as(u)
	body := func(cur, next string) map[string]string { return map[string]string{"current": cur, "new": next} }

	wantStatus(t, "wrong current", c.do("POST", "/api/auth/password", body("not it at all", "brand new password")), 403)
	wantStatus(t, "too short", c.do("POST", "/api/auth/password", body(password, "short")), 400)
	wantStatus(t, "not logged in", e.client().do("POST", "/api/auth/password", body(password, "brand new password")), 401)
	noToken := e.client()
	noToken.cookies = c.cookies
	wantStatus(t, "no CSRF token", noToken.do("POST", "/api/auth/password", body(password, "brand new password")), 403)
	oldCSRF := c.csrf
	r := c.do("POST", "/api/auth/password", body(password, "brand new password"))
	wantStatus(t, "change", r, 200)
	var s struct {
		CSRFToken string `json:"csrf_token"`
	}
	r.json(t, &s)
	if s.CSRFToken == oldCSRF || r.cookie(api.SessionCookie) == nil {
		t.Fatalf("no new session after a password change: %s", r)
	}
	c.csrf = s.CSRFToken
	wantStatus(t, "this browser stays logged in", c.do("GET", "/api/auth/me", nil), 200)
	wantStatus(t, "other sessions end", elsewhere.do("GET", "/api/auth/me", nil), 401)
	wantStatus(t, "old password", e.client().login(u.Email, password), 401)
	wantStatus(t, "new password", e.client().login(u.Email, "brand new password"), 200)

	// Guessing the current password is throttled too.
	for range 5 {
		wantStatus(t, "guess", c.do("POST", "/api/auth/password", body("guess guess", "another new password")), 403)
	}
	wantStatus(t, "throttled", c.do("POST", "/api/auth/password", body("brand new password", "another new password")), 429)
}

func TestCSRFAndCrossOrigin(t *testing.T) {
	w := newWorld(t)
	owner := w.as(w.owner)
	other := w.as(w.outsider)
	goal := map[string]string{"event_name": "Signup"}
	tests := []struct {
		name   string
		csrf   string
		header map[string]string
		want   int
	}{
		{"no token", "", nil, 403},
		{"wrong token", "AAAA", nil, 403},
		{"another session's token", other.csrf, nil, 403},
		{"cross-site, right token", owner.csrf, map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"same-site subdomain, right token", owner.csrf, map[string]string{"Sec-Fetch-Site": "same-site"}, 403},
		{"foreign Origin, right token", owner.csrf, map[string]string{"Origin": "https://evil.example"}, 403},
		{"same-origin, right token", owner.csrf, map[string]string{"Sec-Fetch-Site": "same-origin"}, 201},
	}
	for _, tt := range tests {
		c := w.client()
		c.cookies = owner.cookies
		c.csrf = tt.csrf
		for k, v := range tt.header {
			c.header.Set(k, v)
		}
		goal["event_name"] = "Signup " + tt.name
		wantStatus(t, tt.name, c.do("POST", "/api/sites/a.fr/goals", goal), tt.want)
	}
	// Reads need no token.
	c := w.client()
	c.cookies = owner.cookies
	wantStatus(t, "GET without token", c.do("GET", "/api/sites/a.fr/goals", nil), 200)

	// Login CSRF: another site cannot log a browser in.
	evil := w.client()
	evil.header.Set("Sec-Fetch-Site", "cross-site")
	wantStatus(t, "cross-site login", evil.login("owner@a.fr", password), 403)
}

func TestRequestBodies(t *testing.T) {
	w := newWorld(t)
	c := w.as(w.owner)
	tests := []struct {
		name        string
		body        string
		contentType string
		want        int
	}{
		{"ok", `{"event_name":"Signup"}`, "application/json", 201},
		{"charset is fine", `{"event_name":"Other"}`, "application/json; charset=utf-8", 201},
		{"unknown field", `{"event_name":"x","id":"y"}`, "application/json", 400},
		{"two objects", `{"event_name":"x"}{"event_name":"y"}`, "application/json", 400},
		{"not JSON", `event_name=x`, "application/json", 400},
		{"wrong type", `{"event_name":5}`, "application/json", 400},
		{"form", `event_name=x`, "application/x-www-form-urlencoded", 415},
		{"text", `{"event_name":"x"}`, "text/plain", 415},
		{"too big", `{"event_name":"` + strings.Repeat("x", 70_000) + `"}`, "application/json", 413},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest("POST", w.srv.URL+"/api/sites/a.fr/goals", strings.NewReader(tt.body))
		req.Header.Set("Content-Type", tt.contentType)
		req.Header.Set(api.CSRFHeader, c.csrf)
		req.AddCookie(c.cookies[api.SessionCookie])
		resp, err := w.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		r := response{resp.StatusCode, resp.Header, b}
		wantStatus(t, tt.name, r, tt.want)
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s: Content-Type %q", tt.name, ct)
		}
		if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: headers %v", tt.name, resp.Header)
		}
	}
}

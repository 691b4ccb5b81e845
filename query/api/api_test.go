package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/accounts/accountstest"
	"github.com/sillage-analytics/sillage/query/api"
	"github.com/sillage-analytics/sillage/store/storetest"
)

func TestMain(m *testing.M) {
	accountstest.CheapPasswordHashing()
	storetest.Main(m)
}

const password = "correct horse battery"

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is an API on a fresh database, served over HTTP together with a
// stand-in for the stats endpoint that calls Authorize.
type env struct {
	t     *testing.T
	acc   *accounts.Service
	api   *api.API
	srv   *httptest.Server
	clock *clock

	mu    sync.Mutex
	waits []time.Duration // the slowdowns of guesses, recorded rather than slept
}

// slowedBy returns the slowdowns recorded since the last call.
func (e *env) slowedBy() []time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	w := e.waits
	e.waits = nil
	return w
}

func newEnv(t *testing.T) *env {
	t.Helper()
	eng := storetest.Migrated(t)
	// Near the real time: the engine expires login sessions by its own clock.
	c := &clock{t: time.Now().UTC().Truncate(time.Second)}
	e := &env{t: t, acc: &accounts.Service{Engine: eng, Now: c.Now}, clock: c}
	e.serve(api.Options{})
	return e
}

// serve builds the API from o, the env's accounts, clock and test settings
// filling what o leaves out, and serves it in place of the one before.
func (e *env) serve(o api.Options) {
	e.t.Helper()
	if o.Accounts == nil {
		o.Accounts = e.acc
	}
	if o.Engine == nil {
		o.Engine = o.Accounts.Engine
	}
	o.Secret, o.Now, o.Logger = []byte("a test secret of thirty-two bytes"), e.clock.Now, slog.New(slog.DiscardHandler)
	// The tests pose as clients at many addresses through X-Forwarded-For.
	o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}
	a := api.New(o)
	api.SetWait(a, func(ctx context.Context, d time.Duration) error {
		e.mu.Lock()
		e.waits = append(e.waits, d)
		e.mu.Unlock()
		return ctx.Err()
	})
	mux := http.NewServeMux()
	mux.Handle("/api/", a.Handler())
	mux.HandleFunc("GET /stats/{domain}", func(w http.ResponseWriter, r *http.Request) {
		site, acc, err := a.Authorize(r, r.PathValue("domain"))
		if err != nil {
			api.WriteError(w, nil, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"domain": site.Domain, "via": acc.Via.String(), "role": acc.Role,
			"user": acc.UserID, "key": acc.APIKeyID, "link": acc.SharedLinkID, "manage": acc.CanManage()})
	})
	if e.srv != nil {
		e.srv.Close()
	}
	e.srv, e.api = httptest.NewServer(mux), a
	e.t.Cleanup(e.srv.Close)
}

// client is one browser or program: its cookies, CSRF token, API key and
// extra headers.
type client struct {
	e       *env
	cookies map[string]*http.Cookie
	csrf    string
	bearer  string
	header  http.Header
}

func (e *env) client() *client {
	return &client{e: e, cookies: map[string]*http.Cookie{}, header: http.Header{}}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r response) cookie(name string) *http.Cookie {
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func (r response) String() string { return string(r.body) }

// do sends a request; a non-nil body is sent as JSON (a string as is).
func (c *client) do(method, path string, body any) response {
	c.e.t.Helper()
	var rd io.Reader
	if body != nil {
		if s, ok := body.(string); ok {
			rd = strings.NewReader(s)
		} else {
			b, err := json.Marshal(body)
			if err != nil {
				c.e.t.Fatal(err)
			}
			rd = bytes.NewReader(b)
		}
	}
	req, err := http.NewRequest(method, c.e.srv.URL+path, rd)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	if c.csrf != "" {
		req.Header.Set(api.CSRFHeader, c.csrf)
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	resp, err := c.e.srv.Client().Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	for _, ck := range resp.Cookies() {
		if ck.MaxAge < 0 {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = &http.Cookie{Name: ck.Name, Value: ck.Value}
		}
	}
	return response{resp.StatusCode, resp.Header, b}
}

// login logs in through the API and keeps the CSRF token.
func (c *client) login(email, pw string) response {
	c.e.t.Helper()
	r := c.do("POST", "/api/auth/login", map[string]string{"email": email, "password": pw})
	if r.status == http.StatusOK {
		var s struct {
			CSRFToken string `json:"csrf_token"`
		}
		r.json(c.e.t, &s)
		c.csrf = s.CSRFToken
	}
	return r
}

// as returns a logged-in client for an existing account, with a session
// made directly (no password hashing: argon2id is slow under -race).
func (e *env) as(u sillage.User) *client {
	e.t.Helper()
	token, _, err := e.acc.CreateSession(context.Background(), u.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	c := e.client()
	c.cookies[api.SessionCookie] = &http.Cookie{Name: api.SessionCookie, Value: token}
	r := c.do("GET", "/api/auth/me", nil)
	if r.status != http.StatusOK {
		e.t.Fatalf("me: %d %s", r.status, r)
	}
	var s struct {
		CSRFToken string `json:"csrf_token"`
	}
	r.json(e.t, &s)
	c.csrf = s.CSRFToken
	return c
}

func (e *env) user(email string) sillage.User {
	e.t.Helper()
	u, err := e.acc.AddUser(context.Background(), email, password)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// world is two sites and a member of each role:
// a.fr: owner, admin, viewer; b.fr: outsider (owner).
type world struct {
	*env
	owner, admin, viewer, outsider sillage.User
	a, b                           sillage.Site
}

func newWorld(t *testing.T) *world {
	t.Helper()
	e := newEnv(t)
	w := &world{env: e}
	ctx := context.Background()
	w.owner, w.admin, w.viewer, w.outsider = e.user("owner@a.fr"), e.user("admin@a.fr"), e.user("viewer@a.fr"), e.user("owner@b.fr")
	var err error
	if w.a, err = e.acc.AddSiteWithOwner(ctx, w.owner.ID, "a.fr", "Europe/Paris"); err != nil {
		t.Fatal(err)
	}
	if w.b, err = e.acc.AddSiteWithOwner(ctx, w.outsider.ID, "b.fr", "Europe/Paris"); err != nil {
		t.Fatal(err)
	}
	for _, m := range []struct {
		u    sillage.User
		role sillage.Role
	}{{w.admin, sillage.RoleAdmin}, {w.viewer, sillage.RoleViewer}} {
		if _, err := e.acc.AddMember(ctx, w.a.ID, m.u.Email, m.role); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func wantStatus(t *testing.T, what string, r response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("%s: status %d (%s), want %d", what, r.status, strings.TrimSpace(r.String()), want)
	}
	if r.status >= 400 {
		var e struct {
			Error string `json:"error"`
		}
		if err := json.Unmarshal(r.body, &e); err != nil || e.Error == "" {
			t.Fatalf("%s: error body %q is not {\"error\": ...}", what, r.body)
		}
	}
}

package query

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/dashboard"
	"github.com/sillage-analytics/sillage/query/admit"
	"github.com/sillage-analytics/sillage/query/api"
	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/storetest"
)

// fairEnv is a query service on a fresh database with one site, its
// owner's login session and a shared link, and no events: these tests
// are about who waits for whom, not about numbers.
type fairEnv struct {
	eng     store.Engine
	srv     *Server
	http    *httptest.Server
	session string // the owner's session token
	link    string // a shared link's slug
	acc     *accounts.Service
	userID  string // the owner's
	siteID  uint32
}

func newFairEnv(t *testing.T, o Options) *fairEnv {
	t.Helper()
	ctx := context.Background()
	eng := storetest.Migrated(t)
	acc := accounts.New(eng)
	u, err := acc.AddUser(ctx, "owner@example.fr", "long enough password")
	if err != nil {
		t.Fatal(err)
	}
	site, err := acc.AddSiteWithOwner(ctx, u.ID, "boutique.fr", "Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := acc.CreateSession(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	link, err := acc.AddSharedLink(ctx, site.ID, "public", "")
	if err != nil {
		t.Fatal(err)
	}
	dist, _ := fs.Sub(dashboard.Dist, "dist")
	o.Engine, o.Accounts, o.Dashboard = eng, acc, dist
	o.API = api.New(api.Options{Accounts: acc, Engine: eng, Secret: bytes.Repeat([]byte("k"), 32), Logger: slog.New(slog.DiscardHandler)})
	o.Logger = slog.New(slog.DiscardHandler)
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &fairEnv{eng: eng, srv: s, http: srv, session: token, link: link.Slug, acc: acc, userID: u.ID, siteID: site.ID}
}

// do sends a request as the owner (via "session"), as a visitor of the
// shared link (via "link") or of another ("link:<slug>"), or with an API
// key ("key:<secret>").
func (f *fairEnv) do(t *testing.T, via, method, path, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, f.http.URL+path, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	switch via {
	case "session":
		req.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: f.session})
	case "link":
		req.Header.Set(api.SharedLinkHeader, f.link)
	default:
		if slug, ok := strings.CutPrefix(via, "link:"); ok {
			req.Header.Set(api.SharedLinkHeader, slug)
		} else if key, ok := strings.CutPrefix(via, "key:"); ok {
			req.Header.Set("Authorization", "Bearer "+key)
		}
	}
	resp, err := f.http.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// A logged-in user's GET /api/auth/me is answered while a long stats
// statement runs on the same embedded engine.
func TestMeDoesNotWaitForStats(t *testing.T) {
	f := newFairEnv(t, Options{})
	done := storetest.StartSlowStats(t, f.eng, 1)
	resp, body := f.do(t, "session", "GET", "/api/auth/me", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("me: %d %s", resp.StatusCode, body)
	}
	storetest.StillRunning(t, done, "GET /api/auth/me")
}

// A shared link that spent its engine time is refused with 429, a
// Retry-After and a JSON error, on every stats endpoint, while the site's
// member is still served.
func TestCallerOverLimitGets429(t *testing.T) {
	// A millisecond a minute: one query spends it all.
	reg := prometheus.NewRegistry()
	f := newFairEnv(t, Options{Registerer: reg, Limits: Limits{SharedLink: admit.Limit{Concurrent: 1, Queue: 4, Budget: time.Millisecond}}})
	const q = `{"site_id":"boutique.fr","metrics":["visitors"],"date_range":"7d"}`
	resp, body := f.do(t, "link", "POST", "/api/v2/query", q)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("first query through the link: %d %s", resp.StatusCode, body)
	}
	spent := []struct{ method, path, body string }{
		{"POST", "/api/v2/query", q},
		{"GET", "/api/v1/stats/realtime/visitors?site_id=boutique.fr", ""},
		{"GET", "/api/sites/boutique.fr/export", ""},
		// The live view and the property names read the engine too.
		{"GET", "/api/sites/boutique.fr/live", ""},
		{"GET", "/api/sites/boutique.fr/props", ""},
	}
	for _, r := range spent {
		resp, body := f.do(t, "link", r.method, r.path, r.body)
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("%s %s through the spent link: %d %s", r.method, r.path, resp.StatusCode, body)
		}
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || secs < 1 {
			t.Errorf("%s: Retry-After %q, want whole seconds", r.path, resp.Header.Get("Retry-After"))
		}
		var e struct {
			Error string `json:"error"`
		}
		if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
			t.Errorf("%s: body %s, want {\"error\": …}", r.path, body)
		}
	}
	resp, body = f.do(t, "session", "POST", "/api/v2/query", q)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the member meanwhile: %d %s", resp.StatusCode, body)
	}
	// The first refusal looked the link up; the next ones were recalled by
	// the request's credentials, before any statement.
	if got := refused(t, reg, "shared_link", admit.ReasonBudget); got != 1 {
		t.Errorf("budget refusals of the link: %v, want 1", got)
	}
	if got := refused(t, reg, "recalled", admit.ReasonRecalled); got != float64(len(spent)-1) {
		t.Errorf("recalled refusals: %v, want %d", got, len(spent)-1)
	}
	// The budget is the link's, whatever else the request carries.
	req, _ := http.NewRequest("POST", f.http.URL+"/api/v2/query", strings.NewReader(q))
	req.Header.Set(api.SharedLinkHeader, f.link)
	req.AddCookie(&http.Cookie{Name: "unrelated", Value: "x"})
	other, err := f.http.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	other.Body.Close()
	if other.StatusCode != http.StatusTooManyRequests || refused(t, reg, "shared_link", admit.ReasonBudget) != 2 {
		t.Errorf("the spent link with another cookie: %d, want 429 after looking the link up", other.StatusCode)
	}
}

// A report's preview runs a report's statements (a comparison and top
// lists over a month): a member who spent their engine time waits for it
// like any stats query.
func TestReportPreviewIsAdmitted(t *testing.T) {
	f := newFairEnv(t, Options{Registerer: prometheus.NewRegistry(), Limits: Limits{Member: admit.Limit{Concurrent: 1, Queue: 4, Budget: time.Millisecond}}})
	const q = `{"site_id":"boutique.fr","metrics":["visitors"],"date_range":"7d"}`
	if resp, body := f.do(t, "session", "POST", "/api/v2/query", q); resp.StatusCode != http.StatusOK {
		t.Fatalf("first query: %d %s", resp.StatusCode, body)
	}
	if resp, body := f.do(t, "session", "GET", "/api/sites/boutique.fr/reports/preview?kind=monthly", ""); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a preview past the member's budget: %d %s, want 429", resp.StatusCode, body)
	}
}

// refused reads sillage_stats_refused_total for a kind of caller and a
// reason.
func refused(t *testing.T, reg *prometheus.Registry, caller, reason string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "sillage_stats_refused_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["caller"] == caller && labels["reason"] == reason {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// One account's API keys share one allowance, and one site's shared links
// another: making more keys or links does not multiply a tenant's share
// of the stats lane.
func TestKeysShareTheirOwnersLimitLinksTheirSites(t *testing.T) {
	reg := prometheus.NewRegistry()
	spent := admit.Limit{Concurrent: 1, Queue: 4, Budget: time.Millisecond}
	f := newFairEnv(t, Options{Registerer: reg, Limits: Limits{APIKey: spent, SharedLink: spent}})
	ctx := t.Context()
	const q = `{"site_id":"boutique.fr","metrics":["visitors"],"date_range":"7d"}`
	var keys []string
	for _, name := range []string{"first", "second"} {
		_, secret, err := f.acc.CreateAPIKey(ctx, f.userID, name, []uint32{f.siteID})
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, secret)
	}
	second, err := f.acc.AddSharedLink(ctx, f.siteID, "another", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ first, next, kind string }{
		{"key:" + keys[0], "key:" + keys[1], "api_key"},
		{"link", "link:" + second.Slug, "shared_link"},
	} {
		if resp, body := f.do(t, c.first, "POST", "/api/v2/query", q); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: first query: %d %s", c.kind, resp.StatusCode, body)
		}
		resp, body := f.do(t, c.next, "POST", "/api/v2/query", q)
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("%s: a second one of the same tenant after the first spent the budget: %d %s, want 429", c.kind, resp.StatusCode, body)
		}
		if got := refused(t, reg, c.kind, admit.ReasonBudget); got != 1 {
			t.Errorf("%s: budget refusals %v, want 1", c.kind, got)
		}
	}
	// The member's own allowance is apart from their keys'.
	if resp, body := f.do(t, "session", "POST", "/api/v2/query", q); resp.StatusCode != http.StatusOK {
		t.Fatalf("the member meanwhile: %d %s", resp.StatusCode, body)
	}
}

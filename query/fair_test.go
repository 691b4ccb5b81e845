package query

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/dashboard"
	"github.com/sillage-analytics/sillage/query/api"
	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/storetest"
)

// fairEnv is a query service on a fresh database with one site, its
// owner's login session and a shared link, and no events: these tests
// are about who waits for whom, not about numbers.
type fairEnv struct {
	eng     store.Engine
	srv     *httptest.Server
	session string // the owner's session token
	link    string // a shared link's slug
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
	return &fairEnv{eng: eng, srv: srv, session: token, link: link.Slug}
}

// as sends a request as the owner (via "session") or as a visitor of the
// shared link (via "link").
func (f *fairEnv) do(t *testing.T, via, method, path, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	switch via {
	case "session":
		req.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: f.session})
	case "link":
		req.Header.Set(api.SharedLinkHeader, f.link)
	}
	resp, err := f.srv.Client().Do(req)
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

var _ = sillage.Site{}

package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/query/api"
	"github.com/sillage-analytics/sillage/store"
)

// countingEngine counts the statements that reach the engine.
type countingEngine struct {
	store.Engine
	n atomic.Int64
}

func (c *countingEngine) Exec(ctx context.Context, q string, p store.Params) error {
	c.n.Add(1)
	return c.Engine.Exec(ctx, q, p)
}

func (c *countingEngine) Query(ctx context.Context, q string, p store.Params) (store.Rows, error) {
	c.n.Add(1)
	return c.Engine.Query(ctx, q, p)
}

// countingWorld is a world whose API counts the statements it runs and
// believes X-Forwarded-For from the test client, so each request can come
// from another network.
func countingWorld(t *testing.T) (*world, *countingEngine) {
	w := newWorld(t)
	eng := &countingEngine{Engine: w.acc.Engine}
	w.serve(api.Options{Accounts: &accounts.Service{Engine: eng, Now: w.clock.Now}})
	return w, eng
}

// A network that keeps presenting unknown credentials (a made-up session
// cookie, API key or shared link) is refused with 429 before any
// statement, since each look-up takes the engine's interactive connection;
// other networks, and valid credentials, are served as before.
func TestUnknownCredentialsThrottled(t *testing.T) {
	w, eng := countingWorld(t)

	from := func(ip string) *client {
		c := w.client()
		c.header.Set("X-Forwarded-For", ip)
		return c
	}
	n := 0
	madeUp := func(c *client, kind string) *client {
		n++
		switch kind {
		case "cookie":
			c.cookies[api.SessionCookie] = &http.Cookie{Name: api.SessionCookie, Value: fmt.Sprintf("made-up-session-%d", n)}
		case "key":
			c.bearer = accounts.APIKeyPrefix + strings.Repeat("a", 48) + fmt.Sprintf("%04d", n)
		case "link":
			c.header.Set(api.SharedLinkHeader, fmt.Sprintf("made-up-link-%d", n))
		}
		return c
	}
	kinds := []string{"cookie", "key", "link"}
	// A browser whose session expired sends its stale cookie again and
	// again: it costs one look-up and counts once.
	stale := madeUp(from("192.0.2.44"), "cookie")
	wantStatus(t, "a stale cookie", stale.do("GET", "/stats/a.fr", nil), 401)
	before := eng.n.Load()
	for range 2 * api.UnknownCredentialLimit {
		wantStatus(t, "the stale cookie again", stale.do("GET", "/stats/a.fr", nil), 401)
	}
	if got := eng.n.Load() - before; got != 0 {
		t.Fatalf("the stale cookie again ran %d statements, want none", got)
	}
	wantStatus(t, "another unknown cookie of that network", madeUp(from("192.0.2.44"), "cookie").do("GET", "/stats/a.fr", nil), 401)
	const flood = "198.51.100.7"
	// Valid callers of the same network are not counted.
	owner := w.as(w.owner)
	owner.header.Set("X-Forwarded-For", flood)
	for range api.UnknownCredentialLimit + 1 {
		wantStatus(t, "the owner", owner.do("GET", "/stats/a.fr", nil), 200)
	}
	for i := range api.UnknownCredentialLimit {
		wantStatus(t, "an unknown credential", madeUp(from(flood), kinds[i%3]).do("GET", "/stats/a.fr", nil), 401)
	}
	for _, kind := range kinds {
		paths := []string{"/stats/a.fr", "/api/auth/me"}
		if kind == "link" {
			paths = paths[:1] // the routes of accounts do not look at links
		}
		for _, path := range paths {
			before := eng.n.Load()
			r := madeUp(from(flood), kind).do("GET", path, nil)
			wantStatus(t, "one more "+kind+" on "+path, r, 429)
			if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra <= 0 {
				t.Fatalf("Retry-After = %q", r.header.Get("Retry-After"))
			}
			if got := eng.n.Load() - before; got != 0 {
				t.Fatalf("one more %s on %s ran %d statements, want none", kind, path, got)
			}
		}
	}
	wantStatus(t, "an unknown shared link's page", from(flood).do("GET", "/api/share/made-up-link", nil), 429)
	// Another network is served.
	wantStatus(t, "an unknown credential from elsewhere", madeUp(from("203.0.113.8"), "cookie").do("GET", "/stats/a.fr", nil), 401)
	viewer := w.as(w.viewer)
	viewer.header.Set("X-Forwarded-For", "203.0.113.8")
	wantStatus(t, "a member elsewhere", viewer.do("GET", "/stats/a.fr", nil), 200)
}

// Invitation and reset links are credentials too: a network that keeps
// trying made-up ones is refused before any statement, like one trying
// made-up sessions; another network is served.
func TestUnknownLinkTokensThrottled(t *testing.T) {
	w, eng := countingWorld(t)
	from := func(ip string) *client {
		c := w.client()
		c.header.Set("X-Forwarded-For", ip)
		return c
	}
	const flood = "198.51.100.9"
	tries := []func(c *client, i int) response{
		func(c *client, i int) response {
			return c.do("GET", fmt.Sprintf("/api/invitations/made-up-%d", i), nil)
		},
		func(c *client, i int) response {
			return c.do("POST", fmt.Sprintf("/api/invitations/made-up-%d/accept", i), map[string]string{"password": "a long new password"})
		},
		func(c *client, i int) response { return c.do("GET", fmt.Sprintf("/api/auth/reset/made-up-%d", i), nil) },
		func(c *client, i int) response {
			return c.do("POST", "/api/auth/reset", map[string]string{"token": fmt.Sprintf("made-up-%d", i), "password": "a long new password"})
		},
	}
	for i := range api.UnknownCredentialLimit {
		r := tries[i%len(tries)](from(flood), i)
		if r.status == 429 {
			t.Fatalf("made-up link %d refused as throttled before the limit", i)
		}
	}
	for j, try := range tries {
		before := eng.n.Load()
		r := try(from(flood), 1000+j)
		wantStatus(t, fmt.Sprintf("made-up link of kind %d past the limit", j), r, 429)
		if got := eng.n.Load() - before; got != 0 {
			t.Fatalf("made-up link of kind %d past the limit ran %d statements, want none", j, got)
		}
	}
	wantStatus(t, "a made-up invitation from elsewhere", tries[0](from("203.0.113.9"), 2000), 404)
}

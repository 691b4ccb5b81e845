package imports

import (
	"context"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage/imports/ga4fake"
)

var ga4TestSecret = []byte("a server secret of thirty-two by")

// connectGA4 goes through the OAuth flow as the dashboard does: the
// consent URL's state, and Google's redirect back with a code.
func connectGA4(t *testing.T, m *Manager, siteID uint32, user string) string {
	t.Helper()
	ctx := context.Background()
	u, err := m.GA4AuthURL(siteID, "a.fr", user, "https://stats.a.fr/api/imports/ga4/callback")
	if err != nil {
		t.Fatal(err)
	}
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	conn, domain, err := m.GA4Callback(ctx, pu.Query().Get("state"), "code-1")
	if err != nil || domain != "a.fr" || conn == "" {
		t.Fatalf("callback: %q %q %v", conn, domain, err)
	}
	return conn
}

// restarted is a new manager on the same store and folder, as after a
// restart: nothing of the first one's memory is left.
func restarted(m *Manager) *Manager {
	return &Manager{Engine: m.Engine, Dir: m.Dir, GA4: m.GA4, Secret: m.Secret, Now: m.Now}
}

// A Google connection outlives a restart, for its account and site
// alone and for an hour; its refresh token is kept sealed, never in clear
// in the store, and opens with the server's secret only.
func TestGA4ConnectionSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	f := ga4fake.New(t)
	m := ga4Manager(t, f)
	m.Secret = ga4TestSecret
	// The real time: the table's TTL drops rows expired by the engine's
	// clock.
	now := time.Now().UTC().Truncate(time.Millisecond)
	m.Now = func() time.Time { return now }
	conn := connectGA4(t, m, 7, "u1")

	m2 := restarted(m)
	tok, err := m2.GA4Connection(ctx, conn, 7, "u1")
	if err != nil {
		t.Fatalf("the connection after a restart: %v", err)
	}
	if rts := f.RefreshTokens(); len(rts) != 1 || tok.RefreshToken != rts[0] {
		t.Fatalf("the stored token %q, Google gave %q", tok.RefreshToken, rts)
	}
	if props, err := m2.GA4Properties(ctx, tok); err != nil || len(props) != 2 {
		t.Fatalf("properties after a restart: %+v %v", props, err)
	}
	for _, c := range []struct {
		id   string
		site uint32
		user string
	}{{conn, 8, "u1"}, {conn, 7, "u2"}, {conn, 7, ""}, {"", 7, "u1"}, {"nope", 7, "u1"}} {
		if _, err := m2.GA4Connection(ctx, c.id, c.site, c.user); !errors.Is(err, ErrGA4Connection) {
			t.Errorf("connection %q for site %d, user %q: %v", c.id, c.site, c.user, err)
		}
	}
	assertSealed(t, m, f)

	// Another secret does not open it.
	other := restarted(m)
	other.Secret = []byte("another secret of thirty-two byt")
	if _, err := other.GA4Connection(ctx, conn, 7, "u1"); err == nil || errors.Is(err, ErrGA4Connection) {
		t.Fatalf("opened with another secret: %v", err)
	}
	// An hour later it is gone.
	now = now.Add(ga4ConnectionTTL)
	if _, err := m2.GA4Connection(ctx, conn, 7, "u1"); !errors.Is(err, ErrGA4Connection) {
		t.Fatalf("an expired connection: %v", err)
	}
	// and the next start deletes it.
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- restarted(m).Run(runCtx) }()
	for deadline := time.Now().Add(30 * time.Second); count(t, m.Engine, "SELECT count() FROM ga4_connections WHERE site_id = 7") != 0; {
		if time.Now().After(deadline) {
			t.Fatal("the expired connection is kept after a start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// A server without a secret cannot keep a connection.
	m3 := restarted(m)
	m3.Secret = nil
	if _, err := m3.GA4AuthURL(7, "a.fr", "u1", "https://x/cb"); !errors.Is(err, ErrGA4NoSecret) {
		t.Fatalf("connect without a secret: %v", err)
	}
}

// assertSealed fails if a refresh token Google handed out is in clear in
// the store or in an import's file.
func assertSealed(t *testing.T, m *Manager, f *ga4fake.Server) {
	t.Helper()
	rows, err := m.Engine.Query(context.Background(), "SELECT refresh_token, user_id, id FROM ga4_connections", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var stored []string
	for rows.Next() {
		var a, b, c string
		if err := rows.Scan(&a, &b, &c); err != nil {
			t.Fatal(err)
		}
		stored = append(stored, a, b, c)
	}
	files, _ := os.ReadDir(m.Dir)
	for _, e := range files {
		b, err := os.ReadFile(m.Dir + "/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, string(b))
	}
	for _, rt := range f.RefreshTokens() {
		for _, s := range stored {
			if strings.Contains(s, rt) {
				t.Fatalf("the refresh token is stored in clear: %q", s)
			}
		}
	}
}

// An OAuth import stopped by a restart midway resumes after it with the
// token it stored, asks no page twice, and ends with the property's exact
// numbers; its token goes with it, and the site's connection with the
// site.
func TestGA4OAuthImportResumesAfterRestart(t *testing.T) {
	ctx := context.Background()
	f := ga4fake.New(t)
	m := ga4Manager(t, f)
	m.Secret = ga4TestSecret
	conn := connectGA4(t, m, 7, "u1")
	tok, err := m.GA4Connection(ctx, conn, 7, "u1")
	if err != nil {
		t.Fatal(err)
	}
	j, _, err := m.SubmitGA4(ctx, 7, GA4Request{Property: "123456789", StartDate: "2024-03-01", EndDate: "2024-03-05", Token: tok}, "u1")
	if err != nil {
		t.Fatal(err)
	}
	assertSealed(t, m, f)
	stopCtx, stop := context.WithCancel(ctx)
	batches := 0
	m.onBatch = func(Job) {
		if batches++; batches == 4 {
			stop()
		}
	}
	if err := m.Process(stopCtx, j.ID); !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped process: %v", err)
	}
	assertSealed(t, m, f)

	// The server restarts: the new process holds nothing in memory.
	m2 := restarted(m)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- m2.Run(runCtx) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		got, err := m2.Get(ctx, 7, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status == Completed {
			break
		}
		if got.Status == Failed || time.Now().After(deadline) {
			t.Fatalf("after the restart: %+v", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if twice := f.ServedTwice(); len(twice) > 0 {
		t.Fatalf("pages asked more than once: %v", twice)
	}
	for _, c := range []struct {
		table, col string
		dims       []string
		metric     string
	}{
		{"imported_visitors", "visitors", []string{"date"}, "totalUsers"},
		{"imported_sources", "visits", ga4Reports[1].dimensions, "sessions"},
		{"imported_pages", "pageviews", ga4Reports[2].dimensions, "screenPageViews"},
		{"imported_operating_systems", "visitors", ga4Reports[7].dimensions, "totalUsers"},
	} {
		rows, sum := f.Expected(c.dims, c.metric, nil)
		if got := count(t, m.Engine, "SELECT count() FROM "+c.table+" WHERE site_id = 7"); got != uint64(rows) {
			t.Errorf("%s: %d rows, want %d", c.table, got, rows)
		}
		if got := count(t, m.Engine, "SELECT sum("+c.col+") FROM "+c.table+" WHERE site_id = 7"); got != sum {
			t.Errorf("%s.%s = %d, want %d", c.table, c.col, got, sum)
		}
	}
	// The import's token went with its end; the connection stays for its
	// hour, and goes with the site.
	if n := count(t, m.Engine, "SELECT count() FROM ga4_connections WHERE import_id != 0"); n != 0 {
		t.Fatalf("%d import tokens outlive their import", n)
	}
	if n := count(t, m.Engine, "SELECT count() FROM ga4_connections WHERE site_id = 7"); n != 1 {
		t.Fatalf("%d connections, want the one", n)
	}
	if err := m2.DeleteSite(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if n := count(t, m.Engine, "SELECT count() FROM ga4_connections"); n != 0 {
		t.Fatalf("%d connections outlive their site", n)
	}
}

// A cancelled or deleted OAuth import takes its token with it.
func TestGA4OAuthTokenGoesWithItsImport(t *testing.T) {
	ctx := context.Background()
	f := ga4fake.New(t)
	m := ga4Manager(t, f)
	m.Secret = ga4TestSecret
	conn := connectGA4(t, m, 7, "u1")
	tok, err := m.GA4Connection(ctx, conn, 7, "u1")
	if err != nil {
		t.Fatal(err)
	}
	a, _, err := m.SubmitGA4(ctx, 7, GA4Request{Property: "123456789", Token: tok}, "u1")
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := m.SubmitGA4(ctx, 7, GA4Request{Property: "987", Token: tok}, "u1")
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, m.Engine, "SELECT count() FROM ga4_connections WHERE import_id != 0"); n != 2 {
		t.Fatalf("%d import tokens, want 2", n)
	}
	if _, err := m.Cancel(ctx, 7, a.ID); err != nil {
		t.Fatal(err)
	}
	if err := m.Delete(ctx, 7, b.ID); err != nil {
		t.Fatal(err)
	}
	if n := count(t, m.Engine, "SELECT count() FROM ga4_connections WHERE import_id != 0"); n != 0 {
		t.Fatalf("%d import tokens outlive their import", n)
	}
}

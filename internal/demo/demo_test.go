package demo

import (
	"context"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

func TestGenerate(t *testing.T) {
	ctx := context.Background()
	e := storetest.Migrated(t)
	end := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	n, err := Generate(ctx, e, Options{SiteID: 7, Hostname: "demo.example.fr", Events: 50_000, Days: 30, End: end, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if n < 40_000 || n > 60_000 {
		t.Fatalf("%d events for 50 000 asked", n)
	}
	var (
		sessions, visitors, pageviews, days uint64
		first, last                         time.Time
		pvPerSession                        float64
		purchases, engaged                  uint64
	)
	err = store.QueryRow(ctx, e, `SELECT uniqExact(session_id), uniqExact(visitor_id), countIf(name = 'pageview'),
		uniqExact(toDate(ts)), min(ts), max(ts), countIf(name = 'pageview') / uniqExact(session_id),
		countIf(name = 'Purchase' AND revenue_amount > 0), countIf(name = 'engagement' AND NOT interactive)
		FROM events WHERE site_id = 7`, nil,
		&sessions, &visitors, &pageviews, &days, &first, &last, &pvPerSession, &purchases, &engaged)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d events, %d sessions, %d visitors, %.2f pageviews per session, %d days", n, sessions, visitors, pvPerSession, days)
	if visitors >= sessions || visitors < sessions/2 {
		t.Errorf("visitors %d for %d sessions: some visitors should come back", visitors, sessions)
	}
	if pvPerSession < 1.5 || pvPerSession > 5 {
		t.Errorf("%.2f pageviews per session", pvPerSession)
	}
	if days < 30 || first.Before(end.AddDate(0, 0, -31)) || last.After(end.Add(time.Hour)) {
		t.Errorf("traffic spans %d days, %v to %v", days, first, last)
	}
	if purchases == 0 || engaged == 0 {
		t.Errorf("purchases=%d engagement=%d", purchases, engaged)
	}
	// The sessions view sees every event.
	var viewEvents uint64
	store.QueryRow(ctx, e, "SELECT sum(events) FROM sessions WHERE site_id = 7", nil, &viewEvents)
	if viewEvents != n {
		t.Errorf("sessions view counted %d events of %d", viewEvents, n)
	}
	// A conversion or an engagement happens on a page its visit saw, so
	// top pages never show more visitors than pageviews.
	var elsewhere uint64
	err = store.QueryRow(ctx, e, `SELECT count() FROM events WHERE site_id = 7 AND name != 'pageview'
		AND (session_id, pathname) NOT IN (SELECT session_id, pathname FROM events WHERE site_id = 7 AND name = 'pageview')`, nil, &elsewhere)
	if err != nil {
		t.Fatal(err)
	}
	if elsewhere != 0 {
		t.Errorf("%d events on a page their visit never viewed", elsewhere)
	}
	// Same seed, same traffic.
	e2 := storetest.Migrated(t)
	n2, err := Generate(ctx, e2, Options{SiteID: 7, Hostname: "demo.example.fr", Events: 50_000, Days: 30, End: end, Seed: 1})
	if err != nil || n2 != n {
		t.Fatalf("second run: %d events, %v; want %d", n2, err, n)
	}
}

package query

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/query/internal/live"
	"github.com/sillage-analytics/sillage/query/stats"
)

// TestLiveAndRealtime: the live view lists the last minutes' visitors,
// and the Stats API v1's realtime/visitors tells its number of current
// visitors, which is the stats engine's count of the last 5 minutes.
func TestLiveAndRealtime(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now().UTC()
	var evs []sillage.Event
	for i := range 3 {
		ts := now.Add(-time.Duration(i) * time.Minute)
		evs = append(evs, sillage.Event{SiteID: f.siteID, Timestamp: ts, Name: "pageview", VisitorID: 1<<60 + uint64(i),
			SessionID: 1<<60 + uint64(i), SessionStart: ts, Hostname: "boutique.fr", Pathname: "/live-" + strconv.Itoa(i)})
	}
	if err := f.acc.Engine.InsertEvents(ctx, "", evs); err != nil {
		t.Fatal(err)
	}
	resp, body := get(t, f.srv.URL+"/api/sites/boutique.fr/live", f.key)
	if resp.StatusCode != 200 {
		t.Fatalf("live: %d %s", resp.StatusCode, body)
	}
	var snap live.Snapshot
	if err := json.Unmarshal(body, &snap); err != nil {
		t.Fatal(err)
	}
	if len(snap.Minutes) != 30 || snap.Current < 3 || time.Since(snap.UpdatedAt) > time.Minute {
		t.Fatalf("live: %d minutes, %d current visitors, updated %v; want 30, at least 3, now", len(snap.Minutes), snap.Current, snap.UpdatedAt)
	}
	seen := map[string]uint64{}
	for _, p := range snap.Pages {
		seen[p.Name] = p.Visitors
	}
	for i := range 3 {
		if seen["/live-"+strconv.Itoa(i)] != 1 {
			t.Errorf("live pages %v lack /live-%d with 1 visitor", snap.Pages, i)
		}
	}
	resp, body = get(t, f.srv.URL+"/api/v1/stats/realtime/visitors?site_id=boutique.fr", f.key)
	if resp.StatusCode != 200 || string(body) != strconv.FormatUint(snap.Current, 10)+"\n" {
		t.Fatalf("realtime: %d %q; want the live view's %d", resp.StatusCode, body, snap.Current)
	}
	site, err := f.acc.SiteByID(ctx, f.siteID)
	if err != nil {
		t.Fatal(err)
	}
	direct, err := (&stats.Engine{Store: f.acc.Engine, Now: func() time.Time { return snap.UpdatedAt }}).Realtime(ctx, site)
	if err != nil || direct != snap.Current {
		t.Fatalf("stats engine's realtime = %d, %v; want the live view's %d", direct, err, snap.Current)
	}
}

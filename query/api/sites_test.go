package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/storetest"
)

type siteResp struct {
	ID            uint32
	Domain        string
	Timezone      string
	RetentionDays uint16 `json:"retention_days"`
	Role          string
}

func TestSites(t *testing.T) {
	e := newEnv(t)
	c := e.as(e.user("claire@example.fr"))

	tests := []struct {
		name string
		body any
		want int
	}{
		{"create", map[string]string{"domain": "https://www.Fromagerie.fr/", "timezone": "Europe/Paris"}, 201},
		{"default time zone", map[string]string{"domain": "utc.fr"}, 201},
		{"duplicate", map[string]string{"domain": "fromagerie.fr", "timezone": "Europe/Paris"}, 409},
		{"bad time zone", map[string]string{"domain": "x.fr", "timezone": "Mars/Olympus"}, 400},
		{"bad domain", map[string]string{"domain": "not a domain"}, 400},
		{"unknown field", map[string]any{"domain": "y.fr", "owner": "me"}, 400},
	}
	for _, tt := range tests {
		wantStatus(t, tt.name, c.do("POST", "/api/sites", tt.body), tt.want)
	}
	r := c.do("GET", "/api/sites", nil)
	var list struct{ Sites []siteResp }
	if r.json(t, &list); len(list.Sites) != 2 || list.Sites[0].Domain != "fromagerie.fr" || list.Sites[0].Role != "owner" ||
		list.Sites[1].Timezone != "Etc/UTC" {
		t.Fatalf("sites = %s", r)
	}
	wantStatus(t, "others see nothing", e.as(e.user("other@example.fr")).do("GET", "/api/sites/fromagerie.fr", nil), 404)

	patches := []struct {
		name string
		body any
		want int
		tz   string
		ret  uint16
	}{
		{"retention", map[string]any{"retention_days": 365, "confirm": "fromagerie.fr"}, 200, "Europe/Paris", 365},
		{"time zone", map[string]any{"timezone": "America/Montreal"}, 200, "America/Montreal", 365},
		{"negative retention", map[string]any{"retention_days": -1}, 400, "America/Montreal", 365},
		{"huge retention", map[string]any{"retention_days": 70000}, 400, "America/Montreal", 365},
		{"bad time zone", map[string]any{"timezone": "Nowhere"}, 400, "America/Montreal", 365},
		{"unknown field", map[string]any{"domain": "other.fr"}, 400, "America/Montreal", 365},
		{"keep forever", map[string]any{"retention_days": 0, "timezone": "Europe/Paris"}, 200, "Europe/Paris", 0},
	}
	for _, p := range patches {
		wantStatus(t, p.name, c.do("PATCH", "/api/sites/fromagerie.fr", p.body), p.want)
		var s siteResp
		r := c.do("GET", "/api/sites/fromagerie.fr", nil)
		if r.json(t, &s); s.Timezone != p.tz || s.RetentionDays != p.ret || s.Role != "owner" {
			t.Fatalf("%s: site = %s", p.name, r)
		}
	}
}

func TestSiteStatus(t *testing.T) {
	w := newWorld(t)
	c := w.as(w.viewer)
	status := func() (bool, *time.Time) {
		t.Helper()
		r := c.do("GET", "/api/sites/a.fr/status", nil)
		wantStatus(t, "status", r, 200)
		var s struct {
			HasEvents bool       `json:"has_events"`
			LastEvent *time.Time `json:"last_event"`
		}
		r.json(t, &s)
		return s.HasEvents, s.LastEvent
	}
	if has, last := status(); has || last != nil {
		t.Fatalf("before any event: %v %v", has, last)
	}
	// Traffic on another site does not count.
	day := time.Now().UTC().Truncate(24 * time.Hour).Add(-48 * time.Hour)
	insert := func(siteID uint32, day time.Time) time.Time {
		events := storetest.Fixture(day)
		for i := range events {
			events[i].SiteID = siteID
		}
		if err := w.acc.Engine.InsertEvents(context.Background(), "", events); err != nil {
			t.Fatal(err)
		}
		return events[len(events)-1].Timestamp
	}
	insert(w.b.ID, day.Add(24*time.Hour))
	if has, _ := status(); has {
		t.Fatal("another site's events count")
	}
	insert(w.a.ID, day.Add(-72*time.Hour))
	last := insert(w.a.ID, day)
	has, got := status()
	if !has || got == nil || !got.Equal(last) {
		t.Fatalf("status = %v %v, want last event %v", has, got, last)
	}
	// Deleting the data brings the waiting screen back.
	wantStatus(t, "delete data", w.as(w.owner).do("POST", "/api/sites/a.fr/delete-data", map[string]string{"confirm": "a.fr"}), 204)
	if has, _ := status(); has {
		t.Fatal("events left after delete-data")
	}
	var n uint64
	if err := store.QueryRow(context.Background(), w.acc.Engine, "SELECT count() FROM events WHERE site_id = {s:UInt32}",
		store.Params{"s": w.b.ID}, &n); err != nil || n == 0 {
		t.Fatalf("another site's events were deleted: %d %v", n, err)
	}
}

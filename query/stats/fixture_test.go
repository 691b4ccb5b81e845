package stats

import (
	"context"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// visit builds one session's events: the first event starts the session
// and every event carries the session's attributes.
type visit struct {
	tmpl   sillage.Event
	start  time.Time
	events []sillage.Event
}

func newVisit(site uint32, visitor, session uint64, start time.Time, attrs func(*sillage.Event)) *visit {
	t := sillage.Event{SiteID: site, VisitorID: visitor, SessionID: session, SessionStart: start.UTC(),
		Hostname: "example.fr", Props: map[string]string{}}
	if attrs != nil {
		attrs(&t)
	}
	return &visit{tmpl: t, start: start}
}

func (v *visit) event(after time.Duration, name, path string, mods ...func(*sillage.Event)) *visit {
	e := v.tmpl
	e.Timestamp, e.Name, e.Pathname, e.Interactive = v.start.Add(after).UTC(), name, path, true
	e.Props = map[string]string{}
	for _, m := range mods {
		m(&e)
	}
	v.events = append(v.events, e)
	return v
}

func (v *visit) pv(after time.Duration, path string) *visit { return v.event(after, "pageview", path) }

func (v *visit) engage(after time.Duration, path string, ms uint32, scroll uint8) *visit {
	return v.event(after, "engagement", path, func(e *sillage.Event) {
		e.Interactive, e.EngagementMS, e.ScrollDepth = false, ms, scroll
	})
}

func props(kv ...string) func(*sillage.Event) {
	return func(e *sillage.Event) {
		for i := 0; i+1 < len(kv); i += 2 {
			e.Props[kv[i]] = kv[i+1]
		}
	}
}

func revenue(milli int64, currency string) func(*sillage.Event) {
	return func(e *sillage.Event) { e.RevenueMilli, e.RevenueCurrency = milli, currency }
}

func nonInteractive(e *sillage.Event) { e.Interactive = false }

func attrs(source, channel, country, region, city string, geo uint32, browser, os, device string) func(*sillage.Event) {
	return func(e *sillage.Event) {
		e.ReferrerSource, e.Channel, e.CountryCode, e.Region, e.City, e.CityGeonameID = source, channel, country, region, city, geo
		e.Browser, e.OS, e.Device = browser, os, device
		if source != "" {
			e.Referrer = map[string]string{"Google": "google.com", "Facebook": "facebook.com", "Bing": "bing.com"}[source]
		}
	}
}

func join(vs ...*visit) []sillage.Event {
	var out []sillage.Event
	for _, v := range vs {
		out = append(out, v.events...)
	}
	return out
}

var paris = mustLoc("Europe/Paris")

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// scenarioDay is a Wednesday; the site is in Europe/Paris (UTC+2 then).
var scenarioDay = time.Date(2026, 6, 10, 0, 0, 0, 0, paris)

func at(h, m int) time.Time {
	return scenarioDay.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
}

var scenarioSite = sillage.Site{ID: 1, Domain: "example.fr", Timezone: "Europe/Paris"}

var scenarioGoals = []Goal{
	{ID: "g1", EventName: "Signup"},
	{ID: "g2", EventName: "Purchase", Currency: "EUR"},
	{ID: "g3", EventName: "Subscribe", Currency: "USD"},
	{ID: "g4", PagePath: "/blog/**"},
	{ID: "g5", PagePath: "/docs/*"},
}

// scenario is one day of traffic for site 1 (2026-06-10, Paris):
//
//	S1 v1 09:00 Google  FR Paris   / → /pricing (engaged 30 s, 80 %), Signup plan=pro at 09:07   not a bounce, 420 s
//	S2 v2 10:00 direct  DE Berlin  /blog/hello, engagement 90 s 50 %                            bounce (engagement is non-interactive)
//	S3 v3 11:00 Facebook (utm facebook/social/summer) FR Lyon  /blog/hello, outbound click (i=false)  bounce
//	S4 v1 14:00 Google  FR Paris   /pricing → /checkout, Purchase 49.990 EUR at 14:03             180 s
//	S5 v4 23:50 Bing    US NY      / → (next day 00:05) /docs, Subscribe 20.000 USD plan=free 00:06  crosses midnight, 960 s
//	S6 v5 15:00 Google  BE         /docs/api, Signup plan=free at 15:01                          1 pageview + interactive event: 60 s
//	S8 v7 12:00 Google (utm google/cpc/brand, Paid Search) FR Paris  /checkout, Purchase 100.005 EUR  60 s
//
// Within 2026-06-10: visitors 6 (v1..v5, v7), visits 7, pageviews 9, events 14
// (engagement excluded), bounces 2/7 → 29 %, durations 420+0+0+180+960+60+60
// = 1680 s / 7 = 240 s, session pageviews 10 / 7 visits → 1.43 views per visit.
func scenario() []sillage.Event {
	fr := attrs("Google", "Organic Search", "FR", "FR-IDF", "Paris", 2988507, "Firefox", "Linux", "Desktop")
	s1 := newVisit(1, 1, 101, at(9, 0), fr).
		pv(0, "/").pv(5*time.Minute, "/pricing").engage(6*time.Minute, "/pricing", 30_000, 80).
		event(7*time.Minute, "Signup", "/pricing", props("plan", "pro"))
	s2 := newVisit(1, 2, 201, at(10, 0), attrs("", "Direct", "DE", "DE-BE", "Berlin", 2950159, "Chrome", "Android", "Mobile")).
		pv(0, "/blog/hello").engage(2*time.Minute, "/blog/hello", 90_000, 50)
	s3 := newVisit(1, 3, 301, at(11, 0), func(e *sillage.Event) {
		attrs("Facebook", "Organic Social", "FR", "FR-ARA", "Lyon", 2996944, "Safari", "iOS", "Mobile")(e)
		e.UTMSource, e.UTMMedium, e.UTMCampaign = "facebook", "social", "summer"
	}).pv(0, "/blog/hello").event(time.Minute, "Outbound Link: Click", "/blog/hello", nonInteractive, props("url", "https://other.example"))
	s4 := newVisit(1, 1, 102, at(14, 0), fr).
		pv(0, "/pricing").pv(2*time.Minute, "/checkout").event(3*time.Minute, "Purchase", "/checkout", revenue(49_990, "EUR"))
	s5 := newVisit(1, 4, 401, at(23, 50), attrs("Bing", "Organic Search", "US", "US-NY", "New York", 5128581, "Chrome", "Windows", "Desktop")).
		pv(0, "/").pv(15*time.Minute, "/docs").event(16*time.Minute, "Subscribe", "/docs", revenue(20_000, "USD"), props("plan", "free"))
	s6 := newVisit(1, 5, 501, at(15, 0), attrs("Google", "Organic Search", "BE", "BE-BRU", "Brussels", 2800866, "Edge", "Windows", "Desktop")).
		pv(0, "/docs/api").event(time.Minute, "Signup", "/docs/api", props("plan", "free"))
	s8 := newVisit(1, 7, 701, at(12, 0), func(e *sillage.Event) {
		attrs("Google", "Paid Search", "FR", "FR-IDF", "Paris", 2988507, "Chrome", "Mac", "Desktop")(e)
		e.UTMSource, e.UTMMedium, e.UTMCampaign = "google", "cpc", "brand"
	}).pv(0, "/checkout").event(time.Minute, "Purchase", "/checkout", revenue(100_005, "EUR"))
	return join(s1, s2, s3, s4, s5, s6, s8)
}

// loaded returns an engine over a fresh database holding events.
func loaded(t testing.TB, events []sillage.Event, now time.Time) *Engine {
	t.Helper()
	st := storetest.Migrated(t)
	if err := st.InsertEvents(context.Background(), "", events); err != nil {
		t.Fatal(err)
	}
	return &Engine{Store: st, Now: func() time.Time { return now }}
}

// loadedPartial is loaded with one insert per event and background merges
// of sessions stopped: each session is then several partial rows, as in a
// live store before merges catch up.
func loadedPartial(t testing.TB, events []sillage.Event, now time.Time) *Engine {
	t.Helper()
	st := storetest.Migrated(t)
	ctx := context.Background()
	if err := st.Exec(ctx, "SYSTEM STOP MERGES sessions", nil); err != nil {
		t.Fatal(err)
	}
	for i := range events {
		if err := st.InsertEvents(ctx, "", events[i:i+1]); err != nil {
			t.Fatal(err)
		}
	}
	var rows, sessions uint64
	if err := store.QueryRow(ctx, st, "SELECT count(), uniqExact(session_id) FROM sessions", nil, &rows, &sessions); err != nil {
		t.Fatal(err)
	}
	if rows <= sessions {
		t.Fatalf("sessions hold %d rows for %d sessions: want partial rows", rows, sessions)
	}
	return &Engine{Store: st, Now: func() time.Time { return now }}
}

package reports_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/query"
	"github.com/sillage-analytics/sillage/query/api"
	"github.com/sillage-analytics/sillage/reports"
)

// weekOfTraffic fills the week of 30 November 2026 (and a little of the
// week before) of a Paris site, with goals.
func weekOfTraffic(t *testing.T, f *fixture) {
	ctx := context.Background()
	for _, g := range []accounts.Goal{
		{SiteID: f.site.ID, EventName: "Purchase", Currency: "EUR"},
		{SiteID: f.site.ID, PagePath: "/merci"},
		{SiteID: f.site.ID, EventName: "Signup"},
	} {
		if _, err := f.acc.AddGoal(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	buy := func(milli int64) sillage.Event {
		return sillage.Event{Name: "Purchase", Pathname: "/panier", RevenueMilli: milli, RevenueCurrency: "EUR"}
	}
	// 00:30 in Paris on Monday is still Sunday in UTC: it belongs to this
	// week in the site's time zone.
	f.visit(at(t, "2026-11-30T00:30:00+01:00"), "Google", []string{"/", "/prix"})
	f.visit(at(t, "2026-12-01T10:00:00+01:00"), "Google", []string{"/"})
	f.visit(at(t, "2026-12-02T11:00:00+01:00"), "Google", []string{"/blog", "/prix", "/panier"}, buy(29_900))
	f.visit(at(t, "2026-12-03T12:00:00+01:00"), "Facebook", []string{"/", "/merci"})
	f.visit(at(t, "2026-12-05T18:00:00+01:00"), "Facebook", []string{"/prix", "/panier"}, buy(10_000))
	f.visit(at(t, "2026-12-06T23:59:00+01:00"), "", []string{"/blog"})
	// Monday 7 December 00:10 in Paris: next week, not in this report.
	f.visit(at(t, "2026-12-07T00:10:00+01:00"), "Bing", []string{"/"})
	// The week before.
	f.visit(at(t, "2026-11-24T09:00:00+01:00"), "Google", []string{"/"})
	f.visit(at(t, "2026-11-26T09:00:00+01:00"), "Google", []string{"/", "/prix"})
	f.visit(at(t, "2026-11-29T23:00:00+01:00"), "Bing", []string{"/blog"})
}

// statsAPI asks the query service's Stats API, with an API key.
type statsAPI struct {
	t      *testing.T
	url    string
	secret string
}

func newStatsAPI(t *testing.T, f *fixture) *statsAPI {
	a := api.New(api.Options{Accounts: f.acc, Engine: f.eng, Secret: []byte("a test secret of thirty-two bytes"), Now: f.clock.Now,
		Logger: slog.New(slog.DiscardHandler)})
	q, err := query.New(query.Options{Engine: f.eng, Accounts: f.acc, API: a, Now: f.clock.Now, Logger: slog.New(slog.DiscardHandler),
		Dashboard: fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(q.Handler())
	t.Cleanup(srv.Close)
	_, secret, err := f.acc.CreateAPIKey(context.Background(), f.owner.ID, "k", []uint32{f.site.ID})
	if err != nil {
		t.Fatal(err)
	}
	return &statsAPI{t: t, url: srv.URL, secret: secret}
}

type apiResult struct {
	Results []struct {
		Dimensions []any `json:"dimensions"`
		Metrics    []any `json:"metrics"`
		Comparison *struct {
			Change []any `json:"change"`
		} `json:"comparison"`
	} `json:"results"`
}

func (s *statsAPI) query(q map[string]any) apiResult {
	s.t.Helper()
	b, _ := json.Marshal(q)
	req, _ := http.NewRequest("POST", s.url+"/api/v2/query", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+s.secret)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		s.t.Fatalf("stats API: %d %s", resp.StatusCode, body)
	}
	var r apiResult
	if err := json.Unmarshal(body, &r); err != nil {
		s.t.Fatal(err)
	}
	return r
}

func float(t *testing.T, v any) float64 {
	t.Helper()
	switch x := v.(type) {
	case float64:
		return x
	case map[string]any: // money
		return float(t, x["value"])
	}
	t.Fatalf("not a number: %#v", v)
	return 0
}

// A report's numbers are the Stats API's over the same range.
func TestReportMatchesStatsAPI(t *testing.T) {
	f := newFixture(t, "Europe/Paris", at(t, "2026-12-07T07:00:00+01:00"))
	weekOfTraffic(t, f)
	p, _ := reports.Previous(reports.Weekly, f.clock.Now(), time.FixedZone("", 3600))
	rep, err := f.svc.Build(context.Background(), f.site, p)
	if err != nil {
		t.Fatal(err)
	}
	s := newStatsAPI(t, f)
	rng := []string{"2026-11-30", "2026-12-06"}
	agg := s.query(map[string]any{"site_id": "a.fr", "date_range": rng,
		"metrics": []string{"visitors", "pageviews", "bounce_rate", "visit_duration"},
		"include": map[string]any{"comparisons": map[string]any{"mode": "custom", "date_range": []string{"2026-11-23", "2026-11-29"}}}})
	row := agg.Results[0]
	for i, m := range []reports.Metric{rep.Visitors, rep.Pageviews, rep.BounceRate, rep.VisitDuration} {
		if want := float(t, row.Metrics[i]); m.Value != want {
			t.Errorf("metric %d = %v, the Stats API says %v", i, m.Value, want)
		}
		if m.Change == nil || *m.Change != float(t, row.Comparison.Change[i]) {
			t.Errorf("change %d = %v, the Stats API says %v", i, m.Change, row.Comparison.Change[i])
		}
	}
	// The numbers this traffic makes, so that a report and an API that
	// both went wrong cannot agree.
	if rep.Visitors.Value != 6 || rep.Pageviews.Value != 11 || *rep.Visitors.Change != 100 {
		t.Errorf("visitors %v (%+v%%), pageviews %v: want 6 (+100%%), 11", rep.Visitors.Value, *rep.Visitors.Change, rep.Pageviews.Value)
	}
	for _, c := range []struct {
		dim     string
		metrics []string
		got     func() [][]any
	}{
		{"visit:source", []string{"visitors"}, func() (out [][]any) {
			for _, r := range rep.Sources {
				out = append(out, []any{r.Name, float64(r.Visitors)})
			}
			return
		}},
		{"event:page", []string{"visitors", "pageviews"}, func() (out [][]any) {
			for _, r := range rep.Pages {
				out = append(out, []any{r.Name, float64(r.Visitors), float64(r.Pageviews)})
			}
			return
		}},
		{"event:goal", []string{"visitors", "events", "conversion_rate", "total_revenue"}, func() (out [][]any) {
			for _, r := range rep.Goals {
				rev := any(nil)
				if r.Revenue != "" {
					rev = r.Revenue
				}
				out = append(out, []any{r.Name, float64(r.Visitors), float64(r.Events), r.ConversionRate, rev})
			}
			return
		}},
	} {
		res := s.query(map[string]any{"site_id": "a.fr", "date_range": rng, "metrics": c.metrics, "dimensions": []string{c.dim},
			"order_by": [][]string{{"visitors", "desc"}, {c.dim, "asc"}}, "pagination": map[string]int{"limit": reports.TopN}})
		var want [][]any
		for _, r := range res.Results {
			w := []any{r.Dimensions[0]}
			for i, m := range r.Metrics {
				if c.metrics[i] == "total_revenue" && m != nil {
					mm := m.(map[string]any)
					m = fmt.Sprintf("%.2f %s", float(t, mm), mm["currency"])
				}
				w = append(w, m)
			}
			want = append(want, w)
		}
		if got := c.got(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s:\n got  %v\n want %v", c.dim, got, want)
		}
		if len(want) == 0 {
			t.Errorf("%s: no rows to compare", c.dim)
		}
	}
	if len(rep.Goals) != 2 || rep.Goals[0].Name != "Purchase" || rep.Goals[0].Revenue != "39.90 EUR" {
		t.Errorf("goals %+v: want Purchase first with 39.90 EUR, then /merci (Signup had no conversion)", rep.Goals)
	}
	for _, lang := range []string{"en", "fr"} {
		r, err := rep.Render(lang, "https://stats.example.fr/a.fr", "https://stats.example.fr/unsubscribe/x")
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][]string{
			"en": {"Weekly report for a.fr: 6 visitors (+100%) · November 30 – December 6, 2026", "39.90 EUR", "Top sources", "Unsubscribe"},
			"fr": {"Rapport hebdomadaire de a.fr : 6 visiteurs (+100\u202f%) · 30 novembre – 6 décembre 2026", "39.90 EUR", "Principales sources", "Se désabonner"},
		}[lang]
		if r.Subject != want[0] {
			t.Errorf("%s subject %q, want %q", lang, r.Subject, want[0])
		}
		for _, w := range want[1:] {
			if !strings.Contains(r.HTML, w) || !strings.Contains(r.Text, w) {
				t.Errorf("%s: %q missing from the HTML or the text:\n%s", lang, w, r.Text)
			}
		}
	}
}

// A report is sent from Monday 07:00 in the site's zone, once per
// recipient and period, across restarts; then ticks run no stats query.
func TestSchedulerSendsOnce(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, "Europe/Paris", at(t, "2026-12-07T06:59:00+01:00"))
	weekOfTraffic(t, f)
	for _, sub := range []reports.Subscription{
		{SiteID: f.site.ID, Kind: reports.Weekly, UserID: f.owner.ID, Lang: "fr"},
		{SiteID: f.site.ID, Kind: reports.Weekly, Email: "Boss@Client.fr", Lang: "en"},
		{SiteID: f.site.ID, Kind: reports.Monthly, UserID: f.viewer.ID, Lang: "en"},
	} {
		if err := f.svc.Subscribe(ctx, sub); err != nil {
			t.Fatal(err)
		}
	}
	sc := reports.NewScheduler(f.svc)
	// Monday 06:59: last week's report went out last Monday (the
	// subscriptions are new: they get the last finished period's).
	tick := func() []sent {
		t.Helper()
		if err := sc.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		return f.out.take()
	}
	got := tick()
	periods := map[string]bool{}
	for _, m := range got {
		periods[m.key] = true
	}
	if len(got) != 3 || !periods["report:"+fmt.Sprint(f.site.ID)+":owner@a.fr:weekly:2026-11-23"] ||
		!periods["report:"+fmt.Sprint(f.site.ID)+":viewer@a.fr:monthly:2026-11-01"] {
		t.Fatalf("first tick sent %v", keys(got))
	}
	if got := tick(); len(got) != 0 {
		t.Fatalf("second tick sent %v", keys(got))
	}
	f.clock.Set(at(t, "2026-12-07T07:00:00+01:00"))
	got = tick()
	if len(got) != 2 {
		t.Fatalf("Monday 07:00 sent %v, want the two weekly reports", keys(got))
	}
	for _, m := range got {
		want := map[string]string{
			"owner@a.fr":     "Rapport hebdomadaire de a.fr : 6 visiteurs (+100\u202f%) · 30 novembre – 6 décembre 2026",
			"boss@client.fr": "Weekly report for a.fr: 6 visitors (+100%) · November 30 – December 6, 2026",
		}[m.msg.To[0]]
		if m.msg.Subject != want {
			t.Errorf("to %v: subject %q, want %q", m.msg.To, m.msg.Subject, want)
		}
		if !tokenInURL.MatchString(m.msg.Unsubscribe) || !strings.Contains(m.msg.Text, "https://stats.example.fr/unsubscribe/") {
			t.Errorf("to %v: unsubscribe %q, text without the link", m.msg.To, m.msg.Unsubscribe)
		}
	}
	// A restarted process (a new scheduler, the Sender's memory too):
	// nothing is sent again, and no report is built to find that out.
	f.out.keys = nil
	sc = reports.NewScheduler(f.svc)
	before := f.eng.stats.Load()
	f.clock.Add(3 * time.Hour)
	if got := tick(); len(got) != 0 {
		t.Fatalf("after a restart: sent %v", keys(got))
	}
	if n := f.eng.stats.Load() - before; n != 0 {
		t.Errorf("after a restart: %d stats statements to find nothing due", n)
	}
}

func keys(ms []sent) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.key)
	}
	return out
}

// Nothing due: a tick reads the configuration (a constant number of
// statements, whatever the number of sites) and runs no stats query.
func TestTickCheapWhenNothingDue(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, "Europe/Paris", at(t, "2026-12-09T12:00:00+01:00"))
	for i := range 5 {
		site, err := f.acc.AddSiteWithOwner(ctx, f.owner.ID, fmt.Sprintf("s%d.fr", i), "America/New_York")
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Subscribe(ctx, reports.Subscription{SiteID: site.ID, Kind: reports.Weekly, UserID: f.owner.ID}); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SetAlerts(ctx, site.ID, reports.AlertSettings{Drop: true, CooldownHours: 24, Recipients: []string{f.owner.ID}}); err != nil {
			t.Fatal(err)
		}
	}
	sc := reports.NewScheduler(f.svc)
	if err := sc.Tick(ctx); err != nil { // sends the reports, checks the drops
		t.Fatal(err)
	}
	if n := len(f.out.take()); n != 5 {
		t.Fatalf("first tick sent %d reports, want 5", n)
	}
	all, st := f.eng.all.Load(), f.eng.stats.Load()
	for range 10 {
		f.clock.Add(time.Minute)
		if err := sc.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.eng.stats.Load() - st; n != 0 {
		t.Errorf("10 ticks with nothing due ran %d stats statements", n)
	}
	if n := f.eng.all.Load() - all; n != 30 {
		t.Errorf("10 ticks with nothing due ran %d statements, want 3 each", n)
	}
}

// The unsubscribe link ends its subscription without a login; only its
// hash is stored; a made-up one is refused.
func TestUnsubscribe(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, "Europe/Paris", at(t, "2026-12-07T08:00:00+01:00"))
	for _, sub := range []reports.Subscription{
		{SiteID: f.site.ID, Kind: reports.Weekly, Email: "boss@client.fr"},
		{SiteID: f.site.ID, Kind: reports.Monthly, Email: "boss@client.fr"},
		{SiteID: f.site.ID, Kind: reports.Weekly, UserID: f.viewer.ID},
	} {
		if err := f.svc.Subscribe(ctx, sub); err != nil {
			t.Fatal(err)
		}
	}
	if err := reports.NewScheduler(f.svc).Tick(ctx); err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{}
	for _, m := range f.out.take() {
		tok := tokenInURL.FindStringSubmatch(m.msg.Unsubscribe)
		if tok == nil {
			t.Fatalf("%s: unsubscribe URL %q", m.key, m.msg.Unsubscribe)
		}
		tokens[m.msg.To[0]+" "+strings.Split(m.key, ":")[3]] = tok[1]
	}
	if len(tokens) != 3 {
		t.Fatalf("tokens %v", tokens)
	}
	var n uint64
	rows, err := f.eng.Query(ctx, "SELECT count() FROM report_unsubscribe_tokens WHERE token_hash IN {t:Array(String)}",
		map[string]any{"t": []string{tokens["boss@client.fr weekly"], tokens["viewer@a.fr weekly"]}})
	if err != nil {
		t.Fatal(err)
	}
	rows.Next()
	rows.Scan(&n)
	rows.Close()
	if n != 0 {
		t.Errorf("%d raw tokens in the store", n)
	}
	u, err := f.svc.LookupUnsubscribe(ctx, tokens["boss@client.fr weekly"])
	if err != nil || u.Domain != "a.fr" || u.Kind != reports.Weekly || u.Email != "b…@client.fr" {
		t.Fatalf("lookup: %+v %v", u, err)
	}
	for _, who := range []string{"boss@client.fr weekly", "viewer@a.fr weekly", "viewer@a.fr weekly"} {
		if _, err := f.svc.UnsubscribeByToken(ctx, tokens[who]); err != nil {
			t.Fatalf("unsubscribe %s: %v", who, err)
		}
	}
	subs, err := f.svc.Subscriptions(ctx, f.site.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 1 || subs[0].Kind != reports.Monthly || subs[0].Email != "boss@client.fr" {
		t.Fatalf("left: %+v, want the monthly report of boss@client.fr", subs)
	}
	for _, bad := range []string{"", "made-up", strings.Repeat("x", 200)} {
		if _, err := f.svc.UnsubscribeByToken(ctx, bad); !errors.Is(err, reports.ErrBadToken) {
			t.Errorf("token %q: %v, want ErrBadToken", bad, err)
		}
	}
	// A year later the link has expired.
	f.clock.Add(reports.UnsubscribeLifetime + time.Hour)
	if _, err := f.svc.LookupUnsubscribe(ctx, tokens["boss@client.fr monthly"]); !errors.Is(err, reports.ErrBadToken) {
		t.Errorf("expired link: %v", err)
	}
}

// A member's subscription lapses with the membership.
func TestMemberSubscriptionLapses(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, "Europe/Paris", at(t, "2026-12-07T08:00:00+01:00"))
	if err := f.svc.Subscribe(ctx, reports.Subscription{SiteID: f.site.ID, Kind: reports.Weekly, UserID: f.viewer.ID}); err != nil {
		t.Fatal(err)
	}
	if subs, _ := f.svc.Subscriptions(ctx, f.site.ID); len(subs) != 1 || subs[0].Email != "viewer@a.fr" {
		t.Fatalf("subscriptions %+v", subs)
	}
	if err := f.acc.RemoveMember(ctx, f.site.ID, f.viewer.Email); err != nil {
		t.Fatal(err)
	}
	if subs, err := f.svc.Subscriptions(ctx, f.site.ID); err != nil || len(subs) != 0 {
		t.Fatalf("after removal: %+v %v", subs, err)
	}
}

// The subscriptions of a deleted site end at the next tick: the addresses
// an owner added are not kept past the site.
func TestDeletedSiteSubscriptionsEnd(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, "Europe/Paris", at(t, "2026-12-09T12:00:00+01:00"))
	if err := f.svc.Subscribe(ctx, reports.Subscription{SiteID: f.site.ID, Kind: reports.Monthly, Email: "boss@client.fr"}); err != nil {
		t.Fatal(err)
	}
	if err := f.acc.DeleteSite(ctx, f.site.ID); err != nil {
		t.Fatal(err)
	}
	if err := reports.NewScheduler(f.svc).Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(f.out.take()); n != 0 {
		t.Errorf("%d reports of a deleted site", n)
	}
	var n uint64
	rows, err := f.eng.Query(ctx, "SELECT count() FROM report_subscriptions FINAL WHERE deleted = 0", nil)
	if err != nil {
		t.Fatal(err)
	}
	rows.Next()
	rows.Scan(&n)
	rows.Close()
	if n != 0 {
		t.Errorf("%d live subscriptions of a deleted site", n)
	}
}

// Without a Sender nothing is sent and nothing fails.
func TestNoSender(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, "Europe/Paris", at(t, "2026-12-07T08:00:00+01:00"))
	f.svc.Sender = nil
	if f.svc.CanSend() {
		t.Fatal("CanSend without a Sender")
	}
	if err := f.svc.Subscribe(ctx, reports.Subscription{SiteID: f.site.ID, Kind: reports.Weekly, UserID: f.viewer.ID}); err != nil {
		t.Fatal(err)
	}
	before := f.eng.all.Load()
	if err := reports.NewScheduler(f.svc).Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.eng.all.Load() - before; n != 0 {
		t.Errorf("a tick without a Sender ran %d statements", n)
	}
}

// A failed send is recorded, retried later with backoff, then sent.
func TestFailedSendRetried(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, "Europe/Paris", at(t, "2026-12-07T08:00:00+01:00"))
	if err := f.svc.Subscribe(ctx, reports.Subscription{SiteID: f.site.ID, Kind: reports.Weekly, UserID: f.viewer.ID}); err != nil {
		t.Fatal(err)
	}
	f.out.fail = errors.New("SMTP 451 try later")
	sc := reports.NewScheduler(f.svc)
	if err := sc.Tick(ctx); err == nil || !strings.Contains(err.Error(), "451") {
		t.Fatalf("tick: %v, want the SMTP error", err)
	}
	ds, err := f.svc.Deliveries(ctx, f.site.ID)
	if err != nil || len(ds) != 1 || !strings.Contains(ds[0].Error, "451") {
		t.Fatalf("deliveries %+v %v", ds, err)
	}
	f.out.fail = nil
	if err := sc.Tick(ctx); err != nil { // backing off: not yet
		t.Fatal(err)
	}
	if n := len(f.out.take()); n != 0 {
		t.Fatalf("sent %d during the backoff", n)
	}
	f.clock.Add(time.Minute)
	if err := sc.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(f.out.take()); n != 1 {
		t.Fatalf("sent %d after the backoff", n)
	}
	ds, _ = f.svc.Deliveries(ctx, f.site.ID)
	if len(ds) != 1 || ds[0].Error != "" || ds[0].Period != "2026-11-30" {
		t.Fatalf("deliveries %+v", ds)
	}
}

// The week of the spring DST change in Paris (29 March 2026, 167 hours):
// the report leaves at 07:00 summer time (05:00 UTC), and counts the visit
// of Sunday 23:30 (21:30 UTC) but not that of Monday 00:30 (Sunday 22:30
// UTC).
func TestWeeklyReportAcrossDST(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, "Europe/Paris", at(t, "2026-03-30T04:59:00Z"))
	f.visit(at(t, "2026-03-23T00:10:00+01:00"), "Google", []string{"/"})
	f.visit(at(t, "2026-03-29T23:30:00+02:00"), "Google", []string{"/", "/prix"})
	f.visit(at(t, "2026-03-30T00:30:00+02:00"), "Bing", []string{"/"})
	// The week before, and the previous report already sent.
	f.visit(at(t, "2026-03-18T12:00:00+01:00"), "Bing", []string{"/"})
	if err := f.svc.Subscribe(ctx, reports.Subscription{SiteID: f.site.ID, Kind: reports.Weekly, Email: "boss@client.fr"}); err != nil {
		t.Fatal(err)
	}
	sc := reports.NewScheduler(f.svc)
	if err := sc.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if got := f.out.take(); len(got) != 1 || !strings.HasSuffix(got[0].key, ":weekly:2026-03-16") {
		t.Fatalf("04:59 UTC sent %v, want the week of 16 March", keys(got))
	}
	f.clock.Set(at(t, "2026-03-30T05:00:00Z"))
	if err := sc.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	got := f.out.take()
	if len(got) != 1 || !strings.HasSuffix(got[0].key, ":weekly:2026-03-23") {
		t.Fatalf("05:00 UTC sent %v, want the week of 23 March", keys(got))
	}
	if want := "Weekly report for a.fr: 2 visitors (+100%) · March 23 – March 29, 2026"; got[0].msg.Subject != want {
		t.Errorf("subject %q, want %q", got[0].msg.Subject, want)
	}
	if !strings.Contains(got[0].msg.Text, "Pageviews            3") {
		t.Errorf("want 3 pageviews in:\n%s", got[0].msg.Text)
	}
}

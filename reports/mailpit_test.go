package reports_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/sillage-analytics/sillage/internal/mail"
	"github.com/sillage-analytics/sillage/internal/mailtest"
	"github.com/sillage-analytics/sillage/query"
	"github.com/sillage-analytics/sillage/query/api"
	"github.com/sillage-analytics/sillage/reports"
)

// End to end: the scheduler sends the weekly reports through the mail
// outbox to a real SMTP server (Mailpit); what arrives has the subject,
// the recipients and the Stats API's numbers, and its unsubscribe link
// (the header's one-click POST, RFC 8058) ends the subscription.
func TestReportsThroughMailpit(t *testing.T) {
	ctx := context.Background()
	mp := mailtest.Start(t)
	f := newFixture(t, "Europe/Paris", at(t, "2026-12-07T07:05:00+01:00"))
	weekOfTraffic(t, f)
	cfg, err := mail.ParseConfig(mp.SMTPURL(), "Sillage <stats@example.fr>")
	if err != nil {
		t.Fatal(err)
	}
	box, err := mail.NewOutbox(mail.OutboxOptions{Engine: f.eng, Transport: mail.NewSMTP(cfg), Secret: []byte("a test secret of thirty-two bytes"),
		Now: f.clock.Now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	f.svc.Sender = box
	// The dashboard's server, at the address the links point to.
	a := api.New(api.Options{Accounts: f.acc, Engine: f.eng, Secret: []byte("a test secret of thirty-two bytes"), Now: f.clock.Now,
		Logger: slog.New(slog.DiscardHandler), Reports: f.svc})
	q, err := query.New(query.Options{Engine: f.eng, Accounts: f.acc, API: a, Now: f.clock.Now, Logger: slog.New(slog.DiscardHandler),
		Dashboard: fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(q.Handler())
	t.Cleanup(srv.Close)
	f.svc.PublicURL = srv.URL

	for _, sub := range []reports.Subscription{
		{SiteID: f.site.ID, Kind: reports.Weekly, UserID: f.owner.ID, Lang: "fr"},
		{SiteID: f.site.ID, Kind: reports.Weekly, Email: "boss@client.fr", Lang: "en"},
	} {
		if err := f.svc.Subscribe(ctx, sub); err != nil {
			t.Fatal(err)
		}
	}
	sc := reports.NewScheduler(f.svc)
	if err := sc.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	s := newStatsAPI(t, f)
	agg := s.query(map[string]any{"site_id": "a.fr", "date_range": []string{"2026-11-30", "2026-12-06"}, "metrics": []string{"visitors", "pageviews"}})
	visitors, pageviews := float(t, agg.Results[0].Metrics[0]), float(t, agg.Results[0].Metrics[1])

	en := mp.WaitFor(t, 30*time.Second, mailtest.To("boss@client.fr", "Weekly report for a.fr"))
	fr := mp.WaitFor(t, 30*time.Second, mailtest.To("owner@a.fr", "Rapport hebdomadaire de a.fr"))
	if en.Subject != "Weekly report for a.fr: 6 visitors (+100%) · November 30 – December 6, 2026" {
		t.Errorf("subject %q", en.Subject)
	}
	if got := en.Recipients(); !slices.Equal(got, []string{"boss@client.fr"}) {
		t.Errorf("recipients %v", got)
	}
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	for _, line := range []string{"Unique visitors      " + num(visitors), "Pageviews            " + num(pageviews), "39.90 EUR"} {
		if !strings.Contains(en.Text, line) {
			t.Errorf("the English text lacks %q:\n%s", line, en.Text)
		}
	}
	if !strings.Contains(fr.Text, "Visiteurs uniques    "+num(visitors)) || !strings.Contains(fr.HTML, "Principales sources") {
		t.Errorf("the French mail lacks its numbers:\n%s", fr.Text)
	}
	if got := strings.Join(en.Headers["List-Unsubscribe-Post"], ""); got != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post %q", got)
	}
	link := regexp.MustCompile(`<(.+)>`).FindStringSubmatch(strings.Join(en.Headers["List-Unsubscribe"], ""))
	if link == nil || !strings.HasPrefix(link[1], srv.URL+"/api/reports/unsubscribe/") {
		t.Fatalf("List-Unsubscribe %v", en.Headers["List-Unsubscribe"])
	}
	if !strings.Contains(en.HTML, srv.URL+"/unsubscribe/") {
		t.Errorf("the HTML has no unsubscribe link")
	}
	// The one-click POST a mail client sends, without any login.
	resp, err := http.Post(link[1], "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("one-click unsubscribe: %s", resp.Status)
	}
	subs, err := f.svc.Subscriptions(ctx, f.site.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 1 || subs[0].Email != "owner@a.fr" {
		t.Fatalf("after unsubscribing: %+v", subs)
	}
	// A week later only the owner gets the report; and only once.
	mp.Clear(t)
	f.clock.Add(7 * 24 * time.Hour)
	for range 2 {
		if err := sc.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	mp.WaitFor(t, 30*time.Second, mailtest.To("owner@a.fr", "Rapport hebdomadaire de a.fr"))
	if n := len(mp.Messages(t)); n != 1 {
		t.Errorf("%d messages the week after, want 1 (to the owner)", n)
	}
}

package reports_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/query/stats"
	"github.com/sillage-analytics/sillage/reports"
)

// A report restricted to a segment counts what the Stats API counts under
// the segment's filters, says so, and goes out beside the whole site's.
func TestReportBySegment(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, "Europe/Paris", at(t, "2026-12-07T07:00:00+01:00"))
	weekOfTraffic(t, f)
	seg, err := f.acc.AddSegment(ctx, accounts.Segment{SiteID: f.site.ID, OwnerID: f.owner.ID, Name: "Google", Shared: true,
		Filters: []stats.Filter{{Op: "is", Dimension: "visit:source", Values: []string{"Google"}}}})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := reports.Previous(reports.Weekly, f.clock.Now(), time.FixedZone("", 3600))
	rep, err := f.svc.BuildSegment(ctx, f.site, p, &seg)
	if err != nil {
		t.Fatal(err)
	}
	s := newStatsAPI(t, f)
	agg := s.query(map[string]any{"site_id": "a.fr", "date_range": []string{"2026-11-30", "2026-12-06"},
		"metrics": []string{"visitors", "pageviews"}, "filters": [][]any{{"is", "visit:source", []string{"Google"}}}})
	if want := float(t, agg.Results[0].Metrics[0]); rep.Visitors.Value != want || want != 3 {
		t.Errorf("visitors of the segment %v, the Stats API says %v (want 3 of the week's 6)", rep.Visitors.Value, want)
	}
	if want := float(t, agg.Results[0].Metrics[1]); rep.Pageviews.Value != want {
		t.Errorf("pageviews of the segment %v, the Stats API says %v", rep.Pageviews.Value, want)
	}
	if len(rep.Sources) != 1 || rep.Sources[0].Name != "Google" {
		t.Errorf("sources of the segment %+v, want Google alone", rep.Sources)
	}

	// Sent: the segment's subscriber gets its numbers, the other the site's.
	for _, sub := range []reports.Subscription{
		{SiteID: f.site.ID, Kind: reports.Weekly, Email: "seo@client.fr", Lang: "fr", SegmentID: seg.ID},
		{SiteID: f.site.ID, Kind: reports.Weekly, Email: "boss@client.fr", Lang: "en"},
	} {
		if err := f.svc.Subscribe(ctx, sub); err != nil {
			t.Fatal(err)
		}
	}
	if err := reports.NewScheduler(f.svc).Tick(ctx); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range f.out.take() {
		got[m.msg.To[0]] = m.msg.Subject + "\n" + m.msg.Text
	}
	if s := got["seo@client.fr"]; !strings.Contains(s, "de a.fr : 3 visiteurs") || !strings.Contains(s, "segment « Google »") {
		t.Errorf("the segment's report:\n%s", s)
	}
	if s := got["boss@client.fr"]; !strings.Contains(s, "for a.fr: 6 visitors") || strings.Contains(s, "segment") {
		t.Errorf("the site's report:\n%s", s)
	}
	uses, err := f.svc.SegmentUses(ctx, f.site.ID, seg.ID)
	if err != nil || len(uses) != 1 || uses[0].Email != "seo@client.fr" {
		t.Errorf("uses of the segment %+v, %v", uses, err)
	}
}

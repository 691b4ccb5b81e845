package reports_test

import (
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/reports"
)

// The scheduler computes every subscription's period on every tick.
func BenchmarkPrevious(b *testing.B) {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 12, 9, 12, 0, 0, 0, time.UTC)
	for b.Loop() {
		reports.Previous(reports.Weekly, now, loc)
		reports.Previous(reports.Monthly, now, loc)
	}
}

// A report is rendered once per recipient.
func BenchmarkRender(b *testing.B) {
	change := 12.0
	r := &reports.Report{
		Site:     sillage.Site{Domain: "a.fr", Timezone: "Europe/Paris"},
		Period:   reports.Period{Kind: reports.Weekly, From: reports.Date{Year: 2026, Month: 11, Day: 30}, To: reports.Date{Year: 2026, Month: 12, Day: 6}},
		Visitors: reports.Metric{Value: 12345, Change: &change}, Pageviews: reports.Metric{Value: 45678, Change: &change},
		BounceRate: reports.Metric{Value: 41.5, Change: &change}, VisitDuration: reports.Metric{Value: 187, Change: &change},
	}
	for i := range reports.TopN {
		r.Sources = append(r.Sources, reports.Row{Name: "Source", Visitors: uint64(1000 - i*100)})
		r.Pages = append(r.Pages, reports.Row{Name: "/page", Visitors: uint64(900 - i*100), Pageviews: 2000})
		r.Goals = append(r.Goals, reports.GoalRow{Name: "Purchase", Visitors: 40, Events: 52, ConversionRate: 1.2, Revenue: "1234.50 EUR"})
	}
	for b.Loop() {
		if _, err := r.Render("fr", "https://stats.example.fr/a.fr", "https://stats.example.fr/unsubscribe/x"); err != nil {
			b.Fatal(err)
		}
	}
}

package imports

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/query/stats"
)

// An event-level import's events count in the stats (and funnels) once it completes,
// not while it runs, and never when it is cancelled; the site's own
// events count throughout.
func TestEventImportHiddenUntilCompleted(t *testing.T) {
	ctx := context.Background()
	m, e := newManager(t)
	addSite(t, e, 7, "boulangerie.fr")
	site := sillage.Site{ID: 7, Domain: "boulangerie.fr", Timezone: "Europe/Paris"}
	se := &stats.Engine{Store: e, Now: func() time.Time { return time.Date(2024, 3, 10, 12, 0, 0, 0, time.UTC) }}
	// A native visitor on a day of the export: the import keeps it.
	ts := time.Date(2024, 3, 8, 10, 0, 0, 0, time.UTC)
	if err := e.InsertEvents(ctx, "", []sillage.Event{{SiteID: 7, Timestamp: ts, SessionStart: ts, Name: "pageview", VisitorID: 1, SessionID: 2,
		Hostname: "boulangerie.fr", Pathname: "/", Props: map[string]string{}}}); err != nil {
		t.Fatal(err)
	}
	figures := func() [5]float64 {
		t.Helper()
		q := stats.Query{Metrics: []string{"visitors", "pageviews", "visits"}, DateRange: stats.DateRange{From: "2024-01-01", To: "2024-03-09"}}
		q.Pagination.Limit = 10
		r, err := se.Run(ctx, site, nil, &q)
		if err != nil {
			t.Fatal(err)
		}
		f, err := se.Funnel(ctx, site, []stats.Goal{{PagePath: "/"}, {PagePath: "/pain"}}, 0, &stats.Query{DateRange: q.DateRange})
		if err != nil {
			t.Fatal(err)
		}
		return [5]float64{num(r.Results[0].Metrics[0]), num(r.Results[0].Metrics[1]), num(r.Results[0].Metrics[2]),
			float64(f.AllVisitors), float64(f.EnteringVisitors)}
	}
	native := figures()
	if native != [5]float64{1, 1, 1, 1, 1} {
		t.Fatalf("native figures %v", native)
	}
	body, err := os.ReadFile("testdata/umami-export.csv")
	if err != nil {
		t.Fatal(err)
	}
	m.BatchRows = 2
	var during [][5]float64
	m.onBatch = func(Job) { during = append(during, figures()) }
	j, _, err := m.Submit(ctx, 7, SourceUmami, "umami-export.csv", bytes.NewReader(body), "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Process(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	if len(during) < 2 {
		t.Fatalf("%d batches: the test needs the import to run over several", len(during))
	}
	for i, f := range during {
		if f != native {
			t.Errorf("after batch %d of a running import: %v, want the native %v", i+1, f, native)
		}
	}
	after := figures()
	if after[0] <= native[0] {
		t.Fatalf("completed: %v, want more than the native %v", after, native)
	}

	// A cancelled import: hidden while it runs, gone once cancelled.
	m.onBatch = nil
	if err := m.Delete(ctx, 7, j.ID); err != nil {
		t.Fatal(err)
	}
	during = nil
	m.onBatch = func(j Job) {
		during = append(during, figures())
		if len(during) == 2 {
			if _, err := m.Cancel(ctx, 7, j.ID); err != nil {
				t.Error(err)
			}
		}
	}
	j, _, err = m.Submit(ctx, 7, SourceUmami, "umami-export.csv", bytes.NewReader(body), "test")
	if err != nil {
		t.Fatal(err)
	}
	_ = m.Process(ctx, j.ID)
	for i, f := range during {
		if f != native {
			t.Errorf("cancelled import, batch %d: %v, want the native %v", i+1, f, native)
		}
	}
	if f := figures(); f != native {
		t.Errorf("after the cancel: %v, want the native %v", f, native)
	}
}

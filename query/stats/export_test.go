package stats

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
)

// visitors.csv lists every day of the range, a day without visits too.
func TestExportEveryDay(t *testing.T) {
	e := loaded(t, scenario(), at(20, 0))
	q := &Query{SiteID: "example.fr", DateRange: DateRange{From: "2026-06-09", To: "2026-06-11"}}
	zr := exported(t, e, q)
	f, err := zr.Open("visitors.csv")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var days []string
	for _, r := range rows[1:] {
		days = append(days, r[0])
	}
	if !slices.Equal(days, []string{"2026-06-09", "2026-06-10", "2026-06-11"}) || !slices.Equal(rows[1], []string{"2026-06-09", "0", "0", "0", "0", "0", "0"}) {
		t.Fatalf("visitors.csv: %q", rows)
	}
}

func TestExport(t *testing.T) {
	e := loaded(t, scenario(), at(20, 0))
	q := &Query{SiteID: "example.fr", DateRange: DateRange{Period: "day"}, Date: "2026-06-10"}
	zr := exported(t, e, q)
	files := map[string]string{}
	var names []string
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		files[f.Name] = string(b)
		names = append(names, f.Name)
		if _, err := csv.NewReader(bytes.NewReader(b)).ReadAll(); err != nil {
			t.Errorf("%s is not valid CSV: %v", f.Name, err)
		}
	}
	want := []string{"visitors.csv", "pages.csv", "entry_pages.csv", "exit_pages.csv", "sources.csv", "channels.csv",
		"utm_mediums.csv", "utm_sources.csv", "utm_campaigns.csv", "utm_contents.csv", "utm_terms.csv",
		"countries.csv", "regions.csv", "cities.csv", "browsers.csv", "operating_systems.csv", "devices.csv",
		"conversions.csv", "custom_props.csv"}
	if !slices.Equal(names, want) {
		t.Fatalf("files %v", names)
	}
	expect := map[string]string{
		"visitors.csv": "date,visitors,pageviews,visits,views_per_visit,bounce_rate,visit_duration\n2026-06-10,6,9,7,1.43,29,240\n",
		"pages.csv": "name,visitors,pageviews,bounce_rate,time_on_page\n/,2,2,0,\n/blog/hello,2,2,100,90\n/checkout,2,2,0,\n" +
			"/docs/api,1,1,0,\n/pricing,1,2,0,30\n",
		"entry_pages.csv": "name,unique_entrances,total_entrances,bounce_rate,visit_duration\n/,2,2,0,690\n/blog/hello,2,2,100,0\n" +
			"/checkout,1,1,0,60\n/docs/api,1,1,0,60\n/pricing,1,1,0,180\n",
		// /docs was viewed the next day: no pageviews today, no exit rate.
		"exit_pages.csv":    "name,unique_exits,total_exits,exit_rate\n/blog/hello,2,2,100\n/checkout,2,2,100\n/docs,1,1,\n/docs/api,1,1,100\n/pricing,1,1,50\n",
		"utm_campaigns.csv": "name,visitors,bounce_rate,visit_duration\nbrand,1,0,60\nsummer,1,100,0\n",
		"countries.csv":     "name,visitors\nFrance,3\nBelgium,1\nGermany,1\nUnited States,1\n",
		"conversions.csv":   "name,unique_conversions,total_conversions\nSignup,2,2\nPurchase,2,2\nVisit /blog/**,2,2\nVisit /docs/*,1,1\n",
		"custom_props.csv":  "property,value,visitors,events,percentage\nplan,free,1,1,16.7\nplan,pro,1,1,16.7\nurl,https://other.example,1,1,16.7\n",
		// ISO 3166-2 names (ties in code order).
		"regions.csv": "name,visitors\nÎle-de-France,2\nBrussels Hoofdstedelijk Gewest,1\nBerlin,1\nAuvergne-Rhône-Alpes,1\nNew York,1\n",
	}
	for name, content := range expect {
		if files[name] != content {
			t.Errorf("%s:\n%s\nwant\n%s", name, files[name], content)
		}
	}

	// Filters apply to every file; a page filter empties views_per_visit.
	q.Filters = []Filter{{Op: "is", Dimension: "event:page", Values: []string{"/pricing"}}}
	f, _ := exported(t, e, q).Open("visitors.csv")
	b, _ := io.ReadAll(f)
	if !strings.HasSuffix(string(b), "2026-06-10,1,2,2,,0,300\n") {
		t.Errorf("filtered visitors.csv:\n%s", b)
	}
}

// Visitors choose campaign names and property values: a cell that a
// spreadsheet would read as a formula is written as text.
func TestExportNeutralisesFormulas(t *testing.T) {
	s := newVisit(1, 9, 901, at(16, 0), func(e *sillage.Event) {
		attrs("", "Direct", "FR", "FR-IDF", "Paris", 2988507, "Firefox", "Linux", "Desktop")(e)
		e.UTMCampaign = `=HYPERLINK("https://evil.example","x")`
	}).pv(0, "/").event(time.Minute, "Signup", "/", props("plan", "+cmd|' /C calc'!A0"))
	e := loaded(t, join(s), at(20, 0))
	q := &Query{SiteID: "example.fr", DateRange: DateRange{Period: "day"}, Date: "2026-06-10"}
	zr := exported(t, e, q)
	cell := func(file string, row, col int) string {
		f, err := zr.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(f).ReadAll()
		if err != nil || len(rows) <= row {
			t.Fatalf("%s: %q, %v", file, rows, err)
		}
		return rows[row][col]
	}
	if got, want := cell("utm_campaigns.csv", 1, 0), `'=HYPERLINK("https://evil.example","x")`; got != want {
		t.Errorf("utm_campaigns.csv name %q, want %q", got, want)
	}
	if got, want := cell("custom_props.csv", 1, 1), "'+cmd|' /C calc'!A0"; got != want {
		t.Errorf("custom_props.csv value %q, want %q", got, want)
	}
}

// custom_props.csv, like every file, holds at most exportLimit rows in all,
// however many properties the site has: the file is built in memory.
func TestExportPropsBounded(t *testing.T) {
	defer func(l int) { exportLimit = l }(exportLimit)
	exportLimit = 2
	e := loaded(t, scenario(), at(20, 0))
	q := &Query{SiteID: "example.fr", DateRange: DateRange{Period: "day"}, Date: "2026-06-10"}
	zr := exported(t, e, q)
	f, err := zr.Open("custom_props.csv")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	if want := "property,value,visitors,events,percentage\nplan,free,1,1,16.7\nplan,pro,1,1,16.7\n"; string(b) != want {
		t.Fatalf("custom_props.csv:\n%s\nwant\n%s", b, want)
	}
}

// exported is the zip of e's export of q.
func exported(t *testing.T, e *Engine, q *Query) *zip.Reader {
	t.Helper()
	var buf bytes.Buffer
	if err := e.Export(context.Background(), scenarioSite, scenarioGoals, q, &buf); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	return zr
}

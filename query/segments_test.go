package query

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/imports"
	"github.com/sillage-analytics/sillage/query/stats"
)

// results keeps the rows of a Stats API answer, which must be equal
// whether the filters come from a segment or are written out.
func results(t *testing.T, status int, body []byte) string {
	t.Helper()
	if status != 200 {
		t.Fatalf("%d %s", status, body)
	}
	var resp struct {
		Results json.RawMessage `json:"results"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	return string(resp.Results)
}

func addSegment(t *testing.T, acc *accounts.Service, siteID uint32, owner, filters string, shared bool) accounts.Segment {
	t.Helper()
	fs, err := accounts.ParseSegmentFilters(json.RawMessage(filters))
	if err != nil {
		t.Fatal(err)
	}
	g, err := acc.AddSegment(context.Background(), accounts.Segment{SiteID: siteID, OwnerID: owner, Name: "s " + filters, Filters: fs, Shared: shared})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// The Stats API v2 answers a segment filter with exactly the numbers of
// the segment's filters written out, alone or with other filters, in
// aggregates, breakdowns and time series.
func TestSegmentFilterExpandsToItsFilters(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	owner, err := f.acc.UserByEmail(ctx, "owner@example.fr")
	if err != nil {
		t.Fatal(err)
	}
	total := results(t, 200, mustPost(t, f, `{"site_id":"boutique.fr","metrics":["visitors"],"date_range":"7d"}`))
	cases := []struct {
		name, filters string
		shared        bool
	}{
		{"one visit filter", `[["is","visit:device",["Mobile"]]]`, true},
		{"event and visit filters", `[["is","visit:browser",["Firefox","Safari"]],["contains","event:page",["/produits"]]]`, false},
		{"an or group", `[["or",[["is","visit:source",["Google"]],["is","visit:os",["Windows"]]]]]`, true},
		{"negation and regex", `[["not",["matches","event:page",["^/blog"]]],["is_not","visit:os",["Mac"]]]`, false},
		{"has done", `[["has_done",["is","event:page",["/panier"]]]]`, true},
	}
	queries := []string{
		`"metrics":["visitors","visits","pageviews","bounce_rate","visit_duration"],"date_range":"7d"`,
		`"metrics":["visitors","pageviews"],"date_range":"7d","dimensions":["visit:browser"],"order_by":[["visitors","desc"],["visit:browser","asc"]]`,
		`"metrics":["visitors"],"date_range":"7d","dimensions":["time:day"]`,
	}
	for _, c := range cases {
		seg := addSegment(t, f.acc, f.siteID, owner.ID, c.filters, c.shared)
		for i, q := range queries {
			t.Run(fmt.Sprintf("%s/query %d", c.name, i), func(t *testing.T) {
				written := f.results(t, `{"site_id":"boutique.fr",`+q+`,"filters":`+c.filters+`}`)
				bySegment := f.results(t, fmt.Sprintf(`{"site_id":"boutique.fr",%s,"filters":[["is","segment",[%d]]]}`, q, seg.ID))
				if bySegment != written {
					t.Errorf("by segment:\n%s\nwritten out:\n%s", bySegment, written)
				}
				if i == 0 && written == total {
					t.Errorf("the filters select every visitor (%s): the case proves nothing", written)
				}
				// With one more filter of the query's own.
				extra := `["is","visit:country",["FR"]]`
				written = f.results(t, `{"site_id":"boutique.fr",`+q+`,"filters":`+strings.TrimSuffix(c.filters, "]")+","+extra+`]}`)
				bySegment = f.results(t, fmt.Sprintf(`{"site_id":"boutique.fr",%s,"filters":[["is","segment",[%d]],%s]}`, q, seg.ID, extra))
				if bySegment != written {
					t.Errorf("with a country filter, by segment:\n%s\nwritten out:\n%s", bySegment, written)
				}
			})
		}
	}
}

func mustPost(t *testing.T, f *fixture, body string) []byte {
	t.Helper()
	status, b := f.post(t, "/api/v2/query", f.key, body)
	if status != 200 {
		t.Fatalf("%d %s", status, b)
	}
	return b
}

func (f *fixture) results(t *testing.T, body string) string {
	t.Helper()
	status, b := f.postStatus(t, body)
	return results(t, status, b)
}

func (f *fixture) postStatus(t *testing.T, body string) (int, []byte) {
	t.Helper()
	return f.post(t, "/api/v2/query", f.key, body)
}

// A segment the caller may not see is refused with one answer, whether it
// does not exist, is another site's or another account's personal one.
func TestSegmentFilterRefusals(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	owner, err := f.acc.UserByEmail(ctx, "owner@example.fr")
	if err != nil {
		t.Fatal(err)
	}
	viewer, err := f.acc.AddUser(ctx, "viewer@example.fr", "long enough password")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.acc.AddMember(ctx, f.siteID, viewer.Email, sillage.RoleViewer); err != nil {
		t.Fatal(err)
	}
	other, err := f.acc.SiteByDomain(ctx, "autre.fr")
	if err != nil {
		t.Fatal(err)
	}
	viewers := addSegment(t, f.acc, f.siteID, viewer.ID, `[["is","visit:device",["Mobile"]]]`, false)
	elsewhere := addSegment(t, f.acc, other.ID, owner.ID, `[["is","visit:device",["Mobile"]]]`, true)
	mine := addSegment(t, f.acc, f.siteID, owner.ID, `[["is","visit:device",["Mobile"]]]`, false)
	for _, c := range []struct {
		name    string
		filters string
		status  int
		want    string
	}{
		{"another account's personal segment", fmt.Sprintf(`[["is","segment",[%d]]]`, viewers.ID), 400,
			"Invalid filters. Some segments don't exist or aren't accessible."},
		{"another site's segment", fmt.Sprintf(`[["is","segment",[%d]]]`, elsewhere.ID), 400,
			"Invalid filters. Some segments don't exist or aren't accessible."},
		{"no such segment", `[["is","segment",[12345]]]`, 400, "Invalid filters. Some segments don't exist or aren't accessible."},
		{"the key owner's own segment", fmt.Sprintf(`[["is","segment",[%d]]]`, mine.ID), 200, ``},
		{"an id as a string", fmt.Sprintf(`[["is","segment",["%d"]]]`, mine.ID), 200, ``},
		{"not at the top level", fmt.Sprintf(`[["not",["is","segment",[%d]]]]`, mine.ID), 400, `#/filters/0/1/1: a segment filter can only be used at the top level`},
		{"another operator", fmt.Sprintf(`[["is_not","segment",[%d]]]`, mine.ID), 400, `#/filters/0/0: a segment filter only takes the operator "is"`},
		{"not a number", `[["is","segment",["abc"]]]`, 400, `#/filters/0/2/0: invalid segment id "abc", expected a number`},
		{"empty", `[["is","segment",[]]]`, 400, `#/filters/0/2: expected a non-empty list of segment ids`},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, body := f.postStatus(t, `{"site_id":"boutique.fr","metrics":["visitors"],"date_range":"7d","filters":`+c.filters+`}`)
			if status != c.status {
				t.Fatalf("%d %s, want %d", status, body, c.status)
			}
			if c.want != "" {
				var e struct{ Error string }
				json.Unmarshal(body, &e)
				if e.Error != c.want {
					t.Errorf("error %q, want %q", e.Error, c.want)
				}
			}
		})
	}
}

// The dashboard's CSV export counts a segment's visitors as its filters
// written out.
func TestExportBySegment(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	owner, err := f.acc.UserByEmail(ctx, "owner@example.fr")
	if err != nil {
		t.Fatal(err)
	}
	filters := `[["is","visit:device",["Mobile"]]]`
	seg := addSegment(t, f.acc, f.siteID, owner.ID, filters, true)
	visitorsCSV := func(q string) string {
		resp, body := get(t, f.srv.URL+"/api/sites/boutique.fr/export?query="+url.QueryEscape(q), f.key)
		if resp.StatusCode != 200 {
			t.Fatalf("export: %d %s", resp.StatusCode, body)
		}
		zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
		if err != nil {
			t.Fatal(err)
		}
		for _, zf := range zr.File {
			if strings.HasPrefix(zf.Name, "visitors") {
				r, _ := zf.Open()
				b, _ := io.ReadAll(r)
				return string(b)
			}
		}
		t.Fatal("no visitors file in the export")
		return ""
	}
	all := visitorsCSV(`{"date_range":"7d"}`)
	written := visitorsCSV(`{"date_range":"7d","filters":` + filters + `}`)
	bySegment := visitorsCSV(fmt.Sprintf(`{"date_range":"7d","filters":[["is","segment",[%d]]]}`, seg.ID))
	if bySegment != written || written == all {
		t.Errorf("by segment:\n%s\nwritten out:\n%s\nunfiltered:\n%s", bySegment, written, all)
	}
	if resp, body := get(t, f.srv.URL+"/api/sites/boutique.fr/export?query="+url.QueryEscape(`{"filters":[["is","segment",[99]]]}`), f.key); resp.StatusCode != 400 {
		t.Errorf("export by a missing segment: %d %s", resp.StatusCode, body)
	}
}

// The engine refuses a query whose segment filter nobody expanded.
func TestEngineRefusesUnexpandedSegment(t *testing.T) {
	q, err := stats.ParseQuery([]byte(`{"site_id":"x.fr","metrics":["visitors"],"date_range":"7d","filters":[["is","segment",[1]]]}`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = (&stats.Engine{}).Run(context.Background(), sillage.Site{}, nil, q)
	if err == nil || !strings.Contains(err.Error(), "segment filters are not available here") {
		t.Fatalf("err = %v", err)
	}
}

// The raw export of a segment holds exactly the sessions the Stats API
// counts as its visits, with their events.
func TestRawExportBySegment(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	site, err := f.acc.SiteByDomain(ctx, "boutique.fr")
	if err != nil {
		t.Fatal(err)
	}
	for _, filters := range []string{
		`[["is","visit:device",["Mobile"]]]`,
		`[["contains","event:page",["/produits"]],["is_not","visit:browser",["Chrome"]]]`,
	} {
		t.Run(filters, func(t *testing.T) {
			fs, err := accounts.ParseSegmentFilters(json.RawMessage(filters))
			if err != nil {
				t.Fatal(err)
			}
			sessions, params, err := stats.SessionsMatching(site, nil, fs)
			if err != nil {
				t.Fatal(err)
			}
			path := t.TempDir() + "/raw.zip"
			if err := imports.ExportRawSessions(ctx, f.acc.Engine, site, path, imports.FormatCSV, sessions, params); err != nil {
				t.Fatal(err)
			}
			zr, err := zip.OpenReader(path)
			if err != nil {
				t.Fatal(err)
			}
			defer zr.Close()
			lines := map[string]int{}
			for _, zf := range zr.File {
				r, _ := zf.Open()
				b, _ := io.ReadAll(r)
				lines[zf.Name] = strings.Count(string(b), "\n") - 1 // the header
			}
			var api struct {
				Results []struct{ Metrics []float64 }
			}
			body := mustPost(t, f, `{"site_id":"boutique.fr","metrics":["visits","visitors"],"date_range":"all","filters":`+filters+`}`)
			if err := json.Unmarshal(body, &api); err != nil {
				t.Fatal(err)
			}
			visits := int(api.Results[0].Metrics[0])
			if lines["sessions.csv"] != visits || visits == 0 {
				t.Errorf("sessions.csv has %d sessions, the Stats API counts %d visits", lines["sessions.csv"], visits)
			}
			if lines["events.csv"] <= lines["sessions.csv"] {
				t.Errorf("events.csv has %d events for %d sessions", lines["events.csv"], lines["sessions.csv"])
			}
		})
	}
}

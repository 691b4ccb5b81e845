package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/query/api"
	"github.com/sillage-analytics/sillage/query/stats"
	"github.com/sillage-analytics/sillage/reports"
	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/storetest"
)

type segmentOut struct {
	ID      uint64            `json:"id"`
	Name    string            `json:"name"`
	Filters []json.RawMessage `json:"filters"`
	Shared  bool              `json:"shared"`
	Mine    bool              `json:"mine"`
	CanEdit bool              `json:"can_edit"`
}

var franceFilters = []any{[]any{"is", "visit:country", []string{"FR"}}}

func (c *client) newSegment(t *testing.T, name string, shared bool) segmentOut {
	t.Helper()
	r := c.do("POST", "/api/sites/a.fr/segments", map[string]any{"name": name, "filters": franceFilters, "shared": shared})
	wantStatus(t, "save segment "+name, r, 201)
	var s segmentOut
	r.json(t, &s)
	return s
}

func (c *client) segmentNames(t *testing.T) []string {
	t.Helper()
	r := c.do("GET", "/api/sites/a.fr/segments", nil)
	wantStatus(t, "list segments", r, 200)
	var out struct{ Segments []segmentOut }
	r.json(t, &out)
	var names []string
	for _, s := range out.Segments {
		names = append(names, fmt.Sprintf("%s shared=%v mine=%v edit=%v", s.Name, s.Shared, s.Mine, s.CanEdit))
	}
	return names
}

// Who sees which segments: a personal one only its owner, a shared one
// every member, key and shared link of the site, never another site.
func TestSegmentVisibility(t *testing.T) {
	w := newWorld(t)
	owner, admin, viewer, outsider := w.as(w.owner), w.as(w.admin), w.as(w.viewer), w.as(w.outsider)
	owner.newSegment(t, "Owner's own", false)
	admin.newSegment(t, "Site-wide", true)
	viewer.newSegment(t, "Viewer's own", false)
	ctx := context.Background()
	link, err := w.acc.AddSharedLink(ctx, w.a.ID, "press", "")
	if err != nil {
		t.Fatal(err)
	}
	asLink := w.client()
	asLink.header.Set(api.SharedLinkHeader, link.Slug)
	_, key, err := w.acc.CreateAPIKey(ctx, w.viewer.ID, "k", []uint32{w.a.ID})
	if err != nil {
		t.Fatal(err)
	}
	asKey := w.client()
	asKey.bearer = key
	for _, c := range []struct {
		who  string
		c    *client
		want []string
	}{
		{"owner", owner, []string{"Owner's own shared=false mine=true edit=true", "Site-wide shared=true mine=false edit=true"}},
		{"admin", admin, []string{"Site-wide shared=true mine=true edit=true"}},
		{"viewer", viewer, []string{"Site-wide shared=true mine=false edit=false", "Viewer's own shared=false mine=true edit=true"}},
		{"the viewer's API key", asKey, []string{"Site-wide shared=true mine=false edit=false", "Viewer's own shared=false mine=true edit=false"}},
		{"a shared link", asLink, []string{"Site-wide shared=true mine=false edit=false"}},
	} {
		t.Run(c.who, func(t *testing.T) {
			if got := c.c.segmentNames(t); !slices.Equal(got, c.want) {
				t.Errorf("sees %q, want %q", got, c.want)
			}
		})
	}
	if r := outsider.do("GET", "/api/sites/a.fr/segments", nil); r.status != 403 && r.status != 404 {
		t.Errorf("a member of another site lists a.fr's segments: %d %s", r.status, r)
	}
	if r := outsider.do("GET", "/api/sites/b.fr/segments", nil); r.status != 200 || strings.Contains(r.String(), "own") {
		t.Errorf("b.fr shows a.fr's segments: %d %s", r.status, r)
	}
}

// Saving checks the name and the filters by the Stats API's own rules.
func TestSegmentValidation(t *testing.T) {
	w := newWorld(t)
	owner := w.as(w.owner)
	long := strings.Repeat("é", accounts.MaxSegmentName+1)
	for _, c := range []struct {
		name string
		body any
		want string
	}{
		{"no name", map[string]any{"filters": franceFilters}, "name: required"},
		{"empty name", map[string]any{"name": "  ", "filters": franceFilters}, "segment name is required"},
		{"name too long", map[string]any{"name": long, "filters": franceFilters}, "segment name is too long: at most 255 characters"},
		{"no filters", map[string]any{"name": "x"}, "filters: expected a non-empty list of filters"},
		{"empty filters", map[string]any{"name": "x", "filters": []any{}}, "filters: expected a non-empty list of filters"},
		{"unknown dimension", map[string]any{"name": "x", "filters": []any{[]any{"is", "visit:shoe_size", []string{"42"}}}},
			`filters[0][1]: unknown filter dimension "visit:shoe_size"`},
		{"unknown operator", map[string]any{"name": "x", "filters": []any{[]any{"is_about", "visit:country", []string{"FR"}}}},
			`filters[0][0]: unknown operator "is_about"`},
		{"bad regular expression", map[string]any{"name": "x", "filters": []any{[]any{"matches", "event:page", []string{"(("}}}},
			"filters[0][2][0]: invalid regular expression \"((\": missing closing ): `((`"},
		{"a goal under or", map[string]any{"name": "x", "filters": []any{[]any{"or", []any{[]any{"is", "event:goal", []string{"Signup"}}, []any{"is", "visit:country", []string{"FR"}}}}}},
			"Invalid filters. Dimension `event:goal` can only be filtered at the top level."},
		{"a segment in a segment", map[string]any{"name": "x", "filters": []any{[]any{"is", "segment", []int{1}}}},
			"filters[0]: a segment cannot contain another segment"},
		{"not a list", map[string]any{"name": "x", "filters": "visit:country==FR"}, "filters: expected a list of filters"},
		{"unknown field", map[string]any{"name": "x", "filters": franceFilters, "type": "site"}, `malformed request body: json: unknown field "type"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := owner.do("POST", "/api/sites/a.fr/segments", c.body)
			wantStatus(t, c.name, r, 400)
			var e struct{ Error string }
			r.json(t, &e)
			if e.Error != c.want {
				t.Errorf("error %q, want %q", e.Error, c.want)
			}
		})
	}
	// The filters are kept as sent, in the Stats API's syntax.
	r := owner.do("POST", "/api/sites/a.fr/segments", map[string]any{"name": "  Mobile FR  ", "filters": []any{
		[]any{"is", "visit:country", []string{"FR"}}, []any{"contains", "event:page", []string{"/blog"}, map[string]bool{"case_sensitive": false}}}})
	wantStatus(t, "save", r, 201)
	var s segmentOut
	r.json(t, &s)
	got, _ := json.Marshal(s.Filters)
	if s.Name != "Mobile FR" || string(got) != `[["is","visit:country",["FR"]],["contains","event:page",["/blog"],{"case_sensitive":false}]]` {
		t.Errorf("saved %q %s", s.Name, got)
	}
}

// A site keeps at most 500 segments.
func TestSegmentLimit(t *testing.T) {
	w := newWorld(t)
	err := w.acc.Engine.Exec(context.Background(), `INSERT INTO segments (site_id, id, owner_id, name, filters, shared, created_at, updated_at, deleted)
		SELECT {site:UInt32}, number + 1, toUUID({owner:String}), toString(number), '[["is","visit:country",["FR"]]]', 1, now64(3), now64(6), 0
		FROM numbers({n:UInt32})`, store.Params{"site": w.a.ID, "owner": w.owner.ID, "n": uint32(accounts.MaxSegments - 1)})
	if err != nil {
		t.Fatal(err)
	}
	owner := w.as(w.owner)
	owner.newSegment(t, "the last one", false)
	r := owner.do("POST", "/api/sites/a.fr/segments", map[string]any{"name": "one too many", "filters": franceFilters})
	wantStatus(t, "the 501st segment", r, 400)
	if !strings.Contains(r.String(), "at most 500 segments") {
		t.Errorf("answer %s", r)
	}
}

// Who changes what: a personal segment only its owner, a shared one
// admins and owners; sharing takes an admin; a shared segment made
// personal becomes its editor's.
func TestSegmentManagement(t *testing.T) {
	w := newWorld(t)
	owner, admin, viewer := w.as(w.owner), w.as(w.admin), w.as(w.viewer)
	shared := admin.newSegment(t, "Shared", true)
	mine := viewer.newSegment(t, "Viewer's", false)
	path := func(s segmentOut) string { return fmt.Sprintf("/api/sites/a.fr/segments/%d", s.ID) }
	for _, c := range []struct {
		what   string
		c      *client
		method string
		path   string
		body   any
		status int
	}{
		{"a viewer shares a segment", viewer, "POST", "/api/sites/a.fr/segments", map[string]any{"name": "x", "filters": franceFilters, "shared": true}, 403},
		{"a viewer renames a shared segment", viewer, "PATCH", path(shared), map[string]any{"name": "y"}, 403},
		{"a viewer deletes a shared segment", viewer, "DELETE", path(shared), nil, 403},
		{"a viewer shares their own", viewer, "PATCH", path(mine), map[string]any{"shared": true}, 403},
		{"the owner renames the viewer's own", owner, "PATCH", path(mine), map[string]any{"name": "y"}, 404},
		{"a malformed id", owner, "PATCH", "/api/sites/a.fr/segments/abc", map[string]any{"name": "y"}, 404},
		{"invalid filters on change", viewer, "PATCH", path(mine), map[string]any{"filters": []any{[]any{"is", "visit:nope", []string{"x"}}}}, 400},
		{"the viewer renames their own", viewer, "PATCH", path(mine), map[string]any{"name": "Renamed"}, 200},
		{"the owner changes a shared one's filters", owner, "PATCH", path(shared), map[string]any{"filters": []any{[]any{"is", "visit:device", []string{"Mobile"}}}}, 200},
		{"the owner makes a shared one personal", owner, "PATCH", path(shared), map[string]any{"shared": false}, 200},
	} {
		t.Run(c.what, func(t *testing.T) {
			r := c.c.do(c.method, c.path, c.body)
			wantStatus(t, c.what, r, c.status)
		})
	}
	if got, want := viewer.segmentNames(t), []string{"Renamed shared=false mine=true edit=true"}; !slices.Equal(got, want) {
		t.Errorf("the viewer sees %q, want %q", got, want)
	}
	if got, want := owner.segmentNames(t), []string{"Shared shared=false mine=true edit=true"}; !slices.Equal(got, want) {
		t.Errorf("the owner sees %q, want %q", got, want)
	}
	if got := admin.segmentNames(t); len(got) != 0 {
		t.Errorf("the admin sees %q, the owner's personal segments", got)
	}
	wantStatus(t, "the viewer deletes their own", viewer.do("DELETE", path(mine), nil), 204)
	wantStatus(t, "deleted twice", viewer.do("DELETE", path(mine), nil), 404)
}

// A segment that an email report uses is not deleted: the answer names
// the reports.
func TestSegmentInUseByReport(t *testing.T) {
	w := newWorld(t)
	rs := &reports.Service{Engine: w.acc.Engine, Accounts: w.acc, Now: w.clock.Now}
	w.serve(api.Options{Reports: rs})
	owner, viewer := w.as(w.owner), w.as(w.viewer)
	shared := owner.newSegment(t, "Mobile FR", true)
	own := viewer.newSegment(t, "Mine", false)
	path := func(s segmentOut) string { return fmt.Sprintf("/api/sites/a.fr/segments/%d", s.ID) }

	// An owner adds an address whose report takes a shared segment; a
	// personal one is refused for an address.
	wantStatus(t, "a personal segment for an address", owner.do("POST", "/api/sites/a.fr/reports/recipients",
		map[string]any{"kind": "monthly", "email": "cfo@client.fr", "lang": "fr", "segment": own.ID}), 400)
	wantStatus(t, "a shared segment for an address", owner.do("POST", "/api/sites/a.fr/reports/recipients",
		map[string]any{"kind": "monthly", "email": "cfo@client.fr", "lang": "fr", "segment": shared.ID}), 201)
	// The viewer's own reports take their personal segment.
	wantStatus(t, "the viewer's reports by their segment", viewer.do("PUT", "/api/sites/a.fr/reports/mine",
		map[string]any{"weekly": true, "lang": "en", "segment": own.ID}), 200)
	r := viewer.do("GET", "/api/sites/a.fr/reports", nil)
	wantStatus(t, "the viewer's reports", r, 200)
	var mine struct{ Mine struct{ Segment uint64 } }
	r.json(t, &mine)
	if mine.Mine.Segment != own.ID {
		t.Errorf("the viewer's reports read segment %d, want %d", mine.Mine.Segment, own.ID)
	}

	r = owner.do("DELETE", path(shared), nil)
	wantStatus(t, "delete a segment in use", r, 409)
	if want := `{"error":"segment \"Mobile FR\" is used by the monthly report to c…@client.fr: take it off that report first"}`; strings.TrimSpace(r.String()) != want {
		t.Errorf("answer %s, want %s", r, want)
	}
	// Only owners may list the addresses they added: an admin is told of
	// the report, not to whom it goes.
	r = w.as(w.admin).do("DELETE", path(shared), nil)
	wantStatus(t, "an admin deletes a segment in use", r, 409)
	if want := `{"error":"segment \"Mobile FR\" is used by the monthly report an owner sends to an address: take it off that report first"}`; strings.TrimSpace(r.String()) != want {
		t.Errorf("the admin's answer %s, want %s", r, want)
	}
	r = viewer.do("DELETE", path(own), nil)
	wantStatus(t, "delete a personal segment in use", r, 409)
	if !strings.Contains(r.String(), "the weekly report to v…@a.fr") {
		t.Errorf("answer %s", r)
	}
	// Made personal, a shared segment would leave the address's report
	// without it.
	wantStatus(t, "make a reported segment personal", owner.do("PATCH", path(shared), map[string]any{"shared": false}), 409)

	// Once the report lets go of it, it goes.
	wantStatus(t, "remove the address", owner.do("DELETE", "/api/sites/a.fr/reports/recipients/monthly/cfo@client.fr", nil), 204)
	wantStatus(t, "delete the segment no report uses", owner.do("DELETE", path(shared), nil), 204)
	wantStatus(t, "the viewer's reports without segment", viewer.do("PUT", "/api/sites/a.fr/reports/mine",
		map[string]any{"weekly": true, "lang": "en"}), 200)
	wantStatus(t, "delete the personal segment no report uses", viewer.do("DELETE", path(own), nil), 204)
}

// The property names of a segment are those of its filters written out;
// another account's personal segment is the Stats API's same 400.
func TestSegmentPropKeys(t *testing.T) {
	w := newWorld(t)
	owner, viewer := w.as(w.owner), w.as(w.viewer)
	shared := owner.newSegment(t, "France", true)
	mine := viewer.newSegment(t, "Viewer's own", false)
	keys := func(c *client, filters string) (int, string) {
		r := c.do("GET", "/api/sites/a.fr/props?query="+url.QueryEscape(`{"date_range":"30d","filters":`+filters+`}`), nil)
		return r.status, strings.TrimSpace(string(r.body))
	}
	outStatus, outBody := keys(owner, `[["is","visit:country",["FR"]],["is","visit:source",["Google"]]]`)
	status, body := keys(owner, fmt.Sprintf(`[["is","segment",[%d]],["is","visit:source",["Google"]]]`, shared.ID))
	if status != 200 || outStatus != 200 || body != outBody {
		t.Errorf("through the segment: %d %s; written out: %d %s", status, body, outStatus, outBody)
	}
	status, body = keys(owner, fmt.Sprintf(`[["is","segment",[%d]]]`, mine.ID))
	if want := "Invalid filters. Some segments don't exist or aren't accessible."; status != 400 || !strings.Contains(body, want) {
		t.Errorf("another account's personal segment: %d %s, want 400 %q", status, body, want)
	}
}

// A query without a date_range reads the last 30 days, as no query at all
// does (API.md), rather than being refused for the missing range.
func TestPropKeysDefaultRange(t *testing.T) {
	w := newWorld(t)
	owner := w.as(w.owner)
	get := func(path string) (int, string) {
		r := owner.do("GET", path, nil)
		return r.status, strings.TrimSpace(string(r.body))
	}
	wantStatus, wantBody := get("/api/sites/a.fr/props?query=" + url.QueryEscape(`{"date_range":"30d","filters":[["is","visit:country",["FR"]]]}`))
	status, body := get("/api/sites/a.fr/props?query=" + url.QueryEscape(`{"filters":[["is","visit:country",["FR"]]]}`))
	if wantStatus != 200 || status != 200 || body != wantBody {
		t.Errorf("without a date_range: %d %s; with 30d: %d %s", status, body, wantStatus, wantBody)
	}
}

// The property names read the events through the stats engine the API is
// given, under the operator's memory bound, not through one of its own.
func TestPropKeysUseTheGivenStatsEngine(t *testing.T) {
	w := newWorld(t)
	var events []sillage.Event
	for _, e := range storetest.Fixture(time.Now().UTC().AddDate(0, 0, -2)) {
		e.SiteID = w.a.ID
		events = append(events, e)
	}
	if err := w.acc.Engine.InsertEvents(context.Background(), "", events); err != nil {
		t.Fatal(err)
	}
	if r := w.as(w.owner).do("GET", "/api/sites/a.fr/props", nil); r.status != http.StatusOK || !strings.Contains(r.String(), `"key":"plan"`) {
		t.Fatalf("property names: %d %s", r.status, r)
	}
	w.serve(api.Options{Stats: &stats.Engine{Store: w.acc.Engine, MaxMemory: 1}})
	r := w.as(w.owner).do("GET", "/api/sites/a.fr/props", nil)
	if r.status != http.StatusInternalServerError {
		t.Fatalf("property names with a 1-byte memory bound: %d %s, want the engine's refusal", r.status, r)
	}
}

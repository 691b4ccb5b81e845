package query

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/accounts/accountstest"
	"github.com/sillage-analytics/sillage/dashboard"
	"github.com/sillage-analytics/sillage/internal/demo"
	"github.com/sillage-analytics/sillage/query/api"
	"github.com/sillage-analytics/sillage/query/stats"
	"github.com/sillage-analytics/sillage/store/storetest"
)

func TestMain(m *testing.M) {
	accountstest.CheapPasswordHashing()
	storetest.Main(m)
}

type fixture struct {
	srv      *httptest.Server
	key      string
	other    string // a key for another site
	visitors uint64
	acc      *accounts.Service
	siteID   uint32
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	eng := storetest.Migrated(t)
	acc := accounts.New(eng)
	u, err := acc.AddUser(ctx, "owner@example.fr", "long enough password")
	if err != nil {
		t.Fatal(err)
	}
	site, err := acc.AddSiteWithOwner(ctx, u.ID, "boutique.fr", "Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	other, err := acc.AddSiteWithOwner(ctx, u.ID, "autre.fr", "Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Generate(ctx, eng, demo.Options{SiteID: site.ID, Hostname: site.Domain, Events: 20_000, Days: 7, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	_, key, err := acc.CreateAPIKey(ctx, u.ID, "test", []uint32{site.ID})
	if err != nil {
		t.Fatal(err)
	}
	_, otherKey, err := acc.CreateAPIKey(ctx, u.ID, "other", []uint32{other.ID})
	if err != nil {
		t.Fatal(err)
	}
	dist, _ := fs.Sub(dashboard.Dist, "dist")
	s, err := New(Options{Engine: eng, Accounts: acc, Dashboard: dist,
		API:        api.New(api.Options{Accounts: acc, Engine: eng, Secret: bytes.Repeat([]byte("k"), 32)}),
		ScriptPath: "/js/script.0123456789ab.js", Integrity: "sha256-x"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	// What the stats engine answers directly; the HTTP layer must agree.
	q, err := stats.ParseQuery([]byte(`{"site_id":"boutique.fr","metrics":["visitors","pageviews"],"date_range":"7d"}`))
	if err != nil {
		t.Fatal(err)
	}
	direct, err := (&stats.Engine{Store: eng, Now: time.Now}).Run(ctx, site, nil, q)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(direct.Results[0].Metrics[0])
	var visitors uint64
	json.Unmarshal(b, &visitors)
	if visitors == 0 {
		t.Fatal("no visitors in the fixture")
	}
	return &fixture{srv: srv, key: key, other: otherKey, visitors: visitors, acc: acc, siteID: site.ID}
}

func (f *fixture) post(t *testing.T, path, key, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", f.srv.URL+path, strings.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestStatsAPI(t *testing.T) {
	f := newFixture(t)
	status, body := f.post(t, "/api/v2/query", f.key, `{"site_id":"boutique.fr","metrics":["visitors","pageviews"],"date_range":"7d"}`)
	if status != 200 {
		t.Fatalf("%d %s", status, body)
	}
	var resp struct {
		Results []struct {
			Metrics []float64 `json:"metrics"`
		} `json:"results"`
	}
	if err := json.Unmarshal(body, &resp); err != nil || len(resp.Results) != 1 {
		t.Fatalf("%s: %v", body, err)
	}
	if got := uint64(resp.Results[0].Metrics[0]); got != f.visitors {
		t.Errorf("visitors = %d through the API, %d from the engine", got, f.visitors)
	}

	tests := []struct {
		name, key, body string
		status          int
	}{
		{"no key", "", `{"site_id":"boutique.fr","metrics":["visitors"],"date_range":"7d"}`, 401},
		{"wrong key", "sk_live_nope", `{"site_id":"boutique.fr","metrics":["visitors"],"date_range":"7d"}`, 401},
		{"another site's key", f.other, `{"site_id":"boutique.fr","metrics":["visitors"],"date_range":"7d"}`, 401},
		{"unknown metric", f.key, `{"site_id":"boutique.fr","metrics":["nope"],"date_range":"7d"}`, 400},
		{"not JSON", f.key, `{`, 400},
		{"too large", f.key, `{"site_id":"` + strings.Repeat("a", 70_000) + `"}`, 413},
	}
	for _, tt := range tests {
		if status, body := f.post(t, "/api/v2/query", tt.key, tt.body); status != tt.status {
			t.Errorf("%s: status %d, want %d (%s)", tt.name, status, tt.status, body)
		}
	}
}

// TestStatsAPIKeyWithoutTheSite: a key that does not open the site, and a
// site that does not exist, get the same 401 and the same sentence in v2
// and v1, as Plausible answers (and nobody learns which domains exist).
func TestStatsAPIKeyWithoutTheSite(t *testing.T) {
	f := newFixture(t)
	const want = `{"error":"Invalid API key or site ID. Please make sure you're using a valid API key with access to the site you've requested."}`
	for _, tt := range []struct{ name, key, site string }{
		{"another site's key", f.other, "boutique.fr"},
		{"a site that does not exist", f.key, "nowhere.example"},
		{"a key that does not exist", "sk_live_nope", "boutique.fr"},
	} {
		status, body := f.post(t, "/api/v2/query", tt.key, `{"site_id":"`+tt.site+`","metrics":["visitors"],"date_range":"7d"}`)
		if status != 401 || strings.TrimSpace(string(body)) != want {
			t.Errorf("v2, %s: %d %s, want 401 %s", tt.name, status, body, want)
		}
		resp, body := get(t, f.srv.URL+"/api/v1/stats/aggregate?metrics=visitors&site_id="+tt.site, tt.key)
		if resp.StatusCode != 401 || strings.TrimSpace(string(body)) != want {
			t.Errorf("v1, %s: %d %s, want 401 %s", tt.name, resp.StatusCode, body, want)
		}
	}
}

// TestStatsAPIErrorPaths: a refused v2 query answers {"error": "…"} in
// Plausible's words: a value its schema refuses starts with the JSON path
// of the field at fault ("#/metrics/0: …"), a rule about the whole query
// is its sentence; the v1 API keeps its parameter names.
func TestStatsAPIErrorPaths(t *testing.T) {
	f := newFixture(t)
	q := func(extra string) string {
		return `{"site_id":"boutique.fr","date_range":"7d"` + extra + `}`
	}
	tests := []struct {
		name, body, prefix, mention string
	}{
		{"unknown metric", q(`,"metrics":["visitors","nope"]`), "#/metrics/1: ", `"nope"`},
		{"unknown dimension", q(`,"metrics":["visitors"],"dimensions":["visit:nope"]`), "#/dimensions/0: ", "visit:nope"},
		{"a filter's value", q(`,"metrics":["visitors"],"filters":[["is","visit:country",["FR",7]]]`), `Invalid filter '["is", "visit:country", ["FR", 7]]'.`, ""},
		{"a filter's operator", q(`,"metrics":["visitors"],"filters":[["equals","visit:country",["FR"]]]`), "#/filters/0: ", `Invalid filter ["equals", "visit:country", ["FR"]]`},
		{"date range", `{"site_id":"boutique.fr","metrics":["visitors"],"date_range":"forever"}`, "#/date_range: ", "forever"},
		{"pagination", q(`,"metrics":["visitors"],"pagination":{"limit":100000}`), "#/pagination/limit: ", "<= 10000"},
		{"comparison mode", q(`,"metrics":["visitors"],"include":{"comparisons":{"mode":"last_year"}}`), "#/include/comparisons: ", "none of them did"},
		{"order_by", q(`,"metrics":["visitors"],"order_by":[["visits","desc"]]`), "Invalid order_by entry '{:visits, :desc}'", ""},
		{"an unconfigured goal", q(`,"metrics":["visitors"],"filters":[["is","event:goal",["Nope"]]]`), "Invalid filters. The goal `Nope` is not configured for this site.", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := f.post(t, "/api/v2/query", f.key, tt.body)
			var e struct{ Error string }
			if err := json.Unmarshal(body, &e); status != 400 || err != nil {
				t.Fatalf("%d %s", status, body)
			}
			if !strings.HasPrefix(e.Error, tt.prefix) || !strings.Contains(e.Error, tt.mention) {
				t.Errorf("error %q, want it to start with %q and mention %q", e.Error, tt.prefix, tt.mention)
			}
		})
	}
	resp, body := get(t, f.srv.URL+"/api/v1/stats/aggregate?site_id=boutique.fr&period=forever", f.key)
	if resp.StatusCode != 400 || !strings.Contains(string(body), "Error parsing `period` parameter: invalid period `forever`.") {
		t.Errorf("v1: %d %s", resp.StatusCode, body)
	}
}

func get(t *testing.T, url, key string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestRealtimeExportSnippet(t *testing.T) {
	f := newFixture(t)
	resp, body := get(t, f.srv.URL+"/api/v1/stats/realtime/visitors?site_id=boutique.fr", f.key)
	if resp.StatusCode != 200 {
		t.Fatalf("realtime: %d %s", resp.StatusCode, body)
	}
	if resp, _ := get(t, f.srv.URL+"/api/v1/stats/realtime/visitors?site_id=boutique.fr", f.other); resp.StatusCode != 401 {
		t.Fatalf("realtime with another site's key: %d, want 401 as v1 answers", resp.StatusCode)
	}

	resp, body = get(t, f.srv.URL+"/api/sites/boutique.fr/export?query="+
		`{"date_range":"7d","filters":[["is","visit:source",["Google"]]]}`, f.key)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("export: %d %s", resp.StatusCode, body)
	}
	// A site's numbers stay out of shared caches, as every JSON answer.
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("export: Cache-Control %q, want no-store", cc)
	}
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, zf := range zr.File {
		names[zf.Name] = true
	}
	for _, want := range []string{"visitors.csv", "pages.csv", "sources.csv", "countries.csv", "browsers.csv"} {
		if !names[want] {
			t.Errorf("export lacks %s (has %v)", want, names)
		}
	}
	// JSON null decodes without error into no object at all.
	if resp, body := get(t, f.srv.URL+"/api/sites/boutique.fr/export?query=null", f.key); resp.StatusCode != 400 {
		t.Fatalf("export of a null query: %d %s", resp.StatusCode, body)
	}
	if resp, _ := get(t, f.srv.URL+"/api/sites/boutique.fr/export", ""); resp.StatusCode != 401 {
		t.Fatalf("export without credentials: %d", resp.StatusCode)
	}

	resp, body = get(t, f.srv.URL+"/api/sites/boutique.fr/snippet", f.key)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `data-domain=\"boutique.fr\"`) || !strings.Contains(string(body), "/js/script.js") {
		t.Fatalf("snippet: %d %s", resp.StatusCode, body)
	}
	// The snippet is the site's own script, the path its settings give.
	var snip map[string]string
	if err := json.Unmarshal(body, &snip); err != nil {
		t.Fatal(err)
	}
	sc, err := f.acc.SiteScript(context.Background(), f.siteID)
	if err != nil {
		t.Fatal(err)
	}
	if want := `<script defer src="` + f.srv.URL + `/js/s/` + sc.Token + `.js"></script>`; snip["snippet"] != want {
		t.Fatalf("snippet %q, want %q", snip["snippet"], want)
	}
}

func TestDashboardServing(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/", "/login", "/boutique.fr", "/boutique.fr/settings/goals", "/share/abc"} {
		resp, body := get(t, f.srv.URL+path, "")
		if resp.StatusCode != 200 || !strings.Contains(string(body), "<html") {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Fatalf("%s: CSP %q", path, csp)
		}
	}
	if resp, _ := get(t, f.srv.URL+"/assets/missing.js", ""); resp.StatusCode != 404 {
		t.Fatalf("missing asset: %d", resp.StatusCode)
	}
	// The tracker's paths are the collector's: without one (sillage query),
	// they are 404, never the dashboard's page run as a script.
	for _, path := range []string{"/js/script.outbound-links.js", "/js/nope.js", "/js/"} {
		if resp, body := get(t, f.srv.URL+path, ""); resp.StatusCode != 404 || strings.Contains(string(body), "<html") {
			t.Fatalf("%s: %d %.40q", path, resp.StatusCode, body)
		}
	}
	// Every asset index.html names is served and cached for ever.
	_, index := get(t, f.srv.URL+"/", "")
	for _, m := range strings.Split(string(index), `"/assets/`)[1:] {
		name := m[:strings.IndexByte(m, '"')]
		resp, _ := get(t, f.srv.URL+"/assets/"+name, "")
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
			t.Fatalf("asset %s: %d %q", name, resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
	}
}

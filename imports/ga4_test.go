package imports

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/sillage-analytics/sillage/imports/ga4fake"
)

func ga4Manager(t *testing.T, f *ga4fake.Server) *Manager {
	m, _ := newManager(t)
	m.Secret = []byte("a server secret of thirty-two by")
	m.GA4 = GA4Config{DataURL: f.Srv.URL, AdminURL: f.Srv.URL, HTTPClient: f.Srv.Client(), PageSize: 4, Backoff: time.Millisecond,
		OAuth: &oauth2.Config{ClientID: "client-1", ClientSecret: "secret-1", Endpoint: oauth2.Endpoint{TokenURL: f.Srv.URL + "/token", AuthURL: f.Srv.URL + "/auth"}}}
	return m
}

// A GA4 property imports page by page into the imported tables; stopped
// midway and refused once by its quota (429), it resumes from the stored
// page, asks no page twice, and ends with the property's exact numbers.
// Imported again, it does not double.
func TestGA4ImportResumesAfterStopAndQuota(t *testing.T) {
	ctx := context.Background()
	f := ga4fake.New(t)
	m := ga4Manager(t, f)
	e := m.Engine
	j, existed, err := m.SubmitGA4(ctx, 7, GA4Request{Property: "123456789", EndDate: "2024-03-05", Credentials: f.ServiceAccountKey()}, "cli")
	if err != nil || existed {
		t.Fatalf("submit: %v existed=%v", err, existed)
	}
	if st, err := os.Stat(m.path(j.ID)); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("the request file: %v %v", st, err)
	}

	// The server stops after the fifth stored page.
	stopCtx, stop := context.WithCancel(ctx)
	batches := 0
	m.onBatch = func(Job) {
		if batches++; batches == 5 {
			stop()
		}
	}
	if err := m.Process(stopCtx, j.ID); !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped process: %v", err)
	}
	mid, err := m.Get(ctx, 7, j.ID)
	if err != nil || mid.Status != Running || mid.Cursor.File == 0 && mid.Cursor.Row == 0 {
		t.Fatalf("after the stop: %+v %v", mid, err)
	}
	// The next start is refused once by the quota, mid-import.
	f.Mu.Lock()
	f.Fail429 = f.Calls + 3
	f.Mu.Unlock()
	m.onBatch = nil
	if err := m.Process(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	if len(f.Rejected) != 1 || !strings.Contains(f.Rejected[0], "Exhausted property tokens") {
		t.Fatalf("the fake refused %q; want the one 429", f.Rejected)
	}
	if twice := f.ServedTwice(); len(twice) > 0 {
		t.Fatalf("pages asked more than once (the import restarted instead of resuming): %v", twice)
	}
	j, err = m.Get(ctx, 7, j.ID)
	if err != nil || j.Status != Completed || j.StartDate != "2024-03-01" || j.EndDate != "2024-03-05" || j.Progress() != 1 {
		t.Fatalf("job: %+v %v", j, err)
	}
	if _, err := os.Stat(m.path(j.ID)); !os.IsNotExist(err) {
		t.Fatalf("the key outlives its job: %v", err)
	}
	check := func(label string) {
		t.Helper()
		for _, c := range []struct {
			table, col string
			dims       []string
			metric     string
			filter     []string
		}{
			{"imported_visitors", "visitors", []string{"date"}, "totalUsers", nil},
			{"imported_visitors", "visits", []string{"date"}, "sessions", nil},
			{"imported_visitors", "pageviews", []string{"date"}, "screenPageViews", nil},
			{"imported_visitors", "visit_duration", []string{"date"}, "userEngagementDuration", nil},
			{"imported_sources", "visitors", ga4Reports[1].dimensions, "totalUsers", nil},
			{"imported_pages", "pageviews", ga4Reports[2].dimensions, "screenPageViews", nil},
			{"imported_entry_pages", "entrances", ga4Reports[3].dimensions, "sessions", nil},
			{"imported_locations", "visitors", ga4Reports[4].dimensions, "totalUsers", nil},
			{"imported_devices", "visits", ga4Reports[5].dimensions, "sessions", nil},
			{"imported_browsers", "visitors", ga4Reports[6].dimensions, "totalUsers", nil},
			{"imported_operating_systems", "pageviews", ga4Reports[7].dimensions, "screenPageViews", nil},
			{"imported_custom_events", "events", ga4Reports[8].dimensions, "eventCount", []string{"click", "file_download"}},
		} {
			rows, sum := f.Expected(c.dims, c.metric, c.filter)
			if got := count(t, e, "SELECT count() FROM "+c.table+" WHERE site_id = 7"); got != uint64(rows) || rows == 0 {
				t.Errorf("%s: %s: %d rows, want %d", label, c.table, got, rows)
			}
			if got := count(t, e, "SELECT sum("+c.col+") FROM "+c.table+" WHERE site_id = 7"); got != sum {
				t.Errorf("%s: %s.%s = %d, want %d", label, c.table, c.col, got, sum)
			}
		}
		var bounces, sessions, engaged uint64
		for _, row := range f.Rows([]string{"date"}, "2015-08-14", "2999-01-01", nil) {
			sessions += ga4fake.Metric(row, "sessions")
			engaged += ga4fake.Metric(row, "engagedSessions")
		}
		bounces = sessions - engaged
		if got := count(t, e, "SELECT sum(bounces) FROM imported_visitors WHERE site_id = 7"); got != bounces {
			t.Errorf("%s: bounces %d, want sessions − engaged sessions = %d", label, got, bounces)
		}
		if got := count(t, e, "SELECT count() FROM imported_exit_pages WHERE site_id = 7"); got != 0 {
			t.Errorf("%s: GA4 has no exit pages, got %d rows", label, got)
		}
	}
	check("imported")
	// GA4's names become the collector's.
	for q, want := range map[string]uint64{
		"SELECT countIf(source = 'Google') > 0 AND countIf(source = '') > 0 AND countIf(source = '(direct)') = 0 FROM imported_sources WHERE site_id = 7":        1,
		"SELECT countIf(device = 'Desktop') > 0 AND countIf(device = 'desktop') = 0 FROM imported_devices WHERE site_id = 7":                                     1,
		"SELECT countIf(browser = 'Mobile App') > 0 AND countIf(browser = 'Android Webview') = 0 FROM imported_browsers WHERE site_id = 7":                       1,
		"SELECT countIf(operating_system = 'Mac') > 0 AND countIf(operating_system_version = '(not set)') = 0 FROM imported_operating_systems WHERE site_id = 7": 1,
		"SELECT countIf(page = '/pain') > 0 AND countIf(hostname = 'boulangerie.fr') = count() FROM imported_pages WHERE site_id = 7":                            1,
		"SELECT countIf(name NOT IN ('Outbound Link: Click', 'File Download')) FROM imported_custom_events WHERE site_id = 7":                                    0,
		"SELECT countIf(country = '') > 0 AND countIf(country = 'FR') > 0 FROM imported_locations WHERE site_id = 7":                                             1,
		// GA4's region names become ISO 3166-2 codes of their country;
		// Bavaria (iso-codes: Bayern) matches none and keeps its country.
		"SELECT countIf(region = 'FR-IDF') > 0 AND countIf(region = 'FR-PAC') > 0 AND countIf(region = 'DE-BE') > 0 FROM imported_locations WHERE site_id = 7": 1,
		"SELECT countIf(region != '' AND NOT startsWith(region, country || '-')) + countIf(city != 0) FROM imported_locations WHERE site_id = 7":               0,
		"SELECT countIf(country = 'DE' AND region = '') FROM imported_locations WHERE site_id = 7":                                                             5,
	} {
		if got := count(t, e, q); got != want {
			t.Errorf("%s = %d, want %d", q, got, want)
		}
	}
	if len(j.Warnings) != 1 || !strings.Contains(j.Warnings[0], "5 rows") || !strings.Contains(j.Warnings[0], "DE: Bavaria (5)") {
		t.Errorf("warnings: %q, want the five rows of Bavaria", j.Warnings)
	}
	var pv uint64
	for _, row := range f.Rows([]string{"date"}, "2015-08-14", "2999-01-01", nil) {
		pv += ga4fake.Metric(row, "screenPageViews")
	}
	if j.Pageviews != pv {
		t.Errorf("job pageviews %d, want %d", j.Pageviews, pv)
	}

	// The same property again is the same import: nothing doubles.
	again, existed, err := m.SubmitGA4(ctx, 7, GA4Request{Property: "properties/123456789", Credentials: f.ServiceAccountKey()}, "cli")
	if err != nil || !existed || again.ID != j.ID {
		t.Fatalf("again: %+v existed=%v %v", again, existed, err)
	}
	check("imported twice")
}

// A key the token endpoint refuses, or a property the account may not
// read, fails the job with Google's reason and imports nothing.
func TestGA4ImportFailures(t *testing.T) {
	ctx := context.Background()
	f := ga4fake.New(t)
	m := ga4Manager(t, f)
	j, _, err := m.SubmitGA4(ctx, 7, GA4Request{Property: "42", StartDate: "2024-03-01", EndDate: "2024-03-05", Credentials: f.ServiceAccountKey()}, "cli")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Process(ctx, j.ID); err == nil || !strings.Contains(err.Error(), "PERMISSION_DENIED") {
		t.Fatalf("process: %v", err)
	}
	if j, _ = m.Get(ctx, 7, j.ID); j.Status != Failed || !strings.Contains(j.Error, "sufficient permissions") {
		t.Fatalf("job: %+v", j)
	}
	if _, err := os.Stat(m.path(j.ID)); !os.IsNotExist(err) {
		t.Fatalf("the key outlives its failed job: %v", err)
	}
	for _, c := range []struct {
		req  GA4Request
		want string
	}{
		{GA4Request{Property: "UA-1234-1", Credentials: f.ServiceAccountKey()}, "not a GA4 property id"},
		{GA4Request{Property: "1"}, "needs a service account's JSON key"},
		{GA4Request{Property: "1", Credentials: []byte(`{"type":"authorized_user"}`)}, "not a service account's key"},
		{GA4Request{Property: "1", Credentials: []byte(`nope`)}, "not a JSON key"},
		{GA4Request{Property: "1", Credentials: []byte(`{"type":"service_account","client_email":"a@b.c","private_key":"MIIB"}`)}, "not a PEM key"},
		{GA4Request{Property: "1", Credentials: f.ServiceAccountKey(), StartDate: "2024-02-30"}, "not a date"},
		{GA4Request{Property: "1", Credentials: f.ServiceAccountKey(), StartDate: "2024-03-02", EndDate: "2024-03-01"}, "after the end"},
	} {
		if _, _, err := m.SubmitGA4(ctx, 7, c.req, "cli"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.req.Property, err, c.want)
		}
	}
	m.GA4.OAuth = nil
	if _, _, err := m.SubmitGA4(ctx, 7, GA4Request{Property: "1", Token: &oauth2.Token{RefreshToken: "r"}}, "cli"); !errors.Is(err, ErrGA4NotConfigured) {
		t.Errorf("OAuth without a client: %v", err)
	}
}

// An OAuth connection lists its properties through the Admin API (paged)
// and imports with its refresh token.
func TestGA4OAuthPropertiesAndImport(t *testing.T) {
	ctx := context.Background()
	f := ga4fake.New(t)
	m := ga4Manager(t, f)
	tok := &oauth2.Token{RefreshToken: "refresh-1"}
	props, err := m.GA4Properties(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if len(props) != 2 || props[0].Property != "properties/123456789" || props[0].Name != "boulangerie.fr" || props[1].AccountName != "Fournil" {
		t.Fatalf("properties: %+v", props)
	}
	j, _, err := m.SubmitGA4(ctx, 8, GA4Request{Property: props[0].Property, StartDate: "2024-03-02", EndDate: "2024-03-03", Token: tok}, "u1")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Process(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	j, _ = m.Get(ctx, 8, j.ID)
	if j.Status != Completed || j.StartDate != "2024-03-02" || j.EndDate != "2024-03-03" {
		t.Fatalf("job: %+v", j)
	}
	_, want := f.Expected([]string{"date"}, "totalUsers", nil)
	if got := count(t, m.Engine, "SELECT sum(visitors) FROM imported_visitors WHERE site_id = 8"); got == 0 || got >= want {
		t.Fatalf("two days of five: %d visitors of %d", got, want)
	}
}

// The fake refuses what the real API refuses.
func TestFakeGA4ChecksRequests(t *testing.T) {
	ok := func() *ga4fake.RunReport {
		q := &ga4fake.RunReport{Limit: "250000"}
		q.Dimensions = append(q.Dimensions, struct {
			Name string `json:"name"`
		}{"date"})
		q.Metrics = append(q.Metrics, struct {
			Name       string `json:"name"`
			Expression string `json:"expression"`
		}{Name: "totalUsers"})
		q.DateRanges = append(q.DateRanges, struct {
			StartDate string `json:"startDate"`
			EndDate   string `json:"endDate"`
			Name      string `json:"name"`
		}{"2024-01-01", "2024-01-31", ""})
		return q
	}
	if msg := ga4fake.CheckRunReport("properties/1", ok()); msg != "" {
		t.Fatalf("a good request refused: %s", msg)
	}
	for name, c := range map[string]func(q *ga4fake.RunReport) string{
		"property":  func(q *ga4fake.RunReport) string { return "1" },
		"limit":     func(q *ga4fake.RunReport) string { q.Limit = "250001"; return "properties/1" },
		"offset":    func(q *ga4fake.RunReport) string { q.Offset = "-1"; return "properties/1" },
		"dimension": func(q *ga4fake.RunReport) string { q.Dimensions[0].Name = "ga:date"; return "properties/1" },
		"metric":    func(q *ga4fake.RunReport) string { q.Metrics[0].Name = "users"; return "properties/1" },
		"range":     func(q *ga4fake.RunReport) string { q.DateRanges[0].StartDate = "2024-02-01"; return "properties/1" },
		"early":     func(q *ga4fake.RunReport) string { q.DateRanges[0].StartDate = "2010-01-01"; return "properties/1" },
	} {
		q := ok()
		if msg := ga4fake.CheckRunReport(c(q), q); msg == "" {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzGA4Count reads any metric value without panicking, and integers
// exactly.
func FuzzGA4Count(f *testing.F) {
	for _, s := range []string{"0", "12", "3.5", "-1", "1e400", "NaN", "", "18446744073709551615"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ga4Count(s)
		if u, perr := strconv.ParseUint(s, 10, 64); perr == nil && (err != nil || n != u) {
			t.Fatalf("%q read as %d, %v", s, n, err)
		}
	})
}

// FuzzGA4Page turns any answer of runReport into rows or an error,
// never a panic, and every row it writes has the table's columns.
func FuzzGA4Page(f *testing.F) {
	f.Add(`{"dimensionHeaders":[{"name":"date"},{"name":"deviceCategory"}],"metricHeaders":[{"name":"totalUsers"},{"name":"screenPageViews"},{"name":"sessions"},{"name":"engagedSessions"},{"name":"userEngagementDuration"}],"rows":[{"dimensionValues":[{"value":"20240301"},{"value":"desktop"}],"metricValues":[{"value":"3"},{"value":"7"},{"value":"4"},{"value":"2"},{"value":"120.5"}]}],"rowCount":1}`)
	f.Add(`{"rows":[{"dimensionValues":[{"value":"(other)"}]}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		var resp ga4RunReportResponse
		if json.Unmarshal([]byte(body), &resp) != nil {
			return
		}
		rep := &ga4Reports[5]
		tb, _ := lookupTable(rep.table)
		buf, _, err := ga4Rows(rep, tb, &resp, &Job{ID: 1, SiteID: 2})
		if err != nil {
			return
		}
		for _, line := range strings.Split(strings.TrimSuffix(string(buf), "\n"), "\n") {
			if line != "" && strings.Count(line, "\t") != len(tb.Columns)+2 {
				t.Fatalf("a row of %d fields: %q", strings.Count(line, "\t")+1, line)
			}
		}
	})
}

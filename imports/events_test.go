package imports

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/store"
)

// addSite stores a site row, as accounts does.
func addSite(t testing.TB, e store.Engine, id uint32, domain string) {
	t.Helper()
	now := time.Now().UTC()
	if err := e.Exec(context.Background(), `INSERT INTO sites (id, domain, timezone, retention_days, created_at, updated_at, deleted)
		VALUES ({id:UInt32}, {d:String}, 'Europe/Paris', 0, {now:DateTime64(3, 'UTC')}, {now:DateTime64(6, 'UTC')}, 0)`,
		store.Params{"id": id, "d": domain, "now": now}); err != nil {
		t.Fatal(err)
	}
}

// numbers are a site's figures as the dashboard counts them: visitors and
// pageviews from events; sources, channels, countries, devices, browsers
// and systems per visit, from the sessions table (states merged).
type numbers struct {
	visitors, pageviews, events, visits uint64
	pages, sources, channels, countries map[string]uint64
	regions, devices, browsers, oses    map[string]uint64
}

func numbersOf(t testing.TB, e store.Engine, site uint32) numbers {
	t.Helper()
	ctx := context.Background()
	p := store.Params{"site": site}
	var n numbers
	if err := store.QueryRow(ctx, e, `SELECT uniqExact(visitor_id), countIf(name = 'pageview'), count() FROM events WHERE site_id = {site:UInt32}`,
		p, &n.visitors, &n.pageviews, &n.events); err != nil {
		t.Fatal(err)
	}
	if err := store.QueryRow(ctx, e, `SELECT count() FROM (SELECT session_id FROM sessions WHERE site_id = {site:UInt32} GROUP BY session_id)`,
		p, &n.visits); err != nil {
		t.Fatal(err)
	}
	group := func(q string) map[string]uint64 {
		rows, err := e.Query(ctx, q, p)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]uint64{}
		for rows.Next() {
			var k string
			var v uint64
			if err := rows.Scan(&k, &v); err != nil {
				t.Fatal(err)
			}
			out[k] = v
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	n.pages = group(`SELECT pathname, count() FROM events WHERE site_id = {site:UInt32} AND name = 'pageview' GROUP BY pathname`)
	visit := func(col string) map[string]uint64 {
		return group(`SELECT replaceAll(toString(v), '\0', ''), count() FROM (SELECT session_id, any(` + col + `) AS v
			FROM sessions WHERE site_id = {site:UInt32} GROUP BY session_id) GROUP BY v`)
	}
	n.sources, n.channels, n.countries = visit("referrer_source"), visit("channel"), visit("country_code")
	n.regions, n.devices, n.browsers, n.oses = visit("region"), visit("device"), visit("browser"), visit("os")
	return n
}

func checkMap(t testing.TB, what string, got, want map[string]uint64) {
	t.Helper()
	if !maps.Equal(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// importFile submits a file and runs its job to its end.
func importFile(t testing.TB, m *Manager, site uint32, source, path string) Job {
	t.Helper()
	ctx := context.Background()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	j, existed, err := m.Submit(ctx, site, source, path[strings.LastIndexByte(path, '/')+1:], bytes.NewReader(b), "cli")
	if err != nil || existed {
		t.Fatalf("submit: %v existed=%v", err, existed)
	}
	if err := m.Process(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	got, err := m.Get(ctx, site, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestUmamiImport(t *testing.T) {
	ctx := context.Background()
	m, e := newManager(t)
	addSite(t, e, 7, "boulangerie.fr")
	m.BatchRows = 2 // several batches
	j := importFile(t, m, 7, SourceUmami, "testdata/umami-export.csv")
	if j.Status != Completed || j.StartDate != "2024-03-01" || j.EndDate != "2024-03-02" || j.Rows[EventsTable] != 6 ||
		j.Pageviews != 5 || j.Cursor.Salt != "" || j.Progress() != 1 {
		t.Fatalf("job = %+v", j)
	}
	want := func(t *testing.T, n numbers) {
		t.Helper()
		if n.visitors != 3 || n.pageviews != 5 || n.events != 6 || n.visits != 4 {
			t.Errorf("visitors %d pageviews %d events %d visits %d, want 3 5 6 4", n.visitors, n.pageviews, n.events, n.visits)
		}
		checkMap(t, "pages", n.pages, map[string]uint64{"/": 3, "/pain": 2})
		// A visit's source is its first event's: Google, not the site's
		// own page (the later event, listed first in the file).
		checkMap(t, "sources", n.sources, map[string]uint64{"Google": 1, "Facebook": 1, "newsletter": 1, "": 1})
		checkMap(t, "channels", n.channels, map[string]uint64{"Organic Search": 1, "Organic Social": 1, "Email": 1, "Direct": 1})
		checkMap(t, "countries", n.countries, map[string]uint64{"FR": 2, "DE": 1, "BE": 1})
		checkMap(t, "regions", n.regions, map[string]uint64{"FR-IDF": 2, "DE-BE": 1, "BE-BRU": 1})
		checkMap(t, "devices", n.devices, map[string]uint64{"Desktop": 3, "Mobile": 1})
		checkMap(t, "browsers", n.browsers, map[string]uint64{"Chrome": 2, "Safari": 1, "Firefox": 1})
		checkMap(t, "systems", n.oses, map[string]uint64{"Mac": 2, "iOS": 1, "Windows": 1})
	}
	t.Run("numbers", func(t *testing.T) { want(t, numbersOf(t, e, 7)) })

	var custom uint64
	if err := store.QueryRow(ctx, e, "SELECT count() FROM events WHERE site_id = 7 AND name = 'Commande' AND import_id = {id:UInt64}",
		store.Params{"id": j.ID}, &custom); err != nil || custom != 1 {
		t.Errorf("custom events %d, %v", custom, err)
	}
	// No raw id of the file is stored.
	var raw uint64
	if err := store.QueryRow(ctx, e, "SELECT count() FROM events WHERE site_id = 7 AND (toString(visitor_id) LIKE '%1a2b3c4d%' OR hostname LIKE '%-%-%')",
		nil, &raw); err != nil || raw != 0 {
		t.Errorf("raw ids: %d, %v", raw, err)
	}

	t.Run("idempotent", func(t *testing.T) {
		b, err := os.ReadFile("testdata/umami-export.csv")
		if err != nil {
			t.Fatal(err)
		}
		again, existed, err := m.Submit(ctx, 7, SourceUmami, "renamed.csv", bytes.NewReader(b), "cli")
		if err != nil || !existed || again.ID != j.ID {
			t.Fatalf("second submit: %v existed=%v", err, existed)
		}
		if err := m.Process(ctx, j.ID); err != nil {
			t.Fatal(err)
		}
		want(t, numbersOf(t, e, 7))
	})

	t.Run("delete", func(t *testing.T) {
		// A collected event of the site stays.
		if err := e.InsertEvents(ctx, "", []sillage.Event{{SiteID: 7, Timestamp: time.Now().UTC(), Name: sillage.EventPageview,
			VisitorID: 1, SessionID: 1, SessionStart: time.Now().UTC(), Hostname: "boulangerie.fr", Pathname: "/native"}}); err != nil {
			t.Fatal(err)
		}
		if err := m.Delete(ctx, 7, j.ID); err != nil {
			t.Fatal(err)
		}
		n := numbersOf(t, e, 7)
		if n.events != 1 || n.visits != 1 || n.pages["/native"] != 1 {
			t.Errorf("after delete: %+v", n)
		}
	})
}

// A job stopped after its first batch (the server stops) resumes where it
// stopped, with the same ids, and stores each event once.
func TestEventImportResumes(t *testing.T) {
	ctx := context.Background()
	m, e := newManager(t)
	addSite(t, e, 7, "boulangerie.fr")
	m.BatchRows = 2
	b, err := os.ReadFile("testdata/umami-export.csv")
	if err != nil {
		t.Fatal(err)
	}
	j, _, err := m.Submit(ctx, 7, SourceUmami, "umami.csv", bytes.NewReader(b), "cli")
	if err != nil {
		t.Fatal(err)
	}
	stop, cancel := context.WithCancel(ctx)
	m.onBatch = func(Job) { cancel() }
	if err := m.Process(stop, j.ID); !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped job: %v", err)
	}
	mid, err := m.Get(ctx, 7, j.ID)
	if err != nil || mid.Status != Running || mid.Cursor.Row != 2 || mid.Cursor.Salt == "" {
		t.Fatalf("stopped job = %+v, %v", mid, err)
	}
	// The cursor's save after the batch is lost, as in a crash: the
	// resumed job writes that batch again, which its token keeps once.
	mid.Cursor.Row, mid.Cursor.Batch = 0, 0
	if err := m.save(ctx, mid, 0); err != nil {
		t.Fatal(err)
	}
	m.onBatch = nil
	if err := m.Process(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	n := numbersOf(t, e, 7)
	if n.visitors != 3 || n.pageviews != 5 || n.events != 6 || n.visits != 4 {
		t.Errorf("after resume: visitors %d pageviews %d events %d visits %d", n.visitors, n.pageviews, n.events, n.visits)
	}
	checkMap(t, "sources", n.sources, map[string]uint64{"Google": 1, "Facebook": 1, "newsletter": 1, "": 1})
}

// Days with collected events keep them: the import adds nothing there.
func TestEventImportKeepsNativeDays(t *testing.T) {
	ctx := context.Background()
	m, e := newManager(t)
	addSite(t, e, 7, "boulangerie.fr")
	ts := time.Date(2024, 3, 2, 11, 0, 0, 0, time.UTC)
	if err := e.InsertEvents(ctx, "", []sillage.Event{{SiteID: 7, Timestamp: ts, Name: sillage.EventPageview,
		VisitorID: 1, SessionID: 1, SessionStart: ts, Hostname: "boulangerie.fr", Pathname: "/native"}}); err != nil {
		t.Fatal(err)
	}
	j := importFile(t, m, 7, SourceUmami, "testdata/umami-export.csv")
	var days []string
	rows, err := e.Query(ctx, "SELECT DISTINCT toString(toDate(ts, 'Europe/Paris')) FROM events WHERE site_id = 7 AND import_id = {id:UInt64}", store.Params{"id": j.ID})
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			t.Fatal(err)
		}
		days = append(days, d)
	}
	rows.Close()
	if !slices.Equal(days, []string{"2024-03-01"}) || j.Rows[EventsTable] != 4 {
		t.Errorf("imported days %v, events %d: want 2024-03-01 only, 4 events", days, j.Rows[EventsTable])
	}
}

// Bad input names the file, line and column, and imports nothing.
func TestEventImportBadInput(t *testing.T) {
	good, err := os.ReadFile("testdata/umami-export.csv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(good), "\n")
	gcFile, err := os.ReadFile("testdata/goatcounter-export.csv")
	if err != nil {
		t.Fatal(err)
	}
	gc := strings.SplitAfter(string(gcFile), "\n")
	cases := []struct {
		name, source, file, body, want string
	}{
		{"umami time", SourceUmami, "umami.csv", lines[0] + lines[1] + lines[2] + strings.Replace(lines[3], "2024-03-01 09:00:00", "yesterday", 1),
			`umami.csv: line 4, column 36: created_at "yesterday" is not a time`},
		{"umami header", SourceUmami, "umami.csv", "session_id,url_path\nx,/\n", `umami.csv: line 1: not Umami's data export: the header lacks created_at, event_type`},
		{"umami quote", SourceUmami, "umami.csv", lines[0] + lines[1] + "a,\"b\n", `umami.csv: line 3, column`},
		{"umami type", SourceUmami, "umami.csv", lines[0] + strings.Replace(lines[1], ",1,,,,", ",x,,,,", 1), `umami.csv: line 2, column 32: event_type "x"`},
		{"goatcounter version 1", SourceGoatCounter, "gc.csv", "1Path,Title,Event,Bot,Session,FirstVisit,Referrer,Referrer scheme,Browser,Screen size,Location,Date\n",
			`gc.csv: line 1, column 1: GoatCounter export format version "1"`},
		{"goatcounter date", SourceGoatCounter, "gc.csv", gc[0] + gc[1] + strings.Replace(gc[2], "2024-05-10T08:00:00Z", "2024-05-10 08:00", 1),
			`gc.csv: line 3, column 14: Date "2024-05-10 08:00" is not an RFC 3339 time`},
		{"goatcounter scheme", SourceGoatCounter, "gc.csv", gc[0] + strings.Replace(gc[1], ",h,", ",x,", 1),
			`gc.csv: line 2, column 10: Referrer scheme "x"`},
		{"umami two websites", SourceUmami, "umami.csv", lines[0] + lines[1] + "0" + lines[2][1:], `umami.csv: line 3, column 1: website`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			m, e := newManager(t)
			addSite(t, e, 7, "boulangerie.fr")
			m.BatchRows = 1
			j, _, err := m.Submit(ctx, 7, c.source, c.file, strings.NewReader(c.body), "cli")
			if err != nil {
				t.Fatal(err)
			}
			err = m.Process(ctx, j.ID)
			var ie *InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
			got, _ := m.Get(ctx, 7, j.ID)
			if got.Status != Failed || !strings.Contains(got.Error, c.want) || got.Cursor.Salt != "" {
				t.Errorf("job = %+v", got)
			}
			if n := count(t, e, "SELECT count() FROM events WHERE site_id = 7"); n != 0 {
				t.Errorf("%d events stored", n)
			}
		})
	}
}

func TestEventFileNames(t *testing.T) {
	for name, ok := range map[string]bool{"export.csv": true, "EXPORT.CSV.GZ": true, "export.zip": false, "imported_visitors_20230101_20230102.csv": true} {
		if err := checkEventFileName(SourceUmami, name); (err == nil) != ok {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestGoatCounterImport(t *testing.T) {
	for _, file := range []string{"testdata/goatcounter-export.csv", "testdata/goatcounter-export.csv.gz"} {
		t.Run(file[strings.LastIndexByte(file, '/')+1:], func(t *testing.T) {
			ctx := context.Background()
			m, e := newManager(t)
			addSite(t, e, 9, "example.org")
			m.BatchRows = 3
			j := importFile(t, m, 9, SourceGoatCounter, file)
			if j.Status != Completed || j.StartDate != "2024-05-10" || j.EndDate != "2024-05-11" || j.Rows[EventsTable] != 6 || j.Pageviews != 5 {
				t.Fatalf("job = %+v", j)
			}
			n := numbersOf(t, e, 9)
			// The bot's pageview (Bot 3) is not imported.
			if n.visitors != 4 || n.pageviews != 5 || n.events != 6 || n.visits != 4 {
				t.Errorf("visitors %d pageviews %d events %d visits %d, want 4 5 6 4", n.visitors, n.pageviews, n.events, n.visits)
			}
			checkMap(t, "pages", n.pages, map[string]uint64{"/": 2, "/about": 2, "/blog/post": 1})
			checkMap(t, "sources", n.sources, map[string]uint64{"Google": 1, "Hacker News": 1, "newsletter": 1, "Slack": 1})
			checkMap(t, "channels", n.channels, map[string]uint64{"Organic Search": 1, "Organic Social": 2, "Email": 1})
			checkMap(t, "countries", n.countries, map[string]uint64{"NL": 1, "US": 1, "DE": 1, "FR": 1})
			checkMap(t, "regions", n.regions, map[string]uint64{"": 2, "US-TX": 1, "FR-IDF": 1})
			checkMap(t, "devices", n.devices, map[string]uint64{"Desktop": 2, "Mobile": 1, "Tablet": 1})
			checkMap(t, "browsers", n.browsers, map[string]uint64{"Firefox": 1, "Safari": 1, "Chrome": 1, "Samsung Browser": 1})
			checkMap(t, "systems", n.oses, map[string]uint64{"Windows": 1, "iOS": 1, "Mac": 1, "Android": 1})
			if got := count(t, e, "SELECT count() FROM events WHERE site_id = 9 AND name = 'download-pdf'"); got != 1 {
				t.Errorf("custom events: %d", got)
			}
			if err := m.Delete(ctx, 9, j.ID); err != nil {
				t.Fatal(err)
			}
			if n := numbersOf(t, e, 9); n.events != 0 || n.visits != 0 {
				t.Errorf("after delete: %d events, %d visits", n.events, n.visits)
			}
		})
	}
}

// Events older than the site's retention would be dropped by the store as
// they are written: the import leaves them out and says how many.
func TestEventImportBeyondRetention(t *testing.T) {
	ctx := context.Background()
	m, e := newManager(t)
	addSite(t, e, 7, "boulangerie.fr")
	// A retention of 5 000 days, seen from 5 000 days after 2024-03-02:
	// the file's events of 2024-03-01 are beyond it, those of 2024-03-02
	// within (the engine, on today's clock, keeps both).
	m.Now = func() time.Time { return time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 5000) }
	if err := e.Exec(ctx, `INSERT INTO sites (id, domain, timezone, retention_days, created_at, updated_at, deleted)
		VALUES (7, 'boulangerie.fr', 'Europe/Paris', 5000, now64(3), now64(6), 0)`, nil); err != nil {
		t.Fatal(err)
	}
	j := importFile(t, m, 7, SourceUmami, "testdata/umami-export.csv")
	if j.Status != Completed || j.Rows[EventsTable] != 2 || j.Rows[EventsBeyondRetention] != 4 {
		t.Fatalf("job = %+v", j)
	}
	if n := count(t, e, "SELECT count() FROM events WHERE site_id = 7"); n != 2 {
		t.Errorf("%d events stored, want 2", n)
	}
}

// Cancelling a running import stops it after its batch and deletes the
// events and sessions it wrote.
func TestEventImportCancel(t *testing.T) {
	ctx := context.Background()
	m, e := newManager(t)
	addSite(t, e, 7, "boulangerie.fr")
	m.BatchRows = 2
	b, err := os.ReadFile("testdata/umami-export.csv")
	if err != nil {
		t.Fatal(err)
	}
	j, _, err := m.Submit(ctx, 7, SourceUmami, "umami.csv", bytes.NewReader(b), "cli")
	if err != nil {
		t.Fatal(err)
	}
	m.onBatch = func(Job) {
		if n := count(t, e, "SELECT count() FROM events WHERE site_id = 7"); n != 2 {
			t.Errorf("%d events after the first batch", n)
		}
		if _, err := m.Cancel(ctx, 7, j.ID); err != nil {
			t.Error(err)
		}
	}
	if err := m.Process(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	got, err := m.Get(ctx, 7, j.ID)
	if err != nil || got.Status != Cancelled || got.Cursor.Salt != "" {
		t.Fatalf("job = %+v, %v", got, err)
	}
	if n := numbersOf(t, e, 7); n.events != 0 || n.visits != 0 {
		t.Errorf("after cancel: %d events, %d visits", n.events, n.visits)
	}
}

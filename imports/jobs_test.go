package imports

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// zipOf builds an archive of named files.
func zipOf(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var fixture = map[string]string{
	"imported_visitors_20230209_20230211.csv": `"date","visitors","pageviews","bounces","visits","visit_duration"
"2023-02-09",119,304,77,134,21070
"2023-02-10",166,325,117,180,21467
"2023-02-11",117,233,92,128,16506
`,
	"imported_sources_20230209_20230211.csv": `"date","source","referrer","utm_source","utm_medium","utm_campaign","utm_content","utm_term","pageviews","visitors","visits","visit_duration","bounces"
"2023-02-09","DuckDuckGo","duckduckgo.com","","","","","",2,1,1,19,0
"2023-02-09","Google","google.com","","","","","",70,23,25,8249,13
"2023-02-10","GitHub","github.com","","","","","",3,3,3,0,3
`,
	// Columns in another order, one missing (exits), one unknown (extra).
	"imported_pages_20230209_20230211.csv": `"date","page","hostname","visitors","visits","pageviews","extra"
"2023-02-09","/docs","plausible.io",8,8,9,x
"2023-02-10","/docs, and more","plausible.io",1,1,1,y
`,
	"README.txt": "not a table",
}

func newManager(t testing.TB) (*Manager, store.Engine) {
	e := storetest.Migrated(t)
	return &Manager{Engine: e, Dir: t.TempDir()}, e
}

func count(t testing.TB, e store.Engine, q string) uint64 {
	t.Helper()
	var n uint64
	if err := store.QueryRow(context.Background(), e, q, nil, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPlausibleZipImport(t *testing.T) {
	ctx := context.Background()
	m, e := newManager(t)
	archive := zipOf(t, fixture)
	j, existed, err := m.Submit(ctx, 7, SourcePlausible, "export.zip", bytes.NewReader(archive), "cli")
	if err != nil || existed {
		t.Fatalf("submit: %v existed=%v", err, existed)
	}
	if err := m.Process(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	got, err := m.Get(ctx, 7, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != Completed || got.StartDate != "2023-02-09" || got.EndDate != "2023-02-11" || got.Pageviews != 304+325+233 ||
		got.Rows["imported_visitors"] != 3 || got.Rows["imported_sources"] != 3 || got.Rows["imported_pages"] != 2 || got.Progress() != 1 {
		t.Fatalf("job = %+v", got)
	}
	if n := count(t, e, "SELECT sum(visitors) FROM imported_visitors WHERE site_id = 7"); n != 402 {
		t.Errorf("visitors = %d", n)
	}
	var page string
	var exits uint64
	if err := store.QueryRow(ctx, e, "SELECT page, exits FROM imported_pages WHERE date = '2023-02-10'", nil, &page, &exits); err != nil || page != "/docs, and more" || exits != 0 {
		t.Errorf("page %q exits %d err %v", page, exits, err)
	}
	// The export carries no channel: each source gets the collector's.
	var channels string
	if err := store.QueryRow(ctx, e, "SELECT arrayStringConcat(groupArray(concat(source, '=', channel)), ',') FROM (SELECT source, channel FROM imported_sources WHERE site_id = 7 ORDER BY source)",
		nil, &channels); err != nil || channels != "DuckDuckGo=Organic Search,GitHub=Organic Social,Google=Organic Search" {
		t.Errorf("channels %q, err %v", channels, err)
	}
	// The same file again is the same import.
	again, existed, err := m.Submit(ctx, 7, SourcePlausible, "other-name.zip", bytes.NewReader(archive), "cli")
	if err != nil || !existed || again.ID != j.ID {
		t.Fatalf("second submit: %v existed=%v id %d want %d", err, existed, again.ID, j.ID)
	}
	if n := count(t, e, "SELECT sum(visitors) FROM imported_visitors WHERE site_id = 7"); n != 402 {
		t.Errorf("visitors after the second submit = %d", n)
	}
	// Another site may import the same file.
	if _, existed, err := m.Submit(ctx, 8, SourcePlausible, "export.zip", bytes.NewReader(archive), "cli"); err != nil || existed {
		t.Fatalf("other site: %v existed=%v", err, existed)
	}
	// Delete takes the rows.
	if err := m.Delete(ctx, 7, j.ID); err != nil {
		t.Fatal(err)
	}
	if n := count(t, e, "SELECT count() FROM imported_visitors WHERE site_id = 7"); n != 0 {
		t.Errorf("rows left after delete: %d", n)
	}
	if _, err := m.Get(ctx, 7, j.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("get after delete: %v", err)
	}
}

// Bad input names the file, line and column, and nothing of the import
// stays, even rows of files read before the bad one.
func TestBadInputImportsNothing(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name, file, body, want string
	}{
		{"number", "imported_visitors_20230209_20230211.csv", "date,visitors\n2023-02-09,1\n2023-02-10,12x\n",
			"imported_visitors_20230209_20230211.csv: line 3, column 2: visitors \"12x\" is not a whole number"},
		{"date", "imported_visitors_20230209_20230211.csv", "visitors,date\n1,2023-02-30\n",
			"imported_visitors_20230209_20230211.csv: line 2, column 2: date \"2023-02-30\" is not a date"},
		{"quote", "imported_sources_20230209_20230211.csv", "date,source\n2023-02-09,\"Goo\"gle\"\n",
			"imported_sources_20230209_20230211.csv: line 2, column 16: extraneous or missing \" in quoted-field"},
		{"no date", "imported_devices_20230209_20230211.csv", "device,visitors\nMobile,1\n",
			"imported_devices_20230209_20230211.csv: line 1: no \"date\" column"},
		{"bounces", "imported_devices_20230209_20230211.csv", "date,device,bounces\n2023-02-09,Mobile,4294967296\n",
			"line 2, column 3: bounces \"4294967296\" is not a whole number from 0 to 4294967295"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, e := newManager(t)
			m.BatchRows = 1 // the good rows before the bad one are stored, then deleted
			files := map[string]string{"imported_browsers_20230209_20230211.csv": "date,browser,visitors\n2023-02-09,Firefox,3\n", c.file: c.body}
			j, _, err := m.Submit(ctx, 1, SourcePlausible, "x.zip", bytes.NewReader(zipOf(t, files)), "cli")
			if err != nil {
				t.Fatal(err)
			}
			err = m.Process(ctx, j.ID)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
			got, _ := m.Get(ctx, 1, j.ID)
			if got.Status != Failed || !strings.Contains(got.Error, c.want) {
				t.Fatalf("job %+v", got)
			}
			for _, tb := range Tables {
				if n := count(t, e, "SELECT count() FROM "+tb.Name); n != 0 {
					t.Errorf("%s holds %d rows of a failed import", tb.Name, n)
				}
			}
		})
	}
	m, _ := newManager(t)
	if _, _, err := m.Submit(ctx, 1, SourcePlausible, "notes.csv", strings.NewReader("a"), "cli"); err == nil || !strings.Contains(err.Error(), "notes.csv: not a Plausible export") {
		t.Errorf("unknown file: %v", err)
	}
	if _, _, err := m.Submit(ctx, 1, SourcePlausible, "x.zip", strings.NewReader("not a zip"), "cli"); err == nil || !strings.Contains(err.Error(), "x.zip: not a readable zip") {
		t.Errorf("not a zip: %v", err)
	}
}

// A job stopped half-way (the server stops) resumes from its cursor and
// stores each row once.
func TestResumeAfterStop(t *testing.T) {
	ctx := context.Background()
	m, e := newManager(t)
	m.BatchRows = 10
	var sb strings.Builder
	sb.WriteString("date,visitors,pageviews\n")
	day := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 95 {
		fmt.Fprintf(&sb, "%s,%d,%d\n", day.AddDate(0, 0, i).Format(time.DateOnly), 1, 2)
	}
	j, _, err := m.Submit(ctx, 3, SourcePlausible, "imported_visitors_20200101_20200404.csv", strings.NewReader(sb.String()), "cli")
	if err != nil {
		t.Fatal(err)
	}
	stopCtx, stop := context.WithCancel(ctx)
	m.onBatch = func(j Job) {
		if j.Cursor.Row == 40 {
			stop()
		}
	}
	if err := m.Process(stopCtx, j.ID); !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped process: %v", err)
	}
	mid, _ := m.Get(ctx, 3, j.ID)
	if mid.Status != Running || mid.Cursor.Row != 40 || mid.BytesDone == 0 {
		t.Fatalf("after stop: %+v", mid)
	}
	// The stored batch after the cursor is written again on resume: as if
	// the process died between an insert and its cursor's save.
	mid.Cursor.Row, mid.Cursor.Batch = 30, 3
	mid.Rows["imported_visitors"] = 30
	if err := m.save(ctx, mid, 0); err != nil {
		t.Fatal(err)
	}
	m.onBatch = nil
	// A new manager, as after a restart: Run resumes the job.
	m2 := &Manager{Engine: e, Dir: m.Dir, BatchRows: 10}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- m2.Run(runCtx) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := m2.Get(ctx, 3, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status == Completed {
			if got.Rows["imported_visitors"] != 95 {
				t.Errorf("rows %v", got.Rows)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not completed: %+v", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	if n := count(t, e, "SELECT sum(visitors) FROM imported_visitors WHERE site_id = 3"); n != 95 {
		t.Errorf("visitors = %d, want 95 (a row stored twice?)", n)
	}
}

func TestCancel(t *testing.T) {
	ctx := context.Background()
	m, e := newManager(t)
	m.BatchRows = 5
	var sb strings.Builder
	sb.WriteString("date,visitors\n")
	for i := range 50 {
		fmt.Fprintf(&sb, "2021-01-%02d,1\n", i%28+1)
	}
	j, _, err := m.Submit(ctx, 4, SourcePlausible, "imported_visitors.csv", strings.NewReader(sb.String()), "cli")
	if err != nil {
		t.Fatal(err)
	}
	m.onBatch = func(got Job) {
		if got.Cursor.Row == 20 {
			if _, err := m.Cancel(ctx, 4, got.ID); err != nil {
				t.Error(err)
			}
		}
	}
	if err := m.Process(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	got, _ := m.Get(ctx, 4, j.ID)
	if got.Status != Cancelled {
		t.Fatalf("status %s", got.Status)
	}
	if n := count(t, e, "SELECT count() FROM imported_visitors"); n != 0 {
		t.Errorf("%d rows of a cancelled import", n)
	}
	if _, err := m.Cancel(ctx, 4, j.ID); err == nil {
		t.Error("cancelled twice")
	}
	// A cancelled file may be imported again.
	if _, existed, err := m.Submit(ctx, 4, SourcePlausible, "imported_visitors.csv", strings.NewReader(sb.String()), "cli"); err != nil || existed {
		t.Errorf("again: %v %v", err, existed)
	}
}

// A server stopped while the manager starts is no failure of the manager.
func TestRunStoppedWhileStarting(t *testing.T) {
	m, _ := newManager(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := m.Run(ctx); err != nil {
		t.Fatalf("Run with its context ended: %v, want nil", err)
	}
}

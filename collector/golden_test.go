package collector

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/collector/internal/wal"
	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/storetest"
)

var updateGolden = flag.Bool("update", false, "write the golden log of the current record version if it is missing (never rewrites one)")

// goldenEvents are the events in testdata/wal-v<version>, as this release
// must read them back. They are frozen with their log: a release that adds
// a field adds a version and its events, and leaves these as they are.
var goldenEvents = map[byte]func() []sillage.Event{
	1: goldenEventsV1,
}

// goldenSites are the site ids of the golden events.
var goldenSites = []uint32{7, 1_000_003}

func goldenEventsV1() []sillage.Event {
	t := time.Date(2026, 11, 26, 9, 30, 15, 123e6, time.UTC)
	return []sillage.Event{
		{ // every field set, text out of ASCII
			SiteID: 7, Timestamp: t, Name: "Achat réussi 🎉", VisitorID: 1<<64 - 1, SessionID: 1 << 63, SessionStart: t.Add(-17 * time.Minute),
			Hostname: "boulangerie-müller.fr", Pathname: "/panier/crème-brûlée", Visit: sillage.Visit{Referrer: "www.google.fr/", ReferrerSource: "Google",
				Channel: "Organic Search", UTMSource: "lettre", UTMMedium: "e-mail", UTMCampaign: "noël", UTMTerm: "pain d’épices",
				UTMContent: "bannière", ClickIDParam: "gclid", CountryCode: "FR", Region: "FR-IDF", City: "Évry-Courcouronnes",
				CityGeonameID: 1<<32 - 1, Browser: "Firefox", BrowserVersion: "133.0", OS: "GNU/Linux", OSVersion: "6.1",
				Device: "Desktop"},
			Props:        map[string]string{"plan": "pro", "": "clé vide", "vide": "", "日本語": "値", "b": "2", "a": "1"},
			RevenueMilli: 1_234_567_890_123, RevenueCurrency: "EUR",
			Interactive: true, ScrollDepth: 100, EngagementMS: 1<<32 - 1, RetentionDays: 1<<16 - 1,
		},
		{ // a refund: negative revenue; one prop
			SiteID: 1_000_003, Timestamp: t.Add(time.Second), Name: "Refund", VisitorID: 2, SessionID: 3,
			SessionStart: t, Hostname: "atelier.fr", Pathname: "/", Visit: sillage.Visit{Channel: "Direct", CountryCode: "DE"},
			Props: map[string]string{"order": "A-17"}, RevenueMilli: -29_900, RevenueCurrency: "USD",
			Interactive: true, RetentionDays: 30,
		},
		{ // an engagement event: not interactive, scroll and time
			SiteID: 7, Timestamp: t.Add(2 * time.Second), Name: "engagement", VisitorID: 1<<64 - 1, SessionID: 1 << 63,
			SessionStart: t.Add(-17 * time.Minute), Hostname: "boulangerie-müller.fr", Pathname: "/panier/crème-brûlée",
			ScrollDepth: 37, EngagementMS: 12_345,
		},
		{ // every text empty, times at the epoch
			SiteID: 7, Timestamp: time.UnixMilli(0).UTC(), SessionStart: time.UnixMilli(0).UTC(),
		},
	}
}

// goldenDir is the golden log of a record version.
func goldenDir(v byte) string { return filepath.Join("testdata", fmt.Sprintf("wal-v%d", v)) }

// openGolden opens a copy of a golden log (opening one may write to it).
func openGolden(t *testing.T, v byte, dst string) *wal.WAL {
	t.Helper()
	if err := os.CopyFS(dst, os.DirFS(goldenDir(v))); err != nil {
		t.Fatalf("copy the golden log of record version %d: %v", v, err)
	}
	w, err := wal.Open(dst, wal.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("open the golden log of record version %d: %v", v, err)
	}
	return w
}

// readGolden returns the records of a golden log.
func readGolden(t *testing.T, v byte) [][]byte {
	t.Helper()
	w := openGolden(t, v, filepath.Join(t.TempDir(), "wal"))
	defer w.Close()
	var recs [][]byte
	if _, err := w.Read(w.FirstUnflushed(), 0, func(_ uint64, rec []byte) error {
		recs = append(recs, bytes.Clone(rec))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return recs
}

// writeGolden writes the golden log of the current record version, once.
func writeGolden(t *testing.T) {
	t.Helper()
	dst := goldenDir(recordVersion)
	if _, err := os.Stat(dst); err == nil {
		t.Fatalf("%s exists: the golden log of a released version is never rewritten; "+
			"if the record changed, bump recordVersion (see README.md, Record versions)", dst)
	}
	tmp := t.TempDir()
	w, err := wal.Open(tmp, wal.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	var recs [][]byte
	for _, e := range goldenEvents[recordVersion]() {
		recs = append(recs, encodeEvent(nil, &e))
	}
	if _, err := w.Append(context.Background(), recs...); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	segs, err := filepath.Glob(filepath.Join(tmp, "*.wal"))
	if err != nil || len(segs) != 1 {
		t.Fatalf("segments %v (%v), want one", segs, err)
	}
	b, err := os.ReadFile(segs[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dst, filepath.Base(segs[0])), b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", dst)
}

// TestGoldenLog replays the log of every record version ever written with
// this release's decoder: events waiting in the log at an upgrade must come
// out as they went in.
func TestGoldenLog(t *testing.T) {
	if *updateGolden {
		writeGolden(t)
	}
	for v := byte(1); v <= recordVersion; v++ {
		t.Run(fmt.Sprintf("v%d", v), func(t *testing.T) {
			want, ok := goldenEvents[v]
			if !ok {
				t.Fatalf("no golden events for record version %d: add goldenEventsV%d", v, v)
			}
			if _, err := os.Stat(goldenDir(v)); err != nil {
				t.Fatalf("no golden log for record version %d (%v): run go test ./collector -run TestGoldenLog -update once, and commit it", v, err)
			}
			recs := readGolden(t, v)
			if len(recs) != len(want()) {
				t.Fatalf("%d records in the golden log, want %d", len(recs), len(want()))
			}
			for i, rec := range recs {
				if rec[0] != v {
					t.Fatalf("record %d has version %d, want %d", i, rec[0], v)
				}
				got, err := decodeEvent(rec)
				if err != nil {
					t.Fatalf("record %d of version %d: %v", i, v, err)
				}
				if w := want()[i]; !reflect.DeepEqual(got, w) {
					t.Fatalf("record %d of version %d:\n got %+v\nwant %+v", i, v, got, w)
				}
			}
		})
	}
}

// TestRecordFormatFrozen fails when the encoder writes other bytes than the
// golden log of its version holds: a change of the record format without a
// new version would make a release misread the log of the one before.
func TestRecordFormatFrozen(t *testing.T) {
	recs := readGolden(t, recordVersion)
	events := goldenEvents[recordVersion]()
	if len(recs) != len(events) {
		t.Fatalf("%d records in the golden log, want %d", len(recs), len(events))
	}
	for i := range events {
		if got := encodeEvent(nil, &events[i]); !bytes.Equal(got, recs[i]) {
			t.Fatalf("encodeEvent of golden event %d no longer writes the bytes of record version %d:\n got %x\nwant %x\n"+
				"The record format changed. Bump recordVersion, keep the decoder of version %d as a case of decodeEvent, "+
				"add goldenEventsV%d and write its golden log with -update (collector/README.md, Record versions).",
				i, recordVersion, got, recs[i], recordVersion, recordVersion+1)
		}
	}
}

// TestGoldenEventsCoverEveryField fails when the event gains a field that
// no golden event of the current version sets: the record would not be
// checked to carry it.
func TestGoldenEventsCoverEveryField(t *testing.T) {
	set := map[string]bool{}
	var walk func(prefix string, v reflect.Value)
	walk = func(prefix string, v reflect.Value) {
		for i := range v.NumField() {
			f, fv := v.Type().Field(i), v.Field(i)
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				walk(prefix+f.Name+".", fv)
				continue
			}
			if _, ok := set[prefix+f.Name]; !ok {
				set[prefix+f.Name] = false
			}
			if !fv.IsZero() {
				set[prefix+f.Name] = true
			}
		}
	}
	for _, e := range goldenEvents[recordVersion]() {
		walk("", reflect.ValueOf(e))
	}
	for _, c := range store.Events {
		if c.Imported {
			// Only imports set it; no record carries it.
			delete(set, importedField(c))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(set)) {
		if !set[name] {
			t.Errorf("no golden event of record version %d sets Event.%s", recordVersion, name)
		}
	}
}

// TestGoldenLogIntoStore starts a collector on the golden log of every
// version, as a release does on the log of the one before, and checks the
// rows it stores.
func TestGoldenLogIntoStore(t *testing.T) {
	ctx := context.Background()
	eng := storetest.Migrated(t)
	for _, id := range goldenSites {
		if err := eng.Exec(ctx, `INSERT INTO sites (id, domain, timezone, retention_days, created_at, updated_at, deleted)
			VALUES ({id:UInt32}, {domain:String}, 'UTC', 0, now64(3), now64(6), 0)`,
			store.Params{"id": id, "domain": fmt.Sprintf("site-%d.fr", id)}); err != nil {
			t.Fatal(err)
		}
	}
	for v := byte(1); v <= recordVersion; v++ {
		t.Run(fmt.Sprintf("v%d", v), func(t *testing.T) {
			if err := eng.Exec(ctx, "TRUNCATE TABLE events", nil); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			openGolden(t, v, filepath.Join(dir, "wal")).Close()
			c, err := New(ctx, Config{Dir: dir, FlushInterval: time.Hour, Logger: slog.New(slog.DiscardHandler)}, eng, accounts.New(eng))
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Close(ctx); err != nil {
				t.Fatal(err)
			}
			got := storedEvents(t, eng)
			want := goldenEvents[v]()
			slices.SortFunc(want, func(a, b sillage.Event) int { return a.Timestamp.Compare(b.Timestamp) })
			if len(got) != len(want) {
				t.Fatalf("%d events stored from the golden log of version %d, want %d", len(got), v, len(want))
			}
			for i := range want {
				if len(want[i].Props) == 0 {
					want[i].Props = map[string]string{}
				}
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Fatalf("stored event %d of version %d:\n got %+v\nwant %+v", i, v, got[i], want[i])
				}
			}
		})
	}
}

// storedEvents reads back every column of the events table, by time.
func storedEvents(t *testing.T, eng store.Engine) []sillage.Event {
	t.Helper()
	fixed := func(col string) string { return fmt.Sprintf("replaceAll(toString(%s), '\\0', '')", col) }
	cols := []string{"site_id", "ts", "name", "visitor_id", "session_id", "session_start", "hostname", "pathname",
		"referrer", "referrer_source", "channel", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
		"click_id_param", fixed("country_code"), "region", "city", "city_geoname_id", "browser", "browser_version", "os",
		"os_version", "device", "props", "toString(revenue_amount)", fixed("revenue_currency"), "interactive",
		"scroll_depth", "engagement_ms", "retention_days"}
	rows, err := eng.Query(context.Background(), "SELECT "+strings.Join(cols, ", ")+" FROM events ORDER BY ts", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []sillage.Event
	for rows.Next() {
		var e sillage.Event
		var revenue string
		if err := rows.Scan(&e.SiteID, &e.Timestamp, &e.Name, &e.VisitorID, &e.SessionID, &e.SessionStart, &e.Hostname,
			&e.Pathname, &e.Referrer, &e.ReferrerSource, &e.Channel, &e.UTMSource, &e.UTMMedium, &e.UTMCampaign, &e.UTMTerm,
			&e.UTMContent, &e.ClickIDParam, &e.CountryCode, &e.Region, &e.City, &e.CityGeonameID, &e.Browser,
			&e.BrowserVersion, &e.OS, &e.OSVersion, &e.Device, &e.Props, &revenue, &e.RevenueCurrency, &e.Interactive,
			&e.ScrollDepth, &e.EngagementMS, &e.RetentionDays); err != nil {
			t.Fatal(err)
		}
		e.RevenueMilli = parseMilli(t, revenue)
		e.Timestamp, e.SessionStart = e.Timestamp.UTC(), e.SessionStart.UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// parseMilli reads a Decimal64(3) printed by the engine ("-29.9", "12").
func parseMilli(t *testing.T, s string) int64 {
	t.Helper()
	neg := strings.HasPrefix(s, "-")
	whole, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	frac = (frac + "000")[:3]
	var n int64
	if _, err := fmt.Sscanf(whole+frac, "%d", &n); err != nil {
		t.Fatalf("revenue %q: %v", s, err)
	}
	if neg {
		n = -n
	}
	return n
}

// After a downgrade, a record of a newer version than this release reads
// is neither stored nor dropped: it and the events after it wait in the
// log, and the log says why.
func TestNewerRecordVersionWaitsInLog(t *testing.T) {
	ctx := context.Background()
	eng := storetest.Migrated(t)
	events := goldenEventsV1()
	dir := t.TempDir()
	w, err := wal.Open(filepath.Join(dir, "wal"), wal.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	newer := encodeEvent(nil, &events[1])
	newer[0] = recordVersion + 1
	if _, err := w.Append(ctx, encodeEvent(nil, &events[0]), newer, encodeEvent(nil, &events[2])); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	var logs syncBuffer
	c, err := New(ctx, Config{Dir: dir, FlushInterval: time.Hour, Logger: slog.New(slog.NewTextHandler(&logs, nil))},
		eng, accounts.New(eng))
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("record 2: event record version %d was written by a newer release; this one reads versions 1 to %d",
		recordVersion+1, recordVersion)
	if !strings.Contains(logs.String(), want) {
		t.Fatalf("the log does not say %q:\n%s", want, logs.String())
	}
	if got := c.pending(); got != 3 {
		t.Fatalf("%d events pending in the log, want 3", got)
	}
	if n := len(storedEvents(t, eng)); n != 0 {
		t.Fatalf("%d events stored, want none until the record can be read", n)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if err := c.Close(short); err == nil || !strings.Contains(err.Error(), "3 events left in the write-ahead log") {
		t.Fatalf("Close = %v, want the 3 events left in the log", err)
	}

	// They are all still in the log, the newer record as it was written.
	w, err = wal.Open(filepath.Join(dir, "wal"), wal.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var kept [][]byte
	if _, err := w.Read(w.FirstUnflushed(), 0, func(_ uint64, rec []byte) error {
		kept = append(kept, bytes.Clone(rec))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(kept) != 3 || !bytes.Equal(kept[1], newer) {
		t.Fatalf("after the downgrade the log holds %d records (the newer one intact: %t), want 3", len(kept), len(kept) == 3 && bytes.Equal(kept[1], newer))
	}
}

// An erasure finds the records of a newer version too: every version
// begins with the site and the time.
func TestPeekSiteTimeOfNewerRecord(t *testing.T) {
	e := goldenEventsV1()[1]
	rec := encodeEvent(nil, &e)
	rec[0] = recordVersion + 1
	site, ms, ok := peekSiteTime(rec)
	if !ok || site != e.SiteID || ms != e.Timestamp.UnixMilli() {
		t.Fatalf("peekSiteTime = %d, %d, %t; want %d, %d", site, ms, ok, e.SiteID, e.Timestamp.UnixMilli())
	}
}

// importedField names the event field of a column only imports set, as
// TestGoldenEventsCoverEveryField names fields.
func importedField(c store.Column) string {
	var e sillage.Event
	p := reflect.ValueOf(c.Field(&e)).Pointer()
	v := reflect.ValueOf(&e).Elem()
	for i := range v.NumField() {
		if v.Field(i).Addr().Pointer() == p && v.Type().Field(i).Type == reflect.TypeOf(c.Field(&e)).Elem() {
			return v.Type().Field(i).Name
		}
	}
	return ""
}

package collector

import (
	"reflect"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/store"
)

func sampleEvent() sillage.Event {
	t := time.Date(2026, 11, 26, 9, 30, 15, 123e6, time.UTC)
	return sillage.Event{
		SiteID: 42, Timestamp: t, Name: "Purchase", VisitorID: 1<<63 + 5, SessionID: 77, SessionStart: t.Add(-time.Minute),
		Hostname: "boutique.fr", Pathname: "/panier", Visit: sillage.Visit{Referrer: "www.google.fr/", ReferrerSource: "Google", Channel: "Organic Search",
			UTMSource: "newsletter", UTMMedium: "email", UTMCampaign: "noël", UTMTerm: "t", UTMContent: "c", ClickIDParam: "gclid",
			CountryCode: "FR", Region: "FR-IDF", City: "Paris", CityGeonameID: 2988507,
			Browser: "Firefox", BrowserVersion: "133.0", OS: "Linux", OSVersion: "", Device: "Desktop"},
		Props: map[string]string{"plan": "pro", "": "empty key"}, RevenueMilli: -29_900, RevenueCurrency: "EUR",
		Interactive: true, ScrollDepth: 80, EngagementMS: 12_345, RetentionDays: 730,
	}
}

func TestRecordRoundTrip(t *testing.T) {
	for _, e := range []sillage.Event{sampleEvent(), {Timestamp: time.UnixMilli(0).UTC(), SessionStart: time.UnixMilli(0).UTC()}} {
		b := encodeEvent(nil, &e)
		got, err := decodeEvent(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, e) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, e)
		}
	}
}

func TestRecordTruncated(t *testing.T) {
	e := sampleEvent()
	b := encodeEvent(nil, &e)
	for i := 0; i < len(b); i++ {
		if _, err := decodeEvent(b[:i]); err == nil {
			t.Fatalf("a record cut at %d of %d bytes decoded", i, len(b))
		}
	}
}

func FuzzDecodeEvent(f *testing.F) {
	e := sampleEvent()
	f.Add(encodeEvent(nil, &e))
	f.Add([]byte{recordVersion})
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := decodeEvent(b)
		if err != nil {
			return
		}
		again, err := decodeEvent(encodeEvent(nil, &ev))
		if err != nil || !reflect.DeepEqual(again, ev) {
			t.Fatalf("re-encoding a decoded record changed it: %v", err)
		}
	})
}

func BenchmarkEncodeDecode(b *testing.B) {
	e := sampleEvent()
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = encodeEvent(buf[:0], &e)
		if _, err := decodeEvent(buf); err != nil {
			b.Fatal(err)
		}
	}
}

// The current record version carries every column of store.Events once: a
// column added to the table without a new record version would be lost
// by every event that waits in the log.
func TestRecordColumnsCoverTheTable(t *testing.T) {
	seen := map[string]int{}
	for _, n := range recordColumns[recordVersion] {
		seen[n]++
	}
	logged := 0
	for _, c := range store.Events {
		if c.Imported {
			// Only imports set it; the collector's events carry 0.
			if seen[c.Name] != 0 {
				t.Errorf("record version %d holds column %s, which only imports set", recordVersion, c.Name)
			}
			continue
		}
		logged++
		if seen[c.Name] != 1 {
			t.Errorf("record version %d holds column %s %d times, want once: add a record version (README.md, Record versions)",
				recordVersion, c.Name, seen[c.Name])
		}
	}
	if len(recordColumns[recordVersion]) != logged {
		t.Errorf("record version %d has %d columns, store.Events %d logged ones", recordVersion, len(recordColumns[recordVersion]), logged)
	}
}

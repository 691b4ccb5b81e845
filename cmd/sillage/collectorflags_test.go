package main

import (
	"bytes"
	"log/slog"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sillage-analytics/sillage/collector/geo"
	"github.com/sillage-analytics/sillage/collector/geo/geotest"
)

// TestCollectorGeoIP: --geoip-db opens the given database and the log names
// it; a missing file is an error, not a silent empty map; without the flag
// the installed country database is used, or the log says how to get one.
func TestCollectorGeoIP(t *testing.T) {
	city := filepath.Join(t.TempDir(), "dbip-city.mmdb")
	if err := geotest.WriteIPLocationDB(city, []geotest.TestNetwork{{CIDR: "81.64.0.0/12", Country: "FR", State1: "Île-de-France", City: "Paris"}}); err != nil {
		t.Fatal(err)
	}
	def := collectorFlags{walAck: "fsync", sessionBytes: 1 << 20, sessionNetCap: 1}
	config := func(path string) (*geo.DB, string, error) {
		var logs bytes.Buffer
		f := def
		f.geoIPDB = path
		cfg, err := f.config(slog.New(slog.NewTextHandler(&logs, nil)), t.TempDir(), nil)
		if cfg.GeoIP != nil {
			t.Cleanup(func() { cfg.GeoIP.Close() })
		}
		return cfg.GeoIP, logs.String(), err
	}

	db, logs, err := config(city)
	if err != nil {
		t.Fatal(err)
	}
	if got := db.Lookup(netip.MustParseAddr("81.65.1.2")); got.City != "Paris" || !strings.Contains(logs, "path="+city) {
		t.Errorf("lookup %+v, log %q", got, logs)
	}
	if _, _, err := config(filepath.Join(t.TempDir(), "missing.mmdb")); err == nil || !strings.Contains(err.Error(), "missing.mmdb") {
		t.Errorf("a missing --geoip-db: %v", err)
	}

	db, logs, err = config("")
	if err != nil {
		t.Fatal(err)
	}
	if installed, ferr := geo.Find(); ferr == nil {
		if db == nil || !strings.Contains(logs, "path="+installed) {
			t.Errorf("installed %s, got db %v, log %q", installed, db, logs)
		}
	} else if db != nil || !strings.Contains(logs, "make geoip") {
		t.Errorf("nothing installed, got db %v, log %q", db, logs)
	}
}

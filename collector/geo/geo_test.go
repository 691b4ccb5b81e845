package geo_test

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sillage-analytics/sillage/collector/geo"
	"github.com/sillage-analytics/sillage/collector/geo/geotest"
)

// TestLookup reads both field layouts: MaxMind's GeoLite2-City and
// ip-location-db's DB-IP Lite city and country.
func TestLookup(t *testing.T) {
	networks := []geotest.TestNetwork{
		{CIDR: "81.64.0.0/12", Country: "FR", Subdivision: "IDF", State1: "Île-de-France", City: "Paris", CityGeonameID: 2988507},
		{CIDR: "2a01:cb00::/32", Country: "FR", Subdivision: "ARA", State1: "Auvergne-Rhône-Alpes", City: "Lyon", CityGeonameID: 2996944},
		{CIDR: "5.9.0.0/16", Country: "DE"},
	}
	type want map[string]geo.Location
	layouts := []struct {
		name  string
		write func(string, []geotest.TestNetwork) error
		want  want
	}{
		{"maxmind", geotest.WriteTestDB, want{
			"81.65.1.2":         {"FR", "FR-IDF", "Paris", 2988507},
			"::ffff:81.65.1.2":  {"FR", "FR-IDF", "Paris", 2988507},
			"2a01:cb00:1234::1": {"FR", "FR-ARA", "Lyon", 2996944},
			"5.9.1.1":           {CountryCode: "DE"},
		}},
		{"ip-location-db", geotest.WriteIPLocationDB, want{
			"81.65.1.2":         {"FR", "Île-de-France", "Paris", 0},
			"::ffff:81.65.1.2":  {"FR", "Île-de-France", "Paris", 0},
			"2a01:cb00:1234::1": {"FR", "Auvergne-Rhône-Alpes", "Lyon", 0},
			"5.9.1.1":           {CountryCode: "DE"},
		}},
	}
	for _, l := range layouts {
		t.Run(l.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "geo.mmdb")
			if err := l.write(path, networks); err != nil {
				t.Fatal(err)
			}
			db, err := geo.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			l.want["8.8.8.8"] = geo.Location{}
			l.want["127.0.0.1"] = geo.Location{}
			for ip, want := range l.want {
				if got := db.Lookup(netip.MustParseAddr(ip)); got != want {
					t.Errorf("Lookup(%s) = %+v, want %+v", ip, got, want)
				}
			}
			if db.Path() != path || db.Type() == "" || db.Built().IsZero() {
				t.Errorf("path %q type %q built %v", db.Path(), db.Type(), db.Built())
			}
		})
	}
	var none *geo.DB
	if got := none.Lookup(netip.MustParseAddr("81.65.1.2")); got != (geo.Location{}) {
		t.Errorf("nil DB found %+v", got)
	}
	if _, err := geo.Open(filepath.Join(t.TempDir(), "missing.mmdb")); err == nil {
		t.Error("want an error for a missing file")
	}
}

// TestInstalledCountryDB opens the country database `make geoip` installs,
// found as the server finds it, and resolves well-known public addresses.
func TestInstalledCountryDB(t *testing.T) {
	path, err := geo.Find()
	if errors.Is(err, geo.ErrNotFound) {
		t.Skip("tools/geoip is not installed (run `make geoip`; `make test` does): ", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(path, filepath.Join("tools", "geoip", "node_modules", "@ip-location-db", "dbip-country-mmdb", geo.DefaultFile)) {
		t.Logf("found %s, not the npm install", path)
	}
	db, err := geo.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Networks whose country has been stable for years: Google's public
	// resolver, and the French and German national research networks.
	for ip, country := range map[string]string{
		"8.8.8.8":            "US",
		"193.51.24.1":        "FR",
		"2001:660:3001::1":   "FR",
		"::ffff:193.51.24.1": "FR",
		"2001:638:d:c301::1": "DE",
		"192.0.2.1":          "",
		"10.1.2.3":           "",
		"2001:db8::1":        "",
	} {
		if got := db.Lookup(netip.MustParseAddr(ip)); got.CountryCode != country || got.City != "" {
			t.Errorf("Lookup(%s) = %+v, want country %q", ip, got, country)
		}
	}
}

func TestFind(t *testing.T) {
	// From a folder outside any checkout, with nothing beside the test
	// binary, nothing is found and the error says how to get a database.
	dir := t.TempDir()
	t.Chdir(dir)
	for _, c := range geo.Candidates() {
		if _, err := os.Stat(c); err == nil {
			t.Skipf("a database is installed at %s", c)
		}
	}
	if _, err := geo.Find(); !errors.Is(err, geo.ErrNotFound) || !strings.Contains(err.Error(), "make geoip") {
		t.Errorf("Find() error = %v", err)
	}
	// The npm install in a parent folder of the working directory is found.
	want := filepath.Join(dir, "tools", "geoip", "node_modules", "@ip-location-db", "dbip-country-mmdb", geo.DefaultFile)
	if err := os.MkdirAll(filepath.Dir(want), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := geotest.WriteIPLocationDB(want, []geotest.TestNetwork{{CIDR: "5.9.0.0/16", Country: "DE"}}); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(sub)
	if got, err := geo.Find(); err != nil || got != want {
		t.Errorf("Find() = %q, %v, want %q", got, err, want)
	}
}

func BenchmarkLookup(b *testing.B) {
	path := filepath.Join(b.TempDir(), "city.mmdb")
	if err := geotest.WriteTestDB(path, []geotest.TestNetwork{{CIDR: "81.64.0.0/12", Country: "FR", Subdivision: "IDF", City: "Paris", CityGeonameID: 2988507}}); err != nil {
		b.Fatal(err)
	}
	db, err := geo.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	ip := netip.MustParseAddr("81.65.1.2")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		db.Lookup(ip)
	}
}

package geo_test

import (
	"github.com/sillage-analytics/sillage/collector/geo"
	"github.com/sillage-analytics/sillage/collector/geo/geotest"
	"net/netip"
	"path/filepath"
	"testing"
)

func TestLookup(t *testing.T) {
	path := filepath.Join(t.TempDir(), "city.mmdb")
	err := geotest.WriteTestDB(path, []geotest.TestNetwork{
		{CIDR: "81.64.0.0/12", Country: "FR", Subdivision: "IDF", City: "Paris", CityGeonameID: 2988507},
		{CIDR: "2a01:cb00::/32", Country: "FR", Subdivision: "ARA", City: "Lyon", CityGeonameID: 2996944},
		{CIDR: "5.9.0.0/16", Country: "DE"},
	})
	if err != nil {
		t.Fatal(err)
	}
	db, err := geo.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tests := []struct {
		ip   string
		want geo.Location
	}{
		{"81.65.1.2", geo.Location{"FR", "FR-IDF", "Paris", 2988507}},
		{"::ffff:81.65.1.2", geo.Location{"FR", "FR-IDF", "Paris", 2988507}},
		{"2a01:cb00:1234::1", geo.Location{"FR", "FR-ARA", "Lyon", 2996944}},
		{"5.9.1.1", geo.Location{CountryCode: "DE"}},
		{"8.8.8.8", geo.Location{}},
		{"127.0.0.1", geo.Location{}},
	}
	for _, tt := range tests {
		if got := db.Lookup(netip.MustParseAddr(tt.ip)); got != tt.want {
			t.Errorf("Lookup(%s) = %+v, want %+v", tt.ip, got, tt.want)
		}
	}
	var none *geo.DB
	if got := none.Lookup(netip.MustParseAddr("81.65.1.2")); got != (geo.Location{}) {
		t.Errorf("nil DB found %+v", got)
	}
	if _, err := geo.Open(filepath.Join(t.TempDir(), "missing.mmdb")); err == nil {
		t.Error("want an error for a missing file")
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

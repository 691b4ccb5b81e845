// Package geotest writes small GeoIP databases for tests.
package geotest

import (
	"fmt"
	"net"
	"os"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// TestNetwork is one network of a test database.
type TestNetwork struct {
	CIDR          string
	Country       string
	Subdivision   string // ISO 3166-2 suffix, e.g. "IDF"
	City          string
	CityGeonameID uint32
	State1        string // ip-location-db layout: the subdivision's name
}

// WriteTestDB writes a small City-type MMDB for tests, with the field layout
// of MaxMind's GeoLite2-City.
func WriteTestDB(path string, networks []TestNetwork) error {
	return write(path, "Sillage-Test-City", networks, maxMindRecord)
}

// WriteIPLocationDB writes a small MMDB with the field layout of
// ip-location-db's DB-IP Lite databases: flat keys, the city a plain name,
// state1 a name, no GeoNames id. Networks without City or State1 get only
// country_code, as in the country database.
func WriteIPLocationDB(path string, networks []TestNetwork) error {
	return write(path, "city", networks, ipLocationRecord)
}

func ipLocationRecord(n TestNetwork) mmdbtype.Map {
	rec := mmdbtype.Map{"country_code": mmdbtype.String(n.Country)}
	if n.City != "" || n.State1 != "" {
		rec["state1"] = mmdbtype.String(n.State1)
		rec["state2"] = mmdbtype.String("")
		rec["city"] = mmdbtype.String(n.City)
		rec["postcode"] = mmdbtype.String("")
		rec["latitude"] = mmdbtype.Float32(48.8566)
		rec["longitude"] = mmdbtype.Float32(2.3522)
		rec["timezone"] = mmdbtype.String("Europe/Paris")
	}
	return rec
}

func write(path, dbType string, networks []TestNetwork, record func(TestNetwork) mmdbtype.Map) error {
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: dbType, RecordSize: 24, IncludeReservedNetworks: true})
	if err != nil {
		return err
	}
	for _, n := range networks {
		_, ipnet, err := net.ParseCIDR(n.CIDR)
		if err != nil {
			return fmt.Errorf("network %s: %w", n.CIDR, err)
		}
		if err := tree.Insert(ipnet, record(n)); err != nil {
			return fmt.Errorf("network %s: %w", n.CIDR, err)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := tree.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func maxMindRecord(n TestNetwork) mmdbtype.Map {
	// Other languages, names and the location are there, as in the real
	// file, so the reader is seen to skip what it does not keep.
	rec := mmdbtype.Map{
		"continent": mmdbtype.Map{"code": mmdbtype.String("EU"), "geoname_id": mmdbtype.Uint32(6255148)},
		"country": mmdbtype.Map{
			"geoname_id": mmdbtype.Uint32(3017382),
			"iso_code":   mmdbtype.String(n.Country),
			"names":      mmdbtype.Map{"de": mmdbtype.String("Land"), "en": mmdbtype.String("Country")},
		},
		"city": mmdbtype.Map{
			"geoname_id": mmdbtype.Uint32(n.CityGeonameID),
			"names": mmdbtype.Map{
				"de": mmdbtype.String("de:" + n.City),
				"en": mmdbtype.String(n.City),
				"fr": mmdbtype.String("fr:" + n.City),
			},
		},
		"location": mmdbtype.Map{"latitude": mmdbtype.Float64(48.8566), "longitude": mmdbtype.Float64(2.3522), "time_zone": mmdbtype.String("Europe/Paris")},
	}
	if n.Subdivision != "" {
		rec["subdivisions"] = mmdbtype.Slice{mmdbtype.Map{"iso_code": mmdbtype.String(n.Subdivision)}}
	}
	return rec
}

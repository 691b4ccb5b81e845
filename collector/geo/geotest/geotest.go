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
}

// WriteTestDB writes a small City-type MMDB for tests, with the same layout
// as the real databases.
func WriteTestDB(path string, networks []TestNetwork) error {
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "Sillage-Test-City", RecordSize: 24, IncludeReservedNetworks: true})
	if err != nil {
		return err
	}
	for _, n := range networks {
		_, ipnet, err := net.ParseCIDR(n.CIDR)
		if err != nil {
			return fmt.Errorf("network %s: %w", n.CIDR, err)
		}
		rec := mmdbtype.Map{
			"country": mmdbtype.Map{"iso_code": mmdbtype.String(n.Country)},
			"city": mmdbtype.Map{
				"geoname_id": mmdbtype.Uint32(n.CityGeonameID),
				"names":      mmdbtype.Map{"en": mmdbtype.String(n.City)},
			},
		}
		if n.Subdivision != "" {
			rec["subdivisions"] = mmdbtype.Slice{mmdbtype.Map{"iso_code": mmdbtype.String(n.Subdivision)}}
		}
		if err := tree.Insert(ipnet, rec); err != nil {
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

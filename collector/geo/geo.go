// Package geo finds country, region and city for an IP address in a
// MaxMind-format (MMDB) database, such as GeoLite2-City or DB-IP's free
// "IP to City Lite". The address is used for the lookup only.
package geo

import (
	"fmt"
	"net/netip"

	"github.com/oschwald/maxminddb-golang/v2"
)

// Location is what Sillage keeps of an address.
type Location struct {
	CountryCode   string // ISO 3166-1 alpha-2, e.g. "FR"
	Region        string // ISO 3166-2, e.g. "FR-IDF"
	City          string // English name
	CityGeonameID uint32
}

// DB looks addresses up; a nil *DB finds nothing, so a server without a
// database skips geolocation cleanly.
type DB struct {
	r *maxminddb.Reader
}

// Open memory-maps an MMDB file.
func Open(path string) (*DB, error) {
	r, err := maxminddb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open GeoIP database %s: %w", path, err)
	}
	return &DB{r: r}, nil
}

// record holds the fields read from City-type databases; others are
// skipped by the decoder.
type record struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	Subdivisions []struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"subdivisions"`
	City struct {
		GeoNameID uint32            `maxminddb:"geoname_id"`
		Names     map[string]string `maxminddb:"names"`
	} `maxminddb:"city"`
}

// Lookup returns the location of ip, or a zero Location when unknown.
func (db *DB) Lookup(ip netip.Addr) Location {
	if db == nil || !ip.IsValid() {
		return Location{}
	}
	var rec record
	if err := db.r.Lookup(ip.Unmap()).Decode(&rec); err != nil {
		return Location{}
	}
	loc := Location{CountryCode: rec.Country.ISOCode, City: rec.City.Names["en"], CityGeonameID: rec.City.GeoNameID}
	if len(rec.Subdivisions) > 0 && rec.Subdivisions[0].ISOCode != "" && loc.CountryCode != "" {
		loc.Region = loc.CountryCode + "-" + rec.Subdivisions[0].ISOCode
	}
	return loc
}

// Close releases the file mapping.
func (db *DB) Close() error {
	if db == nil {
		return nil
	}
	return db.r.Close()
}

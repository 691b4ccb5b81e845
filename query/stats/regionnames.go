package stats

import "maps"

// RegionNames is a copy of the ISO 3166-2 codes and English names of
// regions.go, for readers outside the package (the GA4 import maps the
// names its source gives back to codes).
func RegionNames() map[string]string { return maps.Clone(regionNames) }

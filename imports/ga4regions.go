package imports

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/sillage-analytics/sillage/query/stats"
)

// GA4 names a visitor's region ("Ile-de-France", "California"), where
// Sillage keeps its ISO 3166-2 code (FR-IDF, US-CA) as the collector's
// geolocation gives it. The names are read back into codes with the table
// the dashboard names codes with (Debian's iso-codes, query/stats), per
// country: spelled the same but for case, accents, punctuation and the
// order of "Name, Qualifier" (iso-codes' "Madrid, Comunidad de"). A name
// that matches no code of its country, or several, is not guessed: the
// row keeps its country without a region, and the job's warnings count
// it. GA4 often uses English exonyms where iso-codes keeps the local name
// (Bavaria for Bayern, Lombardy for Lombardia): those stay without a
// region.

// ga4RegionIndex is country → folded name → code ("" when two codes of
// the country share the name).
var ga4RegionIndex = sync.OnceValue(func() map[string]map[string]string {
	idx := map[string]map[string]string{}
	add := func(country, name, code string) {
		k := foldRegion(name)
		if k == "" {
			return
		}
		byName := idx[country]
		if byName == nil {
			byName = map[string]string{}
			idx[country] = byName
		}
		if prev, ok := byName[k]; ok && prev != code {
			byName[k] = ""
			return
		}
		byName[k] = code
	}
	for code, name := range stats.RegionNames() {
		country, _, ok := strings.Cut(code, "-")
		if !ok {
			continue
		}
		for _, n := range regionSpellings(name) {
			add(country, n, code)
		}
	}
	return idx
})

// regionSpellings are the names iso-codes gives a region: "Catalunya
// [Cataluña]" is two, "Madrid, Comunidad de" is also "Comunidad de Madrid".
func regionSpellings(name string) []string {
	var out []string
	if main, alt, ok := strings.Cut(name, " ["); ok {
		name = main
		out = append(out, strings.TrimSuffix(alt, "]"))
	}
	out = append(out, name)
	if a, b, ok := strings.Cut(name, ", "); ok && !strings.Contains(b, ",") {
		out = append(out, b+" "+a)
	}
	return out
}

// foldRegion is a name without case, accents or punctuation: letters and
// digits, single spaces between words.
func foldRegion(s string) string {
	var b strings.Builder
	space := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(unicode.ToLower(r))
		case r == '’' || r == '\'' || r == 'ʻ' || r == '‘':
			// Côte-d’Azur and Cote d'Azur: the apostrophe joins nothing.
			space = true
		default:
			space = true
		}
	}
	return b.String()
}

// ga4RegionCode is the ISO 3166-2 code of a GA4 region name in a country,
// if exactly one code has that name.
func ga4RegionCode(country, name string) (string, bool) {
	code := ga4RegionIndex()[strings.ToUpper(country)][foldRegion(name)]
	return code, code != ""
}

// ga4Unmapped counts the region names of an import that no code matched,
// kept in the job's cursor so that a resumed job counts on.
type ga4Unmapped map[string]uint64

// ga4MaxUnmapped bounds the names kept: past it, rows are still counted
// under "…".
const ga4MaxUnmapped = 200

func (u ga4Unmapped) add(country, name string) {
	k := country + ": " + name
	if _, ok := u[k]; !ok && len(u) >= ga4MaxUnmapped {
		k = "…"
	}
	u[k]++
}

// warning is the job's summary of the names left without a region, the
// most frequent first.
func (u ga4Unmapped) warning() string {
	if len(u) == 0 {
		return ""
	}
	names := make([]string, 0, len(u))
	var rows uint64
	for k, n := range u {
		names = append(names, k)
		rows += n
	}
	slices.SortFunc(names, func(a, b string) int {
		if u[a] != u[b] {
			if u[a] > u[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	shown := names[:min(len(names), 10)]
	for i, k := range shown {
		shown[i] = fmt.Sprintf("%s (%d)", k, u[k])
	}
	more := ""
	if len(names) > len(shown) {
		more = fmt.Sprintf(" and %d more", len(names)-len(shown))
	}
	return fmt.Sprintf("GA4 regions: %d rows name a region that matches no ISO 3166-2 code of its country; imported with their country only: %s%s",
		rows, strings.Join(shown, ", "), more)
}

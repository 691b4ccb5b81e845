package imports

import (
	"strings"
	"testing"
)

// Region names as GA4 reports them map to the codes the collector
// stores, per country; a name iso-codes spells otherwise (an English
// exonym) or that two codes share is not guessed.
func TestGA4RegionCode(t *testing.T) {
	for _, c := range []struct{ country, name, want string }{
		{"FR", "Ile-de-France", "FR-IDF"},
		{"FR", "Provence-Alpes-Cote d'Azur", "FR-PAC"},
		{"FR", "Auvergne-Rhone-Alpes", "FR-ARA"},
		{"fr", "Hauts-de-France", "FR-HDF"},
		{"US", "California", "US-CA"},
		{"US", "Texas", "US-TX"},
		{"GB", "England", "GB-ENG"},
		{"GB", "Scotland", "GB-SCT"},
		{"DE", "Berlin", "DE-BE"},
		{"DE", "Baden-Wurttemberg", "DE-BW"},
		{"CH", "Zurich", "CH-ZH"},
		{"AT", "Vienna", ""}, // iso-codes: Wien
		{"ES", "Catalonia", ""},
		{"ES", "Cataluna", "ES-CT"},            // the bracketed second name
		{"ES", "Comunidad de Madrid", "ES-MD"}, // "Madrid, Comunidad de"
		{"DE", "Bavaria", ""},                  // iso-codes: Bayern
		{"IT", "Lombardy", ""},                 // iso-codes: Lombardia
		{"FR", "California", ""},               // not a region of that country
		{"XX", "Ile-de-France", ""},            // no such country
		{"FR", "", ""},
	} {
		got, ok := ga4RegionCode(c.country, c.name)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("%s %q: %q %v, want %q", c.country, c.name, got, ok, c.want)
		}
	}
	// Every name of the table reads back into its code, but for the few a
	// country gives two codes.
	idx := ga4RegionIndex()
	ambiguous := 0
	for _, byName := range idx {
		for _, code := range byName {
			if code == "" {
				ambiguous++
			}
		}
	}
	if ambiguous > 60 {
		t.Errorf("%d ambiguous names", ambiguous)
	}
}

func TestGA4UnmappedWarning(t *testing.T) {
	u := ga4Unmapped{}
	for range 3 {
		u.add("DE", "Bavaria")
	}
	u.add("IT", "Lombardy")
	w := u.warning()
	if !strings.Contains(w, "4 rows") || !strings.Contains(w, "DE: Bavaria (3), IT: Lombardy (1)") {
		t.Fatalf("warning: %s", w)
	}
	for i := range ga4MaxUnmapped + 10 {
		u.add("FR", strings.Repeat("x", i+1))
	}
	if len(u) > ga4MaxUnmapped+1 || u["…"] == 0 {
		t.Fatalf("%d names kept, %d past the bound", len(u), u["…"])
	}
	if (ga4Unmapped{}).warning() != "" {
		t.Fatal("a warning without names")
	}
}

func FuzzFoldRegion(f *testing.F) {
	for _, s := range []string{"Île-de-France", "Provence-Alpes-Côte-d’Azur", "Catalunya [Cataluña]", "", "  -- ", "Z̧aby"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := foldRegion(s)
		if strings.HasPrefix(k, " ") || strings.HasSuffix(k, " ") || strings.Contains(k, "  ") || foldRegion(k) != k {
			t.Fatalf("%q folds to %q", s, k)
		}
	})
}

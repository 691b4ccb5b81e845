package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sillage-analytics/sillage/imports/ga4fake"
)

// sillage import --from ga4 reads a property through the Data API (a
// local server that answers like it) with a service account's key,
// prints its progress, keeps no key after the job, and imports a property
// once.
func TestImportGA4Command(t *testing.T) {
	f := ga4fake.New(t)
	data := t.TempDir()
	key := filepath.Join(t.TempDir(), "key.json")
	if err := os.WriteFile(key, f.ServiceAccountKey(), 0o600); err != nil {
		t.Fatal(err)
	}
	cli := func(args ...string) result { return runCLI(t, nil, "", append(args, "--data", data)...) }
	wantCLI(t, "site add", cli("site", "add", "boulangerie.fr"), true, "added site")
	wantCLI(t, "no key", cli("import", "--site", "boulangerie.fr", "--from", "ga4", "--property", "123456789"), false,
		"--credentials KEY.json")
	r := cli("import", "--site", "boulangerie.fr", "--from", "ga4", "--property", "123456789", "--credentials", key,
		"--end", "2024-03-05", "--ga4-data-url", f.Srv.URL)
	wantCLI(t, "ga4", r, true, "imported GA4 123456789 into boulangerie.fr: 2024-03-01 to 2024-03-05")
	if !strings.Contains(r.stdout, "%, ") || !strings.Contains(r.stdout, "100%") {
		t.Errorf("no progress line: %q", r.stdout)
	}
	left, _ := filepath.Glob(filepath.Join(data, "imports", "*"))
	if len(left) != 0 {
		t.Errorf("files left after the job (the key must not outlive it): %v", left)
	}
	wantCLI(t, "again", cli("import", "--site", "boulangerie.fr", "--from", "ga4", "--property", "properties/123456789", "--credentials", key,
		"--ga4-data-url", f.Srv.URL), true, "GA4 properties/123456789 was imported already")
}

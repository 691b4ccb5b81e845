package main

import (
	"path/filepath"
	"testing"
)

// sillage import --from umami|goatcounter reads their exports as events;
// events older than the site's retention are left out, and said so.
func TestImportEventLevelCommand(t *testing.T) {
	data := t.TempDir()
	cli := func(args ...string) result { return runCLI(t, nil, "", append(args, "--data", data)...) }
	wantCLI(t, "site add", cli("site", "add", "boulangerie.fr"), true, "added site")
	umami, err := filepath.Abs("../../imports/testdata/umami-export.csv")
	if err != nil {
		t.Fatal(err)
	}
	gc, err := filepath.Abs("../../imports/testdata/goatcounter-export.csv.gz")
	if err != nil {
		t.Fatal(err)
	}
	wantCLI(t, "umami", cli("import", "--site", "boulangerie.fr", "--from", "umami", umami), true,
		"6 events older than the site's retention were left out")
	wantCLI(t, "goatcounter", cli("import", "--site", "boulangerie.fr", "--from", "goatcounter", gc), true,
		"imported goatcounter-export.csv.gz into boulangerie.fr: 2024-05-10 to 2024-05-11")
	wantCLI(t, "unknown source", cli("import", "--site", "boulangerie.fr", "--from", "matomo", gc), false, "unknown import source")
}

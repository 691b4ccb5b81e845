package main

import (
	"archive/zip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func zipNames(t *testing.T, path string) []string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	slices.Sort(names)
	return names
}

// The export and import commands, on a data folder alone and through a
// running server's admin socket.
func TestImportExportCommands(t *testing.T) {
	data := t.TempDir()
	out := t.TempDir()
	cli := func(args ...string) result { return runCLI(t, nil, "", append(args, "--data", data)...) }
	wantCLI(t, "user add", runCLI(t, nil, "un mot de passe 1\n", "user", "add", "--email", "o@x.fr", "--password-stdin", "--data", data), true, "added user")
	wantCLI(t, "site add", cli("site", "add", "demo.fr", "--owner", "o@x.fr"), true, "added site")
	wantCLI(t, "site add", cli("site", "add", "copy.fr", "--owner", "o@x.fr"), true, "added site")
	wantCLI(t, "demo", cli("demo", "--site", "demo.fr", "--events", "3000", "--days", "5"), true, "added")
	export := filepath.Join(out, "demo.zip")
	wantCLI(t, "export", cli("export", "--site", "demo.fr", "--out", export), true, "exported demo.fr")
	names := zipNames(t, export)
	if len(names) != 10 || !strings.HasPrefix(names[0], "imported_browsers_") {
		t.Fatalf("export holds %v", names)
	}
	// Alone on the folder, the command runs the job and prints its progress.
	r := cli("import", "--site", "copy.fr", "--from", "plausible", export)
	wantCLI(t, "import", r, true, "imported demo.zip into copy.fr")
	if !strings.Contains(r.stdout, "100%") {
		t.Errorf("no progress line: %q", r.stdout)
	}
	bad := filepath.Join(out, "imported_visitors_20240101_20240102.csv")
	if err := os.WriteFile(bad, []byte("date,visitors\n2024-01-01,1\n2024-01-02,two\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	wantCLI(t, "bad file", cli("import", "--site", "copy.fr", bad), false, "imported_visitors_20240101_20240102.csv: line 3, column 2")

	// With a server on the folder, through its socket.
	startServe(t, "--data", data)
	wantCLI(t, "same file again", cli("import", "--site", "copy.fr", export), true, "was imported already")
	if err := os.WriteFile(bad, []byte("date,visitors\n2024-01-01,1\n2024-01-02,2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	wantCLI(t, "import through the server", cli("import", "--site", "copy.fr", bad), true, "through the running server")
	raw := filepath.Join(out, "raw.zip")
	wantCLI(t, "raw export", cli("export", "--site", "demo.fr", "--raw", "--format", "parquet", "--out", raw), true, "through the running server")
	if got := zipNames(t, raw); !slices.Equal(got, []string{"events.parquet", "sessions.parquet"}) {
		t.Errorf("raw export holds %v", got)
	}
	wantCLI(t, "unknown format", cli("export", "--site", "demo.fr", "--raw", "--format", "xml", "--out", raw), false, "parquet or csv")
}

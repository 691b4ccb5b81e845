package dashboard

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

func TestIndexIsEmbedded(t *testing.T) {
	html, err := fs.ReadFile(Dist, "dist/index.html")
	if err != nil {
		t.Fatalf("dist/index.html is not embedded: %v", err)
	}
	if !strings.Contains(string(html), `<div id="app">`) {
		t.Fatalf("dist/index.html is not the dashboard's page:\n%s", html)
	}
	// Every asset the page names is embedded too.
	refs := regexp.MustCompile(`(?:src|href)="/(assets/[^"]+)"`).FindAllStringSubmatch(string(html), -1)
	if len(refs) < 3 {
		t.Fatalf("dist/index.html names %d assets, want a script, a stylesheet and an icon", len(refs))
	}
	for _, r := range refs {
		if _, err := fs.Stat(Dist, "dist/"+r[1]); err != nil {
			t.Errorf("dist/index.html names %s, which is not embedded: %v", r[1], err)
		}
	}
}

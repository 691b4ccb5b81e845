package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sillage-analytics/sillage/imports"
	"github.com/sillage-analytics/sillage/query/api"
	"github.com/sillage-analytics/sillage/store"
)

// Deleting a site's data, or the site, takes its imports too: their rows
// and their listing.
func TestDeleteSiteDataTakesImports(t *testing.T) {
	ctx := context.Background()
	for _, path := range []string{"/api/sites/a.fr/delete-data", "/api/sites/a.fr"} {
		t.Run(path, func(t *testing.T) {
			e := newEnv(t)
			m := &imports.Manager{Engine: e.acc.Engine, Dir: t.TempDir()}
			e.serve(api.Options{Imports: m})
			owner := e.user("owner@a.fr")
			site, err := e.acc.AddSiteWithOwner(ctx, owner.ID, "a.fr", "Europe/Paris")
			if err != nil {
				t.Fatal(err)
			}
			j, _, err := m.Submit(ctx, site.ID, imports.SourcePlausible, "imported_visitors.csv", strings.NewReader("date,visitors\n2022-01-01,4\n"), owner.ID)
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Process(ctx, j.ID); err != nil {
				t.Fatal(err)
			}
			c := e.as(owner)
			method := "POST"
			if path == "/api/sites/a.fr" {
				method = "DELETE"
			}
			if r := c.do(method, path, map[string]string{"confirm": "a.fr"}); r.status != 204 {
				t.Fatalf("%s %s: %d %s", method, path, r.status, r.body)
			}
			jobs, err := m.List(ctx, site.ID)
			if err != nil || len(jobs) != 0 {
				t.Errorf("imports left: %v %v", jobs, err)
			}
			var n uint64
			if err := store.QueryRow(ctx, e.acc.Engine, "SELECT count() FROM imported_visitors", nil, &n); err != nil || n != 0 {
				t.Errorf("%d imported rows left (%v)", n, err)
			}
		})
	}
}

// A raw export writes a copy of the site's data before it streams: while
// one is under way, another of the same site is refused, not written too.
func TestRawExportOneAtATime(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	m := &imports.Manager{Engine: e.acc.Engine, Dir: t.TempDir()}
	e.serve(api.Options{Imports: m})
	owner := e.user("owner@a.fr")
	site, err := e.acc.AddSiteWithOwner(ctx, owner.ID, "a.fr", "Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.acc.AddSiteWithOwner(ctx, owner.ID, "b.fr", "Europe/Paris"); err != nil {
		t.Fatal(err)
	}
	c := e.as(owner)
	release, ok := m.ExportSlot(site.ID)
	if !ok {
		t.Fatal("the slot of a site without an export is taken")
	}
	if r := c.do("GET", "/api/sites/a.fr/export/raw?format=csv", nil); r.status != 429 {
		t.Fatalf("an export while one is under way: %d, want 429", r.status)
	}
	// Another site is not held back.
	if r := c.do("GET", "/api/sites/b.fr/export/raw?format=csv", nil); r.status != 200 {
		t.Fatalf("another site's export: %d %s", r.status, r.body)
	}
	release()
	if r := c.do("GET", "/api/sites/a.fr/export/raw?format=csv", nil); r.status != 200 {
		t.Fatalf("the export after the first ended: %d %s", r.status, r.body)
	}
	// The handler gave the slot back.
	if release, ok := m.ExportSlot(site.ID); !ok {
		t.Fatal("the slot is still taken after the export")
	} else {
		release()
	}
}

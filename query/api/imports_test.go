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

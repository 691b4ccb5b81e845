package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/imports"
	"github.com/sillage-analytics/sillage/query/api"
	"github.com/sillage-analytics/sillage/store"
)

// The settings upload takes Umami's and GoatCounter's exports: imported as
// events, listed with their count, deleted with them.
func TestUploadEventLevelImports(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct{ source, file, name string }{
		{imports.SourceUmami, "../../imports/testdata/umami-export.csv", "umami.csv"},
		{imports.SourceGoatCounter, "../../imports/testdata/goatcounter-export.csv.gz", "goatcounter.csv.gz"},
	} {
		t.Run(c.source, func(t *testing.T) {
			e := newEnv(t)
			m := &imports.Manager{Engine: e.acc.Engine, Dir: t.TempDir()}
			e.serve(api.Options{Imports: m})
			owner := e.user("owner@a.fr")
			site, err := e.acc.AddSiteWithOwner(ctx, owner.ID, "a.fr", "Europe/Paris")
			if err != nil {
				t.Fatal(err)
			}
			// The fixtures are of 2024: beyond the default retention.
			keep := uint16(0)
			if _, err := e.acc.UpdateSite(ctx, site.ID, accounts.SiteUpdate{RetentionDays: &keep}); err != nil {
				t.Fatal(err)
			}
			body, err := os.ReadFile(c.file)
			if err != nil {
				t.Fatal(err)
			}
			cl := e.as(owner)
			// A zip is not such an export: 400 naming the file.
			if r := cl.do("POST", "/api/sites/a.fr/imports?source="+c.source+"&file_name=export.zip", string(body)); r.status != 400 || !strings.Contains(string(r.body), "export.zip") {
				t.Fatalf("zip: %d %s", r.status, r.body)
			}
			r := cl.do("POST", "/api/sites/a.fr/imports?source="+c.source+"&file_name="+c.name, string(body))
			if r.status != 201 {
				t.Fatalf("upload: %d %s", r.status, r.body)
			}
			var up struct {
				Import struct {
					ID uint64 `json:"id"`
				} `json:"import"`
			}
			if err := json.Unmarshal(r.body, &up); err != nil {
				t.Fatal(err)
			}
			if err := m.Process(ctx, up.Import.ID); err != nil {
				t.Fatal(err)
			}
			r = cl.do("GET", "/api/sites/a.fr/imports", nil)
			if r.status != 200 || !strings.Contains(string(r.body), `"rows":{"events":6}`) || !strings.Contains(string(r.body), `"status":"completed"`) ||
				!strings.Contains(string(r.body), `"source":"`+c.source+`"`) {
				t.Fatalf("list: %d %s", r.status, r.body)
			}
			var n uint64
			if err := store.QueryRow(ctx, e.acc.Engine, "SELECT count() FROM events WHERE site_id = {s:UInt32} AND import_id = {id:UInt64}",
				store.Params{"s": site.ID, "id": up.Import.ID}, &n); err != nil || n != 6 {
				t.Fatalf("%d events (%v)", n, err)
			}
			if r := cl.do("DELETE", fmt.Sprintf("/api/sites/a.fr/imports/%d", up.Import.ID), nil); r.status/100 != 2 {
				t.Fatalf("delete: %d %s", r.status, r.body)
			}
			if err := store.QueryRow(ctx, e.acc.Engine, "SELECT count() FROM events WHERE site_id = {s:UInt32}",
				store.Params{"s": site.ID}, &n); err != nil || n != 0 {
				t.Errorf("%d events left after delete (%v)", n, err)
			}
		})
	}
}

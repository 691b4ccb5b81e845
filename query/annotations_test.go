package query

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/query/api"
)

// exportFiles fetches the CSV export as a shared link or a key and reads
// its files.
func exportFiles(t *testing.T, url, key, link string) map[string][][]string {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if link != "" {
		req.Header.Set(api.SharedLinkHeader, link)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("export: %d %s", resp.StatusCode, body)
	}
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][][]string{}
	for _, zf := range zr.File {
		f, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", zf.Name, err)
		}
		out[zf.Name] = rows
	}
	return out
}

func TestExportAnnotations(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	paris, _ := time.LoadLocation("Europe/Paris")
	day := func(n int) string { return time.Now().In(paris).AddDate(0, 0, n).Format(time.DateOnly) }
	for _, a := range []accounts.Annotation{
		{From: day(-3), To: day(-2), Text: `=HYPERLINK("http://evil.example","x")`, Category: "campaign"},
		{From: day(-60), Text: "long ago"},
		{From: day(-40), To: day(-5), Text: "-20% sale, spanning the range's start", Category: "campaign"},
	} {
		a.SiteID = f.siteID
		if _, err := f.acc.AddAnnotation(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	url := f.srv.URL + "/api/sites/boutique.fr/export?query=" + `{"date_range":"7d"}`
	files := exportFiles(t, url, f.key, "")
	want := [][]string{
		{"from", "to", "category", "text"},
		{day(-40), day(-5), "campaign", "'-20% sale, spanning the range's start"},
		{day(-3), day(-2), "campaign", `'=HYPERLINK("http://evil.example","x")`},
	}
	if got := files["annotations.csv"]; !equalRows(got, want) {
		t.Errorf("annotations.csv = %q\nwant %q", got, want)
	}

	// A shared link sees the notes only once the owner shares them.
	link, err := f.acc.AddSharedLink(ctx, f.siteID, "press", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := exportFiles(t, url, "", link.Slug)["annotations.csv"]; ok {
		t.Error("a shared link's export has annotations.csv while the owner does not share them")
	}
	if err := f.acc.SetAnnotationsShared(ctx, f.siteID, true); err != nil {
		t.Fatal(err)
	}
	if got := exportFiles(t, url, "", link.Slug)["annotations.csv"]; !equalRows(got, want) {
		t.Errorf("shared link's annotations.csv = %q\nwant %q", got, want)
	}
}

func equalRows(a, b [][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				return false
			}
		}
	}
	return true
}

package imports

import (
	"strconv"
	"testing"

	"github.com/sillage-analytics/sillage/query/stats"
)

// BenchmarkGA4Rows turns a page of the sources report (the widest: six
// dimensions, five metrics) into the engine's TabSeparated rows.
func BenchmarkGA4Rows(b *testing.B) {
	rep := &ga4Reports[1]
	t, _ := lookupTable(rep.table)
	resp := &ga4RunReportResponse{RowCount: 10_000}
	for _, d := range rep.dimensions {
		resp.DimensionHeaders = append(resp.DimensionHeaders, ga4Named{d})
	}
	for _, m := range rep.metrics {
		resp.MetricHeaders = append(resp.MetricHeaders, ga4Named{m})
	}
	sources := []string{"google", "(direct)", "duckduckgo.com", "newsletter", "bing", "t.co"}
	for i := range 10_000 {
		r := ga4ReportRow{DimensionValues: []ga4Value{{"202403" + strconv.Itoa(10+i%20)}, {sources[i%len(sources)]}, {"organic"},
			{"(not set)"}, {"(not set)"}, {"(not set)"}}}
		for k := range rep.metrics {
			r.MetricValues = append(r.MetricValues, ga4Value{strconv.Itoa(i*7 + k)})
		}
		resp.Rows = append(resp.Rows, r)
	}
	j := &Job{ID: 1, SiteID: 2}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := ga4Rows(rep, t, resp, j); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*float64(len(resp.Rows))/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkGA4LocationRows turns a page of the locations report into
// rows: each row's region name is read back into its ISO 3166-2 code
// (ga4regions.go), one in four matching none.
func BenchmarkGA4LocationRows(b *testing.B) {
	rep := &ga4Reports[4]
	t, _ := lookupTable(rep.table)
	resp := &ga4RunReportResponse{RowCount: 10_000}
	for _, d := range rep.dimensions {
		resp.DimensionHeaders = append(resp.DimensionHeaders, ga4Named{d})
	}
	for _, m := range rep.metrics {
		resp.MetricHeaders = append(resp.MetricHeaders, ga4Named{m})
	}
	places := [][2]string{{"FR", "Ile-de-France"}, {"FR", "Provence-Alpes-Cote d'Azur"}, {"US", "California"}, {"DE", "Bavaria"},
		{"GB", "England"}, {"DE", "Baden-Wurttemberg"}, {"IT", "Lombardy"}, {"(not set)", "(not set)"}}
	for i := range 10_000 {
		p := places[i%len(places)]
		r := ga4ReportRow{DimensionValues: []ga4Value{{"202403" + strconv.Itoa(10+i%20)}, {p[0]}, {p[1]}}}
		for k := range rep.metrics {
			r.MetricValues = append(r.MetricValues, ga4Value{strconv.Itoa(i*7 + k)})
		}
		resp.Rows = append(resp.Rows, r)
	}
	j := &Job{ID: 1, SiteID: 2}
	ga4RegionIndex() // built once per process, not per page
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := ga4Rows(rep, t, resp, j); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*float64(len(resp.Rows))/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkGA4RegionIndex builds the name → code index (once per
// process, at the first GA4 locations page).
func BenchmarkGA4RegionIndex(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		idx := map[string]int{}
		for code, name := range stats.RegionNames() {
			for _, n := range regionSpellings(name) {
				idx[code[:2]+foldRegion(n)]++
			}
		}
	}
}

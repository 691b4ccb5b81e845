package imports

import (
	"strconv"
	"testing"
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

package stats

import (
	"archive/zip"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"

	"github.com/sillage-analytics/sillage"
)

// exportLimit bounds the rows of each CSV file (a variable for tests).
var exportLimit = 100_000

// maxExportProps bounds the custom properties custom_props.csv covers.
const maxExportProps = 300

// report is one CSV file of an export: a breakdown and its columns.
type report struct {
	file    string
	dim     string
	metrics []string
	header  []string
	skip    string // a dimension value left out, such as an unset UTM value
}

func exportReports() []report {
	acq := func(file, dim string) report {
		return report{file: file, dim: dim, metrics: []string{MVisitors, MBounceRate, MVisitDuration},
			header: []string{"name", "visitors", "bounce_rate", "visit_duration"}, skip: notSet}
	}
	simple := func(file, dim string) report {
		return report{file: file, dim: dim, metrics: []string{MVisitors}, header: []string{"name", "visitors"}}
	}
	return []report{
		{file: "visitors.csv", dim: "time:day",
			metrics: []string{MVisitors, MPageviews, MVisits, MViewsPerVisit, MBounceRate, MVisitDuration},
			header:  []string{"date", "visitors", "pageviews", "visits", "views_per_visit", "bounce_rate", "visit_duration"}},
		{file: "pages.csv", dim: "event:page", metrics: []string{MVisitors, MPageviews, MBounceRate, MTimeOnPage},
			header: []string{"name", "visitors", "pageviews", "bounce_rate", "time_on_page"}},
		{file: "entry_pages.csv", dim: "visit:entry_page", metrics: []string{MVisitors, MVisits, MBounceRate, MVisitDuration},
			header: []string{"name", "unique_entrances", "total_entrances", "bounce_rate", "visit_duration"}},
		{file: "exit_pages.csv", dim: "visit:exit_page", metrics: []string{MVisitors, MVisits},
			header: []string{"name", "unique_exits", "total_exits", "exit_rate"}},
		{file: "sources.csv", dim: "visit:source", metrics: []string{MVisitors, MBounceRate, MVisitDuration},
			header: []string{"name", "visitors", "bounce_rate", "visit_duration"}},
		{file: "channels.csv", dim: "visit:channel", metrics: []string{MVisitors, MBounceRate, MVisitDuration},
			header: []string{"name", "visitors", "bounce_rate", "visit_duration"}},
		acq("utm_mediums.csv", "visit:utm_medium"),
		acq("utm_sources.csv", "visit:utm_source"),
		acq("utm_campaigns.csv", "visit:utm_campaign"),
		acq("utm_contents.csv", "visit:utm_content"),
		acq("utm_terms.csv", "visit:utm_term"),
		simple("countries.csv", "visit:country_name"),
		simple("regions.csv", "visit:region_name"),
		simple("cities.csv", "visit:city_name"),
		simple("browsers.csv", "visit:browser"),
		simple("operating_systems.csv", "visit:os"),
		simple("devices.csv", "visit:device"),
		{file: "conversions.csv", dim: "event:goal", metrics: []string{MVisitors, MEvents},
			header: []string{"name", "unique_conversions", "total_conversions"}},
	}
}

// Export writes a zip of CSV files, one per dashboard report, like
// Plausible's export: visitors.csv (daily series), pages, entry_pages,
// exit_pages, sources, channels, utm_*, countries, regions, cities,
// browsers, operating_systems, devices, conversions and custom_props.
// q supplies the date range and filters; its metrics, dimensions and
// pagination are ignored. Each file holds at most 100 000 rows. Extra
// files (annotations.csv) follow the reports.
func (e *Engine) Export(ctx context.Context, site sillage.Site, goals []Goal, q *Query, w io.Writer, extra ...ExportFile) error {
	if err := q.checkExpanded(); err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	pageviews := map[string]uint64{}
	for _, r := range exportReports() {
		sub := e.exportQuery(q, r.dim, r.metrics)
		// Filters can forbid a metric (views_per_visit with a page
		// filter): leave its column empty rather than fail the export.
		if err := sub.Validate(); err != nil {
			if _, ok := err.(*QueryError); !ok {
				return err
			}
			sub.Metrics = slices.DeleteFunc(slices.Clone(sub.Metrics), func(m string) bool { return m == MViewsPerVisit })
			if err := sub.Validate(); err != nil {
				return fmt.Errorf("stats: export %s: %w", r.file, err)
			}
		}
		var rows []Result
		if r.dim != "event:goal" || len(goals) > 0 {
			sub.Include.TimeLabels = r.dim == "time:day"
			resp, err := e.Run(ctx, site, goals, sub)
			if err != nil {
				return fmt.Errorf("stats: export %s: %w", r.file, err)
			}
			rows = resp.Results
			if sub.Include.TimeLabels {
				rows = everyDay(rows, resp.Meta.TimeLabels, sub.Metrics)
			}
		}
		var lines [][]string
		for _, row := range rows {
			name := fmt.Sprint(row.Dimensions[0])
			if r.skip != "" && name == r.skip {
				continue
			}
			line := []string{sillage.CSVText(name)}
			for _, m := range r.metrics {
				if i := slices.Index(sub.Metrics, m); i >= 0 {
					line = append(line, csvValue(row.Metrics[i]))
				} else {
					line = append(line, "")
				}
			}
			switch r.file {
			case "pages.csv":
				pageviews[name], _ = row.Metrics[1].(uint64)
			case "exit_pages.csv":
				exits, _ := row.Metrics[1].(uint64)
				line = append(line, csvValue(exitRate(exits, pageviews[name])))
			}
			lines = append(lines, line)
		}
		if err := writeCSV(zw, r.file, r.header, lines); err != nil {
			return err
		}
	}
	if err := e.exportProps(ctx, site, goals, q, zw); err != nil {
		return err
	}
	for _, f := range extra {
		if err := writeCSV(zw, f.Name, f.Header, f.Lines); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("stats: export: %w", err)
	}
	return nil
}

// ExportFile is a CSV file of an export that does not come from the
// engine; its cells are written as given.
type ExportFile struct {
	Name   string
	Header []string
	Lines  [][]string
}

// Days resolves a query's date range to the local days it covers
// (YYYY-MM-DD), in the site's time zone.
func (e *Engine) Days(ctx context.Context, site sillage.Site, q *Query) (first, last string, err error) {
	_, _, sp, err := e.resolve(ctx, site, q)
	if err != nil {
		return "", "", err
	}
	return sp.first.Format(dateLayout), sp.last.Format(dateLayout), nil
}

func (e *Engine) exportQuery(q *Query, dim string, metrics []string) *Query {
	return &Query{
		SiteID: q.SiteID, Metrics: slices.Clone(metrics), DateRange: q.DateRange, Date: q.Date,
		Dimensions: []string{dim}, Filters: q.Filters,
		Pagination: Pagination{Limit: exportLimit}, maxLimit: exportLimit,
	}
}

// everyDay lists the daily series with a row of zeros for each day
// without visits, as the dashboard's graph shows them.
func everyDay(rows []Result, days, metrics []string) []Result {
	byDay := make(map[string]Result, len(rows))
	for _, r := range rows {
		byDay[fmt.Sprint(r.Dimensions[0])] = r
	}
	out := make([]Result, 0, len(days))
	for _, d := range days {
		r, ok := byDay[d]
		if !ok {
			r = Result{Dimensions: []any{d}, Metrics: emptyMetrics(metrics)}
		}
		out = append(out, r)
	}
	return out
}

func exitRate(exits, pageviews uint64) any {
	if pageviews == 0 {
		return nil
	}
	return math.Round(float64(min(exits, pageviews))*1000/float64(pageviews)) / 10
}

// exportProps writes custom_props.csv: for each property, each value's
// visitors, events and share of visitors.
func (e *Engine) exportProps(ctx context.Context, site sillage.Site, goals []Goal, q *Query, zw *zip.Writer) error {
	header := []string{"property", "value", "visitors", "events", "percentage"}
	loc, _, sp, err := e.resolve(ctx, site, q)
	if err != nil {
		return err
	}
	p := &plan{siteID: site.ID, tz: loc.String(), loc: loc, span: sp, filters: q.Filters, goals: goals, uniq: "uniqExact"}
	if p.hidden, err = e.hiddenImports(ctx, site.ID); err != nil {
		return err
	}
	b := newBuilder(p)
	rows, err := e.store().Query(ctx, b.propKeys(maxExportProps, e.limits()), b.params)
	if err != nil {
		return fmt.Errorf("stats: export custom_props.csv: %w", err)
	}
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return fmt.Errorf("stats: export custom_props.csv: %w", err)
		}
		if validDimension(propPrefix + k) {
			keys = append(keys, k)
		}
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("stats: export custom_props.csv: %w", err)
	}
	// The rows of every property share one file's bound, so a site with
	// many high-cardinality properties cannot make the file's lines
	// outgrow memory.
	var lines [][]string
	for _, k := range keys {
		left := exportLimit - len(lines)
		if left <= 0 {
			break
		}
		kq := e.exportQuery(q, propPrefix+k, []string{MVisitors, MEvents, MPercentage})
		kq.Pagination.Limit, kq.maxLimit = left+1, left+1 // and the "(none)" row, left out
		resp, err := e.Run(ctx, site, goals, kq)
		if err != nil {
			return fmt.Errorf("stats: export custom_props.csv: %w", err)
		}
		for _, row := range resp.Results {
			if row.Dimensions[0] == noProp || len(lines) == exportLimit {
				continue
			}
			lines = append(lines, []string{sillage.CSVText(k), sillage.CSVText(fmt.Sprint(row.Dimensions[0])), csvValue(row.Metrics[0]), csvValue(row.Metrics[1]), csvValue(row.Metrics[2])})
		}
	}
	return writeCSV(zw, "custom_props.csv", header, lines)
}

func csvValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case uint64:
		return strconv.FormatUint(x, 10)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case *Money:
		return x.amount()
	}
	return fmt.Sprint(v)
}

func writeCSV(zw *zip.Writer, name string, header []string, lines [][]string) error {
	f, err := zw.Create(name)
	if err != nil {
		return fmt.Errorf("stats: export %s: %w", name, err)
	}
	cw := csv.NewWriter(f)
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("stats: export %s: %w", name, err)
	}
	if err := cw.WriteAll(lines); err != nil {
		return fmt.Errorf("stats: export %s: %w", name, err)
	}
	return nil
}

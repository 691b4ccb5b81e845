package imports

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/store"
)

// Sillage's export in Plausible's CSV format: one file per imported_*
// table, daily aggregates over the site's local days, computed with the
// definitions the stats engine uses (a visit counts on the day it starts;
// a bounce is a visit of at most one pageview and no other interactive
// event; visit duration is summed over visits that are not bounces), so
// that an export imported into another site gives the same numbers.

// exportSQL computes each table from the stored events and sessions. The
// session subquery merges a session's partial rows (FINAL).
var exportSQL = map[string]string{
	"imported_visitors": `SELECT toString(d) AS date, e.visitors, e.pageviews, s.bounces, s.visits, s.visit_duration FROM
		(SELECT toDate(ts, {tz:String}) AS d, uniqExact(visitor_id) AS visitors, countIf(name = 'pageview') AS pageviews
			FROM events WHERE site_id = {site:UInt32} AND name != 'engagement' GROUP BY d) AS e
		FULL OUTER JOIN (SELECT toDate(session_start, {tz:String}) AS d, count() AS visits, ` + bounces + ` AS bounces, ` + duration + ` AS visit_duration
			FROM ` + sessionsFinal + ` GROUP BY d) AS s USING (d) ORDER BY date`,
	"imported_sources": visitBy("toString(referrer_source) AS source, referrer, toString(utm_source) AS utm_source, toString(utm_medium) AS utm_medium, toString(utm_campaign) AS utm_campaign, toString(utm_content) AS utm_content, toString(utm_term) AS utm_term",
		"pageviews, visitors, visits, visit_duration, bounces"),
	"imported_pages": `SELECT toString(day) AS date, hostname, page, visits, visitors, pageviews, toUInt64(0) AS exits, toUInt64(0) AS time_on_page,
		'' AS scroll_depth, toUInt64(0) AS pageleave_visitors FROM (SELECT toDate(ts, {tz:String}) AS day, toString(hostname) AS hostname,
		pathname AS page, uniqExact(session_id) AS visits, uniqExact(visitor_id) AS visitors, countIf(name = 'pageview') AS pageviews
		FROM events WHERE site_id = {site:UInt32} AND name != 'engagement' GROUP BY day, hostname, page) ORDER BY day, hostname, page`,
	"imported_entry_pages": sessionsBy("entry_page", "visitors, visits AS entrances, visit_duration, bounces, pageviews"),
	"imported_exit_pages":  sessionsBy("exit_page", "visitors, visit_duration, visits AS exits, bounces, pageviews"),
	"imported_custom_events": `SELECT toString(day) AS date, ev AS name, link_url, path, visitors, events FROM (SELECT toDate(ts, {tz:String}) AS day,
		toString(name) AS ev, if(ev IN ('Outbound Link: Click', 'File Download', 'Cloaked Link: Click'), props['url'], '') AS link_url,
		if(ev = '404', props['path'], '') AS path, uniqExact(visitor_id) AS visitors, count() AS events
		FROM events WHERE site_id = {site:UInt32} AND name NOT IN ('pageview', 'engagement') GROUP BY day, ev, link_url, path)
		ORDER BY day, name, link_url, path`,
	"imported_locations": visitBy("if(empty(country_code), '', toString(country_code)) AS country, toString(region) AS region, city_geoname_id AS city",
		"visitors, visits, visit_duration, bounces, pageviews"),
	"imported_devices":  visitBy("toString(device) AS device", "visitors, visits, visit_duration, bounces, pageviews"),
	"imported_browsers": visitBy("toString(browser) AS browser, toString(browser_version) AS browser_version", "visitors, visits, visit_duration, bounces, pageviews"),
	"imported_operating_systems": visitBy("toString(os) AS operating_system, toString(os_version) AS operating_system_version",
		"visitors, visits, visit_duration, bounces, pageviews"),
}

const (
	sessionsFinal = `(SELECT session_start, visitor_id, last_ts, pageviews, interactive, referrer_source, referrer, utm_source, utm_medium,
		utm_campaign, utm_content, utm_term, country_code, region, city_geoname_id, device, browser, browser_version, os, os_version,
		finalizeAggregation(entry_page) AS entry_page, finalizeAggregation(exit_page) AS exit_page
		FROM sessions FINAL WHERE site_id = {site:UInt32} AND last_event >= session_start)`
	isBounce = "(pageviews <= 1 AND interactive <= 1)"
	bounces  = "countIf(" + isBounce + ")"
	duration = "toUInt64(round(sumIf(dateDiff('millisecond', session_start, last_ts), NOT " + isBounce + ") / 1000))"
)

// sessionsBy groups sessions by day and dims; out names the metrics in
// the table's column order, from visitors, visits, visit_duration,
// bounces and pageviews. The entry and exit pages are known to sessions
// only, and their visitors and pageviews come from there, as natively.
func sessionsBy(dims, out string) string {
	keys := aliases(dims)
	// sum(pageviews) is named apart: bounces reads the column pageviews.
	out = strings.Replace(out, "pageviews", "pv AS pageviews", 1)
	return "SELECT toString(day) AS date, " + keys + ", " + out + " FROM (SELECT toDate(session_start, {tz:String}) AS day, " + dims +
		", uniqExact(visitor_id) AS visitors, count() AS visits, " + duration + " AS visit_duration, " + bounces +
		" AS bounces, sum(pageviews) AS pv FROM " + sessionsFinal + " GROUP BY day, " + keys + ") ORDER BY day, " + keys
}

// visitBy groups by day and session attributes: visitors and pageviews
// from events by the event's day, visits, bounces and duration from
// sessions by the session's first day, as the stats engine counts them.
func visitBy(dims, out string) string {
	keys := aliases(dims)
	return "SELECT toString(day) AS date, " + keys + ", " + out + " FROM (SELECT toDate(ts, {tz:String}) AS day, " + dims +
		", uniqExact(visitor_id) AS visitors, countIf(name = 'pageview') AS pageviews FROM events WHERE site_id = {site:UInt32} AND name != 'engagement'" +
		" GROUP BY day, " + keys + ") AS e FULL OUTER JOIN (SELECT toDate(session_start, {tz:String}) AS day, " + dims +
		", count() AS visits, " + duration + " AS visit_duration, " + bounces + " AS bounces FROM " + sessionsFinal +
		" GROUP BY day, " + keys + ") AS s USING (day, " + keys + ") ORDER BY day, " + keys
}

// splitTop splits a select list at its top-level commas.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

func aliases(dims string) string {
	var keys []string
	for _, d := range splitTop(dims) {
		d = strings.TrimSpace(d)
		if i := strings.LastIndex(d, " AS "); i >= 0 {
			d = d[i+4:]
		}
		keys = append(keys, d)
	}
	return strings.Join(keys, ", ")
}

// ExportPlausible writes a site's aggregates as a zip of Plausible's CSV
// files to w. The engine writes each CSV (CSVWithNames); rows stream
// through a temporary file, never whole in memory.
func ExportPlausible(ctx context.Context, e store.Engine, site sillage.Site, w io.Writer) error {
	var first, last string
	err := store.QueryRow(ctx, e, `SELECT toString(toDate(min(ts), {tz:String})), toString(toDate(max(ts), {tz:String})), count()
		FROM events WHERE site_id = {site:UInt32}`, store.Params{"site": site.ID, "tz": site.Timezone}, &first, &last, new(uint64))
	if err != nil {
		return fmt.Errorf("export %s: range: %w", site.Domain, err)
	}
	span := strings.ReplaceAll(first, "-", "") + "_" + strings.ReplaceAll(last, "-", "")
	zw := zip.NewWriter(w)
	for _, t := range Tables {
		q, ok := exportSQL[t.Name]
		if !ok {
			continue
		}
		rows, err := e.Query(ctx, q, store.Params{"site": site.ID, "tz": site.Timezone})
		if err != nil {
			return fmt.Errorf("export %s: %s: %w", site.Domain, t.Name, err)
		}
		f, err := zw.Create(t.Name + "_" + span + ".csv")
		if err != nil {
			rows.Close()
			return err
		}
		if err := writeCSV(f, t, rows); err != nil {
			rows.Close()
			return fmt.Errorf("export %s: %s: %w", site.Domain, t.Name, err)
		}
		if err := rows.Close(); err != nil {
			return err
		}
	}
	return zw.Close()
}

// writeCSV writes rows as the table's CSV: header, then each row, every
// column scanned as text.
func writeCSV(w io.Writer, t Table, rows store.Rows) error {
	names := t.ColumnNames()
	if _, err := io.WriteString(w, strings.Join(names, ",")+"\n"); err != nil {
		return err
	}
	vals := make([]any, len(names))
	for i, c := range append([]column{{name: "date"}}, t.Columns...) {
		switch c.typ {
		case tString:
			vals[i] = new(string)
		case tNullUInt64:
			vals[i] = new(string) // empty for NULL
		default:
			vals[i] = new(uint64)
		}
	}
	var line []byte
	for rows.Next() {
		if err := rows.Scan(vals...); err != nil {
			return err
		}
		line = line[:0]
		for i, v := range vals {
			if i > 0 {
				line = append(line, ',')
			}
			switch x := v.(type) {
			case *string:
				line = appendCSV(line, *x)
			case *uint64:
				line = fmt.Appendf(line, "%d", *x)
			}
		}
		line = append(line, '\n')
		if _, err := w.Write(line); err != nil {
			return err
		}
	}
	return rows.Err()
}

func appendCSV(b []byte, s string) []byte {
	if !strings.ContainsAny(s, ",\"\r\n") && (s == "" || s[0] != ' ' && s[len(s)-1] != ' ') {
		return append(b, s...)
	}
	b = append(b, '"')
	b = append(b, strings.ReplaceAll(s, `"`, `""`)...)
	return append(b, '"')
}

// Raw export formats.
const (
	FormatParquet = "parquet"
	FormatCSV     = "csv"
)

// rawSQL selects every stored row of a site, sessions with their pages
// finalised; %s is where a restriction to some sessions goes.
var rawSQL = map[string]string{
	"events": "SELECT * FROM events WHERE site_id = {site:UInt32}%s ORDER BY ts",
	"sessions": "SELECT * EXCEPT (entry_page, exit_page), finalizeAggregation(entry_page) AS entry_page, finalizeAggregation(exit_page) AS exit_page" +
		" FROM sessions FINAL WHERE site_id = {site:UInt32}%s ORDER BY session_start",
}

// ExportRaw writes every stored event and session of a site to a zip at
// path: events.parquet and sessions.parquet (or .csv). The engine writes
// each file itself (INTO OUTFILE: the embedded engine writes local files),
// streaming, so no row passes through Go's memory.
func ExportRaw(ctx context.Context, e store.Engine, site sillage.Site, path, format string) error {
	return ExportRawSessions(ctx, e, site, path, format, "", nil)
}

// ExportRawSessions is ExportRaw restricted to the sessions that sessions
// selects (a statement of session ids with its params, as
// stats.SessionsMatching writes for a segment); "" exports them all.
func ExportRawSessions(ctx context.Context, e store.Engine, site sillage.Site, path, format, sessions string, params store.Params) error {
	engineFormat := map[string]string{FormatParquet: "Parquet", FormatCSV: "CSVWithNames"}[format]
	if engineFormat == "" {
		return fmt.Errorf("raw export: format %q: parquet or csv", format)
	}
	if e.Kind() != "embedded" {
		return fmt.Errorf("raw export: the engine writes the files, which only the embedded engine can do here; with a ClickHouse server, run the SELECTs of migrations/README.md with clickhouse-client")
	}
	dir, err := os.MkdirTemp(filepath.Dir(path), ".sillage-export-")
	if err != nil {
		return fmt.Errorf("raw export: %w", err)
	}
	defer os.RemoveAll(dir)
	out, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("raw export: %w", err)
	}
	defer out.Close()
	zw := zip.NewWriter(out)
	for _, name := range []string{"events", "sessions"} {
		file := filepath.Join(dir, name+"."+format)
		restrict := ""
		if sessions != "" {
			restrict = " AND session_id IN (" + sessions + ")"
		}
		q := fmt.Sprintf(rawSQL[name], restrict) + " INTO OUTFILE " + quote(file) + " FORMAT " + engineFormat
		ps := store.Params{}
		for k, v := range params {
			ps[k] = v
		}
		ps["site"] = site.ID
		if err := e.Exec(ctx, q, ps); err != nil {
			return fmt.Errorf("raw export of %s: %s: %w", site.Domain, name, err)
		}
		if err := addFile(zw, file, name+"."+format, format == FormatCSV); err != nil {
			return fmt.Errorf("raw export of %s: %w", site.Domain, err)
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return out.Close()
}

func addFile(zw *zip.Writer, file, name string, compress bool) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	method := zip.Store // Parquet is compressed already
	if compress {
		method = zip.Deflate
	}
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: time.Now()})
	if err != nil {
		return err
	}
	_, err = io.Copy(w, f)
	return err
}

func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// ExportToFile writes a site's export to path: Plausible's CSV zip, or
// with raw, its events and sessions in format.
func ExportToFile(ctx context.Context, e store.Engine, site sillage.Site, path string, raw bool, format string) error {
	if raw {
		return ExportRaw(ctx, e, site, path, format)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := ExportPlausible(ctx, e, site, f); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}

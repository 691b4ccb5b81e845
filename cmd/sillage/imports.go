package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sillage-analytics/sillage/admin"
	"github.com/sillage-analytics/sillage/imports"
)

// importOps adds imports and exports to the local operations, for the
// admin socket of a running server and for the command line alone.
type importOps struct {
	*localOps
	m *imports.Manager
}

func (o *importOps) StartImport(ctx context.Context, domain, source, path string) (imports.Job, bool, error) {
	site, err := o.SiteByDomain(ctx, domain)
	if err != nil {
		return imports.Job{}, false, err
	}
	f, err := os.Open(path)
	if err != nil {
		return imports.Job{}, false, err
	}
	defer f.Close()
	return o.m.Submit(ctx, site.ID, source, filepath.Base(path), f, "cli")
}

func (o *importOps) ImportJob(ctx context.Context, domain string, id uint64) (imports.Job, error) {
	site, err := o.SiteByDomain(ctx, domain)
	if err != nil {
		return imports.Job{}, err
	}
	return o.m.Get(ctx, site.ID, id)
}

func (o *importOps) Export(ctx context.Context, domain, path string, raw bool, format string) error {
	site, err := o.SiteByDomain(ctx, domain)
	if err != nil {
		return err
	}
	return imports.ExportToFile(ctx, o.Engine, site, path, raw, format)
}

// importOpsOf gives the import operations of ops: the running server's,
// or local ones on the engine the command line opened. local is nil for
// the server's.
func importOpsOf(ops admin.Ops, data string) (admin.ImportOps, *imports.Manager, error) {
	switch o := ops.(type) {
	case *admin.Client:
		return o, nil, nil
	case *localOps:
		m := &imports.Manager{Engine: o.Engine, Dir: filepath.Join(data, "imports"), Log: cliLogger(), Cluster: o.Cluster}
		return &importOps{o, m}, m, nil
	}
	return nil, nil, fmt.Errorf("imports are not available here")
}

func runImport(ctx context.Context, args []string, out io.Writer) error {
	var ef engineFlags
	var site, from string
	f := newFlags("import", `Usage: sillage import --site DOMAIN --from plausible|umami|goatcounter FILE [flags]

Imports a site's history: FILE is the zip of Plausible's CSV export (Site
settings > Imports & exports), or one of its CSV files; Sillage's own
export (sillage export) is the same format. With --from umami, FILE is
Umami's data export (the CSV of a website's events); with --from
goatcounter, GoatCounter's CSV export (.csv or .csv.gz): their rows are
imported as events, with the collector's enrichment. The import is a job: while a
server runs on the data folder, the command hands the file to it through
its admin socket and follows its progress (the job goes on if the command
stops; a restarted server resumes it); otherwise the command runs it. The
same file twice is imported once. Days with events collected by Sillage
keep their own numbers.`)
	ef.register(f)
	f.stringVar(&site, "site", "SILLAGE_IMPORT_SITE", "", "domain of the site to import into")
	f.stringVar(&from, "from", "SILLAGE_IMPORT_FROM", imports.SourcePlausible, "source of the file: "+strings.Join(imports.Sources, ", "))
	if err := f.parse(args); err != nil {
		return err
	}
	if site == "" || len(f.args) != 1 {
		return fmt.Errorf("usage: sillage import --site DOMAIN --from plausible|umami|goatcounter FILE")
	}
	path, err := filepath.Abs(f.args[0])
	if err != nil {
		return err
	}
	log := cliLogger()
	ops, where, done, err := ef.ops(ctx, log)
	if err != nil {
		return err
	}
	defer done()
	io, local, err := importOpsOf(ops, ef.data)
	if err != nil {
		return err
	}
	start := time.Now()
	job, existed, err := io.StartImport(ctx, site, from, path)
	if err != nil {
		return err
	}
	if existed {
		fmt.Fprintf(out, "%s was imported already (import %d, %s)\n", filepath.Base(path), job.ID, job.Status)
		return nil
	}
	progress := func(j imports.Job) {
		var rows uint64
		for _, n := range j.Rows {
			rows += n
		}
		fmt.Fprintf(out, "\rimport %d: %3.0f%%, %d rows, %s", j.ID, j.Progress()*100, rows, j.Status)
	}
	if local != nil {
		local.OnProgress = progress
		if err := local.Process(ctx, job.ID); err != nil {
			fmt.Fprintln(out)
			return err
		}
	} else {
		for {
			if job, err = io.ImportJob(ctx, site, job.ID); err != nil {
				return err
			}
			progress(job)
			if job.Status != imports.Pending && job.Status != imports.Running {
				break
			}
			select {
			case <-ctx.Done():
				fmt.Fprintf(out, "\nthe import goes on in the server; follow it in the site's settings\n")
				return nil
			case <-time.After(500 * time.Millisecond):
			}
		}
	}
	if job, err = io.ImportJob(ctx, site, job.ID); err != nil {
		return err
	}
	progress(job)
	fmt.Fprintln(out)
	switch job.Status {
	case imports.Completed:
		_, err = fmt.Fprintf(out, "imported %s into %s: %s to %s, %d pageviews, in %s through %s\n", filepath.Base(path), site,
			job.StartDate, job.EndDate, job.Pageviews, time.Since(start).Round(time.Millisecond), where)
		if n := job.Rows[imports.EventsBeyondRetention]; n > 0 && err == nil {
			_, err = fmt.Fprintf(out, "%d events older than the site's retention were left out: to keep them, delete this import (import %d), raise the retention and import again\n", n, job.ID)
		}
		return err
	case imports.Failed:
		return errors.New(job.Error)
	}
	return fmt.Errorf("import %d is %s", job.ID, job.Status)
}

func runExport(ctx context.Context, args []string, out io.Writer) error {
	var ef engineFlags
	var site, dest, format string
	var raw bool
	f := newFlags("export", `Usage: sillage export --site DOMAIN --out FILE.zip
       sillage export --site DOMAIN --raw --format parquet|csv --out FILE

Without --raw, writes the site's daily aggregates as Plausible's CSV export
(a zip of imported_*.csv files), which sillage import, or Plausible, reads
back. With --raw, writes every stored event and session of the site, as
Parquet or CSV (a zip of events and sessions), written by the engine;
columns are listed in migrations/README.md. Nothing in either identifies
a person. While a server runs on the data folder, it writes the file.`)
	ef.register(f)
	f.stringVar(&site, "site", "SILLAGE_EXPORT_SITE", "", "domain of the site to export")
	f.stringVar(&dest, "out", "SILLAGE_EXPORT_OUT", "", "file to write")
	f.boolVar(&raw, "raw", "SILLAGE_EXPORT_RAW", false, "every stored event and session instead of daily aggregates")
	f.stringVar(&format, "format", "SILLAGE_EXPORT_FORMAT", "parquet", "with --raw: parquet or csv")
	if err := f.parse(args); err != nil {
		return err
	}
	if site == "" || dest == "" || len(f.args) != 0 {
		return fmt.Errorf("usage: sillage export --site DOMAIN --out FILE [--raw --format parquet|csv]")
	}
	path, err := filepath.Abs(dest)
	if err != nil {
		return err
	}
	log := cliLogger()
	ops, where, done, err := ef.ops(ctx, log)
	if err != nil {
		return err
	}
	defer done()
	io, _, err := importOpsOf(ops, ef.data)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := io.Export(ctx, site, path, raw, format); err != nil {
		return err
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "exported %s to %s (%d bytes) in %s through %s\n", site, path, st.Size(), time.Since(start).Round(time.Millisecond), where)
	return err
}

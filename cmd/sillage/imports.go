package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"

	"github.com/sillage-analytics/sillage/imports"
	"github.com/sillage-analytics/sillage/internal/admin"
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

func (o *importOps) StartGA4Import(ctx context.Context, domain string, req admin.GA4Import) (imports.Job, bool, error) {
	site, err := o.SiteByDomain(ctx, domain)
	if err != nil {
		return imports.Job{}, false, err
	}
	key, err := readKey(req.KeyPath)
	if err != nil {
		return imports.Job{}, false, err
	}
	return o.m.SubmitGA4(ctx, site.ID, imports.GA4Request{Property: req.Property, StartDate: req.StartDate, EndDate: req.EndDate, Credentials: key}, "cli")
}

// readKey reads a service account's JSON key (a few KB).
func readKey(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("the service account's key: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("the service account's key %s: %w", path, err)
	}
	return b, nil
}

// ga4Flags configure how imports reach Google Analytics 4: the OAuth
// client ops registered (for the settings' connect button), and the API
// addresses (a proxy, or a test server).
type ga4Flags struct {
	ga4ClientID, ga4ClientSecret string
	ga4DataURL, ga4AdminURL      string
}

func (g *ga4Flags) register(f *flags) {
	f.stringVar(&g.ga4ClientID, "ga4-client-id", "SILLAGE_GA4_CLIENT_ID", "",
		"OAuth client id (Google Cloud, type Web application) for importing from Google Analytics 4 with a Google account; its redirect URI is PUBLIC_URL/api/imports/ga4/callback")
	f.stringVar(&g.ga4ClientSecret, "ga4-client-secret", "SILLAGE_GA4_CLIENT_SECRET", "", "OAuth client secret of --ga4-client-id")
	f.stringVar(&g.ga4DataURL, "ga4-data-url", "SILLAGE_GA4_DATA_URL", "", "base URL of the Google Analytics Data API (default Google's)")
	f.stringVar(&g.ga4AdminURL, "ga4-admin-url", "SILLAGE_GA4_ADMIN_URL", "", "base URL of the Google Analytics Admin API (default Google's)")
}

func (g *ga4Flags) config() imports.GA4Config {
	c := imports.GA4Config{DataURL: g.ga4DataURL, AdminURL: g.ga4AdminURL}
	if g.ga4ClientID != "" && g.ga4ClientSecret != "" {
		c.OAuth = &oauth2.Config{ClientID: g.ga4ClientID, ClientSecret: g.ga4ClientSecret, Endpoint: google.Endpoint,
			Scopes: []string{imports.GA4Scope}}
	}
	return c
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
func importOpsOf(ops admin.Ops, data string, ga4 imports.GA4Config) (admin.ImportOps, *imports.Manager, error) {
	switch o := ops.(type) {
	case *admin.Client:
		return o, nil, nil
	case *localOps:
		m := &imports.Manager{Engine: o.Engine, Dir: filepath.Join(data, "imports"), Log: cliLogger(), Cluster: o.Cluster, GA4: ga4}
		return &importOps{o, m}, m, nil
	}
	return nil, nil, fmt.Errorf("imports are not available here")
}

func runImport(ctx context.Context, args []string, out io.Writer) error {
	var ef engineFlags
	var gf ga4Flags
	var site, from, property, credentials, startDate, endDate string
	f := newFlags("import", `Usage: sillage import --site DOMAIN --from plausible|umami|goatcounter FILE [flags]
       sillage import --site DOMAIN --from ga4 --property ID --credentials KEY.json [--start YYYY-MM-DD] [--end YYYY-MM-DD]

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
keep their own numbers.

With --from ga4, the days of a Google Analytics 4 property are read through
Google's Data API with a service account's JSON key (Google Cloud > IAM >
Service accounts > Keys), the account added as a Viewer of the property
(GA4 Admin > Property access management). The key is kept in the data
folder while the job runs, and removed when it ends. A property is imported
once per site; without --start the import begins at its first day with
data, without --end it stops yesterday.`)
	ef.register(f)
	gf.register(f)
	f.stringVar(&property, "property", "SILLAGE_IMPORT_PROPERTY", "", "with --from ga4: the GA4 property id (Admin > Property details), or properties/ID")
	f.stringVar(&credentials, "credentials", "SILLAGE_IMPORT_CREDENTIALS", "", "with --from ga4: the service account's JSON key file")
	f.stringVar(&startDate, "start", "SILLAGE_IMPORT_START", "", "with --from ga4: the first day to import (default: the property's first day with data)")
	f.stringVar(&endDate, "end", "SILLAGE_IMPORT_END", "", "with --from ga4: the last day to import (default: yesterday)")
	f.stringVar(&site, "site", "SILLAGE_IMPORT_SITE", "", "domain of the site to import into")
	f.stringVar(&from, "from", "SILLAGE_IMPORT_FROM", imports.SourcePlausible, "source of the file: "+strings.Join(imports.Sources, ", ")+", or ga4 (with --property and --credentials)")
	if err := f.parse(args); err != nil {
		return err
	}
	ga4 := from == imports.SourceGA4
	switch {
	case ga4 && (site == "" || property == "" || credentials == "" || len(f.args) != 0):
		return fmt.Errorf("usage: sillage import --site DOMAIN --from ga4 --property ID --credentials KEY.json")
	case !ga4 && (site == "" || len(f.args) != 1):
		return fmt.Errorf("usage: sillage import --site DOMAIN --from plausible|umami|goatcounter FILE")
	}
	arg := credentials
	if !ga4 {
		arg = f.args[0]
	}
	path, err := filepath.Abs(arg)
	if err != nil {
		return err
	}
	log := cliLogger()
	ops, where, done, err := ef.ops(ctx, log)
	if err != nil {
		return err
	}
	defer done()
	io, local, err := importOpsOf(ops, ef.data, gf.config())
	if err != nil {
		return err
	}
	start := time.Now()
	var job imports.Job
	var existed bool
	name := filepath.Base(path)
	if ga4 {
		name = "GA4 " + property
		job, existed, err = io.StartGA4Import(ctx, site, admin.GA4Import{Property: property, KeyPath: path, StartDate: startDate, EndDate: endDate})
	} else {
		job, existed, err = io.StartImport(ctx, site, from, path)
	}
	if err != nil {
		return err
	}
	if existed {
		fmt.Fprintf(out, "%s was imported already (import %d, %s)\n", name, job.ID, job.Status)
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
		// The command runs nothing but the import: its Go heap is a batch
		// of rows (8 MiB) and little else, and the default GC lets it
		// double between collections. A tighter target cost about 5 % more
		// CPU and took 10-20 MiB off the 1 GB import's peak (BENCHMARKS.md).
		defer debug.SetGCPercent(debug.SetGCPercent(20))
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
		_, err = fmt.Fprintf(out, "imported %s into %s: %s to %s, %d pageviews, in %s through %s\n", name, site,
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
	io, _, err := importOpsOf(ops, ef.data, imports.GA4Config{})
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

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/admin"
	"github.com/sillage-analytics/sillage/clientip"
	"github.com/sillage-analytics/sillage/collector"
	"github.com/sillage-analytics/sillage/imports"
	"github.com/sillage-analytics/sillage/migrations"
	"github.com/sillage-analytics/sillage/query/stats"
	"github.com/sillage-analytics/sillage/store"
)

// roles says which halves a process runs: serve runs both; collect and
// query run one each, against a ClickHouse server, for scaling them apart.
type roles struct {
	name      string
	collector bool
	query     bool
	migrate   bool // apply pending migrations at start; otherwise wait for them
}

type serveFlags struct {
	engineFlags
	collectorFlags
	roles
	listen         string
	trustedProxies string
	secret         string
	sampleAbove    int64
	require2FA     bool
	logLevel       string
	logFormat      string
	bootstrapSite  string
	bootstrapUser  string
	pprofListen    string
	statsFlags
	mailFlags
	reportsPart
	ga4Flags
	imports *imports.Manager // set by runRoles for the query service
}

func runServe(ctx context.Context, args []string, out io.Writer) error {
	return runRoles(ctx, args, out, roles{name: "serve", collector: true, query: true, migrate: true}, `Usage: sillage serve [flags]

Runs the collector (POST /api/event, /js/script.js), the query service and
the dashboard on one port, after applying pending migrations. Stops
gracefully on SIGINT or SIGTERM: accepted events are flushed first.`)
}

func runCollect(ctx context.Context, args []string, out io.Writer) error {
	return runRoles(ctx, args, out, roles{name: "collect", collector: true}, `Usage: sillage collect [flags]

Runs the collector alone (POST /api/event, /js/script.js, /healthz, /readyz,
/metrics), for scaling ingestion apart from queries against a ClickHouse
server. It does not migrate: it waits (--clickhouse-wait) for the schema
that 'sillage migrate up' or 'sillage serve' applies. Put several behind a
load balancer with affinity by client IP (see collector/README.md).`)
}

func runRoles(ctx context.Context, args []string, out io.Writer, r roles, usage string) error {
	sf := serveFlags{roles: r}
	f := newFlags(r.name, usage)
	sf.engineFlags.register(f)
	if r.collector {
		sf.collectorFlags.register(f)
	}
	f.stringVar(&sf.listen, "listen", "SILLAGE_LISTEN", "127.0.0.1:8080", "address to serve HTTP on")
	f.stringVar(&sf.trustedProxies, "trusted-proxies", "SILLAGE_TRUSTED_PROXIES", "",
		"comma-separated CIDRs of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed, e.g. 127.0.0.1/32,10.0.0.0/8")
	if r.query {
		f.stringVar(&sf.secret, "secret", "SILLAGE_SECRET", "",
			"key for CSRF tokens and shared-link cookies, the same on every query process (default: a random one kept in DATA/secret)")
		f.int64Var(&sf.sampleAbove, "sample-above", "SILLAGE_SAMPLE_ABOVE", stats.DefaultSampleAbove,
			"events in a date range above which a query reads a sample of the visitors and scales its counts, saying so (0: never sample)")
		f.boolVar(&sf.require2FA, "require-2fa", "SILLAGE_REQUIRE_2FA", false,
			"every account must use two-factor authentication (TOTP): one without it must enrol right after logging in")
		sf.statsFlags.register(f, &sf.engineFlags)
		sf.mailFlags.register(f)
		sf.ga4Flags.register(f)
	}
	f.stringVar(&sf.logLevel, "log-level", "SILLAGE_LOG_LEVEL", "info", "debug, info, warn or error")
	f.stringVar(&sf.logFormat, "log-format", "SILLAGE_LOG_FORMAT", "text", "text or json")
	if r.migrate {
		f.stringVar(&sf.bootstrapSite, "bootstrap-site", "SILLAGE_BOOTSTRAP_SITE", "", "create this site at start if it does not exist")
		f.stringVar(&sf.bootstrapUser, "bootstrap-user", "SILLAGE_BOOTSTRAP_USER", "",
			"create this account at start if it does not exist, with a random password printed once")
	}
	f.stringVar(&sf.pprofListen, "pprof-listen", "SILLAGE_PPROF_LISTEN", "", "serve Go profiles (net/http/pprof) on this address, e.g. 127.0.0.1:6060")
	if err := f.parse(args); err != nil {
		return err
	}
	if len(f.args) > 0 {
		return fmt.Errorf("unexpected argument %q", f.args[0])
	}
	if r.query {
		if err := sf.mailFlags.check(); err != nil {
			return err
		}
	}
	log, err := newLogger(os.Stderr, sf.logLevel, sf.logFormat)
	if err != nil {
		return err
	}
	return serve(ctx, sf, log, out)
}

func serve(ctx context.Context, sf serveFlags, log *slog.Logger, out io.Writer) error {
	started := time.Now()
	if sf.pprofListen != "" {
		go func() {
			// DefaultServeMux carries net/http/pprof's handlers.
			if err := http.ListenAndServe(sf.pprofListen, nil); err != nil {
				log.Error("pprof listener", "error", err)
			}
		}()
	}
	eng, err := sf.open(ctx, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := eng.Close(); err != nil {
			log.Error("close engine", "error", err)
		}
	}()
	log.Info("engine open", "kind", eng.Kind(), "took", time.Since(started).Round(time.Millisecond).String())

	proxies, err := clientip.ParseProxies(sf.trustedProxies)
	if err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}
	var ccfg collector.Config
	if sf.collector {
		if ccfg, err = sf.collectorFlags.config(log, sf.data, proxies); err != nil {
			return err
		}
		defer ccfg.GeoIP.Close()
	}
	ln, err := net.Listen("tcp", sf.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", sf.listen, err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	ccfg.Registerer = reg
	rt := &router{engine: eng, collects: sf.collector, queries: sf.query, metrics: fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))}
	srv := &fasthttp.Server{
		Handler:            rt.handle,
		Name:               "sillage",
		ReadTimeout:        30 * time.Second,
		WriteTimeout:       30 * time.Second,
		IdleTimeout:        2 * time.Minute,
		MaxRequestBodySize: 1 << 20,
		Logger:             slogPrintf{log},
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("listening", "address", ln.Addr().String())

	if err := sf.schema(ctx, eng, log); err != nil {
		srv.Shutdown()
		return err
	}
	acc := accounts.New(eng)
	acc.Cluster = sf.cluster
	if err := bootstrap(ctx, acc, sf, out); err != nil {
		srv.Shutdown()
		return err
	}
	var col *collector.Collector
	if sf.collector {
		if col, err = collector.New(ctx, ccfg, eng, acc); err != nil {
			srv.Shutdown()
			return err
		}
		rt.collector.Store(col)
		// Sites added here (dashboard, admin socket) count at once.
		acc.SitesChanged = col.SitesChanged
	}
	if sf.query {
		// Imports run in the background, one at a time; jobs a stopped
		// server left resume here.
		sf.imports = &imports.Manager{Engine: eng, Dir: filepath.Join(sf.data, "imports"), Log: log, Cluster: sf.cluster,
			GA4: sf.ga4Flags.config()}
		go func() {
			if err := sf.imports.Run(ctx); err != nil {
				log.Error("imports", "error", err)
			}
		}()
		h, box, err := sf.queryHandler(eng, acc, proxies, reg, log)
		if err != nil {
			srv.Shutdown()
			if col != nil {
				col.Close(context.Background())
			}
			return err
		}
		rt.query.Store(&h)
		// Retries of failed deliveries: stopped with the server, before
		// the engine closes.
		mailCtx, stopMail := context.WithCancel(ctx)
		mailDone := make(chan struct{})
		go func() { box.Run(mailCtx); close(mailDone) }()
		defer func() { stopMail(); <-mailDone }()
		// Reports and alerts: stopped before the mail retries.
		defer sf.runReports(ctx)()
	}

	var adminSrv *http.Server
	if sf.embedded() {
		sock := admin.SocketPath(sf.data)
		al, err := admin.Listen(sock)
		if err != nil {
			srv.Shutdown()
			return err
		}
		var ops admin.Ops = &localOps{acc}
		if sf.imports != nil {
			ops = &importOps{&localOps{acc}, sf.imports}
		}
		adminSrv = &http.Server{Handler: admin.Handler(ops, log), ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := adminSrv.Serve(al); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("admin socket", "error", err)
			}
		}()
		defer os.Remove(sock)
	}
	rt.ready.Store(true)
	log.Info("ready", "took", time.Since(started).Round(time.Millisecond).String())

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		return fmt.Errorf("HTTP server: %w", err)
	}
	log.Info("shutting down")
	rt.ready.Store(false)
	step := time.Now()
	shutCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.ShutdownWithContext(shutCtx); err != nil {
		log.Warn("HTTP shutdown", "error", err)
	}
	if adminSrv != nil {
		adminSrv.Shutdown(shutCtx)
	}
	log.Info("HTTP stopped", "took", time.Since(step).Round(time.Millisecond).String())
	if col != nil {
		step = time.Now()
		flushCtx, cancelFlush := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancelFlush()
		if err := col.Close(flushCtx); err != nil {
			log.Error("collector stopped with events left in its write-ahead log", "error", err)
		} else {
			log.Info("collector flushed", "took", time.Since(step).Round(time.Millisecond).String())
		}
	}
	return nil
}

// schema applies pending migrations, or, for a process that must not
// migrate, waits until someone else has.
func (sf *serveFlags) schema(ctx context.Context, eng store.Engine, log *slog.Logger) error {
	m, err := sf.migrator(ctx, eng, log)
	if err != nil {
		return err
	}
	if sf.migrate {
		return m.Up()
	}
	deadline := time.Now().Add(sf.clickhouseWait)
	for {
		v, dirty, err := m.Version()
		if err != nil {
			return err
		}
		if v == migrations.Latest() && !dirty {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("schema is at version %d, this binary needs %d: run 'sillage migrate up' first", v, migrations.Latest())
		}
		log.Warn("waiting for migrations", "version", v, "want", migrations.Latest())
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}

// bootstrap creates the account and site asked for at start, the account
// owning the site, so `make run` ends with something to log into. A site
// that exists already is kept; one whose events are stored without a site
// row (a folder filled by bench/query) is registered under their id; the
// account becomes owner of the site if it has none.
func bootstrap(ctx context.Context, acc *accounts.Service, sf serveFlags, out io.Writer) error {
	var owner string
	if sf.bootstrapUser != "" {
		u, err := acc.UserByEmail(ctx, sf.bootstrapUser)
		if errors.Is(err, accounts.ErrNotFound) {
			password := accounts.RandomPassword()
			if u, err = acc.AddUser(ctx, sf.bootstrapUser, password); err != nil {
				return fmt.Errorf("bootstrap user: %w", err)
			}
			fmt.Fprintf(out, "Created account %s with password %s (shown once: keep it).\n", sf.bootstrapUser, password)
		} else if err != nil {
			return fmt.Errorf("bootstrap user: %w", err)
		}
		owner = u.ID
	}
	if sf.bootstrapSite == "" {
		return nil
	}
	const tz = "Europe/Paris"
	site, err := acc.SiteByDomain(ctx, sf.bootstrapSite)
	created := errors.Is(err, accounts.ErrNotFound)
	if errors.Is(err, accounts.ErrNotFound) {
		site, err = acc.AdoptStoredSite(ctx, sf.bootstrapSite, tz)
		if err == nil {
			fmt.Fprintf(out, "Adopted the stored events of site %s (id %d, time zone %s).\n", site.Domain, site.ID, site.Timezone)
		}
	}
	if errors.Is(err, accounts.ErrNotFound) {
		site, err = acc.AddSite(ctx, sf.bootstrapSite, tz)
		if err == nil {
			fmt.Fprintf(out, "Created site %s (time zone %s).\n", site.Domain, site.Timezone)
		}
	}
	if err != nil {
		return fmt.Errorf("bootstrap site: %w", err)
	}
	if created {
		// Added without an owner from the command line: the first account
		// adopts it if nobody owns it.
		if err := acc.MarkAdoptable(ctx, site.ID); err != nil {
			return fmt.Errorf("bootstrap site %s: %w", site.Domain, err)
		}
	}
	if owner != "" {
		_, err := acc.EnsureOwner(ctx, site.ID, owner)
		if errors.Is(err, accounts.ErrInviteFirst) {
			// Not fatal: the server starts, the site waits for an owner.
			fmt.Fprintf(out, "Not making %s owner of %s: %v (sillage user add --email %s --site %s --role owner prints a link).\n",
				sf.bootstrapUser, site.Domain, err, sf.bootstrapUser, site.Domain)
			return nil
		}
		if err != nil {
			return fmt.Errorf("bootstrap site %s: give it an owner: %w", site.Domain, err)
		}
	}
	return nil
}

// router answers the health and metrics endpoints, then hands the request
// to the collector and the query service.
type router struct {
	engine    store.Engine
	collects  bool // the process runs a collector, maybe not built yet
	queries   bool // the process runs the query service, maybe not built yet
	ready     atomic.Bool
	collector atomic.Pointer[collector.Collector]
	query     atomic.Pointer[fasthttp.RequestHandler]
	metrics   fasthttp.RequestHandler
}

func (rt *router) handle(c *fasthttp.RequestCtx) {
	if col := rt.collector.Load(); col != nil {
		if col.Handle(c) {
			return
		}
	} else if rt.collects && collector.IsRoute(c.Path()) {
		collector.ServeStarting(c)
		return
	}
	switch string(c.Path()) {
	case "/healthz", "/readyz", "/metrics":
		rt.health(c)
		return
	}
	if q := rt.query.Load(); q != nil {
		(*q)(c)
		return
	}
	if rt.queries {
		queryStarting(c)
		return
	}
	rt.health(c)
}

// queryStarting answers the dashboard's and the API's routes before the
// query service exists (the listener opens first, while migrations run):
// 503 with Retry-After, which a browser, a client or a balancer retries,
// where a 404 would tell them the page or the endpoint does not exist.
func queryStarting(c *fasthttp.RequestCtx) {
	c.Response.Header.Set("Retry-After", "5")
	c.Response.Header.Set("Cache-Control", "no-store")
	c.SetContentType("application/json")
	c.SetStatusCode(fasthttp.StatusServiceUnavailable)
	c.SetBodyString(`{"error":"starting, retry later"}` + "\n")
}

func (rt *router) health(c *fasthttp.RequestCtx) {
	switch string(c.Path()) {
	case "/healthz":
		c.SetContentType("text/plain; charset=utf-8")
		c.SetBodyString("ok\n")
	case "/readyz":
		c.SetContentType("text/plain; charset=utf-8")
		if !rt.ready.Load() {
			c.SetStatusCode(fasthttp.StatusServiceUnavailable)
			c.SetBodyString("starting: migrations not applied yet\n")
			return
		}
		// A collector stays ready while the engine is down: its write-ahead
		// log takes the events meanwhile, which is what it is for, and a
		// balancer that dropped it would lose them. It needs the site list.
		if col := rt.collector.Load(); col != nil {
			if !col.Ready() {
				c.SetStatusCode(fasthttp.StatusServiceUnavailable)
				c.SetBodyString("starting: the list of sites is not loaded yet\n")
				return
			}
			c.SetBodyString("ready\n")
			return
		}
		pctx, cancel := context.WithTimeout(context.WithoutCancel(c), 2*time.Second)
		defer cancel()
		if err := rt.engine.Ping(pctx); err != nil {
			c.SetStatusCode(fasthttp.StatusServiceUnavailable)
			c.SetBodyString("engine not answering\n")
			return
		}
		c.SetBodyString("ready\n")
	case "/metrics":
		rt.metrics(c)
	default:
		c.Error("not found\n", fasthttp.StatusNotFound)
	}
}

type slogPrintf struct{ l *slog.Logger }

func (s slogPrintf) Printf(format string, args ...any) { s.l.Warn(fmt.Sprintf(format, args...)) }

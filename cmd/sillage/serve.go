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
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/collector"
	"github.com/sillage-analytics/sillage/imports"
	"github.com/sillage-analytics/sillage/internal/admin"
	"github.com/sillage-analytics/sillage/internal/clientip"
	"github.com/sillage-analytics/sillage/internal/httperr"
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
	p := &process{sf: &sf, log: log, out: out, begun: time.Now()}
	proxies, err := clientip.ParseProxies(sf.trustedProxies)
	if err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}
	p.proxies = proxies
	return runComponents(ctx, log, p.components(), p.wait)
}

// process is what serve, collect and query run: its parts, started in the
// order of components and stopped in reverse.
type process struct {
	sf      *serveFlags
	log     *slog.Logger
	out     io.Writer
	begun   time.Time
	proxies []netip.Prefix

	pprof    *http.Server
	eng      store.Engine
	ccfg     collector.Config
	reg      *prometheus.Registry
	rt       *router
	srv      *fasthttp.Server
	serveErr chan error
	stopHTTP func() error // once: the listener's stop and the drain share it
	acc      *accounts.Service
	col      *collector.Collector
	adminSrv *http.Server
	sock     string

	stopImports, stopMail func() error
	stopReports           func()
}

// components lists the process's parts in the order they start. The
// listener opens early, so health checks answer while migrations run and
// sessions are restored, and the router hands requests to each half once it
// exists; the last part, ready, drains HTTP first on the way down, so every
// event accepted is in the write-ahead log before the collector flushes it,
// and the log is flushed before the engine closes.
func (p *process) components() []component {
	sf := p.sf
	var c []component
	if sf.pprofListen != "" {
		c = append(c, component{"pprof", p.startPprof, p.stopPprof})
	}
	c = append(c, component{"engine", p.openEngine, p.closeEngine})
	if sf.collector {
		c = append(c, component{"geoip", p.openGeoIP, p.closeGeoIP})
	}
	c = append(c,
		component{"http", p.listen, func() error { return p.stopHTTP() }},
		component{"schema", func(ctx context.Context) error { return sf.schema(ctx, p.eng, p.log) }, nil},
		component{"accounts", p.openAccounts, nil},
	)
	if sf.collector {
		c = append(c, component{"collector", p.startCollector, p.stopCollector})
	}
	if sf.query {
		c = append(c,
			// Stopped before the engine closes: the running job gives up,
			// to resume at the next start.
			component{"imports", p.startImports, func() error { return p.stopImports() }},
			component{"query", p.startQuery, func() error { return p.stopMail() }},
			component{"reports", p.startReports, func() error { p.stopReports(); return nil }},
		)
	}
	if sf.embedded() {
		c = append(c, component{"admin socket", p.startAdmin, p.stopAdmin})
	}
	return append(c, component{"ready", p.ready, p.drain})
}

// wait returns on a signal, or when the HTTP server fails.
func (p *process) wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		p.log.Info("shutting down")
		return nil
	case err := <-p.serveErr:
		return fmt.Errorf("HTTP server: %w", err)
	}
}

func (p *process) startPprof(context.Context) error {
	// DefaultServeMux carries net/http/pprof's handlers.
	p.pprof = &http.Server{Addr: p.sf.pprofListen, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := p.pprof.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			p.log.Error("pprof listener", "error", err)
		}
	}()
	return nil
}

func (p *process) stopPprof() error { return p.pprof.Close() }

func (p *process) openEngine(ctx context.Context) (err error) {
	if p.eng, err = p.sf.open(ctx, p.log); err != nil {
		return err
	}
	p.log.Info("engine open", "kind", p.eng.Kind(), "took", time.Since(p.begun).Round(time.Millisecond).String())
	return nil
}

func (p *process) closeEngine() error { return p.eng.Close() }

func (p *process) openGeoIP(context.Context) (err error) {
	p.ccfg, err = p.sf.collectorFlags.config(p.log, p.sf.data, p.proxies)
	return err
}

func (p *process) closeGeoIP() error {
	p.ccfg.GeoIP.Close()
	return nil
}

// listen opens the port with a router that answers health checks and tells
// clients of the halves not built yet to retry.
func (p *process) listen(context.Context) error {
	ln, err := net.Listen("tcp", p.sf.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", p.sf.listen, err)
	}
	p.reg = prometheus.NewRegistry()
	p.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	p.ccfg.Registerer = p.reg
	p.rt = &router{engine: p.eng, collects: p.sf.collector, queries: p.sf.query, metrics: fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(p.reg, promhttp.HandlerOpts{}))}
	p.srv = newHTTPServer(p.rt, p.log)
	p.stopHTTP = sync.OnceValue(func() error {
		step := time.Now()
		shutCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := p.srv.ShutdownWithContext(shutCtx); err != nil {
			return fmt.Errorf("HTTP shutdown: %w", err)
		}
		p.log.Info("HTTP stopped", "took", time.Since(step).Round(time.Millisecond).String())
		return nil
	})
	p.serveErr = make(chan error, 1)
	go func() { p.serveErr <- p.srv.Serve(ln) }()
	p.log.Info("listening", "address", ln.Addr().String())
	return nil
}

func (p *process) openAccounts(ctx context.Context) error {
	p.acc = accounts.New(p.eng)
	p.acc.Cluster = p.sf.cluster
	return bootstrap(ctx, p.acc, *p.sf, p.out)
}

func (p *process) startCollector(ctx context.Context) (err error) {
	if p.col, err = collector.New(ctx, p.ccfg, p.eng, p.acc); err != nil {
		return err
	}
	p.rt.collector.Store(p.col)
	// Sites added here (dashboard, admin socket) count at once.
	p.acc.SitesChanged = p.col.SitesChanged
	return nil
}

// stopCollector inserts what the write-ahead log holds; HTTP is stopped
// by then, so nothing more comes in.
func (p *process) stopCollector() error {
	step := time.Now()
	flushCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.col.Close(flushCtx); err != nil {
		p.log.Error("collector stopped with events left in its write-ahead log", "error", err)
		return nil
	}
	p.log.Info("collector flushed", "took", time.Since(step).Round(time.Millisecond).String())
	return nil
}

// startImports runs imports in the background, one at a time; jobs a
// stopped server left resume here.
func (p *process) startImports(ctx context.Context) error {
	// The secret seals the refresh tokens of Google connections; the
	// query service reads the same one.
	secret, err := p.sf.loadSecret(p.log)
	if err != nil {
		return err
	}
	p.sf.imports = &imports.Manager{Engine: p.eng, Dir: filepath.Join(p.sf.data, "imports"), Log: p.log, Cluster: p.sf.cluster,
		GA4: p.sf.ga4Flags.config(), Secret: secret}
	p.stopImports = goUntilStopped(ctx, func(ctx context.Context) {
		if err := p.sf.imports.Run(ctx); err != nil {
			p.log.Error("imports", "error", err)
		}
	})
	return nil
}

// startQuery builds the query service and hands it to the router; its
// mail outbox retries failed deliveries until stopped.
func (p *process) startQuery(ctx context.Context) error {
	h, box, err := p.sf.queryHandler(p.eng, p.acc, p.proxies, p.reg, p.log)
	if err != nil {
		return err
	}
	p.rt.query.Store(&h)
	p.stopMail = goUntilStopped(ctx, box.Run)
	return nil
}

// startReports runs the scheduler of email reports and alerts.
func (p *process) startReports(ctx context.Context) error {
	p.stopReports = p.sf.runReports(ctx)
	return nil
}

// goUntilStopped runs f in a goroutine; stop cancels its context and
// waits for it to return.
func goUntilStopped(ctx context.Context, f func(context.Context)) (stop func() error) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); f(ctx) }()
	return func() error { cancel(); <-done; return nil }
}

// startAdmin serves the admin socket, through which the command line
// reaches the embedded engine this process holds.
func (p *process) startAdmin(context.Context) error {
	p.sock = admin.SocketPath(p.sf.data)
	al, err := admin.Listen(p.sock)
	if err != nil {
		return err
	}
	var ops admin.Ops = &localOps{p.acc}
	if p.sf.imports != nil {
		ops = &importOps{&localOps{p.acc}, p.sf.imports}
	}
	p.adminSrv = &http.Server{Handler: admin.Handler(ops, p.log), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := p.adminSrv.Serve(al); err != nil && !errors.Is(err, http.ErrServerClosed) {
			p.log.Error("admin socket", "error", err)
		}
	}()
	return nil
}

func (p *process) stopAdmin() error {
	shutCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := p.adminSrv.Shutdown(shutCtx)
	if rerr := os.Remove(p.sock); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && err == nil {
		err = rerr
	}
	return err
}

func (p *process) ready(context.Context) error {
	p.rt.ready.Store(true)
	p.log.Info("ready", "took", time.Since(p.begun).Round(time.Millisecond).String())
	return nil
}

// drain is the first stop: balancers see /readyz fail, then the requests
// in flight finish and the listener closes.
func (p *process) drain() error {
	p.rt.ready.Store(false)
	return p.stopHTTP()
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
	httperr.WriteFast(c, fasthttp.StatusServiceUnavailable, httperr.Body{Error: "starting, retry later"})
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

// maxRequestBytes bounds a request body before any handler reads it: an
// import's chunk (imports.MaxChunkBytes) and its form fit. Each route has
// its own, smaller bound; this one only keeps memory in check.
const maxRequestBytes = 1 << 20

// newHTTPServer is the one HTTP server of a process.
func newHTTPServer(rt *router, log *slog.Logger) *fasthttp.Server {
	return &fasthttp.Server{
		Handler:            rt.handle,
		ErrorHandler:       rt.readError,
		Name:               "sillage",
		ReadTimeout:        30 * time.Second,
		WriteTimeout:       30 * time.Second,
		IdleTimeout:        2 * time.Minute,
		MaxRequestBodySize: maxRequestBytes,
		Logger:             slogPrintf{log},
	}
}

// readError answers a request the server could not read, in the JSON every
// route answers: a body over maxRequestBytes is refused as each route
// refuses one over its own bound (413; the collector's names the field).
func (rt *router) readError(c *fasthttp.RequestCtx, err error) {
	var small *fasthttp.ErrSmallBuffer
	var netErr *net.OpError
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge) && collector.IsRoute(c.Path()):
		rt.collector.Load().ServeTooLarge(c, maxRequestBytes)
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		httperr.WriteFast(c, fasthttp.StatusRequestEntityTooLarge, httperr.Body{Error: fmt.Sprintf("request body over %d bytes", maxRequestBytes)})
	case errors.As(err, &small):
		httperr.WriteFast(c, fasthttp.StatusRequestHeaderFieldsTooLarge, httperr.Body{Error: "request headers too large"})
	case errors.As(err, &netErr) && netErr.Timeout():
		httperr.WriteFast(c, fasthttp.StatusRequestTimeout, httperr.Body{Error: "request timeout"})
	default:
		httperr.WriteFast(c, fasthttp.StatusBadRequest, httperr.Body{Error: "malformed HTTP request"})
	}
}

type slogPrintf struct{ l *slog.Logger }

func (s slogPrintf) Printf(format string, args ...any) { s.l.Warn(fmt.Sprintf(format, args...)) }

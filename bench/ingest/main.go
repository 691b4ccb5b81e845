// Command ingest is the collector's load benchmark: it starts the real
// binary on 127.0.0.1 with the embedded engine, sends realistic events from
// many connections for a fixed time, and reports events/s, latency, peak
// memory, freshness and the count in the store, beside a do-nothing
// fasthttp server measured the same way. It only ever targets 127.0.0.1 and
// stops by itself.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/embedded"
)

func main() {
	bin := flag.String("bin", "bin/sillage", "sillage binary")
	duration := flag.Duration("duration", 30*time.Second, "load duration per target")
	conns := flag.Int("conns", 50, "concurrent connections")
	walAck := flag.String("wal-ack", "fsync", "the collector's --wal-ack: fsync or write")
	gen := flag.String("load", "wrk", "load generator: wrk (Debian package wrk, 2 threads) or go (a fasthttp client in this process)")
	flood := flag.String("flood", "", "instead of realistic traffic, a flood of new sessions: ua (a new user agent each, one address), ipv6 (a new IPv6 /64 each) or ipv6-64 (a new address each in one /64)")
	serveArgs := flag.String("serve-args", "", "more flags for sillage serve, separated by spaces (e.g. \"--session-max-bytes 67108864\")")
	baselineOnly := flag.Bool("baseline-server", false, "internal: run the do-nothing server")
	addrFlag := flag.String("addr", "", "internal: address for the do-nothing server")
	flag.Parse()
	if *baselineOnly {
		runBaseline(*addrFlag)
		return
	}
	if *duration > 10*time.Minute {
		log.Fatal("duration is capped at 10 minutes")
	}
	if *flood != "" {
		runFlood(*bin, *flood, *walAck, *conns, *duration, strings.Fields(*serveArgs))
		return
	}

	fmt.Printf("machine: %d CPUs; load: %d connections for %s per target from %s on the same machine\n\n", numCPU(), *conns, *duration, *gen)

	// 1. The do-nothing fasthttp handler, as its own process.
	baseAddr := freeAddr()
	self, _ := os.Executable()
	base := exec.Command(self, "-baseline-server", "-addr", baseAddr)
	if err := base.Start(); err != nil {
		log.Fatal(err)
	}
	waitHTTP(baseAddr, "/")
	baseCPU := startCPU(base.Process.Pid)
	b := run(*gen, baseAddr, *conns, *duration, nil)
	baseCPU.stop(b)
	baseRSS := peakRSS(base.Process.Pid)
	base.Process.Kill()
	base.Wait()
	report("do-nothing fasthttp (answers 202)", b, baseRSS)
	baseCPU.report()

	// 2. The real collector, WAL on, embedded engine in the same process.
	data, err := os.MkdirTemp("", "sillage-bench-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(data)
	addr := freeAddr()
	srv := exec.Command(*bin, "serve", "--listen", addr, "--data", data, "--bootstrap-site", "bench.example.fr",
		"--trusted-proxies", "127.0.0.1/32", "--log-level", "warn", "--wal-ack", *walAck)
	srv.Stdout, srv.Stderr = os.Stderr, os.Stderr
	if err := srv.Start(); err != nil {
		log.Fatal(err)
	}
	waitHTTP(addr, "/readyz")
	fresh := &freshness{addr: addr}
	cpu := startCPU(srv.Process.Pid)
	r := run(*gen, addr, *conns, *duration, fresh)
	cpu.stop(r)
	rss := peakRSS(srv.Process.Pid)
	// wrk stops with up to one request per connection in flight: the
	// collector may still accept those. Its own count is what the store
	// must hold.
	time.Sleep(500 * time.Millisecond)
	serverAccepted := uint64(metric(addr, "sillage_events_accepted_total"))
	srv.Process.Signal(syscall.SIGTERM)
	if err := srv.Wait(); err != nil {
		log.Fatalf("serve did not stop cleanly: %v", err)
	}
	report("sillage collector (WAL --wal-ack "+*walAck+", embedded engine)", r, rss)
	cpu.report()
	fmt.Printf("  ratio to do-nothing fasthttp: %.2f\n", r.rate()/b.rate())
	fmt.Printf("  freshness (accepted → stored, sampled every 2 s): max %s, median %s over %d samples\n",
		fresh.max().Round(time.Millisecond), fresh.median().Round(time.Millisecond), len(fresh.samples))

	eng, err := embedded.Open(context.Background(), embedded.Config{Dir: data, LibPath: os.Getenv("SILLAGE_CHDB_LIB")})
	if err != nil {
		log.Fatal(err)
	}
	var stored uint64
	if err := store.QueryRow(context.Background(), eng, "SELECT count() FROM events", nil, &stored); err != nil {
		log.Fatal(err)
	}
	var hits, misses float64 = r.uaHits, r.uaMisses
	eng.Close()
	inFlight := serverAccepted >= r.accepted && serverAccepted <= r.accepted+uint64(*conns)
	fmt.Printf("  events answered 202 (counted by the load generator): %d; accepted by the collector: %d (%d in flight when the load stopped); in the store after shutdown: %d (%s)\n",
		r.accepted, serverAccepted, serverAccepted-min(serverAccepted, r.accepted), stored,
		map[bool]string{true: "equal", false: "MISMATCH"}[stored == serverAccepted && inFlight])
	if hits+misses > 0 {
		fmt.Printf("  user-agent cache hit rate: %.2f%% (%d misses)\n", 100*hits/(hits+misses), int(misses))
	}
	if stored != serverAccepted || !inFlight {
		os.Exit(1)
	}
}

func runBaseline(addr string) {
	h := func(ctx *fasthttp.RequestCtx) {
		ctx.SetStatusCode(fasthttp.StatusAccepted)
		ctx.SetBodyString("ok")
	}
	if err := fasthttp.ListenAndServe(addr, h); err != nil {
		log.Fatal(err)
	}
}

type result struct {
	elapsed          time.Duration
	accepted, other  uint64
	errors           uint64
	p50, p99, max    time.Duration
	generatorCPU     time.Duration
	uaHits, uaMisses float64
}

func (r result) rate() float64 { return float64(r.accepted) / r.elapsed.Seconds() }

// run sends load with the chosen generator.
func run(gen, addr string, conns int, d time.Duration, fresh *freshness) result {
	var r result
	switch gen {
	case "go":
		r = load(addr, conns, d, fresh)
	case "wrk":
		r = loadWrk(addr, conns, d, fresh)
	default:
		log.Fatalf("--load %q: want wrk or go", gen)
	}
	if fresh != nil {
		r.uaHits, r.uaMisses = metric(addr, "sillage_useragent_cache_hits_total"), metric(addr, "sillage_useragent_cache_misses_total")
	}
	return r
}

func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(i, 0)]
}

func report(name string, r result, rss int64) {
	fmt.Printf("%s\n  %.0f events/s (%d in %s), non-202: %d, errors: %d\n  latency p50 %s, p99 %s, max %s\n  peak RSS %.0f MiB\n",
		name, r.rate(), r.accepted, r.elapsed.Round(time.Millisecond), r.other, r.errors,
		r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), r.max.Round(time.Microsecond),
		float64(rss)/(1<<20))
}

// load sends events from conns connections until d has passed.
func load(addr string, conns int, d time.Duration, fresh *freshness) result {
	client := &fasthttp.HostClient{Addr: addr, MaxConns: conns, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	var accepted, other, errs atomic.Uint64
	lats := make([][]time.Duration, conns)
	deadline := time.Now().Add(d)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	if fresh != nil {
		go fresh.run(ctx, func() float64 { return float64(accepted.Load()) })
	}
	cpu0 := selfCPU()
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			g := newGenerator(uint64(i))
			req := fasthttp.AcquireRequest()
			resp := fasthttp.AcquireResponse()
			req.SetRequestURI("http://" + addr + "/api/event")
			req.Header.SetMethod("POST")
			req.Header.SetContentType("text/plain")
			for time.Now().Before(deadline) {
				body, ua, ip := g.next()
				req.SetBodyString(body)
				req.Header.SetUserAgent(ua)
				req.Header.Set("X-Forwarded-For", ip)
				t0 := time.Now()
				err := client.Do(req, resp)
				lats[i] = append(lats[i], time.Since(t0))
				switch {
				case err != nil:
					errs.Add(1)
				case resp.StatusCode() == fasthttp.StatusAccepted && len(resp.Header.Peek("X-Sillage-Dropped")) == 0:
					accepted.Add(1)
				default:
					other.Add(1)
				}
			}
		}(i)
	}
	wg.Wait()
	r := result{elapsed: time.Since(start), accepted: accepted.Load(), other: other.Load(), errors: errs.Load(), generatorCPU: selfCPU() - cpu0}
	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	slices.Sort(all)
	r.p50, r.p99, r.max = pct(all, 0.50), pct(all, 0.99), pct(all, 1)
	return r
}

// freshness samples how long an accepted event takes to reach the store:
// it notes the accepted count, then waits for the stored count to pass it.
type freshness struct {
	addr    string
	samples []time.Duration
}

func (f *freshness) run(ctx context.Context, accepted func() float64) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(2 * time.Second):
		}
		target := accepted()
		t0 := time.Now()
		for ctx.Err() == nil && metric(f.addr, "sillage_events_stored_total") < target {
			time.Sleep(20 * time.Millisecond)
		}
		if ctx.Err() == nil {
			f.samples = append(f.samples, time.Since(t0))
		}
	}
}

func (f *freshness) max() time.Duration {
	m := time.Duration(0)
	for _, s := range f.samples {
		m = max(m, s)
	}
	return m
}

func (f *freshness) median() time.Duration {
	if len(f.samples) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), f.samples...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func metric(addr, name string) float64 {
	status, body, err := fasthttp.GetTimeout(nil, "http://"+addr+"/metrics", 5*time.Second)
	if err != nil || status != 200 {
		return 0
	}
	m := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindSubmatch(body)
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

func peakRSS(pid int) int64 {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// cpuUse measures the CPU time of the server process during a load, and
// reports it beside the load generator's (this process, or wrk) per
// request answered 202: on a shared 2-core machine it says where the
// cores went.
type cpuUse struct {
	pid             int
	server0, server time.Duration
	r               result
}

func startCPU(pid int) *cpuUse {
	return &cpuUse{pid: pid, server0: procCPU(pid)}
}

func (c *cpuUse) stop(r result) {
	c.server = procCPU(c.pid) - c.server0
	c.r = r
}

func (c *cpuUse) report() {
	if c.r.accepted == 0 || c.r.elapsed <= 0 {
		return
	}
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 / float64(c.r.accepted) }
	cores := func(d time.Duration) float64 { return d.Seconds() / c.r.elapsed.Seconds() }
	fmt.Printf("  CPU per event: server %.1f µs (%.2f cores), load generator %.1f µs (%.2f cores)\n",
		per(c.server), cores(c.server), per(c.r.generatorCPU), cores(c.r.generatorCPU))
}

// procCPU is a process's user + system time from /proc (clock ticks of
// 10 ms on Linux).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitHTTP(addr, path string) {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if status, _, err := fasthttp.GetTimeout(nil, "http://"+addr+path, time.Second); err == nil && status < 300 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	log.Fatalf("%s%s not ready within 60 s", addr, path)
}

func numCPU() int {
	b, _ := os.ReadFile("/proc/cpuinfo")
	return strings.Count(string(b), "processor\t:")
}

// generator makes realistic traffic: a weighted mix of real browsers,
// Zipf-distributed pages, sources and campaigns, and visitors who come back
// for a few pages each.
type generator struct {
	r     *rand.Rand
	pages *rand.Zipf
	refs  *rand.Zipf
	ip    string
	ua    string
	left  int
}

func newGenerator(seed uint64) *generator {
	r := rand.New(rand.NewPCG(seed, 42))
	return &generator{r: r, pages: rand.NewZipf(r, 1.2, 1, 999), refs: rand.NewZipf(r, 1.3, 1, uint64(len(referrers)-1))}
}

func (g *generator) next() (body, ua, ip string) {
	if g.left == 0 { // a new visitor: 1-10 pageviews
		g.left = 1 + g.r.IntN(10)
		g.ip = fmt.Sprintf("%d.%d.%d.%d", 81+g.r.IntN(10), g.r.IntN(256), g.r.IntN(256), 1+g.r.IntN(254))
		g.ua = pickUA(g.r)
	}
	g.left--
	page := fmt.Sprintf("/produits/%d", g.pages.Uint64())
	ref := referrers[g.refs.Uint64()]
	query := ""
	if g.r.IntN(10) == 0 {
		c := campaigns[g.r.IntN(len(campaigns))]
		query = "?utm_source=" + c[0] + "&utm_medium=" + c[1] + "&utm_campaign=" + c[2]
	}
	name := "pageview"
	if g.r.IntN(20) == 0 {
		name = "Signup"
	}
	body = `{"n":"` + name + `","u":"https://bench.example.fr` + page + query + `","d":"bench.example.fr","r":"` + ref + `"}`
	return body, g.ua, g.ip
}

var referrers = []string{
	"", "https://www.google.fr/", "https://www.google.com/", "https://duckduckgo.com/", "https://www.bing.com/search?q=x",
	"https://l.facebook.com/", "https://www.instagram.com/", "https://t.co/abc", "https://www.qwant.com/", "https://www.linkedin.com/",
	"https://www.ecosia.org/", "https://news.ycombinator.com/item?id=1", "https://www.reddit.com/r/france/", "https://mail.google.com/",
	"https://www.pinterest.fr/", "https://blog.example.org/article", "https://www.lemonde.fr/", "https://chatgpt.com/",
}

var campaigns = [][3]string{
	{"newsletter", "email", "noel"}, {"facebook", "cpc", "soldes"}, {"google", "cpc", "marque"}, {"instagram", "social", "atelier"},
}

var uaMix = []struct {
	weight int
	ua     string
}{
	{30, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"},
	{8, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"},
	{20, "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"},
	{6, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1"},
	{12, "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"},
	{8, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15"},
	{6, "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"},
	{5, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0"},
	{4, "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36"},
	{3, "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1"},
	{2, "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"},
	{2, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"},
	{2, "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1"},
	{1, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0"},
	{1, "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"},
}

func pickUA(r *rand.Rand) string {
	total := 0
	for _, u := range uaMix {
		total += u.weight
	}
	n := r.IntN(total)
	for _, u := range uaMix {
		if n < u.weight {
			// A long tail of minor builds, as real traffic has.
			if r.IntN(20) == 0 {
				return u.ua + " build/" + strconv.Itoa(r.IntN(2000))
			}
			return u.ua
		}
		n -= u.weight
	}
	return uaMix[0].ua
}

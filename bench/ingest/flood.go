package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"log"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
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

// Real visitors sent beside a flood: browsing ones make a pageview every
// 3 s for the whole run; returning ones one pageview at the start and one
// after a tenth, two tenths … of the run, so their session stays of a
// single event until then.
const (
	browsingVisitors  = 10
	returningVisitors = 10
)

// runFlood starts the real binary and floods it for d from conns
// connections, each event a new session: mode "ua" a new user agent each
// from 127.0.0.1 (no X-Forwarded-For), "ipv6" a new IPv6 /64 each,
// "ipv6-64" a new address each within one /64. Real visitors from their own
// addresses send events meanwhile; the bench reports peak RSS and whether
// each real visitor's events are in one session.
func runFlood(bin, mode, walAck string, conns int, d time.Duration, serveArgs []string) {
	if mode != "ua" && mode != "ipv6" && mode != "ipv6-64" {
		log.Fatalf("--flood %q: want ua, ipv6 or ipv6-64", mode)
	}
	fmt.Printf("machine: %d CPUs; flood %q from %d connections for %s, %d browsing and %d returning visitors beside it\n\n",
		numCPU(), mode, conns, d, browsingVisitors, returningVisitors)
	data, err := os.MkdirTemp("", "sillage-flood-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(data)
	addr := freeAddr()
	args := append([]string{"serve", "--listen", addr, "--data", data, "--bootstrap-site", "bench.example.fr",
		"--trusted-proxies", "127.0.0.1/32", "--log-level", "warn", "--wal-ack", walAck}, serveArgs...)
	srv := exec.Command(bin, args...)
	srv.Stdout, srv.Stderr = os.Stderr, os.Stderr
	if err := srv.Start(); err != nil {
		log.Fatal(err)
	}
	defer srv.Process.Kill()
	waitHTTP(addr, "/readyz")
	idleRSS := rss(srv.Process.Pid, "VmRSS:")

	client := &fasthttp.HostClient{Addr: addr, MaxConns: conns + browsingVisitors + returningVisitors,
		ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var sent, accepted, other, errs, seq atomic.Uint64
	var realSent, realFailed atomic.Uint64
	post := func(body, ua, xff string) (int, error) {
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		req.SetRequestURI("http://" + addr + "/api/event")
		req.Header.SetMethod("POST")
		req.Header.SetContentType("text/plain")
		req.Header.SetUserAgent(ua)
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		req.SetBodyString(body)
		if err := client.Do(req, resp); err != nil {
			return 0, err
		}
		if len(resp.Header.Peek("X-Sillage-Dropped")) != 0 {
			return -1, nil
		}
		return resp.StatusCode(), nil
	}

	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), 7))
			for ctx.Err() == nil {
				n := seq.Add(1)
				ua, xff := uaMix[0].ua, ""
				switch mode {
				case "ua":
					ua = fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.%d.%d Safari/537.36", n>>16, n&0xffff)
				case "ipv6":
					xff = ipv6(0x2a01_0db8_0000_0000|r.Uint64()&0xffff_ffff, r.Uint64())
				case "ipv6-64":
					xff = ipv6(0x2a01_0db8_0000_0001, r.Uint64())
				}
				body := fmt.Sprintf(`{"n":"pageview","u":"https://bench.example.fr/promo?utm_campaign=c%d","d":"bench.example.fr","r":"https://spam-%d.example.net/%s"}`,
					n, n, strings.Repeat("x", 100))
				sent.Add(1)
				switch code, err := post(body, ua, xff); {
				case err != nil:
					errs.Add(1)
				case code == fasthttp.StatusAccepted:
					accepted.Add(1)
				default:
					other.Add(1)
				}
			}
		}(i)
	}
	realEvent := func(v, k int) {
		body := fmt.Sprintf(`{"n":"pageview","u":"https://bench.example.fr/real/%d/%d","d":"bench.example.fr","r":null}`, v, k)
		realSent.Add(1)
		if code, err := post(body, uaMix[v%len(uaMix)].ua, fmt.Sprintf("81.65.%d.%d", v/200, 1+v%200)); err != nil || code != fasthttp.StatusAccepted {
			realFailed.Add(1)
		}
	}
	for v := 0; v < browsingVisitors; v++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; ; k++ {
				realEvent(v, k)
				select {
				case <-ctx.Done():
					return
				case <-time.After(3 * time.Second):
				}
			}
		}()
	}
	gap := func(v int) time.Duration {
		return time.Duration(v-browsingVisitors+1) * (d - 2*time.Second) / returningVisitors
	}
	for v := browsingVisitors; v < browsingVisitors+returningVisitors; v++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			realEvent(v, 0)
			select {
			case <-ctx.Done():
			case <-time.After(gap(v)):
			}
			realEvent(v, 1)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	peak := peakRSS(srv.Process.Pid)
	endRSS := rss(srv.Process.Pid, "VmRSS:")
	live, liveBytes := metric(addr, "sillage_live_sessions"), metric(addr, "sillage_live_session_bytes")
	evBudget := labelled(addr, `sillage_sessions_evicted_total{reason="budget"}`)
	evNet := labelled(addr, `sillage_sessions_evicted_total{reason="network_cap"}`)
	srv.Process.Signal(syscall.SIGTERM)
	if err := srv.Wait(); err != nil {
		log.Fatalf("serve did not stop cleanly: %v", err)
	}

	fmt.Printf("flood %q: %d events sent in %s (%.0f/s): %d accepted, %d other answers, %d errors\n",
		mode, sent.Load(), elapsed.Round(time.Millisecond), float64(sent.Load())/elapsed.Seconds(), accepted.Load(), other.Load(), errs.Load())
	fmt.Printf("  RSS: %.0f MiB when ready, peak %.0f MiB, %.0f MiB at the end\n", mib(idleRSS), mib(peak), mib(endRSS))
	fmt.Printf("  live sessions at the end: %.0f (%.1f MiB charged); evicted: %.0f for the budget, %.0f for the network cap\n",
		live, liveBytes/(1<<20), evBudget, evNet)

	eng, err := embedded.Open(context.Background(), embedded.Config{Dir: data, LibPath: os.Getenv("SILLAGE_CHDB_LIB")})
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close()
	rows, err := eng.Query(context.Background(), `SELECT toUInt64(splitByChar('/', pathname)[3]) AS v, uniqExact(session_id), count()
		FROM events WHERE startsWith(pathname, '/real/') GROUP BY v ORDER BY v`, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer rows.Close()
	whole := [2]int{}
	var stored uint64
	var keptGaps, splitGaps []string
	for rows.Next() {
		var v, sessions, events uint64
		if err := rows.Scan(&v, &sessions, &events); err != nil {
			log.Fatal(err)
		}
		stored += events
		if sessions == 1 {
			whole[min(v/browsingVisitors, 1)]++
		}
		if v >= browsingVisitors {
			g := gap(int(v)).Round(time.Second).String()
			if sessions == 1 {
				keptGaps = append(keptGaps, g)
			} else {
				splitGaps = append(splitGaps, g)
			}
		}
	}
	if err := rows.Err(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("  real visitors: %d events sent, %d not accepted, %d stored; in one session: %d of %d browsing, %d of %d returning\n",
		realSent.Load(), realFailed.Load(), stored, whole[0], browsingVisitors, whole[1], returningVisitors)
	fmt.Printf("  returning visitors' second pageview after %v: one session; after %v: two\n", keptGaps, splitGaps)
	var total uint64
	if err := store.QueryRow(context.Background(), eng, "SELECT count() FROM events", nil, &total); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("  events in the store: %d (accepted: %d)\n", total, accepted.Load()+realSent.Load()-realFailed.Load())
}

func ipv6(hi, lo uint64) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], hi)
	binary.BigEndian.PutUint64(b[8:], lo)
	return netip.AddrFrom16(b).String()
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// labelled reads a metric with labels, written as /metrics prints it.
func labelled(addr, series string) float64 {
	status, body, err := fasthttp.GetTimeout(nil, "http://"+addr+"/metrics", 5*time.Second)
	if err != nil || status != 200 {
		return 0
	}
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindSubmatch(body)
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

func rss(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field) {
			f := strings.Fields(line)
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// Command fairness measures what one tenant's heavy stats queries do to
// another tenant: it fills site A with demo traffic, serves the query
// service on 127.0.0.1, loops heavy but valid Stats API queries through a
// public shared link of A, and meanwhile times another tenant's
// GET /api/auth/me, POST /api/auth/login and a small stats query of their
// own site. It stops by itself after -duration and prints percentiles.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/dashboard"
	"github.com/sillage-analytics/sillage/internal/demo"
	"github.com/sillage-analytics/sillage/migrations"
	"github.com/sillage-analytics/sillage/query"
	"github.com/sillage-analytics/sillage/query/api"
	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/embedded"
)

const password = "a long enough bench password"

func main() {
	data := flag.String("data", "", "data folder (kept between runs; default: a temporary one)")
	events := flag.Uint64("events", 1_000_000, "events of the attacked site A")
	heavy := flag.Int("heavy", 4, "loops of heavy queries through A's shared link")
	filters := flag.Int("filters", 60, "has_not_done regex filters per heavy query")
	duration := flag.Duration("duration", 60*time.Second, "how long to measure")
	flag.Parse()
	ctx := context.Background()
	dir := *data
	if dir == "" {
		d, err := os.MkdirTemp("", "sillage-bench-fairness-")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(d)
		dir = d
	}
	eng, err := embedded.Open(ctx, engineConfig(dir))
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close()
	m, err := migrations.New(ctx, eng, migrations.Target{}, nil)
	if err != nil {
		log.Fatal(err)
	}
	if err := m.Up(); err != nil {
		log.Fatal(err)
	}
	acc := accounts.New(eng)
	siteA, linkA := setupA(ctx, acc, eng, *events)
	userB := "owner@tenant-b.example.fr"
	if _, err := acc.UserByEmail(ctx, userB); err != nil {
		u, err := acc.AddUser(ctx, userB, password)
		if err != nil {
			log.Fatal(err)
		}
		if _, err := acc.AddSiteWithOwner(ctx, u.ID, "tenant-b.example.fr", "Europe/Paris"); err != nil {
			log.Fatal(err)
		}
	}

	a := api.New(api.Options{Accounts: acc, Engine: eng, Secret: bytes.Repeat([]byte("s"), 32)})
	dist, err := fs.Sub(dashboard.Dist, "dist")
	if err != nil {
		log.Fatal(err)
	}
	srv, err := query.New(queryOptions(query.Options{Engine: eng, Accounts: acc, API: a, Dashboard: dist}))
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	hs := &http.Server{Handler: srv.Handler()}
	go hs.Serve(ln)
	defer hs.Close()
	base := "http://" + ln.Addr().String()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

	session := login(client, base, userB)
	heavyQ := heavyQuery(siteA, *filters)
	// One heavy query alone, for scale.
	start := time.Now()
	status, body := send(client, "POST", base+"/api/v2/query", heavyQ, map[string]string{api.SharedLinkHeader: linkA})
	fmt.Printf("site A: %d events; one heavy query (%d has_not_done regex filters) alone: %s, status %d\n",
		*events, *filters, time.Since(start).Round(time.Millisecond), status)
	if status != http.StatusOK {
		log.Fatalf("heavy query: %d %s", status, body)
	}

	runCtx, cancel := context.WithTimeout(ctx, *duration)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	heavyStatus := map[int]int{}
	var heavyOK []time.Duration
	for range *heavy {
		wg.Go(func() {
			for runCtx.Err() == nil {
				t0 := time.Now()
				st, _ := send(client, "POST", base+"/api/v2/query", heavyQ, map[string]string{api.SharedLinkHeader: linkA})
				d := time.Since(t0)
				mu.Lock()
				heavyStatus[st]++
				if st == http.StatusOK {
					heavyOK = append(heavyOK, d)
				}
				mu.Unlock()
				if st != http.StatusOK {
					// An impatient client: it ignores Retry-After, and only
					// pauses so as not to spin on the refusals.
					time.Sleep(50 * time.Millisecond)
				}
			}
		})
	}
	// Let the heavy loops fill the engine before measuring.
	time.Sleep(2 * time.Second)
	probe := func(name string, every time.Duration, do func() int) *series {
		s := &series{name: name, statuses: map[int]int{}}
		wg.Go(func() {
			for runCtx.Err() == nil {
				t0 := time.Now()
				st := do()
				s.add(time.Since(t0), st)
				select {
				case <-runCtx.Done():
				case <-time.After(every):
				}
			}
		})
		return s
	}
	cookie := map[string]string{"Cookie": api.SessionCookie + "=" + session}
	me := probe("B: GET /api/auth/me", 100*time.Millisecond, func() int {
		st, _ := send(client, "GET", base+"/api/auth/me", "", cookie)
		return st
	})
	logins := probe("B: POST /api/auth/login", 500*time.Millisecond, func() int {
		st, _ := send(client, "POST", base+"/api/auth/login", fmt.Sprintf(`{"email":%q,"password":%q}`, userB, password),
			map[string]string{"Content-Type": "application/json"})
		return st
	})
	statsB := probe("B: top stats of own site", 500*time.Millisecond, func() int {
		st, _ := send(client, "POST", base+"/api/v2/query", `{"site_id":"tenant-b.example.fr","metrics":["visitors","pageviews"],"date_range":"30d"}`, cookie)
		return st
	})
	wg.Wait()
	fmt.Printf("%d heavy loops through A's shared link for %s (after 2 s of warm-up):\n", *heavy, *duration-2*time.Second)
	for _, s := range []*series{me, logins, statsB} {
		s.print()
	}
	slices.Sort(heavyOK)
	fmt.Printf("  heavy queries: statuses %v", heavyStatus)
	if len(heavyOK) > 0 {
		fmt.Printf(", answered in p50 %s, max %s", heavyOK[len(heavyOK)/2].Round(time.Millisecond), heavyOK[len(heavyOK)-1].Round(time.Millisecond))
	}
	fmt.Println()
}

// setupA creates site A with its traffic and a shared link, or finds them
// in a kept data folder.
func setupA(ctx context.Context, acc *accounts.Service, eng store.Engine, events uint64) (domain, slug string) {
	domain = "tenant-a.example.fr"
	site, err := acc.SiteByDomain(ctx, domain)
	if err != nil {
		u, err := acc.AddUser(ctx, "owner@tenant-a.example.fr", password)
		if err != nil {
			log.Fatal(err)
		}
		if site, err = acc.AddSiteWithOwner(ctx, u.ID, domain, "Europe/Paris"); err != nil {
			log.Fatal(err)
		}
	}
	var have uint64
	if err := store.QueryRow(ctx, eng, "SELECT count() FROM events WHERE site_id = {s:UInt32}", store.Params{"s": site.ID}, &have); err != nil {
		log.Fatal(err)
	}
	if have < events*9/10 {
		start := time.Now()
		if _, err := demo.Generate(ctx, eng, demo.Options{SiteID: site.ID, Hostname: domain, Events: events - have, Days: 30, Seed: 11}); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("generated %d events in %s\n", events-have, time.Since(start).Round(time.Millisecond))
	}
	links, err := acc.SharedLinks(ctx, site.ID)
	if err != nil {
		log.Fatal(err)
	}
	if len(links) > 0 {
		return domain, links[0].Slug
	}
	l, err := acc.AddSharedLink(ctx, site.ID, "public", "")
	if err != nil {
		log.Fatal(err)
	}
	return domain, l.Slug
}

// heavyQuery is valid and costly: visitors by page over 30 days, keeping
// only the visitors who did none of n page patterns (regexes).
func heavyQuery(domain string, n int) string {
	fs := make([]string, n)
	for i := range fs {
		fs[i] = fmt.Sprintf(`["has_not_done",["matches","event:page",["^/(produits|blog|aide)/[a-z-]*%d.*(x|y|z)+$"]]]`, i)
	}
	return fmt.Sprintf(`{"site_id":%q,"metrics":["visitors","pageviews","bounce_rate"],"date_range":"30d","dimensions":["event:page"],"filters":[%s]}`,
		domain, strings.Join(fs, ","))
}

func login(c *http.Client, base, email string) string {
	req, _ := http.NewRequest("POST", base+"/api/auth/login", strings.NewReader(fmt.Sprintf(`{"email":%q,"password":%q}`, email, password)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	for _, ck := range resp.Cookies() {
		if ck.Name == api.SessionCookie {
			return ck.Value
		}
	}
	log.Fatalf("login of %s: %d, no session cookie", email, resp.StatusCode)
	return ""
}

func send(c *http.Client, method, url, body string, headers map[string]string) (int, []byte) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		log.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

type series struct {
	name     string
	mu       sync.Mutex
	times    []time.Duration
	statuses map[int]int
}

func (s *series) add(d time.Duration, status int) {
	s.mu.Lock()
	s.times = append(s.times, d)
	s.statuses[status]++
	s.mu.Unlock()
}

func (s *series) print() {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := slices.Clone(s.times)
	slices.Sort(t)
	if len(t) == 0 {
		fmt.Printf("  %-28s no answer\n", s.name)
		return
	}
	p := func(q float64) string {
		return t[min(len(t)-1, int(q*float64(len(t))))].Round(time.Millisecond).String()
	}
	st, _ := json.Marshal(s.statuses)
	fmt.Printf("  %-28s n %4d   p50 %8s   p99 %8s   max %8s   statuses %s\n", s.name, len(t), p(0.5), p(0.99), p(1), st)
}

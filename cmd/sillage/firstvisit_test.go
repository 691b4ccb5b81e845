package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// A site added in the dashboard, or with `sillage site add`, counts the
// events sent the moment after: 8 clients at once, none dropped as an
// unknown domain, and every one in the stats.
func TestFirstVisitCounts(t *testing.T) {
	data := t.TempDir()
	addr, _ := startServe(t, "--data", data, "--bootstrap-user", "ops@example.fr")
	cli := func(stdin string, args ...string) result {
		return runCLI(t, nil, stdin, append(args, "--data", data)...)
	}
	wantCLI(t, "user add", cli("premier visiteur 1\n", "user", "add", "--email", "op@example.fr", "--password-stdin", "--operator"),
		true, "op@example.fr")
	op, ans := loginAnswering(t, addr, "op@example.fr", "premier visiteur 1")

	const clients, each = 8, 4
	for _, tt := range []struct {
		how, domain string
		add         func(domain string)
	}{
		{"dashboard", "tout-neuf.fr", func(d string) {
			if s := op.call("POST", "/api/sites", ans.CSRFToken, map[string]string{"domain": d, "timezone": "Europe/Paris"}, nil); s != 201 {
				t.Fatalf("POST /api/sites: %d", s)
			}
		}},
		{"command line", "en-ligne.fr", func(d string) {
			wantCLI(t, "site add", cli("", "site", "add", d, "--owner", "op@example.fr"), true, d)
		}},
	} {
		t.Run(tt.how, func(t *testing.T) {
			tt.add(tt.domain)
			var wg sync.WaitGroup
			errs := make(chan string, clients*each)
			for c := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					client := &http.Client{Timeout: 10 * time.Second}
					for i := range each {
						body := fmt.Sprintf(`{"n":"pageview","u":"https://%s/p/%d/%d","d":"%s"}`, tt.domain, c, i, tt.domain)
						req, _ := http.NewRequest("POST", "http://"+addr+"/api/event", strings.NewReader(body))
						req.Header.Set("User-Agent", browserUA)
						req.Header.Set("X-Forwarded-For", fmt.Sprintf("203.0.113.%d", c+1))
						resp, err := client.Do(req)
						if err != nil {
							errs <- err.Error()
							continue
						}
						resp.Body.Close()
						if resp.StatusCode != 202 || resp.Header.Get("X-Sillage-Dropped") != "" {
							errs <- fmt.Sprintf("client %d event %d: %d dropped=%q", c, i, resp.StatusCode, resp.Header.Get("X-Sillage-Dropped"))
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			var lost []string
			for e := range errs {
				lost = append(lost, e)
			}
			if len(lost) > 0 {
				t.Fatalf("%d of %d first events not counted:\n%s", len(lost), clients*each, strings.Join(lost, "\n"))
			}
			r := cli("", "apikey", "create", "--site", tt.domain, "--email", "op@example.fr")
			wantCLI(t, "apikey create", r, true, "sk_")
			key := strings.TrimSpace(r.stdout)
			q := fmt.Sprintf(`{"site_id":%q,"metrics":["pageviews"],"date_range":"day"}`, tt.domain)
			deadline := time.Now().Add(30 * time.Second)
			for {
				got := statsQuery(t, addr, key, q)
				if got[0] == clients*each {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("pageviews %v, want %d", got[0], clients*each)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}

package main

import (
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage/internal/proctest"
)

// TestNoEventIs404AtStart sends events from the moment the port opens
// until one is accepted: while migrations run and live sessions are
// restored, the collector's routes answer 503 with Retry-After (a client
// retries that), never 404 (which it takes as final).
func TestNoEventIs404AtStart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the binary on a fresh data folder")
	}
	addr := proctest.FreePort(t)
	cmd := exec.Command(binary, "serve", "--listen", addr, "--data", t.TempDir(),
		"--bootstrap-site", "start.example.fr", "--log-level", "warn")
	cmd.Env = proctest.CleanEnv()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})

	client := &http.Client{Timeout: 5 * time.Second}
	counts := map[int]int{}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if time.Now().After(deadline) {
			t.Fatalf("no event accepted within 60 s (answers so far: %v)", counts)
		}
		req, _ := http.NewRequest("POST", "http://"+addr+"/api/event",
			strings.NewReader(`{"n":"pageview","u":"https://start.example.fr/","d":"start.example.fr"}`))
		req.Header.Set("User-Agent", browserUA)
		resp, err := client.Do(req)
		if err != nil { // the port is not open yet
			time.Sleep(2 * time.Millisecond)
			continue
		}
		resp.Body.Close()
		counts[resp.StatusCode]++
		switch resp.StatusCode {
		case http.StatusAccepted:
			if d := resp.Header.Get("X-Sillage-Dropped"); d != "" {
				t.Fatalf("event dropped at start (%s): answers so far %v", d, counts)
			}
			t.Logf("answers until the first 202: %v", counts)
			checkScript(t, client, addr)
			return
		case http.StatusServiceUnavailable:
			if resp.Header.Get("Retry-After") == "" {
				t.Fatal("503 without Retry-After")
			}
			// The tracker runs cross-origin: it reads the 503 and its
			// Retry-After only if CORS lets it.
			if o, x := resp.Header.Get("Access-Control-Allow-Origin"), resp.Header.Get("Access-Control-Expose-Headers"); o != "*" || x != "Retry-After" {
				t.Fatalf("503 with Access-Control-Allow-Origin %q, Access-Control-Expose-Headers %q", o, x)
			}
		default:
			t.Fatalf("POST /api/event answered %d while starting (answers so far: %v)", resp.StatusCode, counts)
		}
	}
}

func checkScript(t *testing.T, client *http.Client, addr string) {
	t.Helper()
	resp, err := client.Get("http://" + addr + "/js/script.js")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /js/script.js once ready: %d", resp.StatusCode)
	}
}

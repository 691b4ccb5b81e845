package main

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage/internal/proctest"
	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/embedded"
)

const browserUA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

// TestKillNineLosesNothing runs the real binary, sends events from several
// connections, kills it with SIGKILL mid-stream, restarts it on the same
// data folder and checks that every event answered 202 is stored exactly
// once. Events in flight at the kill (sent, no answer) may or may not be
// stored; nothing else may be.
func TestKillNineLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	data := t.TempDir()
	addr := proctest.FreePort(t)
	args := []string{"serve", "--listen", addr, "--data", data, "--bootstrap-site", "crash.example.fr",
		"--flush-interval", "3s", "--log-level", "warn"}
	cmd := exec.Command(binary, args...)
	cmd.Env = proctest.CleanEnv()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitReady(t, addr)

	var (
		mu       sync.Mutex
		acked    = map[string]bool{}
		inFlight = map[string]bool{}
		next     int
	)
	client := &http.Client{Timeout: 5 * time.Second}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				path := fmt.Sprintf("/p/%d", next)
				next++
				inFlight[path] = true
				mu.Unlock()
				body := fmt.Sprintf(`{"n":"pageview","u":"https://crash.example.fr%s","d":"crash.example.fr"}`, path)
				req, _ := http.NewRequest("POST", "http://"+addr+"/api/event", strings.NewReader(body))
				req.Header.Set("User-Agent", browserUA)
				req.Header.Set("X-Forwarded-For", "81.65.1.2")
				resp, err := client.Do(req)
				if err != nil {
					return // the server is gone
				}
				resp.Body.Close()
				mu.Lock()
				if resp.StatusCode == http.StatusAccepted {
					acked[path] = true
				}
				delete(inFlight, path)
				mu.Unlock()
			}
		}()
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 3000 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	close(stop)
	wg.Wait()
	mu.Lock()
	t.Logf("killed with %d events acknowledged, %d in flight", len(acked), len(inFlight))
	mu.Unlock()
	if len(acked) < 100 {
		t.Fatalf("only %d events acknowledged before the kill", len(acked))
	}

	// Restart: the write-ahead log is replayed into the store; stop cleanly.
	restart := exec.Command(binary, args...)
	restart.Env = proctest.CleanEnv()
	if err := restart.Start(); err != nil {
		t.Fatal(err)
	}
	waitReady(t, addr)
	restart.Process.Signal(syscall.SIGTERM)
	if err := restart.Wait(); err != nil {
		t.Fatalf("restarted serve did not stop cleanly: %v", err)
	}

	eng, err := embedded.Open(context.Background(), embedded.Config{Dir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	rows, err := eng.Query(context.Background(), "SELECT pathname, toUInt64(count()) FROM events GROUP BY pathname", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	stored := map[string]uint64{}
	for rows.Next() {
		var p string
		var n uint64
		if err := rows.Scan(&p, &n); err != nil {
			t.Fatal(err)
		}
		stored[p] = n
	}
	lost, dup, extra := 0, 0, 0
	for p := range acked {
		switch stored[p] {
		case 0:
			lost++
		case 1:
		default:
			dup++
		}
	}
	for p, n := range stored {
		if !acked[p] {
			if !inFlight[p] || n != 1 {
				extra++
			}
		}
	}
	t.Logf("stored %d distinct events; lost %d, duplicated %d, unexplained %d", len(stored), lost, dup, extra)
	if lost != 0 || dup != 0 || extra != 0 {
		t.Fatalf("after kill -9: %d acknowledged events lost, %d duplicated, %d stored that were never sent", lost, dup, extra)
	}
	var total uint64
	store.QueryRow(context.Background(), eng, "SELECT count() FROM events", nil, &total)
	if total != uint64(len(stored)) {
		t.Fatalf("%d rows for %d distinct events", total, len(stored))
	}
}

func waitReady(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("serve not ready within 60 s")
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage/internal/proctest"
	"github.com/sillage-analytics/sillage/migrations"
)

var binary string

// TestMain builds the real binary once; these tests run it as ops would.
func TestMain(m *testing.M) {
	if helper := os.Getenv(childHelperEnv); helper != "" {
		// This test binary re-run as a child process: the embedded engine
		// serves one data folder per process, so a test that must prepare
		// a folder of its own does it in a child.
		os.Exit(runChildHelper(helper))
	}
	dir, err := os.MkdirTemp("", "sillage-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "sillage")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, env []string, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(proctest.CleanEnv(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, o.String(), e.String()}
}

// startServe runs `sillage serve` until the test ends and waits for /readyz.
func startServe(t *testing.T, args ...string) (addr string, stdout *proctest.SyncBuffer) {
	t.Helper()
	addr, stdout, _ = startServeLogged(t, args...)
	return addr, stdout
}

// startServeLogged is startServe that also keeps what serve logs.
func startServeLogged(t *testing.T, args ...string) (addr string, stdout, logs *proctest.SyncBuffer) {
	t.Helper()
	logs = &proctest.SyncBuffer{}
	addr = proctest.FreePort(t)
	cmd := exec.Command(binary, append([]string{"serve", "--listen", addr}, args...)...)
	cmd.Env = proctest.CleanEnv()
	stdout = &proctest.SyncBuffer{}
	cmd.Stdout = stdout
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			t.Log(sc.Text())
			fmt.Fprintln(logs, sc.Text())
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		// Wait closes the pipe: read it to the end first, and log nothing
		// once the test is over.
		go func() { <-logged; done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve did not stop cleanly on SIGTERM: %v", err)
			}
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Error("serve did not stop within 30 s of SIGTERM")
		}
	})
	waitReady(t, addr)
	return addr, stdout, logs
}

func TestServeHealthAndAdminSocket(t *testing.T) {
	data := t.TempDir()
	addr, stdout := startServe(t, "--data", data, "--bootstrap-site", "demo.example.fr", "--bootstrap-user", "admin@example.fr")
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	if !strings.Contains(stdout.String(), "Created account admin@example.fr with password ") {
		t.Errorf("the bootstrap login is not printed: %q", stdout.String())
	}

	// Admin commands work while serve holds the data folder.
	r := runCLI(t, nil, "", "site", "add", "atelier-bois.fr", "--timezone", "Europe/Paris", "--data", data)
	if r.code != 0 || !strings.Contains(r.stdout, "added site atelier-bois.fr") || !strings.Contains(r.stdout, "running server") {
		t.Fatalf("site add: %+v", r)
	}
	r = runCLI(t, []string{"SILLAGE_DATA=" + data}, "", "site", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "atelier-bois.fr") || !strings.Contains(r.stdout, "demo.example.fr") {
		t.Fatalf("site list: %+v", r)
	}
	r = runCLI(t, nil, "s3cure password\n", "user", "add", "--email", "claire@example.fr", "--password-stdin", "--data", data)
	if r.code != 0 || !strings.Contains(r.stdout, "added user claire@example.fr") {
		t.Fatalf("user add: %+v", r)
	}
	r = runCLI(t, nil, "", "demo", "--site", "demo.example.fr", "--events", "5000", "--days", "7", "--data", data)
	if r.code != 0 || !strings.Contains(r.stdout, "demo events to demo.example.fr") || !strings.Contains(r.stdout, "running server") {
		t.Fatalf("demo: %+v", r)
	}
	r = runCLI(t, nil, "", "apikey", "create", "--site", "atelier-bois.fr", "--data", data)
	if r.code == 0 || !strings.Contains(r.stderr, "has no owner yet") {
		t.Fatalf("apikey on a site without owner: %+v", r)
	}
	r = runCLI(t, nil, "", "apikey", "create", "--site", "demo.example.fr", "--data", data)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "sk_") {
		t.Fatalf("apikey create: %+v", r)
	}
	req, _ := http.NewRequest("POST", "http://"+addr+"/api/v2/query",
		strings.NewReader(`{"site_id":"demo.example.fr","metrics":["visitors","pageviews"],"date_range":"7d"}`))
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(r.stdout))
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("stats query with the new key: %v %v", resp, err)
	}
	resp.Body.Close()
	r = runCLI(t, nil, "", "demo", "--site", "nope.example.fr", "--data", data)
	if r.code == 0 || !strings.Contains(r.stderr, "not found") {
		t.Fatalf("demo on an unknown site: %+v", r)
	}
	r = runCLI(t, nil, "", "site", "add", "atelier-bois.fr", "--data", data)
	if r.code == 0 || !strings.Contains(r.stderr, "already exists") {
		t.Fatalf("duplicate site: %+v", r)
	}

	// A second server on the same folder is refused in one line.
	r = runCLI(t, nil, "", "serve", "--data", data, "--listen", proctest.FreePort(t))
	if r.code == 0 || !strings.Contains(r.stderr, "in use by another sillage process") || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Fatalf("second serve: %+v", r)
	}
}

func TestServeWithoutEngineLibraryAgainstDeadServer(t *testing.T) {
	r := runCLI(t, []string{
		"SILLAGE_CLICKHOUSE_URL=clickhouse://127.0.0.1:1/sillage",
		"SILLAGE_CLICKHOUSE_WAIT=2s",
		"SILLAGE_CHDB_LIB=/nonexistent/libchdb.so",
	}, "", "serve", "--listen", proctest.FreePort(t), "--data", t.TempDir())
	if r.code == 0 {
		t.Fatalf("serve against a dead server exited 0: %+v", r)
	}
	last := lastLine(r.stderr)
	if !strings.Contains(last, "unreachable") || strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
		t.Fatalf("want one clear error line, got:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, "retrying") {
		t.Fatalf("want a log line per attempt, got:\n%s", r.stderr)
	}
}

func TestMigrateUpDownVersion(t *testing.T) {
	data := t.TempDir()
	version := func(v uint) string { return fmt.Sprintf("schema version %d\n", v) }
	latest := migrations.Latest()
	vs := migrations.Versions()
	previous := vs[len(vs)-2]
	for _, step := range []struct {
		args []string
		want string
	}{
		{[]string{"migrate", "version"}, version(0)},
		{[]string{"migrate", "up"}, version(latest)},
		{[]string{"migrate", "down", "1"}, version(previous)},
		{[]string{"migrate", "up", "--data", data}, version(latest)},
		{[]string{"migrate", "down"}, version(0)},
	} {
		r := runCLI(t, nil, "", append(step.args, "--data", data)...)
		if r.code != 0 || !strings.Contains(r.stdout, step.want) {
			t.Fatalf("%v: %+v", step.args, r)
		}
	}
}

func TestBadInput(t *testing.T) {
	unreadable := filepath.Join(t.TempDir(), "file")
	os.WriteFile(unreadable, []byte("x"), 0o600)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown command", []string{"frobnicate"}, 2, "unknown command"},
		{"wrong flag", []string{"serve", "--no-such-flag"}, 1, "flag provided but not defined"},
		{"migrate without action", []string{"migrate"}, 1, "missing action"},
		{"migrate bad action", []string{"migrate", "sideways"}, 1, "unknown action"},
		{"migrate down bad N", []string{"migrate", "down", "x"}, 1, "positive number"},
		{"data folder is a file", []string{"migrate", "up", "--data", unreadable}, 1, "not a folder"},
		{"site without action", []string{"site"}, 1, "missing action"},
		{"user without password", []string{"user", "add", "--email", "a@b.fr"}, 1, "--password-stdin"},
		{"bad log level", []string{"serve", "--log-level", "loud"}, 1, "invalid log level"},
		{"bad SMTP scheme", []string{"serve", "--smtp-url", "http://u:Pw0rd@h", "--smtp-from", "a@b.fr"}, 1, "expected smtp://"},
		{"SMTP without from", []string{"query", "--smtp-url", "smtp://h"}, 1, "--smtp-from is required"},
		{"from without SMTP", []string{"serve", "--smtp-from", "a@b.fr"}, 1, "--smtp-from without --smtp-url"},
		{"bad SMTP port", []string{"serve", "--smtp-url", "smtps://u:Pw0rd@h:x", "--smtp-from", "a@b.fr"}, 1, "--smtp-url"},
		{"bad public URL", []string{"serve", "--public-url", "stats.example.fr"}, 1, "--public-url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, nil, "", tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
				t.Fatalf("got %+v, want exit %d and %q", r, tt.code, tt.want)
			}
			if strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
				t.Fatalf("want a one-line error, got:\n%s", r.stderr)
			}
			if strings.Contains(r.stderr, "Pw0rd") {
				t.Fatalf("the error shows the SMTP password: %s", r.stderr)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	r := runCLI(t, nil, "", "serve", "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "--listen") || !strings.Contains(r.stdout, "SILLAGE_LISTEN") || !strings.Contains(r.stdout, "SILLAGE_CLICKHOUSE_URL") ||
		!strings.Contains(r.stdout, "SILLAGE_SMTP_URL") || !strings.Contains(r.stdout, "SILLAGE_SMTP_FROM") || !strings.Contains(r.stdout, "SILLAGE_PUBLIC_URL") {
		t.Fatalf("serve --help: %+v", r)
	}
	r = runCLI(t, nil, "", "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "migrate") {
		t.Fatalf("--help: %+v", r)
	}
	r = runCLI(t, nil, "", "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "sillage ") {
		t.Fatalf("version: %+v", r)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func TestCollectWaitsForMigrations(t *testing.T) {
	data := t.TempDir()
	r := runCLI(t, []string{"SILLAGE_CLICKHOUSE_WAIT=1s"}, "", "collect", "--listen", proctest.FreePort(t), "--data", data)
	if r.code == 0 || !strings.Contains(r.stderr, "run 'sillage migrate up' first") {
		t.Fatalf("collect on an unmigrated store: %+v", r)
	}
	if r := runCLI(t, nil, "", "migrate", "up", "--data", data); r.code != 0 {
		t.Fatalf("migrate: %+v", r)
	}
	if r := runCLI(t, nil, "", "site", "add", "collect.example.fr", "--data", data); r.code != 0 {
		t.Fatalf("site add: %+v", r)
	}
	addr := proctest.FreePort(t)
	cmd := exec.Command(binary, "collect", "--listen", addr, "--data", data)
	cmd.Env = proctest.CleanEnv()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	waitReady(t, addr)
	req, _ := http.NewRequest("POST", "http://"+addr+"/api/event",
		strings.NewReader(`{"n":"pageview","u":"https://collect.example.fr/","d":"collect.example.fr"}`))
	req.Header.Set("User-Agent", browserUA)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 202 {
		t.Fatalf("event to collect: %v %v", resp, err)
	}
	resp.Body.Close()
}

func TestQueryServesDashboardAndAPI(t *testing.T) {
	data := t.TempDir()
	if r := runCLI(t, nil, "", "migrate", "up", "--data", data); r.code != 0 {
		t.Fatalf("migrate: %+v", r)
	}
	addr := proctest.FreePort(t)
	cmd := exec.Command(binary, "query", "--listen", addr, "--data", data)
	cmd.Env = proctest.CleanEnv()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	waitReady(t, addr)
	for path, want := range map[string]string{"/": "<html", "/api/auth/setup": `"needed":true`} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Fatalf("%s: %d %.200s", path, resp.StatusCode, b)
		}
	}
	// The query process has no collector.
	resp, err := http.Post("http://"+addr+"/api/event", "text/plain", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == 202 || resp.StatusCode == 400 {
		t.Fatalf("a query process answered /api/event with %d", resp.StatusCode)
	}
}

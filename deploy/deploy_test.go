//go:build linux

// Tests of the deployment files. What this machine can run is run for real:
// the binary built as the container image builds it, the backup and restore
// scripts on a real data folder, the container health check against a live
// server, systemd-analyze, nginx, Caddy, shellcheck and promtool when they are
// installed. What it cannot run (no Docker engine, no Kubernetes cluster) is
// rendered with the real tools' Go libraries and parsed: the Helm chart
// through Helm's engine and linter, the compose file, the Dockerfile.
//
// This folder is a Go module of its own, so that the Helm and Kubernetes
// libraries stay out of the product's go.mod; from deploy/:
//
//	go test .            # everything
//	go test . -update    # rewrite testdata/helm-golden*.yaml
package deploy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	k8syaml "sigs.k8s.io/yaml"

	"github.com/sillage-analytics/sillage/collector/geo"
	"github.com/sillage-analytics/sillage/internal/proctest"
	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/chdb"
	"github.com/sillage-analytics/sillage/store/embedded"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// repoRoot is the repository, seen from deploy/ (go test's working folder).
const repoRoot = ".."

// helperEnv makes the test binary a helper process instead of a test run:
// the embedded engine serves one data folder per process, so every use of
// it from these tests happens in a child process of its own.
const helperEnv = "SILLAGE_DEPLOY_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(runHelper(mode))
	}
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// ---------------------------------------------------------------------------
// Shared helpers

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// engineLib finds libchdb.so the way the binary does, or skips the test.
func engineLib(t *testing.T) string {
	t.Helper()
	lib, err := chdb.Find("")
	if err != nil {
		t.Skipf("needs the embedded engine library (run `make chdb`): %v", err)
	}
	abs, err := filepath.Abs(lib)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

var (
	buildOnce sync.Once
	buildDir  string
	buildBin  string
	buildErr  error
)

// dockerBuildEnv is how the Dockerfile builds: the Makefile's `build`
// target with cgo off. TestDockerfile checks that the Dockerfile still says
// so; sillageBinary builds the same way.
const dockerBuildEnv = "CGO_ENABLED=0"

// sillageBinary builds the binary once as the container image does, in
// BIN/bin/sillage, with BIN/lib/ beside it for the engine library (the
// image's /usr/local/bin and /usr/local/lib).
func sillageBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "sillage-deploy-test-")
		if buildErr != nil {
			return
		}
		buildBin = filepath.Join(buildDir, "bin", "sillage")
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X main.version=deploy-test", "-o", buildBin, "./cmd/sillage")
		cmd.Dir = repoRoot
		cmd.Env = append(os.Environ(), dockerBuildEnv)
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildBin
}

// installLib puts the engine library at BIN/../lib/libchdb.so, where the
// binary looks for it in the container image and in the systemd layout.
func installLib(t *testing.T, bin, lib string) {
	t.Helper()
	dir := filepath.Join(filepath.Dir(filepath.Dir(bin)), "lib")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "libchdb.so")
	if target, err := os.Readlink(link); err == nil && target == lib {
		return
	}
	os.Remove(link)
	if err := os.Symlink(lib, link); err != nil {
		t.Fatal(err)
	}
}

type server struct {
	addr   string
	cmd    *exec.Cmd
	out    *proctest.SyncBuffer
	exited chan struct{} // closed once the process is gone; then err is set
	err    error
}

// startServe runs `sillage serve` from a folder outside the repository (so
// the library is found only through the image layout) and waits for /readyz.
func startServe(t *testing.T, bin, data string, args ...string) *server {
	t.Helper()
	s := &server{addr: proctest.FreePort(t), out: &proctest.SyncBuffer{}, exited: make(chan struct{})}
	s.cmd = exec.Command(bin, append([]string{"serve", "--data", data, "--listen", s.addr}, args...)...)
	s.cmd.Dir = t.TempDir()
	s.cmd.Env = proctest.CleanEnv()
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.err = s.cmd.Wait(); close(s.exited) }()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			s.cmd.Process.Kill()
			<-s.exited
		}
	})
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			t.Fatalf("serve exited before ready: %v\n%s", s.err, s.out.String())
		default:
		}
		if resp, err := http.Get("http://" + s.addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("serve not ready within 90 s:\n%s", s.out.String())
	return nil
}

// stop sends SIGTERM, as systemd, Docker and Kubernetes do, and wants a
// clean exit with the write-ahead log flushed.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.exited:
		if s.err != nil {
			t.Fatalf("serve did not exit cleanly on SIGTERM: %v\n%s", s.err, s.out.String())
		}
	case <-time.After(90 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
		t.Fatalf("serve did not stop within 90 s of SIGTERM:\n%s", s.out.String())
	}
	if !strings.Contains(s.out.String(), "collector flushed") {
		t.Fatalf("serve stopped without flushing its write-ahead log:\n%s", s.out.String())
	}
}

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, env []string, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(proctest.CleanEnv(), env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return result{code, o.String(), e.String()}
}

// helper runs this test binary as a helper process (see runHelper).
func helper(t *testing.T, mode, dir, lib string, env ...string) result {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return run(t, append([]string{helperEnv + "=" + mode, "SILLAGE_DEPLOY_DIR=" + dir, "SILLAGE_DEPLOY_LIB=" + lib}, env...), self)
}

// ---------------------------------------------------------------------------
// Helper processes: the embedded engine, one data folder per process.

func runHelper(mode string) int {
	ctx := context.Background()
	dir, lib := os.Getenv("SILLAGE_DEPLOY_DIR"), os.Getenv("SILLAGE_DEPLOY_LIB")
	if mode == "jit" && os.Getenv("SILLAGE_DEPLOY_MDWE") == "1" {
		// What systemd's MemoryDenyWriteExecute=yes does (with prctl on
		// kernels that have it): no memory may become writable and
		// executable. PR_SET_MDWE = 65, PR_MDWE_REFUSE_EXEC_GAIN = 1.
		if _, _, errno := syscall.RawSyscall6(syscall.SYS_PRCTL, 65, 1, 0, 0, 0, 0); errno != 0 {
			fmt.Println("unsupported:", errno)
			return 3
		}
	}
	e, err := embedded.Open(ctx, embedded.Config{Dir: dir, LibPath: lib})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		return 1
	}
	defer e.Close()
	switch mode {
	case "count":
		var n uint64
		if err := store.QueryRow(ctx, e, "SELECT count() FROM events", nil, &n); err != nil {
			fmt.Fprintln(os.Stderr, "count:", err)
			return 1
		}
		fmt.Println(n)
	case "salts":
		var n uint64
		if err := store.QueryRow(ctx, e, "SELECT count() FROM salts", nil, &n); err != nil {
			fmt.Fprintln(os.Stderr, "salts:", err)
			return 1
		}
		fmt.Println(n)
	case "jit":
		// The same aggregate query, again and again: the engine compiles an
		// expression to machine code once it has seen it a few times
		// (min_count_to_compile_expression, 3 by default).
		for i := 0; i < 6; i++ {
			var sum, groups uint64
			err := store.QueryRow(ctx, e, `SELECT sum(number * 3 + 1 + intDiv(number, 7)), count()
				FROM numbers(200000) GROUP BY number % 5 ORDER BY 1 LIMIT 1`, nil, &sum, &groups)
			if err != nil {
				fmt.Printf("run %d: error: %s\n", i, strings.ReplaceAll(err.Error(), "\n", " "))
			} else {
				fmt.Printf("run %d: ok\n", i)
			}
		}
	case "settings":
		// Which of the names given (JSON {"server": [...], "profile": [...]})
		// the engine does not know.
		var in map[string][]string
		if err := json.Unmarshal([]byte(os.Getenv("SILLAGE_DEPLOY_NAMES")), &in); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		out := map[string][]string{}
		for kind, table := range map[string]string{"server": "system.server_settings", "profile": "system.settings"} {
			known := map[string]bool{}
			rows, err := e.Query(ctx, "SELECT name FROM "+table, nil)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			for rows.Next() {
				var name string
				if err := rows.Scan(&name); err != nil {
					fmt.Fprintln(os.Stderr, err)
					return 1
				}
				known[name] = true
			}
			rows.Close()
			out[kind] = []string{}
			for _, n := range in[kind] {
				if !known[n] {
					out[kind] = append(out[kind], n)
				}
			}
		}
		json.NewEncoder(os.Stdout).Encode(out)
	default:
		fmt.Fprintln(os.Stderr, "unknown helper mode", mode)
		return 2
	}
	return 0
}

// ---------------------------------------------------------------------------
// Backup and restore of the embedded engine, for real.

const browserUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"

func postEvent(t *testing.T, addr, path string) {
	t.Helper()
	body := fmt.Sprintf(`{"n":"pageview","u":"https://demo.example.fr%s","d":"demo.example.fr"}`, path)
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/api/event", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("User-Agent", browserUA)
	req.Header.Set("Content-Type", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || resp.Header.Get("X-Sillage-Dropped") != "" {
		t.Fatalf("event %s: %d %q dropped=%q", path, resp.StatusCode, b, resp.Header.Get("X-Sillage-Dropped"))
	}
}

type fileState struct {
	mode fs.FileMode
	size int64
	sum  string
}

// tree describes every file of a data folder but the lock and the socket.
func tree(t *testing.T, root string) map[string]fileState {
	t.Helper()
	out := map[string]fileState{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "sillage.lock" || rel == "admin.sock" {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		st := fileState{mode: info.Mode()}
		if info.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h := sha256.Sum256(b)
			st.size, st.sum = info.Size(), hex.EncodeToString(h[:])
		}
		out[rel] = st
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// saltPartPaths returns the paths, relative to the data folder, of the
// parts of the salts table: its data, without the table's own files.
func saltPartPaths(t *testing.T, data string) []string {
	t.Helper()
	links, err := filepath.Glob(filepath.Join(data, "engine", "data", "*", "salts"))
	if err != nil || len(links) == 0 {
		t.Fatalf("no salts table under %s/engine/data: %v", data, err)
	}
	var out []string
	for _, l := range links {
		dir, err := filepath.EvalSymlinks(l)
		if err != nil {
			t.Fatal(err)
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.IsDir() && e.Name() != "detached" {
				rel, _ := filepath.Rel(data, filepath.Join(dir, e.Name()))
				out = append(out, rel)
			}
		}
	}
	return out
}

func TestBackupRestoreEmbedded(t *testing.T) {
	lib := engineLib(t)
	if _, err := exec.LookPath("flock"); err != nil {
		t.Skip("needs flock(1) (Debian package util-linux)")
	}
	bin := sillageBinary(t)
	installLib(t, bin, lib)
	backupSh, _ := filepath.Abs("backup/sillage-backup.sh")
	restoreSh, _ := filepath.Abs("backup/sillage-restore.sh")
	healthSh, _ := filepath.Abs("docker/healthcheck.sh")

	work := t.TempDir()
	data := filepath.Join(work, "data")
	archives := filepath.Join(work, "archives")

	s := startServe(t, bin, data, "--bootstrap-site", "demo.example.fr")
	// The container's health check, against the live server.
	if r := run(t, []string{"SILLAGE_LISTEN=" + s.addr}, healthSh); r.code != 0 {
		t.Fatalf("healthcheck.sh against a ready server: %+v", r)
	}
	const events = 5
	for i := 0; i < events; i++ {
		postEvent(t, s.addr, fmt.Sprintf("/x/%d", i))
	}
	// A running server holds the folder: no backup, no restore.
	if r := run(t, nil, backupSh, "--data", data, "--output", archives); r.code == 0 || !strings.Contains(r.stderr, "in use by a running sillage") {
		t.Fatalf("backup of a folder in use: %+v", r)
	}
	s.stop(t)
	if r := run(t, []string{"SILLAGE_LISTEN=" + s.addr}, healthSh); r.code == 0 {
		t.Fatalf("healthcheck.sh succeeds with no server: %+v", r)
	}

	// The day's salt is in the folder; a backup must not keep it, or the
	// archive would outlive the promise that it is deleted after 48 hours.
	if r := helper(t, "salts", data, lib); r.code != 0 || strings.TrimSpace(r.stdout) == "0" {
		t.Fatalf("salts in the data folder before the backup: %+v", r)
	}
	before := tree(t, data)
	if _, ok := before["engine"]; !ok {
		t.Fatalf("no engine/ in the data folder: %v", before)
	}
	old := filepath.Join(work, "old.tar.gz") // as archives were made before
	if r := run(t, nil, "tar", "-C", data, "-czf", old, "--exclude=./sillage.lock", "."); r.code != 0 {
		t.Fatalf("tar: %+v", r)
	}
	saltParts := saltPartPaths(t, data)
	if len(saltParts) == 0 {
		t.Fatal("no part of the salts table found in the data folder")
	}
	for p := range before {
		for _, sp := range saltParts {
			if p == sp || strings.HasPrefix(p, sp+"/") {
				delete(before, p)
			}
		}
	}
	r := run(t, nil, backupSh, "--data", data, "--output", archives, "--keep", "3")
	if r.code != 0 {
		t.Fatalf("backup: %+v", r)
	}
	archive := strings.TrimSpace(r.stdout)
	if !strings.HasPrefix(archive, archives+"/sillage-") || !strings.HasSuffix(archive, ".tar.gz") {
		t.Fatalf("backup printed %q", archive)
	}
	if _, err := os.Stat(archive + ".sha256"); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(archive); err != nil || info.Mode().Perm()&0o077 != 0 {
		t.Fatalf("archive %v should be readable by its owner only: %v", info.Mode(), err)
	}

	// Wipe, restore, compare byte for byte.
	if err := os.RemoveAll(data); err != nil {
		t.Fatal(err)
	}
	if r := run(t, nil, restoreSh, "--data", data, archive); r.code != 0 {
		t.Fatalf("restore: %+v", r)
	}
	after := tree(t, data)
	if len(after) != len(before) {
		t.Fatalf("restored %d files, backed up %d", len(after), len(before))
	}
	for p, st := range before {
		if after[p] != st {
			t.Errorf("%s: restored %+v, was %+v", p, after[p], st)
		}
	}

	// A corrupted archive is refused by its checksum.
	bad := filepath.Join(work, "bad.tar.gz")
	b, _ := os.ReadFile(archive)
	b[len(b)/2] ^= 0xff
	os.WriteFile(bad, b, 0o600)
	sum, _ := os.ReadFile(archive + ".sha256")
	os.WriteFile(bad+".sha256", bytes.Replace(sum, []byte(filepath.Base(archive)), []byte("bad.tar.gz"), 1), 0o600)
	if r := run(t, nil, restoreSh, "--data", filepath.Join(work, "other"), bad); r.code == 0 || !strings.Contains(r.stderr, "checksum") {
		t.Fatalf("restore of a corrupted archive: %+v", r)
	}

	// The restored folder serves again, and restore refuses to run under it.
	s = startServe(t, bin, data)
	if r := run(t, nil, restoreSh, "--data", data, archive); r.code == 0 || !strings.Contains(r.stderr, "in use by a running sillage") {
		t.Fatalf("restore over a running server: %+v", r)
	}
	s.stop(t)

	// Every accepted event is in the restored engine.
	r = helper(t, "count", data, lib)
	if r.code != 0 || strings.TrimSpace(r.stdout) != strconv.Itoa(events) {
		t.Fatalf("events in the restored folder: want %d, got %+v", events, r)
	}
	if lst := run(t, nil, "tar", "-tzf", archive); lst.code != 0 || strings.Contains(lst.stdout, "./"+saltParts[0]) {
		t.Fatalf("the archive holds a part of the salts table (%s): %+v", saltParts[0], lst)
	}

	// --force replaces; without it, the previous folder is kept aside.
	if r := run(t, nil, restoreSh, "--data", data, archive); r.code != 0 || !strings.Contains(r.stderr, "kept as") {
		t.Fatalf("second restore: %+v", r)
	}
	aside, _ := filepath.Glob(data + ".before-restore-*")
	if len(aside) != 1 {
		t.Fatalf("want the previous folder kept aside, got %v", aside)
	}

	// An archive made before backups left the salts out: restore deletes
	// them.
	fromOld := filepath.Join(work, "from-old")
	if r := run(t, nil, restoreSh, "--data", fromOld, old); r.code != 0 || !strings.Contains(r.stderr, "salts") {
		t.Fatalf("restore of an archive holding salts: %+v", r)
	}
	if r := helper(t, "salts", fromOld, lib); r.code != 0 || strings.TrimSpace(r.stdout) != "0" {
		t.Fatalf("salts after restoring an archive that held them: want 0, got %+v", r)
	}
	if r := helper(t, "count", fromOld, lib); r.code != 0 || strings.TrimSpace(r.stdout) != strconv.Itoa(events) {
		t.Fatalf("events after restoring an archive that held salts: want %d, got %+v", events, r)
	}
}

// The systemd unit leaves MemoryDenyWriteExecute off because the embedded
// engine compiles expressions at run time. This proves it with the kernel's
// own switch (PR_SET_MDWE), the one systemd uses where the kernel has it.
func TestEmbeddedEngineNeedsWriteExecute(t *testing.T) {
	lib := engineLib(t)
	plain := helper(t, "jit", t.TempDir(), lib)
	if plain.code != 0 || strings.Contains(plain.stdout, "error") {
		t.Fatalf("queries without the restriction: %+v", plain)
	}
	mdwe := helper(t, "jit", t.TempDir(), lib, "SILLAGE_DEPLOY_MDWE=1")
	if mdwe.code == 3 {
		t.Skipf("this kernel has no PR_SET_MDWE (Linux 6.3 or later): %s", mdwe.stdout)
	}
	if mdwe.code != 0 {
		t.Fatalf("helper: %+v", mdwe)
	}
	if !strings.Contains(mdwe.stdout, "CANNOT_MPROTECT") {
		t.Fatalf("the engine now runs under MemoryDenyWriteExecute (no JIT any more?): "+
			"turn it on in deploy/systemd/sillage.service and drop this test.\n%s", mdwe.stdout)
	}
	unit := readFile(t, "systemd/sillage.service")
	if regexp.MustCompile(`(?m)^MemoryDenyWriteExecute=(yes|true|1)`).MatchString(unit) {
		t.Fatal("sillage.service sets MemoryDenyWriteExecute, which breaks the embedded engine")
	}
	dropIn := readFile(t, "systemd/server-mode.conf")
	if !strings.Contains(dropIn, "MemoryDenyWriteExecute=yes") {
		t.Fatal("server-mode.conf should turn MemoryDenyWriteExecute on")
	}
}

// ---------------------------------------------------------------------------
// systemd, nginx, Caddy

// ini parses a systemd unit: section → key → values (keys may repeat).
func ini(t *testing.T, text string) map[string]map[string][]string {
	t.Helper()
	out := map[string]map[string][]string{}
	section := ""
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			if out[section] == nil {
				out[section] = map[string][]string{}
			}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" || strings.HasSuffix(line, "\\") {
				t.Fatalf("line %d is not KEY=VALUE inside a section: %q", n, line)
			}
			out[section][k] = append(out[section][k], v)
		}
	}
	return out
}

func TestSystemdUnit(t *testing.T) {
	text := readFile(t, "systemd/sillage.service")
	u := ini(t, text)
	want := map[string]map[string]string{
		"Unit": {"Description": ""},
		"Service": {
			"User": "sillage", "Group": "sillage", "StateDirectory": "sillage",
			"ExecStart":       "/usr/local/bin/sillage serve",
			"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
			"PrivateTmp": "yes", "PrivateDevices": "yes",
			"ProtectKernelTunables": "yes", "ProtectKernelModules": "yes", "ProtectKernelLogs": "yes",
			"RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX", "LockPersonality": "yes",
			"LimitNOFILE": "", "TimeoutStopSec": "", "KillSignal": "SIGTERM",
		},
		"Install": {"WantedBy": "multi-user.target"},
	}
	for section, keys := range want {
		for k, v := range keys {
			got := u[section][k]
			if len(got) == 0 {
				t.Errorf("[%s] %s= missing", section, k)
			} else if v != "" && got[len(got)-1] != v {
				t.Errorf("[%s] %s=%s, want %s", section, k, got[len(got)-1], v)
			}
		}
	}
	if f := u["Service"]["SystemCallFilter"]; len(f) == 0 || f[0] != "@system-service" {
		t.Errorf("SystemCallFilter=%v, want @system-service first", f)
	}
	if env := strings.Join(u["Service"]["Environment"], " "); !strings.Contains(env, "SILLAGE_TRUSTED_PROXIES=127.0.0.1/32") {
		t.Errorf("the unit should trust the local reverse proxy only: %s", env)
	}
	// Long enough for HTTP shutdown (20 s) and the WAL flush (30 s).
	stop, err := time.ParseDuration(u["Service"]["TimeoutStopSec"][0])
	if err != nil || stop < 60*time.Second {
		t.Errorf("TimeoutStopSec=%v (%v): want at least 60s", u["Service"]["TimeoutStopSec"], err)
	}
	if n, err := strconv.Atoi(u["Service"]["LimitNOFILE"][0]); err != nil || n < 65536 {
		t.Errorf("LimitNOFILE=%v: want at least 65536", u["Service"]["LimitNOFILE"])
	}
	ini(t, readFile(t, "systemd/server-mode.conf"))
	env := ini(t, "[env]\n"+readFile(t, "systemd/sillage.env"))
	for k := range env["env"] {
		if !strings.HasPrefix(k, "SILLAGE_") {
			t.Errorf("sillage.env sets %s, not a sillage variable", k)
		}
	}

	// systemd's own checks, where systemd is installed.
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed: the unit was checked as INI only")
	}
	bin := sillageBinary(t)
	dir := t.TempDir()
	local := filepath.Join(dir, "sillage.service")
	os.WriteFile(local, []byte(strings.ReplaceAll(text, "/usr/local/bin/sillage", bin)), 0o644)
	if r := run(t, nil, analyze, "verify", local); r.code != 0 || strings.TrimSpace(r.stdout+r.stderr) != "" {
		t.Fatalf("systemd-analyze verify: %+v", r)
	}
	r := run(t, nil, analyze, "security", "--offline=yes", local)
	m := regexp.MustCompile(`Overall exposure level for sillage.service: ([0-9.]+)`).FindStringSubmatch(r.stdout + r.stderr)
	if m == nil {
		t.Skipf("systemd-analyze security --offline gave no score (systemd older than 252?): %+v", r)
	}
	if score, _ := strconv.ParseFloat(m[1], 64); score > 2.5 {
		t.Errorf("exposure level %s: want 2.5 or less\n%s", m[1], r.stdout)
	}
	t.Logf("systemd-analyze security: exposure %s", m[1])
}

func TestReverseProxyConfigs(t *testing.T) {
	ngx := readFile(t, "systemd/nginx-sillage.conf")
	for _, want := range []string{"proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for", "server 127.0.0.1:8080", "location = /api/event", "ssl_certificate"} {
		if !strings.Contains(ngx, want) {
			t.Errorf("nginx config lacks %q", want)
		}
	}
	caddy := readFile(t, "systemd/Caddyfile")
	if !strings.Contains(caddy, "reverse_proxy 127.0.0.1:8080") {
		t.Error("Caddyfile does not proxy to 127.0.0.1:8080")
	}

	t.Run("nginx -t", func(t *testing.T) {
		nginx, err := exec.LookPath("nginx")
		if err != nil {
			t.Skip("nginx not installed")
		}
		dir := t.TempDir()
		cert, key := selfSigned(t, dir)
		site := strings.NewReplacer(
			"/etc/letsencrypt/live/stats.example.eu/fullchain.pem", cert,
			"/etc/letsencrypt/live/stats.example.eu/privkey.pem", key,
		).Replace(ngx)
		os.WriteFile(filepath.Join(dir, "site.conf"), []byte(site), 0o644)
		main := fmt.Sprintf("pid %[1]s/nginx.pid;\nerror_log %[1]s/error.log;\nevents {}\nhttp { include %[1]s/site.conf; }\n", dir)
		os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(main), 0o644)
		if r := run(t, nil, nginx, "-t", "-q", "-c", filepath.Join(dir, "nginx.conf")); r.code != 0 {
			t.Fatalf("nginx -t: %+v", r)
		}
	})
	t.Run("caddy validate", func(t *testing.T) {
		caddyBin, err := exec.LookPath("caddy")
		if err != nil {
			t.Skip("caddy not installed")
		}
		r := run(t, []string{"HOME=" + t.TempDir(), "XDG_DATA_HOME=" + t.TempDir(), "XDG_CONFIG_HOME=" + t.TempDir()},
			caddyBin, "validate", "--config", "systemd/Caddyfile", "--adapter", "caddyfile")
		if r.code != 0 || !strings.Contains(r.stdout+r.stderr, "Valid configuration") {
			t.Fatalf("caddy validate: %+v", r)
		}
	})
}

func selfSigned(t *testing.T, dir string) (cert, key string) {
	t.Helper()
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	r := run(t, nil, openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=stats.example.eu")
	if r.code != 0 {
		t.Fatalf("openssl: %+v", r)
	}
	return cert, key
}

// ---------------------------------------------------------------------------
// Shell scripts

func TestShellScripts(t *testing.T) {
	scripts, _ := filepath.Glob("backup/*.sh")
	scripts = append(scripts, "docker/healthcheck.sh")
	for _, s := range scripts {
		info, err := os.Stat(s)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm()&0o111 == 0 {
			t.Errorf("%s is not executable", s)
		}
		if r := run(t, nil, "bash", "-n", s); r.code != 0 {
			t.Errorf("bash -n %s: %s", s, r.stderr)
		}
	}
	for _, s := range scripts[:len(scripts)-1] {
		if r := run(t, nil, s, "--help"); r.code != 0 || !strings.Contains(r.stdout, "Usage:") {
			t.Errorf("%s --help: %+v", s, r)
		}
		if r := run(t, nil, s, "--no-such-option"); r.code == 0 {
			t.Errorf("%s accepts an unknown option", s)
		}
	}
	// Refuses what is not a data folder.
	if r := run(t, nil, "backup/sillage-backup.sh", "--data", t.TempDir(), "--output", t.TempDir()); r.code == 0 || !strings.Contains(r.stderr, "not a sillage data folder") {
		t.Errorf("backup of an empty folder: %+v", r)
	}
	shellcheck, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Skip("shellcheck not installed: syntax checked with bash -n only")
	}
	if r := run(t, nil, shellcheck, scripts...); r.code != 0 {
		t.Fatalf("shellcheck: %s%s", r.stdout, r.stderr)
	}
}

// ---------------------------------------------------------------------------
// Dockerfile

type instruction struct {
	line  int
	cmd   string // upper case
	args  string
	stage string
}

func dockerfile(t *testing.T, path string) []instruction {
	t.Helper()
	var out []instruction
	stage, cont, start := "", "", 0
	for i, raw := range strings.Split(readFile(t, path), "\n") {
		line := strings.TrimSpace(raw)
		if cont == "" && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue // a comment inside a continued instruction
		}
		if cont == "" {
			start = i + 1
		}
		if strings.HasSuffix(line, "\\") {
			cont += strings.TrimSuffix(line, "\\") + " "
			continue
		}
		full := cont + line
		cont = ""
		cmd, args, _ := strings.Cut(full, " ")
		cmd = strings.ToUpper(cmd)
		if cmd == "FROM" {
			f := strings.Fields(args)
			if len(f) >= 3 && strings.EqualFold(f[len(f)-2], "AS") {
				stage = f[len(f)-1]
			}
		}
		out = append(out, instruction{start, cmd, strings.TrimSpace(args), stage})
	}
	return out
}

// flagsOf splits the --flag=value words off the front of an instruction.
func flagsOf(args string) (map[string]string, []string) {
	flags := map[string]string{}
	var rest []string
	for _, w := range strings.Fields(args) {
		if strings.HasPrefix(w, "--") && len(rest) == 0 {
			k, v, _ := strings.Cut(w[2:], "=")
			flags[k] = v
			continue
		}
		rest = append(rest, w)
	}
	return flags, rest
}

func makeTargets(t *testing.T) (map[string]bool, map[string]string) {
	t.Helper()
	targets, vars := map[string]bool{}, map[string]string{}
	for _, line := range strings.Split(readFile(t, filepath.Join(repoRoot, "Makefile")), "\n") {
		if m := regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_-]*)\s*:[^=]`).FindStringSubmatch(line + " "); m != nil {
			targets[m[1]] = true
		}
		if m := regexp.MustCompile(`^([A-Z_]+)\s*[:?]?=\s*(.*)$`).FindStringSubmatch(line); m != nil {
			vars[m[1]] = strings.TrimSpace(m[2])
		}
	}
	return targets, vars
}

func ignoredByDockerignore(patterns []string, path string) bool {
	path = strings.TrimPrefix(path, "./")
	ignored := false
	for _, p := range patterns {
		neg := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(strings.TrimPrefix(p, "!"), "/")
		p = strings.TrimPrefix(p, "**/")
		for cand := path; cand != "." && cand != ""; cand = filepath.Dir(cand) {
			if ok, _ := filepath.Match(p, cand); ok || ok2(p, cand) {
				ignored = !neg
				break
			}
		}
	}
	return ignored
}

// ok2 matches a pattern against the last elements of a path (for **/x).
func ok2(p, cand string) bool {
	ok, _ := filepath.Match(p, filepath.Base(cand))
	return ok && !strings.Contains(p, "/")
}

func TestDockerfile(t *testing.T) {
	ins := dockerfile(t, "Dockerfile")
	targets, vars := makeTargets(t)
	var ignore []string
	for _, line := range strings.Split(readFile(t, "Dockerfile.dockerignore"), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			ignore = append(ignore, line)
		}
	}

	stages := map[string]bool{}
	var order []string
	copied := map[string]string{} // destination in the image → source in the repo
	var healthcheck, user, entrypoint, geoDst string
	for _, in := range ins {
		switch in.cmd {
		case "FROM":
			stages[in.stage] = true
			order = append(order, in.stage)
			if f := strings.Fields(in.args); strings.Contains(f[len(f)-3], ":latest") {
				t.Errorf("line %d: pin base images, not :latest", in.line)
			}
		case "COPY":
			flags, words := flagsOf(in.args)
			if len(words) < 2 {
				t.Errorf("line %d: COPY needs a source and a destination", in.line)
				continue
			}
			srcs, dst := words[:len(words)-1], words[len(words)-1]
			if from, ok := flags["from"]; ok {
				if !stages[from] {
					t.Errorf("line %d: COPY --from=%s: no such earlier stage", in.line, from)
				}
				if from == "geoip" {
					// The country database comes from where `make geoip`
					// puts it, and lands where geo.Candidates looks.
					if srcs[0] != "/src/"+vars["GEOIP_DB"] {
						t.Errorf("line %d: copies %s, but the Makefile installs the database at %s", in.line, srcs[0], vars["GEOIP_DB"])
					}
					geoDst = dst
				}
				if from == "chdb" {
					// The library comes from where `make chdb` puts it.
					want := "/src/" + vars["CHDB_LIB"]
					if srcs[0] != want {
						t.Errorf("line %d: copies %s, but the Makefile installs the library at %s", in.line, srcs[0], vars["CHDB_LIB"])
					}
				}
				continue
			}
			for _, src := range srcs {
				matches, _ := filepath.Glob(filepath.Join(repoRoot, src))
				if len(matches) == 0 {
					t.Errorf("line %d: COPY source %s does not exist in the repository", in.line, src)
				}
				if src != "." && ignoredByDockerignore(ignore, src) {
					t.Errorf("line %d: COPY source %s is excluded by Dockerfile.dockerignore", in.line, src)
				}
				copied[dst] = src
			}
		case "RUN":
			for _, m := range regexp.MustCompile(`\bmake\s+([a-z][a-z0-9_-]*)`).FindAllStringSubmatch(in.args, -1) {
				if !targets[m[1]] {
					t.Errorf("line %d: make %s: no such Makefile target", in.line, m[1])
				}
			}
			if strings.Contains(in.args, "make build") && !strings.Contains(in.args, dockerBuildEnv) {
				t.Errorf("line %d: the image's build should use %s, as this test's build does", in.line, dockerBuildEnv)
			}
			if in.stage == "chdb" && strings.Contains(in.args, "npm ci") {
				if !strings.Contains(vars["CHDB_LIB"], "tools/chdb/") {
					t.Errorf("Makefile CHDB_LIB=%s is not under tools/chdb", vars["CHDB_LIB"])
				}
			}
		case "HEALTHCHECK":
			healthcheck = in.args
		case "USER":
			user = in.args
		case "ENTRYPOINT":
			entrypoint = in.args
		}
	}
	for _, s := range []string{"build", "chdb", "geoip", "server", "embedded"} {
		if !stages[s] {
			t.Errorf("no stage %q", s)
		}
	}
	if order[len(order)-1] != "embedded" {
		t.Errorf("the default (last) stage is %q, want embedded", order[len(order)-1])
	}
	if user == "" || strings.HasPrefix(user, "0") || strings.HasPrefix(user, "root") {
		t.Errorf("USER %q: the image must not run as root", user)
	}
	if !strings.Contains(entrypoint, "/usr/local/bin/sillage") {
		t.Errorf("ENTRYPOINT %s", entrypoint)
	}
	// The health check is the script that TestBackupRestoreEmbedded runs
	// against a live server; it asks /readyz.
	m := regexp.MustCompile(`CMD \["([^"]+)"\]`).FindStringSubmatch(healthcheck)
	if m == nil {
		t.Fatalf("HEALTHCHECK %q: want CMD [\"script\"]", healthcheck)
	}
	src, ok := copied[m[1]]
	if !ok {
		t.Fatalf("HEALTHCHECK runs %s, which no COPY puts in the image", m[1])
	}
	if script := readFile(t, filepath.Join(repoRoot, src)); !strings.Contains(script, "GET /readyz") {
		t.Errorf("%s does not ask /readyz", src)
	}
	// The engine library lands at ../lib/libchdb.so relative to the binary,
	// where chdb.Candidates looks; the country database at
	// ../share/sillage/, where geo.Candidates looks.
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if geoDst != "/usr/local/share/sillage/" {
		t.Errorf("the country database is copied to %q, want /usr/local/share/sillage/ (the binary is in /usr/local/bin)", geoDst)
	}
	if imageDB := filepath.Join(filepath.Dir(exe), "..", "share", "sillage", geo.DefaultFile); !slices.Contains(geo.Candidates(), imageDB) {
		t.Errorf("geo.Candidates no longer looks in %s: the image puts the country database there", imageDB)
	}
	imageLib := filepath.Join(filepath.Dir(exe), "..", "lib", "libchdb.so")
	for _, c := range chdb.Candidates("") {
		if c == imageLib {
			return
		}
	}
	t.Error("chdb.Candidates no longer looks in ../lib/libchdb.so: the image puts the library there")
}

// ---------------------------------------------------------------------------
// docker compose

func TestCompose(t *testing.T) {
	raw := readFile(t, "compose/compose.yaml")
	var doc struct {
		Services map[string]struct {
			Image       string         `yaml:"image"`
			Build       map[string]any `yaml:"build"`
			Command     []string       `yaml:"command"`
			Environment map[string]any `yaml:"environment"`
			EnvFile     any            `yaml:"env_file"`
			Volumes     []string       `yaml:"volumes"`
			DependsOn   map[string]struct {
				Condition string `yaml:"condition"`
			} `yaml:"depends_on"`
			Healthcheck map[string]any `yaml:"healthcheck"`
			Ports       []string       `yaml:"ports"`
			StopGrace   string         `yaml:"stop_grace_period"`
		} `yaml:"services"`
		Volumes map[string]any `yaml:"volumes"`
	}
	if err := yaml.Unmarshal([]byte(raw), &doc); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"clickhouse", "migrate", "sillage"} {
		if _, ok := doc.Services[name]; !ok {
			t.Fatalf("no service %s", name)
		}
	}
	ch, mig, sl := doc.Services["clickhouse"], doc.Services["migrate"], doc.Services["sillage"]
	if !regexp.MustCompile(`^clickhouse/clickhouse-server:\$\{CLICKHOUSE_VERSION:-25\.\d+\}$`).MatchString(ch.Image) {
		t.Errorf("clickhouse image %q: want clickhouse/clickhouse-server:25.x", ch.Image)
	}
	for name, svc := range map[string]any{"clickhouse": ch.Healthcheck, "sillage": sl.Healthcheck} {
		hc := svc.(map[string]any)
		if hc["test"] == nil {
			t.Errorf("%s has no health check", name)
		}
	}
	if !strings.Contains(fmt.Sprint(sl.Healthcheck["test"]), "/usr/local/bin/sillage-healthcheck") {
		t.Errorf("sillage's health check should be the image's /readyz script: %v", sl.Healthcheck["test"])
	}
	if fmt.Sprint(mig.Command) != "[migrate up]" || mig.DependsOn["clickhouse"].Condition != "service_healthy" {
		t.Errorf("migrate: %v after %+v", mig.Command, mig.DependsOn)
	}
	if sl.DependsOn["migrate"].Condition != "service_completed_successfully" || sl.DependsOn["clickhouse"].Condition != "service_healthy" {
		t.Errorf("sillage must start after the migrations and a healthy ClickHouse: %+v", sl.DependsOn)
	}
	if fmt.Sprint(sl.Command) != "[serve]" || !strings.HasPrefix(fmt.Sprint(sl.Environment["SILLAGE_CLICKHOUSE_URL"]), "clickhouse://") {
		t.Errorf("sillage must serve in server mode: %v %v", sl.Command, sl.Environment)
	}
	if g, err := time.ParseDuration(sl.StopGrace); err != nil || g < 60*time.Second {
		t.Errorf("sillage stop_grace_period %q: want at least 60s to flush", sl.StopGrace)
	}
	for _, p := range sl.Ports {
		if !strings.HasPrefix(p, "127.0.0.1:") {
			t.Errorf("port %s is published on every interface: keep it for the local reverse proxy", p)
		}
	}
	if len(ch.Ports) != 0 {
		t.Errorf("ClickHouse ports are published: %v", ch.Ports)
	}
	// The build is deploy/Dockerfile's server target.
	if sl.Build["dockerfile"] != "deploy/Dockerfile" || sl.Build["target"] != "server" || sl.Build["context"] != "../.." {
		t.Errorf("build %v", sl.Build)
	}

	// Volumes: named ones declared, bind mounts present in the repository.
	for name, svc := range map[string][]string{"clickhouse": ch.Volumes, "sillage": sl.Volumes} {
		if len(svc) == 0 {
			t.Errorf("%s has no volume", name)
		}
		for _, v := range svc {
			src := strings.Split(v, ":")[0]
			if strings.HasPrefix(src, ".") {
				if _, err := os.Stat(filepath.Join("compose", src)); err != nil {
					t.Errorf("%s mounts %s: %v", name, src, err)
				}
			} else if _, ok := doc.Volumes[src]; !ok {
				t.Errorf("%s uses volume %s, not declared", name, src)
			}
		}
	}
	if !strings.Contains(strings.Join(sl.Volumes, " "), ":/var/lib/sillage") {
		t.Error("sillage's write-ahead log (/var/lib/sillage) is not on a volume")
	}
	if !strings.Contains(strings.Join(ch.Volumes, " "), ":/var/lib/clickhouse") {
		t.Error("ClickHouse data is not on a volume")
	}

	// No default password anywhere: every reference to a password variable
	// is ${VAR:?message}, and no environment entry holds a literal one.
	for _, m := range regexp.MustCompile(`\$\{([A-Z_]*PASSWORD[A-Z_]*)([^}]*)\}`).FindAllStringSubmatch(raw, -1) {
		if !strings.HasPrefix(m[2], ":?") {
			t.Errorf("${%s%s}: a password must be required with :?, not defaulted", m[1], m[2])
		}
	}
	for name, svc := range doc.Services {
		for k, v := range svc.Environment {
			s := fmt.Sprint(v)
			if strings.Contains(k, "PASSWORD") && !strings.HasPrefix(s, "${") {
				t.Errorf("%s: %s has a literal value", name, k)
			}
			if strings.Contains(s, "clickhouse://") && !regexp.MustCompile(`://[^:]+:\$\{[A-Z_]+:\?`).MatchString(s) {
				t.Errorf("%s: %s embeds a password that is not a required variable: %s", name, k, s)
			}
		}
	}
	for _, line := range strings.Split(readFile(t, "compose/env.example"), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(k, "#") && strings.Contains(k, "PASSWORD") && v != "" {
			t.Errorf("env.example gives %s a value", k)
		}
	}
	// The operator's .env holds the password: it may exist in a checkout,
	// never in the repository.
	if git, err := exec.LookPath("git"); err == nil {
		if r := run(t, nil, git, "ls-files", "--error-unmatch", "compose/.env"); r.code == 0 {
			t.Error("deploy/compose/.env is tracked by git: it holds the operator's password")
		}
	}
}

// The ClickHouse configuration of the compose setup: well-formed, tuned, and
// every setting name known to the engine.
func TestClickHouseConfig(t *testing.T) {
	type node struct {
		XMLName xml.Name
		Attrs   []xml.Attr `xml:",any,attr"`
		Text    string     `xml:",chardata"`
		Nodes   []node     `xml:",any"`
	}
	parse := func(path string) node {
		var n node
		if err := xml.Unmarshal([]byte(readFile(t, path)), &n); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if n.XMLName.Local != "clickhouse" {
			t.Fatalf("%s: root element %s, want clickhouse", path, n.XMLName.Local)
		}
		return n
	}
	server := parse("compose/clickhouse/config.d/sillage.xml")
	logs := parse("compose/clickhouse/config.d/system-logs.xml")
	users := parse("compose/clickhouse/users.d/sillage.xml")

	var serverSettings []string
	values := map[string]string{}
	for _, n := range server.Nodes {
		if len(n.Nodes) == 0 {
			serverSettings = append(serverSettings, n.XMLName.Local)
			values[n.XMLName.Local] = strings.TrimSpace(n.Text)
		}
	}
	for _, want := range []string{"max_server_memory_usage_to_ram_ratio", "mark_cache_size", "uncompressed_cache_size", "background_pool_size"} {
		if values[want] == "" {
			t.Errorf("config.d/sillage.xml does not set %s", want)
		}
	}
	if r, _ := strconv.ParseFloat(values["max_server_memory_usage_to_ram_ratio"], 64); r <= 0 || r > 0.9 {
		t.Errorf("max_server_memory_usage_to_ram_ratio %s: leave room for sillage", values["max_server_memory_usage_to_ram_ratio"])
	}
	if n, _ := strconv.ParseInt(values["mark_cache_size"], 10, 64); n <= 0 || n > 1<<30 {
		t.Errorf("mark_cache_size %s: want a small-server size (at most 1 GiB)", values["mark_cache_size"])
	}

	removed, kept := map[string]bool{}, map[string]node{}
	for _, n := range logs.Nodes {
		for _, a := range n.Attrs {
			if a.Name.Local == "remove" {
				removed[n.XMLName.Local] = true
			}
		}
		if !removed[n.XMLName.Local] {
			kept[n.XMLName.Local] = n
		}
	}
	for _, want := range []string{"query_thread_log", "trace_log", "text_log"} {
		if !removed[want] {
			t.Errorf("%s is not removed", want)
		}
	}
	for name, n := range kept {
		var engine, flush string
		for _, c := range n.Nodes {
			switch c.XMLName.Local {
			case "engine":
				engine = c.Text
			case "flush_interval_milliseconds":
				flush = c.Text
			}
		}
		if !strings.Contains(engine, " TTL ") {
			t.Errorf("%s has no TTL: %q", name, engine)
		}
		if ms, _ := strconv.Atoi(flush); ms <= 0 || ms > 10000 {
			t.Errorf("%s flushes every %q ms: want at most 10 s", name, flush)
		}
	}

	var profileSettings []string
	var walk func(n node, path string)
	walk = func(n node, path string) {
		if n.XMLName.Local == "password" || strings.HasPrefix(n.XMLName.Local, "password_") {
			t.Errorf("users.d sets a password (%s): passwords come from the environment", path)
		}
		for _, c := range n.Nodes {
			walk(c, path+"/"+c.XMLName.Local)
		}
	}
	walk(users, "")
	for _, p := range users.Nodes {
		if p.XMLName.Local != "profiles" {
			continue
		}
		for _, prof := range p.Nodes {
			for _, s := range prof.Nodes {
				profileSettings = append(profileSettings, s.XMLName.Local)
			}
		}
	}
	if len(profileSettings) == 0 {
		t.Error("users.d/sillage.xml sets no profile setting")
	}

	// The names, checked by the ClickHouse engine itself (chDB 26.7, a
	// newer release than the 25.x server: a name it knows exists there or
	// was renamed since, which the image's start would reveal).
	lib, err := chdb.Find("")
	if err != nil {
		t.Skipf("setting names not checked against the engine (run `make chdb`): %v", err)
	}
	names, _ := json.Marshal(map[string][]string{"server": serverSettings, "profile": profileSettings})
	r := helper(t, "settings", t.TempDir(), lib, "SILLAGE_DEPLOY_NAMES="+string(names))
	if r.code != 0 {
		t.Fatalf("settings helper: %+v", r)
	}
	var unknown map[string][]string
	if err := json.Unmarshal([]byte(r.stdout), &unknown); err != nil {
		t.Fatalf("%v: %q", err, r.stdout)
	}
	if len(unknown["server"]) > 0 || len(unknown["profile"]) > 0 {
		t.Fatalf("unknown to the engine: server settings %v, profile settings %v", unknown["server"], unknown["profile"])
	}
}

// ---------------------------------------------------------------------------
// Helm chart

const (
	chartDir        = "helm/sillage"
	releaseName     = "sillage"
	releaseNS       = "analytics"
	testKubeVersion = "v1.31.0"
)

func loadChart(t *testing.T) *chart.Chart {
	t.Helper()
	c, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func valuesFile(t *testing.T, path string) map[string]any {
	t.Helper()
	if path == "" {
		return map[string]any{}
	}
	v, err := chartutil.ReadValuesFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return v.AsMap()
}

// render is `helm template` (an install, no cluster): file name → output.
func render(t *testing.T, c *chart.Chart, vals map[string]any, upgrade bool) map[string]string {
	t.Helper()
	caps := chartutil.DefaultCapabilities.Copy()
	kv, err := chartutil.ParseKubeVersion(testKubeVersion)
	if err != nil {
		t.Fatal(err)
	}
	caps.KubeVersion = *kv
	opts := chartutil.ReleaseOptions{Name: releaseName, Namespace: releaseNS, Revision: 1, IsInstall: !upgrade, IsUpgrade: upgrade}
	rv, err := chartutil.ToRenderValues(c, vals, opts, caps)
	if err != nil {
		t.Fatal(err)
	}
	out, err := engine.Render(c, rv)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

type manifest struct {
	source string
	text   string
	obj    map[string]any
}

// manifests splits the rendered files into documents, sorted for a stable
// golden file, and parses each one.
func manifests(t *testing.T, files map[string]string) []manifest {
	t.Helper()
	names := make([]string, 0, len(files))
	for n := range files {
		if strings.HasSuffix(n, ".yaml") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var out []manifest
	for _, n := range names {
		for _, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(files[n], -1) {
			if strings.TrimSpace(regexp.MustCompile(`(?m)^\s*#.*$`).ReplaceAllString(doc, "")) == "" {
				continue
			}
			var obj map[string]any
			if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
				t.Fatalf("%s does not parse: %v\n%s", n, err, doc)
			}
			out = append(out, manifest{n, strings.TrimSpace(doc), obj})
		}
	}
	return out
}

func golden(t *testing.T, path string, ms []manifest) {
	t.Helper()
	var b strings.Builder
	b.WriteString("# Rendered by deploy/deploy_test.go (cd deploy && go test . -update rewrites it).\n")
	for _, m := range ms {
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", m.source, m.text)
	}
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run cd deploy && go test . -update)", err)
	}
	if string(want) != b.String() {
		t.Errorf("the chart renders differently from %s: check the change, then cd deploy && go test . -update\n%s", path, firstDiff(string(want), b.String()))
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n  golden: %q\n  now:    %q", i+1, x, y)
		}
	}
	return ""
}

// get walks a parsed manifest: get(obj, "spec", "template", 0, "name").
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func str(v any, path ...any) string {
	s, _ := get(v, path...).(string)
	return s
}

func list(v any, path ...any) []any {
	l, _ := get(v, path...).([]any)
	return l
}

func byKind(ms []manifest) map[string]map[string]map[string]any {
	out := map[string]map[string]map[string]any{}
	for _, m := range ms {
		k := str(m.obj, "kind")
		if out[k] == nil {
			out[k] = map[string]map[string]any{}
		}
		out[k][str(m.obj, "metadata", "name")] = m.obj
	}
	return out
}

// kubeTypes are the Kubernetes API types the chart renders; the operators'
// custom resources (no Go types here) are checked field by field instead.
var kubeTypes = map[string]func() any{
	"apps/v1 Deployment":            func() any { return &appsv1.Deployment{} },
	"apps/v1 StatefulSet":           func() any { return &appsv1.StatefulSet{} },
	"batch/v1 Job":                  func() any { return &batchv1.Job{} },
	"v1 Service":                    func() any { return &corev1.Service{} },
	"v1 Secret":                     func() any { return &corev1.Secret{} },
	"v1 ServiceAccount":             func() any { return &corev1.ServiceAccount{} },
	"networking.k8s.io/v1 Ingress":  func() any { return &networkingv1.Ingress{} },
	"policy/v1 PodDisruptionBudget": func() any { return &policyv1.PodDisruptionBudget{} },
}

// checkManifests holds what every rendering of the chart must satisfy.
func checkManifests(t *testing.T, ms []manifest) map[string]map[string]map[string]any {
	t.Helper()
	kinds := byKind(ms)
	secrets := map[string]map[string]any{}
	for name, s := range kinds["Secret"] {
		secrets[name], _ = get(s, "stringData").(map[string]any)
	}
	for _, m := range ms {
		o := m.obj
		where := m.source + " " + str(o, "kind") + "/" + str(o, "metadata", "name")
		if str(o, "apiVersion") == "" || str(o, "kind") == "" || str(o, "metadata", "name") == "" {
			t.Errorf("%s: apiVersion, kind and metadata.name are required", where)
		}
		// Kubernetes' own types, strictly: a misspelled or misplaced field,
		// or a value of the wrong type, fails here as the API server would
		// refuse it.
		if typed, ok := kubeTypes[str(o, "apiVersion")+" "+str(o, "kind")]; ok {
			if err := k8syaml.UnmarshalStrict([]byte(m.text), typed()); err != nil {
				t.Errorf("%s: not a valid %s: %v", where, str(o, "kind"), err)
			}
		} else if !strings.Contains(str(o, "apiVersion"), "altinity.com/") && str(o, "kind") != "ServiceMonitor" {
			t.Errorf("%s: %s %s is not checked against its type", where, str(o, "apiVersion"), str(o, "kind"))
		}
		if ns := str(o, "metadata", "namespace"); ns != releaseNS {
			t.Errorf("%s: namespace %q, want %q", where, ns, releaseNS)
		}
		if len(str(o, "metadata", "name")) > 63 {
			t.Errorf("%s: name longer than 63 characters", where)
		}
		var pod any
		switch str(o, "kind") {
		case "Deployment", "StatefulSet", "Job":
			pod = get(o, "spec", "template", "spec")
		}
		if pod == nil {
			continue
		}
		if get(pod, "securityContext", "runAsNonRoot") != true {
			t.Errorf("%s: pod securityContext.runAsNonRoot is not true", where)
		}
		if sel, _ := get(o, "spec", "selector", "matchLabels").(map[string]any); str(o, "kind") != "Job" {
			labels, _ := get(o, "spec", "template", "metadata", "labels").(map[string]any)
			if len(sel) == 0 {
				t.Errorf("%s: no selector", where)
			}
			for k, v := range sel {
				if labels[k] != v {
					t.Errorf("%s: selector %s=%v does not match the pod labels", where, k, v)
				}
			}
		}
		containers := append(list(pod, "initContainers"), list(pod, "containers")...)
		if len(list(pod, "containers")) == 0 {
			t.Errorf("%s: no containers", where)
		}
		for i, c := range containers {
			cw := fmt.Sprintf("%s container %d (%s)", where, i, str(c, "name"))
			if str(c, "image") == "" {
				t.Errorf("%s: no image", cw)
			}
			if get(c, "resources", "requests") == nil || get(c, "resources", "limits", "memory") == nil {
				t.Errorf("%s: resources need requests and a memory limit", cw)
			}
			if get(c, "securityContext", "allowPrivilegeEscalation") != false {
				t.Errorf("%s: allowPrivilegeEscalation is not false", cw)
			}
			for _, e := range list(c, "env") {
				ref := get(e, "valueFrom", "secretKeyRef")
				if ref == nil {
					continue
				}
				data, ok := secrets[str(ref, "name")]
				if !ok {
					t.Errorf("%s: env %s reads Secret %s, which the chart does not render", cw, str(e, "name"), str(ref, "name"))
				} else if _, ok := data[str(ref, "key")]; !ok {
					t.Errorf("%s: env %s reads key %s, missing from Secret %s", cw, str(e, "name"), str(ref, "key"), str(ref, "name"))
				}
			}
		}
		if str(o, "kind") == "Job" {
			continue
		}
		for _, c := range list(pod, "containers") {
			cw := where + " container " + str(c, "name")
			if p := str(c, "readinessProbe", "httpGet", "path"); p != "/readyz" {
				t.Errorf("%s: readiness probe on %q, want /readyz", cw, p)
			}
			if p := str(c, "livenessProbe", "httpGet", "path"); p != "/healthz" {
				t.Errorf("%s: liveness probe on %q, want /healthz", cw, p)
			}
			if get(c, "securityContext", "readOnlyRootFilesystem") != true {
				t.Errorf("%s: root file system is writable", cw)
			}
		}
		if g, _ := get(pod, "terminationGracePeriodSeconds").(int); g < 30 {
			t.Errorf("%s: terminationGracePeriodSeconds %v: the WAL flush needs time", where, get(pod, "terminationGracePeriodSeconds"))
		}
	}

	// Services select pods that exist (except the deliberate blackhole),
	// and the Ingress and PDBs point at what the chart renders.
	podLabels := map[string]map[string]any{}
	for _, kind := range []string{"Deployment", "StatefulSet"} {
		for name, o := range kinds[kind] {
			podLabels[name], _ = get(o, "spec", "template", "metadata", "labels").(map[string]any)
		}
	}
	// An empty or missing selector counts as selecting nothing, so a
	// manifest that lost its selector fails here.
	matches := func(sel map[string]any) bool {
		if len(sel) == 0 {
			return false
		}
		for _, labels := range podLabels {
			ok := true
			for k, v := range sel {
				if labels[k] != v {
					ok = false
				}
			}
			if ok {
				return true
			}
		}
		return false
	}
	for name, s := range kinds["Service"] {
		sel, _ := get(s, "spec", "selector").(map[string]any)
		if matches(sel) == strings.HasSuffix(name, "-blocked") {
			t.Errorf("Service %s selector %v: selects pods %v (only -blocked must select none)", name, sel, matches(sel))
		}
	}
	for name, p := range kinds["PodDisruptionBudget"] {
		sel, _ := get(p, "spec", "selector", "matchLabels").(map[string]any)
		if !matches(sel) {
			t.Errorf("PodDisruptionBudget %s selects nothing", name)
		}
	}
	for _, ing := range kinds["Ingress"] {
		for _, rule := range list(ing, "spec", "rules") {
			for _, p := range list(rule, "http", "paths") {
				svc := str(p, "backend", "service", "name")
				if _, ok := kinds["Service"][svc]; !ok {
					t.Errorf("Ingress path %s → Service %s, not rendered", str(p, "path"), svc)
				}
			}
		}
	}
	return kinds
}

func ingressRoutes(ing map[string]any) map[string]string {
	out := map[string]string{}
	for _, rule := range list(ing, "spec", "rules") {
		for _, p := range list(rule, "http", "paths") {
			out[str(p, "pathType")+" "+str(p, "path")] = str(p, "backend", "service", "name")
		}
	}
	return out
}

func envOf(c any) map[string]any {
	out := map[string]any{}
	for _, e := range list(c, "env") {
		if v, ok := get(e, "value").(string); ok {
			out[str(e, "name")] = v
		} else {
			out[str(e, "name")] = get(e, "valueFrom")
		}
	}
	return out
}

func TestHelmChartOperator(t *testing.T) {
	c := loadChart(t)
	files := render(t, c, valuesFile(t, chartDir+"/ci/test-values.yaml"), false)
	if strings.TrimSpace(files["sillage/templates/NOTES.txt"]) == "" {
		t.Error("NOTES.txt renders empty")
	}
	ms := manifests(t, files)
	golden(t, "testdata/helm-golden.yaml", ms)
	kinds := checkManifests(t, ms)

	full := releaseName
	sts := kinds["StatefulSet"][full+"-collector"]
	if sts == nil {
		t.Fatalf("no collector StatefulSet; rendered %v", keys(kinds))
	}
	col := get(sts, "spec", "template", "spec", "containers", 0)
	if fmt.Sprint(get(col, "args")) != "[collect]" {
		t.Errorf("collector args %v", get(col, "args"))
	}
	// The WAL is on the per-pod claim, which outlives the pod.
	env := envOf(col)
	var walMount string
	for _, m := range list(col, "volumeMounts") {
		if str(m, "name") == "wal" {
			walMount = str(m, "mountPath")
		}
	}
	if walMount == "" || !strings.HasPrefix(fmt.Sprint(env["SILLAGE_WAL_DIR"]), walMount) {
		t.Errorf("SILLAGE_WAL_DIR %v is not on the wal volume (%q)", env["SILLAGE_WAL_DIR"], walMount)
	}
	if str(sts, "spec", "volumeClaimTemplates", 0, "metadata", "name") != "wal" {
		t.Error("the collector has no volumeClaimTemplate for its WAL")
	}
	if _, ok := kinds["Service"][str(sts, "spec", "serviceName")]; !ok {
		t.Errorf("StatefulSet serviceName %s is not rendered", str(sts, "spec", "serviceName"))
	}
	if env["SILLAGE_TRUSTED_PROXIES"] == "" || env["SILLAGE_GEOIP_DB"] == nil {
		t.Errorf("collector env: %v", env)
	}
	if svc := kinds["Service"][full+"-collector"]; str(svc, "spec", "sessionAffinity") != "ClientIP" {
		t.Error("the collector Service has no ClientIP affinity")
	}
	q := kinds["Deployment"][full+"-query"]
	if fmt.Sprint(get(q, "spec", "template", "spec", "containers", 0, "args")) != "[query]" {
		t.Errorf("query args %v", get(q, "spec", "template", "spec", "containers", 0, "args"))
	}
	// Every query replica gets the same --secret.
	if qe := envOf(get(q, "spec", "template", "spec", "containers", 0)); str(qe["SILLAGE_SECRET"], "secretKeyRef", "key") != "secret" || qe["SILLAGE_TRUSTED_PROXIES"] == nil {
		t.Errorf("query env: %v", qe)
	}

	routes := ingressRoutes(kinds["Ingress"][full])
	want := map[string]string{
		"Exact /api/event": full + "-collector",
		"Prefix /js":       full + "-collector",
		"Exact /metrics":   full + "-blocked",
		"Prefix /":         full + "-query",
	}
	if fmt.Sprint(routes) != fmt.Sprint(want) {
		t.Errorf("Ingress routes %v, want %v", routes, want)
	}

	// Migrations: after the cluster exists on install, before new pods on upgrade.
	job := kinds["Job"][full+"-migrate"]
	if h := str(job, "metadata", "annotations", "helm.sh/hook"); h != "post-install,pre-upgrade" {
		t.Errorf("migrations hook %q with the operator", h)
	}
	if a := fmt.Sprint(get(job, "spec", "template", "spec", "containers", 0, "args")); a != "[migrate up --cluster sillage]" {
		t.Errorf("migrations args %s", a)
	}
	if str(job, "spec", "template", "spec", "initContainers", 0, "name") != "create-database" {
		t.Error("no create-database init container with the operator")
	}
	secret := kinds["Secret"][full+"-clickhouse"]
	sw, _ := strconv.Atoi(str(secret, "metadata", "annotations", "helm.sh/hook-weight"))
	jw, _ := strconv.Atoi(str(job, "metadata", "annotations", "helm.sh/hook-weight"))
	if !strings.Contains(str(secret, "metadata", "annotations", "helm.sh/hook"), "pre-install") || sw >= jw {
		t.Errorf("the Secret (hook %q, weight %d) must exist before the Job (weight %d)",
			str(secret, "metadata", "annotations", "helm.sh/hook"), sw, jw)
	}
	if u := str(secret, "stringData", "url"); u != "clickhouse://sillage:test-password-not-secret@clickhouse-sillage.analytics.svc:9000/sillage" {
		t.Errorf("ClickHouse URL %q", u)
	}

	// The ClickHouse cluster and its Keeper.
	chi := kinds["ClickHouseInstallation"][full]
	if chi == nil || str(chi, "apiVersion") != "clickhouse.altinity.com/v1" {
		t.Fatalf("no ClickHouseInstallation: %v", keys(kinds))
	}
	if str(chi, "spec", "configuration", "clusters", 0, "name") != "sillage" {
		t.Error("the ClickHouse cluster is not named as --cluster")
	}
	if r, _ := get(chi, "spec", "configuration", "clusters", 0, "layout", "replicasCount").(int); r < 2 {
		t.Errorf("replicasCount %d: want replication", r)
	}
	if h := str(chi, "spec", "configuration", "zookeeper", "nodes", 0, "host"); h != "keeper-"+full {
		t.Errorf("Keeper host %q, want the operator's keeper-%s", h, full)
	}
	if p := str(chi, "spec", "configuration", "users", "sillage/k8s_secret_password"); p != full+"-clickhouse/password" {
		t.Errorf("ClickHouse user password from %q", p)
	}
	for _, pt := range append(list(chi, "spec", "templates", "podTemplates"), list(kinds["ClickHouseKeeperInstallation"][full], "spec", "templates", "podTemplates")...) {
		for _, c := range list(pt, "spec", "containers") {
			if str(c, "image") == "" || get(c, "resources", "limits", "memory") == nil {
				t.Errorf("operator pod template %s: container %s needs an image and a memory limit", str(pt, "name"), str(c, "name"))
			}
		}
		if get(pt, "spec", "securityContext", "runAsNonRoot") != true {
			t.Errorf("operator pod template %s is not runAsNonRoot", str(pt, "name"))
		}
	}
	chk := kinds["ClickHouseKeeperInstallation"][full]
	if r, _ := get(chk, "spec", "configuration", "clusters", 0, "layout", "replicasCount").(int); r != 3 {
		t.Errorf("Keeper replicas %d, want 3", r)
	}
	if sm := kinds["ServiceMonitor"][full]; str(sm, "spec", "endpoints", 0, "path") != "/metrics" {
		t.Error("no ServiceMonitor on /metrics")
	}
	for _, k := range []string{"PodDisruptionBudget"} {
		if len(kinds[k]) != 2 {
			t.Errorf("%d %s, want one for the collectors and one for the query service", len(kinds[k]), k)
		}
	}
}

func TestHelmChartExternalClickHouse(t *testing.T) {
	ms := manifests(t, render(t, loadChart(t), valuesFile(t, chartDir+"/ci/external-values.yaml"), false))
	golden(t, "testdata/helm-golden-external.yaml", ms)
	kinds := checkManifests(t, ms)
	if len(kinds["ClickHouseInstallation"])+len(kinds["ClickHouseKeeperInstallation"]) != 0 {
		t.Error("operator resources rendered for an external ClickHouse")
	}
	job := kinds["Job"][releaseName+"-migrate"]
	if h := str(job, "metadata", "annotations", "helm.sh/hook"); h != "pre-install,pre-upgrade" {
		t.Errorf("migrations hook %q, want pre-install,pre-upgrade", h)
	}
	if len(list(job, "spec", "template", "spec", "initContainers")) != 0 {
		t.Error("create-database runs against an external ClickHouse")
	}
	if u := str(kinds["Secret"][releaseName+"-clickhouse"], "stringData", "url"); u != "clickhouse://sillage:test-password-not-secret@ch.analytics.svc:9000/sillage?dial_timeout=10s" {
		t.Errorf("URL %q", u)
	}
	if len(kinds["ServiceMonitor"]) != 0 {
		t.Error("ServiceMonitor rendered though disabled")
	}
}

// With no values at all the chart installs: the password is generated.
func TestHelmChartDefaults(t *testing.T) {
	c := loadChart(t)
	kinds := checkManifests(t, manifests(t, render(t, c, nil, false)))
	pw := str(kinds["Secret"][releaseName+"-clickhouse"], "stringData", "password")
	if len(pw) != 32 {
		t.Errorf("generated password %q: want 32 characters", pw)
	}
	if s := str(kinds["Secret"][releaseName+"-clickhouse"], "stringData", "secret"); len(s) < 32 {
		t.Errorf("generated query secret %q: sillage query wants 32 characters or more", s)
	}
	// Values that cannot work are refused with a message.
	bad := map[string]any{"clickhouse": map[string]any{"operator": map[string]any{"enabled": false}}}
	caps := chartutil.DefaultCapabilities
	rv, err := chartutil.ToRenderValues(c, bad, chartutil.ReleaseOptions{Name: releaseName, Namespace: releaseNS, IsInstall: true}, caps)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := engine.Render(c, rv); err == nil || !strings.Contains(err.Error(), "clickhouse.host is required") {
		t.Errorf("external ClickHouse without a host: %v", err)
	}
}

// helm lint, through Helm's own linter, with the default values and with
// each CI values file.
func TestHelmLint(t *testing.T) {
	kv, err := chartutil.ParseKubeVersion(testKubeVersion)
	if err != nil {
		t.Fatal(err)
	}
	for _, vf := range []string{"", chartDir + "/ci/test-values.yaml", chartDir + "/ci/external-values.yaml"} {
		linter := lint.AllWithKubeVersion(chartDir, valuesFile(t, vf), releaseNS, kv)
		for _, m := range linter.Messages {
			switch {
			case m.Severity >= support.WarningSev:
				t.Errorf("helm lint (values %q): %s", vf, m.Error())
			default:
				t.Logf("helm lint (values %q): %s", vf, m.Error())
			}
		}
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ---------------------------------------------------------------------------
// Monitoring: metrics named in the rules, the dashboard and the README exist.

// codeMetrics reads the metric names the collector registers.
func codeMetrics(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	files, _ := filepath.Glob(filepath.Join(repoRoot, "collector", "*.go"))
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		for _, m := range regexp.MustCompile(`Name:\s*"(sillage_[a-z_]+)"`).FindAllStringSubmatch(readFile(t, f), -1) {
			out[m[1]] = true
		}
	}
	if len(out) < 10 {
		t.Fatalf("found only %d metrics in collector/: %v", len(out), out)
	}
	return out
}

var standardMetrics = map[string]bool{
	"up": true, "process_resident_memory_bytes": true, "process_cpu_seconds_total": true,
	"process_open_fds": true, "go_goroutines": true,
}

// checkExpr checks a PromQL expression's brackets and metric names.
func checkExpr(t *testing.T, where, expr string, known map[string]bool) {
	t.Helper()
	depth := map[rune]int{}
	pairs := map[rune]rune{')': '(', ']': '[', '}': '{'}
	for _, r := range expr {
		switch r {
		case '(', '[', '{':
			depth[r]++
		case ')', ']', '}':
			depth[pairs[r]]--
			if depth[pairs[r]] < 0 {
				t.Errorf("%s: unbalanced %c in %s", where, r, expr)
				return
			}
		}
	}
	for r, d := range depth {
		if d != 0 {
			t.Errorf("%s: unclosed %c in %s", where, r, expr)
		}
	}
	for _, m := range regexp.MustCompile(`\b((?:sillage|process|go)_[a-z_]+|up)\b`).FindAllString(expr, -1) {
		base := regexp.MustCompile(`_(bucket|sum|count)$`).ReplaceAllString(m, "")
		if !known[m] && !known[base] && !standardMetrics[m] {
			t.Errorf("%s: metric %s does not exist", where, m)
		}
	}
}

func TestPrometheusAlerts(t *testing.T) {
	known := codeMetrics(t)
	var rules struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	dec := yaml.NewDecoder(strings.NewReader(readFile(t, "prometheus/alerts.yaml")))
	dec.KnownFields(true)
	if err := dec.Decode(&rules); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	n := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			n++
			if r.Alert == "" || r.Expr == "" || seen[r.Alert] {
				t.Errorf("rule %+v: needs a unique alert name and an expr", r)
			}
			seen[r.Alert] = true
			if sev := r.Labels["severity"]; sev != "critical" && sev != "warning" && sev != "info" {
				t.Errorf("%s: severity %q", r.Alert, sev)
			}
			if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("%s: needs a summary and a description", r.Alert)
			}
			if r.For != "" {
				if _, err := time.ParseDuration(r.For); err != nil {
					t.Errorf("%s: for %q: %v", r.Alert, r.For, err)
				}
			}
			checkExpr(t, r.Alert, r.Expr, known)
		}
	}
	for _, must := range []string{"SillageDown", "SillageEventsNotStored", "SillageEventsRejected", "SillageWALFilling"} {
		if !seen[must] {
			t.Errorf("no %s alert", must)
		}
	}
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skipf("promtool not installed: %d rules parsed and checked here only", n)
	}
	if r := run(t, nil, promtool, "check", "rules", "prometheus/alerts.yaml"); r.code != 0 {
		t.Fatalf("promtool check rules: %+v", r)
	}
}

func TestGrafanaDashboard(t *testing.T) {
	known := codeMetrics(t)
	var dash struct {
		UID        string `json:"uid"`
		Title      string `json:"title"`
		Templating struct {
			List []struct {
				Name string `json:"name"`
			} `json:"list"`
		} `json:"templating"`
		Panels []struct {
			ID      int    `json:"id"`
			Type    string `json:"type"`
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal([]byte(readFile(t, "grafana/sillage.json")), &dash); err != nil {
		t.Fatal(err)
	}
	if dash.UID == "" || dash.Title == "" || len(dash.Panels) < 10 {
		t.Fatalf("dashboard uid %q title %q with %d panels", dash.UID, dash.Title, len(dash.Panels))
	}
	vars := map[string]bool{}
	for _, v := range dash.Templating.List {
		vars[v.Name] = true
	}
	if !vars["datasource"] || !vars["instance"] {
		t.Errorf("variables %v: want datasource and instance", vars)
	}
	ids, used := map[int]bool{}, map[string]bool{}
	for _, p := range dash.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d twice", p.ID)
		}
		ids[p.ID] = true
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			checkExpr(t, "panel "+p.Title, tg.Expr, known)
			for _, m := range regexp.MustCompile(`sillage_[a-z_]+`).FindAllString(tg.Expr, -1) {
				used[regexp.MustCompile(`_(bucket|sum|count)$`).ReplaceAllString(m, "")] = true
			}
		}
	}
	for m := range known {
		if !used[m] {
			t.Errorf("metric %s is on no dashboard panel", m)
		}
	}
}

// The README lists every metric and links only to files that exist.
func TestReadme(t *testing.T) {
	docs, _ := filepath.Glob("*.md")
	if len(docs) == 0 {
		t.Fatal("no README")
	}
	readme := readFile(t, "README.md")
	for m := range codeMetrics(t) {
		if !strings.Contains(readme, m) {
			t.Errorf("README.md does not document %s", m)
		}
	}
	for _, doc := range docs {
		text := readFile(t, doc)
		for _, m := range regexp.MustCompile(`\]\(([^)#]+)(#[^)]*)?\)`).FindAllStringSubmatch(text, -1) {
			link := m[1]
			if strings.Contains(link, "://") || strings.HasPrefix(link, "mailto:") {
				continue
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(doc), link)); err != nil {
				t.Errorf("%s links to %s, which does not exist", doc, link)
			}
		}
	}
	for _, want := range []string{"BENCHMARKS.md", "RGPD", "BACKUP DATABASE", "sillage collect", "sillage query", "could not be run"} {
		if !strings.Contains(readme, want) {
			t.Errorf("README.md does not mention %q", want)
		}
	}
}

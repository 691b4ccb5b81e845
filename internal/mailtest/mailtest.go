// Package mailtest runs Mailpit, a real SMTP server with an HTTP API, for
// tests that send mail, and reads what arrived.
//
// Mailpit is kept out of the product's go.mod: tools/mailpit is a module of
// its own that pins it, and Binary builds it once with `go build` into the
// user's cache folder (the Go module proxy is all it needs), reused by
// every later run. SILLAGE_MAILPIT names a binary to use instead.
package mailtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage/internal/proctest"
)

// Version is the Mailpit that tools/mailpit pins.
const Version = "v1.33.1"

// Binary returns the path of a Mailpit binary, building it on first use.
func Binary(t testing.TB) string {
	t.Helper()
	p, err := BuildBinary(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// BuildBinary builds Mailpit into the cache folder unless it is there, and
// returns its path. Builds of several test processes at once wait for the
// first (a lock file), so the 2-minute build runs once.
func BuildBinary(ctx context.Context) (string, error) {
	if p := os.Getenv("SILLAGE_MAILPIT"); p != "" {
		return p, nil
	}
	dir, err := toolDir()
	if err != nil {
		return "", err
	}
	sum, err := os.ReadFile(filepath.Join(dir, "go.sum"))
	if err != nil {
		return "", fmt.Errorf("mailtest: %w", err)
	}
	h := sha256.Sum256(sum)
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	cache = filepath.Join(cache, "sillage")
	bin := filepath.Join(cache, "mailpit-"+Version+"-"+hex.EncodeToString(h[:6]))
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", fmt.Errorf("mailtest: %w", err)
	}
	lock, err := os.OpenFile(bin+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", fmt.Errorf("mailtest: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("mailtest: lock %s: %w", lock.Name(), err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, err := os.Stat(bin); err == nil {
		return bin, nil // built by another process meanwhile
	}
	tmp := bin + ".tmp"
	cmd := exec.CommandContext(ctx, "go", "build", "-o", tmp, "github.com/axllent/mailpit")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("mailtest: build Mailpit in %s: %w\n%s", dir, err, out)
	}
	if err := os.Rename(tmp, bin); err != nil {
		return "", fmt.Errorf("mailtest: %w", err)
	}
	return bin, nil
}

// toolDir finds tools/mailpit above the working folder (tests run in
// their package's folder).
func toolDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "tools", "mailpit", "go.mod")
		if _, err := os.Stat(p); err == nil {
			return filepath.Dir(p), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("mailtest: tools/mailpit not found above the working folder")
		}
		dir = parent
	}
}

// Server is a running Mailpit.
type Server struct {
	// SMTPAddr is host:port of its SMTP listener, APIURL the base of its
	// HTTP API.
	SMTPAddr string
	APIURL   string
	cmd      *exec.Cmd
	out      *proctest.SyncBuffer
	done     chan struct{}
}

// Start runs Mailpit on free ports, stopped when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartOn(t, proctest.FreePort(t))
}

// StartOn runs Mailpit with its SMTP listener on smtpAddr (host:port), for
// tests that start a server where one was refused.
func StartOn(t testing.TB, smtpAddr string) *Server {
	t.Helper()
	bin := Binary(t)
	httpAddr := proctest.FreePort(t)
	s := &Server{SMTPAddr: smtpAddr, APIURL: "http://" + httpAddr, out: &proctest.SyncBuffer{}, done: make(chan struct{})}
	s.cmd = exec.Command(bin, "--smtp", smtpAddr, "--listen", httpAddr, "--database", filepath.Join(t.TempDir(), "mailpit.db"),
		"--smtp-auth-accept-any", "--smtp-auth-allow-insecure", "--disable-version-check", "--quiet")
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start Mailpit: %v", err)
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	t.Cleanup(s.Stop)
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.APIURL + "/api/v1/info")
		if err == nil {
			resp.Body.Close()
			if c, err := net.DialTimeout("tcp", smtpAddr, time.Second); err == nil {
				c.Close()
				if resp.StatusCode == http.StatusOK {
					return s
				}
			}
		}
		select {
		case <-s.done:
			t.Fatalf("Mailpit exited: %s", s.out.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("Mailpit not answering after 60 s: %s", s.out.String())
		}
	}
}

// Stop ends Mailpit (its SMTP port then refuses connections).
func (s *Server) Stop() {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// SMTPURL is the --smtp-url that reaches this server (no TLS, no login).
func (s *Server) SMTPURL() string { return "smtp+plain://" + s.SMTPAddr }

// Address is a mailbox with an optional name.
type Address struct {
	Name    string
	Address string
}

// Summary is a message as Mailpit lists it.
type Summary struct {
	ID      string
	From    Address
	To      []Address
	Subject string
	Created time.Time
}

// Recipients lists the To addresses.
func (m Summary) Recipients() []string {
	var out []string
	for _, a := range m.To {
		out = append(out, a.Address)
	}
	return out
}

// Message is one message in full.
type Message struct {
	Summary
	Text    string
	HTML    string
	Headers map[string][]string
}

// Messages lists what arrived, newest first.
func (s *Server) Messages(t testing.TB) []Summary {
	t.Helper()
	var out struct{ Messages []Summary }
	s.get(t, "/api/v1/messages?limit=500", &out)
	return out.Messages
}

// Message reads one message: its text, HTML and headers.
func (s *Server) Message(t testing.TB, id string) Message {
	t.Helper()
	var m Message
	s.get(t, "/api/v1/message/"+url.PathEscape(id), &m)
	s.get(t, "/api/v1/message/"+url.PathEscape(id)+"/headers", &m.Headers)
	return m
}

// WaitFor polls until a message for which match is true has arrived, and
// returns it in full; it fails the test after timeout.
func (s *Server) WaitFor(t testing.TB, timeout time.Duration, match func(Summary) bool) Message {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		for _, m := range s.Messages(t) {
			if match(m) {
				return s.Message(t, m.ID)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no matching message after %s; arrived: %s", timeout, s.describe(t))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// To matches a message sent to addr with a subject containing subject.
func To(addr, subject string) func(Summary) bool {
	return func(m Summary) bool {
		if !strings.Contains(m.Subject, subject) {
			return false
		}
		for _, a := range m.To {
			if strings.EqualFold(a.Address, addr) {
				return true
			}
		}
		return false
	}
}

// Clear deletes every message.
func (s *Server) Clear(t testing.TB) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, s.APIURL+"/api/v1/messages", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("Mailpit: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("Mailpit: delete messages: %s", resp.Status)
	}
}

func (s *Server) describe(t testing.TB) string {
	var b bytes.Buffer
	for _, m := range s.Messages(t) {
		fmt.Fprintf(&b, "\n  %q to %v", m.Subject, m.Recipients())
	}
	if b.Len() == 0 {
		return "nothing"
	}
	return b.String()
}

func (s *Server) get(t testing.TB, path string, into any) {
	t.Helper()
	resp, err := http.Get(s.APIURL + path)
	if err != nil {
		t.Fatalf("Mailpit %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("Mailpit %s: %v", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("Mailpit %s: %s: %s", path, resp.Status, body)
	}
	if err := json.Unmarshal(body, into); err != nil {
		t.Fatalf("Mailpit %s: %v: %s", path, err, body)
	}
}

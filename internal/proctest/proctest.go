// Package proctest helps tests that run the sillage binary as a child
// process, as an ops team would.
package proctest

import (
	"bytes"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
)

// CleanEnv is the environment without the SILLAGE_ variables of the
// developer's shell, so a child sees only what the test gives it.
func CleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SILLAGE_") {
			env = append(env, kv)
		}
	}
	return env
}

// FreePort returns a 127.0.0.1 address whose port was free a moment ago.
func FreePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// SyncBuffer collects a child's output while the test reads it.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

package collector

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/store/storetest"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A damaged record in the middle of the write-ahead log costs that event
// only: the ones after it are stored at the next start, once each, and the
// loss is logged.
func TestDamagedLogRecordLosesOnlyItself(t *testing.T) {
	ctx := context.Background()
	eng := storetest.Embedded(t)
	e := newEnv(t, eng, func(c *Config) { c.FlushInterval = time.Hour })
	const n = 60
	for i := range n {
		if r := e.send(request{body: pageview("boulangerie.fr", fmt.Sprintf("/page-%03d", i)), peer: fmt.Sprintf("81.65.3.%d", i)}); r.StatusCode() != 202 {
			t.Fatalf("event %d: %d", i, r.StatusCode())
		}
	}
	// The process dies with every event in the log, none stored.
	e.c.stop()
	e.c.done.Wait()
	if err := e.c.wal.Close(); err != nil {
		t.Fatal(err)
	}
	e.closed = true
	segs, err := filepath.Glob(filepath.Join(e.c.cfg.Dir, "wal", "*.wal"))
	if err != nil || len(segs) != 1 {
		t.Fatalf("segments %v (%v), want one", segs, err)
	}
	b, err := os.ReadFile(segs[0])
	if err != nil {
		t.Fatal(err)
	}
	at := bytes.Index(b, []byte("/page-020"))
	if at < 0 {
		t.Fatal("event 20 not found in the log")
	}
	b[at+1] ^= 0x20 // "/Page-020": its checksum no longer matches
	if err := os.WriteFile(segs[0], b, 0o640); err != nil {
		t.Fatal(err)
	}

	var logs syncBuffer
	cfg := e.c.cfg
	cfg.Registerer = nil
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	c, err := New(ctx, cfg, eng, accounts.New(eng))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	e.c = c
	e.flush()
	if got := e.count("1", nil); got != n-1 {
		t.Fatalf("%d events stored after the damage, want %d (all but the damaged one)", got, n-1)
	}
	if got := e.count("pathname = '/page-020'", nil); got != 0 {
		t.Fatalf("the damaged event was stored %d times", got)
	}
	out := logs.String()
	for _, want := range []string{"wal segment damaged", "events_lost=1"} {
		if !strings.Contains(out, want) {
			t.Fatalf("the log does not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "undecodable") {
		t.Fatalf("the placeholder of the lost record was taken for an undecodable one:\n%s", out)
	}
}

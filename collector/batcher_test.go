package collector

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/storetest"
)

// landsThenFails applies the first insert and then reports a failure, as a
// server does when the connection drops after the rows were written.
type landsThenFails struct {
	store.Engine
	mu     sync.Mutex
	tokens []string
}

func (l *landsThenFails) InsertEvents(ctx context.Context, token string, ev []sillage.Event) error {
	l.mu.Lock()
	l.tokens = append(l.tokens, token)
	first := len(l.tokens) == 1
	l.mu.Unlock()
	err := l.Engine.InsertEvents(ctx, token, ev)
	if first && err == nil {
		return errors.New("read: connection reset by peer")
	}
	return err
}

// A batch whose outcome is unknown is retried as it was, even when more
// events arrived meanwhile: a longer range would carry a new token and
// store the first events twice.
func TestRetriedBatchIsTheSameBatch(t *testing.T) {
	tests := []struct {
		name string
		fail func(t *testing.T, e *env) (undo func())
	}{
		{"the insert landed but reported an error", nil},
		{"the insert landed but the log's commit failed", func(t *testing.T, e *env) func() {
			block := filepath.Join(e.c.cfg.Dir, "wal", "commit.tmp")
			if err := os.Mkdir(block, 0o755); err != nil { // the commit mark cannot be written
				t.Fatal(err)
			}
			return func() { os.Remove(block) }
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var eng store.Engine = storetest.Embedded(t)
			if tt.fail == nil {
				eng = &landsThenFails{Engine: eng}
			}
			e := newEnv(t, eng, func(c *Config) { c.FlushInterval = time.Hour })
			for i := 0; i < 5; i++ {
				e.send(request{body: fmt.Sprintf(`{"n":"pageview","u":"https://atelier.fr/a%d","d":"atelier.fr"}`, i)})
			}
			undo := func() {}
			if tt.fail != nil {
				undo = tt.fail(t, e)
			}
			if err := e.c.flushOnce(context.Background()); err == nil {
				t.Fatal("the first flush should have failed")
			}
			undo()
			for i := 0; i < 5; i++ {
				e.send(request{body: fmt.Sprintf(`{"n":"pageview","u":"https://atelier.fr/b%d","d":"atelier.fr"}`, i)})
			}
			e.flush()
			if n := e.count("1", nil); n != 10 {
				t.Fatalf("%d events stored, want each of the 10 accepted ones once", n)
			}
		})
	}
}

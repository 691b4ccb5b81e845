package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/accounts"
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

// downLister fails while down is set, as the store does during an outage.
type downLister struct {
	SiteLister
	down *atomic.Bool
}

func (d downLister) Sites(ctx context.Context) ([]sillage.Site, error) {
	if d.down.Load() {
		return nil, errors.New("engine unavailable (injected)")
	}
	return d.SiteLister.Sites(ctx)
}

// Before the site list has ever loaded, a domain may well be registered:
// the event is refused with 503, not answered 202 and dropped.
func TestNoSiteListYet(t *testing.T) {
	eng := storetest.Embedded(t)
	storetest.MustMigrate(t, eng)
	acc := accounts.New(eng)
	if _, err := acc.AddSite(context.Background(), "atelier.fr", "Europe/Paris"); err != nil {
		t.Fatal(err)
	}
	down := &atomic.Bool{}
	down.Store(true)
	cfg := Config{Dir: t.TempDir(), FlushInterval: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)}
	c, err := New(context.Background(), cfg, eng, downLister{acc, down})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, engine: eng, c: c}
	defer c.Close(context.Background())
	body := `{"n":"pageview","u":"https://atelier.fr/","d":"atelier.fr"}`
	if r := e.send(request{body: body}); r.StatusCode() != 503 || len(r.Header.Peek("Retry-After")) == 0 {
		t.Fatalf("without a site list: %d, Retry-After %q; want 503 with Retry-After", r.StatusCode(), r.Header.Peek("Retry-After"))
	} else if got := string(r.Header.Peek("Access-Control-Expose-Headers")); got != "Retry-After" {
		t.Fatalf("without a site list: Access-Control-Expose-Headers %q; the tracker cannot read Retry-After", got)
	}
	down.Store(false)
	deadline := time.Now().Add(5 * time.Second)
	for e.send(request{body: body}).StatusCode() != 202 {
		if time.Now().After(deadline) {
			t.Fatal("the event is still refused 5 s after the store came back")
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.flush()
	if n := e.count("1", nil); n != 1 {
		t.Fatalf("%d events stored, want the one answered 202", n)
	}
}

// Events accepted for a site that is deleted before they are flushed are
// not stored: they would outlive the site's data. The other site's are.
func TestDeletedSiteEventsAreNotStored(t *testing.T) {
	eng := storetest.Embedded(t)
	e := newEnv(t, eng, func(c *Config) { c.FlushInterval = time.Hour })
	for _, d := range []string{"atelier.fr", "boulangerie.fr"} {
		e.send(request{body: `{"n":"pageview","u":"https://` + d + `/","d":"` + d + `"}`})
	}
	if err := accounts.New(eng).DeleteSite(context.Background(), e.sites["atelier.fr"].ID); err != nil {
		t.Fatal(err)
	}
	e.c.sites.refresh(context.Background())
	e.flush()
	if n := e.count("site_id = {s:UInt32}", store.Params{"s": e.sites["atelier.fr"].ID}); n != 0 {
		t.Errorf("%d events stored for the deleted site", n)
	}
	if n := e.count("site_id = {s:UInt32}", store.Params{"s": e.sites["boulangerie.fr"].ID}); n != 1 {
		t.Errorf("%d events stored for the other site, want 1", n)
	}
}

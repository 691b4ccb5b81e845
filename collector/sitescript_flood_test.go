package collector

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
)

// heldSiteScripts answers no token, each lookup held until release.
type heldSiteScripts struct {
	mu      sync.Mutex
	entered int
	release chan struct{}
}

func (h *heldSiteScripts) SiteScriptSettings(ctx context.Context, token string) (string, []string, bool, error) {
	h.mu.Lock()
	h.entered++
	h.mu.Unlock()
	<-h.release
	return "", nil, false, nil
}

// Made-up tokens cost one lookup of the store at a time, whatever their
// number: a flood of them queues instead of loading the store.
func TestSiteScriptMissesOneAtATime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, err := newScripts()
		if err != nil {
			t.Fatal(err)
		}
		held := &heldSiteScripts{release: make(chan struct{})}
		s.sites = held
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				if _, err := s.siteScript(t.Context(), fmt.Sprintf("/js/s/%016x.js", i)); err != errNoScript {
					t.Errorf("token %d: error %v, want %v", i, err, errNoScript)
				}
			})
		}
		synctest.Wait()
		held.mu.Lock()
		entered := held.entered
		held.mu.Unlock()
		if entered != 1 {
			t.Errorf("%d lookups of the store at once, want 1", entered)
		}
		close(held.release)
		wg.Wait()
		if held.entered != 8 {
			t.Errorf("%d lookups in all, want 8", held.entered)
		}
	})
}

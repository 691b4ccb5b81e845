package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage/store"
)

// slowStats is a valid statement that runs for 20 s unless killed; its
// comment tags it for system.processes and KILL QUERY.
const slowStats = "SELECT /* sillage-slow-stats */ sleepEachRow(0.5) FROM numbers(40) SETTINGS max_block_size = 1"

// StartSlowStats runs n 20-second statements in the stats lane of e and
// returns once the engine lists them all as running, asking through e's
// interactive lane. done receives an error when the first of them ends.
// The test fails if the listing could only be read after one ended, which
// is the stall the lanes exist to prevent. The statements are killed when
// the test ends.
func StartSlowStats(t testing.TB, e store.Engine, n int) (done <-chan error) {
	t.Helper()
	ch := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			rows, err := e.Query(store.WithLane(context.Background(), store.LaneStats), slowStats, nil)
			if err == nil {
				err = rows.Close()
			}
			ch <- err
		})
	}
	t.Cleanup(func() {
		_ = e.Exec(context.Background(), "KILL QUERY WHERE query LIKE '%sillage-slow-stats%' AND query NOT LIKE '%KILL QUERY%' SYNC", nil)
		wg.Wait()
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		var running uint64
		err := store.QueryRow(context.Background(), e,
			"SELECT count() FROM system.processes WHERE query LIKE '%sillage-slow-stats%' AND query NOT LIKE '%system.processes%'", nil, &running)
		if err != nil {
			t.Fatal(err)
		}
		if running == uint64(n) {
			return ch
		}
		select {
		case err := <-ch:
			t.Fatalf("an interactive statement could run only after the stats statement ended (%v)", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the stats statement never showed in system.processes")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// StillRunning fails the test if the statement StartSlowStats started has
// ended: what ran since did not wait for it.
func StillRunning(t testing.TB, done <-chan error, what string) {
	t.Helper()
	select {
	case err := <-done:
		t.Fatalf("%s ended only after the stats statement (%v)", what, err)
	default:
	}
}

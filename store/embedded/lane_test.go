package embedded_test

import (
	"context"
	"errors"
	"testing"

	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/storetest"
)

// An account statement runs while a long stats statement is still running,
// instead of waiting for the connection it holds.
func TestInteractiveDoesNotWaitForStats(t *testing.T) {
	e := storetest.Migrated(t)
	done := storetest.StartSlowStats(t, e, 1)
	var n uint64
	if err := store.QueryRow(context.Background(), e, "SELECT count() FROM users", nil, &n); err != nil {
		t.Fatal(err)
	}
	storetest.StillRunning(t, done, "the account statement")
}

// A statement whose context is done while it waits for a stats connection
// gives up.
func TestStatsLaneWaitHonoursContext(t *testing.T) {
	e := storetest.Embedded(t)
	ctx, cancel := context.WithCancel(store.WithLane(context.Background(), store.LaneStats))
	cancel()
	if _, err := e.Query(ctx, "SELECT 1", nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
}

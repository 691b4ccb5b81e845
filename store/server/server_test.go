package server_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/server"
	"github.com/sillage-analytics/sillage/store/storetest"
)

// TestConformance runs the shared engine suite against a real server when
// SILLAGE_TEST_CLICKHOUSE_URL names one; each subtest gets its own database.
func TestConformance(t *testing.T) {
	url := os.Getenv("SILLAGE_TEST_CLICKHOUSE_URL")
	if url == "" {
		t.Skip("SILLAGE_TEST_CLICKHOUSE_URL is not set: skipping the ClickHouse server suite")
	}
	storetest.Conformance(t, func(t *testing.T) store.Engine {
		ctx := context.Background()
		admin, err := server.Open(ctx, server.Config{URL: url})
		if err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 6)
		rand.Read(b)
		db := "t_" + hex.EncodeToString(b)
		if err := admin.Exec(ctx, "CREATE DATABASE "+db, nil); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { admin.Exec(ctx, "DROP DATABASE "+db, nil); admin.Close() })
		u := url[:strings.LastIndex(url, "/")+1] + db
		e, err := server.Open(ctx, server.Config{URL: u})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.Close() })
		storetest.MustMigrate(t, e)
		return e
	})
}

func TestUnreachableServerGivesUp(t *testing.T) {
	start := time.Now()
	_, err := server.Open(context.Background(), server.Config{
		URL: "clickhouse://127.0.0.1:1/sillage", WaitFor: 1500 * time.Millisecond, RetryEvery: 300 * time.Millisecond,
	})
	if err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Fatalf("want an unreachable error, got %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("gave up after %s, want about 1.5 s", d)
	}
}

func TestPasswordNotInErrors(t *testing.T) {
	_, err := server.Open(context.Background(), server.Config{
		URL: "clickhouse://u:s3cret@127.0.0.1:1/sillage", WaitFor: time.Millisecond,
	})
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("error must not show the password: %v", err)
	}
}

// Package storetest gives tests a real engine, the embedded one, in a fresh
// database per test. It also holds the conformance suite both engines must
// pass: store/server runs it on a ClickHouse server when
// SILLAGE_TEST_CLICKHOUSE_URL names one.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/sillage-analytics/sillage/migrations"
	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/embedded"
)

var (
	once    sync.Once
	root    *embedded.Engine
	rootDir string
	rootErr error
)

// Main wraps a package's tests: it removes the shared data folder after
// them. Use it as `func TestMain(m *testing.M) { storetest.Main(m) }`.
func Main(m *testing.M) {
	code := m.Run()
	if root != nil {
		root.Close()
	}
	if rootDir != "" {
		os.RemoveAll(rootDir)
	}
	os.Exit(code)
}

// Embedded returns a connection to a new, empty database of the process's
// embedded engine. The engine serves one data folder per process, so tests
// share the folder and are isolated by database.
func Embedded(t testing.TB) *embedded.Engine {
	t.Helper()
	once.Do(func() {
		rootDir, rootErr = os.MkdirTemp("", "sillage-test-")
		if rootErr != nil {
			return
		}
		root, rootErr = embedded.Open(context.Background(), embedded.Config{
			Dir: filepath.Join(rootDir, "data"), LibPath: os.Getenv("SILLAGE_CHDB_LIB"),
		})
	})
	if rootErr != nil {
		t.Fatalf("embedded engine: %v", rootErr)
	}
	e, err := root.Session(context.Background(), "t_"+randomHex(6))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = e.Exec(context.Background(), "DROP DATABASE IF EXISTS "+e.Database(), nil)
		e.Close()
	})
	return e
}

// Migrated returns an embedded engine on a new database with every
// migration applied.
func Migrated(t testing.TB) *embedded.Engine {
	t.Helper()
	e := Embedded(t)
	MustMigrate(t, e)
	return e
}

// MustMigrate applies every migration to e.
func MustMigrate(t testing.TB, e store.Engine) {
	t.Helper()
	m, err := migrations.New(context.Background(), e, migrations.Target{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Up(); err != nil {
		t.Fatal(err)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return hex.EncodeToString(b)
}

package embedded_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/embedded"
	"github.com/sillage-analytics/sillage/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

func TestConformance(t *testing.T) {
	storetest.Conformance(t, func(t *testing.T) store.Engine { return storetest.Migrated(t) })
}

func TestSecondOpenOfSameFolderFails(t *testing.T) {
	dir := t.TempDir()
	lock, err := embedded.Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	_, err = embedded.Open(context.Background(), embedded.Config{Dir: dir})
	if !errors.Is(err, embedded.ErrLocked) {
		t.Fatalf("want ErrLocked, got %v", err)
	}
}

func TestMissingLibrary(t *testing.T) {
	_, err := embedded.Open(context.Background(), embedded.Config{Dir: t.TempDir(), LibPath: filepath.Join(t.TempDir(), "libchdb.so")})
	if err == nil || !strings.Contains(err.Error(), "make chdb") {
		t.Fatalf("want a clear hint, got %v", err)
	}
}

func BenchmarkInsertEvents10k(b *testing.B) {
	benchmarkInsert(b, storetest.Migrated(b), (*embedded.Engine).InsertEvents)
}

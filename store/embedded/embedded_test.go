package embedded_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
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
	e := storetest.Migrated(b)
	base := storetest.Fixture(time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC))
	batch := make([]sillage.Event, 10_000)
	for i := range batch {
		batch[i] = base[i%len(base)]
		batch[i].VisitorID = uint64(i)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := e.InsertEvents(context.Background(), "", batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(batch)*b.N)/b.Elapsed().Seconds(), "rows/s")
}

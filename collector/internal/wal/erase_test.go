package wal

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// idOf returns i of payload(i).
func idOf(rec []byte) int {
	s, _, _ := strings.Cut(strings.TrimPrefix(string(rec), "event-"), "-")
	i, _ := strconv.Atoi(s)
	return i
}

func TestErase(t *testing.T) {
	const n = 300
	dir := t.TempDir()
	w := openT(t, dir, Options{SegmentBytes: 4 << 10})
	fill(t, w, n)
	if err := w.Commit(120); err != nil { // some flushed records stay in the head segment
		t.Fatal(err)
	}
	doomed := func(i int) bool { return i%7 == 0 }

	// Appends go on while the log is erased.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := n + 1; i <= n+100; i++ {
			if _, err := w.Append(context.Background(), payload(i)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	got, err := w.Erase(context.Background(), func(rec []byte) bool { return idOf(rec) <= n && doomed(idOf(rec)) })
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	first := w.segs[0].first
	want := 0
	for i := int(first); i <= n; i++ {
		if doomed(i) {
			want++
		}
	}
	if got != want {
		t.Fatalf("Erase erased %d records, want %d", got, want)
	}
	check := func(w *WAL) {
		t.Helper()
		recs := readAll(t, w, first)
		if len(recs) != n+100-int(first)+1 {
			t.Fatalf("read %d records after the erasure, want %d", len(recs), n+100-int(first)+1)
		}
		for _, r := range recs {
			p := string(payload(int(r.seq)))
			if int(r.seq) <= n && doomed(int(r.seq)) {
				p = strings.Repeat("\x00", len(p))
			}
			if r.data != p {
				t.Fatalf("record %d = %.20q, want %.20q", r.seq, r.data, p)
			}
		}
	}
	check(w)
	for _, f := range segmentFiles(t, dir) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i := int(first); i <= n; i += 7 {
			if doomed(i) && bytes.Contains(b, payload(i)) {
				t.Fatalf("%s still holds erased record %d", filepath.Base(f), i)
			}
		}
	}
	if err := w.Commit(w.LastSeq()); err != nil {
		t.Fatal(err)
	}
	closeT(t, w)
	w = openT(t, dir, Options{SegmentBytes: 4 << 10})
	defer closeT(t, w)
	if w.LastSeq() != n+100 {
		t.Fatalf("LastSeq after reopening = %d", w.LastSeq())
	}
}

func TestEraseDeletesDamagedSegments(t *testing.T) {
	dir := t.TempDir()
	w := openT(t, dir, Options{})
	fill(t, w, 50)
	closeT(t, w)
	seg := segmentFiles(t, dir)[0]
	b, _ := os.ReadFile(seg)
	b[100] ^= 0xff
	os.WriteFile(seg, b, 0o640)
	w = openT(t, dir, Options{})
	defer closeT(t, w)
	kept, _ := filepath.Glob(filepath.Join(dir, damagedDir, "*"))
	if len(kept) != 1 {
		t.Fatalf("damaged segments kept: %v, want one", kept)
	}
	if _, err := w.Erase(context.Background(), func([]byte) bool { return false }); err != nil {
		t.Fatal(err)
	}
	if kept, _ := filepath.Glob(filepath.Join(dir, damagedDir, "*")); len(kept) != 0 {
		t.Fatalf("damaged segments left after an erasure: %v", kept)
	}
}

// BenchmarkErase: the cost of an erasure to the log, for a full 64 MiB
// segment of 300-byte records of which 1% match (the site erased). Each
// iteration erases a fresh copy.
func BenchmarkErase(b *testing.B) {
	dir := b.TempDir()
	w := openT(b, dir, Options{})
	rec := bytes.Repeat([]byte("e"), 300)
	doomed := bytes.Repeat([]byte("d"), 300)
	batch := make([][]byte, 1000)
	for w.Size() < 64<<20 {
		for i := range batch {
			batch[i] = rec
			if i%100 == 0 {
				batch[i] = doomed
			}
		}
		if _, err := w.Append(context.Background(), batch...); err != nil {
			b.Fatal(err)
		}
	}
	closeT(b, w)
	pristine := filepath.Join(b.TempDir(), "pristine")
	if err := os.CopyFS(pristine, os.DirFS(dir)); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(64 << 20)
	for b.Loop() {
		b.StopTimer()
		work := filepath.Join(b.TempDir(), "wal")
		if err := os.CopyFS(work, os.DirFS(pristine)); err != nil {
			b.Fatal(err)
		}
		w := openT(b, work, Options{})
		b.StartTimer()
		n, err := w.Erase(context.Background(), func(rec []byte) bool { return rec[0] == 'd' })
		if err != nil || n == 0 {
			b.Fatalf("Erase = %d, %v", n, err)
		}
		b.StopTimer()
		closeT(b, w)
		b.StartTimer()
	}
}

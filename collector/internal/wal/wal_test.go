package wal

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func openT(t testing.TB, dir string, opts Options) *WAL {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	w, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return w
}

func closeT(t testing.TB, w *WAL) {
	t.Helper()
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// payload is deterministic and of varying length, so a record read back can
// be checked against its seq-independent identity i.
func payload(i int) []byte {
	return []byte(fmt.Sprintf("event-%d-%s", i, strings.Repeat("x", i%97)))
}

func appendT(t testing.TB, w *WAL, recs ...[]byte) uint64 {
	t.Helper()
	seq, err := w.Append(context.Background(), recs...)
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	return seq
}

type rec struct {
	seq  uint64
	data string
}

func readAll(t testing.TB, w *WAL, from uint64) []rec {
	t.Helper()
	var out []rec
	next, err := w.Read(from, 0, func(seq uint64, b []byte) error {
		out = append(out, rec{seq, string(b)})
		return nil
	})
	if err != nil {
		t.Fatalf("Read(%d): %v", from, err)
	}
	if want := from + uint64(len(out)); next != want {
		t.Fatalf("Read(%d) next = %d, want %d", from, next, want)
	}
	return out
}

// wantRecords checks that got holds seqs first.. in order with payload(i)
// for seq i (the tests append payload(i) as record i).
func wantRecords(t testing.TB, got []rec, first, last uint64) {
	t.Helper()
	if n := last - first + 1; uint64(len(got)) != n {
		t.Fatalf("got %d records, want %d (%d..%d)", len(got), n, first, last)
	}
	for k, r := range got {
		seq := first + uint64(k)
		if r.seq != seq || r.data != string(payload(int(seq))) {
			t.Fatalf("record %d = (%d, %.20q), want (%d, %.20q)", k, r.seq, r.data, seq, payload(int(seq)))
		}
	}
}

func segmentFiles(t testing.TB, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.wal"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(m)
	return m
}

// fill appends payload(i) for i = LastSeq()+1 .. n, sometimes several per call.
func fill(t testing.TB, w *WAL, n int) {
	t.Helper()
	for i := int(w.LastSeq()) + 1; i <= n; {
		k := min(1+i%3, n-i+1)
		var batch [][]byte
		for j := range k {
			batch = append(batch, payload(i+j))
		}
		if got := appendT(t, w, batch...); got != uint64(i+k-1) {
			t.Fatalf("Append of %d..%d returned %d", i, i+k-1, got)
		}
		i += k
	}
}

func TestRoundTripAcrossRotation(t *testing.T) {
	dir := t.TempDir()
	opts := Options{SegmentBytes: 1 << 10}
	w := openT(t, dir, opts)
	if got := w.LastSeq(); got != 0 {
		t.Fatalf("fresh LastSeq = %d, want 0", got)
	}
	fill(t, w, 300)
	if n := len(segmentFiles(t, dir)); n < 5 {
		t.Fatalf("%d segment files, want rotation into several", n)
	}
	wantRecords(t, readAll(t, w, 1), 1, 300)

	// Paging with max, as the batcher does.
	var got []rec
	for from := uint64(1); ; {
		next, err := w.Read(from, 7, func(seq uint64, b []byte) error {
			got = append(got, rec{seq, string(b)})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if next == from {
			break
		}
		from = next
	}
	wantRecords(t, got, 1, 300)
	closeT(t, w)

	w = openT(t, dir, opts)
	defer closeT(t, w)
	if got := w.LastSeq(); got != 300 {
		t.Fatalf("LastSeq after reopen = %d, want 300", got)
	}
	if got := w.FirstUnflushed(); got != 1 {
		t.Fatalf("FirstUnflushed after reopen = %d, want 1", got)
	}
	fill(t, w, 310)
	wantRecords(t, readAll(t, w, 1), 1, 310)
}

func TestRead(t *testing.T) {
	w := openT(t, t.TempDir(), Options{SegmentBytes: 256 << 10})
	defer closeT(t, w)
	// ~2 MiB over several segments, each with several index entries.
	big := func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, 1000+i%50) }
	const n = 2000
	for i := 1; i <= n; i += 20 {
		var batch [][]byte
		for j := i; j < i+20; j++ {
			batch = append(batch, big(j))
		}
		appendT(t, w, batch...)
	}
	tests := []struct {
		from      uint64
		max       int
		wantFirst uint64
		wantN     int
	}{
		{from: 1, max: 0, wantFirst: 1, wantN: n},
		{from: 1, max: 10, wantFirst: 1, wantN: 10},
		{from: 777, max: 5, wantFirst: 777, wantN: 5},
		{from: 1500, max: 0, wantFirst: 1500, wantN: n - 1499},
		{from: n, max: 3, wantFirst: n, wantN: 1},
		{from: n + 1, max: 3, wantFirst: n + 1, wantN: 0},
		{from: n + 100, max: 0, wantFirst: n + 100, wantN: 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("from=%d,max=%d", tt.from, tt.max), func(t *testing.T) {
			var seqs []uint64
			next, err := w.Read(tt.from, tt.max, func(seq uint64, b []byte) error {
				if !bytes.Equal(b, big(int(seq))) {
					t.Fatalf("record %d has the wrong payload", seq)
				}
				seqs = append(seqs, seq)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(seqs) != tt.wantN {
				t.Fatalf("read %d records, want %d", len(seqs), tt.wantN)
			}
			for k, s := range seqs {
				if s != tt.wantFirst+uint64(k) {
					t.Fatalf("record %d has seq %d, want %d", k, s, tt.wantFirst+uint64(k))
				}
			}
			if want := tt.wantFirst + uint64(tt.wantN); next != want {
				t.Fatalf("next = %d, want %d", next, want)
			}
		})
	}

	t.Run("fn error stops at that record", func(t *testing.T) {
		boom := errors.New("boom")
		next, err := w.Read(10, 0, func(seq uint64, _ []byte) error {
			if seq == 13 {
				return boom
			}
			return nil
		})
		if !errors.Is(err, boom) || next != 13 {
			t.Fatalf("Read = %d, %v; want 13, boom", next, err)
		}
	})
}

func TestCommit(t *testing.T) {
	dir := t.TempDir()
	opts := Options{SegmentBytes: 1 << 10}
	w := openT(t, dir, opts)
	fill(t, w, 200)
	before := len(segmentFiles(t, dir))
	sizeBefore := w.Size()

	if err := w.Commit(201); err == nil {
		t.Fatal("Commit beyond LastSeq succeeded")
	}
	if err := w.Commit(120); err != nil {
		t.Fatal(err)
	}
	after := len(segmentFiles(t, dir))
	if after >= before {
		t.Fatalf("Commit left %d of %d segment files", after, before)
	}
	if w.Size() >= sizeBefore {
		t.Fatalf("Size %d not below %d after Commit", w.Size(), sizeBefore)
	}
	if got := w.FirstUnflushed(); got != 121 {
		t.Fatalf("FirstUnflushed = %d, want 121", got)
	}
	if err := w.Commit(100); err != nil { // going back is a no-op
		t.Fatal(err)
	}
	if got := w.FirstUnflushed(); got != 121 {
		t.Fatalf("FirstUnflushed after a lower Commit = %d, want 121", got)
	}
	if _, err := w.Read(1, 0, func(uint64, []byte) error { return nil }); err == nil {
		t.Fatal("Read of deleted records succeeded")
	}
	wantRecords(t, readAll(t, w, 121), 121, 200)
	size := w.Size()
	closeT(t, w)

	w = openT(t, dir, opts)
	if got := w.FirstUnflushed(); got != 121 {
		t.Fatalf("FirstUnflushed after reopen = %d, want 121", got)
	}
	if got := w.Size(); got != size {
		t.Fatalf("Size after reopen = %d, want %d", got, size)
	}
	wantRecords(t, readAll(t, w, w.FirstUnflushed()), 121, 200)

	// Everything committed: nothing unflushed, sequence numbers go on.
	if err := w.Commit(200); err != nil {
		t.Fatal(err)
	}
	if got := w.Size(); got != 0 {
		t.Fatalf("Size after committing everything = %d, want 0", got)
	}
	closeT(t, w)
	w = openT(t, dir, opts)
	defer closeT(t, w)
	if got, want := [2]uint64{w.FirstUnflushed(), w.LastSeq()}, [2]uint64{201, 200}; got != want {
		t.Fatalf("FirstUnflushed, LastSeq = %v, want %v", got, want)
	}
	if got := appendT(t, w, payload(201)); got != 201 {
		t.Fatalf("Append after full commit = %d, want 201", got)
	}
	wantRecords(t, readAll(t, w, 201), 201, 201)
}

// A crash after the mark was written but before segments were deleted.
func TestOpenFinishesInterruptedCommit(t *testing.T) {
	dir := t.TempDir()
	opts := Options{SegmentBytes: 1 << 10}
	w := openT(t, dir, opts)
	fill(t, w, 100)
	closeT(t, w)
	before := len(segmentFiles(t, dir))
	if err := writeCommitMark(dir, 60); err != nil {
		t.Fatal(err)
	}
	w = openT(t, dir, opts)
	defer closeT(t, w)
	if n := len(segmentFiles(t, dir)); n >= before {
		t.Fatalf("%d segment files remain of %d", n, before)
	}
	wantRecords(t, readAll(t, w, w.FirstUnflushed()), 61, 100)
}

// The database is ahead of what the log kept: never reuse a committed seq.
func TestOpenCommitMarkPastEnd(t *testing.T) {
	dir := t.TempDir()
	w := openT(t, dir, Options{})
	fill(t, w, 10)
	closeT(t, w)
	if err := writeCommitMark(dir, 15); err != nil {
		t.Fatal(err)
	}
	w = openT(t, dir, Options{})
	defer closeT(t, w)
	if got := appendT(t, w, payload(16)); got != 16 {
		t.Fatalf("Append = %d, want 16", got)
	}
	wantRecords(t, readAll(t, w, w.FirstUnflushed()), 16, 16)
}

func TestOpenRefuses(t *testing.T) {
	tests := []struct {
		name    string
		damage  func(t *testing.T, dir string, segs []string)
		wantErr string
	}{
		{
			name: "missing middle segment",
			damage: func(t *testing.T, dir string, segs []string) {
				if err := os.Remove(segs[1]); err != nil {
					t.Fatal(err)
				}
			},
			wantErr: "should start at sequence",
		},
		{
			name: "missing first segment",
			damage: func(t *testing.T, dir string, segs []string) {
				if err := os.Remove(segs[0]); err != nil {
					t.Fatal(err)
				}
			},
			wantErr: "are missing",
		},
		{
			name: "corrupt commit mark",
			damage: func(t *testing.T, dir string, segs []string) {
				if err := os.WriteFile(filepath.Join(dir, commitFile), []byte("12 00000000\n"), 0o640); err != nil {
					t.Fatal(err)
				}
			},
			wantErr: "commit mark",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			w := openT(t, dir, Options{SegmentBytes: 1 << 10})
			fill(t, w, 100)
			closeT(t, w)
			tt.damage(t, dir, segmentFiles(t, dir))
			_, err := Open(dir, Options{Logger: quietLogger()})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Open error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestOpenLocksDirectory(t *testing.T) {
	dir := t.TempDir()
	w := openT(t, dir, Options{})
	if _, err := Open(dir, Options{Logger: quietLogger()}); err == nil {
		t.Fatal("second Open of the same directory succeeded")
	}
	closeT(t, w)
	closeT(t, openT(t, dir, Options{}))
}

// lastRecordStart returns the offset of the last record in a segment file
// written with records of the given sizes.
func lastRecordStart(sizes []int) int64 {
	var off int64
	for _, n := range sizes[:len(sizes)-1] {
		off += headerSize + int64(n)
	}
	return off
}

func TestTornTail(t *testing.T) {
	const n = 20
	pristine := t.TempDir()
	w := openT(t, pristine, Options{})
	fill(t, w, n)
	closeT(t, w)
	segs := segmentFiles(t, pristine)
	if len(segs) != 1 {
		t.Fatalf("want one segment, got %d", len(segs))
	}
	data, err := os.ReadFile(segs[0])
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for i := 1; i <= n; i++ {
		sizes = append(sizes, len(payload(i)))
	}
	lastStart := lastRecordStart(sizes)
	name := filepath.Base(segs[0])

	// reopen lays file down as the only segment, opens, and checks that
	// exactly wantLast records survive and appends go on after them.
	reopen := func(t *testing.T, file []byte, wantLast uint64) {
		t.Helper()
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, name), file, 0o640); err != nil {
			t.Fatal(err)
		}
		w := openT(t, dir, Options{})
		defer closeT(t, w)
		if got := w.LastSeq(); got != wantLast {
			t.Fatalf("LastSeq = %d, want %d", got, wantLast)
		}
		wantRecords(t, readAll(t, w, 1), 1, wantLast)
		if got := appendT(t, w, payload(int(wantLast+1))); got != wantLast+1 {
			t.Fatalf("Append after recovery = %d, want %d", got, wantLast+1)
		}
		wantRecords(t, readAll(t, w, 1), 1, wantLast+1)
	}

	t.Run("cut at every offset of the last record", func(t *testing.T) {
		for cut := lastStart; cut < int64(len(data)); cut++ {
			reopen(t, data[:cut], n-1)
		}
	})
	t.Run("intact", func(t *testing.T) { reopen(t, data, n) })

	garbage := []struct {
		name string
		tail []byte
	}{
		{"zeros", make([]byte, 4096)}, // a filesystem that grew the file but never wrote it
		{"random", func() []byte {
			b := make([]byte, 777)
			r := rand.New(rand.NewPCG(1, 2))
			for i := range b {
				b[i] = byte(r.UintN(256))
			}
			return b
		}()},
		{"replayed record", data[lastStart:]}, // well formed, wrong seq
		{"huge length", []byte{0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0, n + 1, 0, 0, 0, 0, 0, 0, 0}},
		{"single byte", []byte{1}},
	}
	for _, g := range garbage {
		t.Run("garbage tail "+g.name, func(t *testing.T) {
			reopen(t, append(slices.Clone(data), g.tail...), n)
		})
	}

	flips := []struct {
		name     string
		off      int64 // in the last record
		wantLast uint64
	}{
		{"length", lastStart + 1, n - 1},
		{"checksum", lastStart + 5, n - 1},
		{"seq", lastStart + 8, n - 1},
		{"payload middle", lastStart + headerSize + int64(sizes[n-1])/2, n - 1},
		{"payload last byte", int64(len(data)) - 1, n - 1},
		// Damage before records that verify is not a torn tail:
		// TestDamageInTheMiddleIsSkipped.
	}
	for _, f := range flips {
		t.Run("flipped byte in "+f.name, func(t *testing.T) {
			b := slices.Clone(data)
			b[f.off] ^= 0x40
			reopen(t, b, f.wantLast)
		})
	}
}

// TestOlderSegmentCutShort: an older segment missing more records than its
// lost bytes could have held was not damaged but cut (or replaced); there
// is nothing to salvage records from, and Open leaves it to a human.
func TestOlderSegmentCutShort(t *testing.T) {
	dir := t.TempDir()
	w := openT(t, dir, Options{SegmentBytes: 1 << 10})
	fill(t, w, 100)
	closeT(t, w)
	segs := segmentFiles(t, dir)
	if len(segs) < 3 {
		t.Fatalf("want several segments, got %d", len(segs))
	}
	victim := segs[1]
	b, err := os.ReadFile(victim)
	if err != nil {
		t.Fatal(err)
	}
	b = b[:len(b)/2+1]
	if err := os.WriteFile(victim, b, 0o640); err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir, Options{Logger: quietLogger()})
	if err == nil {
		t.Fatal("Open accepted an older segment cut short")
	}
	for _, want := range []string{filepath.Base(victim), "refusing"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("Open error %q does not mention %q", err, want)
		}
	}
	t.Log(err)
	// Nothing was cut: the damage is left for a human.
	if after, _ := os.ReadFile(victim); !bytes.Equal(after, b) {
		t.Fatal("Open modified the damaged segment")
	}
}

func TestErrFull(t *testing.T) {
	const maxBytes = 8 << 10
	w := openT(t, t.TempDir(), Options{SegmentBytes: 2 << 10, MaxBytes: maxBytes})
	defer closeT(t, w)
	rec := bytes.Repeat([]byte("p"), 300)
	var last uint64
	for {
		seq, err := w.Append(context.Background(), rec)
		if errors.Is(err, ErrFull) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		last = seq
		if last > 1000 {
			t.Fatal("no ErrFull")
		}
	}
	if s := w.Size(); s > maxBytes || s < maxBytes-(headerSize+300) {
		t.Fatalf("Size at ErrFull = %d, want just under %d", s, maxBytes)
	}
	if _, err := w.Append(context.Background(), rec); !errors.Is(err, ErrFull) {
		t.Fatalf("second Append = %v, want ErrFull", err)
	}
	if err := w.Commit(last / 2); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Append(context.Background(), rec); err != nil {
		t.Fatalf("Append after partial Commit: %v", err)
	}
	if err := w.Commit(w.LastSeq()); err != nil {
		t.Fatal(err)
	}
	if s := w.Size(); s != 0 {
		t.Fatalf("Size after full Commit = %d", s)
	}
	for range maxBytes / (headerSize + 300) {
		appendT(t, w, rec)
	}
}

func TestConcurrentAppend(t *testing.T) {
	w := openT(t, t.TempDir(), Options{SegmentBytes: 64 << 10})
	defer closeT(t, w)
	const goroutines, perG = 16, 100
	type ack struct {
		seq  uint64
		data string
	}
	acks := make([][]ack, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range perG {
				a := fmt.Sprintf("g%d-i%d", g, i)
				if i%10 == 0 { // a two-record Append
					b := a + "-b"
					seq, err := w.Append(context.Background(), []byte(a), []byte(b))
					if err != nil {
						t.Error(err)
						return
					}
					acks[g] = append(acks[g], ack{seq - 1, a}, ack{seq, b})
					continue
				}
				seq, err := w.Append(context.Background(), []byte(a))
				if err != nil {
					t.Error(err)
					return
				}
				acks[g] = append(acks[g], ack{seq, a})
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	bySeq := map[uint64]string{}
	for _, as := range acks {
		for k, a := range as {
			if _, dup := bySeq[a.seq]; dup {
				t.Fatalf("seq %d returned twice", a.seq)
			}
			if k > 0 && a.seq <= as[k-1].seq {
				t.Fatalf("one goroutine got seq %d after %d", a.seq, as[k-1].seq)
			}
			bySeq[a.seq] = a.data
		}
	}
	got := readAll(t, w, 1)
	if len(got) != len(bySeq) {
		t.Fatalf("read %d records, %d acknowledged", len(got), len(bySeq))
	}
	for k, r := range got {
		if r.seq != uint64(k+1) || bySeq[r.seq] != r.data {
			t.Fatalf("record %d = (%d, %q), want (%d, %q)", k, r.seq, r.data, k+1, bySeq[r.seq])
		}
	}
	t.Logf("%d records, %d Append calls, %d fsyncs", len(got), goroutines*perG, w.syncs.Load())
}

// The batcher's loop (Read from FirstUnflushed, Commit) racing appenders and
// segment rotation: every record is delivered once, in order.
func TestBatcherWhileAppending(t *testing.T) {
	w := openT(t, t.TempDir(), Options{SegmentBytes: 4 << 10})
	defer closeT(t, w)
	const goroutines, perG = 8, 200
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range perG {
				seq, err := w.Append(context.Background(), nil)
				if err != nil {
					t.Error(err)
					return
				}
				if seq == 0 {
					t.Error("seq 0")
				}
			}
		})
	}
	go func() { wg.Wait(); close(done) }()

	var seen uint64
	for finished := false; ; {
		select {
		case <-done:
			finished = true
		default:
		}
		from := w.FirstUnflushed()
		next, err := w.Read(from, 100, func(seq uint64, _ []byte) error {
			if seq != seen+1 {
				return fmt.Errorf("got seq %d after %d", seq, seen)
			}
			seen = seq
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if next > from {
			if err := w.Commit(next - 1); err != nil {
				t.Fatal(err)
			}
		} else if finished {
			break
		}
	}
	if seen != goroutines*perG || w.Size() != 0 {
		t.Fatalf("batcher saw %d records, want %d; Size %d", seen, goroutines*perG, w.Size())
	}
	if n := len(segmentFiles(t, w.dir)); n != 1 {
		t.Fatalf("%d segment files left after committing everything, want 1", n)
	}
}

// Once a write fails and cannot be undone, the log refuses appends rather
// than acknowledging anything more.
func TestFailStop(t *testing.T) {
	w := openT(t, t.TempDir(), Options{})
	appendT(t, w, []byte("ok"))
	w.mu.Lock()
	w.file.Close() // the write and the truncate back both fail
	w.mu.Unlock()
	if _, err := w.Append(context.Background(), []byte("lost")); err == nil {
		t.Fatal("Append to a closed file succeeded")
	}
	_, err := w.Append(context.Background(), []byte("later"))
	if err == nil || !strings.Contains(err.Error(), "truncating back also failed") {
		t.Fatalf("Append after failure = %v, want the sticky error", err)
	}
	if err := w.Close(); err == nil {
		t.Fatal("Close did not report the failure")
	}
}

func TestAppendEdges(t *testing.T) {
	dir := t.TempDir()
	w := openT(t, dir, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := w.Append(ctx, []byte("x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Append with a cancelled context = %v", err)
	}
	if seq, err := w.Append(context.Background()); seq != 0 || err != nil {
		t.Fatalf("empty Append = %d, %v", seq, err)
	}
	if _, err := w.Append(context.Background(), make([]byte, maxRecordBytes+1)); err == nil {
		t.Fatal("oversized record accepted")
	}
	if got := appendT(t, w, []byte{}); got != 1 { // empty records are records
		t.Fatalf("Append of an empty record = %d, want 1", got)
	}
	closeT(t, w)
	if _, err := w.Append(context.Background(), []byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close = %v, want ErrClosed", err)
	}
	if err := w.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close = %v, want ErrClosed", err)
	}
	w = openT(t, dir, Options{})
	defer closeT(t, w)
	if got := readAll(t, w, 1); len(got) != 1 || got[0].data != "" {
		t.Fatalf("after reopen: %v", got)
	}
}

// The crash test runs the child below in a separate process, kills it with
// SIGKILL while it appends and commits, and checks that every acknowledged
// record survived. It repeats on the same directory so recovery itself is
// recovered from.
const crashDirEnv = "SILLAGE_WAL_CRASH_DIR"

func crashPayload(round, g, i int) string {
	return fmt.Sprintf("r%d-g%d-i%d-%s", round, g, i, strings.Repeat("z", (g*31+i)%200))
}

func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("runs only as the child of TestCrashRecovery")
	}
	round, _ := strconv.Atoi(os.Getenv(crashDirEnv + "_ROUND"))
	w, err := Open(dir, Options{SegmentBytes: 16 << 10, Logger: quietLogger()})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		os.Exit(3)
	}
	var outMu sync.Mutex
	say := func(format string, args ...any) {
		line := fmt.Sprintf(format, args...) // one write per line
		outMu.Lock()
		os.Stdout.WriteString(line)
		outMu.Unlock()
	}
	go func() { // a batcher, so the kill can also land in Commit
		for {
			time.Sleep(5 * time.Millisecond)
			next, err := w.Read(w.FirstUnflushed(), 50, func(uint64, []byte) error { return nil })
			if err != nil {
				fmt.Fprintln(os.Stderr, "child read:", err)
				os.Exit(3)
			}
			if next > w.FirstUnflushed() {
				if err := w.Commit(next - 1); err != nil {
					fmt.Fprintln(os.Stderr, "child commit:", err)
					os.Exit(3)
				}
				say("commit %d\n", next-1)
			}
		}
	}()
	for g := range 8 {
		go func() {
			for i := 0; ; i++ {
				seq, err := w.Append(context.Background(), []byte(crashPayload(round, g, i)))
				if err != nil {
					fmt.Fprintln(os.Stderr, "child append:", err)
					os.Exit(3)
				}
				say("ack %d %d %d\n", seq, g, i)
			}
		}()
	}
	time.Sleep(30 * time.Second) // the parent kills us long before; never hang
	os.Exit(4)
}

func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	var prevMax uint64
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, fmt.Sprintf("%s_ROUND=%d", crashDirEnv, round))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}

		acked := map[uint64]string{}
		var lastCommit uint64
		enough := make(chan struct{})
		scanned := make(chan struct{})
		go func() {
			defer close(scanned)
			br := bufio.NewReader(out)
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					return // a line cut by the kill lacks its newline and is dropped
				}
				var seq uint64
				var g, i int
				if _, err := fmt.Sscanf(line, "ack %d %d %d\n", &seq, &g, &i); err == nil {
					acked[seq] = crashPayload(round, g, i)
					if len(acked) == 300 {
						close(enough)
					}
				} else if _, err := fmt.Sscanf(line, "commit %d\n", &seq); err == nil {
					lastCommit = max(lastCommit, seq)
				}
			}
		}()
		select {
		case <-enough:
		case <-scanned:
		case <-time.After(20 * time.Second):
		}
		time.Sleep(time.Duration(rand.IntN(30)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-scanned
		err = cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("child did not die of SIGKILL: %v\nstderr:\n%s", err, stderr.String())
		}
		if strings.Contains(stderr.String(), "DATA RACE") {
			t.Fatalf("race in child:\n%s", stderr.String())
		}
		if len(acked) == 0 {
			t.Fatalf("child acknowledged nothing\nstderr:\n%s", stderr.String())
		}

		w := openT(t, dir, Options{SegmentBytes: 16 << 10})
		first := w.FirstUnflushed()
		if first <= lastCommit {
			t.Fatalf("round %d: FirstUnflushed %d, but the child committed %d", round, first, lastCommit)
		}
		onDisk := map[uint64]string{}
		for _, r := range readAll(t, w, first) {
			onDisk[r.seq] = r.data
		}
		var maxAck uint64
		for seq, want := range acked {
			maxAck = max(maxAck, seq)
			if seq <= prevMax {
				t.Fatalf("round %d: seq %d reused from an earlier run (max %d)", round, seq, prevMax)
			}
			if seq < first {
				continue // committed, and the database has it
			}
			if got, ok := onDisk[seq]; !ok || got != want {
				t.Fatalf("round %d: acknowledged seq %d = %q (present %v), want %q", round, seq, got, ok, want)
			}
		}
		if w.LastSeq() < maxAck {
			t.Fatalf("round %d: LastSeq %d below acknowledged %d", round, w.LastSeq(), maxAck)
		}
		t.Logf("round %d: %d acknowledged, last commit %d, %d unflushed on disk, %d written but unacknowledged",
			round, len(acked), lastCommit, len(onDisk), w.LastSeq()-maxAck)
		prevMax = w.LastSeq()
		closeT(t, w)
	}
}

func benchAppend(b *testing.B, opts Options, parallel bool) {
	opts.Logger = quietLogger()
	w := openT(b, b.TempDir(), opts)
	defer closeT(b, w)
	rec := bytes.Repeat([]byte("e"), 300)
	b.SetBytes(int64(len(rec)))
	b.ResetTimer()
	if parallel {
		b.SetParallelism(16) // HTTP handlers: many more goroutines than cores
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := w.Append(context.Background(), rec); err != nil {
					b.Error(err)
					return
				}
			}
		})
	} else {
		for b.Loop() {
			if _, err := w.Append(context.Background(), rec); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	if s := w.syncs.Load(); s > 0 {
		b.ReportMetric(float64(w.LastSeq())/float64(s), "records/fsync")
	}
}

func BenchmarkAppend(b *testing.B) {
	benchAppend(b, Options{}, false)
}

func BenchmarkAppendParallel(b *testing.B) {
	for _, d := range []time.Duration{0, 200 * time.Microsecond, 500 * time.Microsecond, 2 * time.Millisecond} {
		b.Run("SyncDelay="+d.String(), func(b *testing.B) {
			benchAppend(b, Options{SyncDelay: d}, true)
		})
	}
	b.Run("AckOnWrite", func(b *testing.B) { benchAppend(b, Options{AckOnWrite: true}, true) })
}

func TestAckOnWrite(t *testing.T) {
	dir := t.TempDir()
	w, err := Open(dir, Options{AckOnWrite: true})
	if err != nil {
		t.Fatal(err)
	}
	var last uint64
	for i := 0; i < 100; i++ {
		if last, err = w.Append(context.Background(), []byte(fmt.Sprintf("r%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil { // the final fsync
		t.Fatal(err)
	}
	w, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if w.LastSeq() != last {
		t.Fatalf("after reopen the last record is %d, want %d", w.LastSeq(), last)
	}
}

package wal

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// logBuffer collects what a WAL logs, for tests that check what it says.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// recordOffsets returns where each record of a segment file starts, by seq.
func recordOffsets(t testing.TB, path string, first uint64) map[uint64]int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	out := map[uint64]int64{}
	r := newRecordReader(f, 0, fi.Size(), first)
	for {
		off := r.off
		seq, _, err := r.next(true)
		if err != nil {
			break
		}
		out[seq] = off
	}
	return out
}

// wantRecovered checks that got holds every seq first..last once, in order,
// with payload(seq), except the lost ones, which are absent or empty.
func wantRecovered(t testing.TB, got []rec, first, last uint64, lost map[uint64]bool) {
	t.Helper()
	var k int
	for seq := first; seq <= last; seq++ {
		for k < len(got) && got[k].seq == seq && got[k].data == "" && lost[seq] {
			k++ // a placeholder for a lost record
		}
		if lost[seq] {
			continue
		}
		if k >= len(got) || got[k].seq != seq || got[k].data != string(payload(int(seq))) {
			var at rec
			if k < len(got) {
				at = got[k]
			}
			t.Fatalf("record %d missing or wrong: next read is (%d, %.20q)", seq, at.seq, at.data)
		}
		k++
	}
	if k != len(got) {
		t.Fatalf("%d unexpected records after %d, first (%d, %.20q)", len(got)-k, last, got[k].seq, got[k].data)
	}
}

// TestDamageInTheMiddleIsSkipped damages records in the middle of a
// segment: the records after the damage that verify must be replayed, once,
// the damaged file kept aside, and the loss logged.
func TestDamageInTheMiddleIsSkipped(t *testing.T) {
	const n = 200
	tests := []struct {
		name string
		// segBytes 0: one segment; otherwise several, damage in the second.
		segBytes int64
		damage   func(b []byte, offs map[uint64]int64) // offs of the damaged segment
		lost     []uint64
	}{
		{
			name:   "flipped payload byte, last segment",
			damage: func(b []byte, offs map[uint64]int64) { b[offs[60]+headerSize+3] ^= 0x10 },
			lost:   []uint64{60},
		},
		{
			name:   "flipped length byte, last segment",
			damage: func(b []byte, offs map[uint64]int64) { b[offs[60]] ^= 0x01 },
			lost:   []uint64{60},
		},
		{
			name:   "flipped seq byte, last segment",
			damage: func(b []byte, offs map[uint64]int64) { b[offs[60]+8] ^= 0x04 },
			lost:   []uint64{60},
		},
		{
			name: "zeroed run over three records, last segment",
			damage: func(b []byte, offs map[uint64]int64) {
				clear(b[offs[60]+5 : offs[62]+headerSize+1])
			},
			lost: []uint64{60, 61, 62},
		},
		{
			name: "two damaged places, last segment",
			damage: func(b []byte, offs map[uint64]int64) {
				b[offs[30]+headerSize] ^= 0xff
				b[offs[150]+4] ^= 0xff
			},
			lost: []uint64{30, 150},
		},
		{
			name:   "first record, last segment",
			damage: func(b []byte, offs map[uint64]int64) { b[headerSize] ^= 0x01 },
			lost:   []uint64{1},
		},
		{
			name:     "flipped payload byte, older segment",
			segBytes: 4 << 10,
			damage: func(b []byte, offs map[uint64]int64) {
				seq := slices.Min(mapsKeys(offs)) + 10
				b[offs[seq]+headerSize+1] ^= 0x20
			},
		},
		{
			name:     "last record of an older segment",
			segBytes: 4 << 10,
			damage: func(b []byte, offs map[uint64]int64) {
				b[len(b)-1] ^= 0x20
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			w := openT(t, dir, Options{SegmentBytes: tt.segBytes})
			fill(t, w, n)
			closeT(t, w)
			segs := segmentFiles(t, dir)
			victim := segs[0]
			if tt.segBytes > 0 {
				if len(segs) < 3 {
					t.Fatalf("want several segments, got %d", len(segs))
				}
				victim = segs[1]
			}
			var first uint64
			fmt.Sscanf(filepath.Base(victim), "%d", &first)
			offs := recordOffsets(t, victim, first)
			b, err := os.ReadFile(victim)
			if err != nil {
				t.Fatal(err)
			}
			damaged := slices.Clone(b)
			tt.damage(damaged, offs)
			if err := os.WriteFile(victim, damaged, 0o640); err != nil {
				t.Fatal(err)
			}
			lost := map[uint64]bool{}
			for _, s := range tt.lost {
				lost[s] = true
			}
			if len(lost) == 0 { // find the records the damage reached
				for seq, off := range offs {
					end := int64(len(b))
					if next, ok := offs[seq+1]; ok {
						end = next
					}
					if !bytes.Equal(b[off:end], damaged[off:end]) {
						lost[seq] = true
					}
				}
			}

			var logs logBuffer
			w, err = Open(dir, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatalf("Open of a log damaged in the middle: %v", err)
			}
			if got := w.LastSeq(); got != n {
				t.Fatalf("LastSeq = %d, want %d", got, n)
			}
			wantRecovered(t, readAll(t, w, 1), 1, n, lost)
			if got := appendT(t, w, payload(n+1)); got != n+1 {
				t.Fatalf("Append after recovery = %d, want %d", got, n+1)
			}
			closeT(t, w)

			// The damaged file is kept as it was, for inspection.
			kept, err := os.ReadFile(filepath.Join(dir, damagedDir, filepath.Base(victim)))
			if err != nil {
				t.Fatalf("damaged segment not kept aside: %v", err)
			}
			if !bytes.Equal(kept, damaged) {
				t.Fatal("the segment kept aside is not the damaged file as it was")
			}
			out := logs.String()
			for _, want := range []string{"damaged", fmt.Sprintf("events_lost=%d", len(lost)), "bytes_lost=", "reason="} {
				if !strings.Contains(out, want) {
					t.Fatalf("log does not say %q:\n%s", want, out)
				}
			}

			// A second open finds a clean log: same records, nothing new lost.
			var logs2 logBuffer
			w, err = Open(dir, Options{Logger: slog.New(slog.NewTextHandler(&logs2, nil))})
			if err != nil {
				t.Fatal(err)
			}
			defer closeT(t, w)
			lost[n+1] = false
			got := readAll(t, w, 1)
			wantRecovered(t, got, 1, n+1, lost)
			if strings.Contains(logs2.String(), "events_lost") {
				t.Fatalf("second open reports a loss again:\n%s", logs2.String())
			}
		})
	}
}

func mapsKeys(m map[uint64]int64) []uint64 {
	out := make([]uint64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

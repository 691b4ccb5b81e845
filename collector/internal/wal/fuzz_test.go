package wal

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzRecoverSegment damages a log on disk (flipped bits, zeroed bytes, a
// cut) and opens it. Whatever the damage, Open must not panic; a log made of
// one segment must open; and what Read returns must hold: every record
// verifies (it is the payload written with that seq), none comes twice, and
// every record wholly before the damage is there. When the damage is in an
// older segment, the records of the intact last segment are all there too.
func FuzzRecoverSegment(f *testing.F) {
	f.Add(uint8(40), false, uint16(300), uint8(1), byte(0x10), uint8(0))
	f.Add(uint8(40), false, uint16(300), uint8(40), byte(0), uint8(1))
	f.Add(uint8(40), true, uint16(100), uint8(3), byte(0xff), uint8(0))
	f.Add(uint8(60), false, uint16(900), uint8(0), byte(0), uint8(2))
	f.Add(uint8(10), true, uint16(0), uint8(16), byte(0x01), uint8(1))
	f.Fuzz(func(t *testing.T, nrec uint8, twoSegs bool, at uint16, span uint8, xor byte, mode uint8) {
		n := 1 + int(nrec%80)
		k := n // records in the first segment
		if twoSegs && n > 1 {
			k = n / 2
		}
		build := func(from, to int) []byte {
			var b []byte
			for i := from; i <= to; i++ {
				b = appendRecord(b, uint64(i), payload(i))
			}
			return b
		}
		first := build(1, k)
		var second []byte
		if k < n {
			second = build(k+1, n)
		}
		damaged := append([]byte(nil), first...)
		d := int(at) % (len(damaged) + 1)
		dEnd := min(d+int(span), len(damaged))
		switch mode % 3 {
		case 0:
			if xor == 0 {
				xor = 0x80
			}
			for i := d; i < dEnd; i++ {
				damaged[i] ^= xor
			}
		case 1:
			clear(damaged[d:dEnd])
		case 2:
			damaged, dEnd = damaged[:d], len(damaged)
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, segmentName(1)), damaged, 0o640); err != nil {
			t.Fatal(err)
		}
		if second != nil {
			if err := os.WriteFile(filepath.Join(dir, segmentName(uint64(k+1))), second, 0o640); err != nil {
				t.Fatal(err)
			}
		}
		// Records that end before the first changed byte are intact.
		noDamage := mode%3 != 2 && d == dEnd
		intactUpTo := 0
		for off, i := 0, 1; i <= k; i++ {
			off += headerSize + len(payload(i))
			if !noDamage && off > d {
				break
			}
			intactUpTo = i
		}

		w, err := Open(dir, Options{Logger: quietLogger()})
		if err != nil {
			if second == nil {
				t.Fatalf("Open of a one-segment log failed: %v", err)
			}
			return // an older segment that cannot be accounted for is refused
		}
		check := func(w *WAL) map[uint64]bool {
			seen := map[uint64]bool{}
			prev := uint64(0)
			next, err := w.Read(1, 0, func(seq uint64, rec []byte) error {
				if seq <= prev {
					t.Fatalf("record %d read after %d", seq, prev)
				}
				prev = seq
				if len(rec) > 0 && string(rec) != string(payload(int(seq))) {
					t.Fatalf("record %d = %.30q, not what was written", seq, rec)
				}
				if len(rec) > 0 {
					seen[seq] = true
				}
				return nil
			})
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if next != w.LastSeq()+1 {
				t.Fatalf("Read stopped at %d, LastSeq %d", next, w.LastSeq())
			}
			for i := 1; i <= intactUpTo; i++ {
				if !seen[uint64(i)] {
					t.Fatalf("record %d, before the damage, was not returned", i)
				}
			}
			if second != nil {
				for i := k + 1; i <= n; i++ {
					if !seen[uint64(i)] {
						t.Fatalf("record %d of the intact last segment was not returned", i)
					}
				}
			}
			return seen
		}
		seen := check(w)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		// Recovery is done once: a second open returns the same records.
		w, err = Open(dir, Options{Logger: quietLogger()})
		if err != nil {
			t.Fatalf("second Open: %v", err)
		}
		defer w.Close()
		again := check(w)
		if len(again) != len(seen) {
			t.Fatalf("second open returned %d records, the first %d", len(again), len(seen))
		}
	})
}

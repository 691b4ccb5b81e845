package wal

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// damagedKeep is how long a damaged segment stays in damaged/ for
// inspection: it holds visitor data, which must not outlive its promise.
const damagedKeep = 7 * 24 * time.Hour

// Erase overwrites with zeros the payload of every record on disk for which
// match returns true, committed or not: an erased record keeps its seq and
// its length and reads back as that many zero bytes, so nothing else of the
// log moves. match must not keep rec. It returns how many records it erased.
//
// A segment holding a match is rewritten into a new file, fsync'ed and
// renamed over the old one, so a crash leaves either whole. The segment
// being written is first closed (a rotation) so that only complete files
// are rewritten; appends go on meanwhile, Reads wait only for the renames.
// Damaged segments kept for inspection cannot be searched reliably and are
// deleted.
func (w *WAL) Erase(ctx context.Context, match func(rec []byte) bool) (int, error) {
	w.commitMu.Lock() // no Commit deletes a segment under us
	defer w.commitMu.Unlock()

	type seg struct {
		first uint64
		size  int64
	}
	snapshot := func() ([]seg, error) {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.closed {
			return nil, ErrClosed
		}
		out := make([]seg, len(w.segs))
		for i, s := range w.segs {
			out[i] = seg{s.first, s.size}
		}
		return out, nil
	}
	segs, err := snapshot()
	if err != nil {
		return 0, err
	}
	var hits []uint64
	for i, s := range segs {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		n, err := w.eraseSegment(s.first, s.size, match, false)
		if err != nil {
			return 0, err
		}
		if n == 0 {
			continue
		}
		hits = append(hits, s.first)
		if i == len(segs)-1 {
			w.mu.Lock()
			var err error
			if a := w.segs[len(w.segs)-1]; a.first == s.first && a.size > 0 {
				err = w.rotateLocked()
			}
			w.mu.Unlock()
			if err != nil {
				return 0, err
			}
		}
	}
	erased := 0
	for _, first := range hits {
		if err := ctx.Err(); err != nil {
			return erased, err
		}
		w.mu.Lock()
		var size int64
		for _, s := range w.segs {
			if s.first == first {
				size = s.size
			}
		}
		w.mu.Unlock()
		n, err := w.eraseSegment(first, size, match, true)
		erased += n
		if err != nil {
			return erased, err
		}
	}
	if err := w.sweepDamaged(0); err != nil {
		return erased, err
	}
	if erased > 0 {
		w.log.Info("erased records from the wal", "records", erased, "segments", len(hits))
	}
	return erased, nil
}

// eraseSegment counts the records of a segment that match, and with write
// rewrites the segment with their payloads zeroed. The segment must not be
// the one being written when write is true.
func (w *WAL) eraseSegment(first uint64, size int64, match func([]byte) bool, write bool) (int, error) {
	name := segmentName(first)
	f, err := os.Open(w.path(first))
	if err != nil {
		return 0, fmt.Errorf("open wal segment %s: %w", name, err)
	}
	defer f.Close()
	var out *os.File
	var bw *bufio.Writer
	tmp := w.path(first) + tmpSuffix
	if write {
		if out, err = os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640); err != nil {
			return 0, fmt.Errorf("erase in wal segment %s: %w", name, err)
		}
		defer func() {
			if out != nil {
				out.Close()
				os.Remove(tmp)
			}
		}()
		bw = bufio.NewWriterSize(out, 256<<10)
	}
	n := 0
	var buf []byte
	r := newRecordReader(f, 0, size, first)
	for {
		seq, rec, err := r.next(true)
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("erase in wal segment %s: %w", name, err)
		}
		hit := len(rec) > 0 && match(rec)
		if hit {
			n++
		}
		if !write {
			continue
		}
		if hit {
			clear(rec)
		}
		buf = appendRecord(buf[:0], seq, rec)
		if _, err := bw.Write(buf); err != nil {
			return 0, fmt.Errorf("erase in wal segment %s: %w", name, err)
		}
	}
	if !write || n == 0 {
		return n, nil
	}
	err = bw.Flush()
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	out = nil
	if err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("erase in wal segment %s: %w", name, err)
	}
	w.rmu.Lock() // no Read is in the file being replaced
	err = os.Rename(tmp, w.path(first))
	if err == nil {
		err = syncDir(w.dir)
	}
	w.rmu.Unlock()
	if err != nil {
		return 0, fmt.Errorf("replace wal segment %s: %w", name, err)
	}
	return n, nil
}

// sweepDamaged deletes the damaged segments kept for longer than maxAge
// (all of them for 0).
func (w *WAL) sweepDamaged(maxAge time.Duration) error {
	dd := filepath.Join(w.dir, damagedDir)
	entries, err := os.ReadDir(dd)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list damaged wal segments: %w", err)
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			continue // gone meanwhile
		}
		if maxAge > 0 && time.Since(info.ModTime()) < maxAge {
			continue
		}
		if err := os.Remove(filepath.Join(dd, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("delete damaged wal segment: %w", err)
		}
		w.log.Info("deleted a damaged wal segment kept for inspection", "file", e.Name(), "kept_since", info.ModTime())
	}
	return nil
}

// Package wal is the collector's write-ahead log. The HTTP handler answers
// 202 only once an event is in the log and fsync'ed; the batcher reads the
// log, inserts into the database and commits how far it got; after a crash
// the log is replayed from the first uncommitted record, so nothing accepted
// is lost and nothing committed is inserted twice.
//
// The log is a directory of segment files named after the sequence number of
// their first record (00000000000000000001.wal), a commit mark file and a
// LOCK file. Only the last segment is ever written to.
//
// Failure model: an fsync or write error that cannot be undone makes the log
// fail-stop; every later Append returns that error. After a failed fsync the
// kernel may have dropped the dirty pages, so retrying could acknowledge data
// that is not on disk; the process must restart and reopen, which replays
// what is really there. A crash may tear the last record of the last
// segment, which Open cuts away; damage anywhere else (a bad sector, a
// stray write) costs only the records it hit: Open keeps every record that
// still verifies and keeps the damaged file aside (see Open).
package wal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Options tunes a WAL; the zero value gives the defaults.
type Options struct {
	// SegmentBytes: a segment past this size is closed and a new one
	// started with the next Append. Default 64 MiB.
	SegmentBytes int64
	// MaxBytes is the disk budget for unflushed (uncommitted) records;
	// Append returns ErrFull rather than exceed it. Committed records in
	// the segment being written stay on disk until it rotates, so the
	// directory can hold up to MaxBytes+SegmentBytes. Default 1 GiB.
	MaxBytes int64
	// SyncDelay is how long the syncer waits, once woken by an Append,
	// before it fsyncs, so that more appends share the fsync. Zero, the
	// default, does not wait: appends that arrive while an fsync is in
	// flight already share the next one, so batching grows with load by
	// itself, and a delay only adds latency to every request. Measured on
	// the 2-core dev VM (BenchmarkAppendParallel, 32 appenders, fsync
	// 0.4-5 ms depending on disk load): 0 gave 16 records per fsync and the
	// best time per append (26 µs on a quiet disk); 200 µs, 500 µs and
	// 2 ms gathered 27-32 records per fsync yet were 1.2x to 5x slower per
	// append. A delay can pay only where fsync is far cheaper than the gap
	// between requests; it is left as a knob for that case.
	SyncDelay time.Duration
	// AckOnWrite makes Append return once the records are written to the
	// operating system, without waiting for their fsync, which still
	// follows at once in the background. Such records survive the death of
	// the process (kill -9, a panic, an OOM kill) but not a power cut or a
	// kernel crash in the few milliseconds before their fsync. It trades
	// that window for throughput where fsync is slow; the default waits.
	AckOnWrite bool
	// Logger receives what Open cut or cleaned up, and fsync failures.
	// Default slog.Default().
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = 64 << 20
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 1 << 30
	}
	if o.SyncDelay < 0 {
		o.SyncDelay = 0
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

var (
	// ErrFull means the unflushed data would exceed Options.MaxBytes: the
	// database is behind. The caller answers 503 with Retry-After; space
	// comes back as the batcher commits.
	ErrFull = errors.New("wal: disk budget for unflushed events exhausted")
	// ErrClosed is returned by every method called after Close.
	ErrClosed = errors.New("wal: closed")
)

// segment is one file of the log. size and index change under WAL.mu.
type segment struct {
	first uint64       // seq of its first record (or of the next record, while empty)
	size  int64        // bytes written to it
	index []indexEntry // sparse; index[0] is its first record
}

// round is one fsync. Appenders wait on the round that was pending when they
// wrote: the syncer swaps it out under mu, so it covers their bytes.
type round struct {
	done chan struct{}
	err  error // set before done is closed
}

func newRound() *round { return &round{done: make(chan struct{})} }

// WAL is a write-ahead log. All methods are safe for concurrent use.
type WAL struct {
	dir  string
	opts Options
	log  *slog.Logger
	lock *os.File

	// Lock order: commitMu, then rmu, then mu.
	commitMu  sync.Mutex   // serialises Commit and Erase
	lastSweep time.Time    // of damaged/, under commitMu
	rmu       sync.RWMutex // Read holds it shared; Commit exclusively while deleting files

	mu        sync.Mutex
	closed    bool
	err       error      // sticky failure, see the package doc
	segs      []*segment // ascending; the last is active
	file      *os.File   // the active segment, opened for writing
	retired   []*os.File // rotated-out files, already fsync'ed, for the syncer to close
	lastSeq   uint64     // last assigned sequence number
	committed uint64     // commit mark
	total     int64      // sum of segment sizes
	headOff   int64      // offset of record committed+1 in segs[0]
	scratch   []byte
	pending   *round
	// What the last successful fsync covered: records up to syncedSeq,
	// which end in segment syncedSegFirst at syncedOff.
	syncedSeq      uint64
	syncedSegFirst uint64
	syncedOff      int64

	kick   chan struct{} // buffered(1): an Append has bytes to sync
	quit   chan struct{}
	exited chan struct{}
	syncs  atomic.Int64 // fsyncs done by the syncer, for tests and benchmarks
}

// Open opens the log in dir, creating dir if needed. It verifies every
// record's checksum and sequence. A bad record at the end of the last
// segment, with nothing that verifies after it, is taken for a write torn by
// a crash and the segment is truncated there (and logged). A bad record
// anywhere else is damage: the records that still verify are kept, the loss
// is logged and the damaged file is kept in damaged/ for inspection.
func Open(dir string, opts Options) (*WAL, error) {
	opts = opts.withDefaults()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create wal directory %s: %w", dir, err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	w := &WAL{
		dir:     dir,
		opts:    opts,
		log:     opts.Logger.With("component", "wal", "dir", dir),
		lock:    lock,
		pending: newRound(),
		kick:    make(chan struct{}, 1),
		quit:    make(chan struct{}),
		exited:  make(chan struct{}),
	}
	if err := w.load(); err != nil {
		if w.file != nil {
			w.file.Close()
		}
		lock.Close()
		return nil, err
	}
	go w.syncLoop()
	w.log.Info("wal opened",
		"segments", len(w.segs),
		"first_unflushed", w.committed+1,
		"last_seq", w.lastSeq,
		"unflushed_bytes", w.total-w.headOff)
	return w, nil
}

func (w *WAL) path(first uint64) string {
	return filepath.Join(w.dir, segmentName(first))
}

// load rebuilds the in-memory state from disk. It runs before the syncer
// starts, so it needs no locking.
func (w *WAL) load() error {
	if err := os.Remove(filepath.Join(w.dir, commitTmpFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove stale wal commit mark: %w", err)
	}
	if err := removeStaleTemps(w.dir); err != nil {
		return err
	}
	committed, err := readCommitMark(w.dir)
	if err != nil {
		return err
	}
	w.committed = committed
	firsts, err := listSegments(w.dir)
	if err != nil {
		return err
	}

	// A crash between writing the mark and deleting segments leaves
	// segments that are wholly committed: finish the job.
	for len(firsts) > 1 && firsts[1] <= committed+1 {
		if err := os.Remove(w.path(firsts[0])); err != nil {
			return fmt.Errorf("remove committed wal segment: %w", err)
		}
		w.log.Info("removed committed segment left by an interrupted commit", "segment", segmentName(firsts[0]))
		firsts = firsts[1:]
	}
	if len(firsts) > 0 && firsts[0] > committed+1 {
		return fmt.Errorf("wal %s: records %d to %d are missing: the commit mark is at %d but the oldest segment is %s",
			w.dir, committed+1, firsts[0]-1, committed, segmentName(firsts[0]))
	}

	next := committed + 1 // seq the next scanned record must carry
	for i, first := range firsts {
		if first != next && i > 0 {
			return fmt.Errorf("wal segment %s should start at sequence %d (where %s ends): refusing to open",
				segmentName(first), next, segmentName(firsts[i-1]))
		}
		var following uint64
		if i+1 < len(firsts) {
			following = firsts[i+1]
		}
		seg, end, err := w.scanSegment(first, following, false)
		if err != nil {
			return err
		}
		w.segs = append(w.segs, seg)
		w.total += seg.size
		next = end
	}
	w.lastSeq = next - 1

	if len(w.segs) == 0 || committed > w.lastSeq {
		if len(w.segs) > 0 {
			// The database has records this log lost (the tail was cut
			// or a file vanished). Start after the mark so no sequence
			// number is ever reused for a different event.
			w.log.Warn("commit mark is past the last record on disk; starting a new segment after it",
				"commit_mark", committed, "last_seq", w.lastSeq)
			for _, s := range w.segs {
				if err := os.Remove(w.path(s.first)); err != nil {
					return fmt.Errorf("remove committed wal segment: %w", err)
				}
			}
		}
		w.segs = []*segment{{first: committed + 1}}
		w.total = 0
		w.lastSeq = committed
		f, err := os.OpenFile(w.path(committed+1), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o640)
		if err != nil {
			return fmt.Errorf("create wal segment %s: %w", segmentName(committed+1), err)
		}
		w.file = f
	} else {
		active := w.segs[len(w.segs)-1]
		f, err := os.OpenFile(w.path(active.first), os.O_RDWR, 0)
		if err != nil {
			return fmt.Errorf("open wal segment %s: %w", segmentName(active.first), err)
		}
		w.file = f
	}
	// A killed process leaves its writes in the page cache, where this
	// process can read them; make them durable before anything read from
	// them reaches the database.
	if err := w.file.Sync(); err != nil {
		return fmt.Errorf("sync wal segment: %w", err)
	}
	if err := syncDir(w.dir); err != nil {
		return err
	}

	head := w.segs[0]
	if w.committed >= head.first {
		if w.headOff, err = w.endOf(head.first, head.index, head.size, w.committed); err != nil {
			return err
		}
	}
	active := w.segs[len(w.segs)-1]
	w.syncedSeq, w.syncedSegFirst, w.syncedOff = w.lastSeq, active.first, active.size
	w.lastSweep = time.Now()
	return w.sweepDamaged(damagedKeep)
}

// scanSegment verifies one segment and builds its index; it also returns the
// seq after its last record. next is the first seq of the following
// segment, 0 for the last one.
//
// A bad record is handled by what follows it. In the last segment, with no
// record that verifies after it, it is a write torn by a crash: the segment
// is cut there, as the failure model expects. Anywhere else it is damage
// (a bad sector, a stray write): the records that still verify are kept, a
// placeholder takes the seq of each lost one, the damaged file is kept in
// damaged/ and the loss is logged (see recoverSegment).
func (w *WAL) scanSegment(first, next uint64, recovered bool) (*segment, uint64, error) {
	name := segmentName(first)
	last := next == 0
	flag := os.O_RDONLY
	if last {
		flag = os.O_RDWR
	}
	f, err := os.OpenFile(w.path(first), flag, 0)
	if err != nil {
		return nil, 0, fmt.Errorf("open wal segment %s: %w", name, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("stat wal segment %s: %w", name, err)
	}
	seg := &segment{first: first}
	r := newRecordReader(f, 0, fi.Size(), first)
	for {
		off, seq := r.off, r.seq
		_, _, err := r.next(true)
		if err == io.EOF {
			break
		}
		var ce *corruptError
		if errors.As(err, &ce) {
			if recovered {
				return nil, 0, fmt.Errorf("wal segment %s still has a %w after its recovery", name, ce)
			}
			data, err := os.ReadFile(w.path(first))
			if err != nil {
				return nil, 0, fmt.Errorf("read damaged wal segment %s: %w", name, err)
			}
			runs := salvage(data, off, seq, next)
			if last && len(runs) == 0 {
				w.log.Warn("cut the torn tail of the last wal segment",
					"segment", name, "offset", off, "bytes_cut", fi.Size()-off,
					"records_kept", seq-first, "reason", ce.reason)
				if err := f.Truncate(off); err != nil {
					return nil, 0, fmt.Errorf("truncate wal segment %s: %w", name, err)
				}
				if err := f.Sync(); err != nil {
					return nil, 0, fmt.Errorf("sync wal segment %s: %w", name, err)
				}
				break
			}
			f.Close()
			if err := w.recoverSegment(first, next, data, off, seq, runs, ce); err != nil {
				return nil, 0, err
			}
			return w.scanSegment(first, next, true)
		}
		if err != nil {
			return nil, 0, fmt.Errorf("read wal segment %s: %w", name, err)
		}
		if len(seg.index) == 0 || off-seg.index[len(seg.index)-1].off >= indexEvery {
			seg.index = append(seg.index, indexEntry{seq: seq, off: off})
		}
		seg.size = r.off
	}
	return seg, r.seq, nil
}

// recoverSegment replaces a damaged segment by its records that verify,
// with placeholders for the lost ones (see rebuild), after keeping the
// damaged file in damaged/. Each step is durable before the next, and the
// replacement is a rename: a crash leaves the damaged or the recovered
// segment in place, never neither, and the next Open carries on.
func (w *WAL) recoverSegment(first, next uint64, data []byte, off int64, want uint64, runs []run, ce *corruptError) error {
	name := segmentName(first)
	if next != 0 {
		// Placeholders stand for records the damaged bytes held; more seqs
		// missing than those bytes could hold is not damage but lost data.
		end, expect := off, want
		if len(runs) > 0 {
			end, expect = runs[len(runs)-1].end, runs[len(runs)-1].seq+runs[len(runs)-1].n
		}
		if next-expect > uint64(int64(len(data))-end)/headerSize {
			return fmt.Errorf("wal segment %s is not the last segment yet has a %w, and records %d to %d cannot all have been in its %d bytes after it: refusing to open (move the file aside to recover what precedes it)",
				name, ce, expect, next-1, int64(len(data))-end)
		}
	}
	out, lost := rebuild(data, off, want, next, runs)
	var recoveredRecs uint64
	var recoveredBytes int64
	for _, r := range runs {
		recoveredRecs += r.n
		recoveredBytes += r.end - r.off
	}
	bytesLost := int64(len(data)) - off - recoveredBytes

	dd := filepath.Join(w.dir, damagedDir)
	if err := os.MkdirAll(dd, 0o750); err != nil {
		return fmt.Errorf("create %s: %w", dd, err)
	}
	keptPath := filepath.Join(dd, name)
	if _, err := os.Stat(keptPath); err == nil {
		keptPath = filepath.Join(dd, fmt.Sprintf("%s.%d", name, time.Now().UnixNano()))
	}
	if err := writeFileSync(keptPath, data); err != nil {
		return fmt.Errorf("keep damaged wal segment %s aside: %w", name, err)
	}
	if err := syncDir(dd); err != nil {
		return err
	}
	tmp := w.path(first) + tmpSuffix
	if err := writeFileSync(tmp, out); err != nil {
		return fmt.Errorf("write recovered wal segment %s: %w", name, err)
	}
	if err := os.Rename(tmp, w.path(first)); err != nil {
		return fmt.Errorf("replace damaged wal segment %s: %w", name, err)
	}
	if err := syncDir(w.dir); err != nil {
		return err
	}
	w.log.Error("wal segment damaged: recovered the records that verify, lost the others",
		"segment", name, "offset", off, "reason", ce.reason,
		"events_lost", lost, "bytes_lost", bytesLost,
		"events_recovered_after_damage", recoveredRecs, "kept_at", keptPath)
	return nil
}

// endOf returns the offset just past record seq, which must be in the
// segment starting at first and lie within size bytes.
func (w *WAL) endOf(first uint64, index []indexEntry, size int64, seq uint64) (int64, error) {
	name := segmentName(first)
	e := seekIndex(index, seq+1)
	if e.seq == seq+1 {
		return e.off, nil
	}
	f, err := os.Open(w.path(first))
	if err != nil {
		return 0, fmt.Errorf("open wal segment %s: %w", name, err)
	}
	defer f.Close()
	r := newRecordReader(f, e.off, size, e.seq)
	for r.seq <= seq {
		if _, _, err := r.next(false); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, fmt.Errorf("find record %d in wal segment %s: %w", seq, name, err)
		}
	}
	return r.off, nil
}

// Append writes records with consecutive sequence numbers and returns the
// last one once all of them are fsync'ed. Concurrent Appends share fsyncs.
// Records from one call are never split across segments.
//
// If ctx ends while waiting for the fsync, Append returns ctx's error but the
// records may still become durable and be replayed: the caller must treat the
// outcome as unknown (the client retries; duplicates are possible, loss is
// not). With no records it does nothing and returns 0.
func (w *WAL) Append(ctx context.Context, records ...[]byte) (uint64, error) {
	if len(records) == 0 {
		return 0, nil
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var need int64
	for _, rec := range records {
		if len(rec) > maxRecordBytes {
			return 0, fmt.Errorf("wal: record of %d bytes exceeds the %d-byte limit", len(rec), maxRecordBytes)
		}
		need += headerSize + int64(len(rec))
	}

	w.mu.Lock()
	switch {
	case w.closed:
		w.mu.Unlock()
		return 0, ErrClosed
	case w.err != nil:
		err := w.err
		w.mu.Unlock()
		return 0, err
	case w.total-w.headOff+need > w.opts.MaxBytes:
		w.mu.Unlock()
		return 0, ErrFull
	}
	if w.segs[len(w.segs)-1].size >= w.opts.SegmentBytes {
		if err := w.rotateLocked(); err != nil {
			w.mu.Unlock()
			return 0, err
		}
	}
	seg := w.segs[len(w.segs)-1]
	nIndex := len(seg.index)
	buf := w.scratch[:0]
	seq := w.lastSeq
	for _, rec := range records {
		seq++
		off := seg.size + int64(len(buf))
		if len(seg.index) == 0 || off-seg.index[len(seg.index)-1].off >= indexEvery {
			seg.index = append(seg.index, indexEntry{seq: seq, off: off})
		}
		buf = appendRecord(buf, seq, rec)
	}
	// The write goes to the page cache under mu so records land in
	// sequence order; the slow part, fsync, happens outside it.
	if _, err := w.file.WriteAt(buf, seg.size); err != nil {
		seg.index = seg.index[:nIndex]
		err = fmt.Errorf("append to wal segment %s: %w", segmentName(seg.first), err)
		// Undo a partial write so the next record starts on a boundary;
		// if even that fails the file is unusable.
		if terr := w.file.Truncate(seg.size); terr != nil {
			w.fail(fmt.Errorf("%w; truncating back also failed: %v", err, terr))
		}
		w.mu.Unlock()
		return 0, err
	}
	seg.size += int64(len(buf))
	w.total += int64(len(buf))
	w.lastSeq = seq
	if cap(buf) <= 1<<20 { // don't pin a one-off huge batch
		w.scratch = buf
	}
	r := w.pending
	w.mu.Unlock()

	select {
	case w.kick <- struct{}{}:
	default: // the syncer is already due to run
	}
	if w.opts.AckOnWrite {
		return seq, nil
	}
	select {
	case <-r.done:
		if r.err != nil {
			return 0, r.err
		}
		return seq, nil
	case <-ctx.Done():
		return 0, fmt.Errorf("wait for wal fsync: %w", ctx.Err())
	}
}

// fail records the first unrecoverable error; mu must be held.
func (w *WAL) fail(err error) {
	if w.err == nil {
		w.err = err
		w.log.Error("wal failed; appends will fail until the process restarts", "err", err)
	}
}

// rotateLocked starts a new segment; mu must be held. The old segment is
// fsync'ed first, so that on disk every segment but the last is always
// complete: that is what lets Open tell a torn tail from damage. The
// directory is fsync'ed after the create so no record is acknowledged in a
// file whose name could vanish. Two fsyncs under the lock per SegmentBytes
// is a stall appenders can afford.
func (w *WAL) rotateLocked() error {
	old := w.segs[len(w.segs)-1]
	if err := w.file.Sync(); err != nil {
		err = fmt.Errorf("sync wal segment %s: %w", segmentName(old.first), err)
		w.fail(err)
		return err
	}
	first := w.lastSeq + 1
	f, err := os.OpenFile(w.path(first), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return fmt.Errorf("create wal segment %s: %w", segmentName(first), err)
	}
	if err := syncDir(w.dir); err != nil {
		// Keep the empty file: the old segment is complete, so the pair
		// is consistent for Open, whereas appending more to the old one
		// would not be.
		f.Close()
		w.fail(err)
		return err
	}
	// The syncer may be fsyncing the old file right now; it closes it.
	w.retired = append(w.retired, w.file)
	w.file = f
	w.segs = append(w.segs, &segment{first: first})
	return nil
}

// syncLoop is the one goroutine that fsyncs. Appends that arrive during an
// fsync are covered by the next one, so under load each fsync serves many.
func (w *WAL) syncLoop() {
	defer close(w.exited)
	for {
		select {
		case <-w.kick:
			if w.opts.SyncDelay > 0 {
				select {
				case <-time.After(w.opts.SyncDelay):
				case <-w.quit:
				}
			}
			w.syncRound()
		case <-w.quit:
			w.syncRound()
			return
		}
	}
}

func (w *WAL) syncRound() {
	w.mu.Lock()
	r := w.pending
	w.pending = newRound()
	seq := w.lastSeq
	active := w.segs[len(w.segs)-1]
	segFirst, off := active.first, active.size
	f := w.file
	retired := w.retired
	w.retired = nil
	err := w.err
	needed := seq > w.syncedSeq
	w.mu.Unlock()

	if err == nil && needed {
		if err = f.Sync(); err != nil {
			err = fmt.Errorf("sync wal segment %s: %w", segmentName(segFirst), err)
		}
		w.syncs.Add(1)
	}
	for _, rf := range retired {
		rf.Close() // fsync'ed by rotateLocked; nothing left to lose
	}

	w.mu.Lock()
	if err != nil {
		w.fail(err)
		err = w.err
	} else if needed {
		w.syncedSeq, w.syncedSegFirst, w.syncedOff = seq, segFirst, off
	}
	w.mu.Unlock()
	r.err = err
	close(r.done)
}

// Read calls fn for the durable records with seq >= from, in order, at most
// max of them (max <= 0: no limit). rec is only valid during the call. It
// returns the seq after the last record fn accepted; if fn fails, Read stops
// and returns that record's seq with fn's error. from must not be below the
// oldest retained record; normally it is FirstUnflushed() or a previous next.
// fn must not call Commit or Close, which wait for Reads to finish.
func (w *WAL) Read(from uint64, max int, fn func(seq uint64, rec []byte) error) (next uint64, err error) {
	w.rmu.RLock()
	defer w.rmu.RUnlock()

	type view struct {
		first uint64
		limit int64
		index []indexEntry
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return from, ErrClosed
	}
	if oldest := w.segs[0].first; from < oldest {
		w.mu.Unlock()
		return from, fmt.Errorf("wal: read from %d: records before %d were committed and deleted", from, oldest)
	}
	durable := w.syncedSeq
	var views []view
	if from <= durable {
		start, found := slices.BinarySearchFunc(w.segs, from, func(s *segment, seq uint64) int {
			return cmpUint(s.first, seq)
		})
		if !found {
			start--
		}
		for _, s := range w.segs[start:] {
			if s.first > w.syncedSegFirst {
				break
			}
			limit := s.size
			if s.first == w.syncedSegFirst {
				limit = w.syncedOff
			}
			// index may grow under mu later; this copy of the slice header
			// only sees entries that are already written.
			views = append(views, view{first: s.first, limit: limit, index: s.index})
		}
	}
	w.mu.Unlock()

	next = from
	n := 0
	for _, v := range views {
		if len(v.index) == 0 {
			continue
		}
		name := segmentName(v.first)
		f, err := os.Open(w.path(v.first))
		if err != nil {
			return next, fmt.Errorf("open wal segment %s: %w", name, err)
		}
		e := v.index[0] // later segments start at their beginning
		if from > v.first {
			e = seekIndex(v.index, from)
		}
		r := newRecordReader(f, e.off, v.limit, e.seq)
		for {
			verify := r.seq >= from
			seq, rec, err := r.next(verify)
			if err == io.EOF {
				break
			}
			if err != nil {
				f.Close()
				return next, fmt.Errorf("read wal segment %s: %w", name, err)
			}
			if !verify {
				continue
			}
			if err := fn(seq, rec); err != nil {
				f.Close()
				return seq, err
			}
			next = seq + 1
			if n++; max > 0 && n >= max {
				f.Close()
				return next, nil
			}
		}
		f.Close()
	}
	return next, nil
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Commit records that every record <= upTo is in the database. The mark is
// made durable before any segment is deleted; segments holding only records
// <= upTo are then deleted (never the one being written). Commits below the
// current mark are no-ops; upTo beyond LastSeq() is an error.
func (w *WAL) Commit(upTo uint64) error {
	w.commitMu.Lock()
	defer w.commitMu.Unlock()

	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	if upTo <= w.committed {
		w.mu.Unlock()
		return nil
	}
	if upTo > w.syncedSeq {
		durable := w.syncedSeq
		w.mu.Unlock()
		return fmt.Errorf("wal: commit %d: beyond the last durable record %d", upTo, durable)
	}
	// The new head is the segment holding record upTo+1: the last one
	// starting at or before it. Only Commit removes segments, and it is
	// serialised, so i stays valid after unlocking.
	i := len(w.segs) - 1
	for w.segs[i].first > upTo+1 {
		i--
	}
	head := w.segs[i]
	first, index, size := head.first, head.index, head.size
	w.mu.Unlock()

	var headOff int64
	if first <= upTo {
		var err error
		if headOff, err = w.endOf(first, index, size, upTo); err != nil {
			return err
		}
	}
	if err := writeCommitMark(w.dir, upTo); err != nil {
		return err
	}

	w.rmu.Lock() // no Read may be in a file we delete
	defer w.rmu.Unlock()
	w.mu.Lock()
	dead := slices.Clone(w.segs[:i])
	w.segs = slices.Clone(w.segs[i:])
	for _, s := range dead {
		w.total -= s.size
	}
	w.headOff = headOff
	w.committed = upTo
	w.mu.Unlock()

	var errs []error
	for _, s := range dead {
		if err := os.Remove(w.path(s.first)); err != nil && !errors.Is(err, os.ErrNotExist) {
			// Open deletes it next time; only disk space is at stake.
			errs = append(errs, fmt.Errorf("remove committed wal segment: %w", err))
		}
	}
	if time.Since(w.lastSweep) > time.Hour {
		w.lastSweep = time.Now()
		errs = append(errs, w.sweepDamaged(damagedKeep))
	}
	return errors.Join(errs...)
}

// FirstUnflushed returns the seq of the first record not yet committed: where
// the batcher, or replay after a restart, starts reading.
func (w *WAL) FirstUnflushed() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.committed + 1
}

// LastSeq returns the seq of the last durable record (0 if there never was
// one): every Append that has returned is covered.
func (w *WAL) LastSeq() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.syncedSeq
}

// Size returns the bytes on disk of records not yet committed, which is what
// MaxBytes limits.
func (w *WAL) Size() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.total - w.headOff
}

// Close fsyncs what was appended, waits for Appends, Reads and Commits in
// progress, and releases the directory. It returns the log's sticky error,
// if any.
func (w *WAL) Close() error {
	w.commitMu.Lock()
	defer w.commitMu.Unlock()
	w.rmu.Lock()
	defer w.rmu.Unlock()
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	w.closed = true
	w.mu.Unlock()

	close(w.quit)
	<-w.exited // its last round covers every Append that got past closed

	w.mu.Lock()
	defer w.mu.Unlock()
	err := w.err
	if cerr := w.file.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("close wal segment: %w", cerr)
	}
	for _, f := range w.retired {
		f.Close()
	}
	w.lock.Close()
	return err
}

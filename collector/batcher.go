package collector

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/collector/session"
	"github.com/sillage-analytics/sillage/store"
)

// A batch is a range of log sequence numbers. Before inserting it, the
// batcher writes the range to an intent file; the insert carries a token
// made of the log's id and the range. After a crash between the insert and
// the log's commit, the same range is inserted again with the same token,
// which the store deduplicates: each event is stored exactly once.

const intentFile = "batch.intent"

// loadWALID returns the log's identity, created with it: sequence numbers
// restart if the log folder is wiped, and tokens must never repeat.
func loadWALID(dir string) (string, error) {
	path := filepath.Join(dir, "wal.id")
	if b, err := os.ReadFile(path); err == nil {
		if id := strings.TrimSpace(string(b)); id != "" {
			return id, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read write-ahead log id: %w", err)
	}
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	id := hex.EncodeToString(b)
	if err := writeFileSync(path, []byte(id+"\n")); err != nil {
		return "", fmt.Errorf("write write-ahead log id: %w", err)
	}
	return id, nil
}

// writeFileSync replaces a file atomically and durably.
func writeFileSync(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func (c *Collector) token(from, to uint64) string {
	return fmt.Sprintf("sillage-%s-%d-%d", c.walID, from, to)
}

func (c *Collector) readIntent() (from, to uint64, ok bool) {
	b, err := os.ReadFile(filepath.Join(c.cfg.Dir, intentFile))
	if err != nil {
		return 0, 0, false
	}
	parts := strings.Fields(string(b))
	if len(parts) != 2 {
		return 0, 0, false
	}
	f, err1 := strconv.ParseUint(parts[0], 10, 64)
	t, err2 := strconv.ParseUint(parts[1], 10, 64)
	return f, t, err1 == nil && err2 == nil && f <= t
}

// deliverPending sends everything left in the log, starting with the batch
// a previous run may have sent without committing (flushOnce retries it
// as it was).
func (c *Collector) deliverPending(ctx context.Context) error {
	left := c.pending()
	if left == 0 {
		return nil
	}
	c.log.Info("delivering events left in the write-ahead log", "events", left)
	for c.pending() > 0 {
		if err := c.flushOnce(ctx); err != nil {
			return err
		}
	}
	return nil
}

// pending is the number of durable events not yet in the store.
func (c *Collector) pending() uint64 {
	return c.wal.LastSeq() + 1 - c.wal.FirstUnflushed()
}

// flushOnce sends the next batch of the log to the store. One flush runs at
// a time: two would send the same range concurrently.
func (c *Collector) flushOnce(ctx context.Context) error {
	c.flushMu.Lock()
	defer c.flushMu.Unlock()
	if err := c.applyErasures(ctx); err != nil {
		return err
	}
	from := c.wal.FirstUnflushed()
	last := c.wal.LastSeq()
	if from > last {
		return nil
	}
	to := min(last, from+uint64(c.cfg.BatchSize)-1)
	// A range already attempted and not committed is sent again exactly as
	// it was, with the same token: its insert may have landed though it
	// reported an error (a timeout, a lost connection, a failed commit), and
	// a longer range would carry a new token and store those events twice.
	if f, t, ok := c.readIntent(); ok && f == from && t <= last {
		to = t
	}
	return c.insertRange(ctx, from, to)
}

func (c *Collector) insertRange(ctx context.Context, from, to uint64) error {
	events := make([]sillage.Event, 0, to-from+1)
	var decodeErr error
	_, err := c.wal.Read(from, int(to-from+1), func(seq uint64, rec []byte) error {
		if blankRecord(rec) {
			return nil // erased, or lost to damage (the log said so when it opened)
		}
		e, err := decodeEvent(rec)
		if newer := (*newerRecordError)(nil); errors.As(err, &newer) {
			// After a downgrade: the record stays in the log, and so do
			// the ones after it, until a release that reads it is back.
			return fmt.Errorf("record %d: %w: reinstall that release or a later one to deliver it and the %d events after it",
				seq, err, c.wal.LastSeq()-seq)
		}
		if err != nil {
			// A record that passed its checksum but does not decode was
			// written by an incompatible version; keep the rest flowing.
			decodeErr = fmt.Errorf("record %d: %w", seq, err)
			c.metrics.dropped.WithLabelValues("undecodable").Inc()
			return nil
		}
		events = append(events, e)
		return nil
	})
	if err != nil {
		return fmt.Errorf("deliver write-ahead log from %d: %w", from, err)
	}
	if decodeErr != nil {
		c.log.Error("skipping undecodable write-ahead log record", "error", decodeErr)
	}
	events = c.keepStorable(events)
	if err := writeFileSync(filepath.Join(c.cfg.Dir, intentFile), []byte(fmt.Sprintf("%d %d\n", from, to))); err != nil {
		return fmt.Errorf("write batch intent: %w", err)
	}
	// Noted before the insert: one that fails may still have landed.
	c.erase.noteStored(events)
	start := time.Now()
	if err := c.engine.InsertEvents(ctx, c.token(from, to), events); err != nil {
		c.metrics.insertErrors.Inc()
		return err
	}
	c.metrics.insertSeconds.Observe(time.Since(start).Seconds())
	c.metrics.stored.Add(float64(len(events)))
	if err := c.wal.Commit(to); err != nil {
		return fmt.Errorf("commit write-ahead log to %d: %w", to, err)
	}
	return nil
}

// batcher flushes on size or time; when the store fails it backs off,
// doubling up to 30 s, while the log keeps accepting events.
func (c *Collector) batcher(ctx context.Context) {
	defer c.done.Done()
	t := time.NewTimer(c.cfg.FlushInterval)
	defer t.Stop()
	backoff := time.Duration(0)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-c.flushNow:
			if backoff > 0 {
				continue // the timer decides while backing off
			}
		}
		err := c.flushOnce(ctx)
		for err == nil && c.pending() >= uint64(c.cfg.BatchSize) {
			err = c.flushOnce(ctx)
		}
		if err != nil && ctx.Err() == nil {
			backoff = min(max(2*backoff, 250*time.Millisecond), 30*time.Second)
			c.log.Warn("cannot deliver events to the store, retrying", "error", oneLine(err), "retry_in", backoff.String(),
				"waiting_events", c.pending())
			t.Reset(backoff)
			continue
		}
		backoff = 0
		t.Reset(c.cfg.FlushInterval)
	}
}

// kick asks the batcher for an early flush once a batch is full.
func (c *Collector) kick() {
	if c.pending() >= uint64(c.cfg.BatchSize) {
		select {
		case c.flushNow <- struct{}{}:
		default:
		}
	}
}

// restoreSessions reloads sessions alive in the last 30 minutes, from the
// events: a session lives on its last event other than engagement (which
// joins a session but does not extend it), and the sessions table's last
// time counts engagement too. In order of last event, so the tracker's
// lists take them in order; with their number of events, so that a session
// of one event is the first ended past the memory budget.
func (c *Collector) restoreSessions(ctx context.Context) error {
	// The visit's columns come from store.Events: a FixedString comes back
	// as text without its NUL padding.
	var visit []*store.Column
	var sel strings.Builder
	for i := range store.Events {
		col := &store.Events[i]
		if !col.Visit {
			continue
		}
		visit = append(visit, col)
		if col.Kind == store.KindFixedString {
			fmt.Fprintf(&sel, "replaceAll(toString(any(%s)), '\\0', ''), ", col.Name)
		} else {
			fmt.Fprintf(&sel, "any(%s), ", col.Name)
		}
	}
	rows, err := c.engine.Query(ctx, `SELECT site_id, visitor_id, session_id, min(session_start), max(ts), `+sel.String()+`count()
		FROM events
		WHERE toDate(ts) >= toDate({since:DateTime64(3, 'UTC')}) AND ts >= {since:DateTime64(3, 'UTC')}
			AND name != 'engagement'
		GROUP BY site_id, visitor_id, session_id
		ORDER BY max(ts)`,
		store.Params{"since": c.cfg.Now().Add(-session.Timeout)})
	if err != nil {
		return fmt.Errorf("restore live sessions: %w", err)
	}
	defer rows.Close()
	n := 0
	dest := make([]any, 0, 6+len(visit))
	for rows.Next() {
		var site uint32
		var vis, events uint64
		var s session.Session
		var e sillage.Event
		dest = append(dest[:0], &site, &vis, &s.ID, &s.Start, &s.Last)
		for _, col := range visit {
			dest = append(dest, col.Field(&e))
		}
		if err := rows.Scan(append(dest, &events)...); err != nil {
			return fmt.Errorf("restore live sessions: %w", err)
		}
		v := e.Visit // not the whole event: it would stay on the heap with the session
		s.Attrs = &v
		c.tracker.Restore(site, vis, s, events)
		n++
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("restore live sessions: %w", err)
	}
	c.log.Info("live sessions restored", "sessions", n)
	return nil
}

func oneLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

package mail

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/sillage-analytics/sillage/store"
)

// ErrNotConfigured is returned by Send when no SMTP server is configured.
var ErrNotConfigured = errors.New("no SMTP server configured (--smtp-url)")

// ErrGaveUp is returned by Send for a key whose delivery failed
// MaxAttempts times: it is not sent again.
var ErrGaveUp = errors.New("delivery given up after repeated failures")

// Status values of a record.
const (
	StatusPending = "pending" // to deliver, or to retry at NextAttempt
	StatusSent    = "sent"
	StatusFailed  = "failed" // given up
)

// OutboxOptions configure an Outbox.
type OutboxOptions struct {
	Engine store.Engine
	// Transport delivers; nil means no SMTP server is configured: Send
	// returns ErrNotConfigured and nothing is recorded.
	Transport Transport
	// From is shown to operators (settings).
	From string
	// Server describes the SMTP server for operators, without password.
	Server string
	// Secret seals the bodies kept for retries (at least 16 bytes, the
	// same on every process sharing the store: the API's --secret).
	Secret []byte
	Now    func() time.Time
	Logger *slog.Logger
	// Claimant names this process in claims; default host-pid-random.
	Claimant string
	// Settle is how long a claim waits before reading the claims back;
	// default 0 on the embedded engine, 2 s otherwise.
	Settle time.Duration
	// Lease is how long a won attempt is this process's; default 2 min.
	Lease time.Duration
	// RetryEvery is how often Run looks for due retries; default 30 s.
	RetryEvery time.Duration
	// MaxAttempts failed deliveries give a message up; default 10
	// (backoff 1, 2, 4 … 60 min: about 5 hours in all).
	MaxAttempts int
}

// Outbox is the Sender of the product: every message recorded in the
// store, delivered once per key, retried with backoff.
//
// The Outbox records every message in the store (mail_outbox, one row per
// key) before trying to deliver it, so a message survives a restart and
// a failed delivery is retried with backoff by Run. Each delivery attempt
// is claimed first in mail_claims: the process inserts a claim (key,
// attempt number, its claimant id, a lease), waits Settle, then reads the
// claims of that attempt back; the earliest by the engine's clock wins,
// ties broken by claimant id, and only the winner talks to the SMTP
// server. Within one process a lock per key serializes Send and the retry
// loop.
//
// Limits, written down because no store without transactions removes
// them:
//   - A claim must be visible to every process within Settle of the
//     engine stamping it (default 2 s on a ClickHouse server; 0 on the
//     embedded engine, which one process alone can open). An insert
//     delayed longer, or a cluster whose replicas lag more, can let two
//     processes both win. On a cluster, send mail from query processes
//     pointed at the same replica, or raise Settle above the lag.
//   - A process that dies after the SMTP server accepted the message but
//     before it recorded "sent" leaves the attempt claimed: once its
//     lease ends (Lease, default 2 min), another process retries and the
//     recipient may get the message twice. Both copies carry the same
//     Message-ID (derived from the key). Leases are compared on each
//     process's own clock: keep the machines' clocks in sync (NTP).
//   - Keys are remembered 30 days (the tables' TTL): a key sent again
//     after that is sent again.
//   - A message given up (MaxAttempts failed deliveries) stays failed:
//     Send of its key returns ErrGaveUp and sends nothing.
type Outbox struct {
	o      OutboxOptions
	seal   sealer
	locks  keyLocks
	mu     sync.Mutex
	lastTS time.Time
}

var _ Sender = (*Outbox)(nil)

// NewOutbox builds an Outbox.
func NewOutbox(o OutboxOptions) (*Outbox, error) {
	if o.Engine == nil {
		return nil, errors.New("mail outbox: no engine")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Claimant == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("mail outbox: claimant id: %w", err)
		}
		o.Claimant = host + "-" + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b)
	}
	if o.Settle == 0 && o.Engine.Kind() != "embedded" {
		o.Settle = 2 * time.Second
	}
	if o.Settle < 0 {
		o.Settle = 0
	}
	if o.Lease <= 0 {
		o.Lease = 2 * time.Minute
	}
	if o.RetryEvery <= 0 {
		o.RetryEvery = 30 * time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 10
	}
	s, err := newSealer(o.Secret)
	if err != nil {
		return nil, err
	}
	return &Outbox{o: o, seal: s}, nil
}

// Configured tells whether an SMTP server is configured.
func (b *Outbox) Configured() bool { return b.o.Transport != nil }

// Record is the stored state of one key.
type Record struct {
	Key         string
	Status      string
	To          []string
	Subject     string
	Attempts    int
	LastError   string
	FailedAt    time.Time
	NextAttempt time.Time
	CreatedAt   time.Time
	SentAt      time.Time
	body        string
}

// Send records msg under key and tries to deliver it now; a failed
// delivery is retried by Run with backoff. It returns nil once the
// message is delivered or safely recorded for a retry (Lookup tells
// which, with the last error), nil for a key sent before (nothing is
// sent again), ErrGaveUp for a key given up, ErrNotConfigured without an
// SMTP server, and an error when nothing could be recorded.
func (b *Outbox) Send(ctx context.Context, key string, msg Message) error {
	if b.o.Transport == nil {
		return ErrNotConfigured
	}
	if key == "" {
		return errors.New("mail: empty key")
	}
	if len(msg.To) == 0 || msg.Text == "" {
		return fmt.Errorf("mail %s: a message needs recipients and a text body", key)
	}
	unlock := b.locks.lock(key)
	defer unlock()
	rec, found, err := b.Lookup(ctx, key)
	if err != nil {
		return err
	}
	switch {
	case found && rec.Status == StatusSent:
		return nil
	case found && rec.Status == StatusFailed:
		return fmt.Errorf("mail %s: %w: %s", key, ErrGaveUp, rec.LastError)
	case !found:
		body, err := b.seal.sealMessage(msg)
		if err != nil {
			return fmt.Errorf("mail %s: %w", key, err)
		}
		now := b.o.Now().UTC()
		rec = Record{Key: key, Status: StatusPending, To: msg.To, Subject: msg.Subject, CreatedAt: now, NextAttempt: now, body: body}
		if err := b.write(ctx, rec); err != nil {
			return err
		}
	}
	// The request that asked may go away; the attempt it started finishes.
	b.attempt(context.WithoutCancel(ctx), key)
	return nil
}

// Lookup reads the record of key; found is false when there is none.
func (b *Outbox) Lookup(ctx context.Context, key string) (Record, bool, error) {
	rows, err := b.o.Engine.Query(ctx, `SELECT key, status, recipients, subject, body, attempts, last_error, failed_at,
			next_attempt, created_at, sent_at
		FROM mail_outbox FINAL WHERE key = {key:String}`, store.Params{"key": key})
	if err != nil {
		return Record{}, false, fmt.Errorf("read mail %s: %w", key, err)
	}
	recs, err := scanRecords(rows)
	if err != nil {
		return Record{}, false, fmt.Errorf("read mail %s: %w", key, err)
	}
	if len(recs) == 0 {
		return Record{}, false, nil
	}
	return recs[0], true, nil
}

func scanRecords(rows store.Rows) ([]Record, error) {
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var r Record
		var attempts uint32
		if err := rows.Scan(&r.Key, &r.Status, &r.To, &r.Subject, &r.body, &attempts, &r.LastError, &r.FailedAt,
			&r.NextAttempt, &r.CreatedAt, &r.SentAt); err != nil {
			return nil, err
		}
		r.Attempts = int(attempts)
		out = append(out, r)
	}
	return out, rows.Err()
}

// stamp is a version for updated_at, increasing within this process.
func (b *Outbox) stamp() time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	t := b.o.Now().UTC().Truncate(time.Microsecond)
	if !t.After(b.lastTS) {
		t = b.lastTS.Add(time.Microsecond)
	}
	b.lastTS = t
	return t
}

func (b *Outbox) write(ctx context.Context, r Record) error {
	to := r.To
	if to == nil {
		to = []string{}
	}
	err := b.o.Engine.Exec(ctx, `INSERT INTO mail_outbox (key, status, recipients, subject, body, attempts, last_error, failed_at,
			next_attempt, created_at, sent_at, updated_at)
		VALUES ({key:String}, {status:String}, {to:Array(String)}, {subject:String}, {body:String}, {attempts:UInt32},
			{err:String}, {failed:DateTime64(3, 'UTC')}, {next:DateTime64(3, 'UTC')}, {created:DateTime64(3, 'UTC')},
			{sent:DateTime64(3, 'UTC')}, {now:DateTime64(6, 'UTC')})`,
		store.Params{"key": r.Key, "status": r.Status, "to": to, "subject": r.Subject, "body": r.body,
			"attempts": uint32(r.Attempts), "err": r.LastError, "failed": zeroTime(r.FailedAt), "next": zeroTime(r.NextAttempt),
			"created": zeroTime(r.CreatedAt), "sent": zeroTime(r.SentAt), "now": b.stamp()})
	if err != nil {
		return fmt.Errorf("record mail %s (%s): %w", r.Key, r.Status, err)
	}
	return nil
}

func zeroTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return t.UTC()
}

// attempt makes one delivery attempt of key if it is due and this
// process wins its claim. The caller holds the key's lock. Failures are
// recorded and logged, not returned: the record is what tells.
func (b *Outbox) attempt(ctx context.Context, key string) {
	if err := b.tryAttempt(ctx, key); err != nil {
		b.o.Logger.Error("mail delivery attempt", "key", key, "error", err)
	}
}

func (b *Outbox) tryAttempt(ctx context.Context, key string) error {
	rec, found, err := b.Lookup(ctx, key)
	if err != nil || !found || rec.Status != StatusPending {
		return err
	}
	now := b.o.Now().UTC()
	n := rec.Attempts + 1
	last, winner, lease, err := b.lastClaim(ctx, key)
	if err != nil {
		return err
	}
	if last >= n {
		if lease.After(now) && winner != b.o.Claimant {
			return nil // another process is on it
		}
		// That attempt's process died, or this one's own attempt was cut
		// short: it counts as failed, and the next attempt is claimed.
		n = last + 1
	}
	if err := b.o.Engine.Exec(ctx, `INSERT INTO mail_claims (key, attempt, claimant, lease_until)
		VALUES ({key:String}, {n:UInt32}, {me:String}, {lease:DateTime64(3, 'UTC')})`,
		store.Params{"key": key, "n": uint32(n), "me": b.o.Claimant, "lease": now.Add(b.o.Lease)}); err != nil {
		return fmt.Errorf("claim mail %s attempt %d: %w", key, n, err)
	}
	if b.o.Settle > 0 {
		t := time.NewTimer(b.o.Settle)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	var first string
	if err := store.QueryRow(ctx, b.o.Engine, `SELECT claimant FROM mail_claims
		WHERE key = {key:String} AND attempt = {n:UInt32} ORDER BY claimed_at, claimant LIMIT 1`,
		store.Params{"key": key, "n": uint32(n)}, &first); err != nil {
		return fmt.Errorf("read claims of mail %s attempt %d: %w", key, n, err)
	}
	if first != b.o.Claimant {
		b.o.Logger.Debug("mail attempt claimed by another process", "key", key, "attempt", n, "by", first)
		return nil
	}
	msg, err := b.seal.openMessage(rec.body)
	if err != nil {
		// A body this process cannot open (another --secret): retrying
		// will not help.
		rec.Attempts, rec.Status, rec.LastError, rec.FailedAt, rec.body = n, StatusFailed, err.Error(), b.o.Now().UTC(), ""
		return b.write(ctx, rec)
	}
	msg.To, msg.Subject = rec.To, rec.Subject
	dctx, cancel := context.WithTimeout(ctx, b.o.Lease/2)
	derr := b.o.Transport.Deliver(dctx, key, msg)
	cancel()
	rec.Attempts = n
	after := b.o.Now().UTC()
	if derr == nil {
		rec.Status, rec.SentAt, rec.body = StatusSent, after, ""
		if err := b.write(ctx, rec); err != nil {
			return fmt.Errorf("mail %s delivered, but not recorded (a later attempt may send it again): %w", key, err)
		}
		b.o.Logger.Info("mail sent", "key", key, "attempt", n)
		return nil
	}
	rec.LastError, rec.FailedAt = derr.Error(), after
	if n >= b.o.MaxAttempts {
		rec.Status, rec.body = StatusFailed, ""
		b.o.Logger.Error("mail given up", "key", key, "attempts", n, "error", derr)
	} else {
		rec.NextAttempt = after.Add(Backoff(n))
		b.o.Logger.Warn("mail delivery failed; will retry", "key", key, "attempt", n, "retry_at", rec.NextAttempt, "error", derr)
	}
	return b.write(ctx, rec)
}

// lastClaim returns the highest attempt claimed for key, its winner and
// the winner's lease (0 when none).
func (b *Outbox) lastClaim(ctx context.Context, key string) (int, string, time.Time, error) {
	var n uint32
	var winner string
	var lease time.Time
	err := store.QueryRow(ctx, b.o.Engine, `SELECT attempt, claimant, lease_until FROM mail_claims
		WHERE key = {key:String} ORDER BY attempt DESC, claimed_at, claimant LIMIT 1`,
		store.Params{"key": key}, &n, &winner, &lease)
	if errors.Is(err, store.ErrNoRows) {
		return 0, "", time.Time{}, nil
	}
	if err != nil {
		return 0, "", time.Time{}, fmt.Errorf("read claims of mail %s: %w", key, err)
	}
	return int(n), winner, lease, nil
}

// Backoff is the wait after the nth failed attempt: 1 min doubling up to
// an hour.
func Backoff(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	if n > 7 {
		return time.Hour
	}
	return min(time.Minute<<(n-1), time.Hour)
}

// RetryDue makes an attempt at every pending message whose retry time has
// come, and returns how many it looked at.
func (b *Outbox) RetryDue(ctx context.Context) (int, error) {
	if b.o.Transport == nil {
		return 0, nil
	}
	rows, err := b.o.Engine.Query(ctx, `SELECT key FROM mail_outbox FINAL
		WHERE status = 'pending' AND next_attempt <= {now:DateTime64(3, 'UTC')} ORDER BY next_attempt LIMIT 100`,
		store.Params{"now": b.o.Now().UTC()})
	if err != nil {
		return 0, fmt.Errorf("list mail to retry: %w", err)
	}
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return 0, fmt.Errorf("list mail to retry: %w", err)
		}
		keys = append(keys, k)
	}
	if err := rows.Close(); err != nil {
		return 0, fmt.Errorf("list mail to retry: %w", err)
	}
	for _, k := range keys {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		unlock := b.locks.lock(k)
		b.attempt(ctx, k)
		unlock()
	}
	return len(keys), nil
}

// Run retries due messages every RetryEvery until ctx ends. The server
// starts it with the query service and cancels it on shutdown.
func (b *Outbox) Run(ctx context.Context) {
	if b.o.Transport == nil {
		return
	}
	t := time.NewTicker(b.o.RetryEvery)
	defer t.Stop()
	for {
		if _, err := b.RetryDue(ctx); err != nil && ctx.Err() == nil {
			b.o.Logger.Error("mail retry loop", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Status is what operators see of the mail in settings.
type Status struct {
	Configured  bool
	Server      string
	From        string
	LastSentAt  time.Time
	LastError   string
	LastErrorAt time.Time
	Pending     int
}

// Status reads the last delivery, the last error and how many messages
// wait for a retry.
func (b *Outbox) Status(ctx context.Context) (Status, error) {
	st := Status{Configured: b.o.Transport != nil, Server: b.o.Server, From: b.o.From}
	var pending uint64
	var lastSent time.Time
	if err := store.QueryRow(ctx, b.o.Engine, `SELECT countIf(status = 'pending'), maxIf(sent_at, status = 'sent')
		FROM mail_outbox FINAL`, nil, &pending, &lastSent); err != nil {
		return st, fmt.Errorf("mail status: %w", err)
	}
	st.Pending = int(pending)
	if lastSent.Unix() > 0 {
		st.LastSentAt = lastSent.UTC()
	}
	err := store.QueryRow(ctx, b.o.Engine, `SELECT last_error, failed_at FROM mail_outbox FINAL
		WHERE last_error != '' ORDER BY failed_at DESC LIMIT 1`, nil, &st.LastError, &st.LastErrorAt)
	if err != nil && !errors.Is(err, store.ErrNoRows) {
		return st, fmt.Errorf("mail status: %w", err)
	}
	st.LastErrorAt = st.LastErrorAt.UTC()
	return st, nil
}

// keyLocks serializes the work on one key within this process.
type keyLocks struct {
	mu sync.Mutex
	m  map[string]*keyLock
}

type keyLock struct {
	sync.Mutex
	n int
}

func (k *keyLocks) lock(key string) (unlock func()) {
	k.mu.Lock()
	if k.m == nil {
		k.m = map[string]*keyLock{}
	}
	l := k.m[key]
	if l == nil {
		l = &keyLock{}
		k.m[key] = l
	}
	l.n++
	k.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		k.mu.Lock()
		if l.n--; l.n == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
}

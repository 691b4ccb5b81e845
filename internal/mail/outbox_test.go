package mail

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage/internal/mailtest"
	"github.com/sillage-analytics/sillage/internal/proctest"
	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var secret = []byte("0123456789abcdef0123456789abcdef")

// clock is a test clock that moves only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newOutbox(t *testing.T, e store.Engine, smtpURL string, o OutboxOptions) *Outbox {
	t.Helper()
	cfg, err := ParseConfig(smtpURL, "Sillage <stats@example.com>")
	if err != nil {
		t.Fatal(err)
	}
	o.Engine, o.Transport, o.Secret, o.From, o.Server = e, NewSMTP(cfg), secret, cfg.From, cfg.String()
	b, err := NewOutbox(o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func lookup(t *testing.T, b *Outbox, key string) Record {
	t.Helper()
	r, found, err := b.Lookup(context.Background(), key)
	if err != nil || !found {
		t.Fatalf("lookup %s: found=%v err=%v", key, found, err)
	}
	return r
}

// count is how many arrived messages have exactly this subject.
func count(t *testing.T, mp *mailtest.Server, subject string) int {
	n := 0
	for _, m := range mp.Messages(t) {
		if m.Subject == subject {
			n++
		}
	}
	return n
}

// marker sends one more message and waits for it: Mailpit takes messages
// in order from one client, so whatever was sent before it has arrived.
func marker(t *testing.T, b *Outbox, mp *mailtest.Server) {
	t.Helper()
	key := fmt.Sprintf("marker-%d", time.Now().UnixNano())
	if err := b.Send(context.Background(), key, Message{To: []string{"marker@example.com"}, Subject: key, Text: "end"}); err != nil {
		t.Fatal(err)
	}
	mp.WaitFor(t, 30*time.Second, mailtest.To("marker@example.com", key))
}

func TestSendDeliversOnce(t *testing.T) {
	ctx := context.Background()
	e := storetest.Migrated(t)
	mp := mailtest.Start(t)
	b := newOutbox(t, e, mp.SMTPURL(), OutboxOptions{})
	msg := Message{To: []string{"claire@example.com", "marc@example.com"}, Subject: "Rapport hebdomadaire — boulangerie.fr",
		Text: "Visiteurs : 1 234\nhttps://stats.example.com/reset/abc", HTML: "<p>Visiteurs : <b>1 234</b></p>",
		Unsubscribe: "https://stats.example.com/unsubscribe/xyz"}
	if err := b.Send(ctx, "report:1:2026-W49", msg); err != nil {
		t.Fatal(err)
	}
	got := mp.WaitFor(t, 30*time.Second, mailtest.To("marc@example.com", "Rapport hebdomadaire"))
	if got.Subject != msg.Subject {
		t.Errorf("subject %q, want %q", got.Subject, msg.Subject)
	}
	if r := strings.Join(got.Recipients(), ","); r != "claire@example.com,marc@example.com" {
		t.Errorf("recipients %s", r)
	}
	if got.From.Address != "stats@example.com" || got.From.Name != "Sillage" {
		t.Errorf("from %+v", got.From)
	}
	if !strings.Contains(got.Text, "Visiteurs : 1 234") || !strings.Contains(got.HTML, "<b>1 234</b>") {
		t.Errorf("text %q html %q", got.Text, got.HTML)
	}
	if h := got.Headers["List-Unsubscribe"]; len(h) != 1 || h[0] != "<https://stats.example.com/unsubscribe/xyz>" {
		t.Errorf("List-Unsubscribe %v", h)
	}
	if h := got.Headers["List-Unsubscribe-Post"]; len(h) != 1 || h[0] != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post %v", h)
	}
	r := lookup(t, b, "report:1:2026-W49")
	if r.Status != StatusSent || r.Attempts != 1 || r.SentAt.IsZero() || r.body != "" {
		t.Errorf("record after delivery: %+v", r)
	}

	// The same key again, from this outbox and from a new one (a restart):
	// nothing more is sent.
	if err := b.Send(ctx, "report:1:2026-W49", msg); err != nil {
		t.Fatal(err)
	}
	restarted := newOutbox(t, e, mp.SMTPURL(), OutboxOptions{})
	if err := restarted.Send(ctx, "report:1:2026-W49", msg); err != nil {
		t.Fatal(err)
	}
	marker(t, restarted, mp)
	if n := count(t, mp, msg.Subject); n != 1 {
		t.Errorf("%d copies arrived, want 1", n)
	}
}

// Two processes sharing the store (two outboxes with their own claimant
// and no lock in common) send the same keys at once: each arrives once.
func TestTwoSendersOneStore(t *testing.T) {
	ctx := context.Background()
	e := storetest.Migrated(t)
	mp := mailtest.Start(t)
	a := newOutbox(t, e, mp.SMTPURL(), OutboxOptions{Claimant: "process-a", Settle: 300 * time.Millisecond})
	b := newOutbox(t, e, mp.SMTPURL(), OutboxOptions{Claimant: "process-b", Settle: 300 * time.Millisecond})
	const keys = 6
	var wg sync.WaitGroup
	errs := make(chan error, 4*keys)
	for i := range keys {
		msg := Message{To: []string{"team@example.com"}, Subject: fmt.Sprintf("alert %d", i), Text: "spike"}
		for _, o := range []*Outbox{a, b, a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- o.Send(ctx, fmt.Sprintf("alert:%d", i), msg)
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	marker(t, a, mp)
	for i := range keys {
		if n := count(t, mp, fmt.Sprintf("alert %d", i)); n != 1 {
			t.Errorf("alert %d arrived %d times, want 1", i, n)
		}
		if r := lookup(t, a, fmt.Sprintf("alert:%d", i)); r.Status != StatusSent || r.Attempts != 1 {
			t.Errorf("alert %d: %+v", i, r)
		}
	}
}

// The SMTP server refuses (nothing listens), then comes up: the retry
// loop delivers once the backoff has passed, and settings see the last
// error and the last delivery.
func TestRetryAfterRefusal(t *testing.T) {
	ctx := context.Background()
	e := storetest.Migrated(t)
	addr := proctest.FreePort(t)
	clk := &clock{t: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	b := newOutbox(t, e, "smtp+plain://"+addr, OutboxOptions{Now: clk.Now})
	msg := Message{To: []string{"ops@example.com"}, Subject: "Invitation", Text: "https://stats.example.com/invite/tok"}
	if err := b.Send(ctx, "invite:1", msg); err != nil {
		t.Fatal(err)
	}
	r := lookup(t, b, "invite:1")
	if r.Status != StatusPending || r.Attempts != 1 || r.LastError == "" || !r.NextAttempt.Equal(clk.Now().Add(time.Minute)) {
		t.Fatalf("after a refusal: %+v", r)
	}
	if strings.Contains(r.body, "invite/tok") {
		t.Errorf("the body waiting for a retry is stored in clear: %q", r.body)
	}
	st, err := b.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Configured || st.LastError != r.LastError || !st.LastErrorAt.Equal(clk.Now()) || !st.LastSentAt.IsZero() || st.Pending != 1 {
		t.Errorf("status after a refusal: %+v", st)
	}

	mp := mailtest.StartOn(t, addr)
	if n, err := b.RetryDue(ctx); err != nil || n != 0 {
		t.Fatalf("retried %d before the backoff (err %v)", n, err)
	}
	clk.Add(time.Minute)
	if n, err := b.RetryDue(ctx); err != nil || n != 1 {
		t.Fatalf("retried %d after the backoff (err %v)", n, err)
	}
	got := mp.WaitFor(t, 30*time.Second, mailtest.To("ops@example.com", "Invitation"))
	if !strings.Contains(got.Text, "https://stats.example.com/invite/tok") {
		t.Errorf("text %q", got.Text)
	}
	r = lookup(t, b, "invite:1")
	if r.Status != StatusSent || r.Attempts != 2 || r.body != "" {
		t.Errorf("after the retry: %+v", r)
	}
	st, err = b.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !st.LastSentAt.Equal(clk.Now()) || st.LastError == "" || st.Pending != 0 {
		t.Errorf("status after the retry: %+v", st)
	}
	if n, err := b.RetryDue(ctx); err != nil || n != 0 {
		t.Errorf("retried %d after delivery (err %v)", n, err)
	}
}

func TestGiveUp(t *testing.T) {
	ctx := context.Background()
	e := storetest.Migrated(t)
	addr := proctest.FreePort(t)
	clk := &clock{t: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	// STARTTLS with a password: the error must not show it.
	b := newOutbox(t, e, "smtp://ann:Pa55word@"+addr, OutboxOptions{Now: clk.Now, MaxAttempts: 2})
	msg := Message{To: []string{"ops@example.com"}, Subject: "Reset", Text: "link"}
	if err := b.Send(ctx, "reset:1", msg); err != nil {
		t.Fatal(err)
	}
	clk.Add(Backoff(1))
	if n, err := b.RetryDue(ctx); err != nil || n != 1 {
		t.Fatalf("retried %d (err %v)", n, err)
	}
	r := lookup(t, b, "reset:1")
	if r.Status != StatusFailed || r.Attempts != 2 || r.body != "" {
		t.Errorf("after MaxAttempts: %+v", r)
	}
	if strings.Contains(r.LastError, "Pa55word") {
		t.Errorf("the error shows the password: %s", r.LastError)
	}
	if err := b.Send(ctx, "reset:1", msg); !errors.Is(err, ErrGaveUp) {
		t.Errorf("Send of a key given up: %v, want ErrGaveUp", err)
	}
}

// An attempt claimed by a process that died (its lease over) is taken
// over; one whose lease runs is left to its process.
func TestClaimLease(t *testing.T) {
	ctx := context.Background()
	e := storetest.Migrated(t)
	mp := mailtest.Start(t)
	clk := &clock{t: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	b := newOutbox(t, e, mp.SMTPURL(), OutboxOptions{Now: clk.Now, Claimant: "me"})
	claim := func(key string, lease time.Time) {
		t.Helper()
		if err := e.Exec(ctx, `INSERT INTO mail_claims (key, attempt, claimant, lease_until)
			VALUES ({k:String}, 1, 'other', {l:DateTime64(3, 'UTC')})`, store.Params{"k": key, "l": lease}); err != nil {
			t.Fatal(err)
		}
	}
	claim("busy", clk.Now().Add(time.Minute))
	claim("dead", clk.Now().Add(-time.Second))
	for _, k := range []string{"busy", "dead"} {
		if err := b.Send(ctx, k, Message{To: []string{k + "@example.com"}, Subject: k, Text: k}); err != nil {
			t.Fatal(err)
		}
	}
	mp.WaitFor(t, 30*time.Second, mailtest.To("dead@example.com", "dead"))
	if r := lookup(t, b, "dead"); r.Status != StatusSent || r.Attempts != 2 {
		t.Errorf("dead claim: %+v", r)
	}
	if r := lookup(t, b, "busy"); r.Status != StatusPending || r.Attempts != 0 {
		t.Errorf("busy claim: %+v", r)
	}
	if n := count(t, mp, "busy"); n != 0 {
		t.Errorf("a claimed attempt was sent by another process")
	}
	// Its lease over, the retry loop takes it.
	clk.Add(time.Minute + time.Second)
	if _, err := b.RetryDue(ctx); err != nil {
		t.Fatal(err)
	}
	mp.WaitFor(t, 30*time.Second, mailtest.To("busy@example.com", "busy"))
}

func TestNotConfigured(t *testing.T) {
	b, err := NewOutbox(OutboxOptions{Engine: storetest.Migrated(t), Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	err = b.Send(context.Background(), "k", Message{To: []string{"a@b.c"}, Text: "x"})
	if !errors.Is(err, ErrNotConfigured) || b.Configured() {
		t.Errorf("Send without SMTP: %v", err)
	}
	st, err := b.Status(context.Background())
	if err != nil || st.Configured || !st.LastSentAt.IsZero() || st.LastError != "" {
		t.Errorf("status without SMTP: %+v %v", st, err)
	}
}

func TestBackoff(t *testing.T) {
	for n, want := range map[int]time.Duration{0: time.Minute, 1: time.Minute, 2: 2 * time.Minute, 3: 4 * time.Minute,
		6: 32 * time.Minute, 7: time.Hour, 8: time.Hour, 100: time.Hour} {
		if got := Backoff(n); got != want {
			t.Errorf("Backoff(%d) = %s, want %s", n, got, want)
		}
	}
}

func TestSealRoundTrip(t *testing.T) {
	s, err := newSealer(secret)
	if err != nil {
		t.Fatal(err)
	}
	m := Message{Text: "https://x/reset/secret-token", HTML: "<a>", Unsubscribe: "u"}
	sealed, err := s.sealMessage(m)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "secret-token") {
		t.Fatal("sealed body shows its text")
	}
	got, err := s.openMessage(sealed)
	if err != nil || got.Text != m.Text || got.HTML != m.HTML || got.Unsubscribe != m.Unsubscribe {
		t.Fatalf("open: %+v %v", got, err)
	}
	other, _ := newSealer([]byte("another secret of 32 bytes......"))
	if _, err := other.openMessage(sealed); err == nil {
		t.Error("opened with another secret")
	}
	if _, err := newSealer([]byte("short")); err == nil {
		t.Error("a short secret accepted")
	}
}

// A body sealed by the previous release (before the sealing moved to
// internal/seal) still opens: a message waiting in the outbox at upgrade
// time is sent, not lost.
func TestPreviousReleaseSealedBodyOpens(t *testing.T) {
	const sealed = "F+XnE5c92YXX6XwrZALA2vo+xpz8vXBoElZ+YWqadBlbJKx91gCgox7SompLGTXXIvbajKll76ka/fv3MEX7RlMST/nYg/XZF2YVxUA4yUB58ZyVpSMJ+lPZWl17oWSxhlI"
	s, err := newSealer([]byte("a test secret of thirty-two bytes"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.openMessage(sealed)
	if err != nil || m.Text != "hello" || m.HTML != "<p>hello</p>" || m.Unsubscribe != "https://x/u" {
		t.Fatalf("open: %+v %v", m, err)
	}
}

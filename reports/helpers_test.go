package reports_test

import (
	"context"
	"fmt"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/accounts/accountstest"
	"github.com/sillage-analytics/sillage/internal/mail"
	"github.com/sillage-analytics/sillage/reports"
	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/storetest"
)

func TestMain(m *testing.M) {
	accountstest.CheapPasswordHashing()
	storetest.Main(m)
}

// clock is the injected time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// outbox keeps what was sent, once per key as the Sender promises; it
// stands in for the SMTP path in the scheduler's unit tests (the
// end-to-end test sends through a real SMTP server).
type outbox struct {
	mu   sync.Mutex
	keys map[string]bool
	msgs []sent
	fail error // every Send fails with it while set
}

type sent struct {
	key string
	msg mail.Message
}

func (o *outbox) Send(_ context.Context, key string, msg mail.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.fail != nil {
		return o.fail
	}
	if o.keys == nil {
		o.keys = map[string]bool{}
	}
	if o.keys[key] {
		return nil
	}
	o.keys[key] = true
	o.msgs = append(o.msgs, sent{key, msg})
	return nil
}

func (o *outbox) take() []sent {
	o.mu.Lock()
	defer o.mu.Unlock()
	m := o.msgs
	o.msgs = nil
	return m
}

// counting counts the statements run on an engine, and those of the
// stats lane apart.
type counting struct {
	store.Engine
	all, stats atomic.Int64
}

func (c *counting) count(ctx context.Context) {
	c.all.Add(1)
	if store.LaneOf(ctx) == store.LaneStats {
		c.stats.Add(1)
	}
}

func (c *counting) Exec(ctx context.Context, q string, p store.Params) error {
	c.count(ctx)
	return c.Engine.Exec(ctx, q, p)
}

func (c *counting) Query(ctx context.Context, q string, p store.Params) (store.Rows, error) {
	c.count(ctx)
	return c.Engine.Query(ctx, q, p)
}

// fixture is an instance with a site, its owner and a viewer.
type fixture struct {
	t       *testing.T
	eng     *counting
	acc     *accounts.Service
	svc     *reports.Service
	clock   *clock
	out     *outbox
	site    sillage.Site
	owner   sillage.User
	viewer  sillage.User
	visitor uint64
}

func newFixture(t *testing.T, tz string, now time.Time) *fixture {
	t.Helper()
	ctx := context.Background()
	eng := &counting{Engine: storetest.Migrated(t)}
	c := &clock{t: now}
	acc := &accounts.Service{Engine: eng, Now: c.Now}
	f := &fixture{t: t, eng: eng, acc: acc, clock: c, out: &outbox{}}
	f.svc = &reports.Service{Engine: eng, Accounts: acc, Sender: f.out, PublicURL: "https://stats.example.fr", Now: c.Now}
	var err error
	if f.owner, err = acc.AddUser(ctx, "owner@a.fr", "a long enough password"); err != nil {
		t.Fatal(err)
	}
	if f.viewer, err = acc.AddUser(ctx, "viewer@a.fr", "a long enough password"); err != nil {
		t.Fatal(err)
	}
	if f.site, err = acc.AddSiteWithOwner(ctx, f.owner.ID, "a.fr", tz); err != nil {
		t.Fatal(err)
	}
	if _, err := acc.AddMember(ctx, f.site.ID, f.viewer.Email, sillage.RoleViewer); err != nil {
		t.Fatal(err)
	}
	return f
}

// visit inserts one session: pageviews of paths one minute apart, from a
// source, and the given custom events after them.
func (f *fixture) visit(start time.Time, source string, paths []string, custom ...sillage.Event) {
	f.t.Helper()
	f.visitor++
	var evs []sillage.Event
	base := sillage.Event{SiteID: f.site.ID, VisitorID: f.visitor, SessionID: f.visitor*10 + 1, SessionStart: start.UTC(),
		Hostname: f.site.Domain, Visit: sillage.Visit{ReferrerSource: source, Channel: "Referral"}, Props: map[string]string{}, Interactive: true}
	for i, p := range paths {
		e := base
		e.Timestamp, e.Name, e.Pathname = start.Add(time.Duration(i)*time.Minute).UTC(), "pageview", p
		evs = append(evs, e)
	}
	for i, c := range custom {
		e := base
		e.Timestamp, e.Name, e.Pathname = start.Add(time.Duration(len(paths)+i)*time.Minute).UTC(), c.Name, c.Pathname
		e.RevenueMilli, e.RevenueCurrency = c.RevenueMilli, c.RevenueCurrency
		evs = append(evs, e)
	}
	if err := f.eng.InsertEvents(context.Background(), fmt.Sprint("t", f.visitor), evs); err != nil {
		f.t.Fatal(err)
	}
}

var tokenInURL = regexp.MustCompile(`/api/reports/unsubscribe/([A-Za-z0-9_-]+)$`)

// crowd inserts n one-pageview visits starting at start, a second apart,
// in one batch.
func (f *fixture) crowd(n int, start time.Time) {
	f.t.Helper()
	var evs []sillage.Event
	for i := range n {
		f.visitor++
		ts := start.Add(time.Duration(i) * time.Second).UTC()
		evs = append(evs, sillage.Event{SiteID: f.site.ID, VisitorID: f.visitor, SessionID: f.visitor*10 + 1, SessionStart: ts,
			Timestamp: ts, Name: "pageview", Pathname: "/", Hostname: f.site.Domain, Props: map[string]string{}, Interactive: true})
	}
	if n == 0 {
		return
	}
	if err := f.eng.InsertEvents(context.Background(), fmt.Sprint("c", f.visitor), evs); err != nil {
		f.t.Fatal(err)
	}
}

package reports

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/internal/mail"
)

// TickEvery is how often the scheduler looks for what is due.
const TickEvery = time.Minute

// Scheduler sends what is due: reports from SendHour on the first day
// after their period, alerts as their checks come due. One pass (Tick)
// reads the configuration (subscriptions, alert settings, sites: three
// statements whatever the number of sites) and runs a stats query only for
// a report to build or an alert check that is due; what it sent or found
// done it remembers, so later passes skip it without a statement.
type Scheduler struct {
	S *Service

	done      map[string]bool      // send keys delivered
	retry     map[string]time.Time // send keys that failed: not before
	failures  map[string]int
	spikeNext map[uint32]time.Time // next spike check of each site
	dropDone  map[uint32]Date      // last day checked for a drop, per site
}

// NewScheduler returns a scheduler of s.
func NewScheduler(s *Service) *Scheduler {
	return &Scheduler{S: s, done: map[string]bool{}, retry: map[string]time.Time{}, failures: map[string]int{},
		spikeNext: map[uint32]time.Time{}, dropDone: map[uint32]Date{}}
}

// Run ticks every TickEvery until ctx ends. Without a Sender or a public
// URL it returns at once: nothing can be sent.
func (sc *Scheduler) Run(ctx context.Context) {
	if !sc.S.CanSend() {
		sc.S.log().Info("reports and alerts are off: they need an SMTP server (--smtp-url) and the dashboard's address (--public-url)")
		return
	}
	t := time.NewTicker(TickEvery)
	defer t.Stop()
	for {
		if err := sc.Tick(ctx); err != nil && ctx.Err() == nil {
			sc.S.log().Error("reports scheduler", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SendKey names one report to one recipient: the Sender sends each once.
func SendKey(siteID uint32, email string, kind Kind, p Period) string {
	return "report:" + strconv.FormatUint(uint64(siteID), 10) + ":" + email + ":" + string(kind) + ":" + p.From.String()
}

// due is one report to send.
type due struct {
	sub  Subscription
	site sillage.Site
	p    Period
	key  string
}

// Tick sends what is due now. Errors of one site do not stop the others;
// they are returned together.
func (sc *Scheduler) Tick(ctx context.Context) error {
	s := sc.S
	if !s.CanSend() {
		return nil
	}
	now := s.now()
	sites, err := s.Accounts.Sites(ctx)
	if err != nil {
		return fmt.Errorf("list sites: %w", err)
	}
	byID := map[uint32]sillage.Site{}
	for _, st := range sites {
		byID[st.ID] = st
	}
	subs, err := s.Subscriptions(ctx, 0)
	if err != nil {
		return err
	}
	alerts, err := s.allAlerts(ctx, 0)
	if err != nil {
		return err
	}
	var errs []error

	// Reports: what is due and not known done.
	var todo []due
	var unknown []string
	for _, sub := range subs {
		site, ok := byID[sub.SiteID]
		if !ok {
			// The site was deleted: its recipients' addresses go with it.
			if err := s.Unsubscribe(ctx, sub); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		p, _ := Previous(sub.Kind, now, location(site))
		key := SendKey(site.ID, sub.Email, sub.Kind, p)
		if sc.done[key] || now.Before(sc.retry[key]) {
			continue
		}
		todo = append(todo, due{sub: sub, site: site, p: p, key: key})
		unknown = append(unknown, key)
	}
	if len(todo) > 0 {
		sent, err := s.delivered(ctx, unknown)
		if err != nil {
			return err
		}
		built := map[string]*Report{}
		for _, d := range todo {
			if sent[d.key] {
				sc.done[d.key] = true
				continue
			}
			bk := strconv.FormatUint(uint64(d.site.ID), 10) + ":" + string(d.p.Kind) + ":" + d.p.From.String() +
				":" + strconv.FormatUint(d.sub.SegmentID, 10)
			rep, ok := built[bk]
			if !ok {
				if rep, err = s.buildFor(ctx, d.site, d.p, d.sub); err != nil {
					errs = append(errs, err)
					sc.later(d.key, now)
					continue
				}
				built[bk] = rep
			}
			if err := s.sendReport(ctx, rep, d.sub, d.key); err != nil {
				errs = append(errs, err)
				sc.later(d.key, now)
				continue
			}
			sc.done[d.key] = true
			delete(sc.failures, d.key)
			delete(sc.retry, d.key)
		}
	}

	// Alerts.
	for id, a := range alerts {
		site, ok := byID[id]
		if !ok || len(a.Recipients) == 0 {
			continue
		}
		if a.SpikeVisitors > 0 && !now.Before(sc.spikeNext[id]) {
			sc.spikeNext[id] = now.Add(SpikeEvery)
			if _, err := s.checkSpike(ctx, site, a); err != nil {
				errs = append(errs, err)
			}
		}
		if a.Drop {
			loc := location(site)
			today := dateOf(now.In(loc))
			if now.Before(today.at(SendHour, loc)) {
				continue
			}
			day := today.add(-1)
			if sc.dropDone[id] == day {
				continue
			}
			if _, err := s.checkDrop(ctx, site, a, day); err != nil {
				errs = append(errs, err)
				continue
			}
			sc.dropDone[id] = day
		}
	}
	return errors.Join(errs...)
}

// buildFor builds the report a subscription receives: restricted to its
// segment, which must still be one its recipient may see.
func (s *Service) buildFor(ctx context.Context, site sillage.Site, p Period, sub Subscription) (*Report, error) {
	if sub.SegmentID == 0 {
		return s.Build(ctx, site, p)
	}
	seg, err := s.Accounts.SegmentFor(ctx, site.ID, sub.SegmentID, sub.UserID)
	if err != nil {
		return nil, fmt.Errorf("report of %s: segment %d: %w", site.Domain, sub.SegmentID, err)
	}
	return s.BuildSegment(ctx, site, p, &seg)
}

// later backs a failed key off: 1, 2, 4… minutes, at most an hour.
func (sc *Scheduler) later(key string, now time.Time) {
	n := sc.failures[key]
	sc.failures[key] = n + 1
	sc.retry[key] = now.Add(min(time.Minute<<min(n, 6), time.Hour))
}

// sendReport sends a built report to one subscriber and records it.
func (s *Service) sendReport(ctx context.Context, rep *Report, sub Subscription, key string) error {
	tok, err := s.UnsubscribeToken(ctx, sub)
	if err != nil {
		return err
	}
	r, err := rep.Render(sub.Lang, s.link(sitePath(rep.Site.Domain)), s.link("/unsubscribe/"+tok))
	if err != nil {
		return err
	}
	sendErr := s.Sender.Send(ctx, key, mail.Message{To: []string{sub.Email}, Subject: r.Subject, Text: r.Text, HTML: r.HTML,
		Unsubscribe: s.link("/api/reports/unsubscribe/" + tok)})
	if err := s.recordDelivery(ctx, key, sub, rep.Period, sendErr); err != nil {
		return errors.Join(sendErr, err)
	}
	if sendErr != nil {
		return fmt.Errorf("send %s: %w", key, sendErr)
	}
	return nil
}

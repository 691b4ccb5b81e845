package stats

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/store"
)

// Realtime counts the unique visitors with an event in the last 5 minutes
// (engagement events included: they mean the page is still open).
func (e *Engine) Realtime(ctx context.Context, site sillage.Site) (uint64, error) {
	now := e.now().UTC()
	since := now.Add(-5 * time.Minute)
	var n uint64
	err := store.QueryRow(ctx, e.store(), realtimeSQL, store.Params{
		// A few seconds of slack for collectors whose clocks run ahead.
		"site": site.ID, "since": since, "until": now.Add(5 * time.Second), "day": since.Format(dateLayout),
	}, &n)
	if err != nil {
		return 0, fmt.Errorf("stats: realtime visitors: %w", err)
	}
	return n, nil
}

// FunnelResult is how far visitors went through a funnel's steps.
type FunnelResult struct {
	AllVisitors           uint64       `json:"all_visitors"`      // visitors in range, with the filters
	EnteringVisitors      uint64       `json:"entering_visitors"` // visitors who did step 1
	NeverEnteringVisitors uint64       `json:"never_entering_visitors"`
	SamplePercent         float64      `json:"sample_percent,omitempty"` // see Meta.SamplePercent
	ConversionRate        float64      `json:"conversion_rate"`          // % of entering visitors who did every step
	Steps                 []FunnelStep `json:"steps"`
}

// FunnelStep is one step's count. Rates are percentages with 2 decimals.
type FunnelStep struct {
	Label              string  `json:"label"`
	Visitors           uint64  `json:"visitors"`
	ConversionRate     float64 `json:"conversion_rate"`      // of the visitors who entered the funnel
	ConversionRateStep float64 `json:"conversion_rate_step"` // of the previous step's visitors
	DropOff            uint64  `json:"dropoff"`              // previous step's visitors who stopped before this one
	DropOffPercentage  float64 `json:"dropoff_percentage"`
}

// DefaultFunnelWindow is the time a visitor has from one step's start to
// complete the funnel when Funnel is given no window.
const DefaultFunnelWindow = 24 * time.Hour

// Funnel counts the visitors who completed 2 to 8 steps in order, each step
// within window of the first (ClickHouse windowFunnel: other events may come
// between steps). q supplies the date range and visit filters; its metrics
// and dimensions are ignored. goals are the site's, which a goal filter
// under has_done names (without them it matches nobody).
func (e *Engine) Funnel(ctx context.Context, site sillage.Site, steps []Goal, window time.Duration, q *Query, goals ...Goal) (*FunnelResult, error) {
	if len(steps) < 2 || len(steps) > 8 {
		return nil, qerr("steps", "a funnel has 2 to 8 steps, got %d", len(steps))
	}
	for i, s := range steps {
		if (s.EventName == "") == (s.PagePath == "") {
			return nil, qerr(fmt.Sprintf("steps[%d]", i), "a step is either an event name or a page path")
		}
	}
	if window <= 0 {
		window = DefaultFunnelWindow
	}
	fq := *q
	if len(fq.Metrics) == 0 {
		fq.Metrics = []string{MVisitors}
	}
	fq.Dimensions, fq.OrderBy, fq.Include = nil, nil, Include{}
	if err := fq.Validate(); err != nil {
		return nil, err
	}
	if err := fq.checkExpanded(); err != nil {
		return nil, err
	}
	for i, f := range fq.Filters {
		if eventFilterOutsideHasDone(f) {
			return nil, qerr(fmt.Sprintf("filters[%d]", i), "funnels take visit filters (and has_done/has_not_done) only")
		}
	}
	loc, _, sp, err := e.resolve(ctx, site, &fq)
	if err != nil {
		return nil, err
	}
	p := &plan{siteID: site.ID, tz: loc.String(), loc: loc, span: sp, filters: fq.Filters, goals: goals}
	if p.hidden, err = e.hiddenImports(ctx, site.ID); err != nil {
		return nil, err
	}
	if err := e.counting(ctx, p); err != nil {
		return nil, err
	}
	b := newBuilder(p)
	sql := b.funnel(steps, window, e.limits())
	counts := make([]uint64, len(steps)+1)
	dest := make([]any, len(counts))
	for i := range counts {
		dest[i] = &counts[i]
	}
	if err := store.QueryRow(ctx, e.store(), sql, b.params, dest...); err != nil {
		return nil, engineErr(err)
	}
	for i := range counts {
		counts[i] = p.scale(MVisitors, counts[i]).(uint64)
	}
	// Visitors past step 1 count exactly; those who entered and all
	// visitors are counted like the visitors metric (uniq above
	// Engine.ExactBelow), and never shown below the step that follows.
	if len(steps) > 1 {
		counts[0] = max(counts[0], counts[1])
	}
	res := &FunnelResult{AllVisitors: max(counts[len(steps)], counts[0]), EnteringVisitors: counts[0], SamplePercent: p.samplePercent()}
	res.NeverEnteringVisitors = res.AllVisitors - res.EnteringVisitors
	for i, s := range steps {
		st := FunnelStep{Label: s.Name(), Visitors: counts[i]}
		st.ConversionRate = pct(counts[i], counts[0])
		if i == 0 {
			st.ConversionRateStep = pct(counts[0], counts[0])
		} else {
			st.ConversionRateStep = pct(counts[i], counts[i-1])
			st.DropOff = counts[i-1] - counts[i]
			st.DropOffPercentage = pct(st.DropOff, counts[i-1])
		}
		res.Steps = append(res.Steps, st)
	}
	res.ConversionRate = pct(counts[len(steps)-1], counts[0])
	return res, nil
}

func pct(n, of uint64) float64 {
	if of == 0 {
		return 0
	}
	return math.Round(float64(n)*10000/float64(of)) / 100
}

func eventFilterOutsideHasDone(f Filter) bool {
	if f.Op == "has_done" || f.Op == "has_not_done" {
		return false
	}
	if f.Dimension != "" {
		return needsEvents(f)
	}
	for _, c := range f.Filters {
		if eventFilterOutsideHasDone(c) {
			return true
		}
	}
	return false
}

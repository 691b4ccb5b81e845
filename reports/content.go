package reports

import (
	"context"
	"fmt"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/query/stats"
)

// TopN is how many sources, pages and goals a report lists.
const TopN = 5

// Report is what a report says of a site over a period.
type Report struct {
	Site   sillage.Site
	Period Period

	Visitors, Pageviews, BounceRate, VisitDuration Metric

	Sources []Row
	Pages   []Row
	Goals   []GoalRow
	// Sampled is the percent of visitors read when the range was sampled.
	Sampled float64
	// Segment names the saved segment the report is restricted to.
	Segment string
}

// Metric is a number and how it moved since the period before: percent for
// counts and durations, points for the bounce rate; nil when there was
// nothing to compare with.
type Metric struct {
	Value  float64
	Change *float64
}

// Row is a source or a page with its visitors (and pageviews for pages).
type Row struct {
	Name                string
	Visitors, Pageviews uint64
}

// GoalRow is a goal's conversions over the period.
type GoalRow struct {
	Name           string
	Visitors       uint64  // unique conversions
	Events         uint64  // total conversions
	ConversionRate float64 // percent of the period's visitors
	Revenue        string  // "1 234.50 EUR", empty for a goal without revenue
}

// Build queries the report of a site over a period, with the engine the
// dashboard uses.
func (s *Service) Build(ctx context.Context, site sillage.Site, p Period) (*Report, error) {
	return s.BuildSegment(ctx, site, p, nil)
}

// BuildSegment is Build restricted to a saved segment (nil: the whole site).
func (s *Service) BuildSegment(ctx context.Context, site sillage.Site, p Period, seg *accounts.Segment) (*Report, error) {
	var filters []stats.Filter
	if seg != nil {
		filters = seg.Filters
	}
	goals, err := s.goals(ctx, site.ID)
	if err != nil {
		return nil, err
	}
	rng := stats.DateRange{From: p.From.String(), To: p.To.String()}
	prev := p.before()
	r := &Report{Site: site, Period: p}
	if seg != nil {
		r.Segment = seg.Name
	}

	agg, err := s.stats().Run(ctx, site, goals, &stats.Query{
		SiteID: site.Domain, DateRange: rng, Filters: filters,
		Metrics: []string{stats.MVisitors, stats.MPageviews, stats.MBounceRate, stats.MVisitDuration},
		Include: stats.Include{Comparisons: &stats.Comparisons{Mode: "custom",
			DateRange: &stats.DateRange{From: prev.From.String(), To: prev.To.String()}}},
	})
	if err != nil {
		return nil, fmt.Errorf("report of %s: totals: %w", site.Domain, err)
	}
	r.Sampled = agg.Meta.SamplePercent
	if len(agg.Results) == 1 {
		row := agg.Results[0]
		for i, m := range []*Metric{&r.Visitors, &r.Pageviews, &r.BounceRate, &r.VisitDuration} {
			m.Value, _ = num(row.Metrics[i])
			if row.Comparison != nil {
				if c, ok := num(row.Comparison.Change[i]); ok {
					m.Change = &c
				}
			}
		}
	}

	src, err := s.top(ctx, site, goals, filters, rng, "visit:source", []string{stats.MVisitors})
	if err != nil {
		return nil, err
	}
	for _, x := range src {
		v, _ := num(x.Metrics[0])
		r.Sources = append(r.Sources, Row{Name: fmt.Sprint(x.Dimensions[0]), Visitors: uint64(v)})
	}
	pages, err := s.top(ctx, site, goals, filters, rng, "event:page", []string{stats.MVisitors, stats.MPageviews})
	if err != nil {
		return nil, err
	}
	for _, x := range pages {
		v, _ := num(x.Metrics[0])
		pv, _ := num(x.Metrics[1])
		r.Pages = append(r.Pages, Row{Name: fmt.Sprint(x.Dimensions[0]), Visitors: uint64(v), Pageviews: uint64(pv)})
	}
	if len(goals) > 0 {
		gs, err := s.top(ctx, site, goals, filters, rng, "event:goal",
			[]string{stats.MVisitors, stats.MEvents, stats.MConversionRate, stats.MTotalRevenue})
		if err != nil {
			return nil, err
		}
		for _, x := range gs {
			g := GoalRow{Name: fmt.Sprint(x.Dimensions[0])}
			v, _ := num(x.Metrics[0])
			ev, _ := num(x.Metrics[1])
			g.Visitors, g.Events = uint64(v), uint64(ev)
			g.ConversionRate, _ = num(x.Metrics[2])
			if m, ok := x.Metrics[3].(*stats.Money); ok && m != nil {
				g.Revenue = m.String()
			}
			r.Goals = append(r.Goals, g)
		}
	}
	return r, nil
}

// top is a breakdown's first TopN rows by visitors.
func (s *Service) top(ctx context.Context, site sillage.Site, goals []stats.Goal, filters []stats.Filter, rng stats.DateRange, dim string, metrics []string) ([]stats.Result, error) {
	resp, err := s.stats().Run(ctx, site, goals, &stats.Query{
		SiteID: site.Domain, DateRange: rng, Filters: filters, Metrics: metrics, Dimensions: []string{dim},
		OrderBy:    []stats.OrderBy{{Key: stats.MVisitors, Direction: "desc"}, {Key: dim, Direction: "asc"}},
		Pagination: stats.Pagination{Limit: TopN},
	})
	if err != nil {
		return nil, fmt.Errorf("report of %s: %s: %w", site.Domain, dim, err)
	}
	return resp.Results, nil
}

// goals returns a site's goals in the stats engine's terms.
func (s *Service) goals(ctx context.Context, siteID uint32) ([]stats.Goal, error) {
	gs, err := s.Accounts.Goals(ctx, siteID)
	if err != nil {
		return nil, fmt.Errorf("goals of site %d: %w", siteID, err)
	}
	return gs, nil
}

// num reads a metric value as a float.
func num(v any) (float64, bool) {
	switch x := v.(type) {
	case uint64:
		return float64(x), true
	case int64:
		return float64(x), true
	case float64:
		return x, true
	case int:
		return float64(x), true
	}
	return 0, false
}

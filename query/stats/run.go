package stats

// Stage 5, run: the Engine, its bounds on each statement, and Run, which
// takes a query through every stage; execute sends the statement sql.go
// writes to the store and scans its rows, compare does the same over the
// comparison period.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/store"
)

// Engine answers Stats API queries from the store.
type Engine struct {
	Store store.Engine
	Now   func() time.Time // default time.Now
	// ExactBelow chooses how visitors are counted: a range whose event count,
	// estimated from the primary index, is below it uses uniqExact; above
	// it, uniq (about 1% error, bounded memory). 0 means DefaultExactBelow.
	ExactBelow uint64
	// SampleAbove bounds the events a query reads: a range estimated to
	// hold more is read through SAMPLE (by visitor, so a visitor is wholly
	// in or out) and counts are scaled up; the response gives the percent.
	// 0 means DefaultSampleAbove; math.MaxUint64 never samples.
	SampleAbove uint64
	// Timeout bounds each statement (max_execution_time); 0 means 30 s.
	Timeout time.Duration
	// MaxMemory bounds the memory of each statement in bytes
	// (max_memory_usage): past it the statement fails instead of taking
	// the process's memory from everyone. 0 means DefaultMaxMemory; a
	// negative value leaves the engine's own bound.
	MaxMemory int64

	mu        sync.Mutex
	estimates map[estimateKey]estimate // range sizes, cached for estimateTTL
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Engine) maxSeconds() int {
	if e.Timeout <= 0 {
		return 30
	}
	return max(1, int(e.Timeout/time.Second))
}

// DefaultMaxMemory is the memory one stats statement may take: 2 GiB, far
// above what the dashboard's queries take over 10 M events (which is where
// sampling starts), so that only a runaway statement meets it.
const DefaultMaxMemory = 2 << 30

// limits bound one statement.
type limits struct {
	seconds int
	memory  int64 // bytes; 0 for the engine's own bound
}

func (e *Engine) limits() limits {
	l := limits{seconds: e.maxSeconds(), memory: e.MaxMemory}
	switch {
	case l.memory == 0:
		l.memory = DefaultMaxMemory
	case l.memory < 0:
		l.memory = 0
	}
	return l
}

// store is the engine's store with every statement in the stats lane, so
// that the engine runs account and session statements on connections that
// a long stats query never holds (see store.LaneStats).
func (e *Engine) store() store.Engine { return statsLane{e.Store} }

type statsLane struct{ store.Engine }

func (s statsLane) Exec(ctx context.Context, query string, params store.Params) error {
	return s.Engine.Exec(store.WithLane(ctx, store.LaneStats), query, params)
}

func (s statsLane) Query(ctx context.Context, query string, params store.Params) (store.Rows, error) {
	return s.Engine.Query(store.WithLane(ctx, store.LaneStats), query, params)
}

// Run answers q for a site. goals are the site's configured goals; a goal
// filter or dimension refers to them by name. It takes the stages in order
// (doc.go): validate, plan, SQL and run, shape.
func (e *Engine) Run(ctx context.Context, site sillage.Site, goals []Goal, q *Query) (*Response, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	if err := q.checkExpanded(); err != nil {
		return nil, err
	}
	loc, today, sp, err := e.resolve(ctx, site, q)
	if err != nil {
		return nil, err
	}
	p, warnings, err := e.newPlan(ctx, site, loc, goals, q, sp)
	if err != nil {
		return nil, err
	}
	var imp importsMeta
	if q.Include.Imports {
		if imp, err = e.planImports(ctx, p); err != nil {
			return nil, err
		}
	}
	for _, d := range p.dims {
		if n := bucketCount(d, sp); n > maxTimeBuckets {
			return nil, qerr("dimensions", "%s over this date range makes %d buckets, more than %d: use a coarser time dimension", d, n, maxTimeBuckets)
		}
	}
	// A time series compared with another period shows every bucket,
	// empty ones too (see fillTimeseries): it is fetched whole, filled,
	// then paged here, so a page never turns another page's rows into zeros.
	filled := q.Include.Comparisons != nil && len(p.dims) == 1 && isTimeDim(p.dims[0])
	offset, limit := p.offset, p.limit
	if filled {
		p.offset, p.limit = 0, maxTimeBuckets
	}
	rows, total, err := e.execute(ctx, p, q.Metrics, warnings)
	if err != nil {
		return nil, err
	}
	resp := &Response{Results: rows}
	if c := q.Include.Comparisons; c != nil {
		if err := e.compare(ctx, p, q, c, today, timeDimOf(p.dims), resp, warnings); err != nil {
			return nil, err
		}
	}
	if filled {
		total = uint64(len(resp.Results))
		resp.Results = resp.Results[min(offset, len(resp.Results)):min(offset+limit, len(resp.Results))]
		p.offset, p.limit = offset, limit
	}
	p.respond(resp, q, imp, total, warnings)
	return resp, nil
}

// execute runs a plan and turns its rows into results.
func (e *Engine) execute(ctx context.Context, p *plan, metrics []string, warnings map[string]Warning) ([]Result, uint64, error) {
	b := newBuilder(p)
	sql, cols := b.statement(e.limits())
	rows, err := e.store().Query(ctx, sql, b.params)
	if err != nil {
		return nil, 0, engineErr(err)
	}
	defer rows.Close()
	var (
		out       []Result
		totalRows uint64
		revTotals []map[string]string
		revCounts []map[string]string
	)
	dest := make([]any, len(cols))
	for rows.Next() {
		r := Result{raw: make([]string, len(p.dims)), Metrics: make([]any, len(metrics))}
		var revTotal, revN map[string]string
		vals := map[string]any{}
		for i, c := range cols {
			switch {
			case c.dim:
				dest[i] = &r.raw[i]
			case c.name == "rev_total":
				dest[i] = &revTotal
			case c.name == "rev_n":
				dest[i] = &revN
			case c.name == "total_rows":
				dest[i] = &totalRows
			default:
				v := newMetricValue(c.metric)
				vals[c.metric] = v
				dest[i] = v
			}
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, 0, fmt.Errorf("stats: scan result: %w", err)
		}
		for i, m := range metrics {
			r.Metrics[i] = p.scale(m, metricValue(vals[m]))
			if f, ok := r.Metrics[i].(float64); ok && m == MExitRate && f < 0 {
				r.Metrics[i] = nil // no pageview of the page in the range
			}
		}
		r.Dimensions = make([]any, len(p.dims))
		for i, d := range p.dims {
			r.Dimensions[i] = p.label(d, r.raw[i])
		}
		out = append(out, r)
		revTotals = append(revTotals, revTotal)
		revCounts = append(revCounts, revN)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, engineErr(err)
	}
	if slices.Contains(metrics, MTotalRevenue) || slices.Contains(metrics, MAverageRevenue) {
		p.fillRevenue(out, metrics, revTotals, revCounts, warnings)
	}
	return out, totalRows, nil
}

// engineErr turns the engine's refusal of a regular expression (RE2 is
// stricter than Go's parser in a few corners) into a QueryError.
func engineErr(err error) error {
	if msg := err.Error(); strings.Contains(msg, "CANNOT_COMPILE_REGEXP") {
		return &QueryError{Field: "filters", Message: "filters: invalid regular expression: " + msg}
	}
	return fmt.Errorf("stats: query: %w", err)
}

// compare runs the query over the comparison period and attaches to each
// row its counterpart and the change.
func (e *Engine) compare(ctx context.Context, p *plan, q *Query, c *Comparisons, today time.Time, timeDim string, resp *Response, warnings map[string]Warning) error {
	dateBased := q.DateRange.Period != "" || len(q.DateRange.From) == len(dateLayout)
	cs, err := comparisonSpan(c, p.span, today, p.loc, dateBased)
	if err != nil {
		return err
	}
	cp := *p
	cp.span = cs
	cp.offset, cp.limit, cp.totalRows = 0, 100_000, false
	cp.restrict = map[int][]string{}
	timeIdx := slices.IndexFunc(p.dims, isTimeDim)
	for i := range p.dims {
		if i == timeIdx {
			continue
		}
		vals := []string{}
		for _, r := range resp.Results {
			if !slices.Contains(vals, r.raw[i]) {
				vals = append(vals, r.raw[i])
			}
		}
		cp.restrict[i] = vals
	}
	if q.Include.Imports {
		// As Plausible: imported data joins the compared period on that
		// period's own terms, whether or not the main range has any.
		cp.imp = nil
		if _, err := e.planImports(ctx, &cp); err != nil {
			return err
		}
	}
	if err := e.counting(ctx, &cp); err != nil {
		return err
	}
	crows, _, err := e.execute(ctx, &cp, q.Metrics, map[string]Warning{})
	if err != nil {
		return err
	}
	attachComparison(resp, crows, p, cs, q.Metrics, timeDim)
	return nil
}

package store

import "context"

// Lane says which of an engine's connections a statement may use, so that
// a long stats query never delays a login. Account, session and settings
// statements take the default, interactive lane; the stats package puts
// its statements in the stats lane.
type Lane int

const (
	// LaneInteractive is for short statements a person waits on: accounts,
	// sessions, settings, migrations, ingestion's bookkeeping.
	LaneInteractive Lane = iota
	// LaneStats is for Stats API queries, which may each take seconds.
	LaneStats
)

func (l Lane) String() string {
	if l == LaneStats {
		return "stats"
	}
	return "interactive"
}

type laneKey struct{}

// WithLane returns a context whose statements run in lane l.
func WithLane(ctx context.Context, l Lane) context.Context {
	return context.WithValue(ctx, laneKey{}, l)
}

// LaneOf returns the lane of a context's statements: interactive unless
// WithLane said otherwise.
func LaneOf(ctx context.Context) Lane {
	l, _ := ctx.Value(laneKey{}).(Lane)
	return l
}

// Package server is the store.Engine for a ClickHouse server or cluster,
// over the native protocol with clickhouse-go. It runs the same SQL with
// the same parameters as the embedded engine.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/store"
)

// Config says which server to use and how long to wait for it at start.
type Config struct {
	URL         string        // clickhouse://user:pass@host:9000/database
	WaitFor     time.Duration // retry an unreachable server this long at start; default 20 s
	RetryEvery  time.Duration // pause between attempts; default 2 s
	DialTimeout time.Duration // one attempt; default 5 s
	Logger      *slog.Logger
}

// Engine is the server store.Engine. It ignores a statement's lane
// (store.LaneOf): its connection pool already runs statements side by
// side, so a long stats query does not hold the connection a login needs.
type Engine struct {
	conn driver.Conn
}

// Open connects, retrying an unreachable server for cfg.WaitFor with one
// log line per attempt, then gives up with the last error.
func Open(ctx context.Context, cfg Config) (*Engine, error) {
	opts, err := clickhouse.ParseDSN(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("invalid ClickHouse URL %s: %w", redact(cfg.URL), err)
	}
	if cfg.WaitFor <= 0 {
		cfg.WaitFor = 20 * time.Second
	}
	if cfg.RetryEvery <= 0 {
		cfg.RetryEvery = 2 * time.Second
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	opts.DialTimeout = cfg.DialTimeout
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("ClickHouse %s: %w", redact(cfg.URL), err)
	}
	deadline := time.Now().Add(cfg.WaitFor)
	for attempt := 1; ; attempt++ {
		pctx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
		err = conn.Ping(pctx)
		cancel()
		if err == nil {
			return &Engine{conn: conn}, nil
		}
		left := time.Until(deadline)
		if left <= 0 || ctx.Err() != nil {
			conn.Close()
			return nil, fmt.Errorf("ClickHouse server %s unreachable after %d attempts in %s: %w",
				redact(cfg.URL), attempt, cfg.WaitFor, err)
		}
		cfg.Logger.Warn("ClickHouse server not reachable yet, retrying",
			"url", redact(cfg.URL), "attempt", attempt, "error", err.Error(), "gives_up_in", left.Round(time.Second).String())
		select {
		case <-ctx.Done():
		case <-time.After(min(cfg.RetryEvery, left)):
		}
	}
}

// redact hides the password of a URL for logs and errors.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

func (e *Engine) Kind() string { return "server" }

func withParams(ctx context.Context, params store.Params) (context.Context, error) {
	if len(params) == 0 {
		return ctx, nil
	}
	names, values, err := store.FormatParams(params)
	if err != nil {
		return nil, err
	}
	p := make(clickhouse.Parameters, len(names))
	for i, n := range names {
		p[n] = values[i]
	}
	return clickhouse.Context(ctx, clickhouse.WithParameters(p)), nil
}

func (e *Engine) Exec(ctx context.Context, query string, params store.Params) error {
	ctx, err := withParams(ctx, params)
	if err != nil {
		return err
	}
	return e.conn.Exec(ctx, query)
}

func (e *Engine) Query(ctx context.Context, query string, params store.Params) (store.Rows, error) {
	ctx, err := withParams(ctx, params)
	if err != nil {
		return nil, err
	}
	return e.conn.Query(ctx, query)
}

func (e *Engine) Ping(ctx context.Context) error { return e.conn.Ping(ctx) }

// InsertEvents sends one native batch; the token makes a retried batch a
// no-op on the server (insert deduplication).
func (e *Engine) InsertEvents(ctx context.Context, token string, events []sillage.Event) error {
	if len(events) == 0 {
		return nil
	}
	if token != "" {
		ctx = clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{
			"insert_deduplication_token":                         token,
			"deduplicate_blocks_in_dependent_materialized_views": 1,
		}))
	}
	batch, err := e.conn.PrepareBatch(ctx, "INSERT INTO events ("+store.EventColumns+")")
	if err != nil {
		return fmt.Errorf("prepare insert of %d events: %w", len(events), err)
	}
	defer batch.Abort()
	row := make([]any, len(store.Events))
	for i := range events {
		for j := range store.Events {
			row[j] = value(&store.Events[j], &events[i])
		}
		if err := batch.Append(row...); err != nil {
			return fmt.Errorf("append event %d of %d: %w", i, len(events), err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("insert %d events: %w", len(events), err)
	}
	return nil
}

// value is a column of ev as the driver appends it: times in UTC, an
// amount as a decimal, props never nil.
func value(c *store.Column, ev *sillage.Event) any {
	switch c.Kind {
	case store.KindString, store.KindFixedString:
		return *c.Text(ev)
	case store.KindUInt8:
		return *c.Uint8(ev)
	case store.KindUInt16:
		return *c.Uint16(ev)
	case store.KindUInt32:
		return *c.Uint32(ev)
	case store.KindUInt64:
		return *c.Uint64(ev)
	case store.KindDateTime64:
		return c.Time(ev).UTC()
	case store.KindDecimal:
		return decimal.New(*c.Milli(ev), -3)
	case store.KindBool:
		return *c.Bool(ev)
	case store.KindMap:
		if m := *c.Map(ev); m != nil {
			return m
		}
		return map[string]string{}
	}
	panic(fmt.Sprintf("column %s: no driver value for its kind", c.Name))
}

func (e *Engine) Close() error { return e.conn.Close() }

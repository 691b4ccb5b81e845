// Package store is Sillage's only door to ClickHouse. One interface, Engine,
// has two implementations with the same SQL and the same row scanning: the
// embedded engine (chDB, in-process) and a ClickHouse server
// (clickhouse-go, native protocol).
package store

import (
	"context"
	"errors"

	"github.com/sillage-analytics/sillage"
)

// Engine runs SQL written once, with ClickHouse query parameters
// ({name:Type}), on either engine.
type Engine interface {
	// Exec runs one statement that returns no rows.
	Exec(ctx context.Context, query string, params Params) error
	// Query runs one statement and returns its rows.
	Query(ctx context.Context, query string, params Params) (Rows, error)
	// InsertEvents writes a batch of events. A non-empty token makes the
	// insert idempotent: the same token and rows inserted twice are kept once.
	InsertEvents(ctx context.Context, token string, events []sillage.Event) error
	// Ping checks that the engine answers.
	Ping(ctx context.Context) error
	// Kind names the engine: "embedded" or "server".
	Kind() string
	Close() error
}

// Rows is a result set; Scan converts each column into the matching Go
// type (string, integers, floats, bool, time.Time, []string,
// map[string]string) the same way on both engines.
type Rows interface {
	Columns() []string
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close() error
}

// Params binds the {name:Type} placeholders of a query. Values are Go
// values; FormatParam turns them into the engine's text form.
type Params map[string]any

// ErrNoRows is returned by QueryRow when the query returns nothing.
var ErrNoRows = errors.New("no rows in result set")

// QueryRow runs a query and scans its first row into dest.
func QueryRow(ctx context.Context, e Engine, query string, params Params, dest ...any) error {
	rows, err := e.Query(ctx, query, params)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return ErrNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	return rows.Close()
}

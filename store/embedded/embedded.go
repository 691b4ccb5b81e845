// Package embedded is the store.Engine of a single machine: the ClickHouse
// engine running in-process through libchdb.so, on a local data folder.
package embedded

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"syscall"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/chdb"
)

// Config says where the data and the library are.
type Config struct {
	Dir      string // data folder
	LibPath  string // libchdb.so; empty searches the usual places
	Database string // default "sillage"
	// StatsConns is how many connections run Stats API statements (the
	// stats lane, see store.LaneStats); 0 means DefaultStatsConns.
	StatsConns int
}

// DefaultStatsConns is the stats lane's size: on 2 cores, two statements
// of a few seconds each already keep the engine's threads busy, and a
// third would only slow the other two down.
const DefaultStatsConns = 2

// Engine is the embedded store.Engine.
type Engine struct {
	// conn runs the interactive lane: accounts, sessions, settings and
	// everything else that does not ask for the stats lane. It is a
	// connection of its own, so a login never waits for a stats query.
	conn *chdb.Conn
	// stats holds the stats lane's idle connections; a statement takes
	// one and gives it back, and waits while all are busy.
	stats    chan *chdb.Conn
	statsAll []*chdb.Conn
	// ins streams inserts; a connection with an open insert stream runs
	// nothing else, so inserts get their own and take turns.
	ins   *chdb.Conn
	insMu sync.Mutex
	lock  *os.File // nil for a Session
	lib   string
	dir   string
	db    string
	bufs  sync.Pool
}

// ErrLocked means another process holds the data folder.
var ErrLocked = errors.New("data folder is in use by another sillage process")

var dbName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Open locks the data folder, loads the library and opens the database.
// The lock comes first so a second process gets a clear error instead of
// the engine's own failure.
func Open(ctx context.Context, cfg Config) (*Engine, error) {
	if cfg.Database == "" {
		cfg.Database = "sillage"
	}
	if !dbName.MatchString(cfg.Database) {
		return nil, fmt.Errorf("invalid database name %q", cfg.Database)
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("data folder %s: %w", cfg.Dir, err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("cannot create data folder %s: %w", dir, err)
	}
	lock, err := Lock(dir)
	if err != nil {
		return nil, err
	}
	lib, err := chdb.Find(cfg.LibPath)
	if err != nil {
		lock.Close()
		return nil, err
	}
	if cfg.StatsConns < 0 {
		lock.Close()
		return nil, fmt.Errorf("stats connections must be 0 or more, not %d", cfg.StatsConns)
	}
	if cfg.StatsConns == 0 {
		cfg.StatsConns = DefaultStatsConns
	}
	e, err := connect(ctx, lib, dir, cfg.Database, cfg.StatsConns)
	if err != nil {
		lock.Close()
		return nil, err
	}
	e.lock = lock
	return e, nil
}

func connect(ctx context.Context, lib, dir, db string, statsConns int) (*Engine, error) {
	conn, err := chdb.Connect(lib, filepath.Join(dir, "engine"))
	if err != nil {
		return nil, err
	}
	e := &Engine{conn: conn, lib: lib, dir: dir, db: db, stats: make(chan *chdb.Conn, statsConns)}
	e.bufs.New = func() any { b := make([]byte, 0, 1<<20); return &b }
	if err := e.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+db, nil); err != nil {
		e.Close()
		return nil, fmt.Errorf("create database %s: %w", db, err)
	}
	if e.ins, err = chdb.Connect(lib, filepath.Join(dir, "engine")); err != nil {
		e.Close()
		return nil, err
	}
	for range statsConns {
		c, err := chdb.Connect(lib, filepath.Join(dir, "engine"))
		if err != nil {
			e.Close()
			return nil, err
		}
		e.statsAll = append(e.statsAll, c)
		e.stats <- c
	}
	for _, c := range append([]*chdb.Conn{e.conn, e.ins}, e.statsAll...) {
		if _, err := c.Query(ctx, "USE "+db, "TabSeparated", nil, nil); err != nil {
			e.Close()
			return nil, fmt.Errorf("use database %s: %w", db, err)
		}
	}
	return e, nil
}

// Session opens another connection to the same data folder on another
// database; tests use it to isolate themselves inside one process, since
// the engine serves a single data folder per process.
func (e *Engine) Session(ctx context.Context, database string) (*Engine, error) {
	if !dbName.MatchString(database) {
		return nil, fmt.Errorf("invalid database name %q", database)
	}
	return connect(ctx, e.lib, e.dir, database, cap(e.stats))
}

// Lock takes the data folder's lock file, or says who holds it.
func Lock(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "sillage.lock"), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("cannot open lock file in data folder %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		owner, _ := os.ReadFile(f.Name())
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w (pid %s): %s", ErrLocked, string(owner), dir)
		}
		return nil, fmt.Errorf("cannot lock data folder %s: %w", dir, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())), 0)
	}
	return f, nil
}

func (e *Engine) Kind() string { return "embedded" }

func (e *Engine) run(ctx context.Context, query, format string, params store.Params) ([]byte, error) {
	names, values, err := store.FormatParams(params)
	if err != nil {
		return nil, err
	}
	if store.LaneOf(ctx) != store.LaneStats {
		return e.conn.Query(ctx, query, format, names, values)
	}
	var c *chdb.Conn
	select {
	case c = <-e.stats:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { e.stats <- c }()
	return c.Query(ctx, query, format, names, values)
}

func (e *Engine) Exec(ctx context.Context, query string, params store.Params) error {
	_, err := e.run(ctx, query, "TabSeparated", params)
	return err
}

func (e *Engine) Query(ctx context.Context, query string, params store.Params) (store.Rows, error) {
	out, err := e.run(ctx, query, store.JSONFormat, params)
	if err != nil {
		return nil, err
	}
	return store.NewJSONRows(out)
}

func (e *Engine) Ping(ctx context.Context) error {
	_, err := e.conn.Query(ctx, "SELECT 1", "TabSeparated", nil, nil)
	return err
}

var token = regexp.MustCompile(`^[A-Za-z0-9_\-.:]{1,128}$`)

// InsertEvents streams the rows as RowBinary through the engine's insert
// stream, which skips the SQL parser: twice as fast as inline data here,
// and RowBinary is cheaper to write and to read than JSONEachRow.
func (e *Engine) InsertEvents(ctx context.Context, tok string, events []sillage.Event) error {
	return e.insertEvents(ctx, tok, events, store.RowBinary)
}

func (e *Engine) insertEvents(ctx context.Context, tok string, events []sillage.Event, format string) error {
	if len(events) == 0 {
		return nil
	}
	// optimize_on_insert merges the rows of a block that share a sorting
	// key as it is written. The sessions view already gives one row per
	// session and block, so that pass finds nothing to merge; without it,
	// an insert takes 10-20% less CPU. (Readers merge sessions' states at
	// query time, so a rare duplicate key would not show either.)
	query := "INSERT INTO events (" + store.EventColumns + ") SETTINGS optimize_on_insert = 0"
	if tok != "" {
		if !token.MatchString(tok) {
			return fmt.Errorf("invalid insert token %q", tok)
		}
		query += ", insert_deduplication_token = '" + tok + "', deduplicate_blocks_in_dependent_materialized_views = 1"
	}
	bp := e.bufs.Get().(*[]byte)
	defer e.bufs.Put(bp)
	b := (*bp)[:0]
	for i := range events {
		if format == "JSONEachRow" {
			b = store.AppendEventJSON(b, &events[i])
			continue
		}
		var err error
		if b, err = store.AppendEventRowBinary(b, &events[i]); err != nil {
			*bp = b
			return fmt.Errorf("insert %d events: event %d: %w", len(events), i, err)
		}
	}
	*bp = b
	e.insMu.Lock()
	defer e.insMu.Unlock()
	if err := e.ins.Insert(ctx, query, format, b); err != nil {
		return fmt.Errorf("insert %d events: %w", len(events), err)
	}
	return nil
}

// InsertFormatted streams data, rows in format, into query (an INSERT
// without FORMAT) through the insert connection: the rows are neither
// copied into the statement's text nor parsed as SQL (store.Inserter).
func (e *Engine) InsertFormatted(ctx context.Context, query, format string, data []byte) error {
	e.insMu.Lock()
	defer e.insMu.Unlock()
	err := e.ins.Insert(ctx, query, format, data)
	// An import's batches are megabytes each: what the engine freed after
	// one would stay with the process until the next (BENCHMARKS.md).
	chdb.ReleaseMemory()
	return err
}

// Close closes the engine, then releases the data folder.
func (e *Engine) Close() error {
	if e.ins != nil {
		e.ins.Close()
	}
	for _, c := range e.statsAll {
		c.Close()
	}
	err := e.conn.Close()
	if e.lock != nil {
		e.lock.Close()
	}
	return err
}

// Database names the database this connection uses.
func (e *Engine) Database() string { return e.db }

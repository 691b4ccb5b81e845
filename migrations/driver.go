package migrations

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/golang-migrate/migrate/v4/database"

	"github.com/sillage-analytics/sillage/store"
)

// driver is golang-migrate's database.Driver over a store.Engine. The
// engines have no transactions, so the version is a row appended to
// schema_migrations and the newest row wins.
type driver struct {
	ctx    context.Context
	engine store.Engine
	target Target
	mu     sync.Mutex
}

var _ database.Driver = (*driver)(nil)

func newDriver(ctx context.Context, e store.Engine, t Target) (*driver, error) {
	d := &driver{ctx: ctx, engine: e, target: t}
	ddl, err := Render("schema_migrations", `CREATE TABLE IF NOT EXISTS schema_migrations {{ on_cluster }}
(
    version  Int64,
    dirty    UInt8,
    sequence UInt64
)
ENGINE = {{ engine "MergeTree" "schema_migrations" "global" }}
ORDER BY sequence`, t)
	if err != nil {
		return nil, err
	}
	if err := e.Exec(ctx, ddl, nil); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	return d, nil
}

func (d *driver) Open(string) (database.Driver, error) {
	return nil, errors.New("sillage migrations: open through migrations.New, not a URL")
}

func (d *driver) Close() error { return nil }

// Lock serialises migrations within this process. Across processes, run
// migrations from one place (serve at start, or a single migrate job).
func (d *driver) Lock() error {
	if !d.mu.TryLock() {
		return database.ErrLocked
	}
	return nil
}

func (d *driver) Unlock() error {
	d.mu.Unlock()
	return nil
}

func (d *driver) Run(migration io.Reader) error {
	text, err := io.ReadAll(migration)
	if err != nil {
		return fmt.Errorf("read migration: %w", err)
	}
	sql, err := Render("migration", string(text), d.target)
	if err != nil {
		return err
	}
	for _, stmt := range Statements(sql) {
		if err := d.engine.Exec(d.ctx, stmt, nil); err != nil {
			return fmt.Errorf("%w\nin statement:\n%s", err, stmt)
		}
	}
	return nil
}

func (d *driver) SetVersion(version int, dirty bool) error {
	// The newest row wins: it is numbered after every row already there,
	// so a host whose clock runs behind another's cannot write an older one.
	err := d.engine.Exec(d.ctx,
		`INSERT INTO schema_migrations (version, dirty, sequence)
		SELECT {version:Int64}, {dirty:UInt8}, greatest(max(sequence) + 1, {seq:UInt64}) FROM schema_migrations`,
		store.Params{"version": version, "dirty": dirty, "seq": uint64(time.Now().UnixNano())})
	if err != nil {
		return fmt.Errorf("set schema version %d: %w", version, err)
	}
	return nil
}

func (d *driver) Version() (int, bool, error) {
	var version int64
	var dirty uint8
	var n uint64
	err := store.QueryRow(d.ctx, d.engine,
		`SELECT argMax(version, sequence), argMax(dirty, sequence), count() FROM schema_migrations`, nil,
		&version, &dirty, &n)
	if err != nil {
		return 0, false, fmt.Errorf("read schema version: %w", err)
	}
	if n == 0 {
		return database.NilVersion, false, nil
	}
	return int(version), dirty == 1, nil
}

// Drop removes every table of the current database; golang-migrate calls it
// only on an explicit drop, which Sillage does not offer.
func (d *driver) Drop() error {
	return errors.New("dropping the whole database is not supported; use migrate down")
}

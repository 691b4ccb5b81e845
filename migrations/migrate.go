package migrations

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/source/iofs"

	"github.com/sillage-analytics/sillage/store"
)

// Migrator applies the embedded migrations to one engine.
type Migrator struct {
	m *migrate.Migrate
	d *driver
}

// New prepares migrations for an engine and a target.
func New(ctx context.Context, e store.Engine, t Target, log *slog.Logger) (*Migrator, error) {
	d, err := newDriver(ctx, e, t)
	if err != nil {
		return nil, err
	}
	src, err := iofs.New(Files, ".")
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "sillage", d)
	if err != nil {
		return nil, fmt.Errorf("prepare migrations: %w", err)
	}
	if log != nil {
		m.Log = &logger{log}
	}
	return &Migrator{m: m, d: d}, nil
}

// Up applies every pending migration. Every statement is idempotent (IF NOT
// EXISTS), so a migration left dirty by a crash is simply run again.
func (mg *Migrator) Up() error {
	if err := mg.recoverDirty(); err != nil {
		return err
	}
	if err := mg.m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("migrate up: %w", err)
	}
	return nil
}

// Down reverts n migrations; n <= 0 reverts all of them. It refuses a
// dirty schema: a failed down leaves the version below the migration it
// stopped in, marked dirty, exactly as a failed up of that lower one would,
// so reverting from there could run the wrong down files. Up finishes the
// half-done migration first.
func (mg *Migrator) Down(n int) error {
	v, dirty, err := mg.Version()
	if err != nil {
		return err
	}
	if dirty {
		return fmt.Errorf("migrate down: the schema is dirty at version %d (a migration stopped half-way): run `sillage migrate up` first", v)
	}
	if n <= 0 {
		err = mg.m.Down()
	} else {
		err = mg.m.Steps(-n)
	}
	if err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("migrate down: %w", err)
	}
	return nil
}

// Version is the applied version (0 when none) and whether it is dirty.
func (mg *Migrator) Version() (uint, bool, error) {
	v, dirty, err := mg.m.Version()
	if errors.Is(err, migrate.ErrNilVersion) {
		return 0, false, nil
	}
	return v, dirty, err
}

// Latest is the highest version among the embedded files.
func Latest() uint {
	vs := versions()
	if len(vs) == 0 {
		return 0
	}
	return vs[len(vs)-1]
}

func (mg *Migrator) recoverDirty() error {
	v, dirty, err := mg.Version()
	if err != nil || !dirty {
		return err
	}
	prev := -1
	for _, x := range versions() {
		if x < v {
			prev = int(x)
		}
	}
	if err := mg.m.Force(prev); err != nil {
		return fmt.Errorf("reset dirty migration %d: %w", v, err)
	}
	return nil
}

var fileName = regexp.MustCompile(`^(\d+)_.*\.(up|down)\.sql$`)

// Versions lists the embedded versions, oldest first. They may have gaps:
// migrations are numbered on branches written in parallel.
func Versions() []uint { return versions() }

func versions() []uint {
	entries, _ := fs.ReadDir(Files, ".")
	seen := map[uint]bool{}
	var out []uint
	for _, e := range entries {
		if m := fileName.FindStringSubmatch(e.Name()); m != nil {
			n, _ := strconv.ParseUint(m[1], 10, 32)
			if !seen[uint(n)] {
				seen[uint(n)] = true
				out = append(out, uint(n))
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

type logger struct{ l *slog.Logger }

func (l *logger) Printf(format string, v ...any) {
	l.l.Info(strings.TrimSpace(fmt.Sprintf(format, v...)))
}
func (l *logger) Verbose() bool { return false }

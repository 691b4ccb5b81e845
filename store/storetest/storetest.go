// Package storetest gives tests a real engine, the embedded one, in a fresh
// database per test. It also holds the conformance suite both engines must
// pass: store/server runs it on a ClickHouse server when
// SILLAGE_TEST_CLICKHOUSE_URL names one.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sillage-analytics/sillage/migrations"
	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/embedded"
)

var (
	once    sync.Once
	root    *embedded.Engine
	rootDir string
	rootErr error
)

// Main wraps a package's tests: it removes the shared data folder after
// them. Use it as `func TestMain(m *testing.M) { storetest.Main(m) }`.
func Main(m *testing.M) {
	code := m.Run()
	if root != nil {
		root.Close()
	}
	if rootDir != "" {
		os.RemoveAll(rootDir)
	}
	os.Exit(code)
}

// Embedded returns a connection to a new, empty database of the process's
// embedded engine. The engine serves one data folder per process, so tests
// share the folder and are isolated by database.
func Embedded(t testing.TB) *embedded.Engine {
	t.Helper()
	once.Do(func() {
		rootDir, rootErr = os.MkdirTemp("", "sillage-test-")
		if rootErr != nil {
			return
		}
		root, rootErr = embedded.Open(context.Background(), embedded.Config{
			Dir: filepath.Join(rootDir, "data"), LibPath: os.Getenv("SILLAGE_CHDB_LIB"),
		})
	})
	if rootErr != nil {
		t.Fatalf("embedded engine: %v", rootErr)
	}
	e, err := root.Session(context.Background(), "t_"+randomHex(6))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = e.Exec(context.Background(), "DROP DATABASE IF EXISTS "+e.Database(), nil)
		e.Close()
	})
	return e
}

// Migrated returns an embedded engine on a new database with every
// migration applied. The migrations run once per process, into a template
// database; each test gets a copy of its tables (the same DDL the engine
// reports for the template, and the template's rows), which costs a
// fraction of running 16 migrations again. The migrations package runs
// the migrations themselves with Embedded and MustMigrate, and
// TestMigratedIsTheTemplate checks that a copy has the template's schema.
func Migrated(t testing.TB) *embedded.Engine {
	t.Helper()
	e := Embedded(t)
	if err := copyTemplate(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	return e
}

var (
	tmplOnce sync.Once
	tmpl     *template
	tmplErr  error
)

// template is a migrated database: its tables in creation order, tables
// before the materialized views that read and write them.
type template struct {
	db     string
	tables []templateTable
}

type templateTable struct {
	name, ddl string
	rows      uint64
}

func migratedTemplate(ctx context.Context) (*template, error) {
	tmplOnce.Do(func() {
		if root == nil {
			tmplErr = fmt.Errorf("migrated template: the embedded engine is not open")
			return
		}
		db := "tmpl_" + randomHex(6)
		var e *embedded.Engine
		if e, tmplErr = root.Session(ctx, db); tmplErr != nil {
			return
		}
		defer e.Close()
		m, err := migrations.New(ctx, e, migrations.Target{}, nil)
		if err == nil {
			err = m.Up()
		}
		if err != nil {
			tmplErr = fmt.Errorf("migrate the template database: %w", err)
			return
		}
		rows, err := e.Query(ctx, `SELECT name, create_table_query, toUInt64(ifNull(total_rows, 0))
			FROM system.tables WHERE database = currentDatabase()
			ORDER BY engine = 'MaterializedView', name`, nil)
		if err != nil {
			tmplErr = fmt.Errorf("list the template's tables: %w", err)
			return
		}
		defer rows.Close()
		tp := &template{db: db}
		for rows.Next() {
			var tt templateTable
			if err := rows.Scan(&tt.name, &tt.ddl, &tt.rows); err != nil {
				tmplErr = fmt.Errorf("list the template's tables: %w", err)
				return
			}
			tp.tables = append(tp.tables, tt)
		}
		if err := rows.Err(); err != nil {
			tmplErr = fmt.Errorf("list the template's tables: %w", err)
			return
		}
		tmpl = tp
	})
	return tmpl, tmplErr
}

// copyTemplate creates the template's tables in e's (empty) database and
// copies the template's rows (the migrations' own bookkeeping).
func copyTemplate(ctx context.Context, e *embedded.Engine) error {
	tp, err := migratedTemplate(ctx)
	if err != nil {
		return err
	}
	// The database names are random hex, so the qualified prefix cannot
	// occur anywhere else in the DDL.
	from, to := tp.db+".", e.Database()+"."
	for _, tt := range tp.tables {
		if err := e.Exec(ctx, strings.ReplaceAll(tt.ddl, from, to), nil); err != nil {
			return fmt.Errorf("copy table %s of the migrated template: %w", tt.name, err)
		}
		if tt.rows > 0 {
			if err := e.Exec(ctx, "INSERT INTO "+to+tt.name+" SELECT * FROM "+from+tt.name, nil); err != nil {
				return fmt.Errorf("copy the rows of %s of the migrated template: %w", tt.name, err)
			}
		}
	}
	return nil
}

// MustMigrate applies every migration to e.
func MustMigrate(t testing.TB, e store.Engine) {
	t.Helper()
	m, err := migrations.New(context.Background(), e, migrations.Target{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Up(); err != nil {
		t.Fatal(err)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return hex.EncodeToString(b)
}

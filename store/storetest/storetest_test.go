package storetest_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/sillage-analytics/sillage/migrations"
	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/embedded"
	"github.com/sillage-analytics/sillage/store/storetest"
)

func TestMain(m *testing.M) {
	if os.Getenv(exitOpenEnv) != "" {
		// A child of TestExitAfterWorkIsClean: it exits with the engine
		// open, as the tests of a package without storetest.Main do.
		os.Exit(m.Run())
	}
	storetest.Main(m)
}

// schema lists every table of e's database: its DDL with the database name
// taken out, and its columns with their types and defaults.
func schema(t *testing.T, e *embedded.Engine) []string {
	t.Helper()
	var out []string
	for _, q := range []string{
		"SELECT name, create_table_query FROM system.tables WHERE database = currentDatabase() ORDER BY name",
		"SELECT concat(table, '.', name), concat(type, ' ', default_kind, ' ', default_expression, ' ', toString(position)) FROM system.columns WHERE database = currentDatabase() ORDER BY table, name",
	} {
		rows, err := e.Query(context.Background(), q, nil)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var name, def string
			if err := rows.Scan(&name, &def); err != nil {
				t.Fatal(err)
			}
			out = append(out, name+": "+strings.ReplaceAll(def, e.Database()+".", "DB."))
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// A copy of the migrated template is what running the migrations gives: the
// same tables, columns, views, and migration version.
func TestMigratedIsTheTemplate(t *testing.T) {
	ctx := context.Background()
	ran := storetest.Embedded(t)
	storetest.MustMigrate(t, ran)
	copied := storetest.Migrated(t)
	want, got := schema(t, ran), schema(t, copied)
	if len(want) < 40 {
		t.Fatalf("the migrated database lists only %d tables and columns", len(want))
	}
	if !slices.Equal(got, want) {
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("the copy lacks %s", w)
			}
		}
		for _, g := range got {
			if !slices.Contains(want, g) {
				t.Errorf("the copy has %s, the migrations do not", g)
			}
		}
	}
	for _, e := range []*embedded.Engine{ran, copied} {
		m, err := migrations.New(ctx, e, migrations.Target{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		v, dirty, err := m.Version()
		if err != nil {
			t.Fatal(err)
		}
		if last := migrations.Latest(); v != last || dirty {
			t.Errorf("%s: migration version %d dirty %v, want %d clean", e.Database(), v, dirty, migrations.Latest())
		}
	}
	// The copy is a database of its own: a write to it does not show in
	// another copy.
	other := storetest.Migrated(t)
	count := func(e store.Engine) uint64 {
		t.Helper()
		var n uint64
		if err := store.QueryRow(ctx, e, "SELECT count() FROM schema_migrations", nil, &n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count(other)
	if before == 0 {
		t.Fatal("the copy has no migration rows")
	}
	if err := copied.Exec(ctx, "INSERT INTO schema_migrations (version, dirty, sequence) VALUES (9999, 0, 9999)", nil); err != nil {
		t.Fatal(err)
	}
	if n := count(copied); n != before+1 {
		t.Fatalf("the copy counts %d migration rows after an insert, want %d", n, before+1)
	}
	if n := count(other); n != before {
		t.Fatalf("another copy counts %d migration rows after an insert into the first, want %d", n, before)
	}
}

package migrations_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/migrations"
	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/embedded"
	"github.com/sillage-analytics/sillage/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestMain(m *testing.M) { storetest.Main(m) }

func tables(t *testing.T, e store.Engine) []string {
	t.Helper()
	rows, err := e.Query(context.Background(), "SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	return names
}

func TestUpDownUp(t *testing.T) {
	ctx := context.Background()
	e := storetest.Embedded(t)
	m, err := migrations.New(ctx, e, migrations.Target{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	check := func(wantVersion uint, wantTables string) {
		t.Helper()
		v, dirty, err := m.Version()
		if err != nil || dirty || v != wantVersion {
			t.Fatalf("version = %d dirty=%v err=%v, want %d clean", v, dirty, err, wantVersion)
		}
		if got := strings.Join(tables(t, e), ","); got != wantTables {
			t.Fatalf("tables = %s\nwant     %s", got, wantTables)
		}
	}
	all := "account_origins,account_tokens,adoptable_sites,alert_settings,alert_state,annotation_settings,annotations,api_keys,auth_sessions,erasures,events,funnels,ga4_connections,goals,imported_browsers,imported_custom_events,imported_devices,imported_entry_pages,imported_exit_pages,imported_locations,imported_operating_systems,imported_pages,imported_sources,imported_visitors,imports,instance_settings,mail_claims,mail_outbox,memberships,operators,report_deliveries,report_segments,report_subscriptions,report_unsubscribe_tokens,salts,schema_migrations,segments,sessions,sessions_mv,shared_links,site_scripts,sites,totp,users"
	check(0, "schema_migrations")
	if err := m.Up(); err != nil {
		t.Fatal(err)
	}
	check(migrations.Latest(), all)
	if err := m.Up(); err != nil { // nothing pending is not an error
		t.Fatal(err)
	}
	if err := m.Down(0); err != nil {
		t.Fatal(err)
	}
	check(0, "schema_migrations")
	if err := m.Up(); err != nil {
		t.Fatal(err)
	}
	check(migrations.Latest(), all)
}

// A crash in the middle of a migration leaves it dirty; the next Up runs it
// again, which the idempotent statements allow.
func TestDirtyMigrationIsRetried(t *testing.T) {
	ctx := context.Background()
	e := storetest.Embedded(t)
	m, err := migrations.New(ctx, e, migrations.Target{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Half of migration 1 ran, then the process died.
	if err := e.Exec(ctx, "CREATE TABLE sites (id UInt32) ENGINE = MergeTree ORDER BY id", nil); err != nil {
		t.Fatal(err)
	}
	if err := e.Exec(ctx, "INSERT INTO schema_migrations VALUES (1, 1, 1)", nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Up(); err != nil {
		t.Fatal(err)
	}
	v, dirty, err := m.Version()
	if err != nil || dirty || v != migrations.Latest() {
		t.Fatalf("version %d dirty=%v err=%v", v, dirty, err)
	}
}

func TestEveryUpHasADown(t *testing.T) {
	names, _ := fs.Glob(migrations.Files, "*.sql")
	seen := map[string]int{}
	re := regexp.MustCompile(`^(\d{4})_[a-z0-9_]+\.(up|down)\.sql$`)
	for _, n := range names {
		m := re.FindStringSubmatch(n)
		if m == nil {
			t.Errorf("%s: name must be NNNN_name.up.sql or NNNN_name.down.sql", n)
			continue
		}
		seen[m[1]]++
	}
	if len(seen) == 0 {
		t.Fatal("no migration files")
	}
	for v, n := range seen {
		if n != 2 {
			t.Errorf("migration %s has %d files, want an up and a down", v, n)
		}
	}
}

// TestClusterGolden renders every migration for a cluster named "sillage"
// and compares it with testdata/cluster/*.sql (go test -update rewrites).
func TestClusterGolden(t *testing.T) {
	names, _ := fs.Glob(migrations.Files, "*.sql")
	sort.Strings(names)
	for _, n := range names {
		text, _ := fs.ReadFile(migrations.Files, n)
		got, err := migrations.Render(n, string(text), migrations.Target{Cluster: "sillage"})
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", "cluster", n)
		if *update {
			os.MkdirAll(filepath.Dir(golden), 0o755)
			if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test ./migrations -update)", err)
		}
		if got != string(want) {
			t.Errorf("%s: rendered cluster DDL differs from %s (run go test ./migrations -update and review)", n, golden)
		}
		for _, stmt := range migrations.Statements(got) {
			if strings.HasPrefix(stmt, "CREATE") && !strings.Contains(stmt, "ON CLUSTER sillage") {
				t.Errorf("%s: statement without ON CLUSTER:\n%s", n, stmt)
			}
			if strings.Contains(stmt, "ENGINE = ") && !strings.Contains(stmt, "ENGINE = Replicated") && !strings.Contains(stmt, "ENGINE = Distributed") {
				t.Errorf("%s: table not replicated on a cluster:\n%s", n, stmt)
			}
		}
	}
}

func TestRenderRejectsBadClusterName(t *testing.T) {
	if _, err := migrations.Render("x", "SELECT 1", migrations.Target{Cluster: "a b; DROP"}); err == nil {
		t.Fatal("want an error for a cluster name with spaces")
	}
}

func TestStatements(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"SELECT 1; SELECT 2;", []string{"SELECT 1", "SELECT 2"}},
		{"SELECT ';' ; -- a comment; with semicolon\nSELECT 2", []string{"SELECT ';'", "-- a comment; with semicolon\nSELECT 2"}},
		{"  ;\n-- only a comment\n;", nil},
		{`SELECT 'it\'s;'`, []string{`SELECT 'it\'s;'`}},
	}
	for _, tt := range tests {
		got := migrations.Statements(tt.in)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("Statements(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// migratedUp is a new database with every migration applied.
func migratedUp(t *testing.T) (*embedded.Engine, *migrations.Migrator) {
	t.Helper()
	e := storetest.Embedded(t)
	m, err := migrations.New(context.Background(), e, migrations.Target{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Up(); err != nil {
		t.Fatal(err)
	}
	return e, m
}

// A down that fails half-way leaves the schema dirty one version lower, as
// a failed up of that version would. Another down from there would revert
// the wrong migrations (it dropped every table): it is refused until up
// has finished the half-done one.
func TestDownRefusesADirtySchema(t *testing.T) {
	ctx := context.Background()
	e, m := migratedUp(t)
	// Down to migration 3, whose down stops half-way when its view is
	// missing.
	if err := m.Down(migrations.VersionsAbove(3)); err != nil {
		t.Fatal(err)
	}
	if err := e.Exec(ctx, "RENAME TABLE sessions_mv TO sessions_mv_aside", nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Down(1); err == nil {
		t.Fatal("the down should have failed")
	}
	if err := e.Exec(ctx, "RENAME TABLE sessions_mv_aside TO sessions_mv", nil); err != nil {
		t.Fatal(err)
	}
	if v, dirty, err := m.Version(); err != nil || !dirty || v != 2 {
		t.Fatalf("after the failed down: version %d dirty=%v err=%v, want 2 dirty", v, dirty, err)
	}
	if err := m.Down(1); err == nil || !strings.Contains(err.Error(), "migrate up") {
		t.Fatalf("down on a dirty schema: %v, want a refusal that says to run up", err)
	}
	if got := strings.Join(tables(t, e), ","); !strings.Contains(got, "events") || !strings.Contains(got, "sites") {
		t.Fatalf("tables after the refused down: %s", got)
	}
	if err := m.Up(); err != nil {
		t.Fatal(err)
	}
	if err := m.Down(1); err != nil {
		t.Fatal(err)
	}
	if v, dirty, err := m.Version(); err != nil || dirty || v != migrations.Previous() {
		t.Fatalf("after up then down: version %d dirty=%v err=%v", v, dirty, err)
	}
}

// The newest version row wins even when it is written by a host whose
// clock is behind the one that wrote the previous row.
func TestVersionIgnoresClockSkew(t *testing.T) {
	ctx := context.Background()
	e, m := migratedUp(t)
	// A row written a minute in the future, by a host whose clock is ahead.
	if err := e.Exec(ctx, "INSERT INTO schema_migrations (version, dirty, sequence) SELECT version, dirty, sequence + 60000000000 FROM schema_migrations ORDER BY sequence DESC LIMIT 1", nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Down(1); err != nil {
		t.Fatal(err)
	}
	if v, _, err := m.Version(); err != nil || v != migrations.Previous() {
		t.Fatalf("version %d (%v) after one down, want %d", v, err, migrations.Previous())
	}
}

// Upgrading to migration 4 makes the oldest live account the operator, and
// only that one; an interrupted run repeated adds no second operator.
func TestTenancyUpgradeMakesTheOldestAccountOperator(t *testing.T) {
	ctx := context.Background()
	e, m := migratedUp(t)
	if err := m.Down(migrations.VersionsAbove(3)); err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct{ id, email, created string }{
		{"00000000-0000-0000-0000-00000000000a", "gone@x.fr", "2024-01-01 00:00:00"},
		{"00000000-0000-0000-0000-00000000000b", "first@x.fr", "2024-02-01 00:00:00"},
		{"00000000-0000-0000-0000-00000000000c", "second@x.fr", "2024-03-01 00:00:00"},
	} {
		if err := e.Exec(ctx, `INSERT INTO users (id, email, password_hash, created_at, updated_at, deleted)
			VALUES ({id:UUID}, {email:String}, '', {c:String}, now64(6), {del:UInt8})`,
			store.Params{"id": u.id, "email": u.email, "c": u.created, "del": u.email == "gone@x.fr"}); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 { // the second up is the rerun of a dirty migration
		if err := m.Up(); err != nil {
			t.Fatal(err)
		}
		rows, err := e.Query(ctx, "SELECT toString(user_id) FROM operators FINAL WHERE deleted = 0", nil)
		if err != nil {
			t.Fatal(err)
		}
		var ops []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			ops = append(ops, id)
		}
		rows.Close()
		if len(ops) != 1 || ops[0] != "00000000-0000-0000-0000-00000000000b" {
			t.Fatalf("operators after upgrade = %v, want the oldest live account only", ops)
		}
		if err := e.Exec(ctx, "INSERT INTO schema_migrations (version, dirty, sequence) SELECT 4, 1, max(sequence) + 1 FROM schema_migrations", nil); err != nil {
			t.Fatal(err)
		}
	}
}

// Upgrading to migration 7 records the oldest live operator as the first
// account (the one that adopts sites the command line added without
// owner), and no other account; a rerun adds nothing.
func TestOriginsUpgradeRecordsTheFirstOperator(t *testing.T) {
	ctx := context.Background()
	e, m := migratedUp(t)
	if err := m.Down(migrations.VersionsAbove(6)); err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct {
		id, email, created string
		operator           bool
	}{
		{"00000000-0000-0000-0000-00000000000a", "older-member@x.fr", "2024-01-01 00:00:00", false},
		{"00000000-0000-0000-0000-00000000000b", "first@x.fr", "2024-02-01 00:00:00", true},
		{"00000000-0000-0000-0000-00000000000c", "second-op@x.fr", "2024-03-01 00:00:00", true},
	} {
		if err := e.Exec(ctx, `INSERT INTO users (id, email, password_hash, created_at, updated_at, deleted)
			VALUES ({id:UUID}, {email:String}, '', {c:String}, now64(6), 0)`,
			store.Params{"id": u.id, "email": u.email, "c": u.created}); err != nil {
			t.Fatal(err)
		}
		if u.operator {
			if err := e.Exec(ctx, `INSERT INTO operators (user_id, updated_at, deleted) VALUES ({id:UUID}, now64(6), 0)`,
				store.Params{"id": u.id}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for range 2 { // the second up is the rerun of a dirty migration
		if err := m.Up(); err != nil {
			t.Fatal(err)
		}
		rows, err := e.Query(ctx, "SELECT toString(user_id), origin FROM account_origins FINAL ORDER BY user_id", nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var id, origin string
			if err := rows.Scan(&id, &origin); err != nil {
				t.Fatal(err)
			}
			got = append(got, id+" "+origin)
		}
		rows.Close()
		if len(got) != 1 || got[0] != "00000000-0000-0000-0000-00000000000b first" {
			t.Fatalf("origins after upgrade = %v, want the oldest operator as first only", got)
		}
		if err := e.Exec(ctx, "INSERT INTO schema_migrations (version, dirty, sequence) SELECT 7, 1, max(sequence) + 1 FROM schema_migrations", nil); err != nil {
			t.Fatal(err)
		}
	}
}

// What the previous release (schema version 3) wrote reads back after the
// upgrade to every migration of this one: its account logs in with its
// password and stays logged in, its site keeps its owner, settings and
// goals, and its events and sessions are all there. The rows are written
// as that release wrote them, statement for statement.
func TestPreviousReleaseDataReadsBack(t *testing.T) {
	ctx := context.Background()
	e, m := migratedUp(t)
	if err := m.Down(migrations.VersionsAbove(3)); err != nil {
		t.Fatal(err)
	}
	const (
		userID   = "00000000-0000-0000-0000-0000000000a1"
		goalID   = "00000000-0000-0000-0000-0000000000b1"
		siteID   = uint32(4242)
		password = "the previous release's password"
		token    = "a session token the previous release handed out"
	)
	hash, err := accounts.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(token))
	now := time.Now().UTC()
	for _, w := range []struct {
		sql    string
		params store.Params
	}{
		{`INSERT INTO users (id, email, password_hash, created_at, updated_at, deleted)
			VALUES ({id:UUID}, 'claire@boulangerie.fr', {hash:String}, {now:DateTime64(3, 'UTC')}, {now:DateTime64(6, 'UTC')}, 0)`,
			store.Params{"id": userID, "hash": hash, "now": now}},
		{`INSERT INTO sites (id, domain, timezone, retention_days, created_at, updated_at, deleted)
			VALUES ({id:UInt32}, 'boulangerie.fr', 'Europe/Paris', 760, {now:DateTime64(3, 'UTC')}, {now:DateTime64(6, 'UTC')}, 0)`,
			store.Params{"id": siteID, "now": now}},
		{`INSERT INTO memberships (site_id, user_id, role, updated_at, deleted)
			VALUES ({site:UInt32}, {user:UUID}, 'owner', {now:DateTime64(6, 'UTC')}, 0)`,
			store.Params{"site": siteID, "user": userID, "now": now}},
		{`INSERT INTO goals (site_id, id, event_name, page_path, currency, display_name, updated_at, deleted)
			VALUES ({site:UInt32}, {id:UUID}, 'Commande', '', 'EUR', 'Commande', {now:DateTime64(6, 'UTC')}, 0)`,
			store.Params{"site": siteID, "id": goalID, "now": now}},
		{`INSERT INTO auth_sessions (token_hash, user_id, expires_at, updated_at, deleted)
			VALUES ({hash:String}, {user:UUID}, {exp:DateTime('UTC')}, {now:DateTime64(6, 'UTC')}, 0)`,
			store.Params{"hash": hex.EncodeToString(sum[:]), "user": userID, "exp": now.Add(24 * time.Hour).Truncate(time.Second), "now": now}},
	} {
		if err := e.Exec(ctx, w.sql, w.params); err != nil {
			t.Fatal(err)
		}
	}
	// Two visits of two pageviews and one of one, stored through the
	// insert path of both releases (the events table is unchanged since 3).
	start := now.Add(-time.Hour).Truncate(time.Millisecond)
	var events []sillage.Event
	for v := range 3 {
		for p := range 2 - v/2 {
			events = append(events, sillage.Event{SiteID: siteID, Timestamp: start.Add(time.Duration(v*10+p) * time.Minute),
				Name: sillage.EventPageview, VisitorID: uint64(100 + v), SessionID: uint64(200 + v),
				SessionStart: start.Add(time.Duration(v*10) * time.Minute), Hostname: "boulangerie.fr",
				Pathname: fmt.Sprintf("/page-%d", p), Interactive: true, RetentionDays: 760})
		}
	}
	if err := insertBeforeImportID(ctx, e, events); err != nil {
		t.Fatal(err)
	}

	if err := m.Up(); err != nil {
		t.Fatal(err)
	}
	acc := accounts.New(e)
	u, err := acc.Authenticate(ctx, "claire@boulangerie.fr", password)
	if err != nil || u.ID != userID {
		t.Fatalf("the previous release's account after the upgrade: %+v, %v", u, err)
	}
	if s, err := acc.UserBySession(ctx, token); err != nil || s.ID != userID {
		t.Fatalf("the previous release's session after the upgrade: %+v, %v", s, err)
	}
	if op, err := acc.IsOperator(ctx, userID); err != nil || !op {
		t.Fatalf("the only account is operator after the upgrade: %v, %v", op, err)
	}
	site, err := acc.SiteByDomain(ctx, "boulangerie.fr")
	if err != nil || site.ID != siteID || site.Timezone != "Europe/Paris" || site.RetentionDays != 760 {
		t.Fatalf("site after the upgrade: %+v, %v", site, err)
	}
	if role, err := acc.RoleOf(ctx, userID, siteID); err != nil || role != sillage.RoleOwner {
		t.Fatalf("role after the upgrade: %q, %v", role, err)
	}
	// Migration 0016 gave goals a scroll threshold: one written before it
	// stays an ordinary goal (0), not a scroll-depth goal.
	if goals, err := acc.Goals(ctx, siteID); err != nil || len(goals) != 1 || goals[0].ID != goalID || goals[0].EventName != "Commande" ||
		goals[0].ScrollThreshold != 0 {
		t.Fatalf("goals after the upgrade: %+v, %v", goals, err)
	}
	var stored, sessions, pageviews uint64
	if err := store.QueryRow(ctx, e, `SELECT (SELECT count() FROM events WHERE site_id = {s:UInt32}),
		count(), sum(pageviews) FROM sessions FINAL WHERE site_id = {s:UInt32}`,
		store.Params{"s": siteID}, &stored, &sessions, &pageviews); err != nil {
		t.Fatal(err)
	}
	if stored != 5 || sessions != 3 || pageviews != 5 {
		t.Fatalf("after the upgrade: %d events, %d sessions of %d pageviews; want 5, 3 of 5", stored, sessions, pageviews)
	}
}

// Rows stored with uap-go's names before migration 12 get the names the
// collector gives now (Plausible's), in events and in sessions; the
// mutation runs in the background, so this polls until it is done.
func TestPlausibleNamesUpgrade(t *testing.T) {
	ctx := context.Background()
	e, m := migratedUp(t)
	if err := m.Down(migrations.VersionsAbove(11)); err != nil {
		t.Fatal(err)
	}
	start := time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
	old := []struct{ browser, version, os, osVersion, device string }{
		{"Mobile Safari", "18.1", "iOS", "18.1", "Mobile"},
		{"Mobile Safari", "17.6", "iOS", "17.6", "Tablet"},
		{"Chrome Mobile", "131.0", "Android", "14", "Mobile"},
		{"Chrome", "131.0", "Mac OS X", "10.15", "Desktop"},
		{"Firefox", "133.0", "Linux", "", "Desktop"},
		{"Edge", "131.0", "Windows", "10", "Desktop"},
		{"Samsung Internet", "26.0", "Android", "14", "Mobile"},
		{"Facebook", "489.0", "iOS", "17.6", "Mobile"},
	}
	var events []sillage.Event
	for i, o := range old {
		events = append(events, sillage.Event{SiteID: 7, Timestamp: start.Add(time.Duration(i) * time.Minute),
			Name: sillage.EventPageview, VisitorID: uint64(100 + i), SessionID: uint64(200 + i), SessionStart: start.Add(time.Duration(i) * time.Minute),
			Hostname: "a.fr", Pathname: "/", Interactive: true,
			Visit: sillage.Visit{Browser: o.browser, BrowserVersion: o.version, OS: o.os, OSVersion: o.osVersion, Device: o.device}})
	}
	if err := insertBeforeImportID(ctx, e, events); err != nil {
		t.Fatal(err)
	}
	if err := m.Up(); err != nil {
		t.Fatal(err)
	}
	want := "Safari 18.1 iOS|Safari 17.6 iPadOS|Chrome 131.0 Android|Chrome 131.0 Mac|Firefox 133.0 GNU/Linux|" +
		"Microsoft Edge 131.0 Windows|Samsung Browser 26.0 Android|Mobile App  iOS"
	for _, table := range []string{"events", "sessions FINAL"} {
		order := "ts"
		if table != "events" {
			order = "session_start"
		}
		deadline := time.Now().Add(60 * time.Second)
		for {
			var got string
			if err := store.QueryRow(ctx, e, "SELECT arrayStringConcat(groupArray(concat(toString(browser), ' ', toString(browser_version), ' ', toString(os))), '|') FROM (SELECT * FROM "+table+" ORDER BY "+order+")", nil, &got); err != nil {
				t.Fatal(err)
			}
			if got == want {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s after the upgrade:\n%s\nwant\n%s", table, got, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// insertBeforeImportID stores events into a table migrated below 13, which
// lacks the import_id column of today's insert path: as JSON rows whose
// unknown keys the engine skips.
func insertBeforeImportID(ctx context.Context, e store.Engine, events []sillage.Event) error {
	b := []byte("INSERT INTO events SETTINGS input_format_skip_unknown_fields = 1 FORMAT JSONEachRow\n")
	for i := range events {
		b = store.AppendEventJSON(b, &events[i])
	}
	return e.Exec(ctx, string(b), nil)
}

// An import the previous release (schema version 16) recorded reads back
// after migration 0017 with no warnings, and the migration runs again
// without harm.
func TestImportWarningsUpgrade(t *testing.T) {
	ctx := context.Background()
	e, m := migratedUp(t)
	if err := m.Down(migrations.VersionsAbove(16)); err != nil {
		t.Fatal(err)
	}
	if err := e.Exec(ctx, `INSERT INTO imports (id, site_id, source, file_name, content_hash, start_date, end_date, rows, pageviews,
		status, bytes_done, bytes_total, error, cursor, created_by, created_at, updated_at, deleted)
		VALUES (77, 5, 'ga4', 'properties/1', 'h', '2024-03-01', '2024-03-05', map('imported_visitors', 5), 42,
		'completed', 9000, 9000, '', '{}', 'cli', now64(3, 'UTC'), now64(6, 'UTC'), 0)`, nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Up(); err != nil {
		t.Fatal(err)
	}
	var n, pageviews, connections uint64
	if err := store.QueryRow(ctx, e, `SELECT count(), sum(pageviews), (SELECT count() FROM ga4_connections)
		FROM imports FINAL WHERE id = 77 AND warnings = [] AND status = 'completed'`, nil, &n, &pageviews, &connections); err != nil {
		t.Fatal(err)
	}
	if n != 1 || pageviews != 42 || connections != 0 {
		t.Fatalf("after the upgrade: %d imports of %d pageviews, %d connections", n, pageviews, connections)
	}
}

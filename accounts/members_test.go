package accounts_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/storetest"
)

// clock is a test clock that moves only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newService(t *testing.T) (*accounts.Service, *clock) {
	t.Helper()
	// Near the real time: the engine's TTLs (sessions, salts) use its own clock.
	c := &clock{t: time.Now().UTC().Truncate(time.Second)}
	return &accounts.Service{Engine: storetest.Migrated(t), Now: c.Now}, c
}

func mustUser(t *testing.T, s *accounts.Service, email string) sillage.User {
	t.Helper()
	u, err := s.AddUser(context.Background(), email, "long enough password")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestMemberships(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	alice, bob, carol := mustUser(t, s, "alice@example.fr"), mustUser(t, s, "bob@example.fr"), mustUser(t, s, "carol@example.fr")
	site, err := s.AddSiteWithOwner(ctx, alice.ID, "fromagerie.fr", "Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddSiteWithOwner(ctx, "00000000-0000-0000-0000-000000000009", "other.fr", ""); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("site for an unknown owner: %v", err)
	}
	if role, err := s.RoleOf(ctx, alice.ID, site.ID); err != nil || role != sillage.RoleOwner {
		t.Fatalf("creator's role = %q, %v", role, err)
	}

	steps := []struct {
		name  string
		do    func() error
		want  error
		roles map[string]sillage.Role // expected roles after the step; "" = not a member
	}{
		{"add admin", func() error { _, err := s.AddMember(ctx, site.ID, "Bob@Example.fr", sillage.RoleAdmin); return err }, nil,
			map[string]sillage.Role{alice.ID: "owner", bob.ID: "admin", carol.ID: ""}},
		{"add viewer", func() error { _, err := s.AddMember(ctx, site.ID, "carol@example.fr", sillage.RoleViewer); return err }, nil,
			map[string]sillage.Role{carol.ID: "viewer"}},
		{"bad role", func() error { _, err := s.AddMember(ctx, site.ID, "carol@example.fr", "root"); return err }, accounts.ErrInvalid,
			map[string]sillage.Role{carol.ID: "viewer"}},
		{"unknown account", func() error { _, err := s.AddMember(ctx, site.ID, "dan@example.fr", sillage.RoleViewer); return err }, accounts.ErrNotFound, nil},
		{"unknown site", func() error { _, err := s.AddMember(ctx, 12345, "bob@example.fr", sillage.RoleViewer); return err }, accounts.ErrNotFound, nil},
		{"promote viewer", func() error { _, err := s.AddMember(ctx, site.ID, "carol@example.fr", sillage.RoleAdmin); return err }, nil,
			map[string]sillage.Role{carol.ID: "admin"}},
		{"remove last owner", func() error { return s.RemoveMember(ctx, site.ID, "alice@example.fr") }, accounts.ErrLastOwner,
			map[string]sillage.Role{alice.ID: "owner"}},
		{"demote last owner", func() error { _, err := s.AddMember(ctx, site.ID, "alice@example.fr", sillage.RoleViewer); return err }, accounts.ErrLastOwner,
			map[string]sillage.Role{alice.ID: "owner"}},
		{"second owner", func() error { _, err := s.AddMember(ctx, site.ID, "bob@example.fr", sillage.RoleOwner); return err }, nil,
			map[string]sillage.Role{bob.ID: "owner"}},
		{"demote first owner", func() error { _, err := s.AddMember(ctx, site.ID, "alice@example.fr", sillage.RoleViewer); return err }, nil,
			map[string]sillage.Role{alice.ID: "viewer", bob.ID: "owner"}},
		{"remove viewer", func() error { return s.RemoveMember(ctx, site.ID, "alice@example.fr") }, nil,
			map[string]sillage.Role{alice.ID: ""}},
		{"remove non-member", func() error { return s.RemoveMember(ctx, site.ID, "alice@example.fr") }, accounts.ErrNotFound, nil},
		{"re-add after removal", func() error { _, err := s.AddMember(ctx, site.ID, "alice@example.fr", sillage.RoleAdmin); return err }, nil,
			map[string]sillage.Role{alice.ID: "admin"}},
	}
	for _, st := range steps {
		err := st.do()
		if st.want == nil && err != nil || st.want != nil && !errors.Is(err, st.want) {
			t.Fatalf("%s: got %v, want %v", st.name, err, st.want)
		}
		for user, want := range st.roles {
			got, err := s.RoleOf(ctx, user, site.ID)
			if want == "" && !errors.Is(err, accounts.ErrNotFound) || want != "" && (err != nil || got != want) {
				t.Fatalf("%s: role of %s = %q, %v; want %q", st.name, user, got, err, want)
			}
		}
	}

	members, err := s.Members(ctx, site.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []accounts.Member{
		{UserID: alice.ID, Email: alice.Email, Role: "admin"},
		{UserID: bob.ID, Email: bob.Email, Role: "owner"},
		{UserID: carol.ID, Email: carol.Email, Role: "admin"},
	}
	if len(members) != len(want) {
		t.Fatalf("members = %+v", members)
	}
	for i := range want {
		if members[i] != want[i] {
			t.Errorf("member %d = %+v, want %+v", i, members[i], want[i])
		}
	}

	if _, err := s.AddSiteWithOwner(ctx, bob.ID, "atelier.fr", "Etc/UTC"); err != nil {
		t.Fatal(err)
	}
	sites, err := s.SitesForUser(ctx, bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(sites) != 2 || sites[0].Domain != "atelier.fr" || sites[0].Role != "owner" || sites[1].Domain != "fromagerie.fr" ||
		sites[1].Timezone != "Europe/Paris" || sites[1].ID != site.ID {
		t.Fatalf("bob's sites = %+v", sites)
	}
	if sites, err := s.SitesForUser(ctx, alice.ID); err != nil || len(sites) != 1 || sites[0].Role != "admin" {
		t.Fatalf("alice's sites = %+v, %v", sites, err)
	}
}

func TestAdoptOrphanSites(t *testing.T) {
	ctx := context.Background()
	s, c := newService(t)
	cli, err := s.AddOwnerlessSite(ctx, "boulangerie.fr", "Europe/Paris") // from the command line: no owner
	if err != nil {
		t.Fatal(err)
	}
	first := mustUser(t, s, "first@example.fr")
	c.Advance(time.Second)
	second := mustUser(t, s, "second@example.fr")
	owned, err := s.AddSiteWithOwner(ctx, second.ID, "owned.fr", "")
	if err != nil {
		t.Fatal(err)
	}

	if got, err := s.AdoptOrphanSites(ctx, second.ID); err != nil || len(got) != 0 {
		t.Fatalf("a later account adopted %+v, %v", got, err)
	}
	got, err := s.AdoptOrphanSites(ctx, first.ID)
	if err != nil || len(got) != 1 || got[0].ID != cli.ID {
		t.Fatalf("first account adopted %+v, %v; want only %s", got, err, cli.Domain)
	}
	if role, err := s.RoleOf(ctx, first.ID, cli.ID); err != nil || role != sillage.RoleOwner {
		t.Fatalf("role after adoption = %q, %v", role, err)
	}
	if _, err := s.RoleOf(ctx, first.ID, owned.ID); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("a site with an owner was adopted: %v", err)
	}
	if got, err := s.AdoptOrphanSites(ctx, first.ID); err != nil || len(got) != 0 {
		t.Fatalf("second adoption = %+v, %v", got, err)
	}
}

// insertEvents stores the fixture's day of traffic for a site.
func insertEvents(t *testing.T, e store.Engine, siteID uint32, day time.Time) int {
	t.Helper()
	events := storetest.Fixture(day)
	for i := range events {
		events[i].SiteID = siteID
	}
	if err := e.InsertEvents(context.Background(), "", events); err != nil {
		t.Fatal(err)
	}
	return len(events)
}

func countRows(t *testing.T, e store.Engine, table string, siteID uint32, retention uint16) (all, withRetention uint64) {
	t.Helper()
	err := store.QueryRow(context.Background(), e, "SELECT count(), countIf(retention_days = {r:UInt16}) FROM "+table+
		" WHERE site_id = {s:UInt32}", store.Params{"s": siteID, "r": retention}, &all, &withRetention)
	if err != nil {
		t.Fatal(err)
	}
	return all, withRetention
}

func TestUpdateSite(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	site, err := s.AddSite(ctx, "fleuriste.fr", "Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.AddSite(ctx, "voisin.fr", "Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	// Recent traffic, so no retention below deletes it.
	day := time.Now().UTC().Truncate(24 * time.Hour).Add(-24 * time.Hour)
	n := insertEvents(t, s.Engine, site.ID, day)
	insertEvents(t, s.Engine, other.ID, day)

	ptr := func(v string) *string { return &v }
	days := func(v uint16) *uint16 { return &v }
	tests := []struct {
		name string
		u    accounts.SiteUpdate
		err  error
		tz   string
		ret  uint16
	}{
		{"nothing", accounts.SiteUpdate{}, nil, "Europe/Paris", accounts.DefaultRetentionDays},
		{"time zone", accounts.SiteUpdate{Timezone: ptr("America/Montreal")}, nil, "America/Montreal", accounts.DefaultRetentionDays},
		{"bad time zone", accounts.SiteUpdate{Timezone: ptr("Europe/Atlantis")}, accounts.ErrInvalid, "America/Montreal", accounts.DefaultRetentionDays},
		{"a zone Go loads and the engine does not", accounts.SiteUpdate{Timezone: ptr("right/UTC")}, accounts.ErrInvalid, "America/Montreal", accounts.DefaultRetentionDays},
		{"too long", accounts.SiteUpdate{RetentionDays: days(accounts.MaxRetentionDays + 1)}, accounts.ErrInvalid, "America/Montreal", accounts.DefaultRetentionDays},
		{"retention", accounts.SiteUpdate{RetentionDays: days(180)}, nil, "America/Montreal", 180},
		{"both", accounts.SiteUpdate{Timezone: ptr("Europe/Paris"), RetentionDays: days(400)}, nil, "Europe/Paris", 400},
	}
	for _, tt := range tests {
		got, err := s.UpdateSite(ctx, site.ID, tt.u)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Fatalf("%s: err = %v, want %v", tt.name, err, tt.err)
			}
		} else if err != nil || got.Timezone != tt.tz || got.RetentionDays != tt.ret {
			t.Fatalf("%s: UpdateSite = %+v, %v", tt.name, got, err)
		}
		stored, err := s.SiteByDomain(ctx, site.Domain)
		if err != nil || stored.Timezone != tt.tz || stored.RetentionDays != tt.ret || !stored.CreatedAt.Equal(site.CreatedAt) {
			t.Fatalf("%s: stored site = %+v, %v", tt.name, stored, err)
		}
	}
	if _, err := s.UpdateSite(ctx, 999, accounts.SiteUpdate{}); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("unknown site: %v", err)
	}

	// The mutation runs in the background: wait for it.
	deadline := time.Now().Add(30 * time.Second)
	for {
		ea, e400 := countRows(t, s.Engine, "events", site.ID, 400)
		sa, s400 := countRows(t, s.Engine, "sessions", site.ID, 400)
		if ea == uint64(n) && e400 == ea && sa > 0 && s400 == sa {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("retention not applied: events %d/%d, sessions %d/%d", e400, ea, s400, sa)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if all, zero := countRows(t, s.Engine, "events", other.ID, 0); all == 0 || zero != all {
		t.Fatalf("another site's events changed: %d of %d keep retention 0", zero, all)
	}

	// A shorter retention deletes what is now too old.
	insertEvents(t, s.Engine, site.ID, day.Add(-60*24*time.Hour))
	if _, err := s.UpdateSite(ctx, site.ID, accounts.SiteUpdate{RetentionDays: days(30)}); err != nil {
		t.Fatal(err)
	}
	for {
		all, with30 := countRows(t, s.Engine, "events", site.ID, 30)
		if all == uint64(n) && with30 == all {
			break
		}
		if time.Now().After(deadline.Add(30 * time.Second)) {
			t.Fatalf("retention of 30 days: %d events left, %d with the new retention; want %d", all, with30, n)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// The longest retention keeps everything: today plus 36 500 days is
	// past the end of DateTime (2106), where a TTL would wrap around to
	// 1970 and expire every row at once.
	if _, err := s.UpdateSite(ctx, site.ID, accounts.SiteUpdate{RetentionDays: days(accounts.MaxRetentionDays)}); err != nil {
		t.Fatal(err)
	}
	for {
		all, withMax := countRows(t, s.Engine, "events", site.ID, accounts.MaxRetentionDays)
		if withMax == all {
			break
		}
		if time.Now().After(deadline.Add(60 * time.Second)) {
			t.Fatalf("retention of %d days not applied: %d of %d events", accounts.MaxRetentionDays, withMax, all)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, table := range []string{"events", "sessions"} {
		if err := s.Engine.Exec(ctx, "OPTIMIZE TABLE "+table+" FINAL", nil); err != nil { // applies the TTL now
			t.Fatal(err)
		}
	}
	if all, _ := countRows(t, s.Engine, "events", site.ID, accounts.MaxRetentionDays); all != uint64(n) {
		t.Fatalf("retention of %d days: %d events left, want %d", accounts.MaxRetentionDays, all, n)
	}
	if all, _ := countRows(t, s.Engine, "sessions", site.ID, accounts.MaxRetentionDays); all == 0 {
		t.Fatalf("retention of %d days: no session left", accounts.MaxRetentionDays)
	}
}

func TestDeleteSite(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	owner := mustUser(t, s, "owner@example.fr")
	site, err := s.AddSiteWithOwner(ctx, owner.ID, "caviste.fr", "Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	keep, err := s.AddSiteWithOwner(ctx, owner.ID, "keep.fr", "Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	day := time.Now().UTC().Truncate(24 * time.Hour)
	insertEvents(t, s.Engine, site.ID, day)
	insertEvents(t, s.Engine, keep.ID, day)

	if err := s.DeleteSiteData(ctx, site.ID); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"events", "sessions"} {
		if n, _ := countRows(t, s.Engine, table, site.ID, 0); n != 0 {
			t.Fatalf("%s: %d rows left after DeleteSiteData", table, n)
		}
		if n, _ := countRows(t, s.Engine, table, keep.ID, 0); n == 0 {
			t.Fatalf("%s: the other site's rows were deleted", table)
		}
	}
	if _, err := s.SiteByID(ctx, site.ID); err != nil {
		t.Fatalf("DeleteSiteData removed the site: %v", err)
	}

	insertEvents(t, s.Engine, site.ID, day)
	g, err := s.AddGoal(ctx, accounts.Goal{SiteID: site.ID, EventName: "Signup"})
	if err != nil {
		t.Fatal(err)
	}
	link, err := s.AddSharedLink(ctx, site.ID, "press", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSite(ctx, site.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SiteByDomain(ctx, site.Domain); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("deleted site still found: %v", err)
	}
	if sites, err := s.SitesForUser(ctx, owner.ID); err != nil || len(sites) != 1 || sites[0].ID != keep.ID {
		t.Fatalf("sites after delete = %+v, %v", sites, err)
	}
	if goals, err := s.Goals(ctx, site.ID); err != nil || len(goals) != 0 {
		t.Fatalf("goals after delete = %+v (goal %s), %v", goals, g.ID, err)
	}
	if _, err := s.SharedLinkBySlug(ctx, link.Slug); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("shared link of a deleted site: %v", err)
	}
	if n, _ := countRows(t, s.Engine, "events", site.ID, 0); n != 0 {
		t.Fatalf("%d events left after DeleteSite", n)
	}
	if err := s.DeleteSite(ctx, site.ID); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	again, err := s.AddSiteWithOwner(ctx, owner.ID, "caviste.fr", "Europe/Paris")
	if err != nil || again.ID == site.ID {
		t.Fatalf("re-adding a deleted domain = %+v, %v", again, err)
	}
}

// Changes that check before they write hold at once: a double-clicked
// "add site" makes one site, two owners removing each other leave one,
// an update racing a delete does not bring the site back.
func TestConcurrentChanges(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	parallel := func(n int, f func(i int) error) (ok int) {
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = f(i) }()
		}
		wg.Wait()
		for _, err := range errs {
			if err == nil {
				ok++
			}
		}
		return ok
	}

	if ok := parallel(4, func(int) error { _, err := s.AddSite(ctx, "dup.fr", "Europe/Paris"); return err }); ok != 1 {
		t.Errorf("%d of 4 concurrent AddSite calls succeeded, want 1", ok)
	}
	if ok := parallel(3, func(int) error { _, err := s.AddUser(ctx, "dup@example.fr", "long enough password"); return err }); ok != 1 {
		t.Errorf("%d of 3 concurrent AddUser calls succeeded, want 1", ok)
	}

	a, b := mustUser(t, s, "a@example.fr"), mustUser(t, s, "b@example.fr")
	site, err := s.AddSiteWithOwner(ctx, a.ID, "owners.fr", "Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddMember(ctx, site.ID, b.Email, sillage.RoleOwner); err != nil {
		t.Fatal(err)
	}
	parallel(2, func(i int) error { return s.RemoveMember(ctx, site.ID, []string{a.Email, b.Email}[i]) })
	members, err := s.Members(ctx, site.ID)
	if err != nil {
		t.Fatal(err)
	}
	owners := 0
	for _, m := range members {
		if m.Role == sillage.RoleOwner {
			owners++
		}
	}
	if owners != 1 {
		t.Errorf("%d owners left after two owners removed each other, want 1", owners)
	}

	days := uint16(30)
	parallel(2, func(i int) error {
		if i == 0 {
			return s.DeleteSite(ctx, site.ID)
		}
		_, err := s.UpdateSite(ctx, site.ID, accounts.SiteUpdate{RetentionDays: &days})
		return err
	})
	if _, err := s.SiteByID(ctx, site.ID); !errors.Is(err, accounts.ErrNotFound) {
		t.Errorf("a deleted site is back after a concurrent update: %v", err)
	}
}

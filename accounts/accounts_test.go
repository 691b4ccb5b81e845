package accounts_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

func TestSites(t *testing.T) {
	ctx := context.Background()
	s := accounts.New(storetest.Migrated(t))
	site, err := s.AddSite(ctx, "https://www.Boulangerie-Martin.fr/", "Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	if site.Domain != "boulangerie-martin.fr" || site.ID == 0 {
		t.Fatalf("site = %+v", site)
	}
	if _, err := s.AddSite(ctx, "boulangerie-martin.fr", "Europe/Paris"); !errors.Is(err, accounts.ErrExists) {
		t.Fatalf("second add: want ErrExists, got %v", err)
	}
	if _, err := s.AddSite(ctx, "atelier.fr", "Mars/Olympus"); err == nil {
		t.Fatal("want an error for an unknown time zone")
	}
	if _, err := s.AddSite(ctx, "not a domain", "Europe/Paris"); err == nil {
		t.Fatal("want an error for a bad domain")
	}
	if _, err := s.AddSite(ctx, "atelier.fr", ""); err != nil {
		t.Fatal(err)
	}
	sites, err := s.Sites(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(sites) != 2 || sites[0].Domain != "atelier.fr" || sites[0].Timezone != "Etc/UTC" || sites[1].Timezone != "Europe/Paris" {
		t.Fatalf("sites = %+v", sites)
	}
	got, err := s.SiteByDomain(ctx, "boulangerie-martin.fr")
	if err != nil || got.ID != site.ID {
		t.Fatalf("SiteByDomain = %+v, %v", got, err)
	}
}

func TestUsers(t *testing.T) {
	ctx := context.Background()
	s := accounts.New(storetest.Migrated(t))
	u, err := s.AddUser(ctx, "Claire@Example.fr", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "claire@example.fr" {
		t.Fatalf("email = %q", u.Email)
	}
	if _, err := s.AddUser(ctx, "claire@example.fr", "another password"); !errors.Is(err, accounts.ErrExists) {
		t.Fatalf("want ErrExists, got %v", err)
	}
	if _, err := s.AddUser(ctx, "bob@example.fr", "short"); err == nil {
		t.Fatal("want an error for a short password")
	}
	if _, err := s.AddUser(ctx, "not-an-email", "long enough pass"); err == nil {
		t.Fatal("want an error for a bad email")
	}
	tests := []struct {
		email, password string
		ok              bool
	}{
		{"claire@example.fr", "correct horse battery", true},
		{"CLAIRE@example.fr", "correct horse battery", true},
		{"claire@example.fr", "wrong horse battery", false},
		{"nobody@example.fr", "correct horse battery", false},
	}
	for _, tt := range tests {
		got, err := s.Authenticate(ctx, tt.email, tt.password)
		if tt.ok && (err != nil || got.ID != u.ID) {
			t.Errorf("Authenticate(%s) = %+v, %v; want success", tt.email, got, err)
		}
		if !tt.ok && !errors.Is(err, accounts.ErrBadCredentials) {
			t.Errorf("Authenticate(%s, %s): want ErrBadCredentials, got %v", tt.email, tt.password, err)
		}
	}
}

func TestPasswordHash(t *testing.T) {
	h, err := accounts.HashPassword("pâtisserie du coin")
	if err != nil {
		t.Fatal(err)
	}
	// The production cost: this package's tests never lower it.
	if want := "$argon2id$v=19$m=19456,t=2,p=1$"; !strings.HasPrefix(h, want) {
		t.Fatalf("hash %s does not start with %s", h, want)
	}
	if !accounts.CheckPassword(h, "pâtisserie du coin") || accounts.CheckPassword(h, "patisserie du coin") {
		t.Fatal("hash check is wrong")
	}
	h2, _ := accounts.HashPassword("pâtisserie du coin")
	if h == h2 {
		t.Fatal("two hashes of one password must differ (random salt)")
	}
	for _, bad := range []string{"", "$argon2id$", "$argon2id$v=19$m=1,t=1,p=1$!!$!!", "$bcrypt$x$y$z$w"} {
		if accounts.CheckPassword(bad, "x") {
			t.Fatalf("malformed hash %q accepted", bad)
		}
	}
}

// New sites keep their events 25 months, the longest the CNIL's exemption
// for audience measurement without consent allows; a site stored before
// keeps the retention it has.
func TestNewSiteRetentionDefault(t *testing.T) {
	ctx := context.Background()
	eng := storetest.Migrated(t)
	s := accounts.New(eng)
	if err := eng.Exec(ctx, `INSERT INTO sites (id, domain, timezone, retention_days, created_at, updated_at, deleted)
		VALUES (77, 'ancien.fr', 'Europe/Paris', 0, now64(3), now64(6), 0)`, nil); err != nil {
		t.Fatal(err)
	}
	site, err := s.AddSite(ctx, "nouveau.fr", "Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	if site.RetentionDays != accounts.DefaultRetentionDays {
		t.Fatalf("AddSite returned retention %d, want %d", site.RetentionDays, accounts.DefaultRetentionDays)
	}
	for domain, want := range map[string]uint16{"nouveau.fr": 758, "ancien.fr": 0} {
		got, err := s.SiteByDomain(ctx, domain)
		if err != nil {
			t.Fatal(err)
		}
		if got.RetentionDays != want {
			t.Errorf("%s keeps its events %d days, want %d", domain, got.RetentionDays, want)
		}
	}
	// 25 calendar months are 758 to 762 days: 758 never keeps an event
	// past 25 months; 13 months likewise.
	if accounts.DefaultRetentionDays != accounts.Retention25Months || accounts.Retention25Months != 758 || accounts.Retention13Months != 393 {
		t.Fatalf("retention constants %d %d %d", accounts.DefaultRetentionDays, accounts.Retention25Months, accounts.Retention13Months)
	}
}

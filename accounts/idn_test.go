package accounts_test

import (
	"context"
	"errors"
	"testing"

	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/storetest"
)

// An internationalised domain is one site whichever way it is written: a
// browser reports bücher.de as xn--bcher-kva.de, so a second tenant who
// registered the other spelling would receive the first one's visitors.
func TestIDNTwinIsTheSameSite(t *testing.T) {
	ctx := context.Background()
	s := accounts.New(storetest.Migrated(t))
	for _, c := range []struct{ first, twin string }{
		{"bücher.de", "xn--bcher-kva.de"},
		{"xn--caf-dma.fr", "café.fr"},
		{"Straße.example", "xn--strae-oqa.example"},
	} {
		if _, err := s.AddSite(ctx, c.first, "Europe/Paris"); err != nil {
			t.Fatalf("%s: %v", c.first, err)
		}
		if _, err := s.AddSite(ctx, c.twin, "Europe/Paris"); !errors.Is(err, accounts.ErrExists) {
			t.Errorf("%s after %s: %v, want ErrExists", c.twin, c.first, err)
		}
	}
	// The same name typed with its accent as a separate mark, or in
	// full-width letters, is the same site too (it has the same xn-- twin).
	for _, d := range []string{"bu\u0308cher.de", "ｂücher.de", "cafe\u0301.fr"} {
		if _, err := s.AddSite(ctx, d, "Europe/Paris"); !errors.Is(err, accounts.ErrExists) {
			t.Errorf("%q after its other spellings: %v, want ErrExists", d, err)
		}
	}
	// Plain ASCII domains are untouched.
	if _, err := s.AddSite(ctx, "xn--.example", "Europe/Paris"); err != nil && errors.Is(err, accounts.ErrExists) {
		t.Errorf("a malformed punycode label: %v", err)
	}
}

// A site stored by an earlier release under another Unicode spelling (its
// accent a mark of its own) is still found by that spelling: its owner's
// dashboard links carry it.
func TestSiteStoredUnderAnotherSpellingIsFound(t *testing.T) {
	ctx := context.Background()
	eng := storetest.Migrated(t)
	s := accounts.New(eng)
	const stored = "bu\u0308cher.de"
	if err := eng.Exec(ctx, `INSERT INTO sites (id, domain, timezone, retention_days, created_at, updated_at, deleted)
		VALUES (41, {d:String}, 'Europe/Paris', 0, now64(3), now64(6), 0)`, store.Params{"d": stored}); err != nil {
		t.Fatal(err)
	}
	site, err := s.SiteByDomain(ctx, stored)
	if err != nil || site.ID != 41 {
		t.Fatalf("the site stored as %q: %+v, %v", stored, site, err)
	}
	// And it is the site of every spelling of that name.
	for _, d := range []string{"bücher.de", "xn--bcher-kva.de"} {
		if _, err := s.AddSite(ctx, d, "Europe/Paris"); !errors.Is(err, accounts.ErrExists) {
			t.Errorf("%s beside the site stored as %q: %v, want ErrExists", d, stored, err)
		}
	}
}

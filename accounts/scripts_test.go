package accounts_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/sillage-analytics/sillage/accounts"
)

func TestSiteScript(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	site, err := s.AddSite(ctx, "librairie.fr", "Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.AddSite(ctx, "atelier.fr", "Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	// Made at the first read, with the defaults; the same after.
	sc, err := s.SiteScript(ctx, site.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Token) != 24 || !slices.Equal(sc.Features, []string{"engagement", "retry"}) {
		t.Fatalf("first read: %+v", sc)
	}
	again, err := s.SiteScript(ctx, site.ID)
	if err != nil || again.Token != sc.Token {
		t.Fatalf("second read: %+v %v, want token %s", again, err, sc.Token)
	}
	if o, err := s.SiteScript(ctx, other.ID); err != nil || o.Token == sc.Token {
		t.Fatalf("another site: %+v %v", o, err)
	}
	// A tick changes the features, not the token.
	set, err := s.SetSiteScriptFeatures(ctx, site.ID, []string{"outbound", "hash", "outbound"})
	if err != nil || set.Token != sc.Token || !slices.Equal(set.Features, []string{"hash", "outbound"}) {
		t.Fatalf("set: %+v %v", set, err)
	}
	got, err := s.SiteScriptByToken(ctx, sc.Token)
	if err != nil || got.SiteID != site.ID || got.Domain != "librairie.fr" || !slices.Equal(got.Features, []string{"hash", "outbound"}) {
		t.Fatalf("by token: %+v %v", got, err)
	}
	if _, err := s.SetSiteScriptFeatures(ctx, site.ID, []string{"init"}); !errors.Is(err, accounts.ErrInvalid) {
		t.Fatalf("unknown feature: %v, want ErrInvalid", err)
	}
	if _, err := s.SiteScriptByToken(ctx, "nope"); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("unknown token: %v", err)
	}
	// A deleted site's script is gone.
	if err := s.DeleteSite(ctx, site.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SiteScriptByToken(ctx, sc.Token); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("deleted site: %v", err)
	}
}

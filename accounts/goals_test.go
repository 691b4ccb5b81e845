package accounts_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/store"
)

func TestGoals(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	site, err := s.AddSite(ctx, "librairie.fr", "Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   accounts.Goal
		want accounts.Goal // ID and SiteID are not compared
		err  error
	}{
		{"event", accounts.Goal{EventName: " Signup "}, accounts.Goal{EventName: "Signup", DisplayName: "Signup"}, nil},
		{"event with revenue", accounts.Goal{EventName: "Purchase", Currency: "eur", DisplayName: "Achat"},
			accounts.Goal{EventName: "Purchase", Currency: "EUR", DisplayName: "Achat"}, nil},
		{"page", accounts.Goal{PagePath: "/merci"}, accounts.Goal{PagePath: "/merci", DisplayName: "Visit /merci"}, nil},
		{"page wildcards", accounts.Goal{PagePath: "/blog/**/commentaires/*", DisplayName: "Commentaire"},
			accounts.Goal{PagePath: "/blog/**/commentaires/*", DisplayName: "Commentaire"}, nil},
		{"same event again", accounts.Goal{EventName: "Signup", DisplayName: "Inscription"}, accounts.Goal{}, accounts.ErrExists},
		{"same display name", accounts.Goal{EventName: "Other", DisplayName: "achat"}, accounts.Goal{}, accounts.ErrExists},
		{"both kinds", accounts.Goal{EventName: "x", PagePath: "/x"}, accounts.Goal{}, accounts.ErrInvalid},
		{"neither", accounts.Goal{DisplayName: "x"}, accounts.Goal{}, accounts.ErrInvalid},
		{"relative path", accounts.Goal{PagePath: "merci"}, accounts.Goal{}, accounts.ErrInvalid},
		{"path with space", accounts.Goal{PagePath: "/a b"}, accounts.Goal{}, accounts.ErrInvalid},
		{"triple star", accounts.Goal{PagePath: "/a/***"}, accounts.Goal{}, accounts.ErrInvalid},
		{"page revenue", accounts.Goal{PagePath: "/paid", Currency: "EUR"}, accounts.Goal{}, accounts.ErrInvalid},
		{"bad currency", accounts.Goal{EventName: "Pay", Currency: "EURO"}, accounts.Goal{}, accounts.ErrInvalid},
		{"control character", accounts.Goal{EventName: "a\x00b"}, accounts.Goal{}, accounts.ErrInvalid},
		{"long name", accounts.Goal{EventName: strings.Repeat("é", 121)}, accounts.Goal{}, accounts.ErrInvalid},
		{"unknown site", accounts.Goal{SiteID: 7, EventName: "x"}, accounts.Goal{}, accounts.ErrNotFound},
	}
	ids := map[string]string{}
	for _, tt := range tests {
		in := tt.in
		if in.SiteID == 0 {
			in.SiteID = site.ID
		}
		got, err := s.AddGoal(ctx, in)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("%s: err = %v, want %v", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || got.ID == "" || got.SiteID != site.ID {
			t.Fatalf("%s: AddGoal = %+v, %v", tt.name, got, err)
		}
		ids[got.DisplayName] = got.ID
		got.ID, got.SiteID = "", 0
		if got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
	goals, err := s.Goals(ctx, site.ID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range goals {
		names = append(names, g.DisplayName)
	}
	if strings.Join(names, ",") != "Achat,Commentaire,Signup,Visit /merci" {
		t.Fatalf("goals = %v", names)
	}

	if err := s.DeleteGoal(ctx, site.ID, ids["Signup"]); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteGoal(ctx, site.ID, ids["Signup"]); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if err := s.DeleteGoal(ctx, site.ID, "not-a-uuid"); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("malformed id: %v", err)
	}
	other, _ := s.AddSite(ctx, "autre.fr", "")
	if err := s.DeleteGoal(ctx, other.ID, ids["Commentaire"]); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("deleting through another site: %v", err)
	}
	if goals, _ := s.Goals(ctx, site.ID); len(goals) != 3 {
		t.Fatalf("goals after delete = %+v", goals)
	}
	// A deleted goal's event can be a goal again.
	if _, err := s.AddGoal(ctx, accounts.Goal{SiteID: site.ID, EventName: "Signup"}); err != nil {
		t.Fatal(err)
	}
}

func TestPagePatternRegexp(t *testing.T) {
	tests := []struct {
		pattern string
		match   []string
		miss    []string
	}{
		{"/merci", []string{"/merci"}, []string{"/merci/", "/merci2", "/Merci", "x/merci"}},
		{"/blog/*", []string{"/blog/", "/blog/un-article"}, []string{"/blog", "/blog/a/b"}},
		{"/blog/**", []string{"/blog/", "/blog/a/b/c"}, []string{"/blog", "/blogs/a"}},
		{"/shop/*/buy", []string{"/shop/shoes/buy"}, []string{"/shop/a/b/buy", "/shop/buy"}},
		{"/docs/**/faq", []string{"/docs//faq", "/docs/a/b/faq"}, []string{"/docs/faq"}},
		{"/a.b+(c)?", []string{"/a.b+(c)?"}, []string{"/aXb+(c)?", "/a.bb(c)"}},
		{"/**", []string{"/", "/anything/at/all"}, nil},
	}
	for _, tt := range tests {
		if err := accounts.ValidatePagePattern(tt.pattern); err != nil {
			t.Fatalf("%s: %v", tt.pattern, err)
		}
		re := regexp.MustCompile(sillage.PagePatternRegexp(tt.pattern))
		for _, p := range tt.match {
			if !re.MatchString(p) {
				t.Errorf("%s should match %s (re %s)", tt.pattern, p, re)
			}
		}
		for _, p := range tt.miss {
			if re.MatchString(p) {
				t.Errorf("%s should not match %s (re %s)", tt.pattern, p, re)
			}
		}
	}
}

// The expression means the same to the engine's match() as to Go.
func TestPagePatternRegexpInEngine(t *testing.T) {
	s, _ := newService(t)
	var hit, miss bool
	err := store.QueryRow(context.Background(), s.Engine, "SELECT match('/shop/shoes/buy', {re:String}), match('/shop/a/b/buy', {re:String})",
		store.Params{"re": sillage.PagePatternRegexp("/shop/*/buy")}, &hit, &miss)
	if err != nil || !hit || miss {
		t.Fatalf("match() = %v, %v, %v", hit, miss, err)
	}
}

func TestFunnels(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	site, _ := s.AddSite(ctx, "cordonnier.fr", "")
	other, _ := s.AddSite(ctx, "autre.fr", "")
	var steps []string
	for _, name := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i"} {
		g, err := s.AddGoal(ctx, accounts.Goal{SiteID: site.ID, EventName: name})
		if err != nil {
			t.Fatal(err)
		}
		steps = append(steps, g.ID)
	}
	foreign, err := s.AddGoal(ctx, accounts.Goal{SiteID: other.ID, EventName: "z"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   accounts.Funnel
		err  error
		win  uint32
	}{
		{"two steps, default window", accounts.Funnel{Name: "Court", Steps: steps[:2]}, nil, 86400},
		{"eight steps", accounts.Funnel{Name: "Long", Steps: steps[:8], WindowSeconds: 3600}, nil, 3600},
		{"one step", accounts.Funnel{Name: "x", Steps: steps[:1]}, accounts.ErrInvalid, 0},
		{"nine steps", accounts.Funnel{Name: "x", Steps: steps[:9]}, accounts.ErrInvalid, 0},
		{"repeated step", accounts.Funnel{Name: "x", Steps: []string{steps[0], steps[1], steps[0]}}, accounts.ErrInvalid, 0},
		{"another site's goal", accounts.Funnel{Name: "x", Steps: []string{steps[0], foreign.ID}}, accounts.ErrInvalid, 0},
		{"unknown goal", accounts.Funnel{Name: "x", Steps: []string{steps[0], "nope"}}, accounts.ErrInvalid, 0},
		{"no name", accounts.Funnel{Steps: steps[:2]}, accounts.ErrInvalid, 0},
		{"window too long", accounts.Funnel{Name: "x", Steps: steps[:2], WindowSeconds: 91 * 86400}, accounts.ErrInvalid, 0},
		{"same name", accounts.Funnel{Name: "court", Steps: steps[2:4]}, accounts.ErrExists, 0},
	}
	ids := map[string]string{}
	for _, tt := range tests {
		in := tt.in
		in.SiteID = site.ID
		got, err := s.AddFunnel(ctx, in)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("%s: err = %v, want %v", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || got.ID == "" || got.WindowSeconds != tt.win || len(got.Steps) != len(in.Steps) {
			t.Fatalf("%s: AddFunnel = %+v, %v", tt.name, got, err)
		}
		ids[got.Name] = got.ID
	}
	funnels, err := s.Funnels(ctx, site.ID)
	if err != nil || len(funnels) != 2 || funnels[0].Name != "Court" || funnels[1].Name != "Long" {
		t.Fatalf("funnels = %+v, %v", funnels, err)
	}
	for i, id := range funnels[1].Steps {
		if id != steps[i] {
			t.Fatalf("step %d = %s, want %s (order kept)", i, id, steps[i])
		}
	}

	if err := s.DeleteGoal(ctx, site.ID, steps[1]); !errors.Is(err, accounts.ErrInUse) {
		t.Fatalf("deleting a funnel step: %v", err)
	}
	if err := s.DeleteFunnel(ctx, other.ID, ids["Long"]); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("delete through another site: %v", err)
	}
	for _, id := range []string{ids["Long"], ids["Court"]} {
		if err := s.DeleteFunnel(ctx, site.ID, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteFunnel(ctx, site.ID, ids["Long"]); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if err := s.DeleteGoal(ctx, site.ID, steps[1]); err != nil {
		t.Fatalf("goal is free once its funnels are gone: %v", err)
	}
}

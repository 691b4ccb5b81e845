package accounts_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/accounts"
)

func TestAnnotations(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	site, err := s.AddSite(ctx, "librairie.fr", "Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.AddSite(ctx, "autre.fr", "Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   accounts.Annotation
		want accounts.Annotation // ID, SiteID, CreatedAt not compared
		err  error
	}{
		{"one day", accounts.Annotation{From: "2026-03-02", Text: "  Newsletter  ", Category: "Campaign"},
			accounts.Annotation{From: "2026-03-02", To: "2026-03-02", Text: "Newsletter", Category: "campaign"}, nil},
		{"a range", accounts.Annotation{From: "2026-03-05", To: "2026-03-09", Text: "Soldes\nprintemps"},
			accounts.Annotation{From: "2026-03-05", To: "2026-03-09", Text: "Soldes\nprintemps"}, nil},
		{"ends before it starts", accounts.Annotation{From: "2026-03-09", To: "2026-03-05", Text: "x"}, accounts.Annotation{}, accounts.ErrInvalid},
		{"not a date", accounts.Annotation{From: "9 mars", Text: "x"}, accounts.Annotation{}, accounts.ErrInvalid},
		{"no date", accounts.Annotation{Text: "x"}, accounts.Annotation{}, accounts.ErrInvalid},
		{"no text", accounts.Annotation{From: "2026-03-09", Text: "  "}, accounts.Annotation{}, accounts.ErrInvalid},
		{"text too long", accounts.Annotation{From: "2026-03-09", Text: strings.Repeat("é", accounts.MaxAnnotationText+1)}, accounts.Annotation{}, accounts.ErrInvalid},
		{"control character", accounts.Annotation{From: "2026-03-09", Text: "a\x00b"}, accounts.Annotation{}, accounts.ErrInvalid},
		{"unknown category", accounts.Annotation{From: "2026-03-09", Text: "x", Category: "party"}, accounts.Annotation{}, accounts.ErrInvalid},
		{"range too long", accounts.Annotation{From: "2000-01-01", To: "2026-01-01", Text: "x"}, accounts.Annotation{}, accounts.ErrInvalid},
		{"beyond the engine's dates", accounts.Annotation{From: "2150-01-01", Text: "x"}, accounts.Annotation{}, accounts.ErrInvalid},
		{"unknown site", accounts.Annotation{SiteID: 99, From: "2026-03-09", Text: "x"}, accounts.Annotation{}, accounts.ErrNotFound},
	}
	var ids []string
	for _, tt := range tests {
		in := tt.in
		if in.SiteID == 0 {
			in.SiteID = site.ID
		}
		in.Author = "u1"
		got, err := s.AddAnnotation(ctx, in)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("%s: err = %v, want %v", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got.From != tt.want.From || got.To != tt.want.To || got.Text != tt.want.Text || got.Category != tt.want.Category || got.ID == "" {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
		ids = append(ids, got.ID)
	}
	if _, err := s.AddAnnotation(ctx, accounts.Annotation{SiteID: other.ID, From: "2026-03-03", Text: "elsewhere"}); err != nil {
		t.Fatal(err)
	}

	texts := func(from, to string) string {
		t.Helper()
		list, err := s.Annotations(ctx, site.ID, from, to)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, a := range list {
			out = append(out, a.Text)
		}
		return strings.Join(out, "|")
	}
	for _, c := range []struct{ from, to, want string }{
		{"", "", "Newsletter|Soldes\nprintemps"},
		{"2026-03-03", "2026-03-04", ""},
		{"2026-03-02", "2026-03-02", "Newsletter"},
		{"2026-03-09", "", "Soldes\nprintemps"},
		{"", "2026-03-05", "Newsletter|Soldes\nprintemps"},
		{"2026-03-10", "2026-03-31", ""},
	} {
		if got := texts(c.from, c.to); got != c.want {
			t.Errorf("annotations %s..%s = %q, want %q", c.from, c.to, got, c.want)
		}
	}
	if _, err := s.Annotations(ctx, site.ID, "mars", ""); !errors.Is(err, accounts.ErrInvalid) {
		t.Errorf("bad from: %v, want ErrInvalid", err)
	}

	// Moving a one-day note forward moves its end with it.
	from := "2026-03-04"
	up, err := s.UpdateAnnotation(ctx, site.ID, ids[0], "u2", accounts.AnnotationPatch{From: &from})
	if err != nil || up.From != "2026-03-04" || up.To != "2026-03-04" || up.Text != "Newsletter" || up.Author != "u2" {
		t.Fatalf("update = %+v, %v", up, err)
	}
	bad := "2026-03-01"
	if _, err := s.UpdateAnnotation(ctx, site.ID, ids[1], "u2", accounts.AnnotationPatch{To: &bad}); !errors.Is(err, accounts.ErrInvalid) {
		t.Errorf("update to before from: %v, want ErrInvalid", err)
	}
	if _, err := s.UpdateAnnotation(ctx, other.ID, ids[0], "u2", accounts.AnnotationPatch{From: &from}); !errors.Is(err, accounts.ErrNotFound) {
		t.Errorf("update through another site: %v, want ErrNotFound", err)
	}
	if err := s.DeleteAnnotation(ctx, other.ID, ids[0]); !errors.Is(err, accounts.ErrNotFound) {
		t.Errorf("delete through another site: %v, want ErrNotFound", err)
	}
	if err := s.DeleteAnnotation(ctx, site.ID, "nope"); !errors.Is(err, accounts.ErrNotFound) {
		t.Errorf("delete of a malformed id: %v, want ErrNotFound", err)
	}
	if err := s.DeleteAnnotation(ctx, site.ID, ids[1]); err != nil {
		t.Fatal(err)
	}
	if got := texts("", ""); got != "Newsletter" {
		t.Errorf("after delete: %q", got)
	}

	// Sharing with links is off until the owner turns it on.
	if got, err := s.AnnotationsShared(ctx, site.ID); err != nil || got {
		t.Errorf("shared by default = %v, %v, want false", got, err)
	}
	for _, want := range []bool{true, false} {
		if err := s.SetAnnotationsShared(ctx, site.ID, want); err != nil {
			t.Fatal(err)
		}
		if got, err := s.AnnotationsShared(ctx, site.ID); err != nil || got != want {
			t.Errorf("shared = %v, %v, want %v", got, err, want)
		}
	}

	// Deleting the site deletes its notes.
	if err := s.DeleteSite(ctx, site.ID); err != nil {
		t.Fatal(err)
	}
	if got := texts("", ""); got != "" {
		t.Errorf("notes of a deleted site: %q", got)
	}
}

func TestAnnotationsCSV(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"},
		{"+33 6", "'+33 6"},
		{"-5%", "'-5%"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"Lancement", "Lancement"},
		{"a=b", "a=b"},
		{"", ""},
	} {
		if got := sillage.CSVText(c.in); got != c.want {
			t.Errorf("CSVText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	h, lines := accounts.AnnotationsCSV([]accounts.Annotation{{From: "2026-03-02", To: "2026-03-03", Category: "outage", Text: "=1+1"}})
	if strings.Join(h, ",") != "from,to,category,text" || len(lines) != 1 || strings.Join(lines[0], ",") != "2026-03-02,2026-03-03,outage,'=1+1" {
		t.Errorf("AnnotationsCSV = %v %v", h, lines)
	}
}

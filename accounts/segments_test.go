package accounts_test

import (
	"context"
	"errors"
	"testing"

	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/query/stats"
)

// A segment reads back as saved, is seen by whom it should, and goes with
// its site.
func TestSegmentsStore(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	owner, err := s.AddUser(ctx, "owner@librairie.fr", "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.AddUser(ctx, "other@librairie.fr", "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	site, err := s.AddSiteWithOwner(ctx, owner.ID, "librairie.fr", "Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	fs := []stats.Filter{{Op: "contains", Dimension: "event:page", Values: []string{"/livres"}, IgnoreCase: true}}
	personal, err := s.AddSegment(ctx, accounts.Segment{SiteID: site.ID, OwnerID: owner.ID, Name: " Livres ", Filters: fs})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.SegmentFor(ctx, site.ID, personal.ID, owner.ID)
	if err != nil || got.Name != "Livres" || len(got.Filters) != 1 || !got.Filters[0].IgnoreCase || got.Filters[0].Values[0] != "/livres" {
		t.Fatalf("read back %+v, %v", got, err)
	}
	for _, reader := range []string{other.ID, ""} {
		if _, err := s.SegmentFor(ctx, site.ID, personal.ID, reader); !errors.Is(err, accounts.ErrNotFound) {
			t.Errorf("reader %q sees another's personal segment: %v", reader, err)
		}
	}
	if _, err := s.AddSegment(ctx, accounts.Segment{SiteID: site.ID, OwnerID: owner.ID, Name: "x",
		Filters: []stats.Filter{{Op: "is", Dimension: "visit:nope", Values: []string{"x"}}}}); !errors.Is(err, accounts.ErrInvalid) {
		t.Errorf("an unknown dimension saved: %v", err)
	}
	if err := s.DeleteSite(ctx, site.ID); err != nil {
		t.Fatal(err)
	}
	if all, err := s.AllSegments(ctx, site.ID); err != nil || len(all) != 0 {
		t.Errorf("after the site's deletion: %+v, %v", all, err)
	}
}

package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sillage-analytics/sillage/query/api"
)

func TestAnnotationsAPI(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	owner, admin, viewer := w.as(w.owner), w.as(w.admin), w.as(w.viewer)

	var made struct{ ID, From, To, Text, Category string }
	r := admin.do("POST", "/api/sites/a.fr/annotations", map[string]string{"from": "2026-03-02", "text": "<b>Lancement</b>", "category": "release"})
	wantStatus(t, "admin adds", r, 201)
	r.json(t, &made)
	if made.From != "2026-03-02" || made.To != "2026-03-02" || made.Text != "<b>Lancement</b>" || made.Category != "release" {
		t.Fatalf("made %+v", made)
	}
	for _, c := range []struct {
		name string
		body map[string]string
		msg  string
	}{
		{"to before from", map[string]string{"from": "2026-03-05", "to": "2026-03-01", "text": "x"}, "before it starts"},
		{"no text", map[string]string{"from": "2026-03-05"}, "text is required"},
		{"bad date", map[string]string{"from": "05/03/2026", "text": "x"}, "expected a date"},
		{"bad category", map[string]string{"from": "2026-03-05", "text": "x", "category": "fête"}, "category"},
	} {
		r := owner.do("POST", "/api/sites/a.fr/annotations", c.body)
		wantStatus(t, c.name, r, 400)
		if !strings.Contains(r.String(), c.msg) {
			t.Errorf("%s: %s, want it to say %q", c.name, r, c.msg)
		}
	}
	wantStatus(t, "viewer adds", viewer.do("POST", "/api/sites/a.fr/annotations", map[string]string{"from": "2026-03-02", "text": "x"}), 403)
	wantStatus(t, "viewer edits", viewer.do("PATCH", "/api/sites/a.fr/annotations/"+made.ID, map[string]string{"text": "x"}), 403)
	r = owner.do("PATCH", "/api/sites/a.fr/annotations/"+made.ID, map[string]string{"to": "2026-03-04"})
	wantStatus(t, "owner edits", r, 200)
	r.json(t, &made)
	if made.From != "2026-03-02" || made.To != "2026-03-04" || made.Text != "<b>Lancement</b>" {
		t.Fatalf("edited %+v", made)
	}
	wantStatus(t, "edit through another site", w.as(w.outsider).do("PATCH", "/api/sites/b.fr/annotations/"+made.ID, map[string]string{"text": "x"}), 404)

	var list struct {
		Annotations []struct{ ID, Text string }
		Shared      bool `json:"shared_with_links"`
	}
	r = viewer.do("GET", "/api/sites/a.fr/annotations?from=2026-03-03&to=2026-03-03", nil)
	wantStatus(t, "viewer reads", r, 200)
	r.json(t, &list)
	if len(list.Annotations) != 1 || list.Annotations[0].ID != made.ID || list.Shared {
		t.Fatalf("viewer's list %+v", list)
	}
	wantStatus(t, "a bad from", viewer.do("GET", "/api/sites/a.fr/annotations?from=mars", nil), 400)

	// Shared links: refused until the owner shares; only the owner may.
	l, err := w.acc.AddSharedLink(ctx, w.a.ID, "press", "")
	if err != nil {
		t.Fatal(err)
	}
	link := w.client()
	link.header.Set(api.SharedLinkHeader, l.Slug)
	wantStatus(t, "link before sharing", link.do("GET", "/api/sites/a.fr/annotations", nil), 403)
	wantStatus(t, "admin shares", admin.do("PUT", "/api/sites/a.fr/annotations/sharing", map[string]bool{"shared": true}), 403)
	wantStatus(t, "owner shares without a value", owner.do("PUT", "/api/sites/a.fr/annotations/sharing", map[string]string{}), 400)
	wantStatus(t, "owner shares", owner.do("PUT", "/api/sites/a.fr/annotations/sharing", map[string]bool{"shared": true}), 200)
	r = link.do("GET", "/api/sites/a.fr/annotations", nil)
	wantStatus(t, "link after sharing", r, 200)
	r.json(t, &list)
	if len(list.Annotations) != 1 || !list.Shared {
		t.Fatalf("link's list %+v", list)
	}
	wantStatus(t, "link writes", link.do("POST", "/api/sites/a.fr/annotations", map[string]string{"from": "2026-03-02", "text": "x"}), 401)
	wantStatus(t, "owner unshares", owner.do("PUT", "/api/sites/a.fr/annotations/sharing", map[string]bool{"shared": false}), 200)
	wantStatus(t, "link after unsharing", link.do("GET", "/api/sites/a.fr/annotations", nil), 403)

	wantStatus(t, "admin deletes", admin.do("DELETE", "/api/sites/a.fr/annotations/"+made.ID, nil), 204)
	wantStatus(t, "delete again", admin.do("DELETE", "/api/sites/a.fr/annotations/"+made.ID, nil), 404)
}

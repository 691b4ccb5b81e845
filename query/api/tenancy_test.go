package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/storetest"
)

// The account takeover of issue 11: a tenant invites an email that has no
// account yet, and must never learn a way into that account; when another
// tenant later invites the same email, the first one must not see the
// second tenant's site.
func TestInvitationCannotTakeOverAnAccount(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	attacker := w.user("attacker@evil.fr")
	evil, err := w.acc.AddSiteWithOwner(ctx, attacker.ID, "evil.fr", "Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	_ = evil
	mallory := w.as(attacker)

	// The attacker invites the victim's email: the answer carries no password.
	r := mallory.do("POST", "/api/sites/evil.fr/members", map[string]string{"email": "victim@client.fr", "role": "viewer"})
	if r.status >= 300 {
		t.Fatalf("invite: %d %s", r.status, r)
	}
	var invited struct {
		Password string `json:"password"`
		Link     string `json:"link"`
	}
	r.json(t, &invited)
	if invited.Password != "" || strings.Contains(strings.ToLower(r.String()), "password\"") {
		t.Fatalf("the invitation answered with a password: %s", r)
	}
	// Accepting its own link, the attacker creates the account with a
	// password of its choice (there is no email to verify yet) …
	tok := invited.Link[strings.LastIndex(invited.Link, "/")+1:]
	wantStatus(t, "attacker accepts its own link", w.client().do("POST", "/api/invitations/"+tok+"/accept",
		map[string]string{"password": "attacker's choice"}), 201)

	// … and the victim's real tenant invites the same email later.
	r = w.as(w.outsider).do("POST", "/api/sites/b.fr/members", map[string]string{"email": "victim@client.fr", "role": "admin"})
	if r.status >= 300 {
		t.Fatalf("second tenant invites: %d %s", r.status, r)
	}
	if strings.Contains(strings.ToLower(r.String()), "password\"") {
		t.Fatalf("the second invitation answered with a password: %s", r)
	}
	// The existing account is not added silently: logged in as it, the
	// attacker sees nothing of b.fr.
	asVictim := w.client()
	wantStatus(t, "attacker logs in as the victim", asVictim.login("victim@client.fr", "attacker's choice"), 200)
	wantStatus(t, "b.fr stats", asVictim.do("GET", "/stats/b.fr", nil), 404)
	var list struct{ Sites []siteResp }
	asVictim.do("GET", "/api/sites", nil).json(t, &list)
	for _, s := range list.Sites {
		if s.Domain == "b.fr" {
			t.Fatalf("the account joined b.fr without accepting: %+v", list.Sites)
		}
	}
}

// The admin of issue 11 who erased a site's history by shortening its
// retention: shortening is the owner's, with a typed confirmation that
// says how many events it deletes.
func TestShorteningRetentionIsTheOwners(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	today := time.Now().UTC().Truncate(24 * time.Hour)
	var events []sillage.Event
	for _, daysAgo := range []int{0, 5, 40} {
		for _, e := range storetest.Fixture(today.AddDate(0, 0, -daysAgo)) {
			e.SiteID = w.a.ID
			events = append(events, e)
		}
	}
	if err := w.acc.Engine.InsertEvents(ctx, "", events); err != nil {
		t.Fatal(err)
	}
	perDay := len(storetest.Fixture(today))
	admin, owner := w.as(w.admin), w.as(w.owner)

	wantStatus(t, "admin shortens retention", admin.do("PATCH", "/api/sites/a.fr", map[string]any{"retention_days": 1}), 403)
	wantStatus(t, "admin shortens retention, confirmed", admin.do("PATCH", "/api/sites/a.fr", map[string]any{"retention_days": 1, "confirm": "a.fr"}), 403)
	wantStatus(t, "admin changes the time zone", admin.do("PATCH", "/api/sites/a.fr", map[string]any{"timezone": "Europe/Berlin"}), 200)

	// The owner is told what it costs before anything happens.
	r := owner.do("PATCH", "/api/sites/a.fr", map[string]any{"retention_days": 30})
	wantStatus(t, "owner shortens without confirmation", r, 409)
	var ask struct {
		Confirm        string `json:"confirm"`
		EventsToDelete uint64 `json:"events_to_delete"`
	}
	if r.json(t, &ask); ask.Confirm != "a.fr" || ask.EventsToDelete != uint64(perDay) {
		t.Fatalf("confirmation request = %s, want %d events", r, perDay)
	}
	wantStatus(t, "owner confirms with the wrong domain", owner.do("PATCH", "/api/sites/a.fr", map[string]any{"retention_days": 30, "confirm": "b.fr"}), 409)
	var ret uint16
	if err := store.QueryRow(ctx, w.acc.Engine, "SELECT retention_days FROM sites FINAL WHERE id = {id:UInt32}", store.Params{"id": w.a.ID}, &ret); err != nil || ret != 758 { // a new site: 25 months
		t.Fatalf("retention after refusals = %d, %v", ret, err)
	}
	wantStatus(t, "owner confirms", owner.do("PATCH", "/api/sites/a.fr", map[string]any{"retention_days": 30, "confirm": "A.fr"}), 200)

	// Lengthening destroys nothing: an admin may.
	wantStatus(t, "admin lengthens retention", admin.do("PATCH", "/api/sites/a.fr", map[string]any{"retention_days": 60}), 200)
	wantStatus(t, "admin keeps forever", admin.do("PATCH", "/api/sites/a.fr", map[string]any{"retention_days": 0}), 200)
	wantStatus(t, "admin from forever to a limit", admin.do("PATCH", "/api/sites/a.fr", map[string]any{"retention_days": 36500}), 403)
	r = owner.do("PATCH", "/api/sites/a.fr", map[string]any{"retention_days": 36500})
	if r.json(t, &ask); r.status != 409 || ask.EventsToDelete != 0 {
		t.Fatalf("forever to 100 years: %d %s", r.status, r)
	}
	wantStatus(t, "viewer", w.as(w.viewer).do("PATCH", "/api/sites/a.fr", map[string]any{"retention_days": 60}), 403)
	_ = http.StatusOK
}

// The squat of the security review: an admin of one site invites an email
// that has no account, opens the link itself and chooses the password.
// When an operator later adds that email's own site naming it as owner,
// the account must get an invitation, not the site.
func TestOperatorNamingASquattedOwnerOnlyInvites(t *testing.T) {
	w := newWorld(t)
	squatter := w.as(w.admin)
	r := squatter.do("POST", "/api/sites/a.fr/members", map[string]string{"email": "ceo@client.fr", "role": "viewer"})
	wantStatus(t, "squatter invites", r, 201)
	var invited struct{ Link string }
	r.json(t, &invited)
	tok := invited.Link[strings.LastIndex(invited.Link, "/")+1:]
	wantStatus(t, "squatter accepts its own link", w.client().do("POST", "/api/invitations/"+tok+"/accept",
		map[string]string{"password": "squatter's choice"}), 201)

	// The operator (the instance's first account) adds client.fr for its CEO.
	r = w.as(w.owner).do("POST", "/api/sites", map[string]string{"domain": "client.fr", "timezone": "Europe/Paris", "owner": "ceo@client.fr"})
	wantStatus(t, "operator adds client.fr", r, 201)
	var created struct {
		Domain     string
		Invitation *struct{ Email, Role string }
		Link       string
	}
	if r.json(t, &created); created.Invitation == nil || created.Invitation.Email != "ceo@client.fr" ||
		created.Invitation.Role != "owner" || !strings.HasPrefix(created.Link, w.srv.URL+"/invite/") {
		t.Fatalf("the owner of an existing account was not invited: %s", r)
	}
	asCEO := w.client()
	wantStatus(t, "squatter logs in as the CEO", asCEO.login("ceo@client.fr", "squatter's choice"), 200)
	wantStatus(t, "client.fr stats before accepting", asCEO.do("GET", "/stats/client.fr", nil), 404)
	var list struct{ Sites []siteResp }
	asCEO.do("GET", "/api/sites", nil).json(t, &list)
	for _, s := range list.Sites {
		if s.Domain == "client.fr" {
			t.Fatalf("the account owns client.fr without the link: %+v", list.Sites)
		}
	}
	// The link, handed to the real person, is what grants the site.
	tok = created.Link[strings.LastIndex(created.Link, "/")+1:]
	wantStatus(t, "accept the owner invitation", asCEO.do("POST", "/api/invitations/"+tok+"/accept", map[string]string{}), 200)
	wantStatus(t, "client.fr stats after accepting", asCEO.do("GET", "/stats/client.fr", nil), 200)
}

// An inviter must not learn which emails have an account on the instance:
// neither the invitation's answer nor the list of pending invitations
// tells it. Only the link's holder learns it, to log in or to choose a
// password.
func TestInviterDoesNotLearnWhoHasAnAccount(t *testing.T) {
	w := newWorld(t)
	admin := w.as(w.admin)
	var links []string
	for _, email := range []string{"owner@b.fr", "nobody@b.fr"} { // an account, and none
		r := admin.do("POST", "/api/sites/a.fr/members", map[string]string{"email": email, "role": "viewer"})
		wantStatus(t, "invite "+email, r, 201)
		if strings.Contains(r.String(), "has_account") {
			t.Fatalf("the invitation's answer tells whether %s has an account: %s", email, r)
		}
		var m struct{ Link string }
		r.json(t, &m)
		links = append(links, m.Link[strings.LastIndex(m.Link, "/")+1:])
	}
	r := admin.do("GET", "/api/sites/a.fr/invitations", nil)
	wantStatus(t, "list invitations", r, 200)
	if strings.Contains(r.String(), "has_account") {
		t.Fatalf("the list of invitations tells who has an account: %s", r)
	}
	for i, want := range []bool{true, false} {
		r := w.client().do("GET", "/api/invitations/"+links[i], nil)
		wantStatus(t, "the link's page", r, 200)
		var inv struct {
			HasAccount *bool `json:"has_account"`
		}
		if r.json(t, &inv); inv.HasAccount == nil || *inv.HasAccount != want {
			t.Fatalf("the link's holder must learn has_account=%v: %s", want, r)
		}
	}
}

// An admin cannot cancel an owner's pending owner invitation by inviting
// the same email again with a lower role (a new invitation replaces the
// pending one); the owner can.
func TestAdminCannotReplaceAnOwnerInvitation(t *testing.T) {
	w := newWorld(t)
	owner, admin := w.as(w.owner), w.as(w.admin)
	r := owner.do("POST", "/api/sites/a.fr/members", map[string]string{"email": "partner@c.fr", "role": "owner"})
	wantStatus(t, "owner invites an owner", r, 201)
	var m struct{ Link string }
	r.json(t, &m)
	tok := m.Link[strings.LastIndex(m.Link, "/")+1:]
	wantStatus(t, "admin re-invites as viewer", admin.do("POST", "/api/sites/a.fr/members",
		map[string]string{"email": "Partner@C.fr", "role": "viewer"}), 403)
	r = w.client().do("GET", "/api/invitations/"+tok, nil)
	wantStatus(t, "the owner invitation still works", r, 200)
	var inv struct{ Role string }
	if r.json(t, &inv); inv.Role != "owner" {
		t.Fatalf("invitation now %s", r)
	}
	// Other emails are still the admin's to invite, and the owner may
	// replace its own invitation.
	wantStatus(t, "admin invites another email", admin.do("POST", "/api/sites/a.fr/members",
		map[string]string{"email": "other@c.fr", "role": "viewer"}), 201)
	wantStatus(t, "owner replaces the owner invitation", owner.do("POST", "/api/sites/a.fr/members",
		map[string]string{"email": "partner@c.fr", "role": "admin"}), 201)
	wantStatus(t, "the replaced link", w.client().do("GET", "/api/invitations/"+tok, nil), 404)
}

package main

import (
	"context"
	"errors"
	"testing"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/internal/admin"
	"github.com/sillage-analytics/sillage/store/storetest"
)

// The squat of the security review, from the command line: an admin of
// one site invites an email that has no account yet and accepts the link
// itself. An operator who later names that email as owner of its real
// site, or gives it a role there, must hand out an invitation link, not
// the site.
func TestOpsInviteAnAccountMadeByAnInvitation(t *testing.T) {
	ctx := context.Background()
	o := newOps(storetest.Migrated(t), "")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	ops, err := o.Service.AddUser(ctx, "ops@example.fr", "le mot de passe ops")
	must(err)
	a, err := o.AddSite(ctx, "a.fr", "Europe/Paris", "ops@example.fr")
	must(err)
	_, tok, err := o.CreateInvitation(ctx, a.ID, "ceo@client.fr", sillage.RoleViewer, ops.ID)
	must(err)
	ceo, _, err := o.AcceptInvitationNewAccount(ctx, tok, "the squatter's choice")
	must(err)
	// A command line account, for contrast: it is added directly.
	_, err = o.Service.AddUser(ctx, "claire@client.fr", "le mot de passe de claire")
	must(err)

	noRole := func(what string, siteID uint32) {
		t.Helper()
		if role, err := o.RoleOf(ctx, ceo.ID, siteID); !errors.Is(err, accounts.ErrNotFound) {
			t.Fatalf("%s: the account made by an invitation got %q on the site (%v)", what, role, err)
		}
	}
	site, err := o.AddSite(ctx, "client.fr", "Europe/Paris", "ceo@client.fr")
	must(err)
	noRole("site add --owner", site.ID)
	if site.Invited == nil || site.Invited.Email != "ceo@client.fr" || site.Invited.Role != sillage.RoleOwner || site.Invited.Token == "" {
		t.Fatalf("site add --owner: want an owner invitation, got %+v", site)
	}
	// The printed link works, for the account it names.
	inv, err := o.AcceptInvitation(ctx, site.Invited.Token, ceo.ID)
	must(err)
	if inv.Role != sillage.RoleOwner {
		t.Fatalf("accepted %+v", inv)
	}

	other, err := o.Service.AddSite(ctx, "client2.fr", "Europe/Paris")
	must(err)
	res, err := o.AddUser(ctx, admin.UserChange{Email: "ceo@client.fr", Site: "client2.fr", Role: sillage.RoleOwner})
	must(err)
	noRole("user add --site --role owner", other.ID)
	if res.Invited == nil || res.Invited.Role != sillage.RoleOwner || res.Invited.Token == "" || res.Role != "" {
		t.Fatalf("user add: want an owner invitation, got %+v", res)
	}
	// A member already: a role change stays direct.
	res, err = o.AddUser(ctx, admin.UserChange{Email: "ceo@client.fr", Site: "a.fr", Role: sillage.RoleAdmin})
	must(err)
	if res.Invited != nil || res.Role != sillage.RoleAdmin {
		t.Fatalf("role change of a member: %+v", res)
	}
	// Accounts made from the command line are added directly.
	res, err = o.AddUser(ctx, admin.UserChange{Email: "claire@client.fr", Site: "client2.fr", Role: sillage.RoleOwner})
	must(err)
	if res.Invited != nil || res.Role != sillage.RoleOwner {
		t.Fatalf("user add of a command line account: %+v", res)
	}
	third, err := o.AddSite(ctx, "client3.fr", "Europe/Paris", "claire@client.fr")
	must(err)
	if third.Invited != nil {
		t.Fatalf("site add --owner of a command line account: %+v", third)
	}
	claire, err := o.UserByEmail(ctx, "claire@client.fr")
	must(err)
	if role, err := o.RoleOf(ctx, claire.ID, third.ID); err != nil || role != sillage.RoleOwner {
		t.Fatalf("claire on client3.fr: %q %v", role, err)
	}
}

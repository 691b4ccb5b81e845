package accounts_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/storetest"
)

func TestOperators(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	first, second := mustUser(t, s, "first@example.fr"), mustUser(t, s, "second@example.fr")
	for _, tt := range []struct {
		u    sillage.User
		want bool
	}{{first, true}, {second, false}} {
		if got, err := s.IsOperator(ctx, tt.u.ID); err != nil || got != tt.want {
			t.Fatalf("IsOperator(%s) = %v, %v; want %v", tt.u.Email, got, err, tt.want)
		}
	}
	if got, err := s.IsOperator(ctx, "not a uuid"); err != nil || got {
		t.Fatalf("IsOperator(garbage) = %v, %v", got, err)
	}
	if err := s.SetOperator(ctx, first.ID, false); !errors.Is(err, accounts.ErrLastOperator) {
		t.Fatalf("removing the last operator: %v", err)
	}
	if err := s.SetOperator(ctx, second.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetOperator(ctx, first.ID, false); err != nil {
		t.Fatal(err)
	}
	ops, err := s.Operators(ctx)
	if err != nil || len(ops) != 1 || ops[0] != second.ID {
		t.Fatalf("operators = %v, %v", ops, err)
	}
	if err := s.SetOperator(ctx, "00000000-0000-0000-0000-000000000001", true); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("operator of no account: %v", err)
	}

	// Adding sites: operators only, until the instance allows everyone.
	for _, tt := range []struct {
		allow bool
		u     sillage.User
		want  bool
	}{{false, second, true}, {false, first, false}, {true, first, true}, {false, first, false}} {
		if err := s.SetInstance(ctx, accounts.InstanceSettings{MembersAddSites: tt.allow}); err != nil {
			t.Fatal(err)
		}
		if got, err := s.CanAddSites(ctx, tt.u.ID); err != nil || got != tt.want {
			t.Fatalf("CanAddSites(%s) with members_add_sites=%v = %v, %v", tt.u.Email, tt.allow, got, err)
		}
	}
}

func TestInstanceSettingsDefaultOff(t *testing.T) {
	s, _ := newService(t)
	inst, err := s.Instance(context.Background())
	if err != nil || inst.MembersAddSites {
		t.Fatalf("fresh instance = %+v, %v; want members_add_sites off", inst, err)
	}
}

func TestInvitations(t *testing.T) {
	ctx := context.Background()
	s, c := newService(t)
	owner, existing, stranger := mustUser(t, s, "owner@a.fr"), mustUser(t, s, "existing@b.fr"), mustUser(t, s, "stranger@c.fr")
	site, err := s.AddSiteWithOwner(ctx, owner.ID, "a.fr", "Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}

	// A new email: the invitee chooses the password.
	inv, tok, err := s.CreateInvitation(ctx, site.ID, "New@A.fr", sillage.RoleAdmin, owner.ID)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Email != "new@a.fr" || inv.HasAccount || inv.Domain != "a.fr" || len(tok) != 43 ||
		!inv.ExpiresAt.Equal(c.Now().Add(accounts.InvitationLifetime)) {
		t.Fatalf("invitation %+v, token %q", inv, tok)
	}
	// Only the hash is stored.
	var n uint64
	if err := store.QueryRow(ctx, s.Engine, "SELECT count() FROM account_tokens WHERE position(token_hash, {t:String}) > 0 OR token_hash = {t:String}",
		store.Params{"t": tok}, &n); err != nil || n != 0 {
		t.Fatalf("the token is stored in clear: %d %v", n, err)
	}
	if _, err := s.UserByEmail(ctx, "new@a.fr"); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("an invitation made an account: %v", err)
	}
	if _, _, err := s.AcceptInvitationNewAccount(ctx, tok, "short"); !errors.Is(err, accounts.ErrInvalid) {
		t.Fatalf("a short password: %v", err)
	}
	u, got, err := s.AcceptInvitationNewAccount(ctx, tok, "the invitee's own password")
	if err != nil || got.Role != sillage.RoleAdmin || u.Email != "new@a.fr" {
		t.Fatalf("accept as a new account: %+v %+v %v", u, got, err)
	}
	if role, err := s.RoleOf(ctx, u.ID, site.ID); err != nil || role != sillage.RoleAdmin {
		t.Fatalf("role = %q, %v", role, err)
	}
	if _, err := s.Authenticate(ctx, "new@a.fr", "the invitee's own password"); err != nil {
		t.Fatal(err)
	}
	// Single use.
	if _, _, err := s.AcceptInvitationNewAccount(ctx, tok, "another password here"); !errors.Is(err, accounts.ErrBadToken) {
		t.Fatalf("second use: %v", err)
	}
	if _, err := s.InvitationByToken(ctx, tok); !errors.Is(err, accounts.ErrBadToken) {
		t.Fatalf("used token still reads: %v", err)
	}

	// An existing account: asked, never added silently; only that account accepts.
	inv, tok, err = s.CreateInvitation(ctx, site.ID, "existing@b.fr", sillage.RoleViewer, owner.ID)
	if err != nil || !inv.HasAccount {
		t.Fatalf("invite an existing account: %+v %v", inv, err)
	}
	if _, err := s.RoleOf(ctx, existing.ID, site.ID); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("the invitation added the account silently: %v", err)
	}
	if _, _, err := s.AcceptInvitationNewAccount(ctx, tok, "taking it over"); !errors.Is(err, accounts.ErrExists) {
		t.Fatalf("new-account acceptance of an existing email: %v", err)
	}
	if _, err := s.AcceptInvitation(ctx, tok, stranger.ID); !errors.Is(err, accounts.ErrWrongAccount) {
		t.Fatalf("another account accepts: %v", err)
	}
	if err := s.DeclineInvitation(ctx, tok, stranger.ID); !errors.Is(err, accounts.ErrWrongAccount) {
		t.Fatalf("another account declines: %v", err)
	}
	if _, err := s.AcceptInvitation(ctx, tok, existing.ID); err != nil {
		t.Fatal(err)
	}
	if role, err := s.RoleOf(ctx, existing.ID, site.ID); err != nil || role != sillage.RoleViewer {
		t.Fatalf("role = %q, %v", role, err)
	}
	if _, err := s.AcceptInvitation(ctx, tok, existing.ID); !errors.Is(err, accounts.ErrBadToken) {
		t.Fatalf("second acceptance: %v", err)
	}
	if _, _, err := s.CreateInvitation(ctx, site.ID, "existing@b.fr", sillage.RoleAdmin, owner.ID); !errors.Is(err, accounts.ErrExists) {
		t.Fatalf("inviting a member: %v", err)
	}

	// Declined, revoked, replaced and expired links stop working.
	_, declined, _ := s.CreateInvitation(ctx, site.ID, "stranger@c.fr", sillage.RoleViewer, owner.ID)
	if err := s.DeclineInvitation(ctx, declined, stranger.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcceptInvitation(ctx, declined, stranger.ID); !errors.Is(err, accounts.ErrBadToken) {
		t.Fatalf("accept after decline: %v", err)
	}
	first, replaced, _ := s.CreateInvitation(ctx, site.ID, "later@d.fr", sillage.RoleViewer, owner.ID)
	second, current, _ := s.CreateInvitation(ctx, site.ID, "later@d.fr", sillage.RoleAdmin, owner.ID)
	c.Advance(time.Millisecond) // listed oldest first: no tie on created_at
	if _, err := s.InvitationByToken(ctx, replaced); !errors.Is(err, accounts.ErrBadToken) {
		t.Fatalf("replaced link: %v", err)
	}
	if err := s.RevokeInvitation(ctx, site.ID, first.ID); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("revoke a replaced invitation: %v", err)
	}
	_, revoked, _ := s.CreateInvitation(ctx, site.ID, "revoked@d.fr", sillage.RoleViewer, owner.ID)
	list, err := s.Invitations(ctx, site.ID)
	if err != nil || len(list) != 2 || list[0].ID != second.ID || list[0].Role != sillage.RoleAdmin || list[1].Email != "revoked@d.fr" {
		t.Fatalf("pending = %+v, %v", list, err)
	}
	if err := s.RevokeInvitation(ctx, 12345, list[1].ID); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("revoke through another site: %v", err)
	}
	if err := s.RevokeInvitation(ctx, site.ID, list[1].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.InvitationByToken(ctx, revoked); !errors.Is(err, accounts.ErrBadToken) {
		t.Fatalf("revoked link: %v", err)
	}
	c.Advance(accounts.InvitationLifetime - time.Second)
	if _, err := s.InvitationByToken(ctx, current); err != nil {
		t.Fatalf("a second before expiry: %v", err)
	}
	c.Advance(time.Second)
	if _, _, err := s.AcceptInvitationNewAccount(ctx, current, "too late for this"); !errors.Is(err, accounts.ErrBadToken) {
		t.Fatalf("expired link: %v", err)
	}
	if list, err := s.Invitations(ctx, site.ID); err != nil || len(list) != 0 {
		t.Fatalf("pending after expiry = %+v, %v", list, err)
	}
}

// Many acceptances of one link at once: exactly one succeeds.
func TestInvitationSingleUseUnderRace(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	owner := mustUser(t, s, "owner@a.fr")
	site, err := s.AddSiteWithOwner(ctx, owner.ID, "a.fr", "Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	_, tok, err := s.CreateInvitation(ctx, site.ID, "new@a.fr", sillage.RoleViewer, owner.ID)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range 4 {
		wg.Go(func() {
			if _, _, err := s.AcceptInvitationNewAccount(ctx, tok, "racing password"); err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			} else if !errors.Is(err, accounts.ErrBadToken) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ok != 1 {
		t.Fatalf("%d acceptances succeeded, want 1", ok)
	}
}

func TestPasswordReset(t *testing.T) {
	ctx := context.Background()
	s, c := newService(t)
	u := mustUser(t, s, "claire@example.fr")
	session, _, err := s.CreateSession(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	old, _, err := s.CreatePasswordReset(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	tok, expires, err := s.CreatePasswordReset(ctx, u.ID)
	if err != nil || !expires.Equal(c.Now().Add(accounts.ResetLifetime)) {
		t.Fatalf("reset: %v, expires %v", err, expires)
	}
	if _, _, err := s.PasswordResetByToken(ctx, old); !errors.Is(err, accounts.ErrBadToken) {
		t.Fatalf("an earlier link still works: %v", err)
	}
	if got, _, err := s.PasswordResetByToken(ctx, tok); err != nil || got.ID != u.ID {
		t.Fatalf("check link: %+v %v", got, err)
	}
	if _, err := s.ResetPassword(ctx, tok, "tiny"); !errors.Is(err, accounts.ErrInvalid) {
		t.Fatalf("short password: %v", err)
	}
	if _, err := s.ResetPassword(ctx, tok, "a brand new password"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, "claire@example.fr", "a brand new password"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserBySession(ctx, session); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("the session outlived the reset: %v", err)
	}
	if _, err := s.ResetPassword(ctx, tok, "yet another password"); !errors.Is(err, accounts.ErrBadToken) {
		t.Fatalf("second use: %v", err)
	}
	late, _, err := s.CreatePasswordReset(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	c.Advance(accounts.ResetLifetime)
	if _, err := s.ResetPassword(ctx, late, "after the deadline"); !errors.Is(err, accounts.ErrBadToken) {
		t.Fatalf("expired link: %v", err)
	}
	if _, _, err := s.CreatePasswordReset(ctx, "00000000-0000-0000-0000-000000000001"); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("reset of no account: %v", err)
	}
}

// A site whose owner is invited is not adopted by the first account.
func TestAdoptionSkipsSitesAwaitingTheirOwner(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	op := mustUser(t, s, "op@example.fr")
	waiting, err := s.AddOwnerlessSite(ctx, "waiting.fr", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddOwnerlessSite(ctx, "orphan.fr", ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateInvitation(ctx, waiting.ID, "client@waiting.fr", sillage.RoleOwner, op.ID); err != nil {
		t.Fatal(err)
	}
	adopted, err := s.AdoptOrphanSites(ctx, op.ID)
	if err != nil || len(adopted) != 1 || adopted[0].Domain != "orphan.fr" {
		t.Fatalf("adopted %+v, %v", adopted, err)
	}
}

// The first account adopts only the sites the command line added without
// owner and whose owner was never invited: a site whose owner invitation
// lapsed or was declined, or that an operator added for an owner through
// the API, waits for a new invitation. And the first account is the one
// setup made, not whichever sorts first among accounts made at the same
// instant.
func TestAdoptionOnlyOfCommandLineSitesNeverOffered(t *testing.T) {
	ctx := context.Background()
	s, c := newService(t)
	// Accounts made at one instant: created_at ties.
	first := mustUser(t, s, "first@example.fr")
	var later []sillage.User
	for i := range 6 {
		later = append(later, mustUser(t, s, fmt.Sprintf("later%d@example.fr", i)))
	}
	orphan, err := s.AddOwnerlessSite(ctx, "orphan.fr", "")
	if err != nil {
		t.Fatal(err)
	}
	lapsed, err := s.AddOwnerlessSite(ctx, "lapsed.fr", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateInvitation(ctx, lapsed.ID, "client@lapsed.fr", sillage.RoleOwner, first.ID); err != nil {
		t.Fatal(err)
	}
	declined, err := s.AddSite(ctx, "declined.fr", "") // an operator's, through the API
	if err != nil {
		t.Fatal(err)
	}
	_, tok, err := s.CreateInvitation(ctx, declined.ID, later[0].Email, sillage.RoleOwner, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeclineInvitation(ctx, tok, later[0].ID); err != nil {
		t.Fatal(err)
	}
	c.Advance(accounts.InvitationLifetime + time.Hour)

	for _, u := range later {
		if got, err := s.AdoptOrphanSites(ctx, u.ID); err != nil || len(got) != 0 {
			t.Fatalf("%s, made at the same instant as the first account, adopted %+v (%v)", u.Email, got, err)
		}
	}
	got, err := s.AdoptOrphanSites(ctx, first.ID)
	if err != nil || len(got) != 1 || got[0].ID != orphan.ID {
		t.Fatalf("the first account adopted %+v (%v), want only %s", got, err, orphan.Domain)
	}
	for _, site := range []sillage.Site{lapsed, declined} {
		if n, err := s.Members(ctx, site.ID); err != nil || len(n) != 0 {
			t.Fatalf("%s has members %+v (%v), want none until an operator invites again", site.Domain, n, err)
		}
	}
}

func TestEventsBeyondRetention(t *testing.T) {
	ctx := context.Background()
	s, c := newService(t)
	site, err := s.AddSite(ctx, "a.fr", "")
	if err != nil {
		t.Fatal(err)
	}
	today := c.Now().UTC().Truncate(24 * time.Hour)
	var events []sillage.Event
	for _, daysAgo := range []int{0, 1, 9, 10, 11, 400} {
		for _, e := range storetest.Fixture(today.AddDate(0, 0, -daysAgo)) {
			e.SiteID = site.ID
			events = append(events, e)
		}
	}
	if err := s.Engine.InsertEvents(ctx, "", events); err != nil {
		t.Fatal(err)
	}
	perDay := uint64(len(storetest.Fixture(today)))
	for _, tt := range []struct {
		days uint16
		want uint64
	}{{0, 0}, {1, 5}, {10, 3}, {11, 2}, {365, 1}, {401, 0}} {
		got, err := s.EventsBeyondRetention(ctx, site.ID, tt.days)
		if err != nil || got != tt.want*perDay {
			t.Fatalf("retention %d: %d events (%v), want %d", tt.days, got, err, tt.want*perDay)
		}
	}
	if got, err := s.EventsBeyondRetention(ctx, site.ID+1, 1); err != nil || got != 0 {
		t.Fatalf("another site: %d %v", got, err)
	}
}

// --bootstrap-user makes its account owner of --bootstrap-site when the
// site has none, as the command line does: only for an account the
// command line or setup made, not one made by accepting an invitation
// link, which may be held by whoever had the link.
func TestEnsureOwnerOnlyOfAccountsMadeDirectly(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	first := mustUser(t, s, "first@example.fr")
	a, err := s.AddSiteWithOwner(ctx, first.ID, "a.fr", "")
	if err != nil {
		t.Fatal(err)
	}
	_, tok, err := s.CreateInvitation(ctx, a.ID, "ceo@client.fr", sillage.RoleViewer, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	ceo, _, err := s.AcceptInvitationNewAccount(ctx, tok, "the squatter's choice")
	if err != nil {
		t.Fatal(err)
	}
	site, err := s.AddOwnerlessSite(ctx, "client.fr", "")
	if err != nil {
		t.Fatal(err)
	}
	if made, err := s.EnsureOwner(ctx, site.ID, ceo.ID); made || !errors.Is(err, accounts.ErrInviteFirst) {
		t.Fatalf("EnsureOwner of an account made by a link = %v, %v; want ErrInviteFirst", made, err)
	}
	if _, err := s.RoleOf(ctx, ceo.ID, site.ID); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("the account made by a link got the site: %v", err)
	}
	if made, err := s.EnsureOwner(ctx, site.ID, first.ID); !made || err != nil {
		t.Fatalf("EnsureOwner of the first account = %v, %v", made, err)
	}
}

package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/store"
)

type siteJSON struct {
	ID            uint32       `json:"id"`
	Domain        string       `json:"domain"`
	Timezone      string       `json:"timezone"`
	RetentionDays uint16       `json:"retention_days"`
	CreatedAt     time.Time    `json:"created_at"`
	Role          sillage.Role `json:"role,omitempty"`
}

func toSiteJSON(s sillage.Site, role sillage.Role) siteJSON {
	return siteJSON{ID: s.ID, Domain: s.Domain, Timezone: s.Timezone, RetentionDays: s.RetentionDays,
		CreatedAt: s.CreatedAt, Role: role}
}

func (a *API) listSites(w http.ResponseWriter, r *http.Request) error {
	s, err := a.requireSession(r)
	if err != nil {
		return err
	}
	sites, err := a.acc.SitesForUser(r.Context(), s.user.ID)
	if err != nil {
		return err
	}
	out := make([]siteJSON, 0, len(sites))
	for _, st := range sites {
		out = append(out, toSiteJSON(st.Site, st.Role))
	}
	op, err := a.acc.IsOperator(r.Context(), s.user.ID)
	if err != nil {
		return err
	}
	can, err := a.acc.CanAddSites(r.Context(), s.user.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"sites": out, "operator": op, "can_add_sites": can})
	return nil
}

type newSite struct {
	Domain   string `json:"domain"`
	Timezone string `json:"timezone"`
	// Owner, for operators only: the email that will own the site. It
	// gets an owner invitation, whether it has an account or not; the
	// site has no owner until the link is accepted. Without it, whoever
	// adds the site owns it.
	Owner string `json:"owner"`
}

type createdSite struct {
	siteJSON
	Invitation *invitationJSON `json:"invitation,omitempty"`
	Link       string          `json:"link,omitempty"`
	// EmailStatus tells whether the link was mailed: sent, queued (to
	// retry), failed, or empty when no SMTP server is configured.
	EmailStatus string `json:"email_status,omitempty"`
}

// createSite adds a site: operators always, other accounts when the
// instance allows it (off by default: on a shared instance, anyone could
// otherwise claim a client's domain before the client does).
func (a *API) createSite(w http.ResponseWriter, r *http.Request) error {
	s := granted(r).sess
	var req newSite
	if err := decode(w, r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	op, err := a.acc.IsOperator(ctx, s.user.ID)
	if err != nil {
		return err
	}
	if !op {
		can, err := a.acc.CanAddSites(ctx, s.user.ID)
		if err != nil {
			return err
		}
		if !can {
			return forbidden("only an operator of this instance can add sites")
		}
		if req.Owner != "" {
			return forbidden("only an operator can name another owner")
		}
	}
	if req.Owner == "" {
		site, err := a.acc.AddSiteWithOwner(ctx, s.user.ID, req.Domain, req.Timezone)
		if err != nil {
			return err
		}
		a.log.Info("site added", "domain", site.Domain, "id", site.ID, "user", s.user.ID)
		writeJSON(w, http.StatusCreated, createdSite{siteJSON: toSiteJSON(site, sillage.RoleOwner)})
		return nil
	}
	// An operator adds a site for someone else and stays out of it. The
	// owner is always invited, even an existing account: an account made
	// by accepting some other site's invitation may belong to whoever held
	// that link, not to the person the operator means, and only the link
	// handed to that person grants the site.
	if _, err := accounts.NormalizeEmail(req.Owner); err != nil {
		return err // before the site: a typo adds nothing
	}
	site, err := a.acc.AddSite(ctx, req.Domain, req.Timezone)
	if err != nil {
		return err
	}
	inv, tok, err := a.acc.CreateInvitation(ctx, site.ID, req.Owner, sillage.RoleOwner, s.user.ID)
	if err != nil {
		// The site stays, without owner: an operator can invite again.
		return err
	}
	a.log.Info("site added; its owner is invited", "domain", site.Domain, "id", site.ID, "invitation", inv.ID, "by", s.user.ID)
	j := toInvitationJSON(inv)
	writeJSON(w, http.StatusCreated, createdSite{siteJSON: toSiteJSON(site, ""), Invitation: &j, Link: a.link(r, "/invite/"+tok),
		EmailStatus: a.mailInvitation(r, inv, tok, s.user.ID)})
	return nil
}

func (a *API) getSite(w http.ResponseWriter, r *http.Request) error {
	g := granted(r)
	site, acc := g.site, g.acc
	role := acc.Role
	if acc.Via == ViaSharedLink {
		role = "" // a shared dashboard is nobody's membership
	}
	writeJSON(w, http.StatusOK, toSiteJSON(site, role))
	return nil
}

type siteChange struct {
	Timezone      *string `json:"timezone"`
	RetentionDays *int    `json:"retention_days"`
	// Confirm is the site's domain, typed again to shorten the retention.
	Confirm string `json:"confirm"`
}

// retentionConfirmation is the 409 that asks for the typed confirmation.
type retentionConfirmation struct {
	Error          string `json:"error"`
	Confirm        string `json:"confirm"`
	EventsToDelete uint64 `json:"events_to_delete"`
}

// shortens reports whether a new retention deletes events the current one
// keeps: any limit after "forever" (0), or a smaller one.
func shortens(current, next uint16) bool {
	return next != 0 && (current == 0 || next < current)
}

// updateSite changes a site's settings. Admins change the time zone and
// lengthen the retention; shortening it deletes history, so it takes an
// owner and the domain typed again, and the answer that asks for it says
// how many stored events the new limit deletes.
func (a *API) updateSite(w http.ResponseWriter, r *http.Request) error {
	g := granted(r)
	site, acc := g.site, g.acc
	var req siteChange
	if err := decode(w, r, &req); err != nil {
		return err
	}
	u := accounts.SiteUpdate{Timezone: req.Timezone}
	if req.RetentionDays != nil {
		if *req.RetentionDays < 0 || *req.RetentionDays > accounts.MaxRetentionDays {
			return badRequest("retention_days must be 0 (keep forever) to %d", accounts.MaxRetentionDays)
		}
		d := uint16(*req.RetentionDays)
		u.RetentionDays = &d
		if shortens(site.RetentionDays, d) {
			if acc.Role != sillage.RoleOwner {
				return forbidden("shortening the retention deletes events: only an owner can")
			}
			if sillage.NormalizeDomain(req.Confirm) != site.Domain {
				n, err := a.acc.EventsBeyondRetention(r.Context(), site.ID, d)
				if err != nil {
					return err
				}
				writeJSON(w, http.StatusConflict, retentionConfirmation{
					Error: fmt.Sprintf("a retention of %d days deletes %d stored events of %s for good: send {\"confirm\": %q} to go ahead",
						d, n, site.Domain, site.Domain),
					Confirm: site.Domain, EventsToDelete: n})
				return nil
			}
		}
	}
	updated, err := a.acc.UpdateSite(r.Context(), site.ID, u)
	if err != nil {
		return err
	}
	a.log.Info("site settings changed", "domain", site.Domain, "timezone", updated.Timezone,
		"retention_days", updated.RetentionDays, "previous_retention_days", site.RetentionDays, "user", acc.UserID)
	writeJSON(w, http.StatusOK, toSiteJSON(updated, acc.Role))
	return nil
}

// deleteSiteRequest is the body of DELETE /api/sites/{domain}.
type deleteSiteRequest struct {
	// Confirm is the site's domain, typed again.
	Confirm string `json:"confirm"`
}

func (a *API) deleteSite(w http.ResponseWriter, r *http.Request) error {
	g := granted(r)
	site, acc := g.site, g.acc
	var req deleteSiteRequest
	// A request without a body is an unconfirmed one: it gets the
	// instruction below rather than a complaint about its content type.
	if r.ContentLength != 0 {
		if err := decode(w, r, &req); err != nil {
			return err
		}
	}
	if sillage.NormalizeDomain(req.Confirm) != site.Domain {
		return badRequest("to delete %s, its members, goals, links and every event, send {\"confirm\": %q}", site.Domain, site.Domain)
	}
	if err := a.acc.DeleteSite(r.Context(), site.ID); err != nil {
		return err
	}
	if err := a.deleteImports(r.Context(), site.ID); err != nil {
		return err
	}
	a.log.Info("site deleted", "domain", site.Domain, "id", site.ID, "user", acc.UserID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type deleteDataRequest struct {
	Confirm string `json:"confirm"`
}

func (a *API) deleteSiteData(w http.ResponseWriter, r *http.Request) error {
	g := granted(r)
	site, acc := g.site, g.acc
	var req deleteDataRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	// Typing the domain again is the confirmation the dashboard asks for.
	if sillage.NormalizeDomain(req.Confirm) != site.Domain {
		return badRequest("to delete every event of %s, send {\"confirm\": %q}", site.Domain, site.Domain)
	}
	if err := a.acc.DeleteSiteData(r.Context(), site.ID); err != nil {
		return err
	}
	if err := a.deleteImports(r.Context(), site.ID); err != nil {
		return err
	}
	a.log.Info("site data deleted", "domain", site.Domain, "id", site.ID, "user", acc.UserID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type siteStatus struct {
	HasEvents bool       `json:"has_events"`
	LastEvent *time.Time `json:"last_event"`
}

// siteStatus tells the "waiting for the first event" screen whether the
// tracker works.
func (a *API) siteStatus(w http.ResponseWriter, r *http.Request) error {
	site := granted(r).site
	// The newest day first, in primary key order: the engine reads the
	// site's last day only, however much history there is.
	var last time.Time
	err := store.QueryRow(r.Context(), a.engine, `SELECT ts FROM events WHERE site_id = {site:UInt32}
		ORDER BY toDate(ts) DESC, ts DESC LIMIT 1`, store.Params{"site": site.ID}, &last)
	var out siteStatus
	switch {
	case errors.Is(err, store.ErrNoRows):
	case err != nil:
		return err
	default:
		last = last.UTC()
		out = siteStatus{HasEvents: true, LastEvent: &last}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type memberJSON struct {
	UserID string       `json:"user_id"`
	Email  string       `json:"email"`
	Role   sillage.Role `json:"role"`
}

func (a *API) listMembers(w http.ResponseWriter, r *http.Request) error {
	site := granted(r).site
	members, err := a.acc.Members(r.Context(), site.ID)
	if err != nil {
		return err
	}
	out := make([]memberJSON, 0, len(members))
	for _, m := range members {
		out = append(out, memberJSON(m))
	}
	writeJSON(w, http.StatusOK, map[string]any{"members": out})
	return nil
}

type newMember struct {
	Email string       `json:"email"`
	Role  sillage.Role `json:"role"`
}

// memberAnswer is either a member whose role changed, or an invitation
// with its link. It never holds a password: the invitee chooses theirs.
type memberAnswer struct {
	Member     *memberJSON     `json:"member,omitempty"`
	Invitation *invitationJSON `json:"invitation,omitempty"`
	// Link is the invitation's single-use link, shown to the inviter once
	// (to pass on when no email was sent); a new invitation of the
	// same email replaces it.
	Link string `json:"link,omitempty"`
	// EmailStatus tells whether the link was mailed, as for a new site.
	EmailStatus string `json:"email_status,omitempty"`
}

// addMember changes a member's role (200), or invites an email that is
// not a member (201): the invitee accepts through the link, with a new
// account or logged in as the invited one; nobody is added silently.
// Admins manage viewers and admins; owners are made, unmade and invited by
// owners only.
func (a *API) addMember(w http.ResponseWriter, r *http.Request) error {
	g := granted(r)
	site, acc := g.site, g.acc
	var req newMember
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if !accounts.ValidRole(req.Role) {
		return badRequest("role must be owner, admin or viewer")
	}
	if req.Role == sillage.RoleOwner && acc.Role != sillage.RoleOwner {
		return forbidden("only an owner can make or unmake owners")
	}
	ctx := r.Context()
	u, err := a.acc.UserByEmail(ctx, req.Email)
	var current sillage.Role
	switch {
	case err == nil:
		current, err = a.acc.RoleOf(ctx, u.ID, site.ID)
		if err != nil && !errors.Is(err, accounts.ErrNotFound) {
			return err
		}
	case !errors.Is(err, accounts.ErrNotFound):
		return err
	}
	if current != "" {
		// A member already: a new role grants nothing to a stranger.
		if current == sillage.RoleOwner && acc.Role != sillage.RoleOwner {
			return forbidden("only an owner can make or unmake owners")
		}
		m, err := a.acc.AddMember(ctx, site.ID, u.Email, req.Role)
		if err != nil {
			return err
		}
		a.log.Info("member role changed", "site", site.Domain, "user", u.ID, "role", m.Role, "by", acc.UserID)
		mj := memberJSON(m)
		writeJSON(w, http.StatusOK, memberAnswer{Member: &mj})
		return nil
	}
	invite := a.acc.CreateInvitation
	if acc.Role != sillage.RoleOwner {
		// An admin must not cancel an owner's pending owner invitation by
		// replacing it with a lesser one.
		invite = a.acc.CreateInvitationKeepingOwners
	}
	inv, tok, err := invite(ctx, site.ID, req.Email, req.Role, acc.UserID)
	if err != nil {
		return err
	}
	a.log.Info("invitation created", "site", site.Domain, "invitation", inv.ID, "role", inv.Role, "by", acc.UserID)
	j := toInvitationJSON(inv)
	writeJSON(w, http.StatusCreated, memberAnswer{Invitation: &j, Link: a.link(r, "/invite/"+tok),
		EmailStatus: a.mailInvitation(r, inv, tok, acc.UserID)})
	return nil
}

func (a *API) removeMember(w http.ResponseWriter, r *http.Request) error {
	g := granted(r)
	site, acc := g.site, g.acc
	ctx := r.Context()
	u, err := a.acc.UserByEmail(ctx, r.PathValue("email"))
	if errors.Is(err, accounts.ErrNotFound) {
		return notFound("no member " + r.PathValue("email"))
	}
	if err != nil {
		return err
	}
	role, err := a.acc.RoleOf(ctx, u.ID, site.ID)
	if errors.Is(err, accounts.ErrNotFound) {
		return notFound("no member " + u.Email)
	}
	if err != nil {
		return err
	}
	if role == sillage.RoleOwner && acc.Role != sillage.RoleOwner {
		return forbidden("only an owner can remove an owner")
	}
	if err := a.acc.RemoveMember(ctx, site.ID, u.Email); err != nil {
		return err
	}
	a.log.Info("member removed", "site", site.Domain, "user", u.ID, "by", acc.UserID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

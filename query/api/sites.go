package api

import (
	"errors"
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
	writeJSON(w, http.StatusOK, map[string]any{"sites": out})
	return nil
}

type newSite struct {
	Domain   string `json:"domain"`
	Timezone string `json:"timezone"`
}

func (a *API) createSite(w http.ResponseWriter, r *http.Request) error {
	s, err := a.requireSession(r)
	if err != nil {
		return err
	}
	var req newSite
	if err := decode(w, r, &req); err != nil {
		return err
	}
	site, err := a.acc.AddSiteWithOwner(r.Context(), s.user.ID, req.Domain, req.Timezone)
	if err != nil {
		return err
	}
	a.log.Info("site added", "domain", site.Domain, "id", site.ID, "user", s.user.ID)
	writeJSON(w, http.StatusCreated, toSiteJSON(site, sillage.RoleOwner))
	return nil
}

func (a *API) getSite(w http.ResponseWriter, r *http.Request) error {
	site, acc, err := a.Authorize(r, r.PathValue("domain"))
	if err != nil {
		return err
	}
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
}

func (a *API) updateSite(w http.ResponseWriter, r *http.Request) error {
	site, acc, err := a.manage(r, sillage.RoleAdmin, false)
	if err != nil {
		return err
	}
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
	}
	updated, err := a.acc.UpdateSite(r.Context(), site.ID, u)
	if err != nil {
		return err
	}
	a.log.Info("site settings changed", "domain", site.Domain, "timezone", updated.Timezone,
		"retention_days", updated.RetentionDays, "user", acc.UserID)
	writeJSON(w, http.StatusOK, toSiteJSON(updated, acc.Role))
	return nil
}

func (a *API) deleteSite(w http.ResponseWriter, r *http.Request) error {
	site, acc, err := a.manage(r, sillage.RoleOwner, false)
	if err != nil {
		return err
	}
	if err := a.acc.DeleteSite(r.Context(), site.ID); err != nil {
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
	site, acc, err := a.manage(r, sillage.RoleOwner, false)
	if err != nil {
		return err
	}
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
	site, _, err := a.Authorize(r, r.PathValue("domain"))
	if err != nil {
		return err
	}
	// The newest day first, in primary key order: the engine reads the
	// site's last day only, however much history there is.
	var last time.Time
	err = store.QueryRow(r.Context(), a.engine, `SELECT ts FROM events WHERE site_id = {site:UInt32}
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
	site, _, err := a.manage(r, sillage.RoleAdmin, false)
	if err != nil {
		return err
	}
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

type addedMember struct {
	Member memberJSON `json:"member"`
	// Password is set once when the email had no account yet: there is no
	// mail server to send an invitation, so the inviter passes it on and
	// the new member changes it.
	Password string `json:"password,omitempty"`
}

// addMember invites an account or changes its role. Admins manage viewers
// and admins; making or unmaking an owner takes an owner.
func (a *API) addMember(w http.ResponseWriter, r *http.Request) error {
	site, acc, err := a.manage(r, sillage.RoleAdmin, false)
	if err != nil {
		return err
	}
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
	var password string
	u, err := a.acc.UserByEmail(ctx, req.Email)
	switch {
	case errors.Is(err, accounts.ErrNotFound):
		password = accounts.RandomPassword()
		var addErr error
		if err := a.slowCheck(ctx, func() { u, addErr = a.acc.AddUser(ctx, req.Email, password) }); err != nil {
			return err
		}
		if addErr != nil {
			return addErr
		}
		a.log.Info("account created by invitation", "user", u.ID, "site", site.Domain, "by", acc.UserID)
	case err != nil:
		return err
	}
	current, err := a.acc.RoleOf(ctx, u.ID, site.ID)
	if err != nil && !errors.Is(err, accounts.ErrNotFound) {
		return err
	}
	if current == sillage.RoleOwner && acc.Role != sillage.RoleOwner {
		return forbidden("only an owner can make or unmake owners")
	}
	m, err := a.acc.AddMember(ctx, site.ID, u.Email, req.Role)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if current == "" {
		status = http.StatusCreated
	}
	writeJSON(w, status, addedMember{Member: memberJSON(m), Password: password})
	return nil
}

func (a *API) removeMember(w http.ResponseWriter, r *http.Request) error {
	site, acc, err := a.manage(r, sillage.RoleAdmin, false)
	if err != nil {
		return err
	}
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

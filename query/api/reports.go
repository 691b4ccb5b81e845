package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/query/stats"
	"github.com/sillage-analytics/sillage/reports"
)

// Email reports and traffic alerts (package reports). A member subscribes
// themself; an owner adds any address; admins set the alerts. Without a
// reports service (no store for it) the routes answer 404; without SMTP
// they work and say "mail": false, for the settings to tell.

func (a *API) reportRoutes() {
	// Members by login only (checked by the handler): a subscription is a
	// person's, not a key's or a link's.
	a.serve("GET /api/sites/{domain}/reports", siteRead, a.getReports)
	a.serve("PUT /api/sites/{domain}/reports/mine", siteRead, a.putMyReports)
	a.serve("GET /api/sites/{domain}/reports/preview", siteStats, a.previewReport)
	a.serve("POST /api/sites/{domain}/reports/recipients", siteOwner, a.addReportRecipient)
	a.serve("DELETE /api/sites/{domain}/reports/recipients/{kind}/{email}", siteOwner, a.removeReportRecipient)
	a.serve("GET /api/sites/{domain}/alerts", siteAdmin, a.getAlerts)
	a.serve("PUT /api/sites/{domain}/alerts", siteAdmin, a.putAlerts)
	// The one-click unsubscribe link of a report (RFC 8058): the token is
	// the credential. GET tells what it ends; POST ends it.
	a.serve("GET /api/reports/unsubscribe/{token}", public, a.getUnsubscribe)
	a.serve("POST /api/reports/unsubscribe/{token}", public, a.postUnsubscribe)
}

// memberBySession refuses keys and shared links.
func memberBySession(g grant) error {
	if g.acc.Via != ViaSession {
		return forbidden("reports are a member's: log in to the dashboard")
	}
	return nil
}

func (a *API) reportsService() (*reports.Service, error) {
	if a.reports == nil {
		return nil, notFound("email reports are not available on this server")
	}
	return a.reports, nil
}

type recipientJSON struct {
	Kind    reports.Kind `json:"kind"`
	Email   string       `json:"email"`
	Member  bool         `json:"member"`
	Lang    string       `json:"lang"`
	Segment uint64       `json:"segment,omitempty"` // a shared segment the report is restricted to
}

type myReportsJSON struct {
	Weekly  bool   `json:"weekly"`
	Monthly bool   `json:"monthly"`
	Lang    string `json:"lang"`
	// Segment restricts the member's reports to a segment they see (0:
	// the whole site).
	Segment uint64 `json:"segment,omitempty"`
}

func (a *API) getReports(w http.ResponseWriter, r *http.Request) error {
	g := granted(r)
	if err := memberBySession(g); err != nil {
		return err
	}
	rs, err := a.reportsService()
	if err != nil {
		return err
	}
	subs, err := rs.Subscriptions(r.Context(), g.site.ID)
	if err != nil {
		return err
	}
	mine := myReportsJSON{Lang: ""}
	recipients := []recipientJSON{}
	for _, s := range subs {
		if s.UserID == g.acc.UserID {
			switch s.Kind {
			case reports.Weekly:
				mine.Weekly = true
			case reports.Monthly:
				mine.Monthly = true
			}
			mine.Lang = s.Lang
			mine.Segment = s.SegmentID
		}
		recipients = append(recipients, recipientJSON{Kind: s.Kind, Email: s.Email, Member: s.UserID != "", Lang: s.Lang, Segment: s.SegmentID})
	}
	out := map[string]any{"mail": rs.CanSend(), "mine": mine}
	// The addresses of others are the owners' to see.
	if g.acc.Role == sillage.RoleOwner {
		out["recipients"] = recipients
		ds, err := rs.Deliveries(r.Context(), g.site.ID)
		if err != nil {
			return err
		}
		if ds == nil {
			ds = []reports.Delivery{}
		}
		out["deliveries"] = ds
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) putMyReports(w http.ResponseWriter, r *http.Request) error {
	g := granted(r)
	if err := memberBySession(g); err != nil {
		return err
	}
	rs, err := a.reportsService()
	if err != nil {
		return err
	}
	var in myReportsJSON
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := a.reportSegment(r, g.site.ID, in.Segment, g.acc.UserID); err != nil {
		return err
	}
	for _, k := range []struct {
		kind reports.Kind
		on   bool
	}{{reports.Weekly, in.Weekly}, {reports.Monthly, in.Monthly}} {
		sub := reports.Subscription{SiteID: g.site.ID, Kind: k.kind, UserID: g.acc.UserID, Lang: in.Lang, SegmentID: in.Segment}
		if k.on {
			err = rs.Subscribe(r.Context(), sub)
		} else {
			err = rs.Unsubscribe(r.Context(), sub)
		}
		if err != nil {
			return err
		}
	}
	in.Lang = reports.Lang(in.Lang)
	writeJSON(w, http.StatusOK, in)
	return nil
}

// previewReport shows the report of the last finished period, as HTML.
func (a *API) previewReport(w http.ResponseWriter, r *http.Request) error {
	g := granted(r)
	if err := memberBySession(g); err != nil {
		return err
	}
	rs, err := a.reportsService()
	if err != nil {
		return err
	}
	kind := reports.Kind(r.URL.Query().Get("kind"))
	if kind == "" {
		kind = reports.Weekly
	}
	if !reports.ValidKind(kind) {
		return badRequest("kind: weekly or monthly")
	}
	p, _ := reports.Previous(kind, a.now(), siteLocation(g.site))
	// ?segment=<id>: the report restricted to a segment the member sees.
	var seg *accounts.Segment
	if raw := r.URL.Query().Get("segment"); raw != "" {
		id, err := stats.SegmentID(raw)
		if err != nil {
			return badRequest("segment: %v", err)
		}
		sg, err := a.acc.SegmentFor(r.Context(), g.site.ID, id, g.acc.UserID)
		if err != nil {
			return err
		}
		seg = &sg
	}
	rep, err := rs.BuildSegment(r.Context(), g.site, p, seg)
	if err != nil {
		return err
	}
	out, err := rep.Render(r.URL.Query().Get("lang"), "/"+g.site.Domain, "")
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// The page is ours but shown inside the dashboard: no script, no frame
	// elsewhere.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write([]byte(out.HTML))
	return err
}

func (a *API) addReportRecipient(w http.ResponseWriter, r *http.Request) error {
	g := granted(r)
	rs, err := a.reportsService()
	if err != nil {
		return err
	}
	var in recipientJSON
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if !reports.ValidKind(in.Kind) {
		return badRequest("kind: weekly or monthly")
	}
	email, err := accounts.NormalizeEmail(in.Email)
	if err != nil {
		return badRequest("email: %v", err)
	}
	if err := a.reportSegment(r, g.site.ID, in.Segment, ""); err != nil {
		return err
	}
	sub := reports.Subscription{SiteID: g.site.ID, Kind: in.Kind, Email: email, Lang: in.Lang, SegmentID: in.Segment}
	if err := rs.Subscribe(r.Context(), sub); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, recipientJSON{Kind: in.Kind, Email: email, Lang: reports.Lang(in.Lang), Segment: in.Segment})
	return nil
}

func (a *API) removeReportRecipient(w http.ResponseWriter, r *http.Request) error {
	g := granted(r)
	rs, err := a.reportsService()
	if err != nil {
		return err
	}
	kind := reports.Kind(r.PathValue("kind"))
	if !reports.ValidKind(kind) {
		return notFound("no such report")
	}
	email, err := accounts.NormalizeEmail(r.PathValue("email"))
	if err != nil {
		return notFound("no such recipient")
	}
	subs, err := rs.Subscriptions(r.Context(), g.site.ID)
	if err != nil {
		return err
	}
	// A member's subscription is ended by the same address: the owner
	// removes a recipient, whoever added it.
	i := slices.IndexFunc(subs, func(s reports.Subscription) bool { return s.Kind == kind && s.Email == email })
	if i < 0 {
		return notFound("no such recipient")
	}
	if err := rs.Unsubscribe(r.Context(), subs[i]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type alertsJSON struct {
	Mail          bool     `json:"mail"`
	SpikeVisitors uint32   `json:"spike_visitors"`
	Drop          bool     `json:"drop"`
	CooldownHours uint16   `json:"cooldown_hours"`
	Lang          string   `json:"lang"`
	Recipients    []string `json:"recipients"` // emails of members
	Members       []string `json:"members,omitempty"`
}

func (a *API) getAlerts(w http.ResponseWriter, r *http.Request) error {
	g := granted(r)
	rs, err := a.reportsService()
	if err != nil {
		return err
	}
	al, err := rs.Alerts(r.Context(), g.site.ID)
	if err != nil {
		return err
	}
	members, err := a.acc.Members(r.Context(), g.site.ID)
	if err != nil {
		return err
	}
	out := alertsJSON{Mail: rs.CanSend(), SpikeVisitors: al.SpikeVisitors, Drop: al.Drop, CooldownHours: al.CooldownHours,
		Lang: al.Lang, Recipients: []string{}, Members: []string{}}
	for _, m := range members {
		out.Members = append(out.Members, m.Email)
		if slices.Contains(al.Recipients, m.UserID) {
			out.Recipients = append(out.Recipients, m.Email)
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) putAlerts(w http.ResponseWriter, r *http.Request) error {
	g := granted(r)
	rs, err := a.reportsService()
	if err != nil {
		return err
	}
	var in alertsJSON
	if err := decode(w, r, &in); err != nil {
		return err
	}
	members, err := a.acc.Members(r.Context(), g.site.ID)
	if err != nil {
		return err
	}
	set := reports.AlertSettings{SpikeVisitors: in.SpikeVisitors, Drop: in.Drop, CooldownHours: in.CooldownHours, Lang: in.Lang,
		Recipients: []string{}}
	for _, e := range in.Recipients {
		email, _ := accounts.NormalizeEmail(e)
		i := slices.IndexFunc(members, func(m accounts.Member) bool { return m.Email == email })
		if i < 0 {
			return badRequest("recipients: %q is not a member of this site", e)
		}
		set.Recipients = append(set.Recipients, members[i].UserID)
	}
	if err := rs.SetAlerts(r.Context(), g.site.ID, set); err != nil {
		if errors.Is(err, accounts.ErrInvalid) {
			return badRequest("%v", err)
		}
		return err
	}
	return a.getAlerts(w, r)
}

// getUnsubscribe tells what an unsubscribe link ends, without ending it.
func (a *API) getUnsubscribe(w http.ResponseWriter, r *http.Request) error {
	return a.unsubscribe(w, r, (*reports.Service).LookupUnsubscribe)
}

// postUnsubscribe ends a subscription: the one-click POST of a mail client
// (body "List-Unsubscribe=One-Click", RFC 8058) or the dashboard's button.
func (a *API) postUnsubscribe(w http.ResponseWriter, r *http.Request) error {
	return a.unsubscribe(w, r, (*reports.Service).UnsubscribeByToken)
}

// unsubscribe answers what `use` does with the link's token: 404 for an
// unknown or expired token.
func (a *API) unsubscribe(w http.ResponseWriter, r *http.Request, use func(*reports.Service, context.Context, string) (reports.Unsubscription, error)) error {
	rs, err := a.reportsService()
	if err != nil {
		return err
	}
	u, err := use(rs, r.Context(), r.PathValue("token"))
	if errors.Is(err, reports.ErrBadToken) {
		return notFound(err.Error())
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func siteLocation(s sillage.Site) *time.Location {
	if l, err := time.LoadLocation(s.Timezone); err == nil {
		return l
	}
	return time.UTC
}

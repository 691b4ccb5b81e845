package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"github.com/sillage-analytics/sillage/imports"
)

// ga4Callback is the OAuth redirect URI ops register with their client.
const ga4Callback = "/api/imports/ga4/callback"

// ga4Request starts a GA4 import: a property, its days, and a service
// account's key (the file the owner uploaded, as JSON) or a connection of
// the OAuth flow.
type ga4Request struct {
	Property    string          `json:"property"`
	StartDate   string          `json:"start_date"`
	EndDate     string          `json:"end_date"`
	Credentials json.RawMessage `json:"credentials"`
	Connection  string          `json:"connection"`
}

// startGA4Import queues a GA4 import: POST /api/sites/{domain}/imports/ga4.
// The key or token is kept with the job until it ends, and never answered.
func (a *API) startGA4Import(w http.ResponseWriter, r *http.Request) error {
	m, err := a.importer()
	if err != nil {
		return err
	}
	g := granted(r)
	var req ga4Request
	if err := decode(w, r, &req); err != nil {
		return err
	}
	ir := imports.GA4Request{Property: req.Property, StartDate: req.StartDate, EndDate: req.EndDate, Credentials: req.Credentials}
	if req.Connection != "" {
		if len(req.Credentials) > 0 {
			return badRequest("credentials or connection: one of them")
		}
		tok, err := m.GA4Connection(r.Context(), req.Connection, g.site.ID, g.acc.UserID)
		if errors.Is(err, imports.ErrGA4Connection) {
			return notFound(err.Error())
		}
		if err != nil {
			return err
		}
		ir.Token = tok
	}
	job, existed, err := m.SubmitGA4(r.Context(), g.site.ID, ir, g.acc.UserID)
	var ie *imports.InputError
	switch {
	case errors.As(err, &ie):
		return badRequest("%s", ie.Error())
	case errors.Is(err, imports.ErrGA4NotConfigured):
		return &httpError{http.StatusServiceUnavailable, err.Error(), nil}
	case err != nil:
		return err
	}
	status := http.StatusCreated
	if existed {
		status = http.StatusOK
	}
	writeJSON(w, status, map[string]any{"import": toImportJSON(job), "existed": existed})
	return nil
}

// connectGA4 starts the OAuth flow: GET /api/sites/{domain}/imports/ga4/connect
// answers the URL of Google's consent screen, which the dashboard opens.
func (a *API) connectGA4(w http.ResponseWriter, r *http.Request) error {
	m, err := a.importer()
	if err != nil {
		return err
	}
	g := granted(r)
	u, err := m.GA4AuthURL(g.site.ID, g.site.Domain, g.acc.UserID, a.mailLink(r, ga4Callback))
	if errors.Is(err, imports.ErrGA4NotConfigured) || errors.Is(err, imports.ErrGA4NoSecret) {
		return &httpError{http.StatusServiceUnavailable, err.Error(), nil}
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"url": u})
	return nil
}

// ga4OAuthCallback is where Google sends the browser back. Its state is a
// single-use random value bound to the account and site that connected,
// and the browser must be logged in as that account: the session cookie
// (SameSite=Lax) comes along on this top-level GET. Without that check,
// whoever holds a consent URL of their own connection could have another
// tenant sign in with Google through it, and read that tenant's GA4
// properties. It sends the browser to the site's import settings with
// the connection's id, or the error.
func (a *API) ga4OAuthCallback(w http.ResponseWriter, r *http.Request) error {
	m, err := a.importer()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if m.GA4OAuthConfigured() {
		owner, ok := m.GA4StateUser(q.Get("state"))
		if !ok {
			return badRequest("%s", imports.ErrGA4State.Error())
		}
		s, err := a.requireSession(r)
		if err != nil && !errors.Is(err, ErrUnauthenticated) {
			return err
		}
		if err != nil || s.user.ID != owner {
			// The state stays pending: its account may still come back.
			return forbidden("this Google sign-in was started by another Sillage account: log in as that account, or connect again from your site's settings")
		}
	}
	if e := q.Get("error"); e != "" {
		// The user declined on Google's screen: the state is dropped.
		_, domain, _ := m.GA4Callback(r.Context(), q.Get("state"), "")
		if domain == "" {
			return badRequest("Google sign-in: %s", e)
		}
		http.Redirect(w, r, "/"+url.PathEscape(domain)+"/settings/imports?ga4_error="+url.QueryEscape(e), http.StatusSeeOther)
		return nil
	}
	conn, domain, err := m.GA4Callback(r.Context(), q.Get("state"), q.Get("code"))
	switch {
	case errors.Is(err, imports.ErrGA4State):
		return badRequest("%s", err.Error())
	case errors.Is(err, imports.ErrGA4NotConfigured):
		return &httpError{http.StatusServiceUnavailable, err.Error(), nil}
	case err != nil && domain != "":
		a.log.Warn("GA4 sign-in", "error", err)
		http.Redirect(w, r, "/"+url.PathEscape(domain)+"/settings/imports?ga4_error="+url.QueryEscape(err.Error()), http.StatusSeeOther)
		return nil
	case err != nil:
		return err
	}
	http.Redirect(w, r, "/"+url.PathEscape(domain)+"/settings/imports?ga4="+url.QueryEscape(conn), http.StatusSeeOther)
	return nil
}

// ga4Properties lists the properties a connection may read:
// GET /api/sites/{domain}/imports/ga4/properties?connection=ID.
func (a *API) ga4Properties(w http.ResponseWriter, r *http.Request) error {
	m, err := a.importer()
	if err != nil {
		return err
	}
	g := granted(r)
	tok, err := m.GA4Connection(r.Context(), r.URL.Query().Get("connection"), g.site.ID, g.acc.UserID)
	if errors.Is(err, imports.ErrGA4Connection) {
		return notFound(err.Error())
	}
	if err != nil {
		return err
	}
	props, err := m.GA4Properties(r.Context(), tok)
	if err != nil {
		return &httpError{http.StatusBadGateway, err.Error(), nil}
	}
	if props == nil {
		props = []imports.GA4Property{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"properties": props})
	return nil
}

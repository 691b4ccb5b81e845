package api

import (
	"context"
	"net/http"

	"github.com/sillage-analytics/sillage"
)

// need is what a route asks of its caller. Every route of the API names
// one in the table of routes(), and serve checks it before the handler
// runs: the rules of who may do what live there, in one place, and in the
// table of query/api/API.md. A handler adds only the rules that depend on
// the request's content (an owner to make owners, an owner to shorten
// retention).
type need int

const (
	// public routes take no credentials; the handler checks what the
	// request carries instead (a password, a link's token).
	public need = iota
	// account: any logged-in account, by session cookie (and CSRF token).
	account
	// operator: an operator of the instance, by session. Operators manage
	// the instance; they read no site's stats unless they are members.
	operator
	// siteRead: any member of the site by session, an API key scoped to
	// the site whose owner is still a member, or one of its shared links.
	siteRead
	// siteStats: siteRead for a route that runs statements on the site's
	// events; the caller waits for its turn under the same per-caller
	// limits as the stats endpoints (SetAdmission).
	siteStats
	// siteAdmin: an admin or owner of the site, by session.
	siteAdmin
	// siteAdminOrKey: an admin or owner, by session or by their API key.
	siteAdminOrKey
	// siteOwner: an owner of the site, by session.
	siteOwner
)

// grant is what serve established about the caller of a route.
type grant struct {
	sess session      // for account, operator and site routes by session
	site sillage.Site // for site routes
	acc  Access       // for site routes
	// release ends the caller's turn of a siteStats route.
	release func()
}

type grantKey struct{}

// granted returns the grant serve checked for this request.
func granted(r *http.Request) grant {
	g, _ := r.Context().Value(grantKey{}).(grant)
	return g
}

// check enforces a route's need and returns what it established.
func (a *API) check(r *http.Request, n need) (grant, error) {
	var g grant
	var err error
	switch n {
	case public:
	case account:
		g.sess, err = a.requireSession(r)
	case operator:
		if g.sess, err = a.requireSession(r); err != nil {
			break
		}
		var op bool
		if op, err = a.acc.IsOperator(r.Context(), g.sess.user.ID); err == nil && !op {
			err = forbidden("only an operator of this instance can do this")
		}
	case siteRead:
		if g.site, g.acc, err = a.Authorize(r, r.PathValue("domain")); err == nil && g.acc.Via == ViaSession {
			// Authorize checks no CSRF token (reads need none), but
			// members change their own segments and reports by these
			// routes too.
			err = a.checkCSRF(r)
		}
	case siteStats:
		if a.admission != nil {
			// A caller refused moments ago is refused again before any
			// statement looks its credentials up.
			if err = a.admission.Recall(r); err != nil {
				break
			}
		}
		if g.site, g.acc, err = a.Authorize(r, r.PathValue("domain")); err != nil || a.admission == nil {
			break
		}
		g.release, err = a.admission.Admit(r, g.site, g.acc)
	case siteAdmin:
		g.site, g.acc, err = a.manage(r, sillage.RoleAdmin, false)
	case siteAdminOrKey:
		g.site, g.acc, err = a.manage(r, sillage.RoleAdmin, true)
	case siteOwner:
		g.site, g.acc, err = a.manage(r, sillage.RoleOwner, false)
	}
	return g, err
}

// serve registers a route behind its need.
func (a *API) serve(pattern string, n need, h handlerFunc) {
	a.handle(pattern, func(w http.ResponseWriter, r *http.Request) error {
		g, err := a.check(r, n)
		if err != nil {
			if r.Context().Err() != nil {
				return nil // the client left while it waited: nobody reads an answer
			}
			return err
		}
		if g.release != nil {
			defer g.release()
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), grantKey{}, g)))
	})
}

// Admission queues the stats reads of each caller (see query/admit); the
// query service provides it, so that the routes of this package that read
// a site's events count against the same limits as its stats endpoints.
type Admission interface {
	// Recall returns the refusal (TooBusy) of a request whose credentials
	// were refused moments ago, before they are looked up.
	Recall(r *http.Request) error
	// Admit waits for the caller's turn and returns its end, or a
	// refusal (TooBusy), or the request context's error.
	Admit(r *http.Request, site sillage.Site, acc Access) (release func(), err error)
}

// SetAdmission puts the routes that read a site's events (the live view,
// property names) under ad. Call it before serving.
func (a *API) SetAdmission(ad Admission) { a.admission = ad }

package api

import (
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/sillage-analytics/sillage/accounts"
)

type goalJSON struct {
	ID          string `json:"id"`
	EventName   string `json:"event_name,omitempty"`
	PagePath    string `json:"page_path,omitempty"`
	Currency    string `json:"currency,omitempty"`
	DisplayName string `json:"display_name"`
	// ScrollThreshold makes a page goal a scroll-depth goal (1–100 %).
	ScrollThreshold uint8 `json:"scroll_threshold,omitempty"`
}

func toGoalJSON(g accounts.Goal) goalJSON {
	return goalJSON{ID: g.ID, EventName: g.EventName, PagePath: g.PagePath, Currency: g.Currency, DisplayName: g.DisplayName,
		ScrollThreshold: g.ScrollThreshold}
}

type newGoal struct {
	EventName   string `json:"event_name"`
	PagePath    string `json:"page_path"`
	Currency    string `json:"currency"`
	DisplayName string `json:"display_name"`
	// ScrollThreshold: 1–100 for a scroll-depth goal; 0 or -1 (Plausible's
	// "none") for an ordinary page goal.
	ScrollThreshold int `json:"scroll_threshold"`
}

func (a *API) listGoals(w http.ResponseWriter, r *http.Request) error {
	site := granted(r).site
	goals, err := a.acc.Goals(r.Context(), site.ID)
	if err != nil {
		return err
	}
	out := make([]goalJSON, 0, len(goals))
	for _, g := range goals {
		out = append(out, toGoalJSON(g))
	}
	writeJSON(w, http.StatusOK, map[string]any{"goals": out})
	return nil
}

func (a *API) addGoal(w http.ResponseWriter, r *http.Request) error {
	site := granted(r).site
	var req newGoal
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.ScrollThreshold < -1 || req.ScrollThreshold > 100 {
		return badRequest("scroll_threshold %d: expected a percentage from 1 to 100, or -1 for none", req.ScrollThreshold)
	}
	g, err := a.acc.AddGoal(r.Context(), accounts.Goal{SiteID: site.ID, EventName: req.EventName, PagePath: req.PagePath,
		Currency: req.Currency, DisplayName: req.DisplayName, ScrollThreshold: uint8(max(req.ScrollThreshold, 0))})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toGoalJSON(g))
	return nil
}

func (a *API) deleteGoal(w http.ResponseWriter, r *http.Request) error {
	site := granted(r).site
	if err := a.acc.DeleteGoal(r.Context(), site.ID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type funnelJSON struct {
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	Steps         []string `json:"steps"`
	WindowSeconds uint32   `json:"window_seconds"`
}

type newFunnel struct {
	Name          string   `json:"name"`
	Steps         []string `json:"steps"`
	WindowSeconds uint32   `json:"window_seconds"`
}

func (a *API) listFunnels(w http.ResponseWriter, r *http.Request) error {
	site := granted(r).site
	funnels, err := a.acc.Funnels(r.Context(), site.ID)
	if err != nil {
		return err
	}
	out := make([]funnelJSON, 0, len(funnels))
	for _, f := range funnels {
		out = append(out, funnelJSON{ID: f.ID, Name: f.Name, Steps: f.Steps, WindowSeconds: f.WindowSeconds})
	}
	writeJSON(w, http.StatusOK, map[string]any{"funnels": out})
	return nil
}

func (a *API) addFunnel(w http.ResponseWriter, r *http.Request) error {
	site := granted(r).site
	var req newFunnel
	if err := decode(w, r, &req); err != nil {
		return err
	}
	f, err := a.acc.AddFunnel(r.Context(), accounts.Funnel{SiteID: site.ID, Name: req.Name, Steps: req.Steps,
		WindowSeconds: req.WindowSeconds})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, funnelJSON{ID: f.ID, Name: f.Name, Steps: f.Steps, WindowSeconds: f.WindowSeconds})
	return nil
}

func (a *API) deleteFunnel(w http.ResponseWriter, r *http.Request) error {
	site := granted(r).site
	if err := a.acc.DeleteFunnel(r.Context(), site.ID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type sharedLinkJSON struct {
	ID          string `json:"id"`
	Slug        string `json:"slug"`
	Name        string `json:"name"`
	HasPassword bool   `json:"has_password"`
}

func toSharedLinkJSON(l accounts.SharedLink) sharedLinkJSON {
	return sharedLinkJSON{ID: l.ID, Slug: l.Slug, Name: l.Name, HasPassword: l.HasPassword()}
}

type newSharedLink struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

// Shared links are access grants, so only those who manage the site see
// and make them.
func (a *API) listSharedLinks(w http.ResponseWriter, r *http.Request) error {
	site := granted(r).site
	links, err := a.acc.SharedLinks(r.Context(), site.ID)
	if err != nil {
		return err
	}
	out := make([]sharedLinkJSON, 0, len(links))
	for _, l := range links {
		out = append(out, toSharedLinkJSON(l))
	}
	writeJSON(w, http.StatusOK, map[string]any{"shared_links": out})
	return nil
}

func (a *API) addSharedLink(w http.ResponseWriter, r *http.Request) error {
	g := granted(r)
	site, acc := g.site, g.acc
	var req newSharedLink
	if err := decode(w, r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	var l accounts.SharedLink
	var addErr error
	if err := a.slowCheck(ctx, func() { l, addErr = a.acc.AddSharedLink(ctx, site.ID, req.Name, req.Password) }); err != nil {
		return err
	}
	if addErr != nil {
		return addErr
	}
	a.log.Info("shared link created", "site", site.Domain, "link", l.ID, "password", l.HasPassword(), "user", acc.UserID)
	writeJSON(w, http.StatusCreated, toSharedLinkJSON(l))
	return nil
}

func (a *API) deleteSharedLink(w http.ResponseWriter, r *http.Request) error {
	g := granted(r)
	site, acc := g.site, g.acc
	if err := a.acc.DeleteSharedLink(r.Context(), site.ID, r.PathValue("id")); err != nil {
		return err
	}
	a.log.Info("shared link deleted", "site", site.Domain, "link", r.PathValue("id"), "user", acc.UserID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type sharedLinkInfo struct {
	Domain           string `json:"domain,omitempty"`
	Name             string `json:"name,omitempty"`
	PasswordRequired bool   `json:"password_required"`
	Authenticated    bool   `json:"authenticated"`
}

// sharedLinkInfo tells the shared dashboard whether to ask for a
// password; the site is named only once the link opens.
func (a *API) sharedLinkInfo(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	slug := r.PathValue("slug")
	var l accounts.SharedLink
	err := a.lookup(r, "link\x00"+slug, func() error {
		var err error
		l, err = a.acc.SharedLinkBySlug(ctx, slug)
		return err
	}, isNotFound)
	if errors.Is(err, accounts.ErrNotFound) {
		return notFound("unknown shared link")
	}
	if err != nil {
		return err
	}
	out := sharedLinkInfo{PasswordRequired: l.HasPassword(), Authenticated: !l.HasPassword() || a.shareCookieValid(r, slug)}
	if out.Authenticated {
		site, err := a.acc.SiteByID(ctx, l.SiteID)
		if err != nil {
			return err
		}
		out.Domain, out.Name = site.Domain, l.Name
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type sharePassword struct {
	Password string `json:"password"`
}

var errWrongSharePassword = errors.New("wrong shared link password")

// sharedLinkAuth checks a shared link's password and sets the cookie that
// opens the link's site for ShareCookieLifetime. A link without password
// opens with any.
func (a *API) sharedLinkAuth(w http.ResponseWriter, r *http.Request) error {
	var req sharePassword
	if err := decode(w, r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	slug := r.PathValue("slug")
	var l accounts.SharedLink
	err := a.guarded(ctx, w, r, "share:"+slug, func() error {
		var err error
		if l, err = a.acc.SharedLinkBySlug(ctx, slug); err != nil {
			return err
		}
		var ok bool
		if err := a.slowCheck(ctx, func() { ok = l.CheckPassword(req.Password) }); err != nil {
			return err
		}
		if !ok {
			return errWrongSharePassword
		}
		return nil
	}, func(err error) bool {
		// An unknown slug counts too: slugs are guessed like passwords.
		return errors.Is(err, errWrongSharePassword) || errors.Is(err, accounts.ErrNotFound)
	})
	if errors.Is(err, accounts.ErrNotFound) {
		return notFound("unknown shared link")
	}
	if errors.Is(err, errWrongSharePassword) {
		return unauthenticated("wrong password")
	}
	if err != nil {
		return err
	}
	site, err := a.acc.SiteByID(ctx, l.SiteID)
	if err != nil {
		return err
	}
	expires := a.now().Add(ShareCookieLifetime)
	http.SetCookie(w, &http.Cookie{
		Name: ShareCookiePrefix + l.Slug, Value: a.shareCookie(l.Slug, expires), Path: "/",
		Expires: expires, MaxAge: int(ShareCookieLifetime.Seconds()),
		HttpOnly: true, Secure: a.secureRequest(r), SameSite: http.SameSiteLaxMode,
	})
	writeJSON(w, http.StatusOK, sharedLinkInfo{Domain: site.Domain, Name: l.Name, PasswordRequired: l.HasPassword(), Authenticated: true})
	return nil
}

type keyJSON struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Prefix    string    `json:"prefix"`
	Sites     []string  `json:"sites"`
	CreatedAt time.Time `json:"created_at"`
	// Key is the secret, in the answer that creates it and never again.
	Key string `json:"key,omitempty"`
}

type newKey struct {
	Name  string   `json:"name"`
	Sites []string `json:"sites"`
}

func (a *API) listKeys(w http.ResponseWriter, r *http.Request) error {
	s, err := a.requireSession(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	keys, err := a.acc.APIKeys(ctx, s.user.ID)
	if err != nil {
		return err
	}
	sites, err := a.acc.Sites(ctx)
	if err != nil {
		return err
	}
	domains := make(map[uint32]string, len(sites))
	for _, st := range sites {
		domains[st.ID] = st.Domain
	}
	out := make([]keyJSON, 0, len(keys))
	for _, k := range keys {
		j := keyJSON{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Sites: []string{}, CreatedAt: k.CreatedAt}
		for _, id := range k.SiteIDs {
			if d, ok := domains[id]; ok { // deleted sites drop out
				j.Sites = append(j.Sites, d)
			}
		}
		out = append(out, j)
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": out})
	return nil
}

// createKey makes a key for sites the user is a member of. The key reads
// what its owner may read, and, for owners and admins, manages goals and
// funnels; everything else takes a login.
func (a *API) createKey(w http.ResponseWriter, r *http.Request) error {
	s, err := a.requireSession(r)
	if err != nil {
		return err
	}
	var req newKey
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if len(req.Sites) == 0 {
		return badRequest("sites: name at least one site for the key")
	}
	ctx := r.Context()
	ids := make([]uint32, 0, len(req.Sites))
	domains := make([]string, 0, len(req.Sites))
	for _, d := range req.Sites {
		site, err := a.site(ctx, d)
		if err != nil {
			return err
		}
		if _, err := a.acc.RoleOf(ctx, s.user.ID, site.ID); errors.Is(err, accounts.ErrNotFound) {
			return noSite(site.Domain)
		} else if err != nil {
			return err
		}
		if !slices.Contains(ids, site.ID) {
			ids = append(ids, site.ID)
			domains = append(domains, site.Domain)
		}
	}
	k, secret, err := a.acc.CreateAPIKey(ctx, s.user.ID, req.Name, ids)
	if err != nil {
		return err
	}
	a.log.Info("API key created", "key", k.ID, "prefix", k.Prefix, "user", s.user.ID)
	writeJSON(w, http.StatusCreated, keyJSON{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Sites: domains,
		CreatedAt: k.CreatedAt, Key: secret})
	return nil
}

func (a *API) revokeKey(w http.ResponseWriter, r *http.Request) error {
	s, err := a.requireSession(r)
	if err != nil {
		return err
	}
	if err := a.acc.RevokeAPIKey(r.Context(), s.user.ID, r.PathValue("id")); err != nil {
		return err
	}
	a.log.Info("API key revoked", "key", r.PathValue("id"), "user", s.user.ID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

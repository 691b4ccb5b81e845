package api

import (
	"net/http"

	"github.com/sillage-analytics/sillage/accounts"
)

// siteScriptJSON is a site's own tracker script: its path (the snippet is
// `<script defer src="ORIGIN+path"></script>`), the features ticked and
// those that may be.
type siteScriptJSON struct {
	Path      string   `json:"path"`
	Features  []string `json:"features"`
	Available []string `json:"available"`
}

func toSiteScriptJSON(sc accounts.SiteScript) siteScriptJSON {
	return siteScriptJSON{Path: "/js/s/" + sc.Token + ".js", Features: sc.Features, Available: accounts.ScriptFeatures}
}

// getSiteScript answers a site's script settings (made at the first read).
func (a *API) getSiteScript(w http.ResponseWriter, r *http.Request) error {
	sc, err := a.acc.SiteScript(r.Context(), granted(r).site.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toSiteScriptJSON(sc))
	return nil
}

// putSiteScript replaces the features of a site's script: the file served
// at its path changes, the snippet does not.
func (a *API) putSiteScript(w http.ResponseWriter, r *http.Request) error {
	g := granted(r)
	var req struct {
		Features []string `json:"features"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	sc, err := a.acc.SetSiteScriptFeatures(r.Context(), g.site.ID, req.Features)
	if err != nil {
		return err
	}
	a.log.Info("site script features changed", "domain", g.site.Domain, "features", sc.Features, "user", g.acc.UserID)
	writeJSON(w, http.StatusOK, toSiteScriptJSON(sc))
	return nil
}
